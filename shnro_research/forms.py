"""Printable questionnaires, SPSS templates and codebooks from an :class:`~.instruments.Instrument`.

* :func:`render_html` — a printable handout (A4, print CSS): title, anonymity note, service boxes
  for the id columns, sections with instructions, numbered questions, tick boxes with the codes,
  ranking tables and grids for runs of likert items that share a response scale.
* :func:`render_docx` — the same handout as a Word document (python-docx).
* :func:`write_spss_template` — an empty ``.sav`` file with variable labels, value labels,
  user-missing values, measure levels and formats, ready for data entry (pyreadstat).
* :func:`codebook_table` / :func:`write_codebook_xlsx` — the codebook as a DataFrame / Excel file.
* :func:`write_forms` — all of them for several instruments (``shnro forms``,
  :mod:`shnro_research.cli.forms`).

Every function takes an :class:`Instrument` or the name/path accepted by
:func:`~.instruments.load_instrument`. Nothing here knows a particular questionnaire.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._reproducible import fix_sav_time, fix_zip
from ._checks import ParameterError, check_option
from .instruments import _ID_LABELS, Instrument, Item, Text, load_instrument

LANGS = ("ru", "en")
FORMATS = ("html", "docx", "sav", "xlsx")
#: Instruments ``shnro forms`` renders when none is named.
DEFAULT_INSTRUMENTS = ("students", "parents", "teachers")

BOX = "\u2610"  # ☐

_UI = {
    "ru": {
        "service": "Заполняется организатором опроса",
        "max_choices": "не более {n}",
        "rank_no": "№", "rank_value": "Ценность / вариант", "rank": "Ранг",
        "rank_hint": "ранг от 1 до {k}",
        "stmt": "Утверждение", "question": "Вопрос",
        "range": "от {lo} до {hi}",
        "thanks": "Спасибо за участие!",
        "chosen": "выбрано", "not_chosen": "не выбрано", "blank": "(нет ответа)",
        "questions": "вопросов",
    },
    "en": {
        "service": "To be filled in by the survey organiser",
        "max_choices": "no more than {n}",
        "rank_no": "No.", "rank_value": "Value / option", "rank": "Rank",
        "rank_hint": "rank 1 to {k}",
        "stmt": "Statement", "question": "Question",
        "range": "from {lo} to {hi}",
        "thanks": "Thank you for taking part!",
        "chosen": "chosen", "not_chosen": "not chosen", "blank": "(no answer)",
        "questions": "questions",
    },
}


def _instrument(instrument: Any) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    if isinstance(instrument, (str, Path)):
        return load_instrument(instrument)
    raise ParameterError(f"'instrument' must be an Instrument, a bundled name or a .yaml path; "
                         f"got {type(instrument).__name__}")


def _lang(lang: Any) -> str:
    return check_option(lang, "lang", LANGS)


def _path(path: Any, name: str = "path") -> Path:
    if not isinstance(path, (str, Path)) or str(path) == "":
        raise ParameterError(f"{name!r} must be a file path (str or Path); got {path!r}")
    p = Path(path)
    if p.exists() and p.is_dir():
        raise ParameterError(f"{name!r} must be a file path, not a folder; got {str(p)!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


# -- layout shared by HTML and DOCX -----------------------------------------------------------

@dataclass
class _Block:
    """A printed unit: one question, or a grid of numbered likert rows sharing a response scale."""

    kind: str                       # "grid" or an item type
    items: list[tuple[int, Item]]   # (question number, item)


def _grid_key(it: Item) -> tuple | None:
    if it.type not in ("likert", "single"):
        return None
    return (it.type, tuple((c, t.ru, t.en) for c, t in it.codes.items()),
            tuple((c, t.ru, t.en) for c, t in it.missing.items()))


def question_numbers(instrument: Any) -> dict[str, int]:
    """Printed question number of every item (1, 2, ... in questionnaire order).

    Parameters
    ----------
    instrument : Instrument or str or Path

    Returns
    -------
    dict
        ``{item id: number}``; the numbers are those printed by :func:`render_html` and
        :func:`render_docx` and listed in :func:`codebook_table`.
    """
    ins = _instrument(instrument)
    return {it.id: k for k, it in enumerate(ins.items, start=1)}


def _layout(ins: Instrument) -> list[tuple[Any, list[_Block]]]:
    """Sections with their blocks; runs of >= 2 likert/single items with equal codes -> grid.

    A run of single items becomes a grid only when all its options are short (yes/no style).
    """
    numbers = question_numbers(ins)
    by_id = {it.id: it for it in ins.items}
    out = []
    for sec in ins.sections:
        blocks: list[_Block] = []
        run: list[Item] = []

        def flush():
            if len(run) >= 2 and (run[0].type == "likert" or
                                  all(len(t.ru) <= 12 for t in run[0].codes.values())):
                blocks.append(_Block("grid", [(numbers[i.id], i) for i in run]))
            else:
                blocks.extend(_Block(i.type, [(numbers[i.id], i)]) for i in run)
            run.clear()

        for iid in sec.items:
            it = by_id[iid]
            key = _grid_key(it)
            if run and key == _grid_key(run[0]):
                run.append(it)
                continue
            flush()
            if key is not None:
                run.append(it)
            else:
                blocks.append(_Block(it.type, [(numbers[it.id], it)]))
        flush()
        out.append((sec, blocks))
    return out


def _answer_codes(it: Item) -> list[tuple[int, Text, bool]]:
    """(code, label, is_missing) in printed order: valid codes, then missing codes."""
    return [(c, t, False) for c, t in it.codes.items()] + \
        [(c, t, True) for c, t in it.missing.items()]


#: Shorter labels of id columns for the service line of a printed form.
_SERVICE_LABELS = {"resp_id": Text("№ анкеты", "Form no."),
                   "wave": Text("Волна (год)", "Wave (year)")}


def _id_label(ins: Instrument, col: str, lang: str, printed: bool = False) -> str:
    if printed and col in _SERVICE_LABELS:
        return _SERVICE_LABELS[col].get(lang)
    return _ID_LABELS.get(col, Text(col)).get(lang)


# -- HTML --------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 14mm 12mm 14mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "PT Serif", "Times New Roman", serif; font-size: 10.5pt; line-height: 1.3;
       color: #000; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 15pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 6mm 0 1.5mm; border-bottom: 1px solid #000;
     page-break-after: avoid; break-after: avoid; }
.intro { border: 1px solid #000; padding: 2.5mm 3mm; margin-bottom: 4mm; text-align: justify; }
.service { font-size: 9pt; margin-bottom: 4mm; }
.service .field { display: inline-block; min-width: 22mm; border-bottom: 1px solid #000;
                  margin: 0 4mm 0 1mm; }
.instruction { font-style: italic; margin: 0 0 2mm; page-break-after: avoid; }
.q { margin: 0 0 3mm; page-break-inside: avoid; break-inside: avoid; }
.qtext { font-weight: bold; margin: 0 0 1mm; }
.num { display: inline-block; min-width: 7mm; }
.hint { font-weight: normal; font-style: italic; }
ul.opts { list-style: none; margin: 0; padding-left: 7mm; }
ul.opts.inline li { display: inline-block; margin-right: 6mm; }
.box { font-size: 12pt; margin-right: 1.5mm; }
.code { font-size: 7.5pt; color: #444; vertical-align: super; margin-left: 0.5mm; }
.missing-opt { font-style: italic; }
.field { display: inline-block; min-width: 30mm; border-bottom: 1px solid #000; height: 5mm; }
table { border-collapse: collapse; width: 100%; margin: 0 0 3mm; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
th, td { border: 1px solid #000; padding: 1mm 1.2mm; vertical-align: middle; }
th { font-size: 8pt; font-weight: normal; text-align: center; }
td.cell { text-align: center; white-space: nowrap; width: 11mm; }
td.n { width: 8mm; text-align: right; }
th.miss, td.miss { border-left: 2px solid #000; background: #f2f2f2; }
td.rank { width: 16mm; }
.lines div { border-bottom: 1px solid #000; height: 7mm; }
.thanks { text-align: center; font-weight: bold; margin-top: 6mm; }
@media print { body { max-width: none; } }
"""


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _html_options(it: Item, lang: str, inline: bool) -> str:
    lis = []
    for c, t, miss in _answer_codes(it):
        cls = ' class="missing-opt"' if miss else ""
        lis.append(f'<li{cls}><span class="box">{BOX}</span>{_e(t.get(lang))}'
                   f'<span class="code">{c}</span></li>')
    return f'<ul class="opts{" inline" if inline else ""}">' + "".join(lis) + "</ul>"


