"""Stage 8 — report: APA tables (DOCX, XLSX, LaTeX, HTML, Markdown), figures (PNG, SVG, PDF),
the study report (HTML, DOCX) and one card per school with small cells suppressed (above
``report.cards_max`` schools with ``report.cards: auto``, or with ``none``: the national summary
instead, ``schools/summary_*``).

Labels come from the instruments in the study's language; every table the report shows is also
exported on its own under ``tables/``.
"""
from __future__ import annotations

from ..indicators import achievement_table
from ..report.labels import GROUP_LABELS
from ..report.study_report import write_study_report
from ._base import StageContext

INPUTS = ("instruments",)
CONFIG = ("report", "scoring", "typology", "dynamics", "context", "study.title", "study.waves",
          "study.lang")
UPSTREAM = ("responses", "scoring", "design", "context", "models", "dynamics")
OUTPUTS = ("report.html", "report.docx", "findings", "tables", "figures", "schools", "paper")


def glossary(ctx: StageContext) -> dict[str, str]:
    """Reader's label of every id of the study's instruments, in the report's language: scales
    (and the centred PVQ values), items (questions, passport fields, result measures); the first
    instrument that names an id wins."""
    lang, out = ctx.lang, {}
    centred = "центр." if lang == "ru" else "centred"
    loaded = {name: ctx.instrument(name) for name in ctx.instrument_names}   # each read once
    for name, inst in loaded.items():
        for sid, sc in inst.scales.items():
            out.setdefault(sid, sc.label.get(lang))
            if sc.role == "pvq_value":
                out.setdefault(f"{sid.removeprefix('pvq_')}_centred",
                               f"{sc.label.get(lang)} ({centred})")
        for it in inst.items:
            out.setdefault(it.id, it.text.get(lang))
    # school-level measures of the resilient-school comparison: <group>_<scale>, rwg_j_<scale>
    groups = GROUP_LABELS[lang]
    for g in ctx.groups:
        for sid, sc in (loaded[g] if g in loaded else ctx.instrument(g)).scales.items():
            out.setdefault(f"{g}_{sid}", f"{groups[g]}: {sc.label.get(lang)}")
            out.setdefault(f"rwg_j_{sid}", f"rwg(j): {sc.label.get(lang)}")
            out.setdefault(f"{g}:{sid}", f"{groups[g]}: {sc.label.get(lang)}")
    out.setdefault("own_ideal_gap", "Разрыв «идеальная школа − наша школа» (учителя)" if
                   lang == "ru" else "Gap 'ideal school − our school' (teachers)")
    return out


def run(ctx: StageContext) -> None:
    p = ctx.params("report")
    indicators = ctx.table("dynamics", "indicators")
    names = indicators.drop_duplicates("indicator").set_index("indicator")[f"name_{ctx.lang}"]
    write_study_report(
        ctx, ctx.out, lang=ctx.lang, title=ctx.title, waves=ctx.waves,
        glossary={**glossary(ctx), **names.dropna().to_dict()}, min_cell=int(p["min_cell"]),
        thresholds=tuple(ctx.params("scoring")["tension_thresholds"]),
        typology=ctx.params("typology"), alpha=ctx.params("dynamics")["alpha"],
        adjust=ctx.params("dynamics")["adjust"], index_weights=ctx.params("context")["weights"],
        meaningful_sd=ctx.params("dynamics")["meaningful_change_sd"],
        achievement=achievement_table(indicators, lang=ctx.lang), cards=p["cards"],
        cards_max=int(p["cards_max"]))
