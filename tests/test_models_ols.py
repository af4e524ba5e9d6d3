"""OLS / WLS and robust covariances vs R lm, sandwich and clubSandwich."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.models import ols

REF = Path(__file__).parent / "reference"
X = ["meals", "ell", "avg.ed"]


@pytest.fixture(scope="module")
def apipop():
    return pd.read_csv(REF / "lm_apipop" / "data.csv", dtype={"cds": str})


@pytest.fixture(scope="module")
def expected():
    return json.loads((REF / "lm_apipop" / "expected.json").read_text())


@pytest.fixture(scope="module")
def extra():
    return json.loads((REF / "models_extra.json").read_text())


def _vals(d):
    return np.array(list(d.values()), dtype=float)


def test_lm_apipop(apipop, expected):
    fit = ols(apipop, y="api00", x=X)
    assert fit.nobs == expected["n_used"]
    assert list(fit.params.index) == list(expected["coef"])
    assert_allclose(fit.params.to_numpy(), _vals(expected["coef"]), rtol=1e-6)
    assert_allclose(fit.bse.to_numpy(), _vals(expected["se"]), rtol=1e-6)
    assert_allclose(fit.r2, expected["r_squared"], rtol=1e-6)
    assert_allclose(fit.sigma, expected["sigma"], rtol=1e-6)
    res = fit.residuals.set_axis(apipop["cds"])
    ref = expected["residual_by_cds_first_20"]
    assert_allclose(res.loc[list(ref)].to_numpy(), _vals(ref), rtol=1e-6)
    # residuals are aligned to the input; dropped rows are NaN
    assert fit.residuals.index.equals(apipop.index)
    assert fit.residuals.isna().sum() == len(apipop) - fit.nobs
    assert_allclose((fit.fitted + fit.residuals).dropna(),
                    apipop.loc[fit.residuals.notna(), "api00"], rtol=1e-12)


def test_formula_matches_columns(apipop):
    a = ols(apipop, "api00 ~ meals + ell + Q('avg.ed')")
    b = ols(apipop, y="api00", x=X)
    assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-12)
    assert a.params.index[0] == "(Intercept)"


def test_glance(apipop, extra):
    e = extra["ols"]
    g = ols(apipop, y="api00", x=X).glance().iloc[0]
    assert_allclose([g["aic"], g["bic"], g["adj_r2"], g["loglik"]],
                    [e["aic"], e["bic"], e["adj_r2"], e["loglik"]], rtol=1e-9)
    assert g["n"] == e["n"] and g["n_dropped"] == 178


def test_summary_prints_coefficients(apipop):
    fit = ols(apipop, "api00 ~ meals + ell", cov="cluster", school="dnum")
    text = fit.summary()
    assert isinstance(text, str) and repr(text) == str(text)
    for term, est in fit.params.items():
        assert term in text
        assert f"{est:.4f}" in text
    for word in ("OLS", "api00 ~ meals + ell", "No. observations", "R-squared", "AIC",
                 "cluster (CR1)", "Clusters (dnum)"):
        assert word in text
    assert str(fit.nobs) in text
    tidy = fit.tidy()
    assert list(tidy.columns) == ["term", "est", "se", "ci_low", "ci_high", "df", "statistic",
                                  "p_value"]
    g = fit.glance()
    assert len(g) == 1 and {"n", "groups", "loglik", "aic", "bic", "r2"} <= set(g.columns)
    assert g["groups"].item() == fit.n_clusters


def test_old_parameter_names_still_work(apipop):
    new = ols(apipop, y="api00", x=X, cov="cluster", school="dnum", level=0.9)
    with pytest.warns(FutureWarning, match="is renamed"):
        old = ols(apipop, y="api00", x=X, cov="cluster", cluster="dnum", alpha=0.1)
    assert old.level == pytest.approx(0.9)
    assert_allclose(old.tidy()["ci_low"], new.tidy()["ci_low"])


@pytest.mark.parametrize("cov,key", [("HC1", "se_hc1"), ("HC3", "se_hc3"),
                                     ("cluster", "se_cr1"), ("CR2", "se_cr2")])
def test_robust_se(apipop, extra, cov, key):
    e = extra["ols"]
    fit = ols(apipop, y="api00", x=X, cov=cov,
              school="dnum" if cov in ("cluster", "CR2") else None)
    assert_allclose(fit.bse.to_numpy(), _vals(e[key]), rtol=1e-6)
    tid = fit.tidy()
    if cov in ("cluster", "CR2"):
        assert fit.n_clusters == e["G"]
        assert (tid["df"] == e["G"] - 1).all()
    else:
        assert (tid["df"] == fit.nobs - 4).all()


def test_cluster_p_values_g_minus_1(apipop, extra):
    fit = ols(apipop, y="api00", x=X, cov="cluster", school="dnum")
    assert_allclose(fit.tidy()["p_value"].to_numpy(), _vals(extra["ols"]["p_cr1"]), rtol=1e-6)


def test_cluster_alignment_with_missing(apipop, extra):
    """statsmodels #1220: rows dropped for NaN must drop their cluster ids too."""
    d = apipop.copy()
    d.index = np.arange(len(d))[::-1] * 7            # non-default index
    fit = ols(d, y="api00", x=X, cov="cluster", school="dnum")
    assert_allclose(fit.bse.to_numpy(), _vals(extra["ols"]["se_cr1"]), rtol=1e-6)
    # a missing cluster id drops the row (listwise), it is not an error
    d2 = d.copy()
    d2.iloc[0, d2.columns.get_loc("dnum")] = np.nan
    assert ols(d2, y="api00", x=X, cov="cluster", school="dnum").nobs == fit.nobs - 1


