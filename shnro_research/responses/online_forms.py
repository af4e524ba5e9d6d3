"""Import of online-form exports (Google Forms, Yandex Forms) into an instrument's coded columns.

An online form exports one row per submission with the *question texts* as column headers and
the *option texts* as answers. :func:`read_online_form` maps such a table onto the instrument:

Headers (each normalised: case, ё/е, quotes, dashes, runs of spaces, a trailing ``*``/``:``)

* equal to an item's text → that item (single, likert, numeric, text; a multiple-response item
  whose answers are the chosen option texts joined by ``", "`` as Google writes them, or by
  ``";"``);
* ``"Title [Row]"`` (Google's header of a grid question) → the item whose text is ``Row``
  (a grid of likert statements; when two items share a text, e.g. a need rated for importance
  and for realisation, ``Title`` must be their section's title or instruction) or, when
  ``Title`` is the text of a ranking or multiple item, the column of its option ``Row``
  (a ranking asked as a grid of ranks 1..k; a multiple item asked as a checkbox grid);
* equal to an id column's name or label (``"Код школы"``, ``"Код класса"``) → that id column;
  equal to an answer column's name (``ten_01``) → that column;
* a form's own columns — the timestamp (``Timestamp``/«Отметка времени», Yandex's ``ID`` and
  time columns, scores) — are dropped and listed; columns with personal data (e-mail, name,
  phone, login: «Адрес электронной почты», ``Email Address``, ``Name``, «ФИО») are dropped
  *before anything else* and listed; nothing of them reaches the data;
* anything else is an unmatched question, dropped and listed.

Answers are coded by their normalised text (the item's code labels and missing-code labels, in
Russian and English; a number equal to a code is taken as that code, as a linear-scale question
exports it). An answer that matches nothing is set to missing and listed with its row, line,
column and value. Values are matched per distinct text (fast on a million rows).

``resp_id`` is generated (``<prefix><row number>``): a form export has no form number, and the
respondent's e-mail or name is never used. Id columns the export does not have (``wave``, often
``school_id``) are given with ``fixed=``.

What the exports look like (checked against public documentation and examples, see
``docs/DATA_ENTRY.md``): Google Forms (the responses sheet downloaded as CSV): UTF-8 (read
with or without a byte-order mark), comma-separated, first column ``Timestamp`` (Russian interface «Отметка
времени»), an optional ``Email Address`` («Адрес электронной почты») column, question titles as
headers, grid rows as ``"Question [Row]"``, checkbox answers joined by ``", "``. Yandex Forms:
answers downloaded as XLSX or CSV with the question texts as headers and columns of the
answer's id and time first; how Yandex joins several chosen options could not be verified here,
so ``", "``, ``";"`` and line breaks are all accepted as separators (options are recognised
as whole texts, so an option whose text holds a comma is still read right).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._checks import ParameterError, public
from ..errors import DataError
from ..instruments import _ID_LABELS, Instrument, Item, Text, load_instrument
from ..io import ReadResult, read_table

ACTION_MISSING = "set to missing"
ACTION_DROPPED = "column dropped"
ACTION_IGNORED = "ignored, other options kept"

_SERVICE = {"resp_id": ("№ анкеты", "номер анкеты", "form no.", "form number"),
            "class_id": ("класс", "class"), "school_id": ("школа", "school", "номер школы",
                                                          "школа (код)")}

#: Columns the form services add themselves (normalised): Google and Yandex.
_META = ("timestamp", "отметка времени", "время создания", "время изменения", "дата создания",
         "дата и время", "время отправки", "время ответа", "дата ответа", "id", "id ответа",
         "номер ответа", "score", "total score", "баллы", "сумма баллов", "ip", "ip-адрес",
         "user agent", "useragent", "статус", "status", "submission id", "response id",
         "время", "дата")
_PERSONAL = re.compile(
    r"(e-?mail|почт|\bname\b|surname|(?<!\w)имя(?!\w)|(?<!\w)зовут(?!\w)|фамили|отчеств|"
    r"(?<!\w)фио(?!\w)|ф\.и\.о|телефон|phone|логин|login|username|user name|"
    r"паспорт|снилс|адрес проживания|home address|дата рождения|date of birth)")

_QUOTES = str.maketrans({c: "" for c in "«»“”„‟\"'’‘`´"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")
_GRID = re.compile(r"^(.*\S)\s*\[([^\[\]]+)\]\s*$", re.S)
_SEP = re.compile(r"\s*(?:,|;|\n)\s*")
_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:[/\-][A-Za-z0-9_]+)+$")
_QNUM = re.compile(r"^\s*\d{1,3}\s*[.)]\s+")
_NAMES = re.compile(r"^-?\d+(?:\s+-?\d+)*$")
_LEADING_INT = re.compile(r"^\s*(-?\d+)(?:\s|$|[.,)\-])")


def norm_text(s: Any) -> str:
    """A question or answer text compared ignoring case, ё/е, quotes, dashes, runs of spaces and
    a trailing ``*``, ``:`` or ``.``."""
    t = str(s).replace("\ufeff", "").replace("\u00a0", " ").lower().replace("ё", "е")
    t = _DASHES.sub("-", t.translate(_QUOTES))
    t = _SPACES.sub(" ", t).strip()
    return t.rstrip(" *:.").strip()


@dataclass
class FormImport:
    """Result of :func:`read_online_form`.

    Attributes
    ----------
    data : DataFrame
        Id columns, then the instrument's answer columns found in the export, as codes (floats,
        NaN where no answer or an unmatched answer) and open text; ready for
        :func:`~shnro_research.responses.validate_responses`.
    questions : DataFrame
        One row per column of the export: ``header, status, item, columns, message``;
        ``status`` is ``matched``, ``id``, ``form column`` (dropped), ``personal data``
        (dropped), ``ambiguous`` or ``unmatched`` (dropped).
    problems : DataFrame
        Unmatched answers: ``file, row, line, header, column, value, problem, action``
        (``row``: 1-based data row; ``line``: the file's own line where known).
    missing_columns : list of str
        Instrument answer columns the export does not have.
    source : str
        ``google``, ``yandex`` or ``unknown`` (from the form's own columns).
    """

    data: pd.DataFrame
    questions: pd.DataFrame
    problems: pd.DataFrame
    missing_columns: list[str] = field(default_factory=list)
    source: str = "unknown"
    file: str = "data"

    def summary(self) -> pd.DataFrame:
        """Counts: ``section, key, n`` (questions by status, problems by kind, rows)."""
        rows = [("rows", "submissions", len(self.data))]
        for k, n in self.questions["status"].value_counts(sort=False).items():
            rows.append(("questions", str(k), int(n)))
        for k, n in self.problems["problem"].value_counts(sort=False).items():
            rows.append(("problems", str(k), int(n)))
        rows.append(("columns", "instrument columns not in the export",
                     len(self.missing_columns)))
        return pd.DataFrame(rows, columns=["section", "key", "n"])

    def __repr__(self) -> str:
        st = self.questions["status"].value_counts().to_dict()
        return (f"FormImport(file={self.file!r}, source={self.source!r}, rows={len(self.data)}, "
                f"questions={st}, problems={len(self.problems)}, "
                f"missing_columns={len(self.missing_columns)})")


class _Index:
    """Look-up tables of an instrument by normalised text."""

    def __init__(self, ins: Instrument):
        self.ins = ins
        self.by_text: dict[str, list[Item]] = {}
        self.names: dict[str, str] = {}
        self.context: dict[str, set[str]] = {}
        self.item_ids = {it.id: it for it in ins.items}
        self.item_norm = {norm_text(it.id): it for it in ins.items
                          if it.type in ("multiple", "ranking")}
        secs = {s.id: s for s in ins.sections}
        for it in ins.items:
            for lang in ("ru", "en"):
                t = norm_text(it.text.get(lang))
                if t and it not in self.by_text.setdefault(t, []):
                    self.by_text[t].append(it)
            sec = secs.get(it.section)
            self.context[it.id] = {norm_text(x) for x in (
                sec.title.ru, sec.title.en, sec.instruction.ru, sec.instruction.en)
                if x} if sec is not None else set()
        for col in list(ins.id_columns) + ins.columns:
            self.names[norm_text(col)] = col
        for col in ins.id_columns:
            lab = _ID_LABELS.get(col, Text(col))
            for t in (lab.ru, lab.en) + _SERVICE.get(col, ()):
                self.names.setdefault(norm_text(t), col)

    def options(self, it: Item) -> dict[str, int]:
        out = {}
        for k, o in enumerate(it.options):
            for lang in ("ru", "en"):
                out.setdefault(norm_text(o.get(lang)), k)
        return out

    def match(self, header: str) -> tuple[str, Any, str]:
        """``(status, target, message)``; target: a column name, an Item or (Item, option k)."""
        h = norm_text(header)
        if h in self.names:
            col = self.names[h]
            return ("id" if col in self.ins.id_columns else "matched", col, "")
        if h in self.item_norm:                 # a multiple / ranking item by its id
            return "matched", self.item_norm[h], ""
        items = self.by_text.get(h, [])
        if len(items) == 1:
            return "matched", items[0], ""
        if _PATH.match(header.strip()):       # KoBoToolbox / ODK Central: group/name, item/choice
            parts = [x for x in re.split(r"[/\-]", header.strip()) if x]
            if parts and norm_text(parts[-1]) in self.names:
                col = self.names[norm_text(parts[-1])]
                return ("id" if col in self.ins.id_columns else "matched", col, "")
            if parts and norm_text(parts[-1]) in self.item_norm:
                return "matched", self.item_norm[norm_text(parts[-1])], ""
            if len(parts) >= 2:
                it = self.item_ids.get(parts[-2])
                if it is not None and it.type in ("multiple", "ranking") \
                        and parts[-1].isdigit() and 1 <= int(parts[-1]) <= len(it.options):
                    return "matched", (it, int(parts[-1]) - 1), ""
                if it is not None and parts[-1].lstrip("-").isdigit():
                    return ("unmatched", None, "a missing-code choice of a split "
                            "select_multiple; read the item's own column instead")
        m = _GRID.match(header.strip())
        if m:
            title, row = norm_text(m.group(1)), norm_text(m.group(2))
            for it in self.by_text.get(title, []):       # option of a ranking / multiple item
                if it.type in ("ranking", "multiple"):
                    k = self.options(it).get(row)
                    if k is not None:
                        return "matched", (it, k), ""
            cands = self.by_text.get(row, [])
            if len(cands) > 1:
                cands = [it for it in cands if title in self.context[it.id]
                         or any(title in c or c in title for c in self.context[it.id] if c)]
            if len(cands) == 1:
                return "matched", cands[0], ""
            if len(cands) > 1:
                return ("ambiguous", None, "the row text belongs to items "
                        + ", ".join(it.id for it in cands) + "; the grid title matches none of "
                        "their sections")
        if len(items) > 1:
            return ("ambiguous", None, "the text belongs to items "
                    + ", ".join(it.id for it in items)
                    + "; ask it as a grid titled with the section's title")
        num = _QNUM.match(header)
        if num:                              # a question number copied from the printed form
            status, target, msg = self.match(header[num.end():])
            if status != "unmatched":
                return status, target, msg
        return "unmatched", None, "no item of the instrument has this text"


def _answer_codes(it: Item) -> dict[str, float]:
    out: dict[str, float] = {}
    for src in (it.codes, it.missing):
        for c, t in src.items():
            for lang in ("ru", "en"):
                out.setdefault(norm_text(t.get(lang)), float(c))
    return out


def _parse_choices(text: str, options: dict[str, int], missing: dict[str, float]):
    """Chosen options of a joined answer: (option positions, missing code or None, unknown
    pieces). Options are recognised as whole texts (longest first), so an option text holding a
    comma is read right; the split with the fewest unknown pieces wins (dynamic programming)."""
    s = norm_text(text)
    keys = sorted(set(options) | set(missing), key=len, reverse=True)
    n = len(s)
    best: list[tuple[int, list] | None] = [None] * (n + 1)
    best[n] = (0, [])
    for pos in range(n - 1, -1, -1):
        cand = None
        for k in keys:
            if k and s.startswith(k, pos):
                end = pos + len(k)
                m = _SEP.match(s, end)
                nxt = m.end() if (m and m.end() > end) else end
                if nxt == end and end != n:
                    continue                        # an option must end at a separator
                if best[nxt] is not None and (cand is None or best[nxt][0] < cand[0]):
                    cand = (best[nxt][0], [("opt", k)] + best[nxt][1])
        # or an unknown piece up to the next separator
        m = _SEP.search(s, pos)
        if m is not None and m.start() > pos:
            end, nxt = m.start(), m.end()
        elif m is None:
            end, nxt = n, n
        else:
            end = nxt = None
        if end is not None and best[nxt] is not None:
            c = best[nxt][0] + 1
            if cand is None or c < cand[0]:
                cand = (c, [("unknown", s[pos:end])] + best[nxt][1])
        best[pos] = cand
    res = best[0] or (1, [("unknown", s)])
    chosen, miss, unknown = [], None, []
    for kind, t in res[1]:
        if kind == "unknown":
            unknown.append(t)
        elif t in options:
            chosen.append(options[t])
        else:
            miss = missing[t]
    return chosen, miss, unknown


class _Factor:
    """A column as its distinct values and one code per row (``pd.factorize``): every text
    operation runs once per distinct answer, not once per respondent."""

    def __init__(self, s: pd.Series):
        codes, uniq = pd.factorize(s.reset_index(drop=True), use_na_sentinel=True)
        self.codes = codes
        self.uniq = [u.item() if hasattr(u, "item") else u for u in np.asarray(uniq,
                                                                               dtype=object)]
        self.text = [("" if u is None else str(u).strip()) for u in self.uniq]
        ublank = np.array([t == "" for t in self.text] + [True], dtype=bool)   # [-1]: NaN
        self.blank = ublank[codes]

    def take(self, per_unique: np.ndarray, fill=np.nan) -> np.ndarray:
        """Per-row values from one value per distinct answer (``fill`` where blank)."""
        per_unique = np.asarray(per_unique)
        if per_unique.shape[0] == 0:
            return np.full((len(self.codes),) + per_unique.shape[1:], fill,
                           dtype=object if fill is None or isinstance(fill, str) else float)
        out = per_unique[np.where(self.codes < 0, 0, self.codes)]
        if per_unique.ndim == 1:
            out = np.where(self.blank, fill, out)
        else:
            out = np.where(self.blank[:, None], fill, out)
        return out


def _number(t: str) -> float:
    try:
        return float(t.replace(",", ".").replace(" ", ""))
    except ValueError:
        return np.nan


@public
def read_online_form(data: Any, instrument: Instrument | str, *,
                     fixed: Mapping[str, Any] | None = None, id_prefix: str | None = None,
                     rename: Mapping[str, str] | None = None, encoding: str | None = None,
                     sep: str | None = None) -> FormImport:
    """Map a Google Forms / Yandex Forms export (question texts as headers, option texts as
    answers) onto an instrument's coded columns.

    Parameters
    ----------
    data : str or Path or DataFrame or ReadResult
        The export (CSV or XLSX, read by :func:`shnro_research.io.read_table`) or a table
        already read. Never modified.
    instrument : Instrument or str
        The questionnaire the form was built from (object, bundled name or YAML path).
    fixed : mapping, optional
        Values of id columns the export does not have, e.g. ``{"wave": 2023}`` or
        ``{"school_id": "S07", "wave": 2023}`` (a form link sent to one school). An id column
        both in the export and in ``fixed`` is a :class:`ParameterError`.
    id_prefix : str, optional
        Prefix of the generated ``resp_id`` (``<prefix>00001`` ...; default
        ``"<instrument>-<wave>-"`` with the fixed wave, else ``"<instrument>-form-"``). Ids must
        be unique within a wave: give each export of one wave its own prefix. Used only when no
        column maps to ``resp_id``.
    rename : mapping, optional
        Explicit ``{export header: instrument column}`` pairs, applied before matching texts.
    encoding, sep
        As for :func:`~shnro_research.io.read_table` (default: detected; Google's CSV is UTF-8,
        comma-separated).

    Returns
    -------
    FormImport
        ``data`` (coded, instrument names), ``questions`` (what each header became),
        ``problems`` (unmatched answers with row, line, column, value), ``missing_columns``.

    Notes
    -----
    Answers are matched by normalised text (:func:`norm_text`) to the item's code labels and
    missing-code labels (Russian or English wording); a number equal to a code is that code.
    A multiple item answered in one column becomes 1 for each chosen option and 0 for the others;
    an empty cell is no answer (all its columns missing; a form cannot tell "none ticked" from
    "skipped"); a chosen missing-code option («Затрудняюсь ответить») sets all its columns to
    that code. A ranking asked as a grid ``"Question [option]"`` takes each cell's rank (a
    number, or text starting with it). Unmatched answers become missing and are listed in
    ``problems``; the validator (:func:`~shnro_research.responses.validate_responses`) then
    applies the instrument's rules to the coded data.

    Examples
    --------
    >>> imp = read_online_form("students_2023_google.csv", "students",
    ...                        fixed={"wave": 2023})                   # doctest: +SKIP
    >>> imp.questions.query("status != 'matched'")                     # doctest: +SKIP
    >>> res = validate_responses(imp.data, "students")                 # doctest: +SKIP

    There is no R equivalent; by hand: ``dplyr::recode()`` of each column from the option texts
    to the codes after ``readr::read_csv()``.
    """
    ins = load_instrument(instrument) if isinstance(instrument, (str, Path)) else instrument
    if not isinstance(ins, Instrument):
        raise ParameterError("'instrument' must be an Instrument, a bundled name or a YAML path; "
                             f"got {type(instrument).__name__}")
    fname, lines = "data", None
    if isinstance(data, (str, Path)):
        data = read_table(data, encoding=encoding, sep=sep)
    if isinstance(data, ReadResult):
        fname, lines = data.report.file, getattr(data.report, "lines", None)
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise ParameterError("'data' must be a file path, a DataFrame or a ReadResult; got "
                             f"{type(data).__name__}")
    fixed = dict(fixed or {})
    for k in fixed:
        if k not in ins.id_columns:
            raise ParameterError(f"'fixed': {k!r} is not an id column of {ins.id!r} "
                                 f"({list(ins.id_columns)})")
    rename = dict(rename or {})
    targets = set(ins.id_columns) | set(ins.columns)
    for h, c in rename.items():
        if c not in targets:
            raise ParameterError(f"'rename': {c!r} is not a column of {ins.id!r}")
    n = len(data)
    idx = _Index(ins)
    qrows: list[dict] = []
    prob: list[pd.DataFrame] = []
    out: dict[str, Any] = {}
    seen_meta: set[str] = set()

    def log(mask: np.ndarray, header: str, column: str, values: Any, problem: str,
            action: str = ACTION_MISSING) -> None:
        pos = np.flatnonzero(mask)
        if len(pos) == 0:
            return
        vals = (values.iloc[pos].astype(str).to_numpy() if isinstance(values, pd.Series)
                else np.asarray(values, dtype=object)[pos])
        prob.append(pd.DataFrame({
            "file": fname, "row": pos + 1,
            "line": (np.asarray(lines)[pos] if lines is not None and len(lines) == n
                     else pd.array([pd.NA] * len(pos), dtype="Int64")),
            "header": header, "column": column, "value": vals, "problem": problem,
            "action": action}))

    def put(col: str, values: np.ndarray, header: str) -> bool:
        if col in out:
            qrows.append(dict(header=header, status="ambiguous", item=col, columns=col,
                              message=f"a second export column for {col!r}; dropped"))
            return False
        out[col] = values
        return True

    for header in map(str, data.columns):
        s = data[header].reset_index(drop=True)
        h = norm_text(header)
        if header in rename:
            status, target, msg = ("id" if rename[header] in ins.id_columns else "matched",
                                   rename[header], "rename")
        elif _PERSONAL.search(h) and h not in idx.by_text:
            qrows.append(dict(header=header, status="personal data", item="", columns="",
                              message="personal data: dropped, never read"))
            continue
        elif h in _META:
            seen_meta.add(h)
            qrows.append(dict(header=header, status="form column", item="", columns="",
                              message="column of the form service: dropped"))
            continue
        else:
            status, target, msg = idx.match(header)
        if status in ("unmatched", "ambiguous"):
            qrows.append(dict(header=header, status=status, item="", columns="", message=msg))
            continue
        if isinstance(target, str):                     # an id column or a named answer column
            col = target
            if col in ins.id_columns:
                f = _Factor(s)
                vals = np.array([u.strip() if isinstance(u, str) else u for u in f.uniq] or [None],
                                dtype=object)
                if put(col, f.take(vals, fill=None), header):
                    qrows.append(dict(header=header, status="id", item=col, columns=col,
                                      message=msg))
                continue
            it = ins.column_item()[col]
            k = it.columns.index(col)
            target = (it, k) if it.type in ("multiple", "ranking") else it
        if isinstance(target, tuple):                   # one option column of a grid
            it, k = target
            col = it.columns[k]
            vals = _grid_cell(s, it, log, header, col)
            if put(col, vals, header):
                qrows.append(dict(header=header, status="matched", item=it.id, columns=col,
                                  message=msg))
            continue
        it = target
        if it.type == "multiple":
            block = _multiple(s, it, idx, log, header)
            if all(put(c, block[:, j], header) for j, c in enumerate(it.columns)):
                qrows.append(dict(header=header, status="matched", item=it.id,
                                  columns=f"{it.columns[0]}..{it.columns[-1]}", message=msg))
            continue
        if it.type == "ranking":
            block = _rank_order(s, it, log, header)
            if all(put(c, block[:, j], header) for j, c in enumerate(it.columns)):
                qrows.append(dict(header=header, status="matched", item=it.id,
                                  columns=f"{it.columns[0]}..{it.columns[-1]}", message=msg))
            continue
        vals = _single(s, it, log, header)
        if put(it.id, vals, header):
            qrows.append(dict(header=header, status="matched", item=it.id, columns=it.id,
                              message=msg))

    for k, v in fixed.items():
        if k in out:
            raise ParameterError(f"'fixed': {k!r} is also a column of the export; drop one")
        out[k] = np.full(n, v, dtype=object)
    if "resp_id" in ins.id_columns and "resp_id" not in out:
        if id_prefix is None:
            id_prefix = f"{ins.id}-{fixed['wave']}-" if "wave" in fixed else f"{ins.id}-form-"
        width = max(5, len(str(n)))
        out["resp_id"] = np.array([f"{id_prefix}{i:0{width}d}" for i in range(1, n + 1)],
                                  dtype=object)
    absent = [c for c in ins.id_columns if c not in out]
    if absent:
        raise DataError(f"{fname}: id column(s) {absent} of instrument {ins.id!r} are neither in "
                        "the export (by name or label, e.g. 'Код школы') nor given with "
                        "fixed={...}")
    order = list(ins.id_columns) + [c for c in ins.columns if c in out]
    frame = pd.DataFrame({c: out[c] for c in order})
    questions = pd.DataFrame(qrows, columns=["header", "status", "item", "columns", "message"])
    problems = (pd.concat(prob, ignore_index=True) if prob else
                pd.DataFrame(columns=["file", "row", "line", "header", "column", "value",
                                      "problem", "action"]))
    if len(problems):
        problems = problems.sort_values(["row", "column"], kind="stable").reset_index(drop=True)
        problems["row"] = problems["row"].astype("Int64")
        problems["line"] = pd.array(problems["line"], dtype="Int64")
    source = ("google" if seen_meta & {"timestamp", "отметка времени"} else
              "yandex" if seen_meta & {"id", "время создания", "id ответа"} else "unknown")
    return FormImport(frame, questions, problems,
                      [c for c in ins.columns if c not in out], source, fname)


def _single(s: pd.Series, it: Item, log, header: str) -> np.ndarray:
    """One column of a single / likert / numeric / text item, coded."""
    f = _Factor(s)
    if it.type == "text":
        return f.take(np.array(f.uniq, dtype=object), fill=None)
    codes = _answer_codes(it)
    valid = set(codes.values())
    uv = np.full(len(f.uniq), np.nan)
    for j, t in enumerate(f.text):
        c = codes.get(norm_text(t))
        if c is None:
            c = _number(t)
            if it.type in ("single", "likert") and c not in valid:   # a number must be a code
                c = np.nan
        uv[j] = c
    out = f.take(uv)
    log(~f.blank & np.isnan(out), header, it.id, s,
        "unknown_answer" if it.type != "numeric" else "not_a_number")
    return out


def _choice_names(text: str, it: Item):
    """Chosen options given as choice names (``"01 03"``, as ODK and KoBoToolbox export a
    ``select_multiple``), or None when the text is not such a list."""
    t = str(text).strip()
    if not _NAMES.match(t):
        return None
    chosen, miss, unknown = [], None, []
    for tok in t.split():
        v = int(tok)
        if 1 <= v <= len(it.options) and len(tok) >= 2:
            chosen.append(v - 1)
        elif v in it.missing:
            miss = float(v)
        else:
            unknown.append(tok)
    return chosen, miss, unknown


def _multiple(s: pd.Series, it: Item, idx: _Index, log, header: str) -> np.ndarray:
    """The 0/1 columns of a multiple item answered in one column (joined option texts)."""
    k = len(it.columns)
    f = _Factor(s)
    opts = idx.options(it)
    miss = {norm_text(t.get(lang)): float(c) for c, t in it.missing.items()
            for lang in ("ru", "en")}
    block = np.full((len(f.uniq), k), np.nan)
    unknown = np.zeros(len(f.uniq), dtype=bool)
    nothing = np.zeros(len(f.uniq), dtype=bool)
    shown = np.full(len(f.uniq), "", dtype=object)
    for j, t in enumerate(f.text):
        if t == "":
            continue
        chosen, mcode, unk = _choice_names(t, it) or _parse_choices(t, opts, miss)
        if mcode is not None and not chosen:
            block[j] = mcode
        elif chosen:
            block[j] = 0.0
            block[j, chosen] = 1.0
        else:
            nothing[j] = True
        unknown[j] = bool(unk)
        shown[j] = "; ".join(unk)
    out = f.take(block)
    if unknown.any():
        vals = f.take(shown, fill="")
        unk_rows = f.take(unknown, fill=False).astype(bool)
        none_rows = f.take(nothing, fill=False).astype(bool)
        col = f"{it.columns[0]}..{it.columns[-1]}"
        log(unk_rows & ~none_rows, header, col, vals, "unknown_option", ACTION_IGNORED)
        log(none_rows, header, col, vals, "unknown_option")
    return out


def _rank_order(s: pd.Series, it: Item, log, header: str) -> np.ndarray:
    """The rank columns of a ranking answered in one column: the options in rank order (as ODK's
    ``rank`` widget exports them: choice names ``01 .. k`` separated by spaces, most important
    first). An answer that is not an order of all k options is set to missing and listed."""
    k = len(it.columns)
    f = _Factor(s)
    block = np.full((len(f.uniq), k), np.nan)
    ok = np.zeros(len(f.uniq), dtype=bool)
    for j, t in enumerate(f.text):
        toks = [x for x in re.split(r"[\s,;]+", t) if x]
        if not toks or not all(x.isdigit() for x in toks):
            continue
        order = [int(x) for x in toks]
        if sorted(order) == list(range(1, k + 1)):
            block[j, np.array(order) - 1] = np.arange(1, k + 1)
            ok[j] = True
    out = f.take(block)
    bad = ~f.blank & ~f.take(ok, fill=False).astype(bool)
    log(bad, header, f"{it.columns[0]}..{it.columns[-1]}", s, "not_a_rank_order")
    return out


def _grid_cell(s: pd.Series, it: Item, log, header: str, col: str) -> np.ndarray:
    """One option column of a ranking grid (ranks) or a checkbox grid (ticked -> 1)."""
    f = _Factor(s)
    miss = {norm_text(t.get(lang)): float(c) for c, t in it.missing.items()
            for lang in ("ru", "en")}
    uv = np.full(len(f.uniq), np.nan)
    for j, raw in enumerate(f.text):
        t = norm_text(raw)
        if t in miss:
            uv[j] = miss[t]
        elif it.type == "ranking":
            m = _LEADING_INT.match(t + " ")
            uv[j] = float(m.group(1)) if m else _number(t)
        else:   # checkbox grid: a ticked cell holds the column's text, "да", "yes" or 1
            uv[j] = 0.0 if t in ("0", "нет", "no", "не выбрано", "not chosen") else 1.0
    out = f.take(uv)
    log(~f.blank & np.isnan(out), header, col, s, "unknown_answer")
    return out


@public
def write_form_report(result: FormImport, folder: str | Path, name: str = "form") -> list[Path]:
    """Write ``<name>_questions.csv`` and ``<name>_problems.csv`` (UTF-8 with BOM, as Excel
    opens them) into ``folder``; return the paths."""
    if not isinstance(result, FormImport):
        raise ParameterError(f"'result' must be a FormImport; got {type(result).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in ("questions", "problems"):
        p = folder / f"{name}_{part}.csv"
        getattr(result, part).to_csv(p, index=False, encoding="utf-8-sig")
        paths.append(p)
    return paths

