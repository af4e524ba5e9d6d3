"""Social tension index, summaries, balance indices and group comparisons against R
(tests/reference/scoring_survey.R: base R, survey 4.1-1)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.scoring import (balance_index, compare_groups, tension_index, tension_levels,
                                    tension_summary)

REF = Path(__file__).parent / "reference"
D = pd.read_csv(REF / "scoring_survey" / "data.csv")
E = json.loads((REF / "scoring_survey.json").read_text())
ITEMS = ["t1", "t2", "t3", "-t4", "-t5"]


@pytest.fixture(scope="module")
def data():
    t = tension_index(D, ITEMS, item_min=1, item_max=5, min_valid=3)
    return D.join(t)


def test_index_as_r(data):
    exp = np.array([np.nan if v is None else v for v in E["tension_index"]])
    assert_allclose(data["tension"], exp, rtol=1e-6)
    assert list(data["tension_n_valid"]) == E["tension_n_valid"]
    assert data["tension"].between(0, 100).all() or data["tension"].isna().any()


def test_summary_as_r(data):
    s = tension_summary(data, "tension", by=["school", "group"])
    sw = tension_summary(data, "tension", by=["school", "group"], weight="w")
    for e in E["tension_summary"]:
        sel = (s.school == e["school"]) & (s.group == e["group"])
        row, wrow = s[sel].iloc[0], sw[sel].iloc[0]
        assert row.n == e["n"]
        assert_allclose([row.est, row.se], [e["mean"], e["se"]], rtol=1e-6)
        assert_allclose([wrow.est, wrow.se], [e["wmean"], e["wse"]], rtol=1e-6)
    shares = [c for c in s.columns if c.startswith("share_")]
    assert_allclose(s[shares].sum(axis=1), 1.0)
    assert list(s.columns[:3]) == ["school", "group", "tension_level"]


def test_levels_thresholds():
    lv = tension_levels(pd.Series([0, 24.9, 25, 50, 74.99, 75, 100, np.nan]))
    assert list(lv.astype(object)[:7]) == ["low", "low", "moderate", "high", "high", "critical", "critical"]
    assert pd.isna(lv.iloc[7])
    lv2 = tension_levels([10, 40, 80], thresholds=[33, 66], labels=["calm", "tense", "acute"])
    assert list(lv2.astype(str)) == ["calm", "tense", "acute"]
    with pytest.raises(ParameterError, match="increasing"):
        tension_levels([1], thresholds=[50, 25, 75])
    with pytest.raises(ParameterError, match="labels"):
        tension_levels([1], labels=["a", "b"])


def test_balance_as_r():
    b = balance_index(D, ["t1"], negative=[4, 5], positive=[1, 2], by="group")
    bw = balance_index(D, ["t1"], negative=[4, 5], positive=[1, 2], by="group", weight="w")
    for e in E["balance_t1"]:
        row = b[b.group == e["group"]].iloc[0]
        assert row.n == e["n"]
        assert_allclose([row.negative_pct, row.positive_pct, row.est, row.se],
                        [e["pct_negative"], e["pct_positive"], e["est"], e["se"]], rtol=1e-6)
        wrow = bw[bw.group == e["group"]].iloc[0]
        assert_allclose([wrow.est, wrow.se], [e["west"], e["wse"]], rtol=1e-6)
    # excluding a code ("hard to say") shrinks the base
    bx = balance_index(D, ["t1"], negative=[4, 5], positive=[1, 2], exclude=3)
    assert bx.n.iloc[0] == D.t1.isin([1, 2, 4, 5]).sum()


def test_compare_groups_as_r(data):
    c = compare_groups(data, "tension", "group", by="school")
    row = c[(c.school == 1) & (c.group_a == "student") & (c.group_b == "teacher")].iloc[0]
    e = E["compare_school1"]
    assert_allclose([row.est, row.statistic, row.df, row.p_value], [e["est"], e["statistic"], e["df"],
                    e["p_value"]], rtol=1e-6)
    assert_allclose([row.ci_low, row.ci_high], e["ci"], rtol=1e-6)
    assert (c.p_adjusted >= c.p_value).all() and set(c.adjust_method) == {"holm"}
    assert len(c) == 6 * 3
    # Holm within each school, exactly as R p.adjust
    from shnro_research._stats import p_adjust
    one = c[c.school == 1]
    assert_allclose(one.p_adjusted, p_adjust(one.p_value.to_numpy(), "holm"), rtol=1e-12)
    bh = compare_groups(data, "tension", "group", by="school", adjust="BH")
    assert set(bh.adjust_method) == {"BH"} and (bh.p_adjusted <= c.p_adjusted + 1e-15).all()
    assert list(c.columns[-3:]) == ["p_value", "p_adjusted", "adjust_method"]
    with pytest.raises(ParameterError, match="^compare_groups: 'adjust' must be one of"):
        compare_groups(data, "tension", "group", by="school", adjust="tukey")
    with pytest.raises(ParameterError, match="^tension_summary: 'level' must be"):
        tension_summary(data, "tension", by="school", level=95)


def test_bad_input(data):
    with pytest.raises(DataError, match="t9"):
        tension_index(D, ["t1", "t9"], item_min=1, item_max=5)
    with pytest.raises(ParameterError, match="min_valid"):
        tension_index(D, ITEMS, item_min=1, item_max=5, min_valid=6)
    with pytest.raises(DataError, match="outside the declared range"):
        tension_index(D, ITEMS, item_min=1, item_max=4)
    with pytest.raises(ParameterError, match="both"):
        balance_index(D, ["t1"], negative=[3, 4], positive=[1, 3])
    with pytest.raises(DataError, match="school_id"):
        tension_summary(data, "tension", by=["school_id"])
    with pytest.raises(DataError, match="weight column 'wneg'"):
        tension_summary(data.assign(wneg=-1.0), "tension", by="group", weight="wneg")
