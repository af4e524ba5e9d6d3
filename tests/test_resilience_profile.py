"""Resilient schools vs the others: permutation, exact rank tests, paired gaps, the demo."""
import itertools

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from shnro_research import dynamics
from shnro_research.errors import DataError, ParameterError
from shnro_research.resilience_profile import (
    NOTE, compare_school_groups, mann_whitney_exact, own_ideal_pairs, own_vs_ideal_gap,
    permutation_test, school_profile_table, wilcoxon_signed_rank_exact)


def _brute_force_p(x, y):
    v = np.concatenate([x, y])
    n, n1 = v.size, len(x)
    obs = abs(np.mean(x) - np.mean(y))
    hits = total = 0
    for idx in itertools.combinations(range(n), n1):
        mask = np.zeros(n, bool)
        mask[list(idx)] = True
        t = abs(v[mask].mean() - v[~mask].mean())
        hits += t >= obs - 1e-12
        total += 1
    return hits / total


def test_exact_permutation_p_equals_brute_force():
    x = np.array([3.1, 4.2, 5.0])
    y = np.array([2.0, 2.5, 3.3, 1.9, 2.8, 3.0, 2.2])
    res = permutation_test(x, y)
    assert res["permutation"] == "exact" and res["n_permutations"] == 120
    assert_allclose(res["p_value"], _brute_force_p(x, y), rtol=1e-12)
    assert_allclose(res["est"], x.mean() - y.mean(), rtol=1e-12)


def test_exact_permutation_with_ties_counts_ties_as_extreme():
    x, y = np.array([1.0, 2.0]), np.array([1.0, 2.0, 1.0, 2.0])
    assert_allclose(permutation_test(x, y)["p_value"], _brute_force_p(x, y), rtol=1e-12)


def test_monte_carlo_is_seeded_and_valid():
    rng = np.random.default_rng(1)
    x, y = rng.normal(1, 1, 8), rng.normal(0, 1, 30)       # C(38, 8) > 1e7 relabellings
    a = permutation_test(x, y, n_permutations=2000, seed=5)
    b = permutation_test(x, y, n_permutations=2000, seed=5)
    assert a == b and a["permutation"] == "monte carlo" and a["n_permutations"] == 2000
    # (b + 1) / (m + 1): never zero, a multiple of 1/2001
    assert a["p_value"] > 0
    assert_allclose(a["p_value"] * 2001, round(a["p_value"] * 2001), rtol=1e-9)
    # close to the t-test p on normal data
    assert abs(a["p_value"] - stats.ttest_ind(x, y).pvalue) < 0.03


def test_mann_whitney_exact_equals_scipy():
    rng = np.random.default_rng(2)
    for n1, n2 in ((3, 21), (4, 9), (6, 6)):
        x, y = rng.normal(0.8, 1, n1), rng.normal(0, 1, n2)
        ours = mann_whitney_exact(x, y)
        ref = stats.mannwhitneyu(x, y, method="exact", alternative="two-sided")
        assert ours["method"] == "exact"
        assert_allclose(ours["statistic"], ref.statistic, rtol=1e-12)
        assert_allclose(ours["p_value"], ref.pvalue, rtol=1e-9)


def test_mann_whitney_exact_with_ties_equals_enumeration():
    x, y = np.array([3.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 2.0, 1.0, 3.0])
    v = np.concatenate([x, y])
    r = stats.rankdata(v)
    w = r[:3].sum()
    mu = 3 * (v.size + 1) / 2
    sums = [r[list(i)].sum() for i in itertools.combinations(range(v.size), 3)]
    p = np.mean(np.abs(np.array(sums) - mu) >= abs(w - mu) - 1e-12)
    assert_allclose(mann_whitney_exact(x, y)["p_value"], p, rtol=1e-12)


def test_wilcoxon_exact_equals_scipy_without_ties():
    d = np.array([0.3, -1.2, 2.5, 1.1, 0.7, -0.2, 1.9, 0.45, 3.3])
    ours = wilcoxon_signed_rank_exact(d)
    ref = stats.wilcoxon(d, method="exact")
    assert_allclose(ours["p_value"], ref.pvalue, rtol=1e-9)
    assert_allclose(ours["statistic"], np.sum(stats.rankdata(np.abs(d))[d > 0]), rtol=1e-12)


