"""The study's stages: what each reads, which parameters it takes, what it writes.

Each stage is a plain function ``run_<stage>(study)`` writing into ``study.stage_dir(stage)``;
it calls the library functions of its module (``instruments``/``forms``, ``responses``,
``scoring``, ``design``, ``context``/``typology``/``models``, ``dynamics``/``indicators``,
``report``) with the parameters of the study config, so that a notebook or the command line
give the same outputs. :mod:`.study` runs them in order and skips unchanged ones.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ._checks import DataError
from ._reproducible import fix_sav_time
from .study import GROUPS, Study, read_table, write_table

ID = ["resp_id", "school_id", "class_id", "wave"]


@dataclass(frozen=True)
class StageSpec:
    run: Callable[[Study], None]
    inputs: Callable[[Study], list[Path]]
    params: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    modules: list[str] = field(default_factory=list)


def _instrument_files(study: Study) -> list[Path]:
    from .instruments import SURVEYS_DIR
    out = []
    for v in study.instruments.values():
        p = Path(v) if str(v).endswith((".yaml", ".yml")) else SURVEYS_DIR / f"{v}.yaml"
        if p.exists():
            out.append(p)
    return sorted(out)


def _groups(study: Study) -> list[str]:
    return [g for g in GROUPS if any(r.group == g for r in study.responses)]


# -- 1. instruments -------------------------------------------------------------------------

def run_instruments(study: Study) -> None:
    """Printable questionnaires (HTML, DOCX), SPSS templates and codebooks of every instrument."""
    from .forms import write_forms
    out = study.stage_dir("instruments")
    write_forms([study.instrument(g) for g in study.instruments], out, lang=study.lang)


# -- 2. responses: read + validate ------------------------------------------------------------

def _sample_for(study: Study, group: str, wave: int) -> pd.DataFrame | None:
    """Sampled schools (teachers) or schools × classes (students, parents) of one wave."""
    if study.frame is None:
        return None
    d = study.params["design"]
    frame = study.frame.read()
    sch, cls, wcol = d.get("school", "school_id"), d.get("class", "class_id"), d.get("wave", "wave")
    if wcol in frame:
        frame = frame[frame[wcol] == wave]
    if "sampled" in frame:
        frame = frame[frame["sampled"] == 1]
    if group == "teachers":
        return frame[[sch]].drop_duplicates().rename(columns={sch: "school_id"})
    unit = d.get("unit")
    if unit and unit in frame:
        frame = frame[frame[unit] == "class"]
    return frame[[sch, cls]].drop_duplicates().rename(columns={sch: "school_id", cls: "class_id"})


def run_responses(study: Study) -> None:
    """Read every response file, validate it against its instrument, log every problem."""
    from .responses import read_responses, validate_responses
    out = study.stage_dir("responses")
    rules = study.params["validation"] or None
    problems, exclusions, counts, reads = [], [], [], []
    for g in _groups(study):
        inst = study.instrument(g)
        clean = []
        for r in (r for r in study.responses if r.group == g):
            rr = read_responses(r.file, inst, encoding=r.encoding, sep=r.sep, sheet=r.sheet)
            data = rr.data
            if "wave" not in data:
                data = data.assign(wave=r.wave)
            res = validate_responses(data, inst, sample=_sample_for(study, g, r.wave),
                                     rules=rules, lang=study.lang)
            tag = dict(group=g, wave=r.wave, file=r.file.name)
            problems.append(res.problems.assign(**tag))
            exclusions.append(res.exclusions.assign(**tag))
            reads.append(rr.report.to_frame().assign(**tag))
            counts.append(dict(tag, raw_rows=len(data), clean_rows=len(res.clean),
                               excluded_rows=len(res.exclusions)))
            clean.append(res.clean.assign(wave=r.wave))
        df = pd.concat(clean, ignore_index=True)
        write_table(df, out, f"{g}_clean", csv=False)
        _write_sav(df, inst, out / f"{g}_clean.sav", study.lang)
    write_table(pd.concat(problems, ignore_index=True).astype({"value": str}), out, "problems")
    write_table(pd.concat(exclusions, ignore_index=True), out, "exclusions")
    write_table(pd.DataFrame(counts), out, "row_counts")
    write_table(pd.concat(reads, ignore_index=True).astype(str), out, "read_report")


def _write_sav(df: pd.DataFrame, inst, path: Path, lang: str) -> None:
    """Clean data as SPSS .sav with the instrument's variable and value labels."""
    import pyreadstat

    from .forms import spss_metadata
    meta = spss_metadata(inst, lang)
    cols = [c for c in df.columns]
    keep = {k: {c: v for c, v in meta[k].items() if c in cols}
            for k in ("column_labels", "variable_value_labels", "missing_ranges",
                      "variable_measure") if isinstance(meta.get(k), dict)}
    data = df.copy()
    for c in data.columns:
        if data[c].dtype == object or str(data[c].dtype).startswith(("string", "category")):
            data[c] = data[c].astype(object).where(data[c].notna(), "").astype(str)
    pyreadstat.write_sav(data, str(path), **keep)
    fix_sav_time(path)


