"""shnro_research.design against R survey 4.1-1 (tests/reference/survey_* and design_survey.json)."""
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research import design as sd
from shnro_research._checks import DataError
from shnro_research.errors import DesignWarning

REF = Path(__file__).parent / "reference"
RTOL = 1e-6
R = json.loads((REF / "design_survey.json").read_text())

CASES = {
    "survey_apistrat": dict(strata="stype", weight="pw", fpc="fpc"),
    "survey_apiclus1": dict(ids="dnum", weight="pw", fpc="fpc"),
}


def _load(case):
    df = pd.read_csv(REF / case / "data.csv")
    df["sw"] = (df["sch.wide"] == "Yes").astype(float)
    return df


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    name = request.param
    df = _load(name)
    exp = json.loads((REF / name / "expected.json").read_text())
    return name, sd.survey_design(df, **CASES[name]), exp


# ------------------------------------------------------------------ done-when: expected.json
def test_means_se_deff(case):
    _, d, exp = case
    m = sd.svy_mean(d, ["api00", "api99"])
    for i, v in enumerate(["api00", "api99"]):
        assert_allclose(m.loc[i, ["est", "se", "deff"]].to_numpy(float),
                        [exp["mean"][v]["est"], exp["mean"][v]["se"], exp["mean"][v]["deff"]], rtol=RTOL)
    assert_allclose(m["n_eff"], m["n"] / m["deff"], rtol=RTOL)


def test_total(case):
    _, d, exp = case
    t = sd.svy_total(d, "enroll")
    e = exp["total_enroll"]
    assert_allclose(t.loc[0, ["est", "se", "deff"]].to_numpy(float), [e["est"], e["se"], e["deff"]], rtol=RTOL)


def test_proportions(case):
    _, d, exp = case
    p = sd.svy_proportion(d, "sch.wide")
    assert list(p["category"]) == ["No", "Yes"]
    for lev in ["No", "Yes"]:
        e = exp["proportion_sch_wide"][f"sch.wide{lev}"]
        row = p[p.category == lev].iloc[0]
        assert_allclose([row.est, row.se], [e["est"], e["se"]], rtol=RTOL)


def test_domain_means(case):
    _, d, exp = case
    b = sd.svy_mean(d, "api00", by="stype")
    for lev, e in exp["mean_api00_by_stype"].items():
        row = b[b.stype == lev].iloc[0]
        assert_allclose([row.est, row.se], [e["est"], e["se"]], rtol=RTOL)


def test_svyglm_gaussian(case):
    _, d, exp = case
    e = exp["svyglm_api00_on_ell_meals_mobility"]
    m = sd.svy_glm(d, "api00 ~ ell + meals + mobility")
    assert_allclose(m.coef, list(e["coef"].values()), rtol=RTOL)
    assert_allclose(m.se, list(e["se"].values()), rtol=RTOL)
    assert m.df_resid == e["df_resid"]
    # the same through y=/x=
    m2 = sd.svy_glm(d, y="api00", x=["ell", "meals", "mobility"])
    assert_allclose(m2.coef, m.coef, rtol=1e-10)
    t = m.tidy()
    assert list(t.columns[:3]) == ["term", "est", "se"]
    assert "t" not in t.columns and "statistic" in t.columns


# ------------------------------------------------------------------ extra R values (design_survey.R)
def _stat_check(tab, e, ci="t"):
    assert_allclose(tab["est"], np.atleast_1d(e["est"]), rtol=RTOL)
    assert_allclose(tab["se"], np.atleast_1d(e["se"]), rtol=RTOL)
    if "deff" in e:
        assert_allclose(tab["deff"], np.atleast_1d(e["deff"]), rtol=RTOL)
    lo, hi = ("ci_t_low", "ci_t_high") if ci == "t" else ("ci_n_low", "ci_n_high")
    assert_allclose(tab["ci_low"], np.atleast_1d(e[lo]), rtol=RTOL)
    assert_allclose(tab["ci_high"], np.atleast_1d(e[hi]), rtol=RTOL)


def _glm_check(m, e):
    assert_allclose(m.coef, e["coef"], rtol=RTOL)
    assert_allclose(m.se, e["se"], rtol=RTOL)
    t = m.tidy()
    assert_allclose(t["statistic"], e["t"], rtol=RTOL)
    assert_allclose(t["p_value"], e["p"], rtol=RTOL)
    assert m.df_resid == e["df_resid"]


