"""Printable handouts: HTML (print CSS) and Word (python-docx)."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from .._reproducible import fix_zip
from ..instruments import Item
from ._common import (
    BOX,
    _Block,
    _CSS,
    _UI,
    _answer_codes,
    _fmt,
    _id_label,
    _instrument,
    _lang,
    _layout,
    _path,
    version_paths,
    versions,
)


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


def html_string(instrument: Any, lang: str = "ru", sex: str | None = None) -> str:
    """The printable questionnaire as an HTML document (a string); see :func:`render_html`.

    For a questionnaire with female wordings, ``sex`` picks the version (``None``: the male
    version, under its banner «Вариант анкеты М»)."""
    ins = _instrument(instrument)
    lang = _lang(lang)
    ui = _UI[lang]
    version, v_ins = versions(ins, sex)[0]
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
             f'<title>{_e(v_ins.title.get(lang))}</title><style>{_CSS}</style></head><body>']
    if version:
        parts.append(f'<p class="version" id="v-{version}">{_e(ui[version])}</p>')
    parts.extend(_html_version(v_ins, lang))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _html_version(ins, lang: str) -> list[str]:
    ui = _UI[lang]
    parts = [f'<h1>{_e(ins.title.get(lang))}</h1>']
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
    return parts


def render_html(instrument: Any, path: str | Path, lang: str = "ru",
                sex: str | None = None) -> Path:
    """Write a printable handout questionnaire as HTML (A4 print CSS).

    Parameters
    ----------
    instrument : Instrument or str or Path
        The instrument, a bundled name (``"students"``) or a YAML path.
    path : str or Path
        Output file (folders are created).
    lang : {"ru", "en"}
        Wording: Russian (the fieldwork form) or the English gloss (for papers and reviewers).
    sex : {None, "male", "female"}
        Which version to print when items have a female wording (``text_female``, the PVQ
        portraits). ``None`` writes both, as the ESS prints separate questionnaires by the
        respondent's sex: the male version to ``path`` and the female version beside it as
        ``<stem>_female.html`` (:func:`~shnro_research.forms._common.version_paths`), each
        under its banner («Вариант анкеты М / Ж»); both enter the same data columns.

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
    for version, vp in version_paths(ins, p, sex):
        vp.write_text(html_string(ins, lang, version or None), encoding="utf-8")
    return p


# -- DOCX --------------------------------------------------------------------------------------

def render_docx(instrument: Any, path: str | Path, lang: str = "ru",
                sex: str | None = None) -> Path:
    """Write the handout questionnaire as a Word document (A4; tables for grids and rankings).

    Parameters
    ----------
    instrument : Instrument or str or Path
    path : str or Path
        Output ``.docx`` file (folders are created).
    lang : {"ru", "en"}
    sex : {None, "male", "female"}
        Version to print (as :func:`render_html`; ``None``: the male version to ``path``, the
        female one to ``<stem>_female.docx``).

    Returns
    -------
    Path

    Notes
    -----
    Same content and numbering as :func:`render_html`; editable by the study team before
    printing (fonts, logo, page breaks).
    """
    ins = _instrument(instrument)
    lang = _lang(lang)
    p_out = _path(path)
    for version, v_path in version_paths(ins, p_out, sex):
        _docx_version(ins, version, v_path, lang)
    return p_out


def _docx_version(ins, version: str, p_out: Path, lang: str) -> None:
    """One printed version of the questionnaire as a Word file."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    ui = _UI[lang]
    v_ins = versions(ins, version or None)[0][1]
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

    if version:
        banner = doc.add_paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        banner.add_run(ui[version]).bold = True
    title = doc.add_heading(v_ins.title.get(lang), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    svc = doc.add_paragraph()
    r = svc.add_run(f"{ui['service']}: " + "   ".join(
        f"{_id_label(v_ins, c, lang, printed=True)}: ________" for c in v_ins.id_columns))
    r.font.size = Pt(8.5)
    if v_ins.intro.get(lang):
        intro = doc.add_table(rows=1, cols=1)
        intro.style = "Table Grid"
        small(intro.rows[0].cells[0], v_ins.intro.get(lang), size=10, center=False)
        doc.add_paragraph()

    for sec, blocks in _layout(v_ins):
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
    if v_ins.group in ("students", "parents", "teachers"):
        end = doc.add_paragraph()
        end.alignment = WD_ALIGN_PARAGRAPH.CENTER
        end.add_run(ui["thanks"]).bold = True
    doc.core_properties.title = ins.title.get(lang)
    doc.core_properties.subject = f"{ins.id} v{ins.version}"
    doc.save(str(p_out))
    fix_zip(p_out)


# -- SPSS --------------------------------------------------------------------------------------