def test_wls(apipop, extra):
    e = extra["wls"]
    fit = ols(apipop, y="api00", x=X, weight="api.stu")
    assert fit.nobs == e["n"]
    assert_allclose(fit.params.to_numpy(), _vals(e["coef"]), rtol=1e-6)
    assert_allclose(fit.bse.to_numpy(), _vals(e["se"]), rtol=1e-6)
    assert_allclose([fit.r2, fit.sigma, fit.aic], [e["r2"], e["sigma"], e["aic"]], rtol=1e-9)
    cr1 = ols(apipop, y="api00", x=X, weight="api.stu", cov="cluster", school="dnum")
    assert_allclose(cr1.bse.to_numpy(), _vals(e["se_cr1"]), rtol=1e-6)
    hc3 = ols(apipop, y="api00", x=X, weight="api.stu", cov="HC3")
    assert_allclose(hc3.bse.to_numpy(), _vals(e["se_hc3"]), rtol=1e-6)


def test_matches_statsmodels(apipop):
    import statsmodels.formula.api as smf
    d = apipop.rename(columns={"avg.ed": "avg_ed"}).dropna(subset=["api00", "meals", "ell",
                                                                   "avg_ed"])
    sm = smf.ols("api00 ~ meals + ell + avg_ed", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["dnum"], "use_correction": True})
    fit = ols(d, "api00 ~ meals + ell + avg_ed", cov="cluster", school="dnum")
    assert_allclose(fit.bse.to_numpy(), sm.bse.to_numpy(), rtol=1e-6)


def test_bad_input(apipop):
    with pytest.raises(ParameterError, match="'cov'"):
        ols(apipop, y="api00", x=X, cov="robust")
    with pytest.raises(ParameterError, match="^ols: cov='cluster' needs 'school'"):
        ols(apipop, y="api00", x=X, cov="cluster")
    with pytest.raises(ParameterError, match="'school' is given"):
        ols(apipop, y="api00", x=X, school="dnum")
    with pytest.raises(DataError, match="nothere"):
        ols(apipop, y="api00", x=["nothere"])
    with pytest.raises(DataError, match="numeric"):
        ols(apipop, y="api00", x=["stype"])
    with pytest.raises(DataError, match="collinear"):
        ols(apipop.assign(m2=apipop["meals"] * 2), y="api00", x=["meals", "m2"])
    with pytest.raises(DataError, match="weight"):
        ols(apipop.assign(w=-1.0), y="api00", x=X, weight="w")
    with pytest.raises(ParameterError, match="either 'formula'"):
        ols(apipop, "api00 ~ meals", y="api00")
    with pytest.raises(ParameterError, match="CR2"):
        ols(apipop, y="api00", x=X, weight="api.stu", cov="CR2", school="dnum")
    with pytest.raises(ParameterError, match="^ols: 'level' must be < 1; got 5"):
        ols(apipop, y="api00", x=X, level=5)
    with pytest.raises(DataError, match="formula"):
        ols(apipop, "api00 ~ nosuchcol")


def test_nullable_dtypes(apipop, expected):
    """pandas Int64 / Float64 columns with <NA> behave like float columns with NaN."""
    d = apipop.assign(meals=apipop["meals"].astype("Int64"),
                      **{"avg.ed": apipop["avg.ed"].astype("Float64")})
    for fit in (ols(d, y="api00", x=X), ols(d, "api00 ~ meals + ell + Q('avg.ed')")):
        assert fit.nobs == expected["n_used"]
        assert_allclose(fit.params.to_numpy(), _vals(expected["coef"]), rtol=1e-6)
