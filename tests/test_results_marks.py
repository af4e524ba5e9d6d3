"""The results form with marks and primary scores (issue 11, part 4b): the indicators derived by
shnro_research.results from the counts, checked against hand computations."""
import numpy as np
import pandas as pd
import pytest

from shnro_research.errors import DataError
from shnro_research.results import certificates, derive_results, school_results

NAN = np.nan


def _form():
    """Four rows typed by hand (expected values worked out in the tests' comments)."""
    return pd.DataFrame({
        "school_id": ["S1", "S1", "S2", "S3"], "year": [2024] * 4,
        "procedure": [1, 3, 2, 1], "subject": [2, 1, 1, 1], "grade": [5, 11, 9, 6],
        "n_participants": [20, 10, 30, 0],
        "mark2_n": [2, NAN, NAN, 0], "mark3_n": [8, NAN, NAN, 0], "mark4_n": [7, NAN, NAN, 0],
        "mark5_n": [3, NAN, NAN, 0],
        "ege_below_min_n": [NAN, 1, NAN, NAN], "ege_min_60_n": [NAN, 4, NAN, NAN],
        "ege_61_80_n": [NAN, 3, NAN, NAN], "ege_81_100_n": [NAN, 2, NAN, NAN],
        "mean_primary": [11.0, 20.0, NAN, NAN], "max_primary": [20, 50, NAN, NAN],
        "mean_test_score": [NAN, 62.5, NAN, NAN],
        # row 3 (S2, ОГЭ) is an older row: only the percents are known
        "mean_score": [NAN, NAN, 48.0, NAN], "below_min_pct": [10.0, NAN, 20.0, NAN],
        "high_pct": [NAN, NAN, 5.0, NAN]})


def test_marks_row_by_hand():
    d = derive_results(_form()).iloc[0]
    # marks 2, 3, 4, 5 given by 2, 8, 7, 3 of 20 pupils
    assert d["mean_mark"] == pytest.approx((2 * 2 + 3 * 8 + 4 * 7 + 5 * 3) / 20, abs=1e-12)  # 3.55
    assert d["pass_share"] == pytest.approx(18 / 20, abs=1e-12)        # 1 - share of 2 = 0.90
    assert d["quality_share"] == pytest.approx((7 + 3) / 20, abs=1e-12)  # 4 and 5: 0.50
    assert d["below_min_share"] == pytest.approx(2 / 20, abs=1e-12)    # 0.10
    assert d["high_share"] == pytest.approx(3 / 20, abs=1e-12)         # 0.15
    assert d["mean_primary_pct"] == pytest.approx(100 * 11 / 20, abs=1e-12)  # 55 %
    # the percents of the form: the given 10.0 agrees; the empty ones are filled
    assert d["below_min_pct"] == pytest.approx(10.0, abs=1e-12)
    assert d["high_pct"] == pytest.approx(15.0, abs=1e-12)
    assert d["mean_score"] == pytest.approx(55.0, abs=1e-12)


def test_ege_row_by_hand():
    d = derive_results(_form()).iloc[1]
    # bands: 1 below the minimum, 4 min-60, 3 61-80, 2 81-100 of 10
    assert d["below_min_share"] == pytest.approx(0.1, abs=1e-12)
    assert d["pass_share"] == pytest.approx(0.9, abs=1e-12)
    assert d["high_share"] == pytest.approx(0.2, abs=1e-12)
    assert np.isnan(d["quality_share"]) and np.isnan(d["mean_mark"])   # ЕГЭ has no marks
    assert d["mean_primary_pct"] == pytest.approx(40.0, abs=1e-12)     # 20 of 50
    assert d["mean_score"] == pytest.approx(62.5, abs=1e-12)           # the test score, not 40


def test_percent_only_row_and_zero_participants():
    d = derive_results(_form())
    old = d.iloc[2]
    assert old["below_min_share"] == pytest.approx(0.20, abs=1e-12)    # from below_min_pct
    assert old["pass_share"] == pytest.approx(0.80, abs=1e-12)
    assert old["high_share"] == pytest.approx(0.05, abs=1e-12)
    assert np.isnan(old["quality_share"]) and old["mean_score"] == 48.0
    zero = d.iloc[3]                                                   # 0 participants
    for c in ("mean_mark", "pass_share", "quality_share", "below_min_share", "high_share",
              "below_min_pct"):
        assert np.isnan(zero[c]), c


def test_counts_not_adding_up_name_file_row_column_value():
    f = _form()
    f.loc[0, "mark3_n"] = 7                                            # 2 + 7 + 7 + 3 = 19
    with pytest.raises(DataError) as e:
        derive_results(f, file="results.csv")
    msg = str(e.value)
    for part in ("results.csv", "row 1", "school_id=S1", "mark2_n+mark3_n+mark4_n+mark5_n",
                 "value 19", "n_participants = 20"):
        assert part in msg, (part, msg)


