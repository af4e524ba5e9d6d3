"""Random-intercept models vs lme4 (tests/reference/lme4_exam, tests/reference/models_extra.R)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.errors import SingularFitWarning
from shnro_research.models import (MixedResult, icc_null_model, lr_test, random_intercept,
                                   variance_explained)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def exam():
    return pd.read_csv(REF / "lme4_exam" / "data.csv")


@pytest.fixture(scope="module")
def exam_expected():
    return json.loads((REF / "lme4_exam" / "expected.json").read_text())


@pytest.fixture(scope="module")
def extra():
    return json.loads((REF / "models_extra.json").read_text())


@pytest.fixture(scope="module")
def nested():
    return pd.read_csv(REF / "models_nested.csv")


def _vals(d):
    return np.array(list(d.values()), dtype=float)


# ---------------------------------------------------------------------------- lme4_exam
def test_exam_null_model_icc(exam, exam_expected):
    e = exam_expected["null_reml"]
    m = random_intercept(exam, y="normexam", x=[], school="school")
    assert_allclose(m.params["(Intercept)"], e["intercept"], rtol=1e-6)
    assert_allclose([m.var_school, m.var_resid], [e["var_group"], e["var_resid"]], rtol=1e-6)
    assert_allclose(m.loglik, e["loglik"], rtol=1e-9)
    assert_allclose(m.icc, e["icc"], rtol=1e-6)
    tab = icc_null_model(exam, "normexam", "school")
    assert list(tab.columns[:3]) == ["component", "variance", "est"]
    assert_allclose(tab.loc[tab["component"] == "school", "est"].item(), e["icc"], rtol=1e-6)
    assert tab["n"].iloc[0] == 4059


@pytest.mark.parametrize("reml,key", [(True, "model_reml"), (False, "model_ml")])
def test_exam_fixed_and_variance(exam, exam_expected, reml, key):
    e = exam_expected[key]
    m = random_intercept(exam, "normexam ~ standLRT + schavg + (1 | school)", reml=reml)
    assert list(m.params.index) == list(e["coef"])
    assert_allclose(m.params.to_numpy(), _vals(e["coef"]), rtol=1e-6)
    assert_allclose(m.bse.to_numpy(), _vals(e["se"]), rtol=1e-6)
    assert_allclose([m.var_school, m.var_resid], [e["var_group"], e["var_resid"]], rtol=1e-6)
    assert_allclose(m.loglik, e["loglik"], rtol=1e-9)
    assert m.converged and not m.singular and m.optimizers_agree
    assert m.optim["converged"].sum() >= 2 and m.optim["chosen"].sum() == 1
    tid = m.tidy()
    assert list(tid.columns) == ["term", "est", "se", "ci_low", "ci_high", "df", "statistic",
                                 "p_value"]
    if reml:
        re = m.ranef().set_index("school")
        ids = list(e["random_intercepts_first_10"])
        assert_allclose(re.loc[[int(i) for i in ids], "est"].to_numpy(),
                        _vals(e["random_intercepts_first_10"]), rtol=1e-6)


def test_exam_condvar_aic_bic_lrt(exam, extra):
    e = extra["exam"]
    m = random_intercept(exam, "normexam ~ standLRT + schavg", school="school")
    assert_allclose([m.aic, m.bic], [e["reml"]["aic"], e["reml"]["bic"]], rtol=1e-9)
    assert_allclose(m.theta, e["reml"]["theta"], rtol=1e-6)
    re = m.ranef().set_index("school")
    ids = [int(i) for i in e["ranef"]["id"]]
    assert_allclose(re.loc[ids, "est"].to_numpy(), e["ranef"]["effect"], rtol=1e-6)
    assert_allclose(re.loc[ids, "se"].to_numpy(), e["ranef"]["se"], rtol=1e-6)
    assert np.all(re["ci_low"] < re["est"]) and np.all(re["est"] < re["ci_high"])
    ml = m.refit(reml=False)
    assert_allclose([ml.aic, ml.bic], [e["ml"]["aic"], e["ml"]["bic"]], rtol=1e-9)
    m0 = random_intercept(exam, y="normexam", x=[], school="school", reml=False)
    assert_allclose(m0.loglik, e["null_ml"]["loglik"], rtol=1e-9)
    lrt = lr_test(m0, ml)
    assert_allclose(lrt[["statistic", "df", "p_value"]].iloc[0].to_numpy(dtype=float),
                    [e["lrt"]["chisq"], e["lrt"]["df"], e["lrt"]["p"]], rtol=1e-6, atol=1e-300)
    with pytest.raises(ParameterError, match="refit with reml=False"):
        lr_test(m.null_model(), m)


def test_exam_variance_explained(exam, extra):
    r2 = extra["exam"]["r2"]
    m = random_intercept(exam, "normexam ~ standLRT + schavg", school="school")
    ve = variance_explained(m).set_index(["method", "component"])["est"]
    assert_allclose([ve["raudenbush_bryk", "pupil"], ve["raudenbush_bryk", "school"],
                     ve["snijders_bosker", "pupil"], ve["snijders_bosker", "school"]],
                    [r2["rb_pupil"], r2["rb_school"], r2["sb_pupil"], r2["sb_school"]],
                    rtol=1e-6)


# ---------------------------------------------------------------------------- nested (3 levels)
def _dev_at_lme4_theta(m: MixedResult, theta_lme4, reml):
    # lme4 orders theta (class:school, school); ours (school, class)
    return m._suff.deviance(np.asarray(theta_lme4)[::-1], reml)


@pytest.mark.parametrize("reml,key", [(True, "reml"), (False, "ml")])
def test_nested_three_levels(nested, extra, reml, key):
    m = random_intercept(nested, "y ~ x + z + (1 | school/class)", reml=reml)
    assert m.n_dropped == 2 and m.n_groups == 60
    # lme4 with default nloptwrap tolerances (ftol_abs = 1e-8): its optimum is not better than
    # ours, the log-likelihood agrees, but the flat variance components differ by ~1e-5;
    e = extra["nested"][key]
    assert m.deviance <= _dev_at_lme4_theta(m, e["theta"], reml) + 1e-9
    assert_allclose(m.loglik, e["loglik"], rtol=1e-9)
    assert_allclose(m.params.to_numpy(), _vals(e["coef"]), rtol=1e-6)
    # ... lme4 with tightened tolerances (models_extra.R `tight`) agrees to 1e-6 everywhere.
    e = extra["nested_tight"][key]
    assert_allclose(m.params.to_numpy(), _vals(e["coef"]), rtol=1e-6)
    assert_allclose(m.bse.to_numpy(), _vals(e["se"]), rtol=1e-6)
    assert_allclose(m.loglik, e["loglik"], rtol=1e-9)
    assert_allclose([m.aic, m.bic], [e["aic"], e["bic"]], rtol=1e-9)
    assert_allclose(m.theta, e["theta"][::-1], rtol=1e-6)
    vc = e["varcorr"]
    assert_allclose([m.var_school, m.var_class, m.var_resid],
                    [vc["school"], vc["class:school"], vc["Residual"]], rtol=1e-6)
    comp = m.variance_components()
    assert list(comp["component"]) == ["school", "class", "residual"]
    assert_allclose(comp["share"].sum(), 1.0, rtol=1e-12)


def test_nested_ranef_condvar(nested, extra):
    e = extra["nested"]
    m = random_intercept(nested, y="y", x=["x", "z"], school="school", subgroup="class")
    rs = m.ranef("school").set_index("school")
    assert_allclose(rs.loc[e["ranef_school"]["id"], "est"].to_numpy(),
                    e["ranef_school"]["effect"], rtol=1e-6)
    assert_allclose(rs.loc[e["ranef_school"]["id"], "se"].to_numpy(),
                    e["ranef_school"]["se"], rtol=1e-6)
    rc = m.ranef("class").set_index("class")
    ids = [f"{i.split(':')[1]}:{i.split(':')[0]}" for i in e["ranef_class"]["id"]]  # lme4: class:school
    tight = extra["nested_tight"]
    assert_allclose(rc.loc[ids, "est"].to_numpy(), tight["ranef_class"]["effect"], rtol=1e-6)
    assert_allclose(rc.loc[ids, "se"].to_numpy(), tight["ranef_class"]["se"], rtol=1e-6)
    icc = icc_null_model(nested, "y", "school", "class").set_index("component")
    vc = tight["null"]["varcorr"]
    tot = vc["school"] + vc["class:school"] + vc["Residual"]
    assert_allclose(icc.loc["school", "est"], vc["school"] / tot, rtol=1e-6)
    assert_allclose(icc.loc["class", "est"], vc["class:school"] / tot, rtol=1e-6)
    ve = variance_explained(m)
    assert set(ve["component"]) == {"pupil", "school", "class"}


def test_pastes_multiple_optimizers(extra):
    """lme4::Pastes: L-BFGS-B stops at the boundary, Nelder-Mead finds the optimum."""
    e = extra["pastes"]
    d = pd.read_csv(REF / "models_pastes.csv")
    m = random_intercept(d, "strength ~ 1 + (1 | batch/cask)")
    assert_allclose(m.loglik, e["reml"]["loglik"], rtol=1e-9)
    assert m.deviance <= _dev_at_lme4_theta(m, e["reml"]["theta"], True) + 1e-9
    vc = e["reml_tight"]["varcorr"]
    assert_allclose([m.var_school, m.var_class, m.var_resid],
                    [vc["batch"], vc["cask:batch"], vc["Residual"]], rtol=1e-6)
    re = m.ranef("school").set_index("batch")
    assert_allclose(re.loc[e["ranef_batch"]["id"], "est"].to_numpy(),
                    e["ranef_batch"]["effect"], rtol=1e-5)
    assert_allclose(m.bse.to_numpy(), _vals(e["reml"]["se"]), rtol=1e-6)
    assert m.optimizer == "nelder-mead" and not m.optimizers_agree
    assert m.optim.loc[m.optim["optimizer"] == "lbfgsb", "deviance"].item() > m.deviance + 0.1


def test_singular_fit_flagged(extra):
    e = extra["singular"]
    d = pd.read_csv(REF / "models_singular.csv")
    with pytest.warns(SingularFitWarning, match="singular"):
        m = random_intercept(d, "y ~ x + (1 | g)")
    assert m.singular and e["singular"]
    # at the boundary the model is OLS: same coefficients and residual variance (REML = s^2)
    from shnro_research.models import ols
    o = ols(d, "y ~ x")
    assert_allclose(m.params.to_numpy(), o.params.to_numpy(), rtol=1e-8)
    assert_allclose(m.var_resid, o.sigma ** 2, rtol=1e-8)
    assert m.var_school < 1e-12
    assert_allclose(m.params.to_numpy(), _vals(e["coef"]), rtol=1e-6)
    assert_allclose(m.bse.to_numpy(), _vals(e["se"]), rtol=1e-6)
    assert_allclose(m.var_resid, e["varcorr"]["Residual"], rtol=1e-6)
    assert_allclose(m.loglik, e["loglik"], rtol=1e-9)
    # school effects collapse to 0 with se 0 at the boundary
    assert_allclose(m.ranef()["est"].abs().max(), 0, atol=1e-6)


# ---------------------------------------------------------------------------- statsmodels
def test_matches_statsmodels_mixedlm(exam):
    import statsmodels.formula.api as smf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = smf.mixedlm("normexam ~ standLRT + schavg", exam, groups="school").fit(
            reml=True, method=["powell", "lbfgs"])
    m = random_intercept(exam, "normexam ~ standLRT + schavg", school="school")
    assert_allclose(m.params.to_numpy(), sm.fe_params.to_numpy(), rtol=1e-4)
    assert_allclose(m.var_school, float(sm.cov_re.iloc[0, 0]), rtol=1e-3)
    assert_allclose(m.var_resid, sm.scale, rtol=1e-4)
    assert_allclose(m.loglik, sm.llf, rtol=1e-6)


# ---------------------------------------------------------------------------- behaviour
def test_missing_rows_and_alignment(exam):
    d = exam.copy()
    d.index = d.index + 1000
    d.loc[1003, "standLRT"] = np.nan
    d.loc[1010, "school"] = np.nan
    m = random_intercept(d, "normexam ~ standLRT", school="school")
    assert m.nobs == len(d) - 2 and m.n_dropped == 2
    assert m.residuals.index.equals(d.index)
    assert np.isnan(m.residuals.loc[1003]) and np.isnan(m.residuals.loc[1010])
    assert_allclose((m.fitted + m.residuals).dropna(), d["normexam"].drop([1003, 1010]),
                    rtol=1e-12)


def test_formula_and_columns_agree(exam):
    a = random_intercept(exam, "normexam ~ standLRT + (1 | school)")
    b = random_intercept(exam, y="normexam", x="standLRT", school="school")
    assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)


def test_recovers_simulated_components():
    rng = np.random.default_rng(42)
    G, per = 400, 30
    school = np.repeat(np.arange(G), per)
    u = rng.normal(0, np.sqrt(0.3), G)
    x = rng.normal(size=G * per)
    y = 2 + 0.4 * x + u[school] + rng.normal(0, 1, G * per)
    m = random_intercept(pd.DataFrame({"s": school, "x": x, "y": y}), "y ~ x", school="s")
    assert abs(m.params["x"] - 0.4) < 4 * m.bse["x"]
    assert abs(m.var_school - 0.3) < 0.1 and abs(m.var_resid - 1) < 0.05


def test_bad_input(exam):
    with pytest.raises(ParameterError, match="^random_intercept: 'school' .* is required"):
        random_intercept(exam, "normexam ~ standLRT")
    with pytest.raises(DataError, match="nope"):
        random_intercept(exam, "normexam ~ standLRT", school="nope")
    with pytest.raises(ParameterError, match="optimizers"):
        random_intercept(exam, "normexam ~ standLRT", school="school", optimizers=["bfgs"])
    with pytest.raises(ParameterError, match="brent"):
        random_intercept(exam, "normexam ~ 1 + (1 | school/student)", optimizers="brent")
    with pytest.raises(ParameterError, match="reml"):
        random_intercept(exam, "normexam ~ standLRT", school="school", reml="yes")
    with pytest.raises(ParameterError, match="random slopes"):
        random_intercept(exam, "normexam ~ standLRT + (standLRT | school)", school="school")
    with pytest.raises(DataError, match="collinear"):
        random_intercept(exam.assign(z=2 * exam["standLRT"]), "normexam ~ standLRT + z",
                         school="school")
    with pytest.raises(DataError, match="single row"):
        random_intercept(exam.assign(id=np.arange(len(exam))), "normexam ~ 1", school="id")
    with pytest.raises(DataError, match="numeric"):
        random_intercept(exam, y="normexam", x=["sex"], school="school")
    with pytest.raises(DataError, match="one class per school"):
        random_intercept(exam.assign(k=1), "normexam ~ 1", school="school", subgroup="k")


def test_summary_prints_coefficients_and_variance_components(nested):
    m = random_intercept(nested, "y ~ x + z + (1 | school/class)")
    text = m.summary()
    assert isinstance(text, str)
    for term, est in m.params.items():
        assert term in text
        assert f"{est:.4f}" in text
    for word in ("REML", "y ~ x + z + (1 | school/class)", "No. observations", "Groups (school)",
                 "Subgroups (class)", "Log-likelihood", "AIC", "Wald z", "Variance components",
                 "class:school", "Residual"):
        assert word in text
    assert f"{m.var_school:.4f}" in text and f"{m.var_resid:.4f}" in text
    g = m.glance()
    assert len(g) == 1 and {"n", "groups", "subgroups", "loglik", "aic", "bic"} <= set(g.columns)
    assert g["groups"].item() == 60
    assert list(m.variance_components().columns) == ["component", "factor", "est", "sd", "share"]


def test_old_parameter_names_still_work(exam):
    with pytest.warns(FutureWarning, match="is renamed"):
        old = random_intercept(exam, "normexam ~ standLRT", group="school", alpha=0.1)
    new = random_intercept(exam, "normexam ~ standLRT", school="school", level=0.9)
    assert_allclose(old.tidy()["ci_high"], new.tidy()["ci_high"])
