"""The school social well-being index from family and pupil context only, standardised on a
reference year so that it is comparable over time (issue 13, part 3); school resources kept apart.

R reference: tests/reference/context_wellbeing.R (data and values generated there)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.config_schema import parse_config
from shnro_research.context import (PASSPORT_COMPONENTS, SCHOOL_RESOURCES, school_resources,
                                    wellbeing_index)
from shnro_research.errors import ConfigError, DataError, ParameterError
from shnro_research.instruments import load_instrument

REF = Path(__file__).parent / "reference"
STAFF_ROLES = {"staffing", "school_size", "school_organisation"}


@pytest.fixture(scope="module")
def rdata():
    return pd.read_csv(REF / "context_wellbeing" / "data.csv")


@pytest.fixture(scope="module")
def rref():
    return json.loads((REF / "context_wellbeing.json").read_text())


def _nan(v):
    return np.array([np.nan if x is None else x for x in v], float)


def _panel(n=60, seed=11):
    """Two years of passports: year 2 = year 1 plus independent school-level changes."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    y1 = pd.DataFrame({"school_id": np.arange(n), "year": 2022,
                       "good": 30 + 8 * f + rng.normal(scale=3, size=n),
                       "bad": 20 - 6 * f + rng.normal(scale=3, size=n),
                       "worse": 8 - 3 * f + rng.normal(scale=2, size=n)})
    y2 = y1.assign(year=2023, good=y1.good + rng.normal(scale=4, size=n),
                   bad=y1.bad + rng.normal(scale=4, size=n),
                   worse=y1.worse + rng.normal(scale=2, size=n))
    return y1, y2


COMPS = {"good": 1, "bad": -1, "worse": -1}


# ------------------------------------------------------------------ components
def test_index_is_family_and_pupil_context_only():
    """Resources are not components; unemployment and guardianship are; both lists are the
    passport form's own roles."""
    assert not set(PASSPORT_COMPONENTS) & set(SCHOOL_RESOURCES)
    for gone in ("teacher_vacancies", "teachers_higher_cat_pct"):
        assert gone not in PASSPORT_COMPONENTS and gone in SCHOOL_RESOURCES
    assert PASSPORT_COMPONENTS["unemployed_parents_pct"] == -1
    assert PASSPORT_COMPONENTS["guardianship_pct"] == -1
    form = load_instrument("school_passport")
    roles = {it.id: it.role for it in form.items}
    context = {i: (1 if r == "context_positive" else -1) for i, r in roles.items()
               if r in ("context_positive", "context_negative")}
    assert PASSPORT_COMPONENTS == context
    assert set(SCHOOL_RESOURCES) == {i for i, r in roles.items() if r in STAFF_ROLES}


def test_school_resources_table():
    p = pd.DataFrame({"school_id": [1, 2, 3], "year": 2022, "n_students": [400, 90, 50],
                      "n_teachers": [20, 9, 0], "n_classes": [16, 9, 4],
                      "teacher_vacancies": [1, 0, 2], "low_income_pct": [10.0, 30.0, 40.0]})
    r = school_resources(p)
    assert list(r.columns) == ["school_id", "year", "n_students", "n_classes", "n_teachers",
                               "teacher_vacancies", "students_per_teacher", "students_per_class"]
    assert_allclose(r.students_per_teacher, [20, 10, np.nan], rtol=1e-12)
    assert_allclose(r.students_per_class, [25, 10, 12.5], rtol=1e-12)
    with pytest.raises(ParameterError, match="teacher_vacancies"):
        school_resources(p, components={"teacher_vacancies": -1, "low_income_pct": -1})
    with pytest.raises(DataError, match="has_psychologist"):
        school_resources(p, ["has_psychologist"])
    with pytest.raises(DataError, match="duplicated"):
        school_resources(pd.concat([p, p]))


# ------------------------------------------------------------------ reference-year standardisation
@pytest.mark.parametrize("weights", ["equal", "pca"])
def test_unchanged_school_keeps_its_index(weights):
    y1, y2 = _panel()
    y2.loc[0, list(COMPS)] = y1.loc[0, list(COMPS)].to_numpy()      # school 0 does not change
    d = pd.concat([y1, y2], ignore_index=True)
    res = wellbeing_index(d, COMPS, standardise="reference_year", weights=weights,
                          restandardise=True).scores.set_index(["school_id", "year"])["est"]
    assert_allclose(res[(0, 2023)], res[(0, 2022)], rtol=1e-12)
    # per-year standardisation moves it although its passport is the same
    per = wellbeing_index(d, COMPS, by="year", weights=weights).scores.set_index(
        ["school_id", "year"])["est"]
    assert abs(per[(0, 2023)] - per[(0, 2022)]) > 1e-3


