"""Tests of shnro_research.indicators: the catalogue, computation kinds, achievement, tables."""
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
    d = {"id": "x_share", "name": {"ru": "Доля", "en": "Share"}, "kind": "share",
         "source": "programme_data", "params": {"numerator": "a", "denominator": "b"},
         "unit": "%", "better": "higher", "targets": {2023: 50}}
    d.update(over)
    return d


def cat_of(*indicators, **defaults):
    raw = {"catalogue": {"id": "t", "version": 1}, "indicators": list(indicators)}
    if defaults:
        raw["defaults"] = defaults
    return ind.load_catalogue(raw)


# ------------------------------------------------------------------ the bundled catalogue

def test_bundled_catalogue_covers_the_programmes():
    cat = ind.load_catalogue(CATALOGUE)
    assert cat.file == str(CATALOGUE)
    assert len(cat.indicators) >= 20 and len(set(cat.ids)) == len(cat.ids)
    kinds = {i["kind"] for i in cat.indicators}
    assert kinds == set(ind.KINDS)
    text = " ".join(i["name"]["ru"] for i in cat.indicators)
    for phrase in ("ВПР", "ОГЭ", "ЕГЭ", "читательской", "естественнонаучной", "неуспевающих",
                   "«4» и «5»", "индивидуальный образовательный маршрут", "дополнительного",
                   "индивидуальных", "тревожност", "пропущенных", "края"):
        assert phrase in text, phrase
    assert all(i["name"]["en"] for i in cat.indicators)
    tab = cat.table()
    assert list(tab.columns[:3]) == ["indicator", "name_ru", "name_en"] and len(tab) == len(cat.ids)
    assert ind.load_catalogue().ids == cat.ids     # default = the bundled file


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
    ({"achievement": {"partly": 1.5}}, "field 'achievement.partly'"),
    ({"achievement": {"half": 0.5}}, "field 'achievement'"),
    ({"targets": {2023: -2}}, "field 'targets.2023'"),
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
    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    bad = copy.deepcopy(raw)
    bad["indicators"][3]["params"]["direction"] = "upwards"
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ind.CatalogueError) as err:
        ind.load_catalogue(f)
    msg = str(err.value)
    assert str(f) in msg and raw["indicators"][3]["id"] in msg and "#4" in msg and "params.direction" in msg
    dup = copy.deepcopy(raw)
    dup["indicators"].append(copy.deepcopy(dup["indicators"][0]))
    f.write_text(yaml.safe_dump(dup, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="duplicate id"):
        ind.load_catalogue(f)
    f.write_text("indicators: [a: b: c", encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="not valid YAML"):
        ind.load_catalogue(f)
    f.write_text(yaml.safe_dump({"indicators": [], "catalog": {}}), encoding="utf-8")
    with pytest.raises(ind.CatalogueError, match="unknown top-level"):
        ind.load_catalogue(f)
    with pytest.raises(ind.CatalogueError, match="non-empty list"):
        ind.load_catalogue({"indicators": []})
    with pytest.raises(FileNotFoundError):
        ind.load_catalogue(tmp_path / "missing.yaml")
    with pytest.raises(ParameterError, match="unknown source name"):
        ind.compute_indicators(cat_of(base_indicator()), {"programme": pd.DataFrame()})


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
    assert row["n"] == 3 and row["target"] == 40 and row["achievement"] == "partly achieved"
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
    assert "2 schools with in_programme" in r2["note"].iloc[0]


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
                       better="lower", targets={2022: 0, 2023: 0}, achievement={"partly_within": 2}),
        base_indicator(id="risk", kind="share_of_schools", source="results",
                       params={"column": "below_min_pct", "filter": {"procedure": 2}, "op": ">=",
                               "threshold": 30}, better="lower", targets={2023: 20}),
    )
    r = ind.compute_indicators(c, tables).set_index(["indicator", "year"])
    assert_allclose(r.loc[("iom", 2022), "est"], 100 * 100 / 1000)
    # 2023: C's n_iom is missing -> C excluded from both sums
    assert_allclose(r.loc[("iom", 2023), "est"], 100 * 140 / 700)
    assert r.loc[("iom", 2023), "n"] == 3 and r.loc[("iom", 2023), "achievement"] == "partly achieved"
    assert_allclose(r.loc[("iom", 2023), "target_ratio"], 20 / 25)
    assert_allclose(r.loc[("fail", 2023), "est"], (400 + 1200 + 2400 + 2400) / 1000)
    assert r.loc[("fail", 2023), "achievement"] == "not achieved"      # 6.4 > 5 / 0.8
    assert_allclose(r.loc[("fail", 2023), "target_ratio"], 5 / 6.4)
    mun22 = (20 * 10 + 5 * 10 + 30 * 30 + 10 * 10) / 60
    assert_allclose(r.loc[("gap", 2022), "est"], mun22 - 12.0)
    mun23 = (10 * 20 + 5 * 10 + 40 * 30 + 10 * 10 + 0 * 10) / 80
    assert_allclose(r.loc[("gap", 2023), "est"], mun23 - 11.0)
    assert r.loc[("gap", 2023), "achievement"] == "not achieved"
    assert np.isnan(r.loc[("gap", 2023), "target_ratio"])
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
    assert nd["note"].str.contains("table 'programme_data' not provided").all()
    # a table present without the needed column
    r2 = ind.compute_indicators(cat, {"programme_data": tables["programme_data"]})
    add = r2[r2["indicator"] == "additional_education_share"]
    assert (add["achievement"] == "no data").all()
    assert add["note"].str.contains(r"column\(s\) \['n_add_edu'\] not in table 'programme_data'").all()
    assert list(r.columns[:7]) == ["indicator", "year", "est", "target", "achievement", "n", "note"]


