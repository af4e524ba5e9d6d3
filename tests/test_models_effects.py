"""Contextual variables, centring, school-effect tables, questionnaire outcome on context."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.models import (add_group_mean, center, ols, ols_school_effects,
                                   random_intercept, school_effects, variance_explained)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def exam():
    return pd.read_csv(REF / "lme4_exam" / "data.csv")


@pytest.fixture(scope="module")
def extra():
    return json.loads((REF / "models_extra.json").read_text())


def test_add_group_mean_and_center():
    d = pd.DataFrame({"s": [1, 1, 1, 2, 2, np.nan], "x": [1.0, 2.0, np.nan, 4.0, 6.0, 5.0]})
    out = add_group_mean(d, "x", "s")
    assert_allclose(out["x_mean"].to_numpy(), [1.5, 1.5, 1.5, 5, 5, np.nan])
    loo = add_group_mean(d, ["x"], "s", leave_one_out=True, suffix="_peer")
    assert_allclose(loo["x_peer"].to_numpy(), [2, 1, 1.5, 6, 4, np.nan])
    assert "x_mean" not in d.columns                     # input not modified
    c = center(d, "x", kind="group", school="s")
    assert_allclose(c["x_cwc"].to_numpy(), [-0.5, 0.5, np.nan, -1, 1, np.nan])
    g = center(d, "x", kind="grand")
    assert_allclose(g["x_cgm"].to_numpy(), d["x"].to_numpy() - 3.6)
    assert_allclose(add_group_mean(d, "x", "s", min_n=3)["x_mean"].isna().sum(), 6)


def test_contextual_effect_vs_lme4(exam, extra):
    e = extra["exam"]["contextual"]
    d = add_group_mean(exam, "standLRT", "school", suffix="_mean")
    m = random_intercept(d, "normexam ~ standLRT + standLRT_mean", school="school")
    assert_allclose(m.params.to_numpy(), np.array(list(e["coef"].values())), rtol=1e-6)
    assert_allclose(m.bse.to_numpy(), np.array(list(e["se"].values())), rtol=1e-6)
    d = center(d, "standLRT", kind="group", school="school")
    mw = random_intercept(d, "normexam ~ standLRT_cwc + standLRT_mean", school="school")
    assert_allclose(mw.params.to_numpy(), np.array(list(e["coef_cwc"].values())), rtol=1e-6)
    # between effect (cwc model) = within + contextual (raw model)
    assert_allclose(mw.params["standLRT_mean"], m.params["standLRT"] + m.params["standLRT_mean"],
                    rtol=1e-5)


def test_school_effects_table(exam, extra):
    m = random_intercept(exam, "normexam ~ standLRT + schavg", school="school")
    tab = school_effects(m)
    assert list(tab.columns) == ["school", "est", "se", "ci_low", "ci_high", "n"]
    assert len(tab) == 65 and tab["n"].sum() == len(exam)
    assert tab["est"].is_monotonic_increasing
    r = extra["exam"]["ranef"]
    t = tab.set_index("school").loc[[int(i) for i in r["id"]]]
    assert_allclose(t["se"].to_numpy(), r["se"], rtol=1e-6)
    assert_allclose(t["ci_high"] - t["ci_low"], 2 * 1.959963984540054 * t["se"], rtol=1e-12)
    with pytest.raises(ParameterError, match="MixedResult"):
        school_effects(ols(exam, "normexam ~ standLRT"))
    with pytest.raises(ParameterError, match="^school_effects: 'unit' must be one of"):
        school_effects(m, unit="class")
    narrow = school_effects(m, level=0.5)
    assert (narrow["ci_high"] - narrow["ci_low"] < tab["ci_high"] - tab["ci_low"]).all()


def test_ols_school_effects_vs_r(exam, extra):
    e = extra["exam"]["school_ols"]
    tab, fit = ols_school_effects(exam, "normexam ~ standLRT", school="school", return_model=True)
    assert list(tab.columns[:7]) == ["school", "est", "se", "ci_low", "ci_high", "df", "n"]
    assert_allclose(fit.params.to_numpy(), np.array(list(e["coef"].values())), rtol=1e-6)
    t = tab.set_index("school").loc[[int(s) for s in e["school"]]]
    assert_allclose(t["est"].to_numpy(), e["resid"], rtol=1e-6)
    assert (t["se"] > 0).all() and tab["est"].is_monotonic_increasing
    assert "normexam ~ standLRT" in fit.summary()
    # se: pooled within-school variance / n_j + prediction variance
    s2w = (exam["normexam"] - exam.groupby("school")["normexam"].transform("mean")).pow(2).sum() \
        / (len(exam) - 65)
    xb = np.column_stack([np.ones(len(t)), exam.groupby("school")["standLRT"].mean()
                          .loc[t.index].to_numpy()])
    pv = np.einsum("ij,jk,ik->i", xb, fit.cov_params.to_numpy(), xb)
    assert_allclose(t["se"].to_numpy(), np.sqrt(s2w / t["n"].to_numpy() + pv), rtol=1e-10)
    with pytest.raises(DataError, match="schools for"):
        ols_school_effects(exam[exam["school"] <= 2], "normexam ~ standLRT", school="school")


def test_questionnaire_outcome_recovers_context_effect():
    """A tension score (questionnaire outcome) on a school context index: known effect -0.5."""
    rng = np.random.default_rng(2026)
    G = 300
    n_j = rng.integers(10, 40, G)
    school = np.repeat(np.arange(G), n_j)
    ctx = rng.normal(size=G)                              # school context index (z-scored)
    u = rng.normal(0, 0.4, G)
    female = rng.integers(0, 2, len(school))
    tension = 3 - 0.5 * ctx[school] + 0.2 * female + u[school] + rng.normal(0, 1, len(school))
    d = pd.DataFrame({"school": school, "ctx": ctx[school], "female": female,
                      "tension": tension})
    d.loc[rng.choice(len(d), 50, replace=False), "tension"] = np.nan   # item non-response
    m = random_intercept(d, "tension ~ ctx + female", school="school")
    ci = m.tidy().set_index("term").loc["ctx"]
    assert ci["ci_low"] < -0.5 < ci["ci_high"]
    assert abs(m.params["ctx"] + 0.5) < 3 * m.bse["ctx"] and m.bse["ctx"] < 0.05
    assert m.nobs == len(d) - 50
    ve = variance_explained(m).set_index(["method", "component"])["est"]
    assert ve["raudenbush_bryk", "school"] > 0.4          # context explains school variance
    # cluster-robust OLS agrees on the context effect (sensitivity analysis)
    o = ols(d, "tension ~ ctx + female", cov="cluster", school="school")
    assert abs(o.params["ctx"] + 0.5) < 3 * o.bse["ctx"]
    # school-level OLS on school means recovers it too
    _, fit = ols_school_effects(d, "tension ~ ctx", school="school", return_model=True)
    assert abs(fit.params["ctx"] + 0.5) < 3 * fit.bse["ctx"]


def test_effects_bad_input(exam):
    with pytest.raises(DataError, match="nope"):
        add_group_mean(exam, "nope", "school")
    with pytest.raises(DataError, match="numeric"):
        add_group_mean(exam, "sex", "school")
    with pytest.raises(ParameterError, match="'kind'"):
        center(exam, "standLRT", kind="cluster")
    with pytest.raises(ParameterError, match="^center: kind='group' needs 'school'"):
        center(exam, "standLRT", kind="group")
    with pytest.raises(ParameterError, match="columns"):
        add_group_mean(exam, [], "school")
