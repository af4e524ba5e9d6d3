"""Stage 7 — dynamics: change between waves per school and group and for the municipality
(tests, adjusted p, classification), effect sizes of the change, change of value hierarchies,
trends, the municipality against the region, and the programme's target indicators.
"""
from __future__ import annotations

import pandas as pd

from .. import dynamics as D
from ..indicators import compute_indicators, load_catalogue, region_comparison_table
from ._base import StageContext

INPUTS = ("results", "passport", "tables", "catalogue")
CONFIG = ("dynamics",)
UPSTREAM = ("scoring", "design")
OUTPUTS = ("trend_municipality", "indicators")

#: scales where a lower score is better (used unless ``dynamics.lower_is_better`` is set)
LOWER_IS_BETTER = ("tension", "anxiety", "burnout_exhaustion", "burnout_depersonalisation")


def run(ctx: StageContext) -> None:
    p = ctx.params("dynamics")
    est = ctx.table("design", "estimates_by_school")
    est_all = ctx.table("design", "estimates_municipality")
    waves = sorted(est.wave.unique())
    better = {v: "lower" for v in (p["lower_is_better"] or LOWER_IS_BETTER)}
    kw = dict(adjust=p.get("adjust", "holm"), alpha=p.get("alpha", 0.05),
              min_change=p.get("min_change", 0.0))
    if len(waves) >= 2:
        ch = D.wave_change(est, by=["school_id", "group"], base=waves[0], compare=waves[-1],
                           family=["variable"], better=better, **kw)
        ctx.write(ch, "change_by_school")
        ctx.write(D.classification_summary(ch, by=["group", "variable"]), "change_summary")
        ctx.write(D.wave_change(est_all, by=["group"], consecutive=True, better=better, **kw),
                  "change_municipality")
        scores = ctx.table("scoring", "respondent_scores")
        eff = [D.wave_effect_sizes(scores.dropna(subset=[value]), value,
                                   by=["school_id", "group"], base=waves[0],
                                   compare=waves[-1], measure=measure).assign(variable=value)
               for value in p.get("effect_size_scales", ("tension", "motivation", "anxiety"))
               if value in scores for measure in ("hedges_g", "cliff_delta")]
        if eff:
            ctx.write(pd.concat(eff, ignore_index=True), "change_effect_sizes")
        ranks = ctx.table("scoring", "rok_term_hierarchy")
        ctx.write(D.hierarchy_change(ranks, item="category", score="mean_rank", by="group",
                                     base=waves[0], compare=waves[-1]), "values_change")
    ctx.write(D.trend_table(est_all, by=["group"]), "trend_municipality")

    tables = {"results": ctx.read("results") if ctx.has("results") else None,
              "passport": ctx.read("passport") if ctx.has("passport") else None,
              "survey": est, **ctx.read_tables()}
    if tables.get("region") is not None and tables.get("results") is not None:
        ctx.write(region_comparison_table(tables["results"], tables["region"]),
                  "region_comparison")
    ctx.write(compute_indicators(load_catalogue(ctx.catalogue()), tables), "indicators")