def test_wilcoxon_exact_with_ties_equals_enumeration():
    d = np.array([1.0, 1.0, 2.0, -1.0, 0.0, 2.0, 3.0, -2.0])
    nz = d[d != 0]
    r = stats.rankdata(np.abs(nz))
    v = r[nz > 0].sum()
    dist = np.array([sum(r[np.array(s, bool)]) for s in itertools.product([0, 1], repeat=nz.size)])
    p = min(1.0, 2 * min(np.mean(dist <= v + 1e-12), np.mean(dist >= v - 1e-12)))
    assert_allclose(wilcoxon_signed_rank_exact(d)["p_value"], p, rtol=1e-12)


def _teachers():
    rng = np.random.default_rng(3)
    rows = []
    for s in ("S01", "S02"):
        for i in range(12):
            own = rng.integers(1, 6, 3).astype(float)
            ideal = np.clip(own + rng.integers(0, 3, 3), 1, 5)
            rows.append({"school_id": s, "wave": 2022, "own_1": own[0], "own_2": own[1],
                         "own_3": own[2], "ideal_1": ideal[0], "ideal_2": ideal[1],
                         "ideal_3": ideal[2]})
    df = pd.DataFrame(rows)
    df.loc[3, "ideal_2"] = np.nan
    return df


def test_paired_gap_matches_ttest_rel():
    df = _teachers()
    out = own_vs_ideal_gap(df, ["own_1", "own_2", "own_3"], ["ideal_1", "ideal_2", "ideal_3"])
    assert len(out) == 2 * 4
    for (s, item), row in out.set_index(["school_id", "variable"]).iterrows():
        sub = df[df.school_id == s]
        if item == "all_items":
            ideal = sub[["ideal_1", "ideal_2", "ideal_3"]].to_numpy()
            own = sub[["own_1", "own_2", "own_3"]].to_numpy()
            d = np.nanmean(ideal - own, axis=1)
            a, b = d, np.zeros_like(d)
        else:
            k = item.split("_")[1]
            sub = sub[[f"ideal_{k}", f"own_{k}"]].dropna()
            a, b = sub[f"ideal_{k}"], sub[f"own_{k}"]
        ref = stats.ttest_rel(a, b)
        ci = ref.confidence_interval(0.95)
        assert row["n"] == len(a)
        assert_allclose([row["est"], row["statistic"], row["p_value"], row["ci_low"],
                         row["ci_high"]],
                        [np.mean(np.asarray(a) - np.asarray(b)), ref.statistic, ref.pvalue,
                         ci.low, ci.high], rtol=1e-9)
    assert set(out.loc[out.variable == "own_2", "variable_ideal"]) == {"ideal_2"}


def test_instrument_pairs_and_parameter_errors():
    own, ideal = own_ideal_pairs("teachers")
    assert own == [f"pc_own_{i:02d}" for i in range(1, 9)]
    assert ideal == [f"pc_ideal_{i:02d}" for i in range(1, 9)]
    with pytest.raises(ParameterError, match="own_vs_ideal_gap"):
        own_vs_ideal_gap(_teachers(), ["own_1"], ["ideal_1", "ideal_2"])


def _schools(n_flag=3, n_other=21, seed=4):
    rng = np.random.default_rng(seed)
    n = n_flag + n_other
    return pd.DataFrame({"school_id": [f"S{i:02d}" for i in range(n)],
                         "resilient": [True] * n_flag + [False] * n_other,
                         "leadership": np.r_[rng.normal(4, 0.3, n_flag),
                                             rng.normal(3, 0.3, n_other)],
                         "burnout": rng.normal(2, 0.5, n)})


def test_compare_school_groups_effect_sizes_and_tests():
    sv = _schools()
    out = compare_school_groups(sv, ["leadership", "burnout"])
    assert list(out.variable) == ["leadership", "burnout"]
    assert (out.n_resilient == 3).all() and (out.n_other == 21).all()
    assert (out.permutation == "exact").all() and (out.n_permutations == 2024).all()
    assert (out.note == NOTE).all() and (out.adjust_method == "holm").all()
    for _, row in out.iterrows():
        x = sv.loc[sv.resilient, row["variable"]]
        y = sv.loc[~sv.resilient, row["variable"]]
        g = dynamics.hedges_g(x, y)
        cd = dynamics.cliff_delta(x, y)
        assert_allclose([row["hedges_g"], row["hedges_g_ci_low"], row["hedges_g_ci_high"]],
                        [g["est"], g["ci_low"], g["ci_high"]], rtol=1e-12)
        assert_allclose([row["cliff_delta"], row["cliff_delta_ci_low"]],
                        [cd["est"], cd["ci_low"]], rtol=1e-12)
        ref = stats.mannwhitneyu(x, y, method="exact")
        assert_allclose(row["mw_p_value"], ref.pvalue, rtol=1e-9)
        assert_allclose(row["p_value"], _brute_force_p(x.to_numpy(), y.to_numpy()), rtol=1e-12)
    lead = out.set_index("variable").loc["leadership"]
    assert lead["p_value"] < 0.01 and lead["hedges_g"] > 1
    assert_allclose(out.p_adjusted, np.minimum(1, np.maximum.accumulate(
        np.sort(out.p_value) * [2, 1]))[np.argsort(np.argsort(out.p_value))], rtol=1e-12)


