"""The study report and per-school cards (HTML and DOCX), with small cells suppressed.

A report is a list of :class:`Section`\\ s, each with paragraphs, tables (tidy DataFrames,
formatted by :mod:`.tables`) and figures (PNG files). :func:`write_report` renders it to one
self-contained HTML file (figures embedded) and one DOCX file.

Privacy: respondents are mostly minors. Per-school cards pass every table through
:func:`suppress_small_cells`, which blanks the estimates of any cell with fewer than ``min_n``
respondents (default 5) and says so in a note.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .._checks import ParameterError, check_number
from .privacy import safe_filename
from .tables import (TABLE_CSS, BlankDocument, TableStyle, _format_cells, docx_table,
                     html_table, new_document, save_document)

SUPPRESSED = "n<5"


@dataclass
class ReportTable:
    title: str
    data: pd.DataFrame
    note: str = ""
    digits: dict | None = None
    panels: Sequence[tuple[str, pd.DataFrame]] = ()


@dataclass
class ReportFigure:
    title: str
    png: Path
    note: str = ""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)


def suppress_small_cells(df: pd.DataFrame, *, n: str = "n", min_n: int = 5,
                         columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Blank the estimates of rows based on fewer than ``min_n`` respondents.

    Parameters
    ----------
    df : DataFrame
        A tidy table with a count column ``n``.
    min_n : int
        Smallest count that may be shown (default 5, the study's privacy rule).
    columns : list of str, optional
        Columns to blank; default every numeric column except ``n`` itself.

    Returns
    -------
    DataFrame
        A copy: blanked cells are NaN, ``n`` of such rows is replaced by the text ``"n<5"``
        (exact small counts are not disclosed either), and a boolean column ``suppressed``.
    """
    check_number(min_n, "min_n", low=1, integer=True)
    if n not in df.columns:
        raise ParameterError(f"'n' must name a count column of the table; got {n!r} "
                             f"(columns: {list(df.columns)})")
    out = df.copy()
    small = out[n].fillna(0).to_numpy() < min_n
    if columns is None:
        columns = [c for c in out.columns if c != n and pd.api.types.is_numeric_dtype(out[c])
                   and c not in ("wave", "year")]
    unique = out.columns.is_unique
    for c in columns:
        if unique and isinstance(out[c].dtype, np.dtype) and out[c].dtype.kind in "biuf":
            v = out[c].to_numpy(dtype=float, copy=True)    # a numpy column: no .loc
            v[small] = np.nan
            out[c] = v
        else:
            out[c] = out[c].astype(float)
            out.loc[small, c] = np.nan
    if unique:
        v = out[n].to_numpy(dtype=object, copy=True)
        v[small] = f"n<{min_n}"
        out[n] = pd.Series(v, index=out.index, dtype=object)
    else:
        out[n] = out[n].astype(object)
        out.loc[small, n] = f"n<{min_n}"
    out["suppressed"] = small
    return out


def _img_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def write_report(sections: Sequence[Section], folder: str | Path, *, name: str = "report",
                 title: str = "", subtitle: str = "", style: TableStyle | None = None,
                 formats: Sequence[str] = ("html", "docx"),
                 blank: BlankDocument | None = None) -> list[Path]:
    """Render the sections to ``folder/name.html`` (self-contained) and ``folder/name.docx``.

    ``blank``: a :class:`~.tables.BlankDocument` to fill instead of a new document (the same
    bytes, faster when many small documents are written); not used when a section has figures.
    """
    style = style or TableStyle()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    t_word = "Таблица" if style.lang == "ru" else "Table"
    f_word = "Рисунок" if style.lang == "ru" else "Figure"
    # every table formatted once, for both formats
    blocks = {id(t): [("", _format_cells(t.data, style, digits=t.digits))]
              + [(h, _format_cells(d, style, digits=t.digits)) for h, d in t.panels]
              for s in sections for t in s.tables}
    if "html" in formats:
        parts = [f"<!DOCTYPE html>\n<html lang=\"{style.lang}\"><head><meta charset=\"utf-8\">",
                 f"<title>{html.escape(title)}</title><style>{TABLE_CSS}"
                 "body{font-family:'Times New Roman',serif;max-width:60em;margin:2em auto;"
                 "padding:0 1em}figure{margin:1.5em 0}figure img{max-width:100%}"
                 "figcaption{font-style:italic}</style></head><body>",
                 f"<h1>{html.escape(title)}</h1>"]
        if subtitle:
            parts.append(f"<p>{html.escape(subtitle)}</p>")
        tn = fn = 0
        for s in sections:
            parts.append(f"<h2>{html.escape(s.title)}</h2>")
            parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
            for t in s.tables:
                tn += 1
                parts.append(html_table(blocks[id(t)], f"{t_word} {tn}", t.title, t.note))
            for f in s.figures:
                fn += 1
                parts.append(f'<figure><img alt="{html.escape(f.title)}" '
                             f'src="{_img_data_uri(f.png)}"><figcaption>{f_word} {fn}. '
                             f"{html.escape(f.title)}</figcaption></figure>")
                if f.note:
                    parts.append(f'<p class="apa-note">{html.escape(f.note)}</p>')
        parts.append("</body></html>\n")
        p = folder / f"{name}.html"
        p.write_text("\n".join(parts), encoding="utf-8")
        written.append(p)
    if "docx" in formats:
        from docx.shared import Cm
        if any(s.figures for s in sections):
            blank = None
        doc = blank.fresh() if blank is not None else new_document()
        heading = blank.heading if blank is not None else doc.add_heading
        heading(title, 0)
        if subtitle:
            doc.add_paragraph(subtitle)
        tn = fn = 0
        for s in sections:
            heading(s.title, 1)
            for ptxt in s.paragraphs:
                doc.add_paragraph(ptxt)
            for t in s.tables:
                tn += 1
                docx_table(doc, blocks[id(t)], f"{t_word} {tn}", t.title, t.note)
            for f in s.figures:
                fn += 1
                doc.add_picture(str(f.png), width=Cm(15))
                cap = doc.add_paragraph()
                cap.add_run(f"{f_word} {fn}. ").bold = True
                cap.add_run(f.title).italic = True
        path = folder / f"{name}.docx"
        written.append(blank.save(path) if blank is not None else save_document(doc, path))
    return written


def write_school_card(school_id: str, tables: Sequence[ReportTable], folder: str | Path, *,
                      min_n: int = 5, style: TableStyle | None = None,
                      title: str | None = None,
                      blank: BlankDocument | None = None) -> list[Path]:
    """A per-school report card: every table filtered to the school, small cells suppressed
    (``blank``: see :func:`write_report`)."""
    style = style or TableStyle()
    note_ru = f"Ячейки, где ответили менее {min_n} респондентов, скрыты ({SUPPRESSED})."
    note_en = f"Cells with fewer than {min_n} respondents are hidden."
    safe = []
    for t in tables:
        d = t.data
        if "n" in d.columns:
            d = suppress_small_cells(d, min_n=min_n).drop(columns="suppressed")
        safe.append(ReportTable(t.title, d, (t.note + " " if t.note else "")
                                + (note_ru if style.lang == "ru" else note_en), t.digits))
    head = title or ((f"Карточка школы {school_id}") if style.lang == "ru"
                     else f"School card {school_id}")
    return write_report([Section(head, tables=safe)], folder, name=f"school_{safe_filename(school_id)}",
                        title=head, style=style, blank=blank)
