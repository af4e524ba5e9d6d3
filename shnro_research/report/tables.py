"""Publication tables: one tidy DataFrame -> DOCX, XLSX, LaTeX, HTML or Markdown, APA style.

Every table of the study is a tidy DataFrame with the package's column vocabulary
(``est, se, ci_low, ci_high, df, n, deff, p_value`` ...). :func:`format_table` turns it into
text cells (labels in Russian or English, fixed digits, decimal comma, ``[lo; hi]`` intervals,
APA p-values); :func:`export_table` writes the formatted table in the format named by the file
suffix. The numbers themselves are never changed; only their presentation.

APA conventions followed: table number and italic title above, horizontal rules only (top, under
the header, bottom), a note below starting «Примечание.» / «Note.», p-values as ``< .001``
without a leading zero in English (Russian practice keeps the zero: ``< 0,001``).
"""
from __future__ import annotations

import copy
import html
import math
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence
from xml.sax.saxutils import escape as _xml_escape

import numpy as np
import pandas as pd

from .._checks import DataError, ParameterError, check_number, check_option
from .._reproducible import fix_zip

FORMATS = ("docx", "xlsx", "tex", "html", "md", "csv")

from .privacy import escape_formula, escape_formulas
from .labels import COLUMN_LABELS as LABELS, VALUE_LABELS  # noqa: E402  (one glossary)

# columns bounded by 1 in absolute value: APA drops the leading zero in English
_BOUNDED = {"p_value", "p_adjusted", "alpha", "omega", "icc", "r", "rwg", "rwg_j", "share"}


@dataclass(frozen=True)
class TableStyle:
    """How numbers are written.

    Parameters
    ----------
    lang : {"ru", "en"}
    decimal : {",", "."}
        Decimal separator; default ``","`` in Russian, ``"."`` in English.
    digits : int
        Digits after the separator for estimates; ``n`` and ``df`` whole numbers.
    p_digits : int
        Digits for p-values (smaller values are written ``< .001``).
    """

    lang: str = "ru"
    decimal: str | None = None
    digits: int = 2
    p_digits: int = 3

    def __post_init__(self):
        check_option(self.lang, "lang", ("ru", "en"))
        if self.decimal is not None:
            check_option(self.decimal, "decimal", (",", "."))
        check_number(self.digits, "digits", low=0, high=10, integer=True)
        check_number(self.p_digits, "p_digits", low=1, high=10, integer=True)

    @property
    def sep(self) -> str:
        return self.decimal or ("," if self.lang == "ru" else ".")


def _label(col: str, lang: str, labels: Mapping[str, str] | None) -> str:
    if labels and col in labels:
        return labels[col]
    if col in LABELS:
        return LABELS[col][0 if lang == "ru" else 1]
    return col


def format_number(x, digits: int, sep: str = ".", *, leading_zero: bool = True) -> str:
    """Fixed-point text of a number; ``""`` for missing; minus sign as U+2212."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(x)
    if not isinstance(x, (int, float, np.integer, np.floating)):
        return str(x)
    if not np.isfinite(x):
        return "∞" if x > 0 else "−∞"
    s = f"{float(x):.{digits}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    if not leading_zero and (s.startswith("0.") or s.startswith("-0.")):
        s = s.replace("0.", ".", 1)
    return s.replace("-", "−").replace(".", sep)


def format_p(p, style: TableStyle) -> str:
    """APA p-value: ``< .001`` below 10^-p_digits, otherwise fixed digits."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    lz = style.lang != "en"
    floor = 10 ** -style.p_digits
    if p < floor:
        return "< " + format_number(floor, style.p_digits, style.sep, leading_zero=lz)
    return format_number(p, style.p_digits, style.sep, leading_zero=lz)