def test_uniform_improvement_raises_the_mean_index():
    y1, _ = _panel()
    delta = {"good": 2.0, "bad": -3.0, "worse": -1.0}                 # every school better off
    y2 = y1.assign(year=2023, **{c: y1[c] + delta[c] for c in COMPS})
    d = pd.concat([y1, y2], ignore_index=True)
    res = wellbeing_index(d, COMPS, standardise="reference_year", restandardise=True)
    w = res.weights.set_index("component")
    expected = sum(w.weight[c] * w.direction[c] * delta[c] / w.reference_sd[c] for c in COMPS) \
        / w.index_scale.iloc[0]
    means = res.scores.groupby("year")["est"].mean()
    assert expected > 0.3
    assert_allclose(means[2022], 0, atol=1e-12)
    assert_allclose(means[2023] - means[2022], expected, rtol=1e-10)
    per = wellbeing_index(d, COMPS, by="year").scores.groupby("year")["est"].mean()
    assert_allclose(per.to_numpy(), 0, atol=1e-12)                  # per year: cannot show it


def test_reference_year_is_in_sd_units_and_its_weights_are_fixed():
    y1, y2 = _panel()
    d = pd.concat([y1, y2], ignore_index=True)
    res = wellbeing_index(d, COMPS, standardise="reference_year", weights="pca", restandardise=True)
    at = res.scores[res.scores.year == 2022]["est"]
    assert_allclose([at.mean(), at.std()], [0, 1], atol=1e-12)
    # weights, means and SDs are those of the reference year alone ...
    alone = wellbeing_index(y1, COMPS, year=None, weights="pca")
    assert_allclose(res.weights["weight"], alone.weights["weight"], rtol=1e-12)
    assert_allclose(res.weights["loading"], alone.weights["loading"], rtol=1e-12)
    assert_allclose(res.weights["reference_mean"], y1[list(COMPS)].mean(), rtol=1e-12)
    assert_allclose(res.weights["reference_sd"], y1[list(COMPS)].std(), rtol=1e-12)
    assert (res.weights["reference_year"] == 2022).all()
    # ... so another later year changes neither them nor the reference year's index
    d2 = pd.concat([y1, y2.assign(good=y2.good * 3, bad=y2.bad[::-1].to_numpy())], ignore_index=True)
    res2 = wellbeing_index(d2, COMPS, standardise="reference_year", weights="pca", restandardise=True)
    cols = ["weight", "loading", "reference_mean", "reference_sd", "index_center", "index_scale"]
    assert_allclose(res2.weights[cols], res.weights[cols], rtol=1e-12)
    assert_allclose(res2.scores.est[:len(y1)], res.scores.est[:len(y1)], rtol=1e-12)
    # components carry the same constants every year
    c = res.components.groupby("component")[["center", "scale"]].nunique()
    assert (c == 1).all().all()


def test_reference_year_choice_and_errors():
    y1, y2 = _panel()
    d = pd.concat([y1, y2], ignore_index=True)
    later = wellbeing_index(d, COMPS, standardise="reference_year", reference_year=2023,
                            restandardise=True)
    at = later.scores[later.scores.year == 2023]["est"]
    assert_allclose([at.mean(), at.std()], [0, 1], atol=1e-12)
    assert later.settings["reference_year"] == 2023 and later.glance().loc[0, "standardise"] == \
        "reference_year"
    with pytest.raises(DataError, match="2030"):
        wellbeing_index(d, COMPS, standardise="reference_year", reference_year=2030)
    with pytest.raises(ParameterError, match="by"):
        wellbeing_index(d, COMPS, standardise="reference_year", by="year")
    with pytest.raises(ParameterError, match="reference_year"):
        wellbeing_index(d, COMPS, by="year", reference_year=2022)
    with pytest.raises(ParameterError, match="year=None"):
        wellbeing_index(d, COMPS, year=None, standardise="reference_year")
    flat = d.assign(worse=np.where(d.year == 2022, 5.0, d.worse))
    with pytest.raises(DataError, match="worse.*zero variance"):
        wellbeing_index(flat, COMPS, standardise="reference_year")


