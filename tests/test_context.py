"""Tests of shnro_research.context: the ИСБШ-like well-being index and the student SES index."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.errors import DataError, ParameterError
from shnro_research.context import (
    PASSPORT_COMPONENTS,
    quantile_groups,
    school_means,
    student_ses_index,
    wellbeing_index,
)

REF = Path(__file__).parent / "reference"
COMPS = {"share_parents_higher_ed": 1, "share_low_income": -1, "share_single_parent": -1,
         "share_registered": -1, "share_non_native": -1, "share_teachers_top_category": 1}


@pytest.fixture(scope="module")
def passport():
    return pd.read_csv(REF / "context_passport" / "data.csv")


@pytest.fixture(scope="module")
def rref():
    return json.loads((REF / "context_typology.json").read_text())


def _nan(v):
    return np.array([np.nan if x is None else x for x in v], float)


# ------------------------------------------------------------------ agreement with R
def test_equal_weights_within_year_matches_r(passport, rref):
    res = wellbeing_index(passport, COMPS, by="year", min_components=4)
    assert_allclose(res.scores["est"].to_numpy(), _nan(rref["passport"]["index_equal"]), rtol=1e-6)
    z = np.array([[np.nan if v is None else v for v in row] for row in rref["passport"]["z"]])
    ours = res.scores[[f"z_{c}" for c in COMPS]].to_numpy()
    assert_allclose(ours, z, rtol=1e-6)
    assert_allclose(res.scores["n_components"], rref["passport"]["n_components"], rtol=0)


def test_pca_weights_match_r_prcomp(passport, rref):
    res = wellbeing_index(passport, COMPS, by="year", min_components=4, weights="pca")
    assert_allclose(res.weights["loading"], rref["passport"]["pca_loadings"], rtol=1e-6)
    assert_allclose(res.weights["explained_variance"].iloc[0], rref["passport"]["pca_explained"], rtol=1e-6)
    assert_allclose(res.scores["est"].to_numpy(), _nan(rref["passport"]["index_pca"]), rtol=1e-6)
    assert_allclose(res.weights["weight"].sum(), 1.0, rtol=1e-12)


def test_pca_index_is_first_pc_score_up_to_a_constant(passport):
    complete = passport.dropna(subset=list(COMPS))
    res = wellbeing_index(complete, COMPS, weights="pca")
    z = res.scores[[f"z_{c}" for c in COMPS]].to_numpy()
    vals, vecs = np.linalg.eigh(np.corrcoef(z, rowvar=False))
    pc = z @ vecs[:, -1]
    r = np.corrcoef(pc, res.scores["est"])[0, 1]
    assert_allclose(abs(r), 1.0, rtol=1e-10)


# ------------------------------------------------------------------ known truth
def test_planted_context_recovered():
    rng = np.random.default_rng(5)
    n = 400
    f = rng.normal(size=n)
    df = pd.DataFrame({"school_id": np.arange(n),
                       "good": 0.9 * f + rng.normal(scale=0.4, size=n),
                       "bad": -0.8 * f + rng.normal(scale=0.6, size=n),
                       "weak": 0.3 * f + rng.normal(scale=1.0, size=n)})
    r = {w: np.corrcoef(wellbeing_index(df, {"good": 1, "bad": -1, "weak": 1}, year=None,
                                        weights=w).scores["est"], f)[0, 1] for w in ("equal", "pca")}
    assert r["equal"] > 0.8 and r["pca"] > 0.85 and r["pca"] > r["equal"]
    pca = wellbeing_index(df, {"good": 1, "bad": -1, "weak": 1}, year=None, weights="pca").weights
    # the noisiest component gets the smallest weight
    assert pca.set_index("component")["weight"].idxmin() == "weak"
    assert (pca["loading"] > 0).all()


def test_within_standardisation_centres_each_group(passport):
    res = wellbeing_index(passport, COMPS, by="year", min_components=1)
    g = res.scores.groupby("year")["z_share_low_income"]
    assert_allclose(g.mean().to_numpy(), 0, atol=1e-12)
    assert_allclose(g.std().to_numpy(), 1, rtol=1e-12)
    rs = wellbeing_index(passport, COMPS, by="year", min_components=1, restandardise=True)
    assert_allclose(rs.scores.groupby("year")["est"].std().to_numpy(), 1, rtol=1e-12)


def test_reference_standardisation_uses_fixed_values():
    df = pd.DataFrame({"school_id": [1, 2, 3], "year": 2022, "a": [0.1, 0.2, 0.4], "b": [0.5, 0.5, 0.2]})
    ref = {"a": (0.2, 0.1), "b": (0.4, 0.2)}
    res = wellbeing_index(df, {"a": 1, "b": -1}, standardise="reference", reference=ref)
    za = (df["a"] - 0.2) / 0.1
    zb = -(df["b"] - 0.4) / 0.2
    assert_allclose(res.scores["est"], (za + zb) / 2, rtol=1e-12)
    refdf = pd.DataFrame({"mean": [0.2, 0.4], "sd": [0.1, 0.2]}, index=["a", "b"])
    res2 = wellbeing_index(df, {"a": 1, "b": -1}, standardise="reference", reference=refdf)
    assert_allclose(res2.scores["est"], res.scores["est"], rtol=1e-12)


def test_missing_components_rule_and_log():
    df = pd.DataFrame({"school_id": [1, 2, 3, 4, 5], "year": 2022,
                       "a": [1.0, 2.0, np.nan, 4.0, np.nan], "b": [2.0, 1.0, 3.0, 5.0, np.nan],
                       "c": [0.0, 1.0, 1.0, 2.0, 3.0]})
    res = wellbeing_index(df, {"a": 1, "b": 1, "c": 1}, min_components=2)
    z = res.scores[["z_a", "z_b", "z_c"]]
    expected = z.mean(axis=1, skipna=True).where(z.notna().sum(axis=1) >= 2)
    assert_allclose(res.scores["est"], expected, rtol=1e-12)
    assert np.isnan(res.scores["est"].iloc[4])
    log = res.log.set_index("school_id")
    assert log.loc[3, "issue"] == "partial" and log.loc[3, "component"] == "a"
    assert log.loc[5, "issue"] == "too_few_components"
    # default: every component required
    strict = wellbeing_index(df, {"a": 1, "b": 1, "c": 1})
    assert strict.scores["est"].isna().sum() == 2


def test_zero_variance_component_is_logged_and_left_out():
    df = pd.DataFrame({"school_id": [1, 2, 3, 4], "year": [1, 1, 2, 2],
                       "a": [1.0, 1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0, 5.0]})
    res = wellbeing_index(df, {"a": 1, "b": 1}, by="year", min_components=1)
    assert (res.log["issue"] == "zero_variance").sum() == 2
    assert res.scores["est"].notna().all()
    assert_allclose(res.scores["est"].iloc[:2], res.scores["z_b"].iloc[:2], rtol=1e-12)


def test_codes_and_groups():
    df = pd.DataFrame({"school_id": range(8), "year": 2022,
                       "location": ["город", "село", "посёлок", "город", "село", "город", "посёлок", "село"],
                       "share_low_income": [.1, .4, .3, .15, .5, .05, .2, .45]})
    res = wellbeing_index(df, {"location": 1, "share_low_income": -1},
                          codes={"location": {"город": 2, "посёлок": 1, "село": 0}}, n_groups=2)
    assert res.scores["index_group"].value_counts().to_dict() == {1: 4, 2: 4}
    assert res.scores.loc[res.scores["est"].idxmax(), "school_id"] == 5
    with pytest.raises(DataError, match="location"):
        wellbeing_index(df, {"location": 1}, codes={"location": {"город": 2, "село": 0}})
    with pytest.raises(DataError, match="numeric"):
        wellbeing_index(df, {"location": 1})


def test_passport_defaults_are_directions():
    assert set(PASSPORT_COMPONENTS.values()) == {1, -1}
    assert PASSPORT_COMPONENTS["low_income_pct"] == -1
    from shnro_research.instruments import load_instrument
    passport = load_instrument("school_passport")
    assert set(PASSPORT_COMPONENTS) <= set(passport.columns)   # names of the context form


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("components, match", [
    ({"missing_col": 1}, "missing_col"),
])
def test_missing_column(passport, components, match):
    with pytest.raises(DataError, match=match):
        wellbeing_index(passport, components)


@pytest.mark.parametrize("direction", [0, 2, "+", None, True, 0.5])
def test_wrong_direction(passport, direction):
    with pytest.raises(ParameterError, match="direction"):
        wellbeing_index(passport, {"share_low_income": direction})


def test_bad_parameters(passport):
    with pytest.raises(ParameterError, match="components"):
        wellbeing_index(passport, {})
    with pytest.raises(ParameterError, match="standardise"):
        wellbeing_index(passport, COMPS, standardise="global")
    with pytest.raises(ParameterError, match="reference"):
        wellbeing_index(passport, COMPS, standardise="reference")
    with pytest.raises(ParameterError, match="reference"):
        wellbeing_index(passport, {"share_low_income": -1}, standardise="reference",
                        reference={"share_low_income": (0.2, 0)})
    with pytest.raises(ParameterError, match="min_components"):
        wellbeing_index(passport, COMPS, min_components=7)
    with pytest.raises(ParameterError, match="weights"):
        wellbeing_index(passport, COMPS, weights="median")
    with pytest.raises(ParameterError, match="missing"):
        wellbeing_index(passport, COMPS, weights={"share_low_income": 1})
    with pytest.raises(ParameterError, match="n_groups"):
        wellbeing_index(passport, COMPS, min_components=1, n_groups=1)


def test_duplicate_keys_and_pca_sign_problem():
    df = pd.DataFrame({"school_id": [1, 1], "year": [2022, 2022], "a": [1.0, 2.0]})
    with pytest.raises(DataError, match="duplicated"):
        wellbeing_index(df, {"a": 1})
    rng = np.random.default_rng(1)
    f = rng.normal(size=100)
    df = pd.DataFrame({"school_id": range(100), "a": f + rng.normal(scale=.3, size=100),
                       "b": f + rng.normal(scale=.3, size=100), "c": f + rng.normal(scale=.3, size=100)})
    with pytest.raises(DataError, match="negatively"):      # 'c' declared with the wrong direction
        wellbeing_index(df, {"a": 1, "b": 1, "c": -1}, year=None, weights="pca")


# ------------------------------------------------------------------ student SES
def test_student_ses_index_weighted_standardisation():
    rng = np.random.default_rng(3)
    n = 600
    books = rng.choice(["0-10", "11-25", "26-100", "101-200", "201-500", "more than 500"], size=n)
    codes = {"0-10": 1, "11-25": 2, "26-100": 3, "101-200": 4, "201-500": 5, "more than 500": 6}
    df = pd.DataFrame({"student_id": range(n), "school_id": np.repeat(range(30), 20), "book": books,
                       "parent_ed": rng.integers(9, 17, size=n).astype(float),
                       "possessions": rng.integers(0, 6, size=n).astype(float),
                       "w": rng.uniform(0.5, 2, size=n)})
    df.loc[:9, "parent_ed"] = np.nan
    res = student_ses_index(df, {"book": 1, "parent_ed": 1, "possessions": 1}, codes={"book": codes},
                            min_components=2, weight="w")
    idx = res.scores["est"].to_numpy()
    w = df["w"].to_numpy()
    ok = np.isfinite(idx)
    assert ok.all()
    assert_allclose(np.average(idx, weights=w), 0, atol=1e-12)
    m = np.average(idx, weights=w)
    v = np.sum(w * len(w) / w.sum() * (idx - m) ** 2) / (len(w) - 1)
    assert_allclose(v, 1, rtol=1e-12)
    assert (res.log["issue"] == "partial").sum() == 10
    sm = school_means(res.scores.assign(w=w), "est", school="school_id", weight="w")
    assert len(sm) == 30 and (sm["n_est"] == 20).all()


def test_school_means_weighted_and_min_n():
    df = pd.DataFrame({"school_id": [1, 1, 2], "x": [1.0, 3.0, 5.0], "w": [1.0, 3.0, 1.0]})
    sm = school_means(df, "x", weight="w", min_n=2)
    assert_allclose(sm["x"].iloc[0], 2.5, rtol=1e-12)
    assert np.isnan(sm["x"].iloc[1]) and sm["n_x"].iloc[1] == 1


def test_quantile_groups_ties_and_missing():
    df = pd.DataFrame({"v": [1, 1, 2, 3, np.nan, 4]})
    g = quantile_groups(df, "v", 2)
    assert g.isna().sum() == 1
    assert g.iloc[0] == g.iloc[1] == 1 and g.iloc[5] == 2


# ------------------------------------------------------------------ CLI
def test_cli_context(tmp_path):
    import argparse

    from shnro_research.cli import context as cli_context
    p = cli_context.add_arguments(argparse.ArgumentParser())
    data = str(REF / "context_passport" / "data.csv")
    comps = [f"--component={c}:{d:+d}" for c, d in COMPS.items()]
    args = p.parse_args(["--passport", data, *comps, "--by", "year", "--min-components", "4", "--weights", "pca",
                         "--results", data, "--outcome", "score", "--out", str(tmp_path)])
    assert cli_context.run(args) == 0
    idx = pd.read_csv(tmp_path / "context_index.csv")
    direct = wellbeing_index(pd.read_csv(data), COMPS, by="year", min_components=4, weights="pca")
    assert_allclose(idx["est"], direct.scores["est"], rtol=1e-9)
    for f in ("context_weights.csv", "context_log.csv", "resilient.csv", "resilience_sensitivity.csv",
              "unfavourable.csv", "stability_typology.csv"):
        assert (tmp_path / f).is_file()
    bad = p.parse_args(["--passport", data, "--component", "share_low_income", "--out", str(tmp_path)])
    with pytest.raises(ParameterError, match="--component"):
        cli_context.run(bad)


# ------------------------------------------------------------------ result object
def test_context_index_tidy_glance_summary(passport):
    res = wellbeing_index(passport, COMPS, by="year", min_components=4, weights="pca")
    t = res.tidy()
    assert list(t["component"]) == list(COMPS) and {"direction", "est", "loading"} <= set(t.columns)
    assert_allclose(t["est"].sum(), 1.0, rtol=1e-12)
    g = res.glance()
    assert len(g) == 1 and g.loc[0, "n"] == len(passport)
    assert g.loc[0, "n_scored"] == res.scores["est"].notna().sum()
    assert 0 < g.loc[0, "explained_variance"] < 1
    text = res.summary()
    assert "School social well-being index" in text
    for c in COMPS:                                        # the component (parameter) table
        assert c in text
    ref = wellbeing_index(passport, {"share_low_income": -1, "share_single_parent": -1},
                          standardise="reference",
                          reference={"share_low_income": (0.2, 0.1), "share_single_parent": (0.25, 0.05)})
    assert_allclose(ref.tidy()[["center", "scale"]].to_numpy(), [[0.2, 0.1], [0.25, 0.05]])


def test_reference_from_a_base_year_tidy(passport):
    """A base year's standardisation constants (tidy: center, scale) standardise later years."""
    comps = {"share_low_income": -1, "share_single_parent": -1}
    base = wellbeing_index(passport[passport["year"] == passport["year"].min()], comps)
    consts = base.tidy()
    assert {"center", "scale"} <= set(consts.columns)
    later = wellbeing_index(passport, comps, standardise="reference", reference=consts)
    direct = wellbeing_index(passport, comps, standardise="reference",
                             reference={r.component: (r.center, r.scale) for r in consts.itertuples()})
    assert_allclose(later.scores["est"], direct.scores["est"], rtol=1e-12)
    assert {"center", "scale", "raw"} <= set(later.components.columns)
    assert not {"mean", "value"} & set(later.components.columns)