def format_table(df: pd.DataFrame, style: TableStyle | None = None, *,
                 labels: Mapping[str, str] | None = None,
                 digits: Mapping[str, int] | None = None,
                 combine_ci: bool = True) -> pd.DataFrame:
    """Text cells of a tidy table, ready to print.

    ``ci_low``/``ci_high`` become one column ``[lo; hi]``; counts are whole numbers; p-values
    in APA form; group names and levels translated; column names labelled.
    """
    cells = _format_cells(df, style, labels=labels, digits=digits, combine_ci=combine_ci)
    return pd.DataFrame(cells.data, index=range(len(cells)))


class _Cells:
    """The text cells of a formatted table (column -> list of str) and its number of rows: what
    the writers read, without building (and reading back) a DataFrame of text columns."""

    __slots__ = ("data", "n")

    def __init__(self, data: dict[str, list[str]], n: int):
        self.data, self.n = data, n

    @property
    def columns(self) -> list[str]:
        return list(self.data)

    def __len__(self) -> int:
        return self.n

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.data, index=range(self.n))


def _format_cells(df: pd.DataFrame, style: TableStyle | None = None, *,
                  labels: Mapping[str, str] | None = None,
                  digits: Mapping[str, int] | None = None,
                  combine_ci: bool = True) -> _Cells:
    """:func:`format_table` as :class:`_Cells`."""
    style = style or TableStyle()
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"'df' must be a pandas DataFrame; got {type(df).__name__}")
    digits = dict(digits or {})
    out = {}
    cols = list(df.columns)
    for col in cols:
        if combine_ci and col == "ci_high" and "ci_low" in cols:
            continue
        s = df[col]
        if combine_ci and col == "ci_low" and "ci_high" in cols:
            d = digits.get("ci", style.digits)
            lo = [format_number(v, d, style.sep) for v in s]
            hi = [format_number(v, d, style.sep) for v in df["ci_high"]]
            out[_label("ci", style.lang, labels)] = [
                f"[{a}; {b}]" if a and b else "" for a, b in zip(lo, hi)]
            continue
        name = _label(col, style.lang, labels)
        if col in ("p_value", "p_adjusted"):
            out[name] = [format_p(v, style) for v in s]
        elif col in ("n", "df") or pd.api.types.is_integer_dtype(s):
            d = digits.get(col, 0 if col == "n" or pd.api.types.is_integer_dtype(s) else 1)
            if col == "df" and np.allclose(s.dropna() % 1, 0):
                d = 0
            out[name] = [format_number(v, d, style.sep) for v in s]
        elif pd.api.types.is_float_dtype(s):
            lz = not (style.lang == "en" and col in _BOUNDED)
            out[name] = [format_number(v, digits.get(col, style.digits), style.sep,
                                       leading_zero=lz) for v in s]
        else:
            i = 0 if style.lang == "ru" else 1
            out[name] = ["" if (v is None or (isinstance(v, float) and math.isnan(v)))
                         else VALUE_LABELS.get(str(v), (str(v), str(v)))[i] for v in s]
    return _Cells(out, len(df))


# -- writers ------------------------------------------------------------------------------------