@pytest.mark.parametrize("ci", ["t", "normal"])
def test_case_extras(case, ci):
    name, d, _ = case
    e = R[name.split("_")[1]]
    assert d.degf() == e["degf"]
    _stat_check(sd.svy_mean(d, ["api00", "api99"], ci=ci), e["mean"], ci)
    r = sd.svy_ratio(d, "api.stu", "enroll")
    assert_allclose(r[["est", "se"]].to_numpy().ravel(), [e["ratio"]["est"], e["ratio"]["se"]], rtol=RTOL)
    q = sd.svy_quantile(d, "api00", [0.25, 0.5, 0.75])
    for col, key in [("est", "est"), ("se", "se"), ("ci_low", "ci_low"), ("ci_high", "ci_high")]:
        assert_allclose(q[col], e["quantile"][key], rtol=RTOL)
    _glm_check(sd.svy_glm(d, "sw ~ ell + meals + mobility", family="quasibinomial"), e["glm_quasibinomial"])
    b = sd.svy_mean(d, "api00", by="stype")
    assert_allclose(b["deff"], e["by_stype_deff"]["deff"], rtol=RTOL)
    tt = sd.svy_total(d, "enroll", by="stype")
    assert_allclose(tt["est"], e["by_stype_total"]["est"], rtol=RTOL)
    assert_allclose(tt["se"], e["by_stype_total"]["se"], rtol=RTOL)


@pytest.fixture(scope="module")
def clus2():
    df = _load("design_apiclus2")
    return df, sd.survey_design(df, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])


def test_apiclus2_two_stage_fpc(clus2):
    df, d = clus2
    e = R["apiclus2"]
    assert d.degf() == e["degf"]
    assert_allclose(d.weights, e["weights"], rtol=RTOL)
    _stat_check(sd.svy_mean(d, ["api00", "api99"]), e["mean"])
    _stat_check(sd.svy_total(d, "enroll"), e["total_enroll"])  # enroll has 6 missing values
    _stat_check(sd.svy_proportion(d, "sch.wide"), e["prop_sch_wide"])
    _stat_check(sd.svy_proportion(d, "stype"), e["prop_stype"])
    for key, var in [("by_stype", "api00"), ("by_stype_enroll", "enroll")]:
        b = sd.svy_mean(d, var, by="stype")
        assert list(b["stype"]) == e[key]["levels"]
        for col in ["est", "se", "deff"]:
            assert_allclose(b[col], e[key][col], rtol=RTOL)
    r = sd.svy_ratio(d, "api.stu", "enroll")
    assert_allclose(r[["est", "se"]].to_numpy().ravel(), [e["ratio"]["est"], e["ratio"]["se"]], rtol=RTOL)
    for key, var, ps in [("quantile", "api00", [0.1, 0.25, 0.5, 0.75, 0.9]), ("quantile_na", "enroll", [0.25, 0.5])]:
        q = sd.svy_quantile(d, var, ps)
        for col in ["est", "se", "ci_low", "ci_high"]:
            assert_allclose(q[col], e[key][col], rtol=RTOL)
    _glm_check(sd.svy_glm(d, "api00 ~ ell + meals + mobility"), e["glm"])
    _glm_check(sd.svy_glm(d, "sw ~ ell + meals + mobility", family="quasibinomial"), e["glm_quasibinomial"])


def test_apiclus2_with_replacement_and_trim(clus2):
    df, _ = clus2
    e = R["apiclus2"]
    d = sd.survey_design(df, ids=["dnum", "snum"], weight="pw")
    _stat_check(sd.svy_mean(d, ["api00", "api99"]), e["mean_wr"])
    _glm_check(sd.svy_glm(d, "api00 ~ ell + meals + mobility"), e["glm_wr"])
    dt = sd.trim_weights(d, upper=60, lower=10)
    assert_allclose(dt.weights, e["trim_weights"], rtol=RTOL)
    assert_allclose(dt.weights.sum(), d.weights.sum(), rtol=1e-12)


@pytest.fixture(scope="module")
def synth():
    return pd.read_csv(REF / "design_synth2" / "data.csv")


@pytest.mark.parametrize("policy", ["certainty", "remove", "adjust", "average"])
def test_stratified_two_stage_lonely(synth, policy):
    e = R["synth2"][policy]
    d = sd.survey_design(synth, ids=["school", "class"], strata="stratum", fpc=["N1", "N2"],
                         nest=True, lonely_psu=policy)
    assert d.degf() == R["synth2"]["degf"]
    assert_allclose(d.weights, R["synth2"]["weights"], rtol=RTOL)
    m = sd.svy_mean(d, "y")
    if policy == "average":  # R gives NaN when a stage-2 unit is lonely; so do we
        assert np.isnan(m.se[0]) and e["mean"]["se"] == "NaN"
        return
    _stat_check(m, e["mean"])
    b = sd.svy_mean(d, "y", by="g")
    assert_allclose(b["se"], e["by_g"]["se"], rtol=RTOL)
    _stat_check(sd.svy_total(d, "y"), e["total"])


