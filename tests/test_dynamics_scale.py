"""Issue 15 (speed): the vectorised paths of the design, dynamics and resilience functions give
the numbers of the one-at-a-time computations they replaced.

Each test computes the result both ways on simulated data -- the batched / stacked / cached
path of the package and the per-variable, per-domain or per-cell reference built here from the
package's scalar functions -- and compares them exactly (``assert_frame_equal``) or with
``rtol=1e-12`` where only the order of floating-point summation differs. The R agreement of
the statistics themselves is tested in tests/test_design_*.py, tests/test_dynamics.py,
tests/test_breakdowns.py and tests/test_resilience_profile.py.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pandas.testing import assert_frame_equal

from shnro_research import dynamics as dyn
from shnro_research.design import estimates as est_mod
from shnro_research.design import spec as spec_mod
from shnro_research.design import (breakdown_contrasts, estimate_by, survey_design, svy_glm,
                                   svy_mean, svy_proportion, svy_total)
from shnro_research.resilience_profile import (_paired_row, compare_school_groups,
                                               own_vs_ideal_gap, permutation_test)

VARS = ["y1", "y2", "y3"]


def _survey(seed=3, n_strata=3, schools=6, classes=2, pupils=9, waves=(2022, 2023, 2024)):
    """Respondents of re-surveyed schools (PSUs) in strata, classes within schools, waves."""
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(n_strata):
        for s in range(schools):
            eff = rng.normal(0, 0.5)
            for c in range(classes):
                for w in waves:
                    n = pupils + int(rng.integers(-3, 4))
                    rows.append(pd.DataFrame({
                        "stratum": f"h{h}", "school_id": f"s{h}_{s}", "class_id": f"s{h}_{s}c{c}",
                        "wave": w, "w": rng.uniform(5, 15, n),
                        "y1": 3 + eff + 0.2 * (w - waves[0]) + rng.normal(0, 1, n),
                        "y2": rng.integers(1, 6, n).astype(float),
                        "y3": rng.normal(10, 3, n),
                        "sex": rng.choice(["f", "m"], n),
                        "grade": rng.choice([7.0, 8.0, 9.0], n),
                        "plans": rng.choice(["college", "university", "work"], n)}))
    d = pd.concat(rows, ignore_index=True)
    d.loc[rng.random(len(d)) < 0.08, "y2"] = np.nan          # missing answers
    d.loc[rng.random(len(d)) < 0.05, "y3"] = np.nan
    d.loc[rng.random(len(d)) < 0.04, "grade"] = np.nan
    return d


@pytest.fixture(scope="module")
def design():
    d = _survey()
    return survey_design(d, ids=["school_id", "class_id"], strata="stratum", weight="w")


def test_many_variables_in_one_call_equal_one_call_each(design, monkeypatch):
    one_each = pd.concat([svy_mean(design, v, by=["school_id", "wave"]) for v in VARS],
                         ignore_index=True)
    assert_frame_equal(svy_mean(design, VARS, by=["school_id", "wave"]), one_each)
    # tiny batches: several variance calls, the same numbers
    monkeypatch.setattr(est_mod, "_BATCH_ENTRIES", 50)
    assert_frame_equal(svy_mean(design, VARS, by=["school_id", "wave"]), one_each)
    tot = pd.concat([svy_total(design, v, by="wave") for v in VARS], ignore_index=True)
    assert_frame_equal(svy_total(design, VARS, by="wave"), tot)
    by_var = pd.concat([estimate_by(design, v, by="wave") for v in VARS], ignore_index=True)
    assert_frame_equal(estimate_by(design, VARS, by="wave"), by_var)
    props = pd.concat([svy_proportion(design, v, by="wave") for v in ("sex", "plans")],
                      ignore_index=True)
    assert_frame_equal(svy_proportion(design, ["sex", "plans"], by="wave"), props)


def test_dense_and_sorted_variance_cells_agree_bitwise(design, monkeypatch):
    """_taylor_var counts few domain x cluster cells densely; the sort gives the same bits."""
    dense = svy_mean(design, VARS, by=["school_id", "wave"])
    monkeypatch.setattr(spec_mod, "_DENSE_KEYS", -10 ** 12)   # always sort
    assert_frame_equal(svy_mean(design, VARS, by=["school_id", "wave"]), dense)
    for policy in ("adjust", "average", "remove"):
        d1 = survey_design(design.data.iloc[:-40], ids=["school_id", "class_id"],
                           strata="stratum", weight="w", lonely_psu=policy)
        sort = svy_mean(d1, VARS, by="school_id")
        monkeypatch.setattr(spec_mod, "_DENSE_KEYS", 1 << 22)
        assert_frame_equal(svy_mean(d1, VARS, by="school_id"), sort)
        monkeypatch.setattr(spec_mod, "_DENSE_KEYS", -10 ** 12)


def test_all_measures_at_once_equal_one_design_wave_change_each(design):
    measures = {"a": ["y1", "y2"], "b": ["y3"], "c": ["y2", "y1"]}
    better = {"a": {"y1": "lower"}, "b": "none"}
    ch, est = dyn.design_wave_changes(design, measures, better=better, base=2022,
                                      compare=[2023, 2024], adjust="holm")
    for m, vs in measures.items():
        one = dyn.design_wave_change(design, vs, base=2022, compare=[2023, 2024],
                                     better=better.get(m, "higher"), adjust="holm")
        got = ch[ch["measure"] == m].drop(columns="measure").reset_index(drop=True)
        assert_frame_equal(got, one)
        e = est[est["measure"] == m].drop(columns="measure").reset_index(drop=True)
        assert_frame_equal(e, svy_mean(design, vs, by=["wave"], ci="t"))
    # the SE of the change is the design-based SE of the total of the linearised difference
    d = design.data
    assert set(ch["classification"].astype(str)) <= set(dyn.CLASSES)
    assert (ch["se"] < ch["se_independent"]).mean() > 0.5     # re-surveyed schools
    assert len(ch) == 2 * 5 and d["wave"].nunique() == 3


def _effect_loop(data, value, by, b, c, measure, level=0.95, min_n=2):
    """Reference: the per-domain loop of hedges_g / cliff_delta."""
    rows = []
    for key, g in data.groupby(by, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        yb = g.loc[g["wave"] == b, value].dropna().to_numpy()
        xc = g.loc[g["wave"] == c, value].dropna().to_numpy()
        row = dict(zip(by, key))
        if len(yb) < min_n or len(xc) < min_n:
            row.update(est=np.nan, n=len(yb) + len(xc))
        else:
            try:
                r = (dyn.hedges_g if measure == "hedges_g" else dyn.cliff_delta)(xc, yb, level)
                row.update({k: r[k] for k in ("est", "se", "ci_low", "ci_high", "df", "n")})
            except Exception as exc:            # noqa: BLE001 - the note is compared below
                row.update(est=np.nan, n=len(yb) + len(xc), note=str(exc))
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("measure", ["hedges_g", "cliff_delta"])
def test_effect_sizes_for_all_domains_equal_the_loop(measure):
    d = _survey(seed=7)
    d = d[d["wave"] != 2023].copy()
    # a school with too few answers in a wave and one with no variance in either wave
    few = d.index[(d["school_id"] == "s0_0") & (d["wave"] == 2024)]
    d = d.drop(index=few[1:])
    const = d["school_id"] == "s1_1"
    d.loc[const, "y2"] = 3.0
    for value in ("y1", "y2"):
        got = dyn.wave_effect_sizes(d, value, by=["school_id"], base=2022, compare=2024,
                                    measure=measure)
        ref = _effect_loop(d, value, ["school_id"], 2022, 2024, measure)
        assert list(got["school_id"]) == list(ref["school_id"])
        assert_array_equal(got["n"], ref["n"])
        for col in ("est", "se", "ci_low", "ci_high", "df"):
            assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-12,
                            atol=0, equal_nan=True)
        few = got["note"].str.startswith("fewer than 2 valid values")
        assert few.sum() == 1 and got.loc[few, "school_id"].item() == "s0_0"
        if measure == "hedges_g" and value == "y2":
            zero = got["school_id"] == "s1_1"
            assert got.loc[zero, "note"].item() == ("Hedges' g is undefined: both waves have "
                                                    "zero variance")


def test_own_vs_ideal_gap_equals_the_per_cell_analysis():
    rng = np.random.default_rng(11)
    n = 400
    t = pd.DataFrame({"school_id": rng.choice([f"s{i}" for i in range(25)], n),
                      "wave": rng.choice([2023, 2024], n)})
    own = [f"pc_own_{k:02d}" for k in range(1, 5)]
    ideal = [f"pc_ideal_{k:02d}" for k in range(1, 5)]
    for o, i in zip(own, ideal):
        t[o] = rng.integers(1, 6, n).astype(float)
        t[i] = np.clip(t[o] + rng.integers(-1, 3, n), 1, 5)      # ties and zero gaps
        t.loc[rng.random(n) < 0.1, i] = np.nan
    t.loc[t["school_id"] == "s3", own[0]] = np.nan                # an item nobody answered
    got = own_vs_ideal_gap(t, own, ideal, min_n=3)
    gap = pd.DataFrame(t[ideal].to_numpy() - t[own].to_numpy(), columns=own)
    gap["all_items"] = gap[own].mean(axis=1)
    rows = []
    for (s, w), g in gap.groupby([t["school_id"], t["wave"]], sort=True):
        for item in own + ["all_items"]:
            d = g[item].dropna().to_numpy(float)
            r = _paired_row(d, 0.95)
            rows.append({"school_id": s, "wave": w, "variable": item,
                         **(r if d.size >= 3 else {"est": r["est"], "n": r["n"]})})
    ref = pd.DataFrame(rows)
    assert list(got["variable"]) == list(ref["variable"])
    assert_array_equal(got["n"], ref["n"])
    for col in ("est", "se", "ci_low", "ci_high", "df", "statistic", "p_value",
                "wilcoxon_statistic", "wilcoxon_p_value"):
        assert_array_equal(got[col].to_numpy(float), ref[col].to_numpy(float), err_msg=col)
    assert got["wilcoxon_p_value"].notna().sum() > 100


def test_relabellings_reused_across_measures_give_the_separate_tests():
    rng = np.random.default_rng(5)
    n = 30
    v = pd.DataFrame({"school_id": range(n), "flag": rng.random(n) < 0.2,
                      "m1": rng.normal(size=n), "m2": rng.normal(size=n),
                      "m3": rng.integers(1, 4, n).astype(float)})
    v.loc[3, "m2"] = np.nan                        # another n for one measure
    for perms in (100, 10 ** 7):                   # Monte Carlo, then exact enumeration
        got = compare_school_groups(v, ["m1", "m2", "m3"], flag="flag", n_permutations=perms,
                                    seed=9)
        for m in ("m1", "m2", "m3"):
            ok = v[m].notna()
            ref = permutation_test(v.loc[ok & v["flag"], m], v.loc[ok & ~v["flag"], m],
                                   n_permutations=perms, seed=9)
            row = got[got["variable"] == m].iloc[0]
            assert row["p_value"] == ref["p_value"] and row["permutation"] == ref["permutation"]


def test_breakdown_contrasts_equal_svy_glm_on_the_pair(design):
    d = design.data
    got = breakdown_contrasts(design, ["y1", "y2"], ["grade", "sex"])
    assert len(got) == 2 * (3 + 1)
    for _, r in got.iterrows():
        g = d[r["by"]]
        hi, lo = r["contrast"].split(" - ")
        cast = float if r["by"] == "grade" else str
        pair = g.where(g.isin([cast(lo), cast(hi)]))
        dummy = np.where(pair.isna(), np.nan, (pair == cast(hi)).astype(float))
        d2 = dataclasses.replace(design, data=d.assign(_g1_=dummy))
        fit = svy_glm(d2, y=r["variable"], x=["_g1_"]).tidy().iloc[1]
        for col in ("est", "se", "ci_low", "ci_high", "statistic", "p_value"):
            assert r[col] == fit[col], col
        assert r["df"] == fit["df"] and r["n"] == fit["n"]


def test_every_pair_in_one_call_equals_one_call_per_pair(design):
    """Each wave pair stays its own family of tests (Holm within the pair)."""
    both = dyn.design_wave_change(design, VARS, base=2022, compare=[2023, 2024])
    one = pd.concat([dyn.design_wave_change(design, VARS, base=2022, compare=[c])
                     for c in (2023, 2024)], ignore_index=True)
    assert_frame_equal(both, one)
    cons = dyn.design_wave_change(design, VARS, consecutive=True, family="variable")
    sep = pd.concat([dyn.design_wave_change(design, VARS, base=b, compare=[c], family="variable")
                     for b, c in ((2022, 2023), (2023, 2024))], ignore_index=True)
    assert_frame_equal(cons, sep)
    assert (both["p_adjusted"] >= both["p_value"]).all()


@pytest.mark.parametrize("values", [[2, "3"], ["a", 1.0], [True], ["nan"], ["b", "2.5"]])
def test_indicator_filter_on_distinct_values_equals_the_elementwise_match(values):
    from shnro_research.indicators.compute import _match, _match_values
    cols = {"float": pd.Series([1.0, 2.0, np.nan, 3.0, 2.5, 2.0]),
            "int": pd.Series([1, 2, 3, 3, 0, 2]),
            "text": pd.Series(["a", "b", None, "2.5", "3", "a"], dtype="str"),
            "bool": pd.Series([True, False, True, True, False, False]),
            "nullable": pd.Series([True, None, False, True, None, False], dtype="boolean"),
            "object": pd.Series([1, "a", True, 2.0, None, "3"], dtype=object)}
    table = pd.DataFrame(cols)
    cache = {}
    for name, s in cols.items():
        ref = _match_values(s, values)
        assert_array_equal(_match(s, values).to_numpy(), ref.to_numpy(), err_msg=name)
        for _ in range(2):                          # the second time from the cache
            got = _match(table[name], values, cache, table)
            assert_array_equal(got.to_numpy(), ref.to_numpy(), err_msg=name)