def test_achievement_degree():
    a = ind.achievement_degree([60, 45, 30, np.nan, 10], [50, 50, 50, 50, np.nan])
    assert a.tolist() == ["achieved", "partly achieved", "not achieved", "no data", "no target"]
    low = ind.achievement_degree([4, 5, 6.2, 7], 5, better="lower")
    assert low.tolist() == ["achieved", "achieved", "partly achieved", "not achieved"]
    w = ind.achievement_degree([-1, 1.5, 3], 0, better="lower", partly_within=2)
    assert w.tolist() == ["achieved", "partly achieved", "not achieved"]
    w2 = ind.achievement_degree([-4, -2, 1], 0, better="higher", partly_within=3)
    assert w2.tolist() == ["not achieved", "partly achieved", "achieved"]
    with pytest.raises(ParameterError, match="'better'"):
        ind.achievement_degree([1], [1], better="more")
    with pytest.raises(ParameterError, match="'partly'"):
        ind.achievement_degree([1], [1], partly=1.2)


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
    fig2 = plot_indicator_trends(r, ids=["iom_share", "vpr_positive_dynamics"])
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
    # results-based dynamics are computed for every year after the first, over all 40 schools
    res_based = r[(r["source"] == "results") & (r["kind"] == "share_of_schools_with_change")]
    assert res_based["est"].notna().all() and (res_based["n"] == len(study.schools)).all()
    assert set(res_based["year"]) == {2023, 2024}
    assert r.loc[r["indicator"] == "schools_vpr_risk_share", "est"].notna().all()
    # survey-based: tension fell significantly in (at least) the 4 programme schools by 2024
    ten = r[(r["indicator"] == "schools_tension_reduced") & (r["year"] == 2024)].iloc[0]
    n_sampled = int(study.schools["sampled"].sum())
    assert ten["n"] == n_sampled
    assert 100 * 4 / n_sampled - 1e-9 <= ten["est"] <= 100 * 6 / n_sampled + 1e-9
    # the demo has no programme monitoring, diagnostics or regional tables: explicit 'no data'
    for src in ("programme_data", "diagnostics"):
        sub = r[r["source"] == src]
        assert (sub["achievement"] == "no data").all() and sub["note"].str.contains("not provided").all()
    reg = r[r["kind"] == "difference_vs_region"]
    assert (reg["achievement"] == "no data").all()
