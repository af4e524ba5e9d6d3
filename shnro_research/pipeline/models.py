"""Stage 6 — models: school results on social context (per-year OLS with HC1, two-level over
years), school effects, low-result, unfavourable-context and resilient schools, the stability
typology and clusters; two-level models of students' tension and motivation on SES and context.

What the tables show is association, not effect: schools are observed, not assigned.
"""
from __future__ import annotations

import pandas as pd

from .. import models as M
from .. import typology as T
from .. import climate as CL
from ..resilience_profile import (compare_school_groups, own_ideal_pairs, own_vs_ideal_gap,
                                  school_profile_table)
from ..results import derive_results, school_results, share_below_by_procedure
from ..student_ses import student_ses, student_ses_columns
from ._base import StageContext

INPUTS = ("results", "instruments", "tables")
CONFIG = ("typology", "study.seed")
UPSTREAM = ("responses", "scoring", "context")
OUTPUTS = ("school_results", "context_regression", "context_regression_residuals",
           "results_model_fixed", "results_model_variance", "school_effects",
           "resilient_schools", "resilience_sensitivity", "unfavourable_context", "low_results",
           "typology", "cluster_criteria", "clusters", "student_ses", "objectivity_screen",
           "register", "register_rules", "register_transitions", "register_sensitivity")
# with teachers: resilient_vs_others, own_vs_ideal_gap; with students: survey_models_*,
# school_climate, climate_results_model, pupil_outcomes_model, climate_change_on_change


#: measures compared between resilient and other schools (school means by respondent group)
COMPARED = {"teachers": ["pc_values", "leadership", "high_results", "demandingness",
                         "burnout_exhaustion", "burnout_depersonalisation",
                         "burnout_accomplishment"],
            "students": ["tension", "rel_satisfaction", "motivation", "anxiety"],
            "parents": ["tension", "rel_satisfaction", "involvement"]}
#: the study's declared hypothesis on climate and results (the study is about social tension):
#: fitted alone beside context, so it keeps its power; the model with every measure is exploratory
FOCAL_CLIMATE = ("students:tension",)
#: climate measures related to results (issue 12): students' and teachers' scales
CLIMATE = {"students": ["tension", "motivation", "anxiety", "rel_satisfaction"],
           "teachers": ["pc_values", "leadership", "high_results", "demandingness",
                        "burnout_exhaustion"]}


