"""Stage 7 — dynamics: change between waves per school and group and for the municipality
(tests, adjusted p, classification), effect sizes of the change, change of value hierarchies,
trends, the programme effect, the municipality against the region, and the programme's target
indicators.

* Direction of "better": each scale's ``better`` field in its instrument (``higher`` by
  default; ``dynamics.lower_is_better``, when set, replaces the instruments' declarations).
* ``change_by_school``: first vs last wave per school x group x scale (per-school estimates,
  independent waves; Holm within each scale); a change that is not significant is
  "cannot tell" when its minimum detectable change (``mdc``) exceeds the smallest change that
  matters (``meaningful_change`` = ``dynamics.meaningful_change_sd`` x the respondents' SD of
  the scale in the group's first wave), else "no change".
* ``change_municipality`` / ``trend_municipality``: every wave vs the first for the
  municipality, per group and measure (every scale, PVQ values, Rokeach terminal and
  instrumental mean ranks, life-success and success-way shares), from ONE design spanning the
  waves (strata, schools as PSUs re-surveyed in every wave, classes): the SE of a change has
  the between-wave covariance (:func:`shnro_research.dynamics.design_wave_change`, as R
  ``svycontrast(svyby(..., covmat = TRUE))``); Holm within group x measure.
* ``indicators``: the programme catalogues' indicators (``indicators.catalogue``; default the
  five bundled programmes) on the study's tables and the models stage's ``register``, graded only
  against targets the programme texts state (docs/INDICATORS.md); ``indicator_catalogue`` the
  catalogue itself; ``programme_results`` / ``action_plan`` the qualitative results and the
  action plan with the recorded statuses, ``programme_status_summary`` their counts.
* ``programme_effect``: difference-in-differences of programme vs other schools, pupils, last vs
  first wave, OLS with school-clustered CR2 SEs.
"""
from __future__ import annotations

import logging

import pandas as pd

from .. import dynamics as D
from ..dynamics.measures import respondent_measures
from ..design.frame import FrameSpec, attach_design, municipal_design
from ..errors import DataError
from ..indicators import (action_plan_table, compute_indicators, load_catalogue,
                          region_comparison_table, result_status_table, status_summary)
from ._base import StageContext

INPUTS = ("results", "passport", "tables", "catalogue", "instruments", "frame")
CONFIG = ("dynamics", "design")
UPSTREAM = ("responses", "scoring", "design", "models")
OUTPUTS = ("trend_municipality", "indicators", "indicator_catalogue", "programme_results",
           "action_plan", "programme_status_summary")
#: input tables of the programme's qualitative results and action plan (not indicator sources)
_STATUS_TABLES = ("programme_results", "action_plan")

#: measures with no better direction (values, life success): a significant change is "changed"
_VALUE_MEASURES = ("pvq", "rok_term", "rok_instr", "life_success", "success_ways")
#: students' outcomes of the programme's difference-in-differences
PROGRAMME_OUTCOMES = ("tension", "motivation", "anxiety")
_LOG = logging.getLogger(__name__)


def _scale_directions(ctx: StageContext, lower_is_better=None) -> dict[str, str]:
    """``{scale: "higher" | "lower"}`` from the instruments' ``better`` fields, or, when
    ``lower_is_better`` is given (``dynamics.lower_is_better``), from that list alone."""
    out: dict[str, str] = {}
    for g in ctx.groups:
        for sid, sc in ctx.instrument(g).scales.items():
            if lower_is_better is not None:
                out[sid] = "lower" if sid in lower_is_better else "higher"
                continue
            if sid in out and out[sid] != sc.better:
                raise DataError(f"scale {sid!r} is declared better: {sc.better} in the {g} "
                                f"instrument but better: {out[sid]} in another; scales of one "
                                "id must share their direction")
            out[sid] = sc.better
    return out


def _respondent_measures(ctx: StageContext, group: str, scores: pd.DataFrame):
    """:func:`dynamics.respondent_measures` for one group of the study."""
    return respondent_measures(scores, ctx.table("responses", f"{group}_clean"),
                               ctx.instrument(group), group)