def test_other_bad_rows():
    f = _form()
    f.loc[0, "mark4_n"] = NAN                                          # three of four counts
    with pytest.raises(DataError, match=r"row 1 .*'mark4_n': value empty; expected all four"):
        derive_results(f)
    f = _form()
    f.loc[1, ["mark2_n", "mark3_n", "mark4_n", "mark5_n"]] = [1, 4, 3, 2]  # ЕГЭ bands and marks
    with pytest.raises(DataError, match="row 2 .*both given"):
        derive_results(f)
    f = _form()
    f.loc[0, "mean_primary"] = 21                                      # above the maximum 20
    with pytest.raises(DataError, match="'mean_primary': value 21; expected at most .* 20"):
        derive_results(f)
    f = _form()
    f.loc[0, "below_min_pct"] = 12.0                                   # counts say 10 %
    with pytest.raises(DataError, match="'below_min_pct': value 12; expected 10.00"):
        derive_results(f)
    f = _form()
    f.loc[0, "mark5_n"] = 2.5
    with pytest.raises(DataError, match="'mark5_n': value 2.5; expected a whole number"):
        derive_results(f)


def test_n_participants_from_counts_when_empty():
    f = _form()
    f.loc[0, "n_participants"] = NAN
    assert derive_results(f).loc[0, "n_participants"] == 20


def test_school_year_pooled_by_hand():
    f = pd.DataFrame({
        "school_id": ["S1", "S1"], "year": [2024, 2024], "procedure": [1, 1],
        "subject": [2, 1], "grade": [5, 5], "n_participants": [20, 10],
        "mark2_n": [2, 0], "mark3_n": [8, 5], "mark4_n": [7, 5], "mark5_n": [3, 0],
        "mean_primary": [11.0, 30.0], "max_primary": [20, 45]})
    sr = school_results(derive_results(f)).iloc[0]
    # pass: (18 + 10) / 30; quality: (10 + 5) / 30; mean mark: (71 + 35) / 30
    assert sr["pass_share"] == pytest.approx(28 / 30, abs=1e-12)
    assert sr["quality_share"] == pytest.approx(15 / 30, abs=1e-12)
    assert sr["mean_mark"] == pytest.approx(106 / 30, abs=1e-12)
    # percents: unweighted means of the rows' percents, (10 + 0) / 2 and (15 + 0) / 2
    assert sr["below_min_pct"] == pytest.approx(5.0, abs=1e-12)
    assert sr["high_pct"] == pytest.approx(7.5, abs=1e-12)


def test_certificates_by_hand_and_conflicts():
    f = pd.DataFrame({"school_id": ["S1", "S1", "S1"], "year": [2024] * 3,
                      "grade": [9, 9, 11], "graduates_n": [50, NAN, 20],
                      "no_certificate_n": [2, 2, 0]})
    c = certificates(f).set_index("grade")
    assert c.loc[9, "no_certificate_share"] == pytest.approx(2 / 50, abs=1e-12)   # 0.04
    assert c.loc[11, "no_certificate_share"] == 0.0
    f.loc[1, "no_certificate_n"] = 3
    with pytest.raises(DataError, match="row 2 .*'no_certificate_n': value 3; expected the same"):
        certificates(f)
    f.loc[1, "no_certificate_n"] = 60
    f.loc[0, "no_certificate_n"] = 60
    with pytest.raises(DataError, match="value 60; expected at most graduates_n = 50"):
        certificates(f)


def test_demo_results_carry_marks_consistent_with_percents(demo_study):
    r = demo_study.results
    d = derive_results(r)             # raises if a percent disagrees with the counts
    vpr = d[d["procedure"] == 1]
    assert vpr[["mark2_n", "mark3_n", "mark4_n", "mark5_n"]].notna().all().all()
    ege = d[d["procedure"] == 3]
    assert ege["ege_below_min_n"].notna().all() and ege["mark2_n"].isna().all()
    np.testing.assert_allclose(d["below_min_pct"], 100 * d["below_min_share"], rtol=0, atol=0.051)
    # the planted truth's low-result rule uses the same draws as the written percents
    assert 0.3 < d.loc[d["quality_share"].notna(), "quality_share"].mean() < 0.7
    assert (d.loc[vpr.index, "term_mark_mean"].between(2, 5)).all()


@pytest.fixture(scope="module")
def demo_study():
    from shnro_research.demo import generate_demo
    return generate_demo()
