"""Tests of shnro_research.indicators: the catalogue schema, computation kinds (hand-checked),
achievement against stated targets only, tables, the CLI. The five programme catalogues
themselves are checked against the texts in tests/test_catalogues.py."""
from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

from shnro_research import indicators as ind
from shnro_research.errors import ParameterError

CATALOGUE = Path(__file__).resolve().parent.parent / "surveys" / "indicators.yaml"


def base_indicator(**over):
    d = {"id": "x_share", "number": "1", "wording": "«Доля»", "name": {"ru": "Доля", "en": "Share"},
         "kind": "share", "source": "programme_data",
         "base": {"numerator": "a", "denominator": "b", "text": "от общего числа"},
         "params": {"numerator": "a", "denominator": "b"}, "unit": "%", "better": "higher",
         "targets": {2023: 50}, "target_text": "«50 %»"}
    d.update(over)
    return d


def cat_of(*indicators, **defaults):
    raw = {"programme": {"id": "t", "version": 1}, "indicators": list(indicators)}
    if defaults:
        raw["defaults"] = defaults
    return ind.load_catalogue(raw)


# ------------------------------------------------------------------ the bundled catalogue

def test_bundled_index_joins_the_programme_catalogues():
    cat = ind.load_catalogue(CATALOGUE)
    assert cat.file == str(CATALOGUE)
    assert [p["id"] for p in cat.programmes] == ["kirovgrad", "smolensk", "kostroma", "minusinsk",
                                                 "kazachinsky", "four_groups"]
    assert len(set(cat.ids)) == len(cat.ids)
    assert {i["kind"] for i in cat.indicators} == set(ind.KINDS)
    assert all(i["name"]["en"] and i["programme"] for i in cat.indicators)
    tab = cat.table()
    assert list(tab.columns[:4]) == ["programme", "number", "part", "indicator"]
    assert len(tab) == len(cat.ids)
    assert ind.load_catalogue().ids == cat.ids     # default = the bundled index
    assert ind.load_catalogue("minusinsk").ids == tuple(i for i in cat.ids if i.startswith("minusinsk"))
    files = ind.catalogue_files(CATALOGUE)
    assert files[0] == CATALOGUE and len(files) == 7 and all(f.exists() for f in files)


# ------------------------------------------------------------------ schema errors

