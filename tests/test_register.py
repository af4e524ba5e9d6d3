"""Tests of the school register (issue 13): shnro_research.typology.register.

Agreement with R on a vendored case (tests/reference/register.R), the absolute rules, the one
shared low-context cut-off, transitions and sensitivity; and, on the demo study, recovery of
the statuses the demo planted (docs/DEMO_TRUTH.md § 3a).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.errors import DataError, ParameterError
from shnro_research.results import share_below_by_procedure
from shnro_research.typology import (
    FOUR_GROUPS, REGISTER_STATUSES, register_rules, register_sensitivity, register_transitions,
    resilient_schools, result_states, results_index, school_register, unfavourable_context,
)

REF = Path(__file__).parent / "reference"
#: the thresholds of tests/reference/register.R
R_PARAMS = dict(low_threshold=0.3, min_procedures=2, min_participants=5, low_context=-0.43,
                benchmark=0.0, crisis_sd=3.0, improvement_sd=3.0, improvement_years=2)


@pytest.fixture(scope="module")
def data():
    r = pd.read_csv(REF / "register" / "results.csv")
    c = pd.read_csv(REF / "register" / "context.csv")
    return r, c


@pytest.fixture(scope="module")
def rref():
    return json.loads((REF / "register.json").read_text())


def _register(r, c, **kw):
    return school_register(share_below_by_procedure(r), results_index(r, reference_year=2020), c,
                           reference_year=2020, **{**R_PARAMS, **kw})


# ------------------------------------------------------------------ agreement with R
def test_register_matches_r(data, rref):
    r, c = data
    reg = _register(r, c)
    exp = pd.DataFrame(rref["register"])
    assert len(reg) == len(exp) == 120
    reg = reg.set_index(["school_id", "year"]).loc[list(zip(exp.school_id, exp.year))]
    assert_allclose(reg["result_index"], exp["est"], rtol=1e-9, atol=1e-12)
    assert_allclose(reg["context_z"].astype(float), exp["context_z"].astype(float), rtol=1e-9,
                    atol=1e-12)
    assert_allclose(reg["change"].astype(float), exp["change"].astype(float), rtol=1e-9,
                    atol=1e-12)
    assert_allclose(reg["rise"].astype(float), exp["rise"].astype(float), rtol=1e-9, atol=1e-12)
    assert (reg["n_procedures"].to_numpy() == exp["n_procedures"].to_numpy()).all()
    assert (reg["n_failed"].to_numpy() == exp["n_failed"].to_numpy()).all()
    for col in ("low_results", "unfavourable_context", "crisis", "improvement", "resilient"):
        got = reg[col].astype(object).where(reg[col].notna(), None).tolist()
        assert got == exp[col].tolist(), col
    assert reg["four_group"].where(reg["four_group"].notna(), None).tolist() == \
        exp["four_group"].tolist()
    rules = register_rules(reg.reset_index(), **R_PARAMS)
    assert_allclose(rules["change_sd"].iloc[0], rref["change_sd"], rtol=1e-9)
    # the planted fall and rises of the reference data are found
    assert reg["crisis"].fillna(False).sum() >= 1 and reg["improvement"].fillna(False).sum() >= 2


def test_transitions_match_r(data, rref):
    r, c = data
    tr = register_transitions(_register(r, c))
    for status, key in (("resilient", "transitions_resilient"), ("four_group", "transitions_four_group")):
        exp = pd.DataFrame(rref[key])
        got = tr[tr.status == status]
        got = {(int(a), b, d): int(n) for a, b, d, n in
               got[["from_year", "from_state", "to_state", "n"]].itertuples(index=False)}
        want = {(int(a), b, d): int(n) for a, b, d, n in
                exp[["from_year", "from_state", "to_state", "Freq"]].itertuples(index=False)}
        assert got == want, status


# ------------------------------------------------------------------ absolute rules
def test_absolute_rules_improving_every_school_lowers_low_results(data):
    r, c = data
    reg = _register(r, c)
    better = r.copy()
    later = better["year"] > 2020                 # every school improves after the reference year
    better.loc[later, "below_min_pct"] = better.loc[later, "below_min_pct"] * 0.5
    better.loc[later, "mean_score"] = better.loc[later, "mean_score"] + 5
    reg2 = _register(better, c)
    n1, n2 = int(reg["low_results"].fillna(False).sum()), int(reg2["low_results"].fillna(False).sum())
    assert n1 > 0 and n2 < n1
    # the results index (reference-year scale) rises for every school-year outside 2020
    m = reg.merge(reg2, on=["school_id", "year"])
    later = m["year"] > 2020
    assert (m.loc[later, "result_index_y"] > m.loc[later, "result_index_x"]).all()
    # per-year terciles cannot show it: a third is "low" whatever the schools do
    lo1 = (result_states(reg, value="result_index")["state"] == "low").sum()
    lo2 = (result_states(reg2.assign(result_index=reg2["result_index"]),
                         value="result_index")["state"] == "low").sum()
    assert lo1 == lo2


def test_resilient_and_unfavourable_share_one_cutoff(data):
    r, c = data
    reg = _register(r, c, low_context=-0.3)
    rules = register_rules(reg, **{**R_PARAMS, "low_context": -0.3}).set_index("status")
    cut = rules.loc[["unfavourable_context", "resilient", "four_group"], "context_cutoff"]
    assert cut.nunique() == 1 and cut.iloc[0] == -0.3
    assert "<= -0.3 SD" in rules.loc["unfavourable_context", "rule"]
    assert "<= -0.3 SD" in rules.loc["resilient", "rule"]
    # every resilient school-year is in unfavourable context; the four groups agree
    res = reg["resilient"].fillna(False)
    assert reg.loc[res, "unfavourable_context"].all()
    assert reg.loc[res, "status"].str.contains("unfavourable_context,resilient").all()
    assert (reg["status"] == "").sum() == (~reg[list(REGISTER_STATUSES)].fillna(False)
                                           .astype(bool).any(axis=1)).sum()
    assert (reg.loc[res, "four_group"] == "low_context_only").all()
    uc = reg["unfavourable_context"].fillna(False)
    assert reg.loc[uc, "four_group"].isin(["low_results_low_context", "low_context_only"]).all()
    assert rules["basis"].str.len().gt(80).all() and rules["rule"].str.len().gt(10).all()


def test_fixed_cutoffs_of_the_existing_rules():
    d = pd.DataFrame({"school_id": list("abcdef") * 2, "year": [1] * 6 + [2] * 6,
                      "est": [-1.0, -0.5, -0.2, 0.0, 0.5, 1.0, -2, -1.5, -1.2, -1.0, -0.8, -0.6],
                      "score": [5, 1, 2, 3, 4, 6, 1, 2, 3, 4, 5, 6.0]})
    u = unfavourable_context(d, value="est", year="year", cutoff=-0.43)
    assert u["unfavourable"].tolist() == [True, True] + [False] * 4 + [True] * 6
    assert set(u["cutoff"]) == {-0.43} and "est <= -0.43" in u.loc[0, "rule"]
    rs = resilient_schools(d, outcome="score", context="est", by="year", rules="benchmark",
                           benchmark=4, context_cutoff=-0.43)
    assert (rs["low_context"] == u["unfavourable"]).all()
    assert rs.loc[rs.resilient, "school_id"].tolist() == ["a", "d", "e", "f"]
    assert "est <= -0.43" in rs.loc[0, "rules_fired"]


def test_transitions_add_up(data):
    r, c = data
    reg = _register(r, c)
    tr = register_transitions(reg)
    assert set(tr["status"]) == {*REGISTER_STATUSES, "four_group"}
    both = reg.merge(reg.assign(year=reg["year"] - 1), on=["school_id", "year"])
    for status in (*REGISTER_STATUSES, "four_group"):
        for y, g in tr[tr.status == status].groupby("from_year"):
            b = both[both.year == y]
            known = b[f"{status}_x"].notna() & b[f"{status}_y"].notna()
            assert g["n"].sum() == known.sum(), (status, y)
            assert_allclose(g.groupby("from_state")["share"].sum(), 1.0, rtol=1e-12)
    ent = tr[(tr.status == "resilient") & (tr.transition == "entered")]
    assert (ent["from_state"] == "not_resilient").all() and (ent["to_state"] == "resilient").all()


def test_sensitivity_table(data):
    r, c = data
    sens = register_sensitivity(share_below_by_procedure(r), results_index(r, reference_year=2020),
                                c, reference_year=2020, **R_PARAMS)
    assert set(sens["parameter"]) >= {"low_threshold", "low_context", "benchmark", "crisis_sd",
                                      "improvement_sd", "improvement_years", "min_procedures"}
    assert (sens.loc[sens.setting == "default", "n_changed"] == 0).all()
    lt = sens[(sens.parameter == "low_threshold") & (sens.status == "low_results")].set_index("setting")
    assert lt.loc["minus", "n_flagged"] >= lt.loc["default", "n_flagged"] >= lt.loc["plus", "n_flagged"]
    assert lt.loc[["minus", "plus"], "n_changed"].sum() > 0
    assert_allclose(lt.loc["plus", "threshold"], 0.35, rtol=1e-12)


def test_errors_name_what_is_wrong(data):
    r, c = data
    with pytest.raises(ParameterError, match="reference_year"):
        results_index(r, reference_year=1999)
    with pytest.raises(ParameterError, match="school_register: 'crisis_sd'"):
        _register(r, c, crisis_sd=0)
    with pytest.raises(ParameterError, match="unknown threshold"):
        register_rules(_register(r, c), low_contxt=-0.4)
    flat = c.assign(est=1.0)
    with pytest.raises(DataError, match="no spread in the reference year 2020"):
        _register(r, flat)


# ------------------------------------------------------------------ the demo's planted statuses
@pytest.fixture(scope="module")
def demo(demo_run):
    from shnro_research.pipeline import read_table
    study, _ = demo_run
    truth = json.loads(study.truth.read_text(encoding="utf-8"))
    reg = read_table(study, "models", "register")
    return study, truth, reg


def _years(reg, col):
    x = reg[reg[col].fillna(False).astype(bool)]
    return {(str(s), int(y)) for s, y in zip(x.school_id, x.year)}


def test_demo_register_recovers_planted_statuses(demo):
    _, truth, reg = demo
    R, res = truth["register"], truth["results"]
    waves = truth["waves"]
    first, last = waves[0], waves[-1]
    assert len(reg) == 40 * len(waves)
    low = _years(reg, "low_results")
    for s in res["low_result_schools"]:                 # planted low: low every year
        assert all((s, w) in low for w in waves), s
    resil = _years(reg, "resilient")
    for s in res["resilient_schools"]:                  # planted resilient: most years
        assert sum((s, w) in resil for w in waves) >= len(waves) - 1, s
    crisis = _years(reg, "crisis")
    for s in R["crisis_schools"]:                       # sharp fall in the last wave only
        assert (s, last) in crisis and not any((s, w) in crisis for w in waves[:-1]), s
    imp = _years(reg, "improvement")
    for s in R["improvement_schools"]:                  # low at first, rising, resilient at last
        assert (s, last) in imp and (s, first) in low and (s, last) not in low, s
        assert (s, last) in resil
    exp = pd.DataFrame(R["expected"])
    for col, found in (("crisis", crisis), ("improvement", imp)):
        want = {(s, int(y)) for s, y, f in zip(exp.school_id, exp.year, exp[col]) if f}
        assert want <= found and len(found - want) <= 1, (col, found ^ want)
    # the unstable schools' alternating swings are sharp falls, as the truth says
    assert {k for k in crisis if k[0] in res["unstable_schools"]} == \
        {k for k in {(s, int(y)) for s, y, f in zip(exp.school_id, exp.year, exp.crisis) if f}
         if k[0] in res["unstable_schools"]}
    agree = (exp.set_index(["school_id", "year"])["low_results"]
             == reg.set_index(["school_id", "year"])["low_results"].astype(bool)
             .reindex(pd.MultiIndex.from_arrays([exp.school_id, exp.year]))).mean()
    assert agree >= 0.95


def test_demo_share_of_low_results_falls_where_improvement_planted(demo):
    _, truth, reg = demo
    waves = truth["waves"]
    share = reg.groupby("year")["low_results"].apply(lambda x: x.fillna(False).astype(bool).mean())
    assert share[waves[-1]] < share[waves[0]]
    exp = truth["register"]["expected_low_share"]
    assert exp[str(waves[-1])] < exp[str(waves[0])]
    # without the improvement schools the share would not have fallen as much
    imp = truth["register"]["improvement_schools"]
    rest = reg[~reg.school_id.astype(str).isin(imp)]
    n_rest = rest.groupby("year")["low_results"].apply(lambda x: x.fillna(False).astype(bool).sum())
    n_all = reg.groupby("year")["low_results"].apply(lambda x: x.fillna(False).astype(bool).sum())
    assert (n_all[waves[0]] - n_all[waves[-1]]) - (n_rest[waves[0]] - n_rest[waves[-1]]) == len(imp)


def test_demo_rules_transitions_and_sensitivity(demo):
    from shnro_research.pipeline import read_table
    study, truth, reg = demo
    rules = read_table(study, "models", "register_rules").set_index("status")
    cut = rules.loc[["unfavourable_context", "resilient", "four_group"], "context_cutoff"]
    assert cut.nunique() == 1 and rules["basis"].notna().all()
    assert set(reg["four_group"].dropna()) <= set(FOUR_GROUPS)
    tr = read_table(study, "models", "register_transitions")
    last = truth["waves"][-1]
    ent = tr[(tr.status == "resilient") & (tr.transition == "entered") & (tr.to_year == last)]
    assert ent["n"].sum() >= len(truth["register"]["improvement_schools"])   # «переход в статус»
    for (status, y), g in tr.groupby(["status", "from_year"]):
        assert g["n"].sum() <= 40
    sens = read_table(study, "models", "register_sensitivity")
    assert {"parameter", "setting", "threshold", "status", "n_flagged", "n_changed"} <= set(sens)
    assert (sens.loc[sens.setting == "default", "n_changed"] == 0).all()
    assert sens["n_changed"].sum() > 0
