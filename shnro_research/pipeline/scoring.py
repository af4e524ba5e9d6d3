"""Stage 3 — scoring: scale scores and reliability of every respondent group; social tension
per school, group and wave; value orientations (Rokeach, PVQ-21); life success; needs;
agreement of teachers within schools.

All scoring follows the instruments' own scales, keys and declared bounds
(:mod:`shnro_research.scoring.instrument`).
"""
from __future__ import annotations

from ..scoring import DEFAULT_THRESHOLDS, compare_groups, tension_summary
from ..engine.stages import item_columns, pooled_answers, pooled_columns, score_groups
from ..scoring import instrument as score
from ..scoring.invariance import scale_invariance, scale_measurement
from ._base import StageContext

INPUTS = ("instruments",)
CONFIG = ("scoring", "engine", "study.lang")
UPSTREAM = ("responses",)
OUTPUTS = ("respondent_scores", "reliability", "tension_by_school", "tension_by_group",
           "tension_group_comparison", "tension_balance", "rok_term_hierarchy",
           "rok_instr_hierarchy", "life_success", "success_ways", "measurement",
           "measurement_invariance")


def run(ctx: StageContext) -> None:
    p = ctx.params("scoring")
    groups = ctx.groups
    # items shared by all groups (tension, values, life success, needs) are read with the first
    # group's instrument; the engine (engine: block) scores one group at a time, in chunks of
    # schools or on Dask, and keeps of the answers only what the pooled tables read
    common = ctx.instrument(groups[0])
    eng = ctx.params("engine")
    if eng["backend"] == "dask":
        from ..engine.dask import score_groups_dask
        scores, rel, allg, clean = score_groups_dask(
            {g: ctx.table_path("responses", f"{g}_clean") for g in groups}, groups,
            ctx.instrument, eng, pooled_columns(*map(ctx.instrument, groups)))
    else:
        scores, rel, allg, clean = score_groups(
            lambda g: ctx.table("responses", f"{g}_clean", cache=False), groups, ctx.instrument,
            eng, pooled_columns(*map(ctx.instrument, groups)))
    ctx.write(scores, "respondent_scores")
    ctx.write(rel, "reliability")
    # written: of the scores the tables below read the tension index of everyone and the
    # teachers' scales (a national study's scores take gigabytes; deep copies free the rest)
    teachers = scores[scores["group"] == "teachers"]
    scores = scores[["school_id", "group", "wave", "tension"]].copy()

    thresholds = tuple(p.get("tension_thresholds", DEFAULT_THRESHOLDS))
    ctx.write(tension_summary(scores, "tension", by=["school_id", "group", "wave"],
                              thresholds=thresholds), "tension_by_school")
    ctx.write(tension_summary(scores, "tension", by=["group", "wave"], thresholds=thresholds),
              "tension_by_group")
    # groups are compared on the parallel items only (one wording pattern in every group)
    # the pooled answers are kept in narrow floats; each table reads its columns in float64
    insts = {g: ctx.instrument(g) for g in groups}
    tension = pooled_answers(allg, [i for ins in insts.values() if "tension" in ins.scales
                                    for i in ins.scales["tension"].items])
    ctx.write(score.tension_group_comparison(tension, insts, by=["school_id", "wave"])
              if len(groups) > 1 else
              compare_groups(scores, "tension", "group", by=["school_id", "wave"]),
              "tension_group_comparison")
    ctx.write(score.tension_balance(tension, insts), "tension_balance")
    del tension

    for item_id in ("rok_term", "rok_instr"):
        for name, table in score.rokeach_tables(item_columns(allg, common, item_id), common,
                                                item_id, ctx.lang).items():
            ctx.write(table, f"{item_id}_{name}")
    pvq = score.pvq_values(pooled_answers(allg, [i for sc in common.scales.values()
                                                  if sc.role == "pvq_value" for i in sc.items]),
                           common)
    if pvq is not None:
        ctx.write(pvq, "pvq_values")
    for item_id in ("life_success", "success_ways"):
        shares, test = score.multiple_response_tables(item_columns(allg, common, item_id),
                                                      common, item_id, ctx.lang)
        ctx.write(shares, item_id)
        ctx.write(test, f"{item_id}_by_group_test")
    needs = pooled_answers(allg, [c for v in score.need_pairs(common).values() for c in v])
    for name, table in score.needs_tables(needs, common).items():
        ctx.write(table, name)

    if "teachers" in groups:
        tinst = ctx.instrument("teachers")
        ctx.write(score.teacher_agreement(clean["teachers"], tinst), "teacher_agreement")
        ctx.write(score.teacher_icc(teachers, tinst), "teacher_icc")

    del allg, clean, scores, teachers, needs    # the measurement models read their own below
    # measurement: one-factor CFA (MLR) of every scale per group and wave, and invariance across
    # groups (parallel items) and waves; only the scales' item columns are read
    items = {g: list(dict.fromkeys(i for sc in ctx.instrument(g).scales.values()
                                   for i in sc.items)) for g in groups}
    answers = {g: ctx.table("responses", f"{g}_clean", columns=["wave", *items[g]])
               for g in groups}
    insts = {g: ctx.instrument(g) for g in groups}
    ctx.write(scale_measurement(answers, insts, lang=ctx.lang), "measurement")
    ctx.write(scale_invariance(answers, insts, lang=ctx.lang), "measurement_invariance")