# ------------------------------------------------------------------ agreement with R
@pytest.mark.parametrize("case, weights, year", [("equal", "equal", None), ("pca", "pca", None),
                                                 ("equal_2023", "equal", 2023)])
def test_reference_year_index_matches_r(rdata, rref, case, weights, year):
    r = rref[case]
    comps = dict(zip(rref["components"], rref["directions"]))
    assert comps == PASSPORT_COMPONENTS                 # the passport's own components
    res = wellbeing_index(rdata, comps, standardise="reference_year", reference_year=year,
                          weights=weights, min_components=0.75, restandardise=True)
    est = _nan(r["est"])
    assert np.array_equal(np.isnan(est), res.scores["est"].isna().to_numpy())
    assert_allclose(res.scores["est"], est, rtol=1e-8, atol=1e-12)
    z = np.array([[np.nan if v is None else v for v in row] for row in r["z"]])
    assert_allclose(res.scores[[f"z_{c}" for c in comps]].to_numpy(), z, rtol=1e-8, atol=1e-12)
    assert_allclose(res.scores["n_components"], r["n_components"], rtol=0)
    w = res.weights
    assert (w["reference_year"] == r["reference_year"]).all()
    for col in ("reference_mean", "reference_sd", "weight"):
        assert_allclose(w[col], r[col], rtol=1e-8)
    assert_allclose(w["n_reference"], r["n_reference"], rtol=0)
    assert_allclose(w[["index_center", "index_scale"]].iloc[0],
                    [r["index_center"], r["index_scale"]], rtol=1e-8, atol=1e-12)
    if weights == "pca":
        assert_allclose(w["loading"], r["loading"], rtol=1e-8)
        assert_allclose(w["explained_variance"].iloc[0], r["explained_variance"], rtol=1e-8)
    assert_allclose(res.scores.groupby("year")["est"].mean(), r["year_mean"], rtol=1e-8, atol=1e-12)
    # resources in the file are not in the index
    assert not set(w["component"]) & set(SCHOOL_RESOURCES)


def test_planted_general_improvement_shows_in_r_case(rref):
    """The R case plants +0.3 SD a year for every school: the index's yearly means rise."""
    m = rref["equal"]["year_mean"]
    assert m[0] < m[1] < m[2] and m[2] - m[0] > 0.3


# ------------------------------------------------------------------ config
def test_config_keys():
    cfg = parse_config("context: {standardise: per_year}\n")
    assert cfg.context.standardise == "per_year" and cfg.context.reference_year is None
    assert parse_config("study: {seed: 1}\n").context.standardise == "reference_year"
    with pytest.raises(ConfigError, match="reference_year"):
        parse_config("context: {standardise: per_year, reference_year: 2022}\n")
    with pytest.raises(ConfigError, match="teacher_vacancies"):
        parse_config("context: {components: {teacher_vacancies: -1}, "
                     "resources: [teacher_vacancies]}\n")


# ------------------------------------------------------------------ the demo study
def test_demo_context_stage(demo_run):
    from shnro_research.pipeline import read_table
    study, _ = demo_run
    truth = json.loads(study.truth.read_text(encoding="utf-8"))
    w = read_table(study, "context", "weights")
    assert set(w.component) == set(PASSPORT_COMPONENTS)   # the demo passport has all ten
    assert (w.reference_year == min(truth["waves"])).all()
    idx = read_table(study, "context", "wellbeing_index")
    at = idx[idx.year == min(truth["waves"])]["est"]
    assert_allclose([at.mean(), at.std()], [0, 1], atol=1e-9)
    res = read_table(study, "context", "school_resources")
    assert {"teacher_vacancies", "teachers_higher_cat_pct", "students_per_teacher"} <= set(res.columns)
    assert not res.duplicated(["school_id", "year"]).any() and len(res) == len(idx)
    # the demo's unemployment and guardianship follow the planted context c_s (negatively)
    c = pd.DataFrame(truth["schools"])[["school_id", "context"]]
    p = read_table(study, "context", "passport").astype({"school_id": str})
    m = p.groupby("school_id")[["unemployed_parents_pct", "guardianship_pct"]].mean().join(
        c.set_index("school_id"))
    assert m.unemployed_parents_pct.corr(m.context) < -0.5
    assert m.guardianship_pct.corr(m.context) < -0.3
    i = idx.astype({"school_id": str}).groupby("school_id")["est"].mean().to_frame().join(
        c.set_index("school_id"))
    assert i.est.corr(i.context) > 0.85