def test_stage2_with_replacement(synth):
    s1 = synth[synth.stratum != 3].copy()
    n1 = s1.groupby("stratum").school.transform("nunique")
    n2 = s1.groupby("school")["class"].transform("nunique")
    s1["wt"] = s1.N1 / n1 * s1.N2 / n2
    d = sd.survey_design(s1, ids=["school", "class"], strata="stratum", fpc=["N1", None],
                         weight="wt", nest=True, lonely_psu="certainty")
    _stat_check(sd.svy_mean(d, "y"), R["synth2"]["stage1_fpc_only"])


def test_lonely_fail_is_clear(synth):
    assert "only one PSU" in R["synth2"]["fail_error"]
    with pytest.raises(DataError, match="only one sampled PSU"):
        sd.survey_design(synth, ids=["school", "class"], strata="stratum", fpc=["N1", "N2"], nest=True)


def test_raking_matches_calibrate():
    df = _load("survey_apiclus1")
    d = sd.survey_design(df, ids="dnum", weight="pw", fpc="fpc")
    e = R["raking_apiclus1"]
    dc = sd.rake(d, e["margins"], epsilon=1e-12, maxit=100)
    assert_allclose(dc.weights, e["weights"], rtol=RTOL)
    _stat_check(sd.svy_mean(dc, "api00"), e["mean"])
    # margins reproduced
    for var, tab in e["margins"].items():
        got = pd.Series(dc.weights).groupby(df[var]).sum()
        assert_allclose(got[list(tab)].to_numpy(), list(tab.values()), rtol=1e-9)
    w = sd.rake_weights(df, "pw", e["margins"], epsilon=1e-12, maxit=100)
    assert_allclose(w, e["weights"], rtol=RTOL)


def test_jk1_replicates():
    df = _load("survey_apiclus1")
    rw = pd.read_csv(REF / "design_apiclus1_jk1_repweights.csv").to_numpy()
    e = R["jk1_apiclus1"]
    r_given = sd.replicate_design(df, repweights=rw, weight="pw", type="JK1", scale=e["scale"])
    r_made = sd.as_replicate(sd.survey_design(df, ids="dnum", weight="pw", fpc="fpc"), "JK1")
    assert_allclose(r_made.scale, e["scale"], rtol=RTOL)
    for r in (r_given, r_made):
        assert r.degf() == e["degf"]
        _stat_check(sd.svy_mean(r, ["api00", "api99"]), e["mean"])
        assert_allclose(sd.svy_total(r, "enroll")["se"], e["total_enroll"]["se"], rtol=RTOL)
        assert_allclose(sd.svy_mean(r, "api00", by="stype")["se"], e["by_stype"]["se"], rtol=RTOL)
        assert_allclose(sd.svy_ratio(r, "api.stu", "enroll")["se"], e["ratio"]["se"], rtol=RTOL)
        _glm_check(sd.svy_glm(r, "api00 ~ ell + meals + mobility"), e["glm"])
        _glm_check(sd.svy_glm(r, "sw ~ ell + meals + mobility", family="quasibinomial"), e["glm_quasibinomial"])


def test_jkn_replicates():
    df = _load("survey_apistrat")
    e = R["jkn_apistrat"]
    r = sd.as_replicate(sd.survey_design(df, strata="stype", weight="pw", fpc="fpc"), "JKn")
    assert_allclose(np.sort(r.rscales), np.sort(e["rscales"]), rtol=RTOL)
    assert r.degf() == e["degf"]
    _stat_check(sd.svy_mean(r, ["api00", "api99"]), e["mean"])
    assert_allclose(sd.svy_mean(r, "api00", by="stype")["se"], e["by_stype"]["se"], rtol=RTOL)


def test_brr_and_fay():
    df = pd.read_csv(REF / "design_scd" / "data.csv")
    e = R["scd"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DesignWarning)
        brr = sd.replicate_design(df, repweights=np.array(e["repweights"], float), type="BRR",
                                  combined_weights=False)
        fay = sd.replicate_design(df, repweights=np.array(e["fay_repweights"], float), type="Fay",
                                  rho=0.3, combined_weights=False)
    _stat_check(sd.svy_mean(brr, ["arrests", "alive"]), e["brr_mean"])
    assert_allclose(sd.svy_ratio(brr, "alive", "arrests")[["est", "se"]].to_numpy().ravel(),
                    [e["brr_ratio"]["est"], e["brr_ratio"]["se"]], rtol=RTOL)
    _stat_check(sd.svy_mean(fay, ["arrests", "alive"]), e["fay_mean"])
    _stat_check(sd.svy_total(fay, "arrests"), e["fay_total"])