def _html_block(block: _Block, lang: str) -> str:
    ui = _UI[lang]
    if block.kind == "grid":
        first = block.items[0][1]
        codes = _answer_codes(first)
        head = "".join(f'<th class="{"miss" if m else ""}">{_e(t.get(lang))}</th>'
                       for c, t, m in codes)
        rows = []
        for num, it in block.items:
            cells = "".join(f'<td class="cell{" miss" if m else ""}"><span class="box">{BOX}</span>'
                            f'<span class="code">{c}</span></td>' for c, t, m in codes)
            rows.append(f'<tr id="q-{it.id}"><td class="n">{num}.</td><td>{_e(it.text.get(lang))}'
                        f'</td>{cells}</tr>')
        stmt = ui["stmt"] if first.type == "likert" else ui["question"]
        return (f'<table class="grid"><thead><tr><th>{ui["rank_no"]}</th><th>{stmt}</th>'
                f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    num, it = block.items[0]
    q = [f'<div class="q" id="q-{it.id}"><p class="qtext"><span class="num">{num}.</span>'
         f'{_e(it.text.get(lang))}']
    if it.type == "multiple" and it.max_choices:
        q.append(f' <span class="hint">({ui["max_choices"].format(n=it.max_choices)})</span>')
    if it.type == "ranking":
        q.append(f' <span class="hint">({ui["rank_hint"].format(k=len(it.options))})</span>')
    q.append("</p>")
    if it.type in ("single", "likert"):
        short = sum(len(t.get(lang)) for _, t, _ in _answer_codes(it)) < 70
        q.append(_html_options(it, lang, inline=short))
    elif it.type == "numeric":
        rng = ui["range"].format(lo=_fmt(it.min), hi=_fmt(it.max))
        q.append(f'<p style="padding-left:7mm"><span class="field"></span> {_e(it.unit)} '
                 f'<span class="hint">({rng})</span></p>')
        if it.missing:
            q.append(_html_options(Item(it.id, it.text, "single", it.section,
                                        missing=it.missing), lang, inline=True))
    elif it.type == "multiple":
        lis = "".join(f'<li><span class="box">{BOX}</span>{_e(o.get(lang))}'
                      f'<span class="code">{k}</span></li>'
                      for k, o in enumerate(it.options, start=1))
        q.append(f'<ul class="opts">{lis}</ul>')
    elif it.type == "ranking":
        rows = "".join(f'<tr><td class="n">{k}</td><td>{_e(o.get(lang))}</td>'
                       f'<td class="rank"></td></tr>' for k, o in enumerate(it.options, start=1))
        q.append(f'<table class="ranking"><thead><tr><th>{ui["rank_no"]}</th>'
                 f'<th>{ui["rank_value"]}</th><th>{ui["rank"]}</th></tr></thead>'
                 f'<tbody>{rows}</tbody></table>')
    elif it.type == "text":
        q.append('<div class="lines"><div></div><div></div><div></div><div></div></div>')
    q.append("</div>")
    return "".join(q)


def html_string(instrument: Any, lang: str = "ru") -> str:
    """The printable questionnaire as an HTML document (a string); see :func:`render_html`."""
    ins = _instrument(instrument)
    lang = _lang(lang)
    ui = _UI[lang]
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
             f'<title>{_e(ins.title.get(lang))}</title><style>{_CSS}</style></head><body>',
             f'<h1>{_e(ins.title.get(lang))}</h1>']
    service = " ".join(f'{_e(_id_label(ins, c, lang, printed=True))}:<span class="field"></span>'
                       for c in ins.id_columns)
    parts.append(f'<div class="service">{ui["service"]}: {service}</div>')
    if ins.intro.get(lang):
        parts.append(f'<div class="intro">{_e(ins.intro.get(lang))}</div>')
    for sec, blocks in _layout(ins):
        parts.append(f'<section id="s-{sec.id}"><h2>{_e(sec.title.get(lang))}</h2>')
        if sec.instruction.get(lang):
            parts.append(f'<p class="instruction">{_e(sec.instruction.get(lang))}</p>')
        parts.extend(_html_block(b, lang) for b in blocks)
        parts.append("</section>")
    if ins.group in ("students", "parents", "teachers"):
        parts.append(f'<p class="thanks">{ui["thanks"]}</p>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def render_html(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write a printable handout questionnaire as HTML (A4 print CSS).

    Parameters
    ----------
    instrument : Instrument or str or Path
        The instrument, a bundled name (``"students"``) or a YAML path.
    path : str or Path
        Output file (folders are created).
    lang : {"ru", "en"}
        Wording: Russian (the fieldwork form) or the English gloss (for papers and reviewers).

    Returns
    -------
    Path
        The written file. Open it in a browser and print to A4 (or save as PDF).

    Notes
    -----
    Items are numbered 1, 2, ... in questionnaire order (:func:`question_numbers`). Consecutive
    likert items of a section with the same codes are printed as one grid (a row per item, a
    column per code, missing codes shaded on the right); ranking items as a table with an empty
    rank column; multiple-choice items as tick boxes with their ``max_choices``. Codes are printed
    small next to each box so that data entry follows the form.

    Examples
    --------
    >>> render_html("students", "forms/students_ru.html")          # doctest: +SKIP
    """
    ins = _instrument(instrument)
    p = _path(path)
    p.write_text(html_string(ins, lang), encoding="utf-8")
    return p


# -- DOCX --------------------------------------------------------------------------------------

def render_docx(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write the handout questionnaire as a Word document (A4; tables for grids and rankings).

    Parameters
    ----------
    instrument : Instrument or str or Path
    path : str or Path
        Output ``.docx`` file (folders are created).
    lang : {"ru", "en"}

    Returns
    -------
    Path

    Notes
    -----
    Same content and numbering as :func:`render_html`; editable by the study team before
    printing (fonts, logo, page breaks).
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    ins = _instrument(instrument)
    lang = _lang(lang)
    p_out = _path(path)
    ui = _UI[lang]
    doc = Document()
    sec0 = doc.sections[0]
    sec0.orientation = WD_ORIENT.PORTRAIT
    sec0.page_width, sec0.page_height = Mm(210), Mm(297)
    sec0.left_margin = sec0.right_margin = Mm(14)
    sec0.top_margin = sec0.bottom_margin = Mm(14)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(2)

    def small(cell, text, size=8, center=True, bold=False):
        cell.text = ""
        par = cell.paragraphs[0]
        run = par.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold
        if center:
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER

    title = doc.add_heading(ins.title.get(lang), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    svc = doc.add_paragraph()
    r = svc.add_run(f"{ui['service']}: " + "   ".join(
        f"{_id_label(ins, c, lang, printed=True)}: ________" for c in ins.id_columns))
    r.font.size = Pt(8.5)
    if ins.intro.get(lang):
        intro = doc.add_table(rows=1, cols=1)
        intro.style = "Table Grid"
        small(intro.rows[0].cells[0], ins.intro.get(lang), size=10, center=False)
        doc.add_paragraph()

    for sec, blocks in _layout(ins):
        doc.add_heading(sec.title.get(lang), level=1)
        if sec.instruction.get(lang):
            doc.add_paragraph().add_run(sec.instruction.get(lang)).italic = True
        for block in blocks:
            if block.kind == "grid":
                codes = _answer_codes(block.items[0][1])
                t = doc.add_table(rows=1 + len(block.items), cols=2 + len(codes))
                t.style = "Table Grid"
                t.alignment = WD_TABLE_ALIGNMENT.CENTER
                rows = [r.cells for r in t.rows]   # t.cell(i, j) rebuilds the grid each call
                small(rows[0][0], ui["rank_no"])
                small(rows[0][1], ui["stmt"] if block.items[0][1].type == "likert"
                      else ui["question"])
                for j, (c, lab, miss) in enumerate(codes):
                    small(rows[0][2 + j], lab.get(lang), size=7.5, bold=miss)
                for i, (num, it) in enumerate(block.items, start=1):
                    small(rows[i][0], f"{num}.", size=9)
                    small(rows[i][1], it.text.get(lang), size=9.5, center=False)
                    for j, (c, lab, miss) in enumerate(codes):
                        small(rows[i][2 + j], f"{BOX} {c}", size=9)
                for cells in rows:
                    cells[0].width = Mm(9)
                    cells[1].width = Mm(70)
                doc.add_paragraph()
                continue
            num, it = block.items[0]
            q = doc.add_paragraph()
            q.paragraph_format.keep_with_next = True
            q.add_run(f"{num}. {it.text.get(lang)}").bold = True
            if it.type == "multiple" and it.max_choices:
                q.add_run(f" ({ui['max_choices'].format(n=it.max_choices)})").italic = True
            if it.type == "ranking":
                q.add_run(f" ({ui['rank_hint'].format(k=len(it.options))})").italic = True
            if it.type in ("single", "likert"):
                opts = [f"{BOX} {lab.get(lang)} ({c})" for c, lab, _ in _answer_codes(it)]
                if sum(len(o) for o in opts) < 80:
                    doc.add_paragraph("     ".join(opts))
                else:
                    for o in opts:
                        doc.add_paragraph(o).paragraph_format.left_indent = Mm(7)
            elif it.type == "numeric":
                rng = ui["range"].format(lo=_fmt(it.min), hi=_fmt(it.max))
                line = f"__________ {it.unit} ({rng})"
                if it.missing:
                    line += "     " + "   ".join(f"{BOX} {lab.get(lang)} ({c})"
                                                 for c, lab in it.missing.items())
                doc.add_paragraph(line).paragraph_format.left_indent = Mm(7)
            elif it.type == "multiple":
                for k, o in enumerate(it.options, start=1):
                    doc.add_paragraph(f"{BOX} {o.get(lang)} ({k})"
                                      ).paragraph_format.left_indent = Mm(7)
            elif it.type == "ranking":
                t = doc.add_table(rows=1 + len(it.options), cols=3)
                t.style = "Table Grid"
                rows = [r.cells for r in t.rows]
                small(rows[0][0], ui["rank_no"])
                small(rows[0][1], ui["rank_value"])
                small(rows[0][2], ui["rank"])
                for k, o in enumerate(it.options, start=1):
                    small(rows[k][0], str(k), size=9)
                    small(rows[k][1], o.get(lang), size=9.5, center=False)
                for cells in rows:
                    cells[0].width = Mm(10)
                    cells[1].width = Mm(140)
                    cells[2].width = Mm(20)
                doc.add_paragraph()
            elif it.type == "text":
                for _ in range(3):
                    doc.add_paragraph("_" * 90)
    if ins.group in ("students", "parents", "teachers"):
        end = doc.add_paragraph()
        end.alignment = WD_ALIGN_PARAGRAPH.CENTER
        end.add_run(ui["thanks"]).bold = True
    doc.core_properties.title = ins.title.get(lang)
    doc.core_properties.subject = f"{ins.id} v{ins.version}"
    doc.save(str(p_out))
    fix_zip(p_out)
    return p_out


# -- SPSS --------------------------------------------------------------------------------------

def _cut(s: str, limit: int) -> str:
    """Cut ``s`` to at most ``limit`` UTF-8 bytes at a character boundary (SPSS limits)."""
    b = s.encode("utf-8")
    if len(b) <= limit:
        return s
    return b[:limit].decode("utf-8", errors="ignore").rstrip()


#: SPSS limits in UTF-8 bytes: variable label, value label, file label.
_VAR_LABEL_BYTES, _VALUE_LABEL_BYTES, _FILE_LABEL_BYTES = 256, 120, 64
_TEXT_WIDTH = 1000
_STRING_IDS = {"resp_id": 32, "class_id": 16}


def _join_option(label: str, option: str) -> str:
    """Label of one column of a multiple/ranking item: question, then option."""
    return f"{label} {option}" if label.rstrip().endswith(("?", ":", "!")) else f"{label}: {option}"


def _code_width(codes) -> int:
    return max([len(str(int(c))) for c in codes] + [1])


def spss_metadata(instrument: Any, lang: str = "ru") -> dict[str, Any]:
    """SPSS metadata of an instrument, as keyword arguments of ``pyreadstat.write_sav``.

    Parameters
    ----------
    instrument : Instrument or str or Path
    lang : {"ru", "en"}
        Language of variable and value labels.

    Returns
    -------
    dict
        ``column_labels``, ``variable_value_labels`` (numeric codes only), ``missing_ranges``,
        ``variable_measure``, ``variable_format``, ``variable_display_width``, plus
        ``string_widths`` (``{column: width}`` of string columns) and ``columns`` (all columns in
        order: id columns, then answers).

    Notes
    -----
    * Labels are cut to the SPSS limits at a character boundary (variable labels 256 bytes, value
      labels 120 bytes in UTF-8, i.e. 128 / 60 Cyrillic letters). When two columns would get the
      same label (e.g. a need rated for importance and for realisation), the section title is
      prefixed.
    * Missing codes become SPSS user-missing values: up to 3 discrete values, otherwise one range
      ``lo..hi`` spanning them (refused if a valid code falls inside).
    * Measure: single/multiple/text/id -> nominal, likert/ranking -> ordinal, numeric -> scale.
      Formats: codes ``F<w>.0``, numeric items ``F<w>.2``, open text ``A1000``.
    * ``resp_id`` and ``class_id`` are strings (pseudonymous ids, class letters like «9А»);
      other id columns are numeric with the instrument's ``id_codes`` as value labels.
    """
    ins = _instrument(instrument)
    lang = _lang(lang)
    ui = _UI[lang]
    sec_title = {s.id: s.title.get(lang) for s in ins.sections}
    labels: dict[str, str] = {}
    values: dict[str, dict[float, str]] = {}
    missing: dict[str, list] = {}
    measure: dict[str, str] = {}
    fmt: dict[str, str] = {}
    width: dict[str, int] = {}
    strings: dict[str, int] = {}

    for col in ins.id_columns:
        labels[col] = _id_label(ins, col, lang)
        measure[col] = "nominal"
        if col in _STRING_IDS:
            strings[col] = _STRING_IDS[col]
            fmt[col] = f"A{strings[col]}"
            # a label on the blank string fixes the width of an empty string variable
            values[col] = {" " * strings[col]: ui["blank"]}
        else:
            codes = ins.id_codes.get(col, {})
            fmt[col] = f"F{max(_code_width(codes), 4 if col in ('year', 'wave') else 8)}.0"
            if codes:
                values[col] = {float(c): t.get(lang) for c, t in codes.items()}
    raw_labels: dict[str, tuple[str, str]] = {}
    for it in ins.items:
        for k, col in enumerate(it.columns):
            lab = it.text.get(lang)
            if it.type in ("multiple", "ranking"):
                lab = _join_option(lab, it.options[k].get(lang))
            raw_labels[col] = (lab, sec_title[it.section])
            mv = {float(c): t.get(lang) for c, t in it.missing.items()}
            if it.type in ("single", "likert"):
                values[col] = {float(c): t.get(lang) for c, t in it.codes.items()} | mv
                fmt[col] = f"F{_code_width(list(it.codes) + list(it.missing))}.0"
                measure[col] = "nominal" if it.type == "single" else "ordinal"
            elif it.type == "numeric":
                # two decimals always: shares, mean scores and counts alike (no data loss)
                w = _code_width([it.min, it.max] + list(it.missing)) + 1
                fmt[col] = f"F{w + 3}.2"
                measure[col] = "scale"
                if mv:
                    values[col] = mv
            elif it.type == "multiple":
                values[col] = {0.0: ui["not_chosen"], 1.0: ui["chosen"]} | mv
                fmt[col] = "F1.0"
                measure[col] = "nominal"
            elif it.type == "ranking":
                fmt[col] = f"F{_code_width([len(it.options)] + list(it.missing))}.0"
                measure[col] = "ordinal"
                if mv:
                    values[col] = mv
            else:  # text
                strings[col] = _TEXT_WIDTH
                fmt[col] = f"A{_TEXT_WIDTH}"
                measure[col] = "nominal"
                # a label on the blank string documents "no answer" and fixes the width
                values[col] = {" " * _TEXT_WIDTH: ui["blank"]}
            if it.missing:
                codes = sorted(float(c) for c in it.missing)
                if len(codes) <= 3:
                    missing[col] = codes
                else:
                    inside = [c for c in it.codes if codes[0] <= c <= codes[-1]]
                    if inside:
                        raise ParameterError(
                            f"item {it.id!r}: SPSS allows 3 discrete missing values or one range; "
                            f"the range {codes[0]:g}..{codes[-1]:g} of its {len(codes)} missing "
                            f"codes would cover valid codes {inside}")
                    missing[col] = [{"lo": codes[0], "hi": codes[-1]}]
    seen: dict[str, int] = {}
    for lab, _ in raw_labels.values():
        seen[lab] = seen.get(lab, 0) + 1
    for col, (lab, sec) in raw_labels.items():
        labels[col] = f"{sec}: {lab}" if seen[lab] > 1 else lab
    labels = {c: _cut(v, _VAR_LABEL_BYTES) for c, v in labels.items()}
    values = {c: {k: (_cut(v, _VALUE_LABEL_BYTES) if isinstance(k, float) else v)
                  for k, v in d.items()} for c, d in values.items()}
    for col, f in fmt.items():
        width[col] = min(max(int(f[1:].split(".")[0]), 6), 40)
    return dict(columns=list(ins.id_columns) + ins.columns, column_labels=labels,
                variable_value_labels=values, missing_ranges=missing, variable_measure=measure,
                variable_format=fmt, variable_display_width=width, string_widths=strings)


def write_clean_sav(data: pd.DataFrame, instrument: Any, path: str | Path,
                    lang: str = "ru") -> Path:
    """Clean answers as SPSS ``.sav`` with the instrument's variable and value labels and
    missing-value codes (columns the instrument does not know are written without labels).

    Text columns are written as strings (missing as empty); the file's timestamp is fixed so the
    same data give the same bytes.
    """
    import pyreadstat
    meta = spss_metadata(instrument, lang)
    cols = list(data.columns)
    keep = {k: {c: v for c, v in meta[k].items() if c in cols}
            for k in ("column_labels", "variable_value_labels", "missing_ranges",
                      "variable_measure") if isinstance(meta.get(k), dict)}
    out = data.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype).startswith(("string", "category")):
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    path = Path(path)
    pyreadstat.write_sav(out, str(path), **keep)
    fix_sav_time(path)
    return path


def write_spss_template(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write an empty SPSS ``.sav`` file with the instrument's full metadata (data-entry template).

    Parameters
    ----------
    instrument : Instrument or str or Path
    path : str or Path
        Output ``.sav`` file.
    lang : {"ru", "en"}
        Language of the labels.

    Returns
    -------
    Path

    Notes
    -----
    One variable per data column (id columns first), with variable labels, value labels of
    numeric codes, user-missing values (``missing_ranges``), measure levels and formats; open
    text items are ``A1000`` strings. See :func:`spss_metadata` for the rules and limits.
    Read it back with ``pyreadstat.read_sav(path, metadataonly=True)``.

    Examples
    --------
    >>> write_spss_template("students", "forms/students.sav")       # doctest: +SKIP

    R equivalent: ``haven::read_sav("forms/students.sav")`` shows the same labels.
    """
    import pyreadstat

    ins = _instrument(instrument)
    p = _path(path)
    if p.suffix.lower() != ".sav":
        raise ParameterError(f"'path' must end with .sav; got {str(path)!r}")
    meta = spss_metadata(ins, lang)
    df = pd.DataFrame({c: pd.Series([], dtype=object if c in meta["string_widths"] else "float64")
                       for c in meta["columns"]})
    # SPSS document lines hold 80 bytes each
    note = [_cut(f"shnro_research: instrument {ins.id} v{ins.version} ({ins.group})", 80),
            _cut(f"source: {Path(ins.path).name if ins.path else '<dict>'}", 80)]
    pyreadstat.write_sav(
        df, str(p), file_label=_cut(ins.title.get(lang), _FILE_LABEL_BYTES),
        column_labels=meta["column_labels"], note=note,
        variable_value_labels=meta["variable_value_labels"],
        missing_ranges=meta["missing_ranges"] or None,
        variable_measure=meta["variable_measure"], variable_format=meta["variable_format"],
        variable_display_width=meta["variable_display_width"])
    fix_sav_time(p)
    return p


# -- codebook ----------------------------------------------------------------------------------

def codebook_table(instrument: Any, lang: str = "ru") -> pd.DataFrame:
    """Codebook: one row per data column, in file order (id columns first).

    Parameters
    ----------
    instrument : Instrument or str or Path
    lang : {"ru", "en"}

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, question, item, section, type, role, label, codes, missing, min,
        max, scales, reverse, measure, spss_format`` (``question`` is the printed number; empty
        for id columns).

    Examples
    --------
    >>> codebook_table("teachers", "en").query("item == 'bo_07'")   # doctest: +SKIP
    """
    ins = _instrument(instrument)
    lang = _lang(lang)
    cb = ins.codebook(lang)
    nums = question_numbers(ins)
    meta = spss_metadata(ins, lang)
    by_col = ins.column_item()
    cb.insert(1, "question", [nums.get(i, pd.NA) for i in cb["item"]])
    cb["question"] = cb["question"].astype("Int64")
    cb.insert(cb.columns.get_loc("type") + 1, "role",
              [by_col[v].role if v in by_col else "" for v in cb["variable"]])
    bounds = [by_col[v].bounds if v in by_col else None for v in cb["variable"]]
    cb.insert(cb.columns.get_loc("missing") + 1, "min",
              [b[0] if b else float("nan") for b in bounds])
    cb.insert(cb.columns.get_loc("min") + 1, "max", [b[1] if b else float("nan") for b in bounds])
    cb["measure"] = [meta["variable_measure"][v] for v in cb["variable"]]
    cb["spss_format"] = [meta["variable_format"][v] for v in cb["variable"]]
    return cb.reset_index(drop=True)


def scales_table(instrument: Any, lang: str = "ru") -> pd.DataFrame:
    """One row per scale: ``scale, label, role, method, min_valid, n_items, items, description``
    (``items`` in psych key notation, ``-`` marking reverse-keyed items)."""
    ins = _instrument(instrument)
    lang = _lang(lang)
    keys = ins.scale_keys()
    rows = [dict(scale=sid, label=sc.label.get(lang), role=sc.role, method=sc.method,
                 min_valid=sc.min_valid, n_items=len(sc.items), items=", ".join(keys[sid]),
                 description=sc.description.get(lang))
            for sid, sc in ins.scales.items()]
    return pd.DataFrame(rows, columns=["scale", "label", "role", "method", "min_valid", "n_items",
                                       "items", "description"])


def write_codebook_xlsx(instrument: Any, path: str | Path, lang: str = "ru") -> Path:
    """Write the codebook (sheet ``codebook``) and the scales (sheet ``scales``) to Excel."""
    ins = _instrument(instrument)
    p = _path(path)
    if p.suffix.lower() != ".xlsx":
        raise ParameterError(f"'path' must end with .xlsx; got {str(path)!r}")
    cb = codebook_table(ins, lang)
    sc = scales_table(ins, lang)
    with pd.ExcelWriter(p, engine="openpyxl") as xw:
        for name, df in (("codebook", cb), ("scales", sc)):
            df.to_excel(xw, sheet_name=name, index=False)
            ws = xw.sheets[name]
            ws.freeze_panes = "B2"
            for j, col in enumerate(df.columns, start=1):
                longest = max([len(str(col))] + [len(str(v)) for v in df[col].head(300)])
                ws.column_dimensions[ws.cell(1, j).column_letter].width = min(max(8, longest + 2),
                                                                             60)
    fix_zip(p)
    return p


# -- several instruments at once -------------------------------------------------------------

def write_forms(instruments: list[Any] | None = None, out: str | Path = "forms",
                lang: str = "ru", formats: list[str] | tuple[str, ...] = FORMATS) -> list[Path]:
    """Write the chosen formats for each instrument into ``out``; return the written paths.

    File names: ``<id>_<lang>.html``, ``<id>_<lang>.docx``, ``<id>_<lang>.sav``,
    ``<id>_codebook_<lang>.xlsx``.
    """
    lang = _lang(lang)
    if isinstance(formats, str):
        formats = [formats]
    for f in formats:
        check_option(f, "formats", FORMATS)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"'out' must be a folder; got the file {str(out)!r}")
    written = []
    for name in (instruments or DEFAULT_INSTRUMENTS):
        ins = _instrument(name)
        if "html" in formats:
            written.append(render_html(ins, out / f"{ins.id}_{lang}.html", lang))
        if "docx" in formats:
            written.append(render_docx(ins, out / f"{ins.id}_{lang}.docx", lang))
        if "sav" in formats:
            written.append(write_spss_template(ins, out / f"{ins.id}_{lang}.sav", lang))
        if "xlsx" in formats:
            written.append(write_codebook_xlsx(ins, out / f"{ins.id}_codebook_{lang}.xlsx", lang))
    return written