def test_compare_one_flagged_school_and_bad_input():
    sv = _schools(n_flag=1, n_other=8)
    out = compare_school_groups(sv, ["leadership"], n_permutations=100)
    assert out.n_permutations.iloc[0] == 9 and np.isnan(out.hedges_g.iloc[0])
    assert "hedges_g undefined" in out.note.iloc[0]
    twice = pd.concat([sv, sv])
    with pytest.raises(DataError, match="more than once"):
        compare_school_groups(twice, ["leadership"])
    with pytest.raises(ParameterError, match="compare_school_groups"):
        compare_school_groups(sv, ["leadership"], adjust="nope")


def test_monte_carlo_compare_reproducible():
    sv = _schools(n_flag=6, n_other=30)
    a = compare_school_groups(sv, ["leadership", "burnout"], n_permutations=500, seed=11)
    b = compare_school_groups(sv, ["leadership", "burnout"], n_permutations=500, seed=11)
    pd.testing.assert_frame_equal(a, b)
    assert (a.permutation == "monte carlo").all()


def test_demo_resilient_profile(demo_run):
    study, _ = demo_run
    out = study.output
    scores = pd.read_parquet(out / "03_scoring" / "respondent_scores.parquet")
    agreement = pd.read_parquet(out / "03_scoring" / "teacher_agreement.parquet")
    items = pd.read_parquet(out / "02_responses" / "teachers_clean.parquet")
    flags = pd.read_parquet(out / "06_models" / "resilient_schools.parquet")
    own, ideal = own_ideal_pairs("teachers")
    gap = own_vs_ideal_gap(items, own, ideal)
    assert set(gap.variable) == set(own) | {"all_items"}
    # teachers rate the ideal school above their own (latent 1.4 vs 0.3)
    assert (gap.loc[gap.variable == "all_items", "est"] > 0).mean() > 0.9
    measures = {"teachers": ["pc_values", "leadership", "high_results", "demandingness",
                             "burnout_exhaustion", "burnout_accomplishment"],
                "students": ["tension", "anxiety"], "parents": ["tension"]}
    prof = school_profile_table(scores, agreement, measures=measures, gap=gap)
    assert not prof.duplicated(["school_id", "wave"]).any()
    sv = prof.merge(flags[["school_id", "resilient"]], on="school_id", how="left")
    sv["resilient"] = sv["resilient"].fillna(False).astype(bool)
    cols = [c for c in prof.columns if c not in ("school_id", "wave") and not c.startswith("n_")]
    assert "rwg_j_pc_values" in cols and "own_ideal_gap" in cols
    res = compare_school_groups(sv, cols, by="wave")
    n_res = sv.groupby("wave")["resilient"].sum()
    assert set(res.variable) == set(cols)
    assert len(res) == len(cols) * sv.wave.nunique()
    assert (res.n_resilient.to_numpy() == n_res.loc[res.wave].to_numpy()).all()
    assert (res.n_resilient > 0).all()
    assert res.p_value.between(0, 1).all() and res.p_adjusted.ge(res.p_value).all()


def test_models_stage_writes_the_comparison_and_the_report_shows_it(demo_run):
    from shnro_research.pipeline import read_table, stage_dir
    study, _ = demo_run
    cmp_ = read_table(study, "models", "resilient_vs_others")
    res = read_table(study, "models", "resilient_schools")
    assert (cmp_.n_resilient == int(res.resilient.sum())).all()
    assert {"teachers_leadership", "rwg_j_pc_values", "own_ideal_gap"} <= set(cmp_.variable)
    assert (cmp_.p_adjusted >= cmp_.p_value).all() and (cmp_.adjust_method == "holm").all()
    gap = read_table(study, "models", "own_vs_ideal_gap")
    assert (gap.loc[gap.variable == "all_items", "est"] > 0).mean() > 0.9
    assert (stage_dir(study, "report") / "tables" / "resilient_vs_others.docx").exists()
