"""CFA and measurement invariance against R lavaan 0.6-14 (tests/reference/measurement_cfa.R ->
measurement_cfa.json): estimates, standard errors, standardised solutions and fit indices of ML
and MLR models, one group and two groups (configural, metric, scalar), and lavTestLRT."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.errors import DataError, ParameterError
from shnro_research.scoring import cfa, measurement_invariance

REF = Path(__file__).parent / "reference"
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
            "speed": ["x7", "x8", "x9"]}
LK_ITEMS = ["q1", "q2", "q3", "q4", "q5", "q6"]
#: our fit names -> lavaan fitMeasures names
FIT = {"chi2": "chisq", "df": "df", "p_value": "pvalue", "npar": "npar", "n": "ntotal",
       "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "rmsea_ci_low": "rmsea.ci.lower",
       "rmsea_ci_high": "rmsea.ci.upper", "rmsea_p_close": "rmsea.pvalue", "srmr": "srmr",
       "baseline_chi2": "baseline.chisq", "baseline_df": "baseline.df", "loglik": "logl"}
FIT_SCALED = {"chi2_scaled": "chisq.scaled", "scaling_factor": "chisq.scaling.factor",
              "p_value_scaled": "pvalue.scaled", "baseline_chi2_scaled": "baseline.chisq.scaled",
              "cfi_scaled": "cfi.scaled", "tli_scaled": "tli.scaled",
              "rmsea_scaled": "rmsea.scaled", "rmsea_ci_low_scaled": "rmsea.ci.lower.scaled",
              "rmsea_ci_high_scaled": "rmsea.ci.upper.scaled", "rmsea_robust": "rmsea.robust",
              "cfi_robust": "cfi.robust", "tli_robust": "tli.robust"}
# the tolerance for ML estimates and fit indices; the same holds for the SEs (largest
# relative difference seen 2e-5: lavaan stops nlminb at rel.tol 1e-10, our Fisher scoring at a
# gradient of 1e-10)
RTOL = 1e-4


@pytest.fixture(scope="module")
def ref():
    return json.loads((REF / "measurement_cfa.json").read_text())


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(REF / "measurement_hs" / "data.csv")


@pytest.fixture(scope="module")
def lk():
    return pd.read_csv(REF / "measurement_likert" / "data.csv")


def _params(case) -> pd.DataFrame:
    p = pd.DataFrame(case["params"])
    labels = case["group_labels"]
    p["block"] = [str(labels[g - 1]) if labels else "all" for g in p["group"]]
    p["rhs"] = p["rhs"].fillna("")
    return p


def _check(fit, case, scaled=False):
    p = _params(case)
    t = fit.tidy()
    m = p.merge(t, on=["lhs", "op", "rhs", "block"], suffixes=("_r", ""), validate="1:1")
    assert len(m) == len(p) == len(t)
    assert_allclose(m["est"], m["est_r"], rtol=RTOL, atol=1e-8)
    free = m["free"].to_numpy()
    assert_allclose(m.loc[free, "se"], m.loc[free, "se_r"], rtol=RTOL)
    assert_allclose(m.loc[free, "statistic"], m.loc[free, "z"], rtol=RTOL)
    assert_allclose(m.loc[free, "p_value"], m.loc[free, "pvalue"], rtol=1e-3, atol=1e-12)
    assert_allclose(m.loc[free, "ci_low"], m.loc[free, "ci_lower"], rtol=RTOL)
    assert_allclose(m["std_all"], m["std_all_r"], rtol=RTOL, atol=1e-8)
    assert_allclose(m["std_lv"], m["std_lv_r"], rtol=RTOL, atol=1e-8)
    fm = fit.fit_measures()
    names = {**FIT, **(FIT_SCALED if scaled else {})}
    got = np.array([fm[k] for k in names], dtype=float)
    want = np.array([case["fit"][v] for v in names.values()], dtype=float)
    assert_allclose(got, want, rtol=RTOL, atol=1e-10)
    # the scaled p-value (p close to 1e-1 in these cases) at the same tolerance as the statistics


def test_holzinger_swineford_ml(hs, ref):
    _check(cfa(hs, HS_MODEL), ref["hs_ml"])


def test_holzinger_swineford_std_lv(hs, ref):
    fit = cfa(hs, HS_MODEL, std_lv=True)
    _check(fit, ref["hs_ml_stdlv"])
    t = fit.tidy()
    assert (t.loc[(t.op == "~~") & t.lhs.isin(HS_MODEL) & (t.lhs == t.rhs), "est"] == 1).all()


def test_likert_one_factor_ml_and_mlr(lk, ref):
    _check(cfa(lk, {"f": LK_ITEMS}), ref["likert_ml"])
    mlr = cfa(lk, {"f": LK_ITEMS}, estimator="MLR")
    _check(mlr, ref["likert_mlr"], scaled=True)
    # the list form is one factor; listwise deletion leaves lavaan's n
    assert cfa(lk, LK_ITEMS).n == ref["likert_ml"]["nobs"] == 630


@pytest.mark.parametrize("level,equal", [("configural", []), ("metric", ["loadings"]),
                                         ("scalar", ["loadings", "intercepts"])])
def test_multigroup_holzinger_swineford_by_school(hs, ref, level, equal):
    _check(cfa(hs, HS_MODEL, by="school", group_equal=equal), ref[f"hs_{level}"])


@pytest.mark.parametrize("level,equal", [("configural", []), ("metric", ["loadings"]),
                                         ("scalar", ["loadings", "intercepts"])])
def test_multigroup_likert_mlr(lk, ref, level, equal):
    fit = cfa(lk, {"f": LK_ITEMS}, by="group", group_equal=equal, estimator="MLR")
    _check(fit, ref[f"likert_mlr_{level}"], scaled=True)


def test_invariance_table_matches_lavtestlrt(hs, ref):
    t = measurement_invariance(hs, HS_MODEL, by="school")
    r = ref["hs_lrt"]
    assert list(t.model) == ["configural", "metric", "scalar"]
    assert_allclose(t["chi2"], r["chisq"], rtol=RTOL)
    assert_allclose(t["df"], r["df"], rtol=0, atol=0)
    assert_allclose(t["delta_chi2"][1:], r["chisq_diff"][1:], rtol=RTOL)
    assert_allclose(t["delta_df"][1:], r["df_diff"][1:], rtol=0, atol=0)
    assert_allclose(t["p_value"][1:], r["pvalue"][1:], rtol=RTOL)
    cfis = [ref[f"hs_{lv}"]["fit"]["cfi"] for lv in ("configural", "metric", "scalar")]
    assert_allclose(t["delta_cfi"][1:], np.diff(cfis), rtol=1e-3)
    # configural CFI .923 < .95: nothing is warranted, and the rule says why
    assert not t["holds"].any()
    assert t["verdict"].str.startswith("not supported").all()
    assert t["rule"].str.contains("Cheung & Rensvold").all()


def test_invariance_mlr_scaled_difference_and_planted_intercept(lk, ref):
    t = measurement_invariance(lk, LK_ITEMS, by="group", estimator="MLR")
    r = ref["likert_mlr_lrt"]
    assert_allclose(t["delta_chi2"][1:], r["chisq_diff"][1:], rtol=RTOL)
    assert_allclose(t["p_value"][1:], r["pvalue"][1:], rtol=1e-3)
    scaled = [ref[f"likert_mlr_{lv}"]["fit"]["chisq.scaled"]
              for lv in ("configural", "metric", "scalar")]
    assert_allclose(t["chi2"], scaled, rtol=RTOL)
    robust = [ref[f"likert_mlr_{lv}"]["fit"]["cfi.robust"]
              for lv in ("configural", "metric", "scalar")]
    assert_allclose(t["cfi"], robust, rtol=RTOL)
    # the data plant a group difference in the intercept of q5 only: configural and metric hold,
    # scalar does not (robust delta CFI -0.07)
    assert list(t["holds"]) == [True, True, False]
    assert "do not compare means" in t.loc[2, "verdict"] and "not supported" in t.loc[2, "verdict"]
    # with rule="both", the metric step's p = .008 < .05 rejects it too
    both = measurement_invariance(lk, LK_ITEMS, by="group", estimator="MLR", rule="both")
    assert list(both["holds"]) == [True, False, False]


def test_parameter_and_data_errors(hs):
    with pytest.raises(ParameterError, match="estimator"):
        cfa(hs, HS_MODEL, estimator="WLSMV")
    with pytest.raises(ParameterError, match="more than one factor"):
        cfa(hs, {"a": ["x1", "x2", "x3"], "b": ["x3", "x4", "x5"]})
    with pytest.raises(DataError, match="not found"):
        cfa(hs, ["x1", "x2", "nope"])
    few = hs.head(3)
    with pytest.raises(DataError, match="complete answers"):
        cfa(few, ["x1", "x2", "x3", "x4"])
    const = hs.assign(x2=1.0)
    with pytest.raises(DataError, match="do not vary"):
        cfa(const, ["x1", "x2", "x3"])
    with pytest.raises(ParameterError, match="levels"):
        measurement_invariance(hs, HS_MODEL, by="school", levels=("strict",))


def test_summary_and_glance(hs):
    fit = cfa(hs, HS_MODEL, by="school", group_equal=["loadings"])
    text = str(fit.summary())
    assert "CFI" in text and "Group: Grant-White" in text and "visual =~ x2" in text
    g = fit.glance()
    assert len(g) == 1 and list(g.columns[-3:]) == ["df", "n", "p_value"]
    # equal loadings: the same estimate in both schools
    t = fit.tidy()
    lam = t[t.op == "=~"].pivot(index=["lhs", "rhs"], columns="block", values="est")
    assert_allclose(lam["Pasteur"], lam["Grant-White"], rtol=0, atol=0)


def test_large_sample_is_vectorised():
    """One 7-item scale on 100,000 respondents (ML and MLR, three groups) fits quickly and
    recovers the generating loadings."""
    import time
    rng = np.random.default_rng(7)
    n = 100_000
    eta = rng.normal(size=n)
    x = np.clip(np.round(3 + 0.8 * eta[:, None] + rng.normal(size=(n, 7))), 1, 5)
    d = pd.DataFrame(x, columns=[f"i{j}" for j in range(7)]).assign(
        g=rng.choice(["a", "b", "c"], n))
    t0 = time.perf_counter()
    fit = cfa(d, [f"i{j}" for j in range(7)])
    mg = cfa(d, [f"i{j}" for j in range(7)], by="g", estimator="MLR",
             group_equal=["loadings", "intercepts"])
    assert time.perf_counter() - t0 < 10  # ~0.5 s on one core; generous for a shared machine
    lam = fit.tidy().query("op == '=~'")["est"]
    assert_allclose(lam, 1.0, atol=0.03)
    assert mg.fit_measures()["cfi_scaled"] > 0.99


def test_observed_information_analytic_equals_numeric(hs, lk):
    """The analytic Hessian behind the MLR sandwich agrees with central differences of the
    analytic gradient (marker and std.lv identification, latent means, shared parameters)."""
    import sys
    mod = sys.modules["shnro_research.scoring.cfa"]
    cases = [(hs, HS_MODEL, {}), (hs, HS_MODEL, {"by": "school"}),
             (hs, HS_MODEL, {"by": "school", "std_lv": True,
                             "group_equal": ["loadings", "intercepts"]}),
             (lk, LK_ITEMS, {"by": "group", "group_equal": ["loadings", "intercepts"]})]
    for data, model, kw in cases:
        fit = cfa(data, model, **kw)
        a = mod._observed_info(fit._mod, fit._dat, fit.theta)
        # central differences of the analytic gradient of sum_g w_g F_g (halved)
        k, th = fit._mod.npar, fit.theta
        h = 1e-6 * np.maximum(1.0, np.abs(th))
        b = np.empty((k, k))
        for j in range(k):
            e = np.zeros(k)
            e[j] = h[j]
            gp = mod._objective(fit._mod, fit._dat, th + e)[1]
            gm = mod._objective(fit._mod, fit._dat, th - e)[1]
            b[:, j] = (gp - gm) / (4 * h[j])
        assert_allclose(a, (b + b.T) / 2, rtol=0, atol=1e-7 * np.abs(b).max())


# -- the instrument-level tables of the scoring stage ------------------------------------------

class _Text:
    def __init__(self, s):
        self.s = s

    def get(self, lang="ru"):
        return self.s


class _Item:
    def __init__(self, iid, reverse=False, parallel=""):
        self.id, self.reverse, self.parallel = iid, reverse, parallel
        self.codes = {c: _Text(str(c)) for c in range(1, 6)}


class _Scale:
    def __init__(self, items, role=""):
        self.items, self.role, self.label = tuple(items), role, _Text("scale")


class _Instrument:
    """Just what scale_measurement / scale_invariance read of an Instrument."""

    def __init__(self, items, scales):
        self._items = {i.id: i for i in items}
        self.scales = scales

    def item(self, iid):
        return self._items[iid]

    def item_bounds(self):
        return {i: (1, 5) for i in self._items}


def _likert(rng, n, loadings, shift=None, reverse=()):
    eta = rng.normal(size=n)
    lat = eta[:, None] * np.asarray(loadings) + rng.normal(0, 0.8, (n, len(loadings)))
    if shift is not None:
        lat = lat + shift
    x = 1 + (lat[:, :, None] > np.array([-1.5, -0.5, 0.5, 1.5])).sum(axis=2).astype(float)
    for j in reverse:
        x[:, j] = 6 - x[:, j]
    return x


def _two_groups():
    from shnro_research.scoring.invariance import keyed_items  # noqa: F401 (public helper)
    rng = np.random.default_rng(11)
    load = [0.9, 0.8, 0.7, 0.8, 0.6]
    data, inst = {}, {}
    for g, prefix, shift in (("students", "s", 0.0), ("teachers", "t", 0.7)):
        parts = []
        for w in (2023, 2024):
            sh = np.zeros(5)
            sh[2] = shift                          # item 3 works differently for teachers
            x = _likert(rng, 400, load, sh, reverse=[1])
            d = pd.DataFrame(x, columns=[f"{prefix}{j}" for j in range(5)])
            d["two_a"], d["two_b"] = x[:, 0], x[:, 3]
            parts.append(d.assign(wave=w))
        d = pd.concat(parts, ignore_index=True)
        d.loc[d.index[:3], f"{prefix}0"] = 9                # an undeclared code: missing
        items = [_Item(f"{prefix}{j}", reverse=(j == 1), parallel=f"par{j}") for j in range(5)]
        items += [_Item("two_a"), _Item("two_b")]
        inst[g] = _Instrument(items, {"climate": _Scale([f"{prefix}{j}" for j in range(5)]),
                                      "pair": _Scale(["two_a", "two_b"])})
        data[g] = d
    return data, inst


def test_scale_measurement_keys_items_and_says_why_not():
    from shnro_research.scoring.invariance import keyed_items, scale_measurement
    data, inst = _two_groups()
    m = scale_measurement(data, inst)
    assert len(m) == 2 * 2 * 2                                # scale x group x wave
    est = m[m.variable == "climate"]
    assert (est.status == "estimated").all() and (est.loading_min > 0.4).all()
    assert est.verdict.str.startswith("fit acceptable").all()
    pair = m[m.variable == "pair"]
    assert (pair.status == "not estimated").all()
    assert pair.verdict.str.contains("2 item").all()
    # the same numbers as cfa(MLR) on the keyed items (reversed item 1, code 9 missing)
    s = data["students"]
    k = keyed_items(s[s.wave == 2023], inst["students"], [f"s{j}" for j in range(5)])
    assert k["s0"].isna().sum() == 3 and k["s1"].max() == 5
    fm = cfa(k, list(k.columns), estimator="MLR").fit_measures()
    row = est[(est.group == "students") & (est.wave == 2023)].iloc[0]
    assert_allclose([row.chi2, row.cfi, row.rmsea, row.srmr, row.n],
                    [fm["chi2_scaled"], fm["cfi_robust"], fm["rmsea_robust"], fm["srmr"],
                     fm["n"]], rtol=1e-12)
    # too few answers: a row saying why, not a silent drop
    small = {"students": data["students"].head(90)}
    m2 = scale_measurement(small, {"students": inst["students"]})
    assert m2.loc[m2.variable == "climate", "verdict"].str.contains("fewer than 100").all()


def test_scale_invariance_across_groups_on_parallel_items_and_across_waves():
    from shnro_research.scoring.invariance import scale_invariance
    data, inst = _two_groups()
    t = scale_invariance(data, inst)
    g = t[(t.variable == "climate") & (t.across == "group")]
    assert set(g.wave) == {2023, 2024} and (g["items"] == "par0, par1, par2, par3, par4").all()
    for _, w in g.groupby("wave"):
        # the planted intercept shift of item 3: metric holds, scalar does not
        assert list(w.model) == ["configural", "metric", "scalar"]
        assert list(w.holds) == [True, True, False]
    # the same numbers as measurement_invariance on the stacked keyed items
    from shnro_research.scoring.invariance import keyed_items
    parts = []
    for grp, pre in (("students", "s"), ("teachers", "t")):
        d = data[grp][data[grp].wave == 2023]
        k = keyed_items(d, inst[grp], [f"{pre}{j}" for j in range(5)])
        k.columns = [f"par{j}" for j in range(5)]
        parts.append(k.assign(group=grp))
    direct = measurement_invariance(pd.concat(parts, ignore_index=True),
                                    [f"par{j}" for j in range(5)], by="group",
                                    estimator="MLR")
    mine = g[g.wave == 2023]
    assert_allclose(mine[["chi2", "cfi", "delta_chi2"]].to_numpy(float),
                    direct[["chi2", "cfi", "delta_chi2"]].to_numpy(float), rtol=1e-12)
    wv = t[(t.variable == "climate") & (t.across == "wave")]
    assert set(wv.group) == {"students", "teachers"} and (wv.compared == "2023, 2024").all()
    assert wv.holds.all()                                   # nothing planted between waves
    pair = t[t.variable == "pair"]
    assert (pair.status == "not estimated").all() and pair.verdict.str.contains("item").all()