def _municipality_change(ctx: StageContext, scores: pd.DataFrame, better: dict, waves: list,
                        kw: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(change_municipality, trend_municipality): every wave vs the first, per group and
    measure, from one design spanning the waves (schools re-surveyed as PSUs)."""
    p = ctx.params("design")
    spec = FrameSpec.from_config(p)
    lonely = p.get("lonely_psu", "certainty")
    frame = ctx.read("frame")
    changes, trends = [], []
    for g in ctx.groups:
        data, kinds = _respondent_measures(ctx, g, scores)
        data = attach_design(data, frame, g, spec)
        data = data[data["weight"].notna()].reset_index(drop=True)
        des = municipal_design(data, g, lonely_psu=lonely,
                               where=f"dynamics, design of all waves of {g} (schools as PSUs "
                                     f"re-surveyed in every wave)")
        # every measure of the group from one estimate of the design (numbers as one call each)
        direction = {m: ("none" if m in _VALUE_MEASURES else
                         {v: better.get(v, "higher") for v in variables})
                     for m, variables in kinds.items()}
        ch_all, est_all = D.design_wave_changes(des, kinds, better=direction, base=waves[0],
                                                compare=waves[1:], **kw)
        for measure in kinds:
            ch = ch_all[ch_all["measure"] == measure].drop(columns="measure").reset_index(
                drop=True)
            changes.append(ch.assign(group=g, measure=measure))
            est = est_all[est_all["measure"] == measure].drop(columns="measure").reset_index(
                drop=True)
            trends.append(D.trend_table(est, by=None, changes=ch).assign(group=g,
                                                                          measure=measure))
    front = ["group", "measure", "variable"]
    ch = pd.concat(changes, ignore_index=True)
    tr = pd.concat(trends, ignore_index=True)
    return (ch[front + [c for c in ch.columns if c not in front]],
            tr[front + [c for c in tr.columns if c not in front]])


def _programme_schools(ctx: StageContext, p: dict) -> list:
    """Programme schools: ``dynamics.programme_schools``, else the passport's ``in_programme``
    flag (1 in any year), else none."""
    if p.get("programme_schools"):
        return list(p["programme_schools"])
    if ctx.has("passport"):
        pas = ctx.read("passport")
        if "in_programme" in pas:
            flag = pd.to_numeric(pas["in_programme"], errors="coerce") == 1
            return sorted(pas.loc[flag, "school_id"].unique().tolist())
    return []


def run(ctx: StageContext) -> None:
    p = ctx.params("dynamics")
    est = ctx.table("design", "estimates_by_school")
    est_all = ctx.table("design", "estimates_municipality")
    waves = sorted(est.wave.unique())
    better = _scale_directions(ctx, p.get("lower_is_better"))
    kw = dict(adjust=p.get("adjust", "holm"), alpha=p.get("alpha", 0.05),
              min_change=p.get("min_change", 0.0))
    if len(waves) >= 2:
        scores = ctx.table("scoring", "respondent_scores")     # millions of rows: only for change
        # the smallest change that matters: a share of the respondents' SD in the first wave
        first = scores[scores.wave == waves[0]]
        sd = (first.melt(id_vars="group", value_vars=[v for v in est.variable.unique()
                                                      if v in first], var_name="variable")
              .groupby(["group", "variable"])["value"].std().rename("sd").reset_index())
        k_sd = p.get("meaningful_change_sd", 0.3)
        est_m = est.merge(sd, on=["group", "variable"], how="left")
        est_m["meaningful_change"] = k_sd * est_m["sd"]
        ch = D.wave_change(est_m.drop(columns="sd"), by=["school_id", "group"],
                           base=waves[0], compare=waves[-1], family=["variable"],
                           better=better, meaningful="meaningful_change", **kw)
        ctx.write(ch, "change_by_school")
        ctx.write(D.classification_summary(ch, by=["group", "variable"]), "change_summary")
        chm, trend = _municipality_change(ctx, scores, better, waves, kw)
        ctx.write(chm, "change_municipality")
        ctx.write(trend, "trend_municipality")
        prog = _programme_schools(ctx, p)
        if prog:
            st = scores[scores.group == "students"]
            ctx.write(D.programme_did(st, [o for o in PROGRAMME_OUTCOMES if o in st],
                                      programme=prog, base=waves[0], compare=waves[-1]),
                      "programme_effect")
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
    else:
        # change needs two waves: no change, effect size, programme effect or values change
        _LOG.info("dynamics: one wave (%s): change between waves needs two; the change tables, "
                  "effect sizes, programme effect and values change are not written",
                  ", ".join(str(w) for w in waves))
        ctx.write(D.trend_table(est_all, by=["group"]), "trend_municipality")

    tables = {"results": ctx.read("results") if ctx.has("results") else None,
              "passport": ctx.read("passport") if ctx.has("passport") else None,
              "survey": est, **ctx.read_tables()}
    status = {k: tables.pop(k, None) for k in _STATUS_TABLES}
    # the register of school statuses (models stage), when that stage writes it
    tables["register"] = (ctx.table("models", "register") if ctx.has_table("models", "register")
                          else None)
    if tables.get("region") is not None and tables.get("results") is not None:
        ctx.write(region_comparison_table(tables["results"], tables["region"]),
                  "region_comparison")
    cat = load_catalogue(ctx.catalogue())
    ctx.write(compute_indicators(cat, tables), "indicators")
    ctx.write(cat.table(), "indicator_catalogue")
    res = result_status_table(cat, status["programme_results"])
    plan = action_plan_table(cat, status["action_plan"])
    ctx.write(res, "programme_results")
    ctx.write(plan, "action_plan")
    ctx.write(status_summary(res, plan), "programme_status_summary")
