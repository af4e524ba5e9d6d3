"""Stage 1 — instruments: printable questionnaires (HTML, DOCX), SPSS templates, codebooks, and
the data-entry forms: Excel entry templates and XLSForms (KoBoToolbox / ODK).

Reads the instruments named in the config (bundled ``surveys/*.yaml`` or the study's own);
writes one handout, template and codebook per instrument into ``01_instruments/``, one entry
template per instrument into ``01_instruments/entry/`` and one XLSForm into
``01_instruments/xlsform/``.
"""
from __future__ import annotations

from ..forms import ALL_FORMATS, write_forms
from ._base import StageContext

INPUTS = ("instruments",)
CONFIG = ("study.lang",)
UPSTREAM = ()
OUTPUTS = ("entry", "xlsform")   # folders; plus one file set per instrument, named after it


def run(ctx: StageContext) -> None:
    instruments = [ctx.instrument(g) for g in ctx.instrument_names]
    write_forms(instruments, ctx.out, lang=ctx.lang, formats=ALL_FORMATS)
