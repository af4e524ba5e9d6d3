"""Stage 8 — report: APA tables (DOCX, XLSX, LaTeX, HTML, Markdown), figures (PNG, SVG, PDF),
the study report (HTML, DOCX) and one card per school with small cells suppressed.

Labels come from the instruments in the study's language; every table the report shows is also
exported on its own under ``tables/``.
"""
from __future__ import annotations

from ..indicators import achievement_table
from ..report.study_report import write_study_report
from ._base import StageContext

INPUTS = ("instruments",)
CONFIG = ("report", "scoring", "typology", "dynamics", "study.title", "study.waves",
          "study.lang")
UPSTREAM = ("responses", "scoring", "design", "context", "models", "dynamics")
OUTPUTS = ("report.html", "report.docx", "findings", "tables", "figures", "schools")


def scale_labels(ctx: StageContext) -> dict[str, str]:
    """Reader's label of every scale of the respondents' instruments (first group wins)."""
    labels: dict[str, str] = {}
    for g in ctx.groups:
        for sid, sc in ctx.instrument(g).scales.items():
            labels.setdefault(sid, sc.label.get(ctx.lang))
    return labels


def run(ctx: StageContext) -> None:
    p = ctx.params("report")
    write_study_report(
        ctx, ctx.out, lang=ctx.lang, title=ctx.title, waves=ctx.waves,
        scale_labels=scale_labels(ctx), min_cell=int(p["min_cell"]),
        thresholds=tuple(ctx.params("scoring")["tension_thresholds"]),
        typology=ctx.params("typology"), alpha=ctx.params("dynamics")["alpha"],
        achievement=achievement_table(ctx.table("dynamics", "indicators"), lang=ctx.lang))