# -- 3. scoring -------------------------------------------------------------------------------

def load_clean(study: Study, group: str) -> pd.DataFrame:
    return read_table(study, "responses", f"{group}_clean")


def _bounds(inst, items):
    b = inst.item_bounds()
    return ({i: b[i][0] for i in items}, {i: b[i][1] for i in items})


def score_respondents(study: Study, group: str, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scale scores (and n valid) of every respondent of a group, by the instrument's rules."""
    from .scoring import score_scales, tension_index
    inst = study.instrument(group)
    data = load_clean(study, group) if data is None else data
    ids = [c for c in ID if c in data]
    out = [data[ids].reset_index(drop=True).assign(group=group)]
    for sid, sc in inst.scales.items():
        keys = inst.scale_keys([sid])
        lo, hi = _bounds(inst, sc.items)
        if sc.role == "tension":
            s = tension_index(data, [k for k in keys[sid]], item_min=lo, item_max=hi,
                              min_valid=sc.min_valid, out_of_range="missing", name=sid)
        else:
            s = score_scales(data, keys, item_min=lo, item_max=hi, method=sc.method,
                             min_valid=sc.min_valid, out_of_range="missing")
        out.append(s.reset_index(drop=True))
    return pd.concat(out, axis=1)


def run_scoring(study: Study) -> None:
    """Scores, reliability, tension, value orientations, life success, needs, agreement."""
    from . import scoring as S
    out = study.stage_dir("scoring")
    p = study.params["scoring"]
    scores, rel, clean_all = [], [], []
    for g in _groups(study):
        inst = study.instrument(g)
        data = load_clean(study, g)
        clean_all.append(data.assign(group=g))
        scores.append(score_respondents(study, g, data))
        keys = inst.scale_keys()
        items = sorted({i.lstrip("-") for k in keys.values() for i in k})
        lo, hi = _bounds(inst, items)
        for by in (None, "wave"):
            r = S.reliability(data, keys, item_min=lo, item_max=hi, by=by,
                              omega=True, out_of_range="missing")
            rel.append(r.assign(group=g, **({} if by else {"wave": "all"})))
    scores = pd.concat(scores, ignore_index=True)
    write_table(scores, out, "respondent_scores")
    rel = pd.concat(rel, ignore_index=True)
    rel["wave"] = rel["wave"].astype(str)
    write_table(rel, out, "reliability")
    allg = pd.concat(clean_all, ignore_index=True)

    # social tension per school x group x wave, levels, group comparison, balance per indicator
    thresholds = tuple(p.get("tension_thresholds", S.DEFAULT_THRESHOLDS))
    write_table(S.tension_summary(scores, "tension", by=["school_id", "group", "wave"],
                                  thresholds=thresholds), out, "tension_by_school")
    write_table(S.tension_summary(scores, "tension", by=["group", "wave"],
                                  thresholds=thresholds), out, "tension_by_group")
    write_table(S.compare_groups(scores, "tension", "group", by=["school_id", "wave"]),
                out, "tension_group_comparison")
    inst0 = study.instrument(_groups(study)[0])
    ten_items = list(inst0.scales["tension"].items)
    lo, hi = _bounds(inst0, ten_items)
    keyed = S.reverse_code(allg, [i for i in ten_items if inst0.item(i).reverse],
                           item_min=lo, item_max=hi) if any(inst0.item(i).reverse for i in ten_items) \
        else allg
    write_table(S.balance_index(keyed, ten_items, negative=[4, 5], positive=[1, 2],
                                by=["group", "wave"]), out, "tension_balance")

    # value orientations: Rokeach hierarchies per group x wave; PVQ-21 values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # the ipsative note is in the table
        for item_id in ("rok_term", "rok_instr"):
            cols = inst0.item(item_id).columns
            labels = {c: o.get(study.lang) for c, o in zip(cols, inst0.item(item_id).options)}
            ok = allg.dropna(subset=cols)
            rs = S.rank_summary(ok, cols, by=["group", "wave"])
            rs.insert(rs.columns.get_loc("value") + 1, "label", rs["value"].map(labels))
            write_table(rs, out, f"{item_id}_hierarchy")
            write_table(S.kendall_w(ok, cols, by=["group", "wave"]), out, f"{item_id}_kendall_w")
            write_table(S.hierarchy_correlation(ok, cols, "group", by="wave"), out,
                        f"{item_id}_group_correlation")
    pvq_keys = {sid.removeprefix("pvq_"): list(sc.items) for sid, sc in inst0.scales.items()
                if sc.role == "pvq_value"}
    if pvq_keys:
        pv = S.score_pvq(allg, pvq_keys, centre=True)
        pv = pd.concat([allg[["group", "wave", "school_id"]].reset_index(drop=True),
                        pv.reset_index(drop=True)], axis=1)
        write_table(pv.groupby(["group", "wave"]).mean(numeric_only=True).reset_index(),
                    out, "pvq_values")

    # life success and ways to achieve it: multiple-response sets
    for item_id in ("life_success", "success_ways"):
        it = inst0.item(item_id)
        mr = S.multiple_response(allg, it.columns, by=["group", "wave"])
        mr.insert(mr.columns.get_loc("option") + 1, "label",
                  mr["option"].map({c: o.get(study.lang) for c, o in zip(it.columns, it.options)}))
        write_table(mr, out, item_id)
        write_table(S.multiple_response_test(allg[allg.wave == allg.wave.max()], it.columns,
                                             "group"), out, f"{item_id}_by_group_test")

    # needs: importance vs realisation
    imp = [i for i in inst0.items if i.role == "need_importance"]
    real = [i for i in inst0.items if i.role == "need_realisation"]
    pairs = {a.id.removeprefix("need_imp_"): [a.id, b.id] for a, b in zip(imp, real)}
    if pairs:
        lo, hi = _bounds(inst0, [c for v in pairs.values() for c in v])
        write_table(S.needs_gap(allg, pairs, by=["group", "wave"], item_min=lo, item_max=hi),
                    out, "needs_gap")
        write_table(S.needs_gap(allg, pairs, by=["school_id", "group", "wave"], item_min=lo,
                                item_max=hi), out, "needs_gap_by_school")

    # teachers' professional community: agreement within school
    if "teachers" in _groups(study):
        tinst = study.instrument("teachers")
        tdata = load_clean(study, "teachers")
        tscores = scores[scores.group == "teachers"]
        ag = []
        for sid in ("pc_values", "leadership", "high_results", "demandingness", "pc_own"):
            if sid not in tinst.scales:
                continue
            its = list(tinst.scales[sid].items)
            keyed_t = S.reverse_code(tdata, [i for i in its if tinst.item(i).reverse],
                                     item_min=_bounds(tinst, its)[0], item_max=_bounds(tinst, its)[1]) \
                if any(tinst.item(i).reverse for i in its) else tdata
            opts = len(tinst.item(its[0]).codes)
            r = S.rwg_j(keyed_t, its, ["school_id", "wave"], options=opts)
            a = S.ad_index(keyed_t, its, ["school_id", "wave"])
            r = r.merge(a, on=["school_id", "wave"], how="left", suffixes=("", "_ad"))
            ag.append(r.assign(scale=sid))
        write_table(pd.concat(ag, ignore_index=True), out, "teacher_agreement")
        icc = [S.icc_anova(tscores[tscores.wave == w], sid, "school_id").assign(scale=sid, wave=w)
               for sid in tinst.scales for w in sorted(tscores.wave.unique())
               if tinst.scales[sid].role not in ("pvq_value",)]
        write_table(pd.concat(icc, ignore_index=True), out, "teacher_icc")


# -- 4. design-based estimates ------------------------------------------------------------------

def attach_design(study: Study, data: pd.DataFrame, group: str) -> pd.DataFrame:
    """Join the sampling frame's strata, weights and population counts (for fpc) to respondents.

    Students and parents: weight of their class; teachers: of their school's teacher list.
    Stage-1 fpc = schools in the stratum; stage-2 fpc = classes in the school (students and
    parents; teachers have none). Rows without a sampled class get no weight and are reported.
    """
    d = study.params["design"]
    if study.frame is None:
        raise DataError("the study config has no design.frame (sampling frame): design-based "
                        "estimates need strata, schools, classes and weights")
    frame = study.frame.read()
    w, sch, cls = d.get("wave", "wave"), d.get("school", "school_id"), d.get("class", "class_id")
    strata = d.get("strata", "stratum")
    weight = d.get("weight_nr", d.get("weight", "weight"))
    unit = d.get("unit")
    n_schools = frame.groupby([w, strata])[sch].nunique().rename("fpc_schools").reset_index()
    if unit and unit in frame:
        cl = frame[frame[unit] == "class"]
        te = frame[frame[unit] == "teachers"]
    else:
        cl, te = frame, frame.iloc[0:0]
    n_classes = cl.groupby([w, sch])[cls].nunique().rename("fpc_units").reset_index()
    if group == "teachers":
        # all teachers of a sampled school are asked: teachers are the second stage, taken
        # with replacement (no fpc), so the estimate refers to the school's teaching staff
        t = te[te["sampled"] == 1] if "sampled" in te else te
        t = t[[w, sch, strata, weight]].rename(columns={weight: "weight"})
        out = data.merge(t, left_on=["wave", "school_id"], right_on=[w, sch], how="left")
        out["psu2"] = out["resp_id"].astype(str)
    else:
        c = cl[cl["sampled"] == 1] if "sampled" in cl else cl
        c = c[[w, sch, cls, strata, weight]].rename(columns={weight: "weight"})
        out = data.merge(c, left_on=["wave", "school_id", "class_id"], right_on=[w, sch, cls],
                         how="left", suffixes=("", "_frame"))
        out = out.merge(n_classes.rename(columns={w: "wave", sch: "school_id"}),
                        on=["wave", "school_id"], how="left")
        out["psu2"] = out["class_id"].astype(str)
    out = out.merge(n_schools.rename(columns={w: "wave"}), on=["wave", strata], how="left")
    out = out.rename(columns={strata: "stratum"})
    drop = [c for c in out.columns if c.endswith("_frame") or (c in (w, sch, cls) and c not in data)]
    return out.drop(columns=[c for c in drop if c in out.columns and c not in data.columns])


def run_design(study: Study) -> None:
    """Weights and design-based estimates (SE, CI, deff) per school × group × wave and overall."""
    from .design import estimate_by, survey_design, weight_diagnostics
    out = study.stage_dir("design")
    scores = read_table(study, "scoring", "respondent_scores")
    lonely = study.params["design"].get("lonely_psu", "certainty")
    est_school, est_all, diag, dropped = [], [], [], []
    for g in _groups(study):
        inst = study.instrument(g)
        variables = [s for s in inst.scales if inst.scales[s].role != "pvq_value"]
        data = attach_design(study, scores[scores.group == g], g)
        bad = data["weight"].isna()
        if bad.any():
            dropped.append(data.loc[bad, ["resp_id", "school_id", "wave"]].assign(
                group=g, reason="no sampled class/school in the frame: no design weight"))
        data = data[~bad]
        for wave, dw in data.groupby("wave"):
            dw = dw.reset_index(drop=True)
            # municipality: the full multistage design (schools, then classes / teachers)
            des = survey_design(dw, ids=["school_id", "psu2"], strata="stratum", weights="weight",
                                fpc=["fpc_schools", "fpc_units" if g != "teachers" else None],
                                lonely_psu=lonely)
            est_all.append(estimate_by(des, variables).assign(group=g, wave=wave))
            diag.append(weight_diagnostics(des).assign(group=g, wave=wave))
            # per school: respondents within the school as units (school = stratum). With two
            # classes a school, between-class variance has 1 df and cannot be estimated usefully.
            within = survey_design(dw, strata="school_id", weights="weight")
            est_school.append(estimate_by(within, variables, by="school_id")
                              .assign(group=g, wave=wave))
    write_table(_front(pd.concat(est_school, ignore_index=True)), out, "estimates_by_school")
    write_table(_front(pd.concat(est_all, ignore_index=True)), out, "estimates_municipality")
    write_table(pd.concat(diag, ignore_index=True), out, "weight_diagnostics")
    write_table(pd.concat(dropped, ignore_index=True) if dropped else
                pd.DataFrame(columns=["resp_id", "school_id", "wave", "group", "reason"]),
                out, "no_weight")


def _front(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("school_id", "group", "wave", "variable", "level") if c in df]
    return df[keys + [c for c in df.columns if c not in keys]]


# -- 5. context ---------------------------------------------------------------------------------

def passport_components(study: Study) -> dict[str, int]:
    from .context import PASSPORT_COMPONENTS
    comps = study.params["context"].get("components") or PASSPORT_COMPONENTS
    return {k: int(v) for k, v in comps.items()}


def run_context(study: Study) -> None:
    """Social well-being index of every school and year, with components and weights."""
    from .context import wellbeing_index
    out = study.stage_dir("context")
    if study.passport is None:
        raise DataError("the study config has no context.passport file")
    passport = study.passport.read()
    p = study.params["context"]
    comps = {k: v for k, v in passport_components(study).items() if k in passport}
    idx = wellbeing_index(passport, comps, school="school_id", year="year",
                          weights=p.get("weights", "equal"),
                          min_components=p.get("min_components", 0.75))
    write_table(idx.scores, out, "wellbeing_index")
    write_table(idx.components, out, "components")
    write_table(idx.weights, out, "weights")
    write_table(idx.log.astype(str) if len(idx.log) else idx.log, out, "log")
    write_table(passport, out, "passport", csv=False)


# -- 6. models ------------------------------------------------------------------------------------

def school_results(results: pd.DataFrame) -> pd.DataFrame:
    """One result per school and year: mean z-score over procedure × subject × grade.

    Each mean score is standardised within its year × procedure × subject × grade across
    schools, then averaged per school-year (weighted by participants), so different tests add up.
    """
    r = results.copy()
    key = [c for c in ("year", "procedure", "subject", "grade") if c in r]
    g = r.groupby(key)["mean_score"]
    r["z"] = (r["mean_score"] - g.transform("mean")) / g.transform("std")
    w = r["n_participants"].fillna(1) if "n_participants" in r else 1
    r["wz"] = r["z"] * w
    r["w"] = w
    agg = r.groupby(["school_id", "year"]).agg(wz=("wz", "sum"), w=("w", "sum"),
                                               below_min_pct=("below_min_pct", "mean"),
                                               high_pct=("high_pct", "mean"),
                                               n_tests=("z", "size")).reset_index()
    agg["result"] = agg["wz"] / agg["w"]
    return agg.drop(columns=["wz", "w"])


def run_models(study: Study) -> None:
    """Results on context (OLS, two-level), school effects, low-result / resilient schools, typology."""
    from . import models as M
    from . import typology as T
    out = study.stage_dir("models")
    p = study.params["typology"]
    if study.results is None:
        raise DataError("the study config has no context.results file")
    results = study.results.read()
    idx = read_table(study, "context", "wellbeing_index")
    sr = school_results(results).merge(idx[["school_id", "year", "index"]],
                                       on=["school_id", "year"], how="left")
    write_table(sr, out, "school_results")

    # regression of results on context, per year (HC1) and pooled two-level (years in schools)
    complete = sr.dropna(subset=["result", "index"])
    coefs, fitted = T.context_regression(complete, outcome="result", context="index", by="year")
    write_table(coefs, out, "context_regression")
    write_table(pd.concat([complete[["school_id", "year", "result", "index"]], fitted], axis=1),
                out, "context_regression_residuals")
    m = M.random_intercept(sr.dropna(subset=["result", "index"]), "result ~ index + C(year)",
                           group="school_id")
    write_table(m.tidy(), out, "results_model_fixed")
    write_table(m.variance_components(), out, "results_model_variance")
    write_table(M.school_effects(m), out, "school_effects")

    # the school's mean over years: resilient schools, unfavourable context, clusters
    mean3 = sr.groupby("school_id")[["result", "index", "below_min_pct", "high_pct"]].mean().reset_index()
    res = T.resilient_schools(mean3, outcome="result", context="index",
                              rules=tuple(p.get("resilience_rules", ("quadrant", "residual"))),
                              context_quantile=p.get("context_quantile", 1 / 3),
                              outcome_quantile=p.get("outcome_quantile", 0.5),
                              residual_sd=p.get("residual_sd", 1.0),
                              residual_low_context_only=True)
    write_table(res, out, "resilient_schools")
    write_table(T.resilience_sensitivity(mean3, outcome="result", context="index", rule="residual"),
                out, "resilience_sensitivity")
    unf = T.unfavourable_context(idx, value="index", year="year",
                                 quantile=p.get("unfavourable_quantile", 0.25))
    write_table(unf, out, "unfavourable_context")
    # share below the minimum per school × year × procedure (ВПР, ОГЭ, ЕГЭ), pooled over
    # subjects and grades weighted by participants; "assessment" judges each subject × grade
    unit = p.get("low_results_unit", "procedure")
    r = results.copy()
    if unit == "assessment":
        r["procedure"] = (r["procedure"].astype(str) + "-" + r["subject"].astype(str) + "-"
                          + r["grade"].astype(str))
    r["below"] = r["below_min_pct"] / 100.0 * r["n_participants"]
    r = r.groupby(["school_id", "year", "procedure"], as_index=False)[
        ["below", "n_participants"]].sum(min_count=1)
    r["share_below"] = r["below"] / r["n_participants"]
    low = T.low_results_threshold(r, share_below="share_below",
                                  threshold=p.get("low_threshold", 0.3),
                                  min_procedures=p.get("min_procedures", 2),
                                  n_participants="n_participants")
    write_table(low, out, "low_results")
    states = T.result_states(sr, value="result")
    unf_school = unf.groupby("school_id")[unf.columns[unf.dtypes == bool][0]].any() \
        if (unf.dtypes == bool).any() else None
    st = states.merge(unf_school.rename("unfavourable").reset_index(), on="school_id", how="left") \
        if unf_school is not None else states
    typ = T.stability_typology(st, unfavourable="unfavourable" if unf_school is not None else None,
                               min_years=min(3, sr.year.nunique()))
    write_table(typ, out, "typology")
    cl = T.cluster_schools(mean3.dropna(), ["result", "index", "below_min_pct", "high_pct"],
                           k_range=range(2, 7), random_state=study.seed % (2 ** 31))
    write_table(cl.criteria if hasattr(cl, "criteria") else cl.tidy(), out, "cluster_criteria")
    write_table(cl.labels if hasattr(cl, "labels") else cl.assignments, out, "clusters")

    # questionnaire outcomes on context: two-level models of students' tension and motivation
    scores = read_table(study, "scoring", "respondent_scores")
    st_scores = scores[scores.group == "students"].merge(
        idx[["school_id", "year", "index"]].rename(columns={"year": "wave"}),
        on=["school_id", "wave"], how="left")
    st_scores = st_scores.merge(student_ses(study), on=["resp_id", "wave"], how="left")
    st_scores["school_wave"] = st_scores["school_id"].astype(str) + "/" + st_scores["wave"].astype(str)
    st_scores = M.add_group_mean(st_scores, ["ses"], "school_wave")   # school mean in that wave
    write_table(st_scores[["resp_id", "school_id", "wave", "ses", "ses_mean"]], out, "student_ses")
    fixed, var = [], []
    for outcome in ("tension", "motivation"):
        if outcome not in st_scores:
            continue
        d = st_scores.dropna(subset=[outcome, "index", "ses"])
        # student SES, its school mean (contextual effect) and the school's well-being index
        mm = M.random_intercept(d, f"{outcome} ~ ses + ses_mean + index + C(wave)",
                                group="school_id")
        fixed.append(mm.tidy().assign(outcome=outcome))
        var.append(mm.variance_components().assign(outcome=outcome, icc=mm.icc))
    if fixed:
        write_table(pd.concat(fixed, ignore_index=True), out, "survey_models_fixed")
        write_table(pd.concat(var, ignore_index=True), out, "survey_models_variance")


def student_ses(study: Study) -> pd.DataFrame:
    """ESCS-style SES of each student from parents' education, books and possessions.

    Components are the items with roles ``ses_parent_edu`` (the higher parent counts),
    ``ses_books`` and ``ses_possession`` (summed); equal weights of standardised components,
    re-standardised (PISA 2018+ construction, without occupational status). Standardised
    within each wave.
    """
    from .context import student_ses_index
    inst = study.instrument("students")
    d = load_clean(study, "students")
    edu = [i.id for i in inst.items if i.role == "ses_parent_edu"]
    books = [i.id for i in inst.items if i.role == "ses_books"]
    poss = [i.id for i in inst.items if i.role == "ses_possession"]
    comp = pd.DataFrame({"resp_id": d["resp_id"], "school_id": d["school_id"], "wave": d["wave"]})
    comps = {}
    if edu:
        comp["parent_edu"] = d[edu].max(axis=1, skipna=True)
        comps["parent_edu"] = 1
    if books:
        comp["books"] = d[books[0]]
        comps["books"] = 1
    if poss:
        comp["possessions"] = d[poss].sum(axis=1, min_count=len(poss))
        comps["possessions"] = 1
    if not comps:
        return comp.assign(ses=np.nan)[["resp_id", "wave", "ses"]]
    res = student_ses_index(comp, comps, student=["resp_id", "wave"], school="school_id",
                            by="wave", min_components=max(1, len(comps) - 1))
    out = res.scores[["resp_id", "wave", "index"]].rename(columns={"index": "ses"})
    return out


# -- 7. dynamics and indicators -----------------------------------------------------------------

def run_dynamics(study: Study) -> None:
    """Change between the first and last wave (and consecutive waves), indicators, targets."""
    from . import dynamics as D
    from .indicators import compute_indicators, load_catalogue
    out = study.stage_dir("dynamics")
    p = study.params["dynamics"]
    est = read_table(study, "design", "estimates_by_school")
    est_all = read_table(study, "design", "estimates_municipality")
    waves = sorted(est.wave.unique())
    lower_better = tuple(p.get("lower_is_better", ("tension", "anxiety", "burnout_exhaustion",
                                                   "burnout_depersonalisation")))
    kw = dict(adjust=p.get("adjust", "holm"), alpha=p.get("alpha", 0.05),
              min_change=p.get("min_change", 0.0))
    if len(waves) >= 2:
        ch = D.wave_change(est, by=["school_id", "group"], base=waves[0], compare=waves[-1],
                           family=["variable"], better=_better(lower_better), **kw)
        write_table(ch, out, "change_by_school")
        write_table(D.classification_summary(ch, by=["group", "variable"]), out,
                    "change_summary")
        write_table(D.wave_change(est_all, by=["group"], consecutive=True,
                                  better=_better(lower_better), **kw), out,
                    "change_municipality")
        # effect sizes of the change per school and group (respondent level, unweighted)
        scores = read_table(study, "scoring", "respondent_scores")
        eff = []
        for value in p.get("effect_size_scales", ("tension", "motivation", "anxiety")):
            if value not in scores:
                continue
            for measure in ("hedges_g", "cliff_delta"):
                eff.append(D.wave_effect_sizes(scores.dropna(subset=[value]), value,
                                               by=["school_id", "group"], base=waves[0],
                                               compare=waves[-1], measure=measure)
                           .assign(variable=value))
        if eff:
            write_table(pd.concat(eff, ignore_index=True), out, "change_effect_sizes")
        ranks = read_table(study, "scoring", "rok_term_hierarchy")
        write_table(D.hierarchy_change(ranks, item="value", score="mean_rank", by="group",
                                       base=waves[0], compare=waves[-1]), out, "values_change")
    write_table(D.trend_table(est_all, by=["group"]), out, "trend_municipality")
    tables = {"results": study.results.read() if study.results else None,
              "passport": study.passport.read() if study.passport else None,
              "survey": est}
    tables.update({name: f.read() for name, f in study.tables.items()})
    if tables.get("region") is not None and tables.get("results") is not None:
        from .indicators import region_comparison_table
        write_table(region_comparison_table(tables["results"], tables["region"]), out,
                    "region_comparison")
    cat = study.params["indicators"].get("catalogue")
    catalogue = load_catalogue((study.root / cat).resolve() if cat else None)
    write_table(compute_indicators(catalogue, tables), out, "indicators")


def _better(lower: tuple[str, ...]):
    return {v: "lower" for v in lower}


# -- registry -------------------------------------------------------------------------------------

def _files(*attrs):
    def inner(study: Study) -> list[Path]:
        out = []
        for a in attrs:
            if a == "responses":
                out += [r.file for r in study.responses]
            elif a == "instruments":
                out += _instrument_files(study)
            elif a == "tables":
                out += [f.file for f in study.tables.values()]
            elif a == "catalogue":
                from .instruments import SURVEYS_DIR
                cat = study.params["indicators"].get("catalogue")
                out.append((study.root / cat).resolve() if cat else SURVEYS_DIR / "indicators.yaml")
            else:
                d = getattr(study, a)
                if d is not None:
                    out.append(d.file)
        return out
    return inner


def _run_report(study: Study) -> None:
    from .report.study_report import run_report
    run_report(study)


STAGE_SPECS: dict[str, StageSpec] = {
    "instruments": StageSpec(run_instruments, _files("instruments"), (),
                             (), ["shnro_research.instruments", "shnro_research.forms"]),
    "responses": StageSpec(run_responses, _files("instruments", "responses", "frame"),
                           ("validation", "design"), (),
                           ["shnro_research.responses", "shnro_research.instruments"]),
    "scoring": StageSpec(run_scoring, _files("instruments"), ("scoring",), ("responses",),
                         ["shnro_research.scoring"]),
    "design": StageSpec(run_design, _files("frame"), ("design",), ("scoring",),
                        ["shnro_research.design"]),
    "context": StageSpec(run_context, _files("passport"), ("context",), (),
                         ["shnro_research.context"]),
    "models": StageSpec(run_models, _files("results"), ("typology",), ("context", "scoring"),
                        ["shnro_research.models", "shnro_research.typology"]),
    "dynamics": StageSpec(run_dynamics, _files("results", "passport", "tables", "catalogue"), ("dynamics", "indicators"),
                          ("design", "scoring"),
                          ["shnro_research.dynamics", "shnro_research.indicators"]),
    "report": StageSpec(_run_report, _files(), ("report",),
                        ("instruments", "responses", "scoring", "design", "context", "models",
                         "dynamics"), ["shnro_research.report"]),
}
