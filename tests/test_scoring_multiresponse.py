"""Multiple-response sets and chi-square tests against R (scoring_survey.R: chisq.test)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.scoring import chi_square_test, crosstab, multiple_response, multiple_response_test

REF = Path(__file__).parent / "reference"
D = pd.read_csv(REF / "scoring_survey" / "data.csv")
E = json.loads((REF / "scoring_survey.json").read_text())
ITEMS = [f"success_{j}" for j in range(1, 7)]


def test_percentages_as_r():
    m = multiple_response(D, ITEMS, by="group")
    mw = multiple_response(D, ITEMS, by="group", weight="w")
    for g, e in E["mr"].items():
        part = m[m.group == g].set_index("option").loc[ITEMS]
        assert (part.n == e["n"]).all()
        # R gives percents; the table holds proportions (0-1)
        assert_allclose(100 * part.est, e["pct_respondents"], rtol=1e-6)
        assert_allclose(100 * part.share_responses, e["pct_responses"], rtol=1e-6)
        assert_allclose(part.share_responses.sum(), 1.0)
        assert (part.est <= 1).all() and (part.se < 1).all()
        pw = mw[mw.group == g].set_index("option").loc[ITEMS]
        assert_allclose(100 * pw.est, e["wpct_respondents"], rtol=1e-6)
        assert_allclose(100 * pw.share_responses, e["wpct_responses"], rtol=1e-6)


def test_base_selected():
    a = multiple_response(D, ITEMS, base="answered")
    s = multiple_response(D, ITEMS, base="selected")
    chose_any = (D[ITEMS] == 1).any(axis=1).sum()
    assert (s.n == chose_any).all() and (a.n > s.n).all()
    assert_allclose(s.est * s.n, a.est * a.n)


def test_option_tests_as_r():
    t = multiple_response_test(D, ITEMS, "group").set_index("option")
    for e in E["mr_tests"]:
        row = t.loc[e["option"]]
        assert_allclose([row.statistic, row.df, row.p_value, row.cramers_v],
                        [e["statistic"], e["df"], e["p_value"], e["cramers_v"]], rtol=1e-6)
    assert "not independent" in t.loc["(responses)", "note"]


def test_chi_square_as_r():
    c = chi_square_test(D, "q_single", "group").iloc[0]
    e = E["chisq_single"]
    assert c.n == e["n"]
    assert_allclose([c.statistic, c.df, c.p_value, c.cramers_v],
                    [e["statistic"], e["df"], e["p_value"], e["cramers_v"]], rtol=1e-6)
    d2 = D.assign(low=np.where(D.q_single.isna(), np.nan, D.q_single <= 2),
                  teacher=D.group == "teacher")
    c2 = chi_square_test(d2, "low", "teacher", correct=True).iloc[0]
    e2 = E["chisq_2x2_yates"]
    assert_allclose([c2.statistic, c2.p_value], [e2["statistic"], e2["p_value"]], rtol=1e-6)
    # Cramér's V by formula on a known table
    t = pd.DataFrame({"a": [1] * 30 + [2] * 10 + [1] * 10 + [2] * 30,
                      "b": ["x"] * 40 + ["y"] * 40})
    ct = chi_square_test(t, "a", "b").iloc[0]
    assert_allclose(ct.statistic, 20.0)
    assert_allclose(ct.cramers_v, np.sqrt(20.0 / 80))


def test_crosstab_percent():
    x = crosstab(D, "q_single", "group", share_of="col")
    assert_allclose(x.groupby("group").share.sum(), 1.0)
    assert x["n"].sum() == D.q_single.notna().sum()


def test_bad_input():
    with pytest.raises(DataError, match="success_9"):
        multiple_response(D, ITEMS + ["success_9"])
    with pytest.raises(ParameterError, match="base"):
        multiple_response(D, ITEMS, base="all")
    with pytest.raises(ParameterError, match="^crosstab: 'share_of' must be one of"):
        crosstab(D, "q_single", "group", share_of="cell")
    with pytest.raises(DataError, match="nope"):
        chi_square_test(D, "q_single", "nope")
