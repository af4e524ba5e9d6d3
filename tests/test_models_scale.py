"""The models stage at scale (issue 15): each faster path gives the numbers of the path it
replaced, checked here against that previous computation written out step by step.

* k-means fitted under one OpenMP thread = scikit-learn's KMeans with its default threads;
* the register's sensitivity with its cache = one full :func:`school_register` per setting;
* the model frame's ``C()`` of integers / floats through a pandas categorical = patsy's own;
* :func:`school_climate` on integer-coded cells = the melt / four-key groupby it replaced;
* the students' SES from only the columns it reads = from the whole table.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import patsy
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from shnro_research.climate import school_climate
from shnro_research.models._results import model_frame
from shnro_research.results import share_below_by_procedure
from shnro_research.typology import (FOUR_GROUPS, REGISTER_STATUSES, cluster_schools,
                                     register_sensitivity, results_index, school_register)

REF = Path(__file__).parent / "reference"
R_PARAMS = dict(low_threshold=0.3, min_procedures=2, min_participants=5, low_context=-0.43,
                benchmark=0.0, crisis_sd=3.0, improvement_sd=3.0, improvement_years=2)


# ------------------------------------------------------------------ k-means, one thread
def test_cluster_labels_equal_sklearn_kmeans_with_default_threads():
    from sklearn.cluster import KMeans
    rng = np.random.default_rng(7)
    centres = np.array([[-2, -2, 0], [0, 2, 1], [2, -1, -1]])
    X = np.vstack([c + rng.normal(scale=.6, size=(300, 3)) for c in centres])
    prof = pd.DataFrame(X, columns=["a", "b", "c"]).assign(school_id=np.arange(len(X)))
    res = cluster_schools(prof, ["a", "b", "c"], k=3, k_range=range(2, 5), seed=11, n_init=5,
                          n_refs=3)
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    ref = KMeans(n_clusters=3, n_init=5, random_state=11).fit(Z).labels_
    # same partition (cluster_schools renumbers: 1 = lowest mean profile)
    pairs = pd.crosstab(res.labels["type"].to_numpy(), ref)
    assert ((pairs > 0).sum(axis=1) == 1).all() and ((pairs > 0).sum(axis=0) == 1).all()
    within = sum(((Z[ref == c] - Z[ref == c].mean(axis=0)) ** 2).sum() for c in range(3))
    row = res.criteria.set_index("k").loc[3]
    assert_allclose(row["within_ss"], within, rtol=1e-12)


# ------------------------------------------------------------------ register sensitivity
@pytest.fixture(scope="module")
def reg_data():
    r = pd.read_csv(REF / "register" / "results.csv")
    c = pd.read_csv(REF / "register" / "context.csv")
    return share_below_by_procedure(r), results_index(r, reference_year=2020), c


def _sensitivity_one_run_each(shares, index, context, steps):
    """The previous register_sensitivity: a full school_register per setting, compared on
    the (school, year) index."""
    cols = [*REGISTER_STATUSES, "four_group"]
    base = school_register(shares, index, context, reference_year=2020, **R_PARAMS)
    key = base.set_index(["school_id", "year"])[cols]
    rows = []
    for name, step in steps.items():
        settings = [("default", R_PARAMS[name])]
        for setting, sign in (("minus", -1), ("plus", 1)):
            v = R_PARAMS[name] + sign * step
            settings.append((setting, int(round(v)) if name in ("min_procedures",
                                                                 "improvement_years") else v))
        for setting, value in settings:
            if (name == "min_procedures" and value < 1) or (name == "improvement_years"
                                                             and value < 1):
                continue
            reg = school_register(shares, index, context, reference_year=2020,
                                  **{**R_PARAMS, name: value})
            r = reg.set_index(["school_id", "year"])[cols].reindex(key.index)
            for st in cols:
                a, b = key[st].astype(object), r[st].astype(object)
                diff = ~((a == b).fillna(False) | (a.isna() & b.isna()))
                flagged = (int(r[st].fillna(False).astype(bool).sum()) if st != "four_group"
                           else int((r[st].notna() & (r[st] != FOUR_GROUPS[-1])).sum()))
                rows.append(dict(parameter=name, setting=setting, threshold=float(value),
                                 status=st, n_flagged=flagged, n_changed=int(diff.sum()),
                                 n_schools_changed=int(diff.groupby(level=0).any().sum())))
    return pd.DataFrame(rows)


def test_register_sensitivity_equals_one_full_register_per_setting(reg_data):
    shares, index, context = reg_data
    steps = dict(low_threshold=0.05, min_procedures=1, low_context=0.24, benchmark=0.25,
                 crisis_sd=0.5, improvement_sd=0.5, improvement_years=1)
    got = register_sensitivity(shares, index, context, reference_year=2020, steps=steps,
                               **R_PARAMS)
    want = _sensitivity_one_run_each(shares, index, context, steps)
    assert want["n_changed"].sum() > 0            # the settings do move statuses
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def test_register_with_bigger_steps_still_equals(reg_data):
    shares, index, context = reg_data
    steps = dict(low_threshold=0.15, low_context=0.6, benchmark=0.6)
    got = register_sensitivity(shares, index, context, reference_year=2020, steps=steps,
                               **R_PARAMS)
    want = _sensitivity_one_run_each(shares, index, context, steps)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


# ------------------------------------------------------------------ C() in model frames
@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(3)
    n = 2000
    d = pd.DataFrame({"y": rng.normal(size=n), "x": rng.normal(size=n),
                      "wave": rng.choice([2024, 2022, 2023], n),
                      "fw": rng.choice([2.0, 1.0, np.nan], n), "flag": rng.random(n) < .5,
                      "s": rng.choice(["b", "a", "c"], n), "unused": "text"})
    d.loc[[4, 9], "x"] = np.nan
    return d


@pytest.mark.parametrize("formula", [
    "y ~ x + C(wave)", "y ~ x + C(fw) + C(flag)", "y ~ C(s) + C(wave)",
    "y ~ x * C(wave)", "y ~ C(wave, Treatment(2023)) + x",
    "y ~ C(wave, levels=[2024, 2023, 2022])", "y ~ np.log(np.abs(x)) + C(fw)"])
def test_model_frame_categorical_equals_patsy(frame, formula):
    mf = model_frame(frame, formula)
    Y, X = patsy.dmatrices(formula, frame, NA_action="drop", return_type="dataframe",
                           eval_env=0)
    assert mf.terms == ["(Intercept)" if t == "Intercept" else t for t in X.columns]
    assert_array_equal(mf.X, X.to_numpy())
    assert_array_equal(mf.y, Y.iloc[:, 0].to_numpy())
    assert_array_equal(mf.rows, X.index.to_numpy())


# ------------------------------------------------------------------ school_climate
def _climate_melted(scores, measures, school="school_id", wave="wave", group="group"):
    """The cells of the previous school_climate: melt, then a groupby on four keys."""
    long = scores[[school, wave, group] + measures].melt(
        id_vars=[school, wave, group], var_name="variable", value_name="y")
    long["y"] = pd.to_numeric(long["y"], errors="coerce")
    long = long.dropna(subset=["y", school, wave, group])
    by = long.groupby([wave, group, "variable", school], observed=True, sort=True)["y"]
    long["_dev2"] = (long["y"] - by.transform("mean")) ** 2
    sch = by.agg(n="count", est_raw="mean").reset_index()
    sch["var0"] = long.groupby([wave, group, "variable", school], observed=True,
                               sort=True)["_dev2"].sum().to_numpy() / sch["n"]
    return sch


def test_school_climate_cells_equal_the_melted_groupby():
    from shnro_research.climate import _school_cells
    rng = np.random.default_rng(5)
    n = 5000
    scores = pd.DataFrame({
        "school_id": rng.choice([f"s{i:03d}" for i in range(60)] + [None], n),
        "wave": rng.choice([2023, 2022], n),
        "group": rng.choice(["teachers", "students", "parents"], n),
        "tension": rng.normal(3, 1, n), "motivation": rng.normal(2, .5, n),
        "anxiety": rng.normal(size=n)})
    scores.loc[rng.random(n) < .2, "tension"] = np.nan
    scores.loc[scores["group"] == "teachers", "anxiety"] = np.nan
    ms = ["tension", "motivation", "anxiety"]
    got = _school_cells(scores, ms, "school_id", "wave", "group")
    want = _climate_melted(scores, ms)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False,
                                  check_exact=True)
    out = school_climate(scores, ms)
    assert len(out) == len(want)
    assert_allclose(out.sort_values(["wave", "group", "variable", "school_id"])["est_raw"],
                    want["est_raw"], rtol=0, atol=0)


# ------------------------------------------------------------------ student SES columns
def test_student_ses_from_its_columns_equals_from_the_whole_table():
    from shnro_research.instruments import load_instrument
    from shnro_research.student_ses import student_ses, student_ses_columns
    inst = load_instrument("students")
    cols = student_ses_columns(inst)
    items = [c for c in cols if c not in ("resp_id", "school_id", "wave")]
    assert items, "the students' instrument declares SES items"
    rng = np.random.default_rng(2)
    n = 400
    d = pd.DataFrame({"resp_id": [f"r{i}" for i in range(n)],
                      "school_id": rng.choice(["a", "b", "c", "d"], n),
                      "wave": rng.choice([2022, 2023], n), "other": rng.normal(size=n)})
    for c in items:
        d[c] = rng.integers(0, 4, n).astype(float)
    d.loc[rng.random(n) < .1, items[0]] = np.nan
    pd.testing.assert_frame_equal(student_ses(d[cols], inst), student_ses(d, inst))


# ------------------------------------------------------------------ stability typology
def test_share_unfavourable_equals_the_mean_of_known_years():
    from shnro_research.typology import stability_typology
    rng = np.random.default_rng(4)
    n = 300
    st = pd.DataFrame({"school_id": np.repeat([f"s{i}" for i in range(n)], 3),
                       "year": np.tile([2022, 2023, 2024], n),
                       "state": rng.choice(["low", "middle", "high"], 3 * n),
                       "unfavourable": pd.Series(rng.choice([True, False, None], 3 * n,
                                                            p=[.3, .5, .2]), dtype=object)})
    st.loc[:2, "unfavourable"] = None                   # a school with no known year
    out = stability_typology(st, unfavourable="unfavourable").set_index("school_id")
    want = st.groupby("school_id")["unfavourable"].agg(
        lambda v: float(v.dropna().astype(bool).mean()) if v.notna().any() else np.nan)
    assert np.isnan(out.loc["s0", "share_unfavourable"])
    assert_allclose(out["share_unfavourable"].reindex(want.index), want, rtol=0, atol=0)
