"""Change that holds up (issue 12, part 4): direction of "better" from the instruments,
"cannot tell" beside the minimum detectable change, municipal changes with the covariance of
re-surveyed schools for every measure, and the programme's difference-in-differences -- on
small constructed cases and on the demo study (docs/DEMO_TRUTH.md section 6)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from shnro_research import dynamics as dyn
from shnro_research.errors import InstrumentError
from shnro_research.instruments import load_instrument, parse_instrument

MINI = """
instrument: {id: mini, group: students, version: 1}
response_scales:
  agree5: {type: likert, codes: {1: a, 2: b, 3: c, 4: d, 5: e}}
sections:
  - id: s
    items:
      - {id: a1, text: x, response: agree5, scales: [worry]}
      - {id: a2, text: y, response: agree5, scales: [worry]}
scales:
  worry: {label: Worry, role: anxiety, better: %s}
"""


# ------------------------------------------------------------------ direction of "better"

def test_better_is_a_scale_field_of_the_instrument():
    def parse(text):
        return parse_instrument(yaml.safe_load(text))
    assert parse(MINI % "lower").scales["worry"].better == "lower"
    assert parse(MINI.replace(", better: %s", "")).scales["worry"].better == "higher"
    with pytest.raises(InstrumentError, match="better"):
        parse(MINI % "down")
    t = load_instrument("teachers")
    lower = {s for s, sc in t.scales.items() if sc.better == "lower"}
    # burnout_accomplishment is reverse-keyed: higher = stronger reduction = worse
    assert lower == {"tension", "burnout_exhaustion", "burnout_depersonalisation",
                     "burnout_accomplishment"}
    assert {s for s, sc in load_instrument("students").scales.items()
            if sc.better == "lower"} == {"tension", "anxiety", "motivation_controlled"}


class _Ctx:
    """The two things ``scale_directions`` reads from a stage context."""
    groups = ["students", "parents", "teachers"]

    @staticmethod
    def instrument(group):
        return load_instrument(group)


def test_school_whose_teachers_burnout_rose_is_negative():
    from shnro_research.pipeline.dynamics import _scale_directions
    better = _scale_directions(_Ctx())
    est = pd.DataFrame({"school_id": "S01", "group": "teachers", "wave": [2022, 2024] * 3,
                        "variable": np.repeat(["burnout_accomplishment", "burnout_exhaustion",
                                               "leadership"], 2),
                        "est": [2.0, 2.8, 2.0, 2.8, 3.0, 3.8], "se": 0.1})
    res = dyn.wave_change(est, better=better).set_index("variable")["classification"]
    assert res["burnout_accomplishment"] == "negative"
    assert res["burnout_exhaustion"] == "negative"
    assert res["leadership"] == "positive"
    # dynamics.lower_is_better replaces the instruments' declarations
    assert _scale_directions(_Ctx(), ["leadership"])["burnout_accomplishment"] == "higher"


# ------------------------------------------------------------------ "cannot tell" and the MDC

def test_cannot_tell_when_the_mdc_exceeds_the_meaningful_change():
    est = pd.DataFrame({"school_id": np.repeat(["small", "large", "sig", "gone"], 2),
                        "wave": [1, 2] * 4, "est": [3.0, 3.1, 3.0, 3.02, 3.0, 3.6, 3.0, np.nan],
                        "se": [0.2, 0.2, 0.02, 0.02, 0.05, 0.05, 0.1, np.nan]})
    res = dyn.wave_change(est, by="school_id", meaningful=0.2).set_index("school_id")
    # MDC = 2.8 SE_diff: 0.79 for 'small' (> 0.2: cannot tell), 0.08 for 'large' (no change)
    np.testing.assert_allclose(res.loc["small", "mdc"], 2.8016 * np.sqrt(0.08), rtol=1e-4)
    assert res.loc["small", "classification"] == "cannot tell"
    assert res.loc["large", "classification"] == "no change"
    assert res.loc["sig", "classification"] == "positive"
    assert res.loc["gone", "classification"] == "no data"
    assert (res["meaningful_change"] == 0.2).all()
    # per-domain column, and the summary counts the new class among domains with data
    col = dyn.wave_change(est.assign(m=0.9), by="school_id", meaningful="m")
    assert (col.set_index("school_id").loc[["small", "large"], "classification"]
            == "no change").all()
    s = dyn.classification_summary(res.reset_index()).set_index("classification")
    assert s.loc["cannot tell", "share_pct"] == pytest.approx(100 / 3)
    assert list(s.index) == [c for c in dyn.CLASSES if c in s.index]
    # without 'meaningful' the old classes
    assert "cannot tell" not in set(dyn.wave_change(est, by="school_id")["classification"])
    # a measure with no better direction: a significant change is 'changed'
    assert dyn.wave_change(est, by="school_id", better="none").set_index(
        "school_id").loc["sig", "classification"] == "changed"


# ------------------------------------------------------------------ the demo study

@pytest.fixture(scope="module")
def dyn_tables(demo_run):
    from shnro_research.pipeline import read_table
    study, _ = demo_run
    names = ("change_by_school", "change_summary", "change_municipality", "trend_municipality",
             "programme_effect")
    return study, {n: read_table(study, "dynamics", n) for n in names}


def test_demo_change_tables_classes_and_mdc(dyn_tables):
    study, t = dyn_tables
    ch = t["change_by_school"]
    assert set(ch["classification"].astype(str)) <= set(dyn.CLASSES)
    assert {"mdc", "meaningful_change"} <= set(ch.columns)
    unsure = ch[ch["classification"].astype(str) == "cannot tell"]
    assert len(unsure) and (unsure["mdc"] > unsure["meaningful_change"]).all()
    no = ch[ch["classification"].astype(str) == "no change"]
    assert (no["mdc"] <= no["meaningful_change"]).all() or (no["p_adjusted"] < 0.05).any()
    # the programme schools' fall of students' tension is still detected per school
    prog = json.loads(study.truth.read_text(encoding="utf-8"))["dynamics"]["programme_schools"]
    st = ch[(ch.group == "students") & (ch.variable == "tension") & ch.school_id.isin(prog)]
    assert (st["classification"].astype(str) == "positive").all()
    from shnro_research.pipeline import stage_dir
    assert (stage_dir(study, "report") / "report.html").stat().st_size > 10_000


def test_demo_municipal_change_uses_the_design_of_all_waves_for_every_measure(dyn_tables):
    _, t = dyn_tables
    ch = t["change_municipality"]
    got = set(map(tuple, ch[["group", "measure"]].drop_duplicates().to_numpy()))
    for g in ("students", "parents", "teachers"):
        assert {(g, m) for m in ("scale", "pvq", "rok_term", "rok_instr", "life_success")} <= got
    assert (ch["wave_base"] == ch["wave_base"].min()).all()
    # the schools re-surveyed in every wave make the waves correlated: smaller SE
    sc = ch[ch.measure == "scale"]
    assert (sc["se"] < sc["se_independent"]).mean() > 0.9
    # students' tension fell by the last wave: the trend now says so (issue: p was 0.5)
    r = ch[(ch.group == "students") & (ch.variable == "tension")
           & (ch.wave_compare == ch.wave_compare.max())].iloc[0]
    assert r["est"] < 0 and r["p_adjusted"] < 0.05 and r["classification"] == "positive"
    tr = t["trend_municipality"]
    m = tr.dropna(subset=["change_p_value"]).merge(
        ch, left_on=["group", "measure", "variable", "wave"],
        right_on=["group", "measure", "variable", "wave_compare"])
    assert len(m) == len(ch)
    np.testing.assert_allclose(m["change_from_first"], m["est_y"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(m["change_p_value"], m["p_value"], rtol=1e-12)


def _within_school_changes(study):
    """Every measure, every group, every later wave vs the first: OLS with school fixed
    effects and school-clustered SEs (the within-school change, as in a two-level model)."""
    from shnro_research.models import ols
    from shnro_research.pipeline import read_table
    from shnro_research.dynamics.measures import respondent_measures as _measures_of
    scores = read_table(study, "scoring", "respondent_scores")
    rows = []
    for g in ("students", "parents", "teachers"):
        data, kinds = _measures_of(scores, read_table(study, "responses", f"{g}_clean"),
                                  study.instrument(g), g)
        first = data["wave"].min()
        for measure, variables in kinds.items():
            for v in variables:
                d = data.dropna(subset=[v]).rename(columns={v: "_y"})
                if d["_y"].nunique() < 2:
                    continue
                tab = ols(d, f"_y ~ C(wave, Treatment({first})) + C(school_id)", cov="CR1",
                          school="school_id").tidy()
                for _, r in tab[tab.term.str.startswith("C(wave")].iterrows():
                    w = int(r.term.split("[T.")[1].rstrip("]"))
                    rows.append({"group": g, "variable": v, "wave_compare": w,
                                 "model_est": r.est, "model_p": r.p_value})
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_demo_no_trend_and_model_disagree_in_sign_when_both_significant(dyn_tables):
    from shnro_research.pipeline import read_table
    study, t = dyn_tables
    ch = t["change_municipality"]
    m = ch.merge(_within_school_changes(study), on=["group", "variable", "wave_compare"])
    assert len(m) == len(ch)
    both = m[(m["p_value"] < 0.05) & (m["model_p"] < 0.05)]
    clash = both[np.sign(both["est"]) != np.sign(both["model_est"])]
    assert clash.empty, clash[["group", "variable", "wave_compare", "est", "model_est"]]
    assert len(both) >= 4            # the planted falls of tension, rises of motivation
    # and the two-level models of the models stage (students' tension and motivation)
    fx = read_table(study, "models", "survey_models_fixed")
    for _, r in fx[fx.term.str.startswith("C(wave)[T.")].iterrows():
        w = int(r.term.split("[T.")[1].rstrip("]"))
        c = ch[(ch.group == "students") & (ch.variable == r.outcome) & (ch.wave_compare == w)]
        assert len(c) == 1
        c = c.iloc[0]
        assert not (r.p_value < 0.05 and c.p_value < 0.05 and np.sign(r.est) != np.sign(c.est))
    # the trend table carries the same tests
    tr = t["trend_municipality"].dropna(subset=["change_p_value"])
    assert (np.sign(tr["change_from_first"]) == np.sign(
        (tr["change_ci_low"] + tr["change_ci_high"]) / 2)).all()


def test_demo_programme_did_finds_the_planted_changes(dyn_tables):
    study, t = dyn_tables
    truth = json.loads(study.truth.read_text(encoding="utf-8"))["dynamics"]
    exp = truth["expected_change_first_to_last"]["students"]
    did = t["programme_effect"].set_index("variable")
    assert (did["n_programme_schools"] == 4).all() and (did["cov"] == "CR2").all()
    # other schools: true change 0, so the DiD's truth is the programme schools' change;
    # tension is the 0-100 index (code points x 25)
    for v, scale in (("anxiety", 1.0), ("motivation", 1.0), ("tension", 25.0)):
        true = scale * np.mean(list(exp[v].values()))
        r = did.loc[v]
        assert r["ci_low"] <= true <= r["ci_high"], (v, true, r["ci_low"], r["ci_high"])
        assert r["p_value"] < 0.05 and np.sign(r["est"]) == np.sign(true)
    assert did.loc["anxiety", "ci_high"] < 0      # the planted anxiety reduction is found
