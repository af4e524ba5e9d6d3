"""Stage 1 — instruments: printable questionnaires (HTML, DOCX), SPSS templates and codebooks.

Reads the instruments named in the config (bundled ``surveys/*.yaml`` or the study's own);
writes one handout, template and codebook per instrument into ``01_instruments/``.
"""
from __future__ import annotations

from ..forms import write_forms
from ._base import StageContext

INPUTS = ("instruments",)
CONFIG = ("study.lang",)
UPSTREAM = ()
OUTPUTS = ()   # one file set per instrument, named after it


def run(ctx: StageContext) -> None:
    instruments = [ctx.instrument(g) for g in ctx.instrument_names]
    write_forms(instruments, ctx.out, lang=ctx.lang)
