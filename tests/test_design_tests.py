"""shnro_research.design.tests (svychisq, svyttest, svy_means_test) against R survey 4.1-1
(tests/reference/design_tests.R -> design_tests.json)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research import design as sd
from shnro_research.errors import DataError, ParameterError

REF = Path(__file__).parent / "reference"
RTOL = 1e-6
R = json.loads((REF / "design_tests.json").read_text())


def _prep(df):
    df = df.copy()
    df["awards_na"] = df["awards"].astype(object)
    df.loc[df.index[::7], "awards_na"] = np.nan       # as design_tests.R: every 7th row missing
    return df


def _designs():
    st = _prep(pd.read_csv(REF / "survey_apistrat" / "data.csv"))
    cl = _prep(pd.read_csv(REF / "survey_apiclus1" / "data.csv"))
    sy = pd.read_csv(REF / "design_synth2" / "data.csv")
    sy["h"] = pd.Categorical(np.select([sy["y"] <= 55, sy["y"] <= 65], ["low", "mid"], "high"),
                             categories=["low", "mid", "high"])
    rw = pd.read_csv(REF / "design_apiclus1_jk1_repweights.csv").to_numpy()
    return {
        "apistrat": sd.survey_design(st, strata="stype", weight="pw", fpc="fpc"),
        "apiclus1": sd.survey_design(cl, ids="dnum", weight="pw", fpc="fpc"),
        "apiclus1_jk1": sd.replicate_design(cl, repweights=rw, weight="pw", type="JK1",
                                            scale=R["apiclus1_jk1"]["scale"]),
        "synth2": sd.survey_design(sy, ids=["school", "class"], strata="stratum",
                                   fpc=["N1", "N2"], nest=True, lonely_psu="certainty"),
    }


DESIGNS = _designs()
CHISQ = [("apistrat", "stype_awards", "stype", "awards"),
         ("apistrat", "sch_wide_both", "sch.wide", "both"),
         ("apistrat", "stype_awards_na", "stype", "awards_na"),
         ("apiclus1", "stype_awards", "stype", "awards"),
         ("apiclus1", "sch_wide_both", "sch.wide", "both"),
         ("apiclus1", "stype_awards_na", "stype", "awards_na"),
         ("apiclus1_jk1", "stype_awards", "stype", "awards"),
         ("synth2", "g_h", "g", "h")]
TTEST = [("apistrat", "ttest_api00_awards", "api00", "awards"),
         ("apistrat", "ttest_api00_awards_na", "api00", "awards_na"),
         ("apiclus1", "ttest_api00_awards", "api00", "awards"),
         ("apiclus1", "ttest_api00_awards_na", "api00", "awards_na"),
         ("apiclus1_jk1", "ttest_api00_awards", "api00", "awards"),
         ("synth2", "ttest_y_g", "y", "g")]
WALD = [("apistrat", "wald_api00_stype", "api00", "stype"),
        ("apiclus1", "wald_api00_stype", "api00", "stype"),
        ("synth2", "wald_y_h", "y", "h")]


@pytest.mark.parametrize("case,key,row,col", CHISQ)
def test_svychisq_agrees_with_r(case, key, row, col):
    e = R[case][key]
    res = sd.svychisq(DESIGNS[case], row, col).set_index("test")
    f, c = res.loc["F"], res.loc["Chisq"]
    assert_allclose([f.statistic, f.df, f.df_denominator, f.p_value],
                    [e["F"]["statistic"], e["F"]["ndf"], e["F"]["ddf"], e["F"]["p"]], rtol=RTOL)
    # R prints the unadjusted Pearson X^2 for "Chisq"; its p-value is of X^2 / mean(delta)
    assert_allclose([c.pearson, c.df, c.p_value],
                    [e["Chisq"]["statistic"], e["Chisq"]["df"], e["Chisq"]["p"]], rtol=RTOL)
    assert_allclose(c.statistic, c.pearson / c.deff_mean, rtol=1e-12)


@pytest.mark.parametrize("case,key,y,g", TTEST)
def test_svyttest_agrees_with_r(case, key, y, g):
    e = R[case][key]
    t = sd.svyttest(DESIGNS[case], y, g).iloc[0]
    assert_allclose([t.est, t.se, t.statistic, t.df, t.p_value, t.ci_low, t.ci_high],
                    [e["est"], e["se"], e["statistic"], e["df"], e["p"], e["ci_low"],
                     e["ci_high"]], rtol=RTOL)


@pytest.mark.parametrize("case,key,y,g", WALD)
def test_wald_means_test_agrees_with_r(case, key, y, g):
    e = R[case][key]
    t = sd.svy_means_test(DESIGNS[case], y, g).iloc[0]
    assert_allclose([t.statistic, t.df, t.df_denominator, t.p_value],
                    [e["F"], e["df"], e["ddf"], e["p"]], rtol=RTOL)


def test_wald_two_levels_is_t_squared():
    d = DESIGNS["apiclus1"]
    t = sd.svyttest(d, "api00", "awards").iloc[0]
    w = sd.svy_means_test(d, "api00", "awards").iloc[0]
    assert_allclose(w.statistic, t.statistic ** 2, rtol=1e-10)
    assert_allclose(w.p_value, t.p_value, rtol=1e-10)


def test_one_statistic_and_bad_parameters():
    d = DESIGNS["apistrat"]
    only_f = sd.svychisq(d, "stype", "awards", statistic="F")
    assert list(only_f["test"]) == ["F"]
    with pytest.raises(ParameterError, match="statistic"):
        sd.svychisq(d, "stype", "awards", statistic="Wald")
    with pytest.raises(ParameterError, match="svychisq"):
        sd.svychisq(d, "stype", "stype")
    with pytest.raises(DataError, match="two observed levels"):
        sd.svyttest(d, "api00", "stype")