def export_table(df: pd.DataFrame, path: str | Path, *, title: str = "", note: str = "",
                 number: int | None = None, style: TableStyle | None = None,
                 labels: Mapping[str, str] | None = None,
                 digits: Mapping[str, int] | None = None,
                 panels: Sequence[tuple[str, pd.DataFrame]] | None = None) -> Path:
    """Write a tidy table for a paper or report; the format comes from the file suffix.

    Parameters
    ----------
    df : DataFrame
        Tidy table (vocabulary columns are labelled and formatted).
    path : str or Path
        ``.docx``, ``.xlsx``, ``.tex``, ``.html``, ``.md`` or ``.csv``.
    title, note, number :
        APA caption parts: «Таблица 1», italic title, note below.
    panels : list of (heading, DataFrame), optional
        Extra blocks printed under the main one with their own heading row — e.g. variance
        components under the fixed effects of a multilevel model (never mixed with them).

    Returns
    -------
    Path of the written file.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt == "markdown":
        fmt = "md"
    check_option(fmt, "path suffix", FORMATS)
    style = style or TableStyle()
    blocks = [("", _format_cells(df, style, labels=labels, digits=digits))]
    for head, pdf in panels or []:
        blocks.append((head, _format_cells(pdf, style, labels=labels, digits=digits)))
    caption = ""
    if number is not None:
        caption = ("Таблица " if style.lang == "ru" else "Table ") + str(number)
    note_lead = "Примечание. " if style.lang == "ru" else "Note. "
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = {"docx": _write_docx, "xlsx": _write_xlsx, "tex": _write_latex,
              "html": _write_html, "md": _write_markdown, "csv": _write_csv}[fmt]
    writer(path, blocks, caption, title, (note_lead + note) if note else "")
    return path


def _header(blocks) -> list[str]:
    cols: list[str] = []
    for _, b in blocks:
        for c in b.columns:
            if c not in cols:
                cols.append(c)
    return cols


def _rows(blocks, cols):
    """Yield ('head', text) for panel headings and ('row', [cells]) for rows: the text of every
    cell, ``""`` where the block has no such column or the value is missing."""
    for head, b in blocks:
        if head:
            yield "head", head
        if isinstance(b, _Cells):                   # text already: no conversion
            columns = [b.data[c] if c in b.data else [""] * b.n for c in cols]
            if cols:
                for rec in zip(*columns):
                    yield "row", list(rec)
            else:
                for _ in range(b.n):
                    yield "row", []
            continue
        if not b.columns.is_unique or not cols:     # rare: the general (slow) path
            for rec in b.reindex(columns=cols).astype(object).fillna("").itertuples(index=False):
                yield "row", [str(v) for v in rec]
            continue
        columns = [_cell_texts(b[c]) if c in b.columns else [""] * len(b) for c in cols]
        for rec in zip(*columns):
            yield "row", list(rec)


def _cell_texts(s: pd.Series) -> list[str]:
    """``str`` of every value of a column, ``""`` for a missing one (None, NaN, NA, NaT)."""
    values = (s.tolist() if s.dtype == object or isinstance(s.dtype, pd.StringDtype)
              else s.astype(object).tolist())
    return [v if type(v) is str else ("" if v is None or pd.isna(v) is True else str(v))
            for v in values]


def _write_csv(path, blocks, caption, title, note):
    cols = _header(blocks)
    frames = []
    for head, b in blocks:
        if isinstance(b, _Cells):
            b = b.frame()
        b = b.reindex(columns=cols).astype(object).fillna("")
        if head:
            frames.append(pd.DataFrame([[head] + [""] * (len(cols) - 1)], columns=cols))
        frames.append(b)
    escape_formulas(pd.concat(frames)).to_csv(path, index=False, encoding="utf-8-sig")


def _write_markdown(path, blocks, caption, title, note):
    cols = _header(blocks)
    lines = []
    if caption or title:
        lines += [f"**{caption}**" if caption else "", f"*{title}*" if title else "", ""]
    esc = lambda s: str(s).replace("|", "\\|")
    lines.append("| " + " | ".join(esc(c) for c in cols) + " |")
    lines.append("|" + "|".join(":---" if i == 0 else "---:" for i in range(len(cols))) + "|")
    for kind, val in _rows(blocks, cols):
        if kind == "head":
            lines.append("| **" + esc(val) + "** |" + " |" * (len(cols) - 1))
        else:
            lines.append("| " + " | ".join(esc(v) for v in val) + " |")
    if note:
        lines += ["", note]
    path.write_text("\n".join(l for l in lines if l is not None) + "\n", encoding="utf-8")


def _write_html(path, blocks, caption, title, note):
    path.write_text("<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">"
                    f"<title>{html.escape(title or caption)}</title>"
                    f"<style>{TABLE_CSS}</style></head><body>\n"
                    + html_table(blocks, caption, title, note) + "</body></html>\n",
                    encoding="utf-8")


TABLE_CSS = (
    "table.apa{border-collapse:collapse;font-family:'Times New Roman',serif;font-size:11pt;"
    "margin:1em 0}table.apa caption{text-align:left;caption-side:top;padding-bottom:.4em}"
    "table.apa thead th{border-top:1.5px solid #000;border-bottom:1px solid #000;"
    "padding:3px 8px;text-align:center;font-weight:normal}"
    "table.apa td{padding:2px 8px;text-align:right}table.apa td:first-child{text-align:left}"
    "table.apa tbody tr:last-child td{border-bottom:1.5px solid #000}"
    "table.apa td.panel{font-style:italic;text-align:left;padding-top:6px}"
    "p.apa-note{font-family:'Times New Roman',serif;font-size:10pt;max-width:50em}")


def html_table(blocks, caption="", title="", note="") -> str:
    """An APA-style ``<table>`` fragment (used by the HTML writer and the study report)."""
    if isinstance(blocks, pd.DataFrame):
        blocks = [("", blocks)]
    cols = _header(blocks)
    out = ['<table class="apa">']
    if caption or title:
        out.append(f"<caption><b>{html.escape(caption)}</b><br><i>{html.escape(title)}</i>"
                   "</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
               + "</tr></thead><tbody>")
    for kind, val in _rows(blocks, cols):
        if kind == "head":
            out.append(f'<tr><td class="panel" colspan="{len(cols)}">{html.escape(val)}</td></tr>')
        else:
            out.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in val) + "</tr>")
    out.append("</tbody></table>")
    if note:
        out.append(f'<p class="apa-note">{html.escape(note)}</p>')
    return "\n".join(out) + "\n"


def _latex_escape(s: str) -> str:
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
           "<": r"$<$", ">": r"$>$", "−": r"$-$"}
    return "".join(rep.get(ch, ch) for ch in str(s))


def _write_latex(path, blocks, caption, title, note):
    cols = _header(blocks)
    spec = "l" + "r" * (len(cols) - 1)
    lines = ["% requires \\usepackage{booktabs}; Cyrillic needs \\usepackage[russian]{babel}",
             "\\begin{table}[htbp]", "\\centering"]
    if caption or title:
        lines.append(f"\\caption{{{_latex_escape(title or caption)}}}")
    lines += [f"\\begin{{tabular}}{{{spec}}}", "\\toprule",
              " & ".join(_latex_escape(c) for c in cols) + " \\\\", "\\midrule"]
    for kind, val in _rows(blocks, cols):
        if kind == "head":
            lines.append(f"\\multicolumn{{{len(cols)}}}{{l}}{{\\textit{{{_latex_escape(val)}}}}} \\\\")
        else:
            lines.append(" & ".join(_latex_escape(v) for v in val) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    if note:
        lines.append(f"\\par\\smallskip{{\\footnotesize {_latex_escape(note)}}}")
    lines.append("\\end{table}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_xlsx(path, blocks, caption, title, note):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    cols = _header(blocks)
    wb = Workbook()
    ws = wb.active
    ws.title = "Table"
    r = 1
    if caption:
        ws.cell(r, 1, escape_formula(caption)).font = Font(bold=True)
        r += 1
    if title:
        ws.cell(r, 1, escape_formula(title)).font = Font(italic=True)
        r += 1
    thick, thin = Side(style="medium"), Side(style="thin")
    made: dict[str, object] = {}

    def style(cell, key: str, **attrs) -> None:
        """Give the cell a style: the first time by its attributes (openpyxl registers them in
        the same order as before), then as a copy of that cell's style array (no new objects
        to build, hash and look up for every cell; the same style ids)."""
        if key in made:
            cell._style = copy.copy(made[key])
            return
        for name, value in attrs.items():
            setattr(cell, name, value)
        made[key] = cell._style

    for j, c in enumerate(cols, 1):
        style(ws.cell(r, j, escape_formula(c)), "header", border=Border(top=thick, bottom=thin),
              alignment=Alignment(horizontal="center", wrap_text=True))
    first = r + 1
    for kind, val in _rows(blocks, cols):
        r += 1
        if kind == "head":
            ws.cell(r, 1, escape_formula(val)).font = Font(italic=True)
        else:
            for j, v in enumerate(val, 1):
                if j == 1:
                    style(ws.cell(r, j, escape_formula(v)), "left",
                          alignment=Alignment(horizontal="left"))
                else:
                    style(ws.cell(r, j, escape_formula(v)), "right",
                          alignment=Alignment(horizontal="right"))
    if r >= first:
        for j in range(1, len(cols) + 1):
            ws.cell(r, j).border = Border(bottom=thick)
    if note:
        ws.cell(r + 1, 1, escape_formula(note)).font = Font(size=9)
    for j, c in enumerate(cols, 1):
        width = max([len(str(c))] + [len(str(ws.cell(i, j).value or ""))
                                     for i in range(first, r + 1)])
        ws.column_dimensions[ws.cell(1, j).column_letter].width = min(60, width + 2)
    # fixed document properties: identical bytes on a rerun
    import datetime as _dt
    fixed = _dt.datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "shnro_research"
    wb.save(path)
    fix_zip(path)


def docx_table(document, blocks, caption="", title="", note="", font_size=10):
    """Append an APA-style table to a python-docx ``Document`` (used by the report too).

    Caption, title, table and note are written as one WordprocessingML string and parsed once
    (python-docx cell by cell costs ~0.2 ms a cell); the XML is the one python-docx writes for
    the same table: bold caption, italic title, even column widths over the text block, every
    cell one paragraph of one run in ``font_size`` (header centred, first column left, the
    others right, panel headings italic over the whole width), rules on top, under the header
    and at the bottom, the note a point smaller. A text with a character XML 1.0 forbids
    (controls other than tab and line breaks, U+FFFE, U+FFFF, lone surrogates) raises
    :class:`~shnro_research.errors.DataError` naming the row and column.
    """
    from docx.oxml import parse_xml
    from docx.oxml.simpletypes import ST_HpsMeasure
    from docx.shared import Emu, Inches, Pt
    from docx.table import Table

    if isinstance(blocks, pd.DataFrame):
        blocks = [("", blocks)]
    cols = _header(blocks)
    rows = list(_rows(blocks, cols))
    sec = document.sections[-1]             # python-docx's block width and column width
    block = Emu((sec.page_width or Inches(8.5)) - (sec.left_margin or Inches(1))
                - (sec.right_margin or Inches(1)))
    width = Emu(block // len(cols)).twips if cols else 0
    sz = ST_HpsMeasure.convert_to_xml(Pt(font_size))
    plain = f'<w:rPr><w:i w:val="0"/><w:sz w:val="{sz}"/></w:rPr>'
    italic = f'<w:rPr><w:i/><w:sz w:val="{sz}"/></w:rPr>'
    top, mid, bottom = (f'<w:{edge} w:val="single" w:sz="{s}" w:color="000000"/>'
                        for edge, s in (("top", 12), ("bottom", 6), ("bottom", 12)))
    last = len(rows)                        # index of the bottom row (0: the header alone)
    out = [f"<w:body {_W_NS}>"]
    if caption:
        out.append(f"<w:p><w:r><w:rPr><w:b/></w:rPr>"
                   f"{_run_xml(_xml_text(caption, None, 'caption'))}</w:r></w:p>")
    if title:
        out.append(f"<w:p><w:r><w:rPr><w:i/></w:rPr>"
                   f"{_run_xml(_xml_text(title, None, 'title'))}</w:r></w:p>")
    out.append('<w:tbl><w:tblPr><w:tblW w:type="auto" w:w="0"/><w:tblLook w:firstColumn="1" '
               'w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" '
               'w:val="04A0"/></w:tblPr><w:tblGrid>'
               + f'<w:gridCol w:w="{width}"/>' * len(cols) + "</w:tblGrid>")

    def tc(width, borders, text, rpr, jc, span=""):
        b = f"<w:tcBorders>{borders}</w:tcBorders>" if borders else ""
        pp = f'<w:pPr><w:jc w:val="{jc}"/></w:pPr>' if jc else ""
        return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{span}{b}</w:tcPr>'
                f"<w:p>{pp}<w:r/><w:r>{rpr}{_run_xml(text)}</w:r></w:p></w:tc>")

    head_b = top + mid + (bottom if last == 0 else "")
    out.append("<w:tr>" + "".join(tc(width, head_b, _xml_text(c, 0, c), plain, "center")
                                   for c in cols) + "</w:tr>")
    right = ["left"] + ["right"] * (len(cols) - 1)
    for i, (kind, val) in enumerate(rows, 1):
        b = bottom if i == last else ""
        if kind == "head":
            span = f'<w:gridSpan w:val="{len(cols)}"/>' if len(cols) > 1 else ""
            out.append("<w:tr>" + tc(width * len(cols), b, _xml_text(val, i, cols[0]), italic,
                                     None, span) + "</w:tr>")
        else:
            out.append("<w:tr>" + "".join(tc(width, b, _xml_text(v, i, c), plain, a)
                                           for v, c, a in zip(val, cols, right))
                       + "</w:tr>")
    out.append("</w:tbl>")
    if note:
        small = ST_HpsMeasure.convert_to_xml(Pt(font_size - 1))
        out.append(f'<w:p><w:r><w:rPr><w:sz w:val="{small}"/></w:rPr>'
                   f"{_run_xml(_xml_text(note, None, 'note'))}</w:r></w:p>")
    out.append("</w:body>")
    body = document.element.body
    sect = body.sectPr
    tbl = None
    for el in list(parse_xml("".join(out))):    # before the section properties, as python-docx
        el = copy.deepcopy(el)      # moving a parsed node to another document is quadratic in lxml
        if sect is not None:
            sect.addprevious(el)
        else:
            body.append(el)
        if el.tag.endswith("}tbl"):
            tbl = el
    return Table(tbl, document._body)


_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
# characters XML 1.0 forbids (lxml refused them in python-docx's run.text: the same rule)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_RUN_BREAKS = re.compile(r"(\t|\r|\n)")


def _xml_text(text, row: int | None, column: str) -> str:
    """The text of a cell (``row`` None: of the table's ``column`` = caption, title or note),
    checked for characters a DOCX cannot hold."""
    text = str(text)
    bad = _XML_INVALID.search(text)
    if bad:
        where = (f"the table's {column}" if row is None else
                 f"table cell row {row} (0 = header), column {column!r}")
        raise DataError(f"{where}: value {text!r} holds the character {bad.group()!r} "
                        f"(U+{ord(bad.group()):04X}), which a DOCX file cannot hold; expected "
                        "text without control characters")
    return text


def _run_xml(text: str) -> str:
    """Content of a ``w:r`` as python-docx's ``run.text`` writes it: ``w:t`` pieces (space
    preserved when the piece has outer blanks), ``w:tab`` for a tab, ``w:br`` for CR and LF."""
    if not _RUN_BREAKS.search(text):
        pieces = [text] if text else []
    else:
        pieces = [p for p in _RUN_BREAKS.split(text) if p]
    out = []
    for p in pieces:
        if p == "\t":
            out.append("<w:tab/>")
        elif p in ("\r", "\n"):
            out.append("<w:br/>")
        else:
            sp = ' xml:space="preserve"' if len(p.strip()) < len(p) else ""
            out.append(f"<w:t{sp}>{_xml_escape(p)}</w:t>")
    return "".join(out)


def new_document():
    """A python-docx Document with Times New Roman 12 and fixed core properties."""
    import datetime as _dt
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = "Times New Roman"
    st.font.size = Pt(12)
    cp = doc.core_properties
    fixed = _dt.datetime(2000, 1, 1)
    cp.created = fixed
    cp.modified = fixed
    cp.last_printed = fixed
    cp.author = "shnro_research"
    cp.last_modified_by = "shnro_research"
    cp.revision = 1
    return doc


def save_document(doc, path: str | Path) -> Path:
    """Save a Document with fixed zip timestamps (identical bytes on a rerun)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    fix_zip(path)
    return path


