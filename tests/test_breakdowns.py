"""shnro_research.design.breakdowns: R agreement (tests/reference/design_tests.json) and the demo
study's breakdown tables."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research import design as sd
from shnro_research.errors import ParameterError

REF = Path(__file__).parent / "reference"
RTOL = 1e-6
R = json.loads((REF / "design_tests.json").read_text())


@pytest.fixture(scope="module")
def dclus1():
    df = pd.read_csv(REF / "survey_apiclus1" / "data.csv")
    return sd.survey_design(df, ids="dnum", weight="pw", fpc="fpc")


def test_means_and_tests_agree_with_r(dclus1):
    m = sd.breakdown_means(dclus1, ["api00"], ["awards", "stype"])
    aw = m[m["by"] == "awards"]
    t = R["apiclus1"]["ttest_api00_awards"]
    assert_allclose(aw[["statistic", "df_denominator", "p_value"]].to_numpy(float),
                    np.tile([t["statistic"], t["df"], t["p"]], (2, 1)), rtol=RTOL)
    st = m[m["by"] == "stype"]
    w = R["apiclus1"]["wald_api00_stype"]
    assert_allclose(st[["statistic", "df_denominator", "p_value"]].to_numpy(float),
                    np.tile([w["F"], w["ddf"], w["p"]], (3, 1)), rtol=RTOL)
    assert list(st["by_category"]) == ["E", "H", "M"]
    p = np.array([t["p"], w["p"]])
    assert_allclose(sorted(m.drop_duplicates("by")["p_adjusted"]),
                    sorted(np.minimum(1, np.maximum.accumulate(np.sort(p) * [2, 1]))), rtol=1e-12)
    assert (m["adjust_method"] == "holm").all() and m["method"].str.contains("svyttest").all()


def test_pairwise_contrasts_agree_with_r(dclus1):
    c = sd.breakdown_contrasts(dclus1, "api00", "stype", adjust="BH").set_index("contrast")
    assert list(c.index) == ["H - E", "M - E", "M - H"]
    for key, con in (("ttest_api00_stype_EH", "H - E"), ("ttest_api00_stype_HM", "M - H")):
        e = R["apiclus1"][key]
        r = c.loc[con]
        assert_allclose([r.est, r.se, r.statistic, r.df, r.p_value, r.ci_low, r.ci_high],
                        [e["est"], e["se"], e["statistic"], e["df"], e["p"], e["ci_low"],
                         e["ci_high"]], rtol=RTOL)
    assert (c["adjust_method"] == "BH").all()


def test_crosstab_proportions_and_rao_scott_agree_with_r(dclus1):
    x = sd.breakdown_crosstabs(dclus1, "awards", "stype")
    e = R["apiclus1"]["awards_by_stype"]
    for cat in ("No", "Yes"):
        r = x[x["category"] == cat].set_index("by_category").loc[e["stype"]]
        assert_allclose(r["est"], e[cat], rtol=RTOL)
        assert_allclose(r["se"], e[f"se_{cat}"], rtol=RTOL)
    assert_allclose(x.groupby("by_category")["est"].sum(), 1.0, rtol=1e-12)
    f = R["apiclus1"]["stype_awards"]          # svychisq(~stype + awards): same test transposed
    assert_allclose(x[["statistic", "f_df", "df_denominator", "p_value"]].to_numpy(float),
                    np.tile([f["F"]["statistic"], f["F"]["ndf"], f["F"]["ddf"], f["F"]["p"]],
                            (len(x), 1)), rtol=RTOL)
    assert_allclose(x["chisq_p_value"], f["Chisq"]["p"], rtol=RTOL)


def test_bad_parameters(dclus1):
    with pytest.raises(ParameterError, match="adjust"):
        sd.breakdown_means(dclus1, "api00", "stype", adjust="tukey")
    with pytest.raises(ParameterError, match="by"):
        sd.breakdown_crosstabs(dclus1, "awards", [])


# ------------------------------------------------------------------ the demo study's tables
@pytest.fixture(scope="module")
def demo_tables(demo_run):
    study, _ = demo_run
    return {n: pd.read_parquet(next(study.output.rglob(f"{n}.parquet")))
            for n in ("breakdowns_means", "breakdowns_contrasts", "breakdowns_crosstabs")}


def test_demo_breakdown_tables(demo_tables):
    m, c, x = (demo_tables[n] for n in ("breakdowns_means", "breakdowns_contrasts",
                                        "breakdowns_crosstabs"))
    for t in (m, c, x):
        assert len(t) and t["method"].str.contains("design-based").all()
        assert t["method"].str.contains("adjusted").all() and t["adjust_method"].notna().all()
        ok = t["p_value"].notna()
        assert (t.loc[ok, "p_adjusted"] >= t.loc[ok, "p_value"] - 1e-15).all()
    st = m[m["group"] == "students"]
    assert {"sex", "grade", "plans", "ses_group"} <= set(st["by"])
    assert {"tension", "motivation", "anxiety"} <= set(st["variable"])
    assert "family_income" in set(m.loc[m["group"] == "parents", "by"])
    assert set(st.loc[st["by"] == "ses_group", "by_category"]) == {"low", "middle", "high"}
    sex = st[st["by"] == "sex"]
    assert sex["test"].str.startswith("svyttest").all()
    assert set(sex["by_category_label"]) == {"Мужской", "Женский"}
    assert st.loc[st["by"] == "grade", "test"].str.startswith("Wald F").all()
    # proportions are 0-1 and sum to 1 in each level of each factor
    assert x["est"].between(0, 1).all()
    sums = x.groupby(["group", "wave", "variable", "by", "by_category"])["est"].sum()
    assert_allclose(sums, 1.0, rtol=1e-9)
    assert (x["variable"] != x["by"]).all()
    assert x[["statistic", "f_df", "df_denominator", "chisq_statistic", "chisq_df"]].notna().all().all()
    assert x["method"].str.contains("Rao-Scott").all()


class _Ctx:
    """The two things _breakdown_columns reads of a stage context."""

    def __init__(self, groups):
        from shnro_research.instruments import load_instrument
        self.groups = groups
        self._inst = {g: load_instrument(g) for g in groups}

    def instrument(self, g):
        return self._inst[g]


def test_config_names_checked_against_the_instruments():
    from shnro_research.config_schema import BreakdownsBlock
    from shnro_research.errors import ConfigError
    from shnro_research.pipeline.design import _breakdown_columns
    default = BreakdownsBlock().model_dump()
    cols = _breakdown_columns(_Ctx(["students", "parents", "teachers"]), default)
    assert cols["students"]["by"] == ["sex", "grade", "plans", "ses_group", "home_language"]
    assert cols["parents"]["by"] == ["family_income", "home_language"]
    assert cols["teachers"]["measures"] == ["tension", "rel_satisfaction"]
    # the defaults name items a study may lack: a teachers-only study runs without breakdowns
    assert _breakdown_columns(_Ctx(["teachers"]), default)["teachers"]["by"] == []
    with pytest.raises(ConfigError, match=r"breakdowns\.by: \['religion'\]"):
        _breakdown_columns(_Ctx(["students"]), {**default, "by": ["sex", "religion"]})
    with pytest.raises(ConfigError, match=r"breakdowns\.measures"):
        _breakdown_columns(_Ctx(["students"]), {**default, "measures": ["tenshion"]})


@pytest.mark.parametrize("text,message", [
    ("breakdowns: {bye: [sex]}", "breakdowns.bye: unknown key; did you mean 'by'"),
    ("breakdowns: {adjust: tukey}", "breakdowns.adjust"),
    ("breakdowns: {measures: tension}", "breakdowns.measures"),
])
def test_config_block_refuses_unknown_keys_and_values(text, message):
    from shnro_research.config_schema import parse_config
    from shnro_research.errors import ConfigError
    with pytest.raises(ConfigError, match=message):
        parse_config(text)
    assert parse_config("breakdowns:").breakdowns.adjust == "holm"