def run(ctx: StageContext) -> None:
    p = ctx.params("typology")
    results = derive_results(ctx.read("results"))   # mean, pass rate, quality from the counts
    idx = ctx.table("context", "wellbeing_index").rename(columns={"est": "wellbeing_index"})
    sr = school_results(results).merge(idx[["school_id", "year", "wellbeing_index"]],
                                       on=["school_id", "year"], how="left")
    ctx.write(sr, "school_results")

    # results on context: per year (HC1) and pooled two-level (years in schools)
    complete = sr.dropna(subset=["result", "wellbeing_index"])
    coefs, fitted = T.context_regression(complete, outcome="result", context="wellbeing_index", by="year")
    ctx.write(coefs, "context_regression")
    ctx.write(pd.concat([complete[["school_id", "year", "result", "wellbeing_index"]], fitted], axis=1),
              "context_regression_residuals")
    # two-level with years in schools; OLS (HC1) in a one-year study
    rc = M.results_on_context(complete, "result ~ wellbeing_index + C(year)", school="school_id")
    ctx.write(rc["fixed"], "results_model_fixed")
    ctx.write(rc["variance"], "results_model_variance")
    ctx.write(rc["effects"], "school_effects")

    # the school's mean over years: resilient schools, unfavourable context, clusters
    mean_years = sr.groupby("school_id")[
        ["result", "wellbeing_index", "below_min_pct", "high_pct"]].mean().reset_index()
    res = T.resilient_schools(mean_years, outcome="result", context="wellbeing_index",
                              rules=tuple(p.get("resilience_rules", ("quadrant", "residual"))),
                              context_quantile=p.get("context_quantile", 1 / 3),
                              outcome_quantile=p.get("outcome_quantile", 0.5),
                              residual_sd=p.get("residual_sd", 1.0),
                              residual_low_context_only=True,
                              context_cutoff=(p.get("register") or {}).get("low_context", -0.43))
    ctx.write(res, "resilient_schools")
    ctx.write(T.resilience_sensitivity(mean_years, outcome="result", context="wellbeing_index",
                                       rule="residual"), "resilience_sensitivity")
    # ШФНСУ with the same low-context cut-off as the resilient schools and the register
    unf = T.unfavourable_context(idx, value="wellbeing_index", year="year",
                                 quantile=p.get("unfavourable_quantile", 0.25),
                                 cutoff=(p.get("register") or {}).get("low_context", -0.43))
    ctx.write(unf, "unfavourable_context")
    # objectivity screen of ВПР; optionally without the flagged rows before low results
    op = dict(p.get("objectivity") or {})
    exclude = op.pop("exclude_flagged", False)
    screen = T.objectivity_screen(results, ctx.read_tables().get("region"), **op)
    ctx.write(screen, "objectivity_screen")
    judged = T.drop_flagged(results, screen) if exclude else results
    shares = share_below_by_procedure(judged, unit=p.get("low_results_unit", "procedure"))
    ctx.write(T.low_results_threshold(shares, share_below="share_below",
                                      threshold=p.get("low_threshold", 0.3),
                                      min_procedures=p.get("min_procedures", 2),
                                      n_participants="n_participants"), "low_results")
    # the register of schools per school x year (issue 13): absolute rules, one low context
    rp = dict(p.get("register") or {})
    ref_year = rp.pop("reference_year", None)
    reg_kw = dict(low_threshold=p.get("low_threshold", 0.3),
                  min_procedures=p.get("min_procedures", 2), **rp)
    r_index = T.results_index(results, reference_year=ref_year)
    register = T.school_register(shares, r_index, idx, wellbeing="wellbeing_index",
                                 reference_year=ref_year, **reg_kw)
    ctx.write(register, "register")
    ctx.write(T.register_rules(register, **reg_kw), "register_rules")
    ctx.write(T.register_transitions(register), "register_transitions")
    ctx.write(T.register_sensitivity(shares, r_index, idx, wellbeing="wellbeing_index",
                                     reference_year=ref_year, **reg_kw), "register_sensitivity")
    states = T.result_states(sr, value="result")
    flag = unf.columns[unf.dtypes == bool]
    if len(flag):
        unf_school = unf.groupby("school_id")[flag[0]].any().rename("unfavourable").reset_index()
        states = states.merge(unf_school, on="school_id", how="left")
    ctx.write(T.stability_typology(states, unfavourable="unfavourable" if len(flag) else None,
                                   min_years=min(3, sr.year.nunique())), "typology")
    cl = T.cluster_schools(mean_years.dropna(),
                           ["result", "wellbeing_index", "below_min_pct", "high_pct"],
                           k_range=range(2, 7), seed=ctx.seed % (2 ** 31))
    ctx.write(cl.criteria if hasattr(cl, "criteria") else cl.tidy(), "cluster_criteria")
    ctx.write(cl.labels if hasattr(cl, "labels") else cl.assignments, "clusters")

    # resilient schools vs the others: teachers' community, agreement, own-vs-ideal gap, climate
    # (the respondent tables are read with only the columns used: a national study has millions)
    measures = {m for ms in (*COMPARED.values(), *CLIMATE.values()) for m in ms}
    scores = ctx.table_with("scoring", "respondent_scores",
                            ["resp_id", "school_id", "wave", "group", *sorted(measures)])
    if "teachers" in ctx.groups:
        own, ideal = own_ideal_pairs(ctx.instrument("teachers"))
        gap = own_vs_ideal_gap(ctx.table_with("responses", "teachers_clean",
                                              ["resp_id", "school_id", "wave", *own, *ideal]),
                               own, ideal)
        ctx.write(gap, "own_vs_ideal_gap")
        profile = school_profile_table(scores, ctx.table("scoring", "teacher_agreement"),
                                       measures=COMPARED, gap=gap)
        values = profile.merge(res[["school_id", "resilient"]], on="school_id", how="left")
        values["resilient"] = values["resilient"].fillna(False).astype(bool)
        cols = [c for c in profile.columns if c not in ("school_id", "wave")
                and not c.startswith("n_")]
        ctx.write(compare_school_groups(values, cols, by="wave", seed=ctx.seed % (2 ** 31)),
                  "resilient_vs_others")

    # questionnaire outcomes on context: two-level models of students' tension and motivation
    st = scores[scores.group == "students"].merge(
        idx[["school_id", "year", "wellbeing_index"]].rename(columns={"year": "wave"}),
        on=["school_id", "wave"], how="left")
    pupil_cols = ["marks", "plans"] if "students" in ctx.groups else []
    students = ctx.table_with("responses", "students_clean",
                              [*student_ses_columns(ctx.instrument("students")), *pupil_cols])
    ses = student_ses(students, ctx.instrument("students"))
    st = st.merge(ses, on=["resp_id", "wave"], how="left")
    st["school_wave"] = st["school_id"].astype(str) + "/" + st["wave"].astype(str)
    st = M.add_group_mean(st, ["ses"], "school_wave")   # the school's mean SES in that wave
    ctx.write(st[["resp_id", "school_id", "wave", "ses", "ses_mean"]], "student_ses")
    fixed, var = [], []
    for outcome in ("tension", "motivation"):
        if outcome not in st:
            continue
        d = st.dropna(subset=[outcome, "wellbeing_index", "ses"])
        mm = M.random_intercept(d, f"{outcome} ~ ses + ses_mean + wellbeing_index + C(wave)",
                                school="school_id")
        fixed.append(mm.tidy().assign(outcome=outcome))
        var.append(mm.variance_components().assign(outcome=outcome, icc=mm.icc))
    if fixed:
        ctx.write(pd.concat(fixed, ignore_index=True), "survey_models_fixed")
        ctx.write(pd.concat(var, ignore_index=True), "survey_models_variance")

    # school climate and results: shrunken school means, results on context + climate,
    # pupils' marks and plans, change on change (association, not effect; see each table's note)
    if "students" in ctx.groups:
        have = {g: [m for m in ms if m in scores] for g, ms in CLIMATE.items() if g in ctx.groups}
        climate = CL.school_climate(scores, sorted({m for ms in have.values() for m in ms}))
        ctx.write(climate, "school_climate")
        measures = [f"{g}:{m}" for g, ms in have.items() for m in ms]
        focal = [m for m in FOCAL_CLIMATE if m in measures] or None
        ctx.write(CL.climate_results_model(sr, climate, measures=measures, focal=focal),
                  "climate_results_model")
        pupils = CL.pupil_outcomes(students)[["resp_id", "wave", "marks_score", "plans_higher"]]
        d = st.merge(pupils, on=["resp_id", "wave"])
        pm = [CL.pupil_outcomes_model(d, outcome, ["tension", "motivation", "anxiety", "ses"],
                                      wave="wave") for outcome in ("marks_score", "plans_higher")]
        ctx.write(pd.concat(pm, ignore_index=True), "pupil_outcomes_model")
        wide = climate[climate["group"] == "students"].pivot_table(
            index=["school_id", "wave"], columns="variable", values="est").reset_index()
        panel = sr.rename(columns={"year": "wave"}).merge(wide, on=["school_id", "wave"])
        if panel["wave"].nunique() >= 2:          # change on change needs two waves
            ctx.write(CL.change_on_change(panel, "result", have["students"]),
                      "climate_change_on_change")