class BlankDocument:
    """A blank :func:`new_document` to fill again and again, and the members of its saved file.

    A document that only adds paragraphs and tables to the body (no picture, no new style)
    changes no part of the package but ``word/document.xml``. :meth:`save` therefore writes the
    saved blank's members with that one part replaced: the bytes :func:`save_document` would
    write, without opening the template package and serialising every part again for each
    document (the school cards: one document per school).

    Examples
    --------
    >>> blank = BlankDocument()                                         # doctest: +SKIP
    >>> doc = blank.fresh(); doc.add_paragraph("text"); blank.save("a.docx")   # doctest: +SKIP
    """

    def __init__(self):
        import tempfile
        import zipfile
        self.doc = new_document()
        self._blank = copy.deepcopy(self.doc.element)
        self._parts = self._layout()
        with tempfile.TemporaryDirectory() as tmp:
            path = save_document(self.doc, Path(tmp) / "blank.docx")
            with zipfile.ZipFile(path) as zf:
                self._members = [(i, zf.read(i.filename)) for i in zf.infolist()]
        # the parts that never change deflated once (styles.xml and stylesWithEffects.xml are
        # 0.8 MB): exactly what zipfile's compressor gives, so the same bytes
        self._deflated = {}
        for info, data in self._members:
            c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            self._deflated[info.filename] = c.compress(data) + c.flush()
        self._body_name = self.doc.part.partname.membername
        self._style_ids: dict[str, str | None] = {}

    def heading(self, text: str, level: int):
        """``doc.add_heading(text, level)`` with the style id looked up once (python-docx
        searches the styles part by name for every heading)."""
        from docx.enum.style import WD_STYLE_TYPE
        name = "Title" if level == 0 else f"Heading {level}"
        if name not in self._style_ids:
            self._style_ids[name] = self.doc.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
        p = self.doc.add_paragraph(text)
        p._p.style = self._style_ids[name]
        return p

    def _layout(self) -> list:
        return [(str(p.partname), len(p.rels)) for p in self.doc.part.package.iter_parts()]

    def fresh(self):
        """The document emptied back to the blank: the document part gets a copy of the blank
        XML (removing the last document's elements one by one costs more: lxml walks each
        subtree it takes out)."""
        part = self.doc.part
        part._element = copy.deepcopy(self._blank)
        self.doc = part.document
        return self.doc

    def save(self, path: str | Path) -> Path:
        """Write the document as :func:`save_document` does (fixed member times)."""
        import zipfile
        if self._layout() != self._parts:
            raise ParameterError("BlankDocument.save: the document gained a part (a picture?); "
                                 "expected paragraphs and tables only; use save_document")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data in self._members:
                zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = info.external_attr
                if info.filename == self._body_name:
                    zf.writestr(zi, self.doc.part.blob)
                    continue
                zi.file_size = len(data)                    # as ZipFile.writestr does
                with zf.open(zi, "w") as dest:
                    if getattr(dest, "_compressor", None) is not None:   # CPython's writer
                        dest._compressor = _Deflated(self._deflated[info.filename])
                    dest.write(data)
        return path


class _Deflated:
    """zlib's compressor for a zip member whose deflated bytes are already known."""

    def __init__(self, deflated: bytes):
        self._deflated = deflated

    def compress(self, data) -> bytes:
        return self._deflated

    def flush(self) -> bytes:
        return b""


_BLANKS = threading.local()     # one blank document per thread, filled again for every table


def _write_docx(path, blocks, caption, title, note):
    blank = getattr(_BLANKS, "doc", None)
    if blank is None:
        blank = _BLANKS.doc = BlankDocument()
    docx_table(blank.fresh(), blocks, caption, title, note)
    blank.save(path)
