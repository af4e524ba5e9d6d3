"""Tests of shnro_research.typology: low results, unfavourable context, resilience, stability, clusters."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.errors import DataError, ParameterError
from shnro_research.context import wellbeing_index
from shnro_research.typology import (
    cluster_schools,
    context_regression,
    low_results_rank,
    low_results_threshold,
    resilience_sensitivity,
    resilient_schools,
    result_states,
    stability_typology,
    threshold_sensitivity,
    transition_matrix,
    unfavourable_context,
)

REF = Path(__file__).parent / "reference"
COMPS = {"share_parents_higher_ed": 1, "share_low_income": -1, "share_single_parent": -1,
         "share_registered": -1, "share_non_native": -1, "share_teachers_top_category": 1}


@pytest.fixture(scope="module")
def schools():
    d = pd.read_csv(REF / "context_passport" / "data.csv")
    idx = wellbeing_index(d, COMPS, by="year", min_components=4).scores[["school_id", "year", "est"]]
    return d.merge(idx, on=["school_id", "year"])


@pytest.fixture(scope="module")
def rref():
    return json.loads((REF / "context_typology.json").read_text())


# ------------------------------------------------------------------ agreement with R
def test_resilience_and_regression_match_r(schools, rref):
    dd = schools[schools["est"].notna()]
    res = resilient_schools(dd, outcome="score", context="est", by="year")
    coef, _ = context_regression(dd, outcome="score", context="est", by="year", cov="HC1")
    for y, r in rref["resilience"].items():
        ry = res[res["year"] == int(y)]
        assert_allclose(ry["context_cutoff"].iloc[0], r["context_cutoff"], rtol=1e-6)
        assert_allclose(ry["outcome_cutoff"].iloc[0], r["outcome_cutoff"], rtol=1e-6)
        assert_allclose(ry.set_index("school_id").loc[r["school_id"], "std_residual"], r["std_residual"], rtol=1e-6)
        cy = coef[coef["year"] == int(y)]
        assert_allclose(cy["est"], r["coef"], rtol=1e-6)
        assert_allclose(cy["se"], r["se_hc1"], rtol=1e-6)
        assert_allclose(cy["r2"].iloc[0], r["r2"], rtol=1e-6)
        assert sorted(ry.loc[ry["resilient_quadrant"], "school_id"]) == sorted(np.atleast_1d(r["quadrant"]))
        assert sorted(ry.loc[ry["resilient_residual"], "school_id"]) == sorted(np.atleast_1d(r["residual_1sd"]))


def test_unfavourable_and_low_results_match_r(schools, rref):
    dd = schools[schools["est"].notna()]
    u = unfavourable_context(dd, value="est", year="year", quantile=0.25)
    for y, r in rref["resilience"].items():
        assert_allclose(u.loc[u["year"] == int(y), "cutoff"].iloc[0], r["context_cutoff"], rtol=1e-6)
    low = low_results_rank(schools, value="score", bottom=0.10, k_years=2)
    assert sorted(low.loc[low["flagged"], "school_id"]) == sorted(rref["low_results"]["flagged_k2"])


# ------------------------------------------------------------------ planted truth
def _planted(seed=0, S=400, n_res=12):
    rng = np.random.default_rng(seed)
    ctx = rng.normal(size=S)
    eff = rng.normal(scale=3, size=S)
    low_ctx = np.flatnonzero(ctx <= np.quantile(ctx, 0.25))
    resil = rng.choice(low_ctx, n_res, replace=False)
    eff[resil] += 30
    rows = []
    for t, y in enumerate([2021, 2022, 2023]):
        rows.append(pd.DataFrame({"school_id": np.arange(S), "year": y, "est": ctx,
                                  "score": 50 + 10 * ctx + eff + rng.normal(scale=2, size=S)}))
    return pd.concat(rows, ignore_index=True), set(resil), ctx


def test_planted_resilient_schools_recovered():
    d, truth, _ = _planted()
    res = resilient_schools(d, outcome="score", context="est", by="year",
                            rules=["quadrant", "residual", "benchmark"], residual_sd=2.5,
                            residual_low_context_only=True, benchmark=55)
    for y in (2021, 2022, 2023):
        ry = res[res["year"] == y]
        assert set(ry.loc[ry["resilient_residual"], "school_id"]) == truth
        assert truth <= set(ry.loc[ry["resilient_benchmark"], "school_id"])
        got = set(ry.loc[ry["resilient_quadrant"], "school_id"])
        assert len(got & truth) >= 0.8 * len(truth)
    assert res.loc[res["resilient_residual"], "rules_fired"].str.contains("residual > 2.5 SD").all()
    assert (res.loc[~res["resilient"], "rules_fired"] == "").all()


def test_planted_context_effect_recovered():
    d, _, _ = _planted(n_res=0)
    coef, fit = context_regression(d, outcome="score", context="est", by="year")
    slope = coef.loc[coef["term"] == "est", "est"]
    assert_allclose(slope, 10, atol=0.5)          # planted slope 10 (school effects fixed across years)
    assert fit.index.equals(d.index)


def test_planted_low_result_schools():
    rng = np.random.default_rng(2)
    S = 200
    base = rng.normal(size=S)
    rows = []
    for y in (2019, 2020, 2021, 2022):
        s = base + rng.normal(scale=0.1, size=S)
        rows.append(pd.DataFrame({"school_id": range(S), "year": y, "mark": s}))
    d = pd.concat(rows, ignore_index=True)
    d.loc[(d["school_id"] == 7) & d["year"].isin([2020, 2021]), "mark"] = -10   # 2 consecutive years
    d.loc[(d["school_id"] == 8) & d["year"].isin([2019, 2021]), "mark"] = -10   # not consecutive
    out = low_results_rank(d, value="mark", bottom=0.05, k_years=2).set_index("school_id")
    assert out.loc[7, "flagged"] and out.loc[7, "longest_run"] >= 2
    assert out.loc[8, "longest_run"] == 1 or not out.loc[8, "flagged"] or out.loc[8, "n_low_years"] > 2
    # with k_years=1 school 8 is flagged too; with bottom share the stably lowest are flagged
    out1 = low_results_rank(d, value="mark", bottom=0.05, k_years=1).set_index("school_id")
    assert out1.loc[8, "flagged"]
    lowest = np.argsort(base)[:3]
    assert out.loc[lowest, "flagged"].all()
    # lower-is-better scale (share of «2»)
    rev = low_results_rank(d.assign(share2=-d["mark"]), value="share2", bottom=0.05, k_years=2,
                           higher_is_better=False).set_index("school_id")
    assert rev["flagged"].equals(out["flagged"])


def test_fioco_threshold_rule():
    rows = [
        # school A: two procedures >= 30 % in 2023 -> multi
        ("A", 2023, "ВПР-5 мат", 0.35), ("A", 2023, "ВПР-5 рус", 0.30), ("A", 2023, "ОГЭ мат", 0.10),
        # school B: same procedure two years running -> repeat in 2023 only
        ("B", 2022, "ОГЭ мат", 0.40), ("B", 2023, "ОГЭ мат", 0.31), ("B", 2023, "ОГЭ рус", 0.05),
        # school C: same procedure in 2021 and 2023 (not consecutive) -> not flagged
        ("C", 2021, "ОГЭ мат", 0.50), ("C", 2023, "ОГЭ мат", 0.50),
        # school D: one procedure, just below the threshold
        ("D", 2023, "ОГЭ мат", 0.299),
        ("E", 2022, "ОГЭ мат", 0.1),
    ]
    df = pd.DataFrame(rows, columns=["school_id", "year", "procedure", "share_2"])
    out = low_results_threshold(df, share_below="share_2").set_index(["school_id", "year"])
    assert out.loc[("A", 2023), "rule_multi"] and not out.loc[("A", 2023), "rule_repeat"]
    assert out.loc[("A", 2023), "procedures_failed"] == "ВПР-5 мат,ВПР-5 рус"
    assert not out.loc[("B", 2022), "flagged"]
    assert out.loc[("B", 2023), "rule_repeat"] and not out.loc[("B", 2023), "rule_multi"]
    assert "2 consecutive years" in out.loc[("B", 2023), "rule"]
    assert not out.loc[("C", 2023), "flagged"]      # 2022 is present in the data, so 2021 -> 2023 is a gap
    assert not out.loc[("D", 2023), "flagged"]
    assert out["flagged"].sum() == 2
    # a stricter count rule and small denominators
    df["n"] = [30, 30, 30, 25, 25, 25, 3, 3, 40, 40]
    out2 = low_results_threshold(df, share_below="share_2", n_participants="n", min_participants=5,
                                 min_procedures=3).set_index(["school_id", "year"])
    assert not out2.loc[("A", 2023), "flagged"] and out2.loc[("B", 2023), "flagged"]
    assert out2.loc[("C", 2023), "n_not_judged"] == 1


def test_sensitivity_table():
    d, _, _ = _planted()
    d1 = d[d["year"] == 2021]
    tab = resilience_sensitivity(d1, outcome="score", context="est", rule="quadrant")
    assert len(tab) == 12 and tab["is_default"].sum() == 1
    dflt = tab[tab["is_default"]].iloc[0]
    assert dflt["jaccard_default"] == 1.0 and dflt["n_overlap_default"] == dflt["n_flagged"]
    # for a fixed context quantile, a higher outcome quantile flags no more schools
    for _, g in tab.groupby("context_quantile"):
        assert g.sort_values("outcome_quantile")["n_flagged"].is_monotonic_decreasing
    t2 = threshold_sensitivity(low_results_rank, d, {"bottom": [0.05, 0.1, 0.2], "k_years": [1, 2, 3]},
                               flag="flagged", keys=["school_id"], value="score")
    assert len(t2) == 9 and t2["is_default"].sum() == 1
    assert (t2.loc[t2["is_default"], "jaccard_default"] == 1).all()


# ------------------------------------------------------------------ stability
def test_stability_typology_planted_sequences():
    seq = {1: "LLL", 2: "HHH", 3: "LML", 4: "LMM", 5: "LH", 6: "HLH", 7: "MMM"}
    name = {"L": "low", "M": "middle", "H": "high"}
    rows = [(s, 2020 + t, name[c], s in (1, 3)) for s, q in seq.items() for t, c in enumerate(q)]
    rows += [(8, 2020 + t, None, False) for t in range(3)]          # no valid state at all
    st = pd.DataFrame(rows, columns=["school_id", "year", "state", "unfav"])
    ty = stability_typology(st, unfavourable="unfav").set_index("school_id")
    assert ty.loc[1, "type"] == "stably_low" and ty.loc[1, "types"] == "stably_low,unfavourable_conditions"
    assert ty.loc[2, "type"] == "stably_high"
    assert ty.loc[3, "type"] == "unstable" and ty.loc[3, "n_changes"] == 2
    assert ty.loc[4, "type"] == "other"
    assert ty.loc[5, "type"] == "insufficient_years"
    assert ty.loc[6, "type"] == "unstable"
    assert ty.loc[7, "type"] == "other"
    assert ty.loc[8, "type"] == "insufficient_years" and ty.loc[8, "n_years"] == 0
    assert_allclose(ty.loc[4, ["share_low", "share_middle", "share_high"]].astype(float), [1 / 3, 2 / 3, 0])
    lenient = stability_typology(st, stable_share=2 / 3).set_index("school_id")
    assert lenient.loc[3, "type"] == "stably_low" and lenient.loc[4, "type"] == "other"
    tm = transition_matrix(st)
    assert_allclose(tm.groupby("from_state")["share"].sum(), 1.0)
    assert tm["n"].sum() == sum(len(q) - 1 for q in seq.values())


def test_result_states_terciles():
    d, _, _ = _planted(n_res=0)
    st = result_states(d, value="score")
    share = st.groupby("year")["state"].value_counts(normalize=True)
    assert_allclose(share.to_numpy(), 1 / 3, atol=0.01)
    rev = result_states(d.assign(neg=-d["score"]), value="neg", higher_is_better=False)
    assert (rev["state"] == st["state"]).all()


# ------------------------------------------------------------------ clustering
def _blobs(seed=0, n=60):
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0, 0, 0], [6, 6, 0, 0], [0, 6, 6, 6]], float)
    X = np.vstack([c + rng.normal(size=(n, 4)) for c in centres])
    truth = np.repeat([0, 1, 2], n)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(school_id=range(len(X)))
    return df, truth


def test_clusters_planted_recovered_and_k_justified():
    from sklearn.metrics import adjusted_rand_score
    df, truth = _blobs()
    for method in ("kmeans", "ward"):
        res = cluster_schools(df, ["a", "b", "c", "d"], method=method, k_range=range(2, 6), n_refs=5)
        assert res.k == 3 and res.k_silhouette == 3 and res.k_gap == 3
        assert adjusted_rand_score(truth, res.labels["type"]) == 1.0
        assert set(res.criteria["k"]) == {1, 2, 3, 4, 5}
        assert res.criteria.loc[res.criteria["chosen"], "k"].item() == 3
        prof = res.profiles
        assert set(prof.columns) >= {"type", "variable", "n", "est", "sd", "z_mean"}
        assert prof.groupby("type")["n"].first().sum() == len(df)


def test_ward_equals_sklearn_and_is_deterministic():
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score
    df, _ = _blobs(seed=4, n=40)
    res = cluster_schools(df, ["a", "b", "c", "d"], method="ward", k=4, k_range=[2, 3], n_refs=3)
    X = df[["a", "b", "c", "d"]].to_numpy()
    X = (X - X.mean(0)) / X.std(0, ddof=1)
    sk = AgglomerativeClustering(n_clusters=4, linkage="ward").fit(X).labels_
    assert adjusted_rand_score(sk, res.labels["type"]) == 1.0
    a = cluster_schools(df, ["a", "b", "c", "d"], k_range=[2, 3], n_refs=3, seed=7)
    b = cluster_schools(df, ["a", "b", "c", "d"], k_range=[2, 3], n_refs=3, seed=7)
    pd.testing.assert_frame_equal(a.criteria, b.criteria)
    pd.testing.assert_frame_equal(a.labels, b.labels)


def test_cluster_missing_rows_and_bad_input():
    df, _ = _blobs(n=20)
    df.loc[[0, 5], "b"] = np.nan
    res = cluster_schools(df, ["a", "b", "c", "d"], n_refs=3, k_range=[2, 3])
    assert len(res.excluded) == 2 and res.excluded["reason"].iloc[0] == "missing b"
    assert len(res.labels) == len(df) - 2
    with pytest.raises(ParameterError, match="method"):
        cluster_schools(df, ["a"], method="pam")
    with pytest.raises(ParameterError, match="k_range"):
        cluster_schools(df, ["a"], k_range=[1, 2])
    with pytest.raises(DataError, match="constant"):
        cluster_schools(df.assign(z=1.0), ["a", "z"], k_range=[2], n_refs=3)
    with pytest.raises(DataError, match="not found"):
        cluster_schools(df, ["a", "nope"])


# ------------------------------------------------------------------ bad input
def test_thresholds_out_of_range_and_bad_rules():
    d, _, _ = _planted(n_res=0)
    with pytest.raises(ParameterError, match="bottom"):
        low_results_rank(d, value="score", bottom=1.5)
    with pytest.raises(ParameterError, match="k_years"):
        low_results_rank(d, value="score", k_years=0)
    with pytest.raises(ParameterError, match="quantile"):
        unfavourable_context(d, value="est", year="year", quantile=0)
    with pytest.raises(ParameterError, match="context_quantile"):
        resilient_schools(d, outcome="score", context="est", by="year", context_quantile=-0.1)
    with pytest.raises(ParameterError, match="rules"):
        resilient_schools(d, outcome="score", context="est", by="year", rules="magic")
    with pytest.raises(ParameterError, match="benchmark"):
        resilient_schools(d, outcome="score", context="est", by="year", rules="benchmark")
    with pytest.raises(DataError, match="duplicated"):
        resilient_schools(d, outcome="score", context="est")          # 3 years, no 'by'
    with pytest.raises(DataError, match="not found"):
        resilient_schools(d, outcome="nope", context="est", by="year")
    with pytest.raises(ParameterError, match="low"):
        result_states(d, value="score", low=0.7, high=0.3)
    with pytest.raises(ParameterError, match="threshold"):
        low_results_threshold(pd.DataFrame({"school_id": [1], "year": [1], "procedure": ["x"], "s": [0.1]}),
                              share_below="s", threshold=1.2)
    with pytest.raises(DataError, match="divide by 100"):
        low_results_threshold(pd.DataFrame({"school_id": [1], "year": [1], "procedure": ["x"], "s": [35.0]}),
                              share_below="s")
    with pytest.raises(ParameterError, match="grid"):
        threshold_sensitivity(low_results_rank, d, {"bottom": 0.1}, flag="flagged", keys=["school_id"],
                              value="score")


def test_cluster_result_tidy_glance_summary():
    df, _ = _blobs(n=20)
    res = cluster_schools(df, ["a", "b", "c", "d"], k_range=[2, 3, 4], n_refs=3, seed=1)
    t = res.tidy()
    assert {"type", "variable", "n", "est", "sd"} <= set(t.columns) and len(t) == 3 * 4
    g = res.glance()
    assert len(g) == 1 and g.loc[0, "k"] == res.k == 3 and g.loc[0, "n"] == len(df)
    assert g.loc[0, "seed"] == 1
    text = res.summary()
    assert "Cluster analysis of schools" in text and "cluster 3" in text
    for col in ("a", "b", "c", "d"):                       # the parameter table: a row per variable
        assert any(line.split()[:1] == [col] for line in text.splitlines())
