"""Printable questionnaires, SPSS templates and codebooks from an :class:`~.instruments.Instrument`.

* :func:`render_html` — a printable handout (A4, print CSS): title, anonymity note, service boxes
  for the id columns, sections with instructions, numbered questions, tick boxes with the codes,
  ranking tables and grids for runs of likert items that share a response scale.
* :func:`render_docx` — the same handout as a Word document (python-docx).
* :func:`write_spss_template` — an empty ``.sav`` file with variable labels, value labels,
  user-missing values, measure levels and formats, ready for data entry (pyreadstat).
* :func:`codebook_table` / :func:`write_codebook_xlsx` — the codebook as a DataFrame / Excel file.
* :func:`write_forms` — all of them for several instruments (``shnro forms``, :mod:`shnro_research.cli.forms`).

Every function takes an :class:`Instrument` or the name/path accepted by
:func:`~.instruments.load_instrument`. Nothing here knows a particular questionnaire.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .._checks import ParameterError, check_option
from ._common import (DEFAULT_INSTRUMENTS, FORMATS, LANGS, _instrument, _lang,  # noqa: F401
                      question_numbers)
from .handout import html_string, render_docx, render_html  # noqa: F401
from .spss import (codebook_table, scales_table, spss_metadata, write_clean_sav,  # noqa: F401
                   write_codebook_xlsx, write_spss_template)

__all__ = ["codebook_table", "html_string", "question_numbers", "render_docx", "render_html",
           "scales_table", "spss_metadata", "write_clean_sav", "write_codebook_xlsx",
           "write_forms", "write_spss_template"]


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
