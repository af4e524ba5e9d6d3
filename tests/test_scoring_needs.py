"""Needs: importance vs realisation gap, paired t test against R t.test (scoring_survey.R)."""
import json
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.scoring import needs_gap

REF = Path(__file__).parent / "reference"
D = pd.read_csv(REF / "scoring_survey" / "data.csv")
E = json.loads((REF / "scoring_survey.json").read_text())
PAIRS = {n: (f"imp_{n}", f"real_{n}") for n in ("safety", "respect", "growth")}


def test_gap_as_r():
    overall = needs_gap(D, PAIRS, item_min=1, item_max=5)
    by = needs_gap(D, PAIRS, by="group")
    for e in E["needs"]:
        if e["group"] == "all":
            row = overall[overall.need == e["need"]].iloc[0]
        else:
            row = by[(by.need == e["need"]) & (by.group == e["group"])].iloc[0]
        assert row.n == e["n"] and row.df == e["n"] - 1
        assert_allclose([row.mean_importance, row.mean_realisation, row.est, row.se, row.statistic,
                         row.p_value], [e["mean_importance"], e["mean_realisation"], e["est"], e["se"],
                                        e["statistic"], e["p_value"]], rtol=1e-6)
        assert_allclose([row.ci_low, row.ci_high], e["ci"], rtol=1e-6)


def test_weighted_gap_uses_weights():
    a = needs_gap(D, PAIRS, weight="w")
    b = needs_gap(D, PAIRS)
    assert (a.n == b.n).all() and not (a.est == b.est).all()


def test_bad_input():
    with pytest.raises(ParameterError, match="pairs"):
        needs_gap(D, {"safety": "imp_safety"})
    with pytest.raises(DataError, match="real_x"):
        needs_gap(D, {"x": ("imp_safety", "real_x")})
    with pytest.raises(DataError, match="outside the declared range"):
        needs_gap(D, PAIRS, item_min=1, item_max=4)
