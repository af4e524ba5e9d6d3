"""Printable questionnaires, SPSS templates and codebooks from an :class:`~.instruments.Instrument`.

* :func:`render_html` — a printable handout (A4, print CSS): title, anonymity note, service boxes
  for the id columns, sections with instructions, numbered questions, tick boxes with the codes,
  ranking tables and grids for runs of likert items that share a response scale.
* :func:`render_docx` — the same handout as a Word document (python-docx).
* :func:`write_spss_template` — an empty ``.sav`` file with variable labels, value labels,
  user-missing values, measure levels and formats, ready for data entry (pyreadstat).
* :func:`codebook_table` / :func:`write_codebook_xlsx` — the codebook as a DataFrame / Excel file.
* :func:`write_entry_template` — an Excel data-entry template (drop-down codes, range checks,
  frozen header, instructions and codes sheets), module :mod:`.entry`.
* :func:`write_xlsform` / :func:`xlsform_tables` / :func:`xlsform_to_xform` — the instrument as
  an XLSForm for KoBoToolbox / ODK, and its XForm (pyxform), module :mod:`.xlsform`.
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
from .entry import entry_columns, write_entry_template  # noqa: F401
from .handout import html_string, render_docx, render_html  # noqa: F401
from .spss import (codebook_table, scales_table, spss_metadata, write_clean_sav,  # noqa: F401
                   write_codebook_xlsx, write_spss_template)
from .xlsform import write_xlsform, xlsform_tables, xlsform_to_xform  # noqa: F401

#: Formats of :func:`write_forms`: the printable and SPSS ones (:data:`FORMATS`, the default)
#: and the data-entry ones: ``entry`` (Excel entry template) and ``xlsform`` (KoBoToolbox/ODK).
ALL_FORMATS = FORMATS + ("entry", "xlsform")

__all__ = ["codebook_table", "entry_columns", "html_string", "question_numbers", "render_docx",
           "render_html", "scales_table", "spss_metadata", "write_clean_sav",
           "write_codebook_xlsx", "write_entry_template", "write_forms", "write_spss_template",
           "write_xlsform", "xlsform_tables", "xlsform_to_xform"]


def write_forms(instruments: list[Any] | None = None, out: str | Path = "forms",
                lang: str = "ru", formats: list[str] | tuple[str, ...] = FORMATS, *,
                wave: int | None = None) -> list[Path]:
    """Write the chosen formats for each instrument into ``out``; return the written paths.

    File names: ``<id>_<lang>.html``, ``<id>_<lang>.docx``, ``<id>_<lang>.sav``,
    ``<id>_codebook_<lang>.xlsx``; with the data-entry formats of :data:`ALL_FORMATS`:
    ``entry/<id>.xlsx`` (:func:`write_entry_template`) and ``xlsform/<id>.xlsx``
    (:func:`write_xlsform`, with ``wave`` written into the form when given).
    """
    lang = _lang(lang)
    if isinstance(formats, str):
        formats = [formats]
    for f in formats:
        check_option(f, "formats", ALL_FORMATS)
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
        if "entry" in formats:
            written.append(write_entry_template(ins, out / "entry" / f"{ins.id}.xlsx", lang))
        if "xlsform" in formats:
            written.append(write_xlsform(ins, out / "xlsform" / f"{ins.id}.xlsx", wave=wave))
    return written
