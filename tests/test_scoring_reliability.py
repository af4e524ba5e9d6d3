"""Reliability and scale scores against R psych 2.2.9 (tests/reference/psych_bfi, scoring_reliability)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.scoring import (cronbach_alpha, factor_ml1, item_analysis, omega_total,
                                    reliability, score_scales)

REF = Path(__file__).parent / "reference"
BFI = pd.read_csv(REF / "psych_bfi" / "data.csv")
EXP = json.loads((REF / "psych_bfi" / "expected.json").read_text())
EXTRA = json.loads((REF / "scoring_reliability.json").read_text())
SCALES = list(EXP["scales"])


@pytest.fixture(scope="module")
def rel():
    return reliability(BFI, EXP["keys"], item_min=EXP["item_min"], item_max=EXP["item_max"])


def _get(rel, scale, missing, measure, col="est"):
    row = rel[(rel.scale == scale) & (rel.missing == missing) & (rel.measure == measure)]
    assert len(row) == 1
    return row[col].iloc[0]


@pytest.mark.parametrize("scale", SCALES)
def test_alpha_pairwise_as_psych(rel, scale):
    e = EXP["scales"][scale]
    assert_allclose(_get(rel, scale, "pairwise", "alpha_raw"), e["alpha_pairwise_raw"], rtol=1e-6)
    assert_allclose(_get(rel, scale, "pairwise", "alpha_std"), e["alpha_pairwise_std"], rtol=1e-6)
    assert_allclose(_get(rel, scale, "pairwise", "average_r"), e["average_r_pairwise"], rtol=1e-6)


@pytest.mark.parametrize("scale", SCALES)
def test_alpha_listwise_and_omega(rel, scale):
    e = EXP["scales"][scale]
    assert_allclose(_get(rel, scale, "listwise", "alpha_raw"), e["alpha_listwise_raw"], rtol=1e-6)
    assert _get(rel, scale, "listwise", "alpha_raw", "n") == e["n_listwise"]
    assert_allclose(_get(rel, scale, "listwise", "omega_total"), e["omega_total_ml_listwise"],
                    rtol=1e-6)


@pytest.mark.parametrize("scale", SCALES)
def test_ml_loadings(scale):
    e = EXP["scales"][scale]
    x = BFI[e["items"]].copy()
    for it in e["reversed"]:
        x[it] = 7 - x[it]
    x = x.dropna().to_numpy()
    load, uniq = factor_ml1(np.corrcoef(x, rowvar=False))
    assert_allclose(load, list(e["loadings_ml_listwise"].values()), rtol=1e-6)
    assert_allclose(uniq, 1 - load ** 2, rtol=1e-12)
    om, _ = omega_total(np.corrcoef(x, rowvar=False))
    assert_allclose(om, e["omega_total_ml_listwise"], rtol=1e-6)
    # the exact optimum is within psych's stopping tolerance
    load_exact, _ = factor_ml1(np.corrcoef(x, rowvar=False), optimum="exact")
    assert_allclose(load_exact, load, rtol=1e-4)


@pytest.mark.parametrize("scale", SCALES)
def test_item_analysis_pairwise(scale):
    e = EXP["scales"][scale]
    ia = item_analysis(BFI, {scale: EXP["keys"][scale]}, item_min=1, item_max=6,
                       missing="pairwise").set_index("item")
    assert_allclose(ia.loc[e["items"], "r_drop"], list(e["r_drop_pairwise"].values()), rtol=1e-6)
    assert_allclose(ia.loc[e["items"], "alpha_if_dropped_raw"],
                    list(e["alpha_if_dropped_pairwise_raw"].values()), rtol=1e-6)
    assert ia.loc[e["reversed"], "reversed"].all() if e["reversed"] else True
    assert (ia["missing"] == "pairwise").all()


@pytest.mark.parametrize("scale", SCALES)
def test_score_means_as_scoreitems(scale):
    e = EXP["scales"][scale]["score_mean_available_items"]
    sc = score_scales(BFI, {scale: EXP["keys"][scale]}, item_min=1, item_max=6, min_valid=1)
    assert_allclose(sc[scale].iloc[:10], e["first_10"], rtol=1e-6)
    assert_allclose(sc[scale].mean(), e["mean"], rtol=1e-6)
    assert_allclose(sc[scale].std(), e["sd"], rtol=1e-6)
    assert sc.index.equals(BFI.index)


@pytest.mark.parametrize("scale", SCALES)
def test_feldt_ci_after_deletion(rel, scale):
    e = EXTRA[scale]
    lo = _get(rel, scale, "listwise", "alpha_raw", "ci_low")
    hi = _get(rel, scale, "listwise", "alpha_raw", "ci_high")
    assert_allclose([lo, hi], e["feldt_95"], rtol=1e-6)
    r90 = reliability(BFI, {scale: EXP["keys"][scale]}, item_min=1, item_max=6,
                      missing="listwise", level=0.90, omega=False)
    assert_allclose(r90.loc[r90.measure == "alpha_raw", ["ci_low", "ci_high"]].to_numpy()[0],
                    e["feldt_90"], rtol=1e-6)


def test_by_group_pairwise():
    r = reliability(BFI, EXP["keys"], item_min=1, item_max=6, missing="pairwise", by="gender",
                    omega=False)
    ia = item_analysis(BFI, EXP["keys"], item_min=1, item_max=6, missing="pairwise", by="gender")
    for scale in SCALES:
        for g in ("1", "2"):
            e = EXTRA[scale]["by_gender"][g]
            sel = (r.scale == scale) & (r.gender == int(g))
            assert_allclose(r.loc[sel & (r.measure == "alpha_raw"), "est"].iloc[0], e["raw"], rtol=1e-6)
            assert_allclose(r.loc[sel & (r.measure == "alpha_std"), "est"].iloc[0], e["std"], rtol=1e-6)
            sel_i = (ia.scale == scale) & (ia.gender == int(g))
            assert_allclose(ia.loc[sel_i, "r_drop"], e["r_drop"], rtol=1e-6)


def test_bootstrap_cluster_reproducible():
    d = BFI.copy()
    d["school"] = np.arange(len(d)) % 40
    k = {"agree": EXP["keys"]["agree"]}
    a = reliability(d, k, item_min=1, item_max=6, ci="bootstrap", school="school", n_boot=200,
                    seed=7, omega=False)
    b = reliability(d, k, item_min=1, item_max=6, ci="bootstrap", school="school", n_boot=200,
                    seed=7, omega=False)
    pd.testing.assert_frame_equal(a, b)
    row = a[(a.missing == "listwise") & (a.measure == "alpha_raw")].iloc[0]
    assert row.ci_low < row.est < row.ci_high
    assert 0 < row.se < 0.05
    assert row.ci_method == "cluster bootstrap"
    c = reliability(d, k, item_min=1, item_max=6, ci="bootstrap", school="school", n_boot=200,
                    seed=8, omega=False)
    assert not np.allclose(a.se.dropna(), c.se.dropna(), rtol=1e-12)


def test_cronbach_alpha_helper_and_pairwise_note():
    x = BFI[["A2", "A3", "A4", "A5"]]
    a = cronbach_alpha(x, ["A2", "A3", "A4", "A5"])
    r = reliability(BFI, {"s": ["A2", "A3", "A4", "A5"]}, missing="listwise", omega=False)
    assert_allclose(a, r.loc[r.measure == "alpha_raw", "est"].iloc[0], rtol=1e-12)
    rp = reliability(BFI, {"s": ["A2", "A3", "A4", "A5"]}, missing="pairwise", omega=False)
    assert "pairwise counts differ" in rp.note.iloc[0]
    assert (rp.n <= rp.n_max).all()


def test_bad_input():
    with pytest.raises(DataError, match="XX"):
        reliability(BFI, {"a": ["A1", "XX"]})
    with pytest.raises(ParameterError, match="item_min"):
        reliability(BFI, {"a": ["-A1", "A2"]})
    with pytest.raises(ParameterError, match="missing"):
        reliability(BFI, EXP["keys"], item_min=1, item_max=6, missing="available")
    with pytest.raises(ParameterError, match="seed"):
        reliability(BFI, EXP["keys"], item_min=1, item_max=6, ci="bootstrap")
    with pytest.raises(ParameterError, match="keys"):
        reliability(BFI, {"a": "A1"})
    with pytest.raises(DataError, match="outside the declared range"):
        reliability(BFI, {"a": ["-A1", "A2"]}, item_min=1, item_max=5)
    with pytest.raises(ParameterError, match="3 items"):
        factor_ml1(np.eye(2))


def test_large_codes_numerically_stable():
    # one-pass cross-products fall back to centring when |mean| >> sd
    items = ["A2", "A3", "A4", "A5"]
    shifted = BFI[items] + 1e7
    for missing in ("listwise", "pairwise"):
        a = reliability(BFI, {"s": items}, missing=missing, omega=False)
        b = reliability(shifted, {"s": items}, missing=missing, omega=False)
        assert_allclose(b.est, a.est, rtol=1e-9)
    ia = item_analysis(BFI, {"s": ["-A1", "A2"]}, item_min=1, item_max=6, missing="listwise")
    comp = BFI[["A1", "A2"]].dropna()
    assert_allclose(ia["item_mean"], [7 - comp.A1.mean(), comp.A2.mean()], rtol=1e-12)


def test_grouped_equals_subset():
    d = BFI.copy()
    d["school"] = np.arange(len(d)) % 40
    r = reliability(d, EXP["keys"], item_min=1, item_max=6, by="school", omega=False)
    ia = item_analysis(d, EXP["keys"], item_min=1, item_max=6, by="school")
    for s in (3, 17):
        sub = d[d.school == s]
        one = reliability(sub, EXP["keys"], item_min=1, item_max=6, omega=False)
        got = r[r.school == s].drop(columns="school").reset_index(drop=True)
        assert_allclose(got.est, one.est, rtol=1e-9)
        assert_allclose(got.ci_low, one.ci_low, rtol=1e-9)
        assert list(got.note) == list(one.note) and list(got.n) == list(one.n)
        ia1 = item_analysis(sub, EXP["keys"], item_min=1, item_max=6)
        got_i = ia[ia.school == s].drop(columns="school").reset_index(drop=True)
        assert_allclose(got_i[["item_mean", "item_sd", "r_drop", "alpha_if_dropped_raw"]],
                        ia1[["item_mean", "item_sd", "r_drop", "alpha_if_dropped_raw"]], rtol=1e-9)