BAD = [
    ({"kind": "median"}, "field 'kind'"),
    ({"name": {"ru": "Доля"}}, "field 'name'"),
    ({"better": "up"}, "field 'better'"),
    ({"source": "school_cards"}, "field 'source'"),
    ({"colour": "red"}, "field 'colour'"),
    ({"id": "Bad Id"}, "field 'id'"),
    ({"targets": {2023: "fifty"}}, "field 'targets.2023'"),
    ({"targets": {"next": 5}}, "field 'targets'"),
    ({"achievement": {"partly": 0.8}}, "field 'achievement'"),
    ({"partial": {"degree": 1.5, "text": "x"}}, "field 'partial'"),
    ({"partial": {"degree": 0.5}}, "field 'partial'"),
    ({"target_text": None}, "field 'target_text'"),
    ({"number": ""}, "field 'number'"),
    ({"wording": None}, "field 'wording'"),
    ({"base": {"numerator": "a"}}, "field 'base'"),
    ({"baseline": {"year": 2020, "value": "x", "text": "t"}}, "field 'baseline'"),
    ({"kind": "not_computable"}, "field 'note'"),
    ({"kind": "qualitative", "note": ""}, "field 'note'"),
    ({"kind": "not_computable", "note": "why"}, "field 'source'"),
    ({"source": None}, "field 'source'"),
    ({"params": {"numerator": "a", "denominator": "b",
                 "schools": {"column": "p", "values": [1], "at": "base"}}}, "field 'params.schools.at'"),
    ({"kind": "share_of_schools", "params": {"where": {"low_results": 1}, "column": "x"}},
     "field 'params.where'"),
    ({"params": {"numerator": "a"}}, "field 'params.numerator'"),
    ({"params": {"numerator": "a", "denominator": "b", "direction": "increase"}}, "field 'params.direction'"),
    ({"kind": "share_of_schools_with_change", "params": {"column": "x", "direction": "up"}},
     "field 'params.direction'"),
    ({"kind": "share_of_schools_with_change", "params": {"column": "x", "direction": "increase",
                                                          "tolerance": -1}}, "field 'params.tolerance'"),
    ({"kind": "share_of_schools_with_change", "params": {"column": "x", "numerator": "a",
                                                          "denominator": "b", "direction": "increase"}},
     "field 'params.column'"),
    ({"kind": "share_of_schools", "params": {"column": "x", "op": "=>", "threshold": 3}}, "field 'params.op'"),
    ({"kind": "difference_vs_region", "params": {"weight": "n"}}, "field 'params.column'"),
    ({"params": {"numerator": "a", "denominator": "b", "filter": ["procedure", 1]}}, "field 'params.filter'"),
    ({"params": {"numerator": "a", "denominator": "b", "schools": {"column": "p"}}}, "field 'params.schools'"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_catalogue_errors_name_indicator_and_field(change, message):
    with pytest.raises(ind.CatalogueError) as err:
        cat_of(base_indicator(**change))
    text = str(err.value)
    assert message in text
    assert "<dict>" in text and "#1" in text


def test_catalogue_file_errors(tmp_path):
    raw = yaml.safe_load((CATALOGUE.parent / "programmes" / "minusinsk.yaml").read_text(encoding="utf-8"))
    k = next(i for i, x in enumerate(raw["indicators"]) if x["kind"] == "share_of_schools_with_change")
    bad = copy.deepcopy(raw)
    bad["indicators"][k]["params"]["direction"] = "upwards"
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ind.CatalogueError) as err:
        ind.load_catalogue(f)
    msg = str(err.value)
    assert str(f) in msg and raw["indicators"][k]["id"] in msg and f"#{k + 1}" in msg
    assert "params.direction" in msg
    dup = copy.deepcopy(raw)
    dup["indicators"].append(copy.deepcopy(dup["indicators"][0]))
    f.write_text(yaml.safe_dump(dup, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="duplicate id"):
        ind.load_catalogue(f)
    clash = copy.deepcopy(raw)
    clash["results"][0]["number"] = "1"       # indicator 1 is qualitative: one status row, 2 items
    f.write_text(yaml.safe_dump(clash, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="also numbers of qualitative indicators"):
        ind.load_catalogue(f)
    f.write_text("indicators: [a: b: c", encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="not valid YAML"):
        ind.load_catalogue(f)
    f.write_text(yaml.safe_dump({"indicators": [], "catalog": {}}), encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="unknown top-level"):
        ind.load_catalogue(f)
    with pytest.raises(ind.CatalogueError, match="'programme' header"):
        ind.load_catalogue({"indicators": [base_indicator()]})
    with pytest.raises(ind.CatalogueError, match="non-empty list"):
        ind.load_catalogue({"programme": {"id": "t"}, "indicators": []})
    with pytest.raises(FileNotFoundError):
        ind.load_catalogue(tmp_path / "missing.yaml")
    with pytest.raises(ParameterError, match="unknown source name"):
        ind.compute_indicators(cat_of(base_indicator()), {"programme": pd.DataFrame()})
    # an index of catalogues whose ids repeat
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    (tmp_path / "idx.yaml").write_text("include: [a.yaml, a.yaml]\n", encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="more than one included catalogue"):
        ind.load_catalogue(tmp_path / "idx.yaml")


# ------------------------------------------------------------------ computation kinds (hand-checked)

@pytest.fixture
def tables():
    results = pd.DataFrame({
        "school_id": ["A", "A", "B", "B", "C", "C", "D", "D", "A", "B", "C", "D", "E"],
        "year": [2022, 2023] * 4 + [2023] * 4 + [2023],
        "procedure": [2] * 8 + [1] * 4 + [2],
        "subject": [2] * 8 + [2] * 4 + [2],
        "n_participants": [10, 20, 10, 10, 30, 30, 10, 10, 5, 5, 5, 5, 10],
        "mean_score": [50, 53, 60, 60.5, 40, 38, 55, -9, 99, 99, 99, 99, 70],
        "below_min_pct": [20, 10, 5, 5, 30, 40, 10, 10, 0, 0, 0, 0, 0],
        "high_pct": [5, 10, 20, 20, 0, 0, 10, 10, 0, 0, 0, 0, 30],
    })
    prog = pd.DataFrame({"school_id": list("ABCD") * 2, "year": [2022] * 4 + [2023] * 4,
                         "n_students": [100, 200, 300, 400] * 2,
                         "n_iom": [10, 20, 30, 40, 20, 40, np.nan, 80],
                         "fail_pct": [5, 6, 7, 8, 4, 6, 8, 6]})
    passport = pd.DataFrame({"school_id": list("ABCDE"), "year": 2023, "in_programme": [1, 1, 0, 0, 0]})
    region = pd.DataFrame({"year": [2022, 2023], "procedure": [2, 2], "subject": [2, 2],
                           "below_min_pct": [12.0, 11.0], "high_pct": [9.0, 9.5]})
    survey = pd.DataFrame({"school_id": list("ABCD") * 2, "wave": [2022] * 4 + [2024] * 4,
                           "group": "students", "variable": "anxiety",
                           "est": [3.0, 3.0, 3.0, 3.0, 2.5, 2.9, 3.4, 2.0],
                           "se": [0.1] * 8})
    return {"results": results, "programme_data": prog, "passport": passport, "region": region,
            "survey": survey}


def test_share_of_schools_with_change(tables):
    oge = {"procedure": 2, "subject": 2}
    c = cat_of(base_indicator(id="up", kind="share_of_schools_with_change", source="results",
                              params={"column": "mean_score", "weight": "n_participants", "filter": oge,
                                      "direction": "increase", "tolerance": 1.0},
                              targets={2023: 40}))
    r = ind.compute_indicators(c, tables)
    # A: 50 -> 53 (+3, counts); B: +0.5 (within tolerance); C: -2; D: 2023 missing (-9); E only 2023
    row = r[r["year"] == 2023].iloc[0]
    assert_allclose(row["est"], 100 / 3)
    assert row["n"] == 3 and row["target"] == 40 and row["achievement"] == "not achieved"
    assert "vs 2022" in row["note"] and "1 rows with missing values excluded" in row["note"]
    # a decrease of the share below threshold, restricted to programme schools from the passport
    c2 = cat_of(base_indicator(id="down", kind="share_of_schools_with_change", source="results",
                               params={"column": "below_min_pct", "filter": oge, "direction": "decrease",
                                       "schools": {"source": "passport", "column": "in_programme",
                                                   "values": [1]}},
                               targets={2023: 50}))
    r2 = ind.compute_indicators(c2, tables)
    assert_allclose(r2["est"].iloc[0], 50.0)     # A fell 20 -> 10, B unchanged
    assert r2["n"].iloc[0] == 2 and r2["achievement"].iloc[0] == "achieved"
    assert "2 schools with passport.in_programme in [1]" in r2["note"].iloc[0]


def test_share_of_schools_with_significant_change(tables):
    c = cat_of(base_indicator(id="anx", kind="share_of_schools_with_change", source="survey",
                              params={"column": "est", "year": "wave", "test": True,
                                      "filter": {"variable": "anxiety", "group": "students"},
                                      "direction": "decrease", "compare_with": "first"},
                              targets={2024: 50}))
    r = ind.compute_indicators(c, tables)
    # z = diff / sqrt(0.02): A -0.5 (z=-3.5, yes), B -0.1 (no), C +0.4 (wrong direction), D -1 (yes)
    assert_allclose(r["est"].iloc[0], 50.0)
    assert "significant" in r["note"].iloc[0]
    c_h = cat_of(base_indicator(id="anx", kind="share_of_schools_with_change", source="survey",
                                params={"column": "est", "year": "wave", "test": True, "adjust": "holm",
                                        "direction": "decrease", "tolerance": 0.6}, targets={2024: 50}))
    assert_allclose(ind.compute_indicators(c_h, tables)["est"].iloc[0], 25.0)  # only D beyond 0.6


def test_share_mean_region_and_share_of_schools(tables):
    c = cat_of(
        base_indicator(id="iom", params={"numerator": "n_iom", "denominator": "n_students"},
                       targets={2022: 10, 2023: 25}),
        base_indicator(id="fail", kind="mean", params={"column": "fail_pct", "weight": "n_students"},
                       better="lower", targets={2023: 5}),
        base_indicator(id="gap", kind="difference_vs_region", source="results",
                       params={"column": "below_min_pct", "weight": "n_participants",
                               "filter": {"procedure": 2, "subject": 2}},
                       better="lower", targets={2022: 0, 2023: 0}),
        base_indicator(id="risk", kind="share_of_schools", source="results",
                       params={"column": "below_min_pct", "filter": {"procedure": 2}, "op": ">=",
                               "threshold": 30}, better="lower", targets={2023: 20}),
    )
    r = ind.compute_indicators(c, tables).set_index(["indicator", "year"])
    assert_allclose(r.loc[("iom", 2022), "est"], 100 * 100 / 1000)
    # 2023: C's n_iom is missing -> C excluded from both sums
    assert_allclose(r.loc[("iom", 2023), "est"], 100 * 140 / 700)
    assert r.loc[("iom", 2023), "n"] == 3 and r.loc[("iom", 2023), "achievement"] == "not achieved"
    assert_allclose(r.loc[("iom", 2023), "target_ratio"], 20 / 25)
    # degree from the first value observed before the year (10 % in 2022; the text states no
    # baseline): 2022 is achieved (10 >= 10) but has no earlier value, so no degree;
    # 2023: (20 - 10) / (25 - 10)
    assert r.loc[("iom", 2022), "achievement"] == "achieved"
    assert np.isnan(r.loc[("iom", 2022), "degree"])
    assert "no baseline" in r.loc[("iom", 2022), "rule"]
    assert_allclose(r.loc[("iom", 2023), "baseline"], 10.0)
    assert_allclose(r.loc[("iom", 2023), "degree"], (20 - 10) / (25 - 10))
    assert "first value observed before this year" in r.loc[("iom", 2023), "rule"]
    assert "no partial achievement" in r.loc[("iom", 2023), "rule"]
    assert_allclose(r.loc[("fail", 2023), "est"], (400 + 1200 + 2400 + 2400) / 1000)
    assert r.loc[("fail", 2023), "achievement"] == "not achieved"      # 6.4 > 5
    assert_allclose(r.loc[("fail", 2023), "target_ratio"], 5 / 6.4)
    mun22 = (20 * 10 + 5 * 10 + 30 * 30 + 10 * 10) / 60
    assert_allclose(r.loc[("gap", 2022), "est"], mun22 - 12.0)
    mun23 = (10 * 20 + 5 * 10 + 40 * 30 + 10 * 10 + 0 * 10) / 80
    assert_allclose(r.loc[("gap", 2023), "est"], mun23 - 11.0)
    assert r.loc[("gap", 2023), "achievement"] == "not achieved"
    assert np.isnan(r.loc[("gap", 2023), "target_ratio"])     # a zero target: no ratio
    assert "region 11" in r.loc[("gap", 2023), "note"]
    assert_allclose(r.loc[("risk", 2022), "est"], 25.0)
    assert_allclose(r.loc[("risk", 2023), "est"], 20.0)    # C (40) of A..E
    assert r.loc[("risk", 2023), "achievement"] == "achieved"
    # years restricted; a year without data gives a 'no data' row
    r2 = ind.compute_indicators(c, tables, years=[2023, 2025])
    assert set(r2["year"]) == {2023, 2025}
    assert (r2.loc[r2["year"] == 2025, "achievement"] == "no data").all()


def test_absent_tables_and_columns_give_no_data_rows(tables):
    cat = ind.load_catalogue(CATALOGUE)
    r = ind.compute_indicators(cat, {"results": tables["results"]})
    assert set(r["indicator"]) == set(cat.ids)                  # nothing silently dropped
    nd = r[r["source"] == "programme_data"]
    assert (nd["achievement"] == "no data").all()
    assert nd["note"].str.contains("table 'programme_data' not provided|table 'register'").all()
    reg = r[r["source"] == "register"]
    assert (reg["achievement"] == "no data").all()
    assert reg["note"].str.contains("table 'register' not provided").all()
    # a table present without the needed column
    r2 = ind.compute_indicators(cat, {"programme_data": tables["programme_data"]})
    add = r2[r2["indicator"] == "smolensk_14"]
    assert (add["achievement"] == "no data").all()
    assert add["note"].str.contains(r"column\(s\) \['n_add_edu'\] not in table 'programme_data'").all()
    assert list(r.columns[:13]) == ["programme", "indicator", "number", "part", "year", "est",
                                    "target", "baseline", "degree", "achievement", "rule", "n",
                                    "note"]
    # qualitative and not computable indicators: a row with the reason
    q = r[r["kind"].isin(["qualitative", "not_computable"])]
    assert len(q) and (q["achievement"] == "no data").all() and q["est"].isna().all()
    assert q["note"].str.contains("qualitative: status|not computable from data").all()


def test_register_selection_per_year_and_base(tables):
    """Bases «от общего числа школ с низкими результатами»: the schools flagged in the year of the
    value (levels) or in the year compared with (changes), from the register."""
    reg = pd.DataFrame({"school_id": list("ABCD") * 2, "year": [2022] * 4 + [2023] * 4,
                        "low_results": [True, True, False, False, False, True, True, np.nan]})
    t = dict(tables, register=reg)
    sel = {"source": "register", "column": "low_results", "values": [1]}
    c = cat_of(base_indicator(id="iom", params={"numerator": "n_iom", "denominator": "n_students",
                                                "schools": dict(sel, at="year")}, targets={}),
               base_indicator(id="fail", kind="share_of_schools_with_change",
                              params={"column": "fail_pct", "direction": "decrease",
                                      "schools": dict(sel, at="base")}, targets={}),
               base_indicator(id="low", kind="share_of_schools", source="register",
                              params={"where": {"low_results": [1]}}, better="lower", targets={}),
               base_indicator(id="both", kind="share_of_schools", source="register",
                              params={"where": {"low_results": [0]}}, targets={}))
    r = ind.compute_indicators(c, t).set_index(["indicator", "year"])
    assert_allclose(r.loc[("iom", 2022), "est"], 100 * (10 + 20) / (100 + 200))     # A, B
    assert_allclose(r.loc[("iom", 2023), "est"], 100 * 40 / 200)   # B (C flagged, n_iom missing)
    # change 2022 -> 2023 among the schools low in 2022 (A, B): A 5 -> 4 fell, B 6 -> 6 did not
    assert_allclose(r.loc[("fail", 2023), "est"], 50.0)
    assert r.loc[("fail", 2023), "n"] == 2
    # shares of the register: D's missing status leaves it out of the 2023 denominator
    assert_allclose(r.loc[("low", 2022), "est"], 50.0)
    assert_allclose(r.loc[("low", 2023), "est"], 100 * 2 / 3)
    assert_allclose(r.loc[("both", 2023), "est"], 100 / 3)
    assert r.loc[("low", 2023), "n"] == 3
    # no stated target: never graded
    assert (r["achievement"].isin(["no target", "no data"])).all() and r["target"].isna().all()
    assert r["rule"].str.contains("not graded").all()


def test_achievement_degree():
    a = ind.achievement_degree([60, 45, np.nan, 10], [50, 50, 50, np.nan])
    assert a.tolist() == ["achieved", "not achieved", "no data", "no target"]
    low = ind.achievement_degree([4, 5, 6.2], 5, better="lower")
    assert low.tolist() == ["achieved", "achieved", "not achieved"]
    # partial achievement only with a rule the text defines (degree from the baseline)
    p = ind.achievement_degree([30, 45, 20], 50, baseline=10, partial=0.5)
    assert p.tolist() == ["partly achieved", "partly achieved", "not achieved"]
    assert_allclose(ind.degree_of_achievement([30, 60, 5, 20], 50, 10), [0.5, 1.0, 0.0, 0.25])
    assert_allclose(ind.degree_of_achievement([4, 2, 9], 2, 8), [2 / 3, 1.0, 0.0])  # lower better
    assert np.isnan(ind.degree_of_achievement(5, 10, 10)).all()
    with pytest.raises(ParameterError, match="'better'"):
        ind.achievement_degree([1], [1], better="more")
    with pytest.raises(ParameterError, match="'partial'"):
        ind.achievement_degree([1], [1], baseline=0, partial=1.2)
    with pytest.raises(ParameterError, match="'baseline'"):
        ind.achievement_degree([1], [1], partial=0.5)


def test_tables_figures(tables):
    cat = ind.load_catalogue(CATALOGUE)
    r = ind.compute_indicators(cat, tables)
    ru = ind.achievement_table(r)
    assert "Степень достижения" in ru.columns and "нет данных" in set(ru["Степень достижения"])
    en = ind.achievement_table(r, lang="en", years=[2023])
    assert set(en["Year"]) == {2023} and "Achievement" in en.columns
    s = ind.achievement_summary(r)
    assert s.drop(columns="year").to_numpy().sum() == len(r)
    reg = ind.region_comparison_table(tables["results"], tables["region"], by=["procedure", "subject"],
                                      columns=["below_min_pct"])
    row = reg[(reg["year"] == 2022) & (reg["procedure"] == 2)].iloc[0]
    assert_allclose(row["municipality"], (20 * 10 + 5 * 10 + 30 * 30 + 10 * 10) / 60)
    assert_allclose(row["difference"], row["municipality"] - 12.0)
    assert np.isnan(reg.loc[reg["procedure"] == 1, "region"]).all()
    from matplotlib.figure import Figure
    from shnro_research.report.figures import plot_achievement, plot_indicator_trends
    fig = plot_achievement(r, year=2023, lang="en")
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == (r["year"] == 2023).sum()
    fig2 = plot_indicator_trends(r, ids=["smolensk_14", "minusinsk_14_math"])
    assert isinstance(fig2, Figure)


def test_cli_indicators(tmp_path, tables):
    paths = {}
    for k in ("results", "passport", "programme_data", "region"):
        paths[k] = tmp_path / f"{k}.csv"
        tables[k].to_csv(paths[k], index=False)
    from shnro_research.cli import indicators as cli_indicators
    parser = argparse.ArgumentParser()
    cli_indicators.add_arguments(parser)
    args = parser.parse_args(["--catalogue", str(CATALOGUE), "--results", str(paths["results"]),
                              "--passport", str(paths["passport"]), "--programme-data",
                              str(paths["programme_data"]), "--region", str(paths["region"]),
                              "--out", str(tmp_path / "out"), "--lang", "en", "--no-figure"])
    assert cli_indicators.run(args) == 0
    out = pd.read_csv(tmp_path / "out" / "indicators.csv")
    assert set(out["indicator"]) == set(ind.load_catalogue(CATALOGUE).ids)
    for f in ("achievement_table.csv", "achievement_summary.csv", "region_comparison.csv"):
        assert (tmp_path / "out" / f).exists(), f
    assert not (tmp_path / "out" / "achievement.png").exists()     # --no-figure


# ------------------------------------------------------------------ the demo municipality

@pytest.mark.slow
def test_every_catalogue_indicator_for_the_demo():
    from test_dynamics import demo_estimates
    study, est = demo_estimates()
    cat = ind.load_catalogue(CATALOGUE)
    r = ind.compute_indicators(cat, {"results": study.results, "passport": study.passport,
                                     "survey": est})
    assert set(r["indicator"]) == set(cat.ids)
    # results-based levels of the programme schools are computed in every year
    k4 = r[r["indicator"] == "kirovgrad_k04_oge"]
    assert k4["est"].notna().all() and set(k4["year"]) == set(study.waves)
    # survey-based: motivation of the programme schools, compared with the first wave
    mot = r[(r["indicator"] == "kirovgrad_k09") & (r["year"] == study.waves[-1])].iloc[0]
    assert 0 < mot["n"] <= 4
    # the register (models stage) is not given here: explicit 'no data', never dropped
    reg = r[r["source"] == "register"]
    assert (reg["achievement"] == "no data").all() and reg["note"].str.contains("register").all()
