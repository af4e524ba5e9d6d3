"""Excel data-entry templates: one workbook per instrument with drop-down codes and range checks.

A template (:func:`write_entry_template`) has three sheets:

* **data sheet** (first, named ``данные``/``data``): one header row of column names (the id
  columns, then every answer column of the instrument, :attr:`Instrument.columns`; a
  multiple-response or ranking item spreads over its ``id_01 .. id_k`` columns), frozen with the
  id columns; one row per questionnaire below it. Every column carries an Excel data validation:
  a drop-down list of the valid codes *and* the missing codes for coded items (single, likert,
  0/1 of multiple), a whole-number range for rankings and codes of id columns, a decimal range
  ``min..max`` for numeric items (a custom rule admits their declared missing codes as well),
  a length limit for open text; the input message shows the question (and the codes) when a cell
  is selected. The sheet is machine-readable as it is: :func:`shnro_research.io.read_table` and
  :func:`shnro_research.responses.read_responses` read it with no edits (the header row holds
  exactly the instrument's names; nothing else is on the sheet).
* **Инструкция** / **Instructions**: who fills it, how to enter answers, the missing codes, the
  privacy rule (no names of pupils, only the pseudonymous form number).
* **Коды** / **Codes**: one row per column and code: question number, question, code, label.

No cell holds a formula (the workbook is data and text only); the rules live in the sheet's
data-validation list, which Excel and LibreOffice apply while typing and which readers ignore.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .._checks import ParameterError, public
from .._reproducible import fix_zip
from ..instruments import Instrument, Item, Text
from ._common import _id_label, _instrument, _lang, _path, question_numbers

#: Excel limits of a data validation: input title 32, prompt 255, error 225 characters, and an
#: explicit list of at most 255 characters.
_TITLE_MAX, _PROMPT_MAX, _ERROR_MAX, _LIST_MAX = 32, 255, 225, 255
_LAST_ROW = 1_048_576
_TEXT_MAX = 1000                 # as the SPSS template (A1000)
_STRING_IDS = ("resp_id", "class_id")
_YEAR_IDS = ("year", "wave")

_SHEETS = {"ru": ("данные", "Инструкция", "Коды"), "en": ("data", "Instructions", "Codes")}

_UI = {
    "ru": dict(
        codes_head=["столбец", "№ вопроса", "вопрос", "тип", "код", "значение", "код пропуска"],
        chosen="выбрано", not_chosen="не выбрано", rank="ранг от 1 до {k} (1 — самое важное)",
        range="число от {lo} до {hi}", text="текст (до 1000 знаков)", yes="да", no="",
        invalid="Недопустимое значение", codes_word="Коды", missing_word="Коды пропуска",
        id_text="текст (номер анкеты, без имён)", class_text="текст, например 9А", year="год (1900–2100)",
        id_number="целое число (код)"),
    "en": dict(
        codes_head=["column", "question no.", "question", "type", "code", "label", "missing code"],
        chosen="chosen", not_chosen="not chosen", rank="rank 1 to {k} (1 = most important)",
        range="a number from {lo} to {hi}", text="text (up to 1000 characters)", yes="yes", no="",
        invalid="Value not allowed", codes_word="Codes", missing_word="Missing codes",
        id_text="text (form number, no names)", class_text="text, e.g. 9A", year="year (1900-2100)",
        id_number="whole number (code)"),
}


def _instructions(ins: Instrument, lang: str, n_cols: int) -> list[str]:
    """The lines of the instructions sheet."""
    data, _, codes = _SHEETS[lang]
    missing = sorted({(c, t.get(lang)) for it in ins.items for c, t in it.missing.items()})
    miss = "; ".join(f"{c} = {t}" for c, t in missing) or ("нет" if lang == "ru" else "none")
    respondents = ins.group in ("students", "parents", "teachers")
    if lang == "ru":
        lines = [
            f"{ins.title.ru} — шаблон ввода данных (инструмент {ins.id}, версия {ins.version})",
            "",
            "Кто заполняет: оператор ввода (координатор опроса в школе или муниципалитете). "
            + ("Анкеты вводит человек, не преподающий в классах, где проходил опрос."
               if respondents else "Данные вносит ответственный за сведения сотрудник."),
            f"Как вводить: одна строка листа «{data}» — одна анкета (одна запись). Первая строка "
            "листа — имена столбцов: не меняйте, не удаляйте и не переставляйте их, не добавляйте "
            "строки над ними и других листов с данными.",
            "Вводите коды ответов (числа), а не тексты; коды и их значения — на листе "
            f"«{codes}» и во всплывающей подсказке ячейки. Excel не примет код не из списка "
            "и число вне допустимого диапазона.",
            "Нет ответа (вопрос пропущен, отмечено несколько вариантов там, где нужен один) — "
            "оставьте ячейку пустой. Отмечен вариант «затрудняюсь ответить» — введите его код "
            f"пропуска: {miss}.",
            "Вопрос с несколькими вариантами ответа занимает несколько столбцов (…_01, …_02, …): "
            "1 — вариант отмечен, 0 — не отмечен (если на вопрос ответили). Ранжирование: в "
            "столбце каждого варианта — его ранг (1 — самое важное), все ранги разные.",
            "Открытые вопросы вводите дословно, но без имён, фамилий, телефонов и адресов: "
            "замените их на «[имя]».",
            "Конфиденциальность: респонденты — несовершеннолетние. В файл не вносятся имена "
            "учащихся, родителей и учителей; resp_id — номер анкеты, написанный на бланке, "
            "а не номер в журнале и не ФИО.",
            "Формулы в лист данных не вводите: только значения. Сохраняйте файл в формате .xlsx.",
            "Для контроля качества ввода каждую пачку анкет вводят дважды, два оператора "
            "независимо, в два файла; расхождения показывает команда «shnro double-entry».",
            "",
            f"Столбцов данных: {n_cols} (ключевые: {', '.join(ins.id_columns)}).",
        ]
    else:
        lines = [
            f"{ins.title.get('en')} — data-entry template (instrument {ins.id}, version "
            f"{ins.version})",
            "",
            "Who fills it: the data-entry operator (the survey coordinator of the school or "
            "municipality)."
            + (" Forms are typed by someone who does not teach the surveyed classes."
               if respondents else ""),
            f"How: one row of sheet '{data}' is one questionnaire (one record). The first row "
            "holds the column names: do not change, delete or move them, add no rows above them "
            "and no other data sheets.",
            f"Type answer codes (numbers), not texts; codes and labels are on sheet '{codes}' and "
            "in the cell's input message. Excel refuses a code not in the list and a number out "
            "of range.",
            "No answer (question skipped, several options marked where one is asked) - leave the "
            f"cell empty. 'Don't know' and similar - type its missing code: {miss}.",
            "A question with several answers spans several columns (_01, _02, ...): 1 = option "
            "marked, 0 = not marked (if the question was answered). Ranking: each option's column "
            "holds its rank (1 = most important), all ranks distinct.",
            "Type open answers verbatim but without names, phone numbers or addresses: replace "
            "them by '[name]'.",
            "Privacy: respondents are minors. No names of pupils, parents or teachers go into the "
            "file; resp_id is the number written on the paper form, not a register number or a "
            "name.",
            "Enter values only, no formulas. Save as .xlsx.",
            "For quality control every batch is typed twice by two operators independently into "
            "two files; 'shnro double-entry' lists the disagreements.",
            "",
            f"Data columns: {n_cols} (keys: {', '.join(ins.id_columns)}).",
        ]
    return lines


#: Units of numeric items that count whole things: entered as whole numbers.
COUNT_UNITS = ("чел.", "человек", "классов", "уроков", "лет", "шт.")


def is_count(it: Item) -> bool:
    """A numeric item that counts whole things (its unit is one of :data:`COUNT_UNITS` and its
    bounds are whole numbers): entered as a whole number in the templates and XLSForms."""
    return (it.type == "numeric" and it.unit.strip().lower() in COUNT_UNITS
            and it.min is not None and float(it.min).is_integer()
            and it.max is not None and float(it.max).is_integer())


def _codes_text(pairs: list[tuple[Any, Text]], lang: str) -> str:
    return "; ".join(f"{c}={t.get(lang)}" for c, t in pairs)


def _column_label(it: Item, k: int, lang: str) -> str:
    text = it.text.get(lang)
    if it.type in ("multiple", "ranking"):
        sep = " " if text.rstrip().endswith(("?", ":", "!")) else ": "
        text = f"{text}{sep}{it.options[k].get(lang)}"
    return text


def _num(x: float) -> str:
    """A number as Excel formula text (dot decimal mark, no exponent for ordinary values)."""
    return f"{x:.15g}"


def _rule(it: Item | None, col: str, ins: Instrument, lang: str) -> dict[str, Any] | None:
    """Validation of one column: ``dict(type, operator, formula1, formula2, allow_blank, hint)``
    (``formula1`` of a custom rule written for the column's first data cell, ``{c}``)."""
    ui = _UI[lang]
    if it is None:                                   # an id column
        if col in ins.id_codes:
            codes = sorted(ins.id_codes[col])
            return dict(type="list", formula1='"' + ",".join(str(c) for c in codes) + '"',
                        hint=_codes_text([(c, ins.id_codes[col][c]) for c in codes], lang))
        if col in _YEAR_IDS:
            return dict(type="whole", operator="between", formula1="1900", formula2="2100",
                        hint=ui["year"])
        if col in _STRING_IDS:
            return dict(type="textLength", operator="lessThanOrEqual", formula1="32",
                        hint=ui["id_text"] if col == "resp_id" else ui["class_text"])
        return None
    miss = sorted(it.missing)
    if it.type in ("single", "likert", "multiple"):
        if it.type == "multiple":
            pairs = [(0, Text(ui["not_chosen"])), (1, Text(ui["chosen"]))]
        else:
            pairs = list(it.codes.items())
        codes = [c for c, _ in pairs] + miss
        listed = '"' + ",".join(str(c) for c in codes) + '"'
        hint = _codes_text(pairs + [(c, it.missing[c]) for c in miss], lang)
        if len(listed) <= _LIST_MAX:
            return dict(type="list", formula1=listed, hint=hint)
        lo, hi = min(codes), max(codes)       # very long code lists: range + the codes sheet
        return dict(type="whole", operator="between", formula1=str(lo), formula2=str(hi),
                    hint=hint)
    if it.type in ("numeric", "ranking"):
        lo, hi = it.bounds
        kind = "decimal" if it.type == "numeric" and not is_count(it) else "whole"
        hint = (ui["range"].format(lo=_num(lo), hi=_num(hi)) if it.type == "numeric"
                else ui["rank"].format(k=len(it.options)))
        if it.unit:
            hint += f" ({it.unit})"
        if miss:
            hint += f"; {ui['missing_word'].lower()}: " + _codes_text(
                [(c, it.missing[c]) for c in miss], lang)
            whole = "" if kind == "decimal" else ",INT({c})={c}"
            alts = ",".join(f"{{c}}={_num(c)}" for c in miss)
            return dict(type="custom",
                        formula1=f"OR(AND(ISNUMBER({{c}}),{{c}}>={_num(lo)},{{c}}<={_num(hi)}"
                                 f"{whole}),{alts})", hint=hint)
        return dict(type=kind, operator="between", formula1=_num(lo), formula2=_num(hi),
                    hint=hint)
    if it.type == "text":
        return dict(type="textLength", operator="lessThanOrEqual", formula1=str(_TEXT_MAX),
                    hint=ui["text"])
    return None


def _safe(v: Any) -> Any:
    """Text that would start a formula (``=...``, ``+...``, ``-...``, ``@...``) gets a leading
    apostrophe: a template holds values and text only, never a live formula."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _cut(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


@public
def entry_columns(instrument: Any, lang: str = "ru") -> list[dict[str, Any]]:
    """The columns of the entry template with their rules, in sheet order.

    Parameters
    ----------
    instrument : Instrument or str or Path
    lang : {"ru", "en"}

    Returns
    -------
    list of dict
        One dict per column: ``column``, ``item`` (None for id columns), ``label`` (question,
        with the option for multiple/ranking columns), ``rule`` (the data-validation
        specification, or None).

    Examples
    --------
    >>> cols = entry_columns("students")
    >>> cols[4]["column"], cols[4]["rule"]["type"]
    ('sex', 'list')
    """
    ins = _instrument(instrument)
    lang = _lang(lang)
    out = []
    for col in ins.id_columns:
        out.append(dict(column=col, item=None, label=_id_label(ins, col, lang),
                        rule=_rule(None, col, ins, lang)))
    for it in ins.items:
        for k, col in enumerate(it.columns):
            out.append(dict(column=col, item=it, label=_column_label(it, k, lang),
                            rule=_rule(it, col, ins, lang)))
    return out


@public
def write_entry_template(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write an Excel data-entry template of an instrument (drop-down codes, range checks).

    Parameters
    ----------
    instrument : Instrument or str or Path
        The questionnaire (object, bundled name such as ``"students"`` or a YAML path).
    path : str or Path
        Output ``.xlsx`` file.
    lang : {"ru", "en"}
        Language of sheet names, input messages, instructions and code labels; the column names
        are the instrument's ids in either language.

    Returns
    -------
    Path

    Notes
    -----
    The first sheet holds one header row of column names (id columns, then
    :attr:`Instrument.columns`) and nothing else, so the filled-in file is read as it is by
    :func:`shnro_research.responses.read_responses` and checked by
    :func:`~shnro_research.responses.validate_responses` (the checks while typing are a first
    line; the validator is the rule). Data validations per column:

    * single, likert: list of the codes and the missing codes; multiple (each option column):
      ``0, 1`` and the missing codes;
    * numeric: decimal ``min..max``; ranking: whole number ``1..k``; with declared missing codes
      a custom rule ``OR(AND(ISNUMBER(x), x >= min, x <= max), x = code, ...)``;
    * text: at most 1000 characters; ``resp_id``/``class_id``: text up to 32 characters (cells
      formatted as text, so «001» keeps its zeros); ``year``/``wave``: whole number 1900..2100;
      coded id columns (``id_codes``): list of the codes.

    Excel limits an input message to 255 characters: longer question texts are cut there (the
    codes sheet has them in full). No cell holds a formula; the file's zip and document dates
    are fixed, so the same instrument gives the same bytes.

    Examples
    --------
    >>> write_entry_template("students", "entry/students.xlsx")        # doctest: +SKIP

    There is no R equivalent; ``openxlsx::dataValidation(wb, sheet, cols, rows, type = "list",
    value = ...)`` writes the same rules.
    """
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ins = _instrument(instrument)
    lang = _lang(lang)
    p = _path(path)
    if p.suffix.lower() != ".xlsx":
        raise ParameterError(f"'path' must end with .xlsx; got {str(path)!r}")
    ui = _UI[lang]
    cols = entry_columns(ins, lang)
    data_name, instr_name, codes_name = _SHEETS[lang]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = data_name
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    id_fill = PatternFill("solid", fgColor="FFF2CC")
    ws.append([c["column"] for c in cols])
    n_id = len(ins.id_columns)
    for j, c in enumerate(cols, start=1):
        letter = get_column_letter(j)
        cell = ws.cell(1, j)
        cell.font = bold
        cell.fill = id_fill if j <= n_id else head_fill
        ws.column_dimensions[letter].width = max(9, min(len(c["column"]) + 3, 16))
        if c["column"] in _STRING_IDS or (c["item"] is not None and c["item"].type == "text"):
            ws.column_dimensions[letter].number_format = "@"
            if c["item"] is not None:
                ws.column_dimensions[letter].width = 40
        rule = c["rule"]
        if rule is None:
            continue
        ref = f"{letter}2:{letter}{_LAST_ROW}"
        formula1 = rule["formula1"].replace("{c}", f"{letter}2")
        dv = DataValidation(type=rule["type"], operator=rule.get("operator"), formula1=formula1,
                            formula2=rule.get("formula2"), allow_blank=True,
                            showInputMessage=True, showErrorMessage=True, errorStyle="stop")
        dv.promptTitle = _cut(c["column"], _TITLE_MAX)
        dv.prompt = _cut(f"{c['label']} | {rule['hint']}", _PROMPT_MAX)
        dv.errorTitle = _cut(ui["invalid"], _TITLE_MAX)
        dv.error = _cut(f"{c['column']}: {rule['hint']}", _ERROR_MAX)
        dv.add(ref)
        ws.add_data_validation(dv)
    ws.freeze_panes = ws.cell(2, n_id + 1).coordinate

    wi = wb.create_sheet(instr_name)
    wi.column_dimensions["A"].width = 120
    for k, line in enumerate(_instructions(ins, lang, len(cols)), start=1):
        cell = wi.cell(k, 1, _safe(line))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if k == 1:
            cell.font = Font(bold=True, size=13)

    wc = wb.create_sheet(codes_name)
    wc.append(ui["codes_head"])
    for j in range(1, len(ui["codes_head"]) + 1):
        wc.cell(1, j).font = bold
    for letter, width in zip("ABCDEFG", (14, 10, 70, 10, 8, 50, 12)):
        wc.column_dimensions[letter].width = width
    nums = question_numbers(ins)
    for c in cols:
        it: Item | None = c["item"]
        col = c["column"]
        if it is None:
            codes = ins.id_codes.get(col, {})
            rows = [(code, t.get(lang), "") for code, t in codes.items()] or \
                [("", (c["rule"] or {}).get("hint", ""), "")]
            for code, lab, miss in rows:
                wc.append([_safe(v) for v in (col, None, c["label"], "id", code, lab, miss)])
            continue
        if it.type in ("single", "likert"):
            rows = [(code, t.get(lang), ui["no"]) for code, t in it.codes.items()]
        elif it.type == "multiple":
            rows = [(0, ui["not_chosen"], ui["no"]), (1, ui["chosen"], ui["no"])]
        else:
            rows = [("", c["rule"]["hint"].split(";")[0] if c["rule"] else "", ui["no"])]
        rows += [(code, t.get(lang), ui["yes"]) for code, t in it.missing.items()]
        for code, lab, miss in rows:
            wc.append([_safe(v) for v in (col, nums[it.id], c["label"], it.type, code, lab,
                                          miss)])
    wc.freeze_panes = "A2"
    wb.save(p)
    fix_zip(p)
    return p
