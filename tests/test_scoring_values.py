"""PVQ-21 on the real GSS 2012 file and Rokeach rankings, against independent R computations
(tests/reference/scoring_pvq.R, scoring_survey.R)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research._checks import DataError, ParameterError
from shnro_research.errors import IpsativeWarning
from shnro_research.scoring import (PVQ21_ESS_ITEMS, PVQ21_GSS_TO_ESS, PVQ21_HIGHER_ORDER,
                                    PVQ21_TEN_VALUES, check_rankings, hierarchy_correlation,
                                    kendall_w, rank_summary, score_pvq)

REF = Path(__file__).parent / "reference"
GSS = pd.read_csv(REF / "scoring_pvq" / "gss12_values_codes.csv")
PVQ = json.loads((REF / "scoring_pvq.json").read_text())
SURV = pd.read_csv(REF / "scoring_survey" / "data.csv")
SEXP = json.loads((REF / "scoring_survey.json").read_text())
RANKS = [f"r{j}" for j in range(1, 19)]


def test_keys_match_ess_files():
    k10 = pd.read_csv(REF / "scoring_pvq" / "ess_pvq21_keys_ten_values.csv")
    k4 = pd.read_csv(REF / "scoring_pvq" / "ess_pvq21_keys_four_higher_order.csv")
    assert {v: sorted(g.item) for v, g in k10.groupby("value")} == \
        {v: sorted(i) for v, i in PVQ21_TEN_VALUES.items()}
    assert {v: sorted(g.item) for v, g in k4.groupby("higher_order")} == \
        {v: sorted(i) for v, i in PVQ21_HIGHER_ORDER.items()}
    assert list(GSS.columns) == list(PVQ21_GSS_TO_ESS)
    assert sorted(PVQ21_ESS_ITEMS) == sorted(k10.item)


@pytest.mark.parametrize("which", ["ten", "four"])
def test_pvq_scores_as_r(which):
    keys = PVQ21_TEN_VALUES if which == "ten" else PVQ21_HIGHER_ORDER
    s = score_pvq(GSS, keys, rename=PVQ21_GSS_TO_ESS, mrat_items=PVQ21_ESS_ITEMS)
    assert len(s) == PVQ["n"]
    assert_allclose(s["mrat"].iloc[:20], PVQ["mrat_first_20"], rtol=1e-6)
    assert_allclose([s["mrat"].mean(), s["mrat"].std()], [PVQ["mrat_mean"], PVQ["mrat_sd"]], rtol=1e-6)
    for v, e in PVQ[which].items():
        assert_allclose(s[v].iloc[:20], e["first_20"], rtol=1e-6)
        assert_allclose([s[v].mean(), s[v].std()], [e["mean"], e["sd"]], rtol=1e-6)
        c = s[f"{v}_centred"]
        assert_allclose(c.iloc[:20], e["centred_first_20"], rtol=1e-6, atol=1e-12)
        assert_allclose([c.mean(), c.std()], [e["centred_mean"], e["centred_sd"]], rtol=1e-6)
        assert_allclose(np.corrcoef(c, s["mrat"])[0, 1], e["centred_cor_mrat"], rtol=1e-6)


def test_pvq_reverse_and_no_centre():
    ess_raw = (7 - GSS).rename(columns=PVQ21_GSS_TO_ESS)   # ESS coding 1 = very much like me
    a = score_pvq(ess_raw, reverse=True)
    b = score_pvq(GSS, rename=PVQ21_GSS_TO_ESS)
    pd.testing.assert_frame_equal(a, b)
    raw_only = score_pvq(GSS, rename=PVQ21_GSS_TO_ESS, centre=False)
    assert "mrat" not in raw_only and "Security_centred" not in raw_only
    with pytest.raises(ParameterError, match="plain item names"):
        score_pvq(ess_raw, {"x": ["-ipcrtiv", "imprich"]})
    with pytest.raises(DataError, match="ipcrtiv"):
        score_pvq(GSS)     # GSS names without rename


def test_rankings_problems():
    p = check_rankings(SURV, RANKS)
    assert p["row"].nunique() == SEXP["rokeach_n_invalid"] == 36
    assert set(p["problem"]) == {"tie", "gap", "incomplete", "out_of_range", "not_integer"}
    bad = pd.DataFrame({"a": [1, 1, 1, 2], "b": [2, 1, 3, 1.5], "c": [3, 3, 2, np.nan]})
    pb = check_rankings(bad, ["a", "b", "c"])
    assert list(pb["row"]) == [1, 1, 3, 3]      # row 2 (1, 3, 2) is a valid ranking
    assert "rank 1 given to ['a', 'b']" in pb["detail"].iloc[0]
    assert "[2]" in pb["detail"].iloc[1]
    assert set(pb[pb.row == 3].problem) == {"incomplete", "not_integer"}
    assert check_rankings(bad.iloc[[0]], ["a", "b", "c"]).empty


def test_rank_summary_as_r():
    with pytest.warns(IpsativeWarning, match="ipsative"):
        s = rank_summary(SURV, RANKS, by="group", top=3)
    for g, e in SEXP["rokeach"].items():
        part = s[s.group == g].set_index("category").loc[RANKS]
        assert (part["n"] == e["n"]).all()
        assert_allclose(part["median_rank"], e["median_rank"], rtol=1e-6)
        assert_allclose(part["mean_rank"], e["mean_rank"], rtol=1e-6)
        assert_allclose(part["share_top"], e["share_top3"], rtol=1e-6)
        assert sorted(part["position"]) == list(range(1, 19))
    assert s.groupby("group").n_excluded.first().sum() == 36


def test_weighted_rank_summary_equals_replication():
    d = SURV[SURV.group == "teacher"].iloc[:40].copy()
    d["w2"] = np.where(np.arange(len(d)) % 2 == 0, 2.0, 1.0)
    rep = pd.concat([d, d[d.w2 == 2.0]])
    a = rank_summary(d, RANKS, weight="w2", warn=False)
    b = rank_summary(rep, RANKS, warn=False)
    assert_allclose(a[["median_rank", "mean_rank", "share_top"]], b[["median_rank", "mean_rank", "share_top"]])


def test_kendall_w_as_friedman():
    with pytest.warns(IpsativeWarning, match="ipsative"):
        w = kendall_w(SURV, RANKS, by="group")
    for g, e in SEXP["rokeach"].items():
        row = w[w.group == g].iloc[0]
        assert row.n == e["n"] and row.df == 17
        assert_allclose([row.est, row.statistic, row.p_value], [e["kendall_w"], e["chisq"], e["p_value"]],
                        rtol=1e-6)
    wt = kendall_w(SURV, RANKS, require_permutation=False, warn=False).iloc[0]
    e = SEXP["kendall_w_ties_all"]
    assert wt.n == e["n"]
    assert_allclose([wt.est, wt.statistic, wt.p_value], [e["w"], e["chisq"], e["p_value"]], rtol=1e-6)


def test_hierarchy_correlation_as_r():
    h = hierarchy_correlation(SURV, RANKS, "group", warn=False)
    h = h.set_index(["group_a", "group_b", "method"])["est"]
    e = SEXP["hierarchy"]
    assert_allclose(h.loc[("parent", "student", "spearman")], e["spearman_parent_student"], rtol=1e-6)
    assert_allclose(h.loc[("parent", "student", "kendall")], e["kendall_parent_student"], rtol=1e-6)
    assert_allclose(h.loc[("student", "teacher", "spearman")], e["spearman_student_teacher"], rtol=1e-6)
    assert_allclose(h.loc[("student", "teacher", "kendall")], e["kendall_student_teacher"], rtol=1e-6)
    hb = hierarchy_correlation(SURV, RANKS, "group", by="school", warn=False)
    assert hb.school.nunique() == 6 and len(hb) == 6 * 3 * 2


def test_rankings_bad_input():
    with pytest.raises(DataError, match="r99"):
        rank_summary(SURV, RANKS + ["r99"], warn=False)
    with pytest.raises(ParameterError, match="top"):
        rank_summary(SURV, RANKS, top=0, warn=False)
    with pytest.raises(ParameterError, match=">= 2"):
        kendall_w(SURV, ["r1"], warn=False)
    with pytest.raises(ParameterError, match="more than once"):
        check_rankings(SURV, ["r1", "r1"])
