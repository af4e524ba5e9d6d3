"""The objectivity screen of ВПР results (issue 13, part 2): the G-test and binomial tails
against R, the rules on a table typed by hand, and the demo's planted non-objective schools."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_research.errors import DataError
from shnro_research.typology import drop_flagged, g_test, objectivity_screen
from shnro_research.typology.objectivity import _distribution_signs

REF = Path(__file__).parent / "reference" / "objectivity_gtest.json"


def test_g_test_and_binomial_tails_agree_with_r():
    cases = json.loads(REF.read_text(encoding="utf-8"))["cases"]
    o = np.array([c["observed"] for c in cases], float)
    p = np.array([c["share"] for c in cases], float)
    g, df, pv = g_test(o, p)
    np.testing.assert_allclose(g, [c["G"] for c in cases], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(df, [c["df"] for c in cases])
    np.testing.assert_allclose(pv, [c["p_value"] for c in cases], rtol=1e-8, atol=1e-15)
    d = _distribution_signs(o, p, np.ones(len(o), bool), 0.15, 0.01)
    np.testing.assert_allclose(d["p_fives"], [c["p_fives"] for c in cases], rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(d["p_twos"], [c["p_twos"] for c in cases], rtol=1e-8, atol=1e-15)


def _table():
    """Two schools, one ВПР row each (same year, subject, grade) and a small third one.

    Region: 2s 10 %, quality 50 %, 5s 15 % -> shares of 2, 3, 4, 5 = .10, .40, .35, .15.
    A: 40 pupils, marks 0 / 8 / 12 / 20 -> 5s 50 % (35 p.p. above), mean mark 172/40 = 4.30,
       term mark mean 3.60 (gap 0.70), ВПР above the term mark for 20 of 40 = 50 %;
       the other schools' share above the term mark = (B's 4 + C's 1) / 45 = 11.1 %.
    B: 40 pupils, marks 4 / 16 / 14 / 6 = exactly the region's shares (G = 0); 4 of 40 above
       the term mark, the other schools' share = A's 50 %.
    C: 5 pupils (< min_n 10), marks 0 / 1 / 2 / 2: not judged on its own row.
    """
    res = pd.DataFrame({
        "school_id": ["A", "B", "C"], "year": 2024, "procedure": 1, "subject": 2, "grade": 5,
        "n_participants": [40, 40, 5], "mark2_n": [0, 4, 0], "mark3_n": [8, 16, 1],
        "mark4_n": [12, 14, 2], "mark5_n": [20, 6, 2], "term_mark_mean": [3.6, 3.9, 4.0],
        "above_term_n": [20, 4, 1]})
    region = pd.DataFrame({"year": [2024], "procedure": [1], "subject": [2],
                           "below_min_pct": [10.0], "high_pct": [15.0], "quality_pct": [50.0]})
    return res, region


def test_rules_on_a_table_typed_by_hand():
    res, region = _table()
    s = objectivity_screen(res, region).set_index("school_id")
    a, b, c = s.loc["A"], s.loc["B"], s.loc["C"]
    assert a["reference"] == "region"
    assert a["mean_mark"] == pytest.approx(4.30, abs=1e-12)
    assert a["mark_gap"] == pytest.approx(0.70, abs=1e-12)
    assert a["above_term_share"] == pytest.approx(0.50, abs=1e-12)
    assert a["ref_above_term_share"] == pytest.approx(5 / 45, abs=1e-12)
    np.testing.assert_allclose([a["ref_below_min_share"], a["ref_high_share"]], [0.10, 0.15],
                               rtol=0, atol=1e-12)
    assert a["ref_mean_mark"] == pytest.approx(2 * .1 + 3 * .4 + 4 * .35 + 5 * .15, abs=1e-12)
    # G by hand: 2 * (8 ln(8/16) + 12 ln(12/14) + 20 ln(20/6)), df 3
    g = 2 * (8 * np.log(8 / 16) + 12 * np.log(12 / 14) + 20 * np.log(20 / 6))
    assert a["statistic"] == pytest.approx(g, rel=1e-12) and a["df"] == 3
    assert a["sign_term"] and a["sign_distribution"] and a["flagged"]
    assert "50 % of pupils vs 11 %" in a["reasons"] and "5s 50 % vs 15 %" in a["reasons"]
    # no 2s among 40 where the region has 10 %: P = 0.9^40 = 0.0148 > 0.01, not a sign
    assert a["p_missing_twos"] == pytest.approx(0.9 ** 40, rel=1e-10)
    assert "2s" not in a["reasons"].split("school's")[0]
    assert b["statistic"] == pytest.approx(0.0, abs=1e-12) and not b["flagged"]
    assert not b["sign_term"] and not b["sign_distribution"]
    assert not c["judged"] and not c["flagged"] and "not judged" in c["reasons"]
    # the municipality as reference: A against B and C pooled, 4 / 17 / 16 / 8 of 45
    m = objectivity_screen(res, None).set_index("school_id")
    assert m.loc["A", "reference"] == "municipality"
    e = 40 * np.array([4, 17, 16, 8]) / 45
    gm = 2 * (8 * np.log(8 / e[1]) + 12 * np.log(12 / e[2]) + 20 * np.log(20 / e[3]))
    assert m.loc["A", "statistic"] == pytest.approx(gm, rel=1e-12)


def test_require_both_versus_either_and_the_thresholds():
    res, region = _table()
    res.loc[0, ["above_term_n", "term_mark_mean"]] = [4, 4.3]   # A's term marks now agree
    both = objectivity_screen(res, region).set_index("school_id")
    assert not both.loc["A", "sign_term"] and both.loc["A", "sign_distribution"]
    assert not both.loc["A", "flagged"]       # a strong school confirmed by its own marks
    either = objectivity_screen(res, region, require="either").set_index("school_id")
    assert either.loc["A", "flagged"]
    res, region = _table()
    strict = objectivity_screen(res, region, max_above_term=0.6, max_mark_gap=0.8)
    assert not strict.set_index("school_id").loc["A", "sign_term"]


def test_drop_flagged_removes_only_flagged_rows():
    res, region = _table()
    other = res.assign(procedure=2)                            # ОГЭ rows are never screened
    both = pd.concat([res, other], ignore_index=True)
    s = objectivity_screen(both, region)
    assert len(s) == 3
    kept = drop_flagged(both, s)
    assert len(kept) == 5 and not ((kept.school_id == "A") & (kept.procedure == 1)).any()


def test_errors_name_the_row():
    res, region = _table()
    res.loc[1, "n_participants"] = 41
    with pytest.raises(DataError, match="school B, year 2024, subject 2, grade 5.*sum 40; "
                                        "expected n_participants = 41"):
        objectivity_screen(res, region)
    res, region = _table()
    region.loc[0, "quality_pct"] = 95.0                         # 10 + 95 > 100
    with pytest.raises(DataError, match=r"region: row 1 \(year=2024.*expected below_min_pct"):
        objectivity_screen(res, region)
    assert objectivity_screen(res.drop(columns=["mark2_n", "mark3_n", "mark4_n", "mark5_n"]),
                              region).empty


def test_demo_planted_schools_are_flagged():
    from shnro_research.demo import generate_demo
    study = generate_demo()
    planted = set(study.truth["objectivity"]["flagged_schools"])
    assert len(planted) == 2
    s = objectivity_screen(study.results, study.region)
    flagged = set(s.loc[s.flagged, "school_id"])
    assert planted <= flagged
    # false positives: rows of the other schools (0 of 912 with the default seed)
    others = s[~s.school_id.isin(planted)]
    assert others.flagged.sum() <= 2, others[others.flagged]
    assert len(flagged - planted) <= 1
    # most planted rows are flagged on their own or through the school's year
    assert s[s.school_id.isin(planted)].flagged.mean() >= 0.5


def test_models_stage_writes_the_screen(demo_run):
    from shnro_research.pipeline import read_table
    study, _ = demo_run
    truth = json.loads(study.truth.read_text(encoding="utf-8"))
    s = read_table(study, "models", "objectivity_screen")
    assert {"flagged", "reasons", "statistic", "p_value"} <= set(s.columns)
    planted = set(truth["objectivity"]["flagged_schools"])
    assert planted <= set(s.loc[s.flagged, "school_id"])
    assert (s.loc[s.flagged, "reference"] == "region").all()   # the study reads the region table
