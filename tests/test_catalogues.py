"""The five programme catalogues against their texts (issue 13, part 4).

The lists below are extracted BY HAND from the programme texts (/work/shared/programmes/): each
numbered target indicator, the base the text gives it and every target value the text states.
A catalogue that drops one of them, changes its base or invents a target fails here. Where the
texts themselves are present, every quoted wording must occur in its text.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_research import indicators as ind

PROGRAMMES_DIR = Path(__file__).resolve().parent.parent / "surveys" / "programmes"
TEXTS = Path("/work/shared/programmes")
TEXT_FILES = {"kirovgrad": "000_1ab569f2875cb97d.txt", "smolensk": "001_39832ae24764ae11.txt",
              "kostroma": "002_17d9b480642f8f2f.txt", "minusinsk": "003_0620334e804fc0b2.txt",
              "kazachinsky": "004_ce841349bb2acf8d.txt"}

LOW = "от общего числа школ с низкими результатами"
PUPILS_LOW = "от общего числа обучающихся школ с низкими результатами"
TEACHERS_LOW = "педагогов школ с низкими результатами"

#: (programme, number) -> (words of the base as the text gives them, {year: stated target})
#: Minusinsk: «Целевые показатели муниципальной программы» 1–18 (no target values in the text);
#: «Ожидаемые конечные результаты» 4: «100% педагогов школ с низкими результатами обучения…»
#: (programme 2020–2022). Smolensk: «Индикаторы проекта» 1–15 (4.1–4.4; no target values);
#: task 3 «(в 100% школ)»; expected results at school level 45 / 60 / 45 / 50 / 75 / 100 / 80 /
#: 100 % (project: 2018). Kirovgrad: 12 unnumbered «Критерии и показатели успешной реализации»
#: (К 1 … К 12, no targets). Kostroma: planned result 2 (a decrease, no number). Kazachinsky: the
#: table «Результаты ОГЭ по математике» (no targets).
TARGETS = {
    ("minusinsk", "1"): ("наличие", {}), ("minusinsk", "2"): ("наличие", {}),
    ("minusinsk", "3"): (LOW, {}), ("minusinsk", "4"): ("наличие", {}),
    ("minusinsk", "5"): ("наличие (количество)", {}),
    ("minusinsk", "6"): ("от общего числа идентифицированных в текущем году педагогов школ с "
                         "низкими результатами", {}),
    ("minusinsk", "7"): ("в общей численности педагогов школ с низкими результатами", {}),
    ("minusinsk", "8"): ("наличие", {}),
    ("minusinsk", "9"): ("в общей численности педагогов школ с низкими результатами", {}),
    ("minusinsk", "10"): (PUPILS_LOW, {}), ("minusinsk", "11"): (LOW, {}),
    ("minusinsk", "12"): (LOW, {}), ("minusinsk", "13"): (LOW, {}),
    ("minusinsk", "14"): (LOW, {}), ("minusinsk", "15"): (LOW, {}),
    ("minusinsk", "16"): (PUPILS_LOW, {}), ("minusinsk", "17"): (LOW, {}),
    ("minusinsk", "18"): (PUPILS_LOW, {}),
    ("minusinsk", "ОКР 4"): (TEACHERS_LOW, {2022: 100}),
    ("smolensk", "1"): ("наличие", {}), ("smolensk", "2"): ("наличие", {}),
    ("smolensk", "3"): ("доля школ", {2018: 100}),
    ("smolensk", "4.1"): ("доля школ", {}), ("smolensk", "4.2"): ("доля школ", {}),
    ("smolensk", "4.3"): ("доля школ", {}), ("smolensk", "4.4"): ("доля школ", {}),
    ("smolensk", "5"): ("наличие в школах", {}), ("smolensk", "6"): ("доля обучающихся", {}),
    ("smolensk", "7"): ("доля образовательных организаций", {}), ("smolensk", "8"): ("доля ОО", {}),
    ("smolensk", "9"): ("доля педагогов «группы риска»", {}), ("smolensk", "10"): ("доля педагогов", {}),
    ("smolensk", "11"): ("наличие", {}), ("smolensk", "12"): ("доля педагогов", {}),
    ("smolensk", "13"): ("доля школ", {}), ("smolensk", "14"): ("доля обучающихся", {}),
    ("smolensk", "15"): ("доля педагогов", {}),
    ("smolensk", "ОР 1.1"): ("обучающихся", {2018: 45}),
    ("smolensk", "ОР 1.2"): ("обучающихся", {2018: 60}),
    ("smolensk", "ОР 1.3"): ("обучающихся", {2018: 45}),
    ("smolensk", "ОР 1.4"): ("обучающихся", {2018: 50}),
    ("smolensk", "ОР 7"): ("обучающихся", {2018: 75}),
    ("smolensk", "ОР 8"): ("педагогических работников", {2018: 100}),
    ("smolensk", "ОР 9"): ("80 %", {2018: 80}),
    ("smolensk", "ОР 10"): ("педагогов", {2018: 100}),
    **{("kirovgrad", f"К {k}"): ("", {}) for k in range(1, 13)},
    ("kostroma", "ПР 2"): ("доля школ", {}),
    ("kazachinsky", "ОГЭ-1"): ("доля участников", {}),
    ("kazachinsky", "ОГЭ-2"): ("доля участников", {}),
}
#: baselines the texts state: Smolensk «около 16,3% (2015-2017 г.г.)»; Kazachinsky's table
#: (2018: МО 16,00 % below the minimum, 4,80 % high results); Minusinsk 3 of 13 schools.
BASELINES = {("smolensk", "4.1"): (2017, 16.3), ("kazachinsky", "ОГЭ-1"): (2018, 16.0),
             ("kazachinsky", "ОГЭ-2"): (2018, 4.8), ("minusinsk", "Эффект 3"): (2020, 23.1)}
#: qualitative planned results and action-plan items: (programme, how many, first, last number)
RESULTS = {"kostroma": ["ПР 1", "ПР 2", "ПР 3", "ПР 4", "ПР 5", "ПР 6", "ПР 7"],
           "minusinsk": [f"ОКР {k}" for k in range(1, 7)],
           "kazachinsky": [f"ОКР {k}" for k in range(1, 11)],
           "smolensk": [f"ОРП {k}" for k in range(1, 10)] + ["ОР 2", "ОР 3", "ОР 4", "ОР 5", "ОР 6"]}
KOSTROMA_REPORTED = {"ПР 1": "Частично достигнуто", "ПР 2": "Частично достигнуто",
                     "ПР 3": "Разработана, частично реализуется", "ПР 4": "Создано и реализуется",
                     "ПР 5": "Сформированы элементы, которые функционируют",
                     "ПР 6": "Частично достигнуто", "ПР 7": "Достигнуто"}
ACTIONS = {"minusinsk": [str(k) for k in range(1, 5)] + ["5–6"] + [str(k) for k in range(7, 24)],
           "kirovgrad": ["1", "1.1", "1.2", "1.3", "2"] + [f"2.{k}" for k in range(1, 8)]
           + ["3"] + [f"3.{k}" for k in range(1, 6)] + ["4"] + [f"4.{k}" for k in range(1, 7)]
           + ["5"] + [f"5.{k}" for k in range(1, 8)],
           "smolensk": [f"1.{k}" for k in range(1, 10)] + [f"2.{k}" for k in range(1, 18)]
           + [f"3.{k}" for k in range(1, 16)],
           "kazachinsky": [str(k) for k in range(1, 12)],
           "kostroma": ["1.1", "1.2", "1.3", "2.1–2.2", "2.3", "3.1", "3.2", "3.3", "3.4", "4.3",
                        "4.4", "4.5", "5", "6"]}


@pytest.fixture(scope="module")
def cats():
    return {p: ind.load_catalogue(PROGRAMMES_DIR / f"{p}.yaml")
            for p in (*TEXT_FILES, "four_groups")}


def test_the_five_catalogues_load(cats):
    for p, c in cats.items():
        assert c.id == p and [h["id"] for h in c.programmes] == [p]
        assert len(c.indicators) >= 3
        head = c.programmes[0]
        if p != "four_groups":
            assert head["text_file"] == TEXT_FILES[p]
            assert head["period"][0] <= head["period"][1]
    idx = ind.load_catalogue()
    assert set(idx.ids) == {i for c in cats.values() for i in c.ids}


def test_every_numbered_target_is_in_its_catalogue_with_base_and_target(cats):
    for (prog, number), (base_words, targets) in TARGETS.items():
        rows = [i for i in cats[prog].indicators if i["number"] == number]
        assert rows, f"{prog} {number} missing from its catalogue"
        for i in rows:
            assert i["targets"] == {y: float(v) for y, v in targets.items()}, (prog, number)
            assert base_words in i["base"]["text"], (prog, number, i["base"]["text"])
            if targets:
                assert i.get("target_text"), (prog, number)
            if i["kind"] in ("qualitative", "not_computable"):
                assert len(i["note"]) > 20, (prog, number)      # why it is not computed
    # nothing else carries a target: every target of the catalogues is in the list above
    stated = {(i["programme"], i["number"]) for c in cats.values() for i in c.indicators
              if i["targets"]}
    assert stated == {k for k, (_, t) in TARGETS.items() if t}
    for (prog, number), (year, value) in BASELINES.items():
        i = next(i for i in cats[prog].indicators if i["number"] == number)
        assert (i["baseline"]["year"], i["baseline"]["value"]) == (year, value), (prog, number)


def test_bases_of_the_low_result_school_indicators(cats):
    """«от общего числа школ с низкими результатами»: the denominator is the register's
    low-result schools (in the year of a level; in the year compared with for a change), never
    all schools."""
    for i in cats["minusinsk"].indicators:
        if not re.fullmatch(r"\d+", i["number"]) or i["kind"] in ("qualitative", "not_computable"):
            continue
        n = int(i["number"])
        sch = i["params"].get("schools")
        assert sch is not None and (sch["source"], sch["column"], sch["values"]) == \
            ("register", "low_results", [1]), (n, sch)
        want = "base" if i["kind"] == "share_of_schools_with_change" else "year"
        assert sch["at"] == want, (n, sch)
        assert "с низкими результатами" in i["base"]["denominator"], n
        assert "register.low_results = 1" in i["base"]["denominator"], n
        if n in (10, 16, 18):
            assert i["params"]["denominator"] == "n_students", n
        if n in (6, 7, 9):
            assert i["params"]["denominator"] == "n_teachers", n
    # Smolensk's 4.1-4.4 and Kostroma's planned result 2: shares of ALL schools of the register
    for prog, num in (("smolensk", "4.1"), ("smolensk", "4.2"), ("kostroma", "ПР 2")):
        for i in (x for x in cats[prog].indicators if x["number"] == num):
            assert i["source"] == "register" and "where" in i["params"]
            assert "все школы" in i["base"]["denominator"]


def test_wordings_are_quoted_from_the_texts(cats):
    if not TEXTS.exists():
        pytest.skip("the programme texts are not on this machine")
    def norm(t: str) -> str:    # tags, hyphenation at line ends («дополни-\nтельного»), spaces
        t = re.sub(r"([а-яё])-\s+([а-яё])", r"\1\2", re.sub(r"<[^>]+>", " ", t))
        return re.sub(r"\s+", " ", t).replace(" ;", ";").strip()
    for prog, f in TEXT_FILES.items():
        text = norm((TEXTS / f).read_text(encoding="utf-8"))
        c = cats[prog]
        quoted = [i["wording"] for i in c.indicators] + [r["text"] for r in c.results] + \
            [a["text"] for a in c.actions]
        checked = 0
        for q in quoted:
            if not (q.startswith("«") and q.endswith("»")):
                continue
            for seg in re.split(r"\s*…\s*", q[1:-1]):
                seg = norm(seg).strip(" .;")
                if len(seg) >= 8:
                    assert seg in text, (prog, seg)
                    checked += 1
        assert checked >= 10, prog


def test_results_and_action_plans_are_complete(cats):
    for prog, numbers in RESULTS.items():
        have = [r["number"] for r in cats[prog].results]
        assert [n for n in numbers if n not in have] == [], prog
    for r in cats["kostroma"].results:
        if r["number"] in KOSTROMA_REPORTED:
            assert r["reported"]["status"] == KOSTROMA_REPORTED[r["number"]]
    for prog, numbers in ACTIONS.items():
        assert [a["number"] for a in cats[prog].actions] == numbers, prog
    deadlines = {a["number"]: a["deadline"] for a in cats["minusinsk"].actions}
    assert deadlines["1"].startswith("До 20") and deadlines["21"] == "Лето 2021"


def _all_tables():
    """Hand-made tables in which every computable indicator of the catalogues has data in
    2018, 2022 and 2023 (the years of the stated targets and two more)."""
    rng = np.random.default_rng(5)
    sch = [f"S{k}" for k in range(12)]
    years = [2018, 2022, 2023]
    sy = pd.DataFrame([(s, y) for s in sch for y in years], columns=["school_id", "year"])
    n = len(sy)
    cols = ["n_iom", "n_add_edu", "n_add_edu_tech", "n_projects", "n_olympiad",
            "n_olympiad_winners", "n_individual_progress", "n_anxiety_assessed",
            "n_anxiety_reduced", "missed_lessons"]
    prog = sy.assign(n_students=400, n_teachers=30, fail_pct=rng.uniform(0, 10, n),
                     marks_45_pct=rng.uniform(20, 60, n), has_school_programme=rng.integers(0, 2, n),
                     n_teachers_trained=rng.integers(0, 31, n), n_teachers_methods=rng.integers(0, 31, n),
                     n_teachers_innovation=rng.integers(0, 31, n),
                     **{c: rng.integers(0, 200, n) for c in cols})
    reg = sy.assign(low_results=rng.random(n) < 0.4, unfavourable_context=rng.random(n) < 0.3,
                    resilient=rng.random(n) < 0.2, crisis=False, improvement=False)
    passport = sy.assign(in_programme=[int(s in sch[:4]) for s in sy["school_id"]])
    res = pd.concat([sy.assign(procedure=p, subject=s, grade=g, n_participants=20,
                               mean_score=rng.uniform(30, 70, n), below_min_pct=rng.uniform(0, 30, n),
                               high_pct=rng.uniform(0, 30, n))
                     for p, s, g in ((2, 1, 9), (2, 2, 9), (3, 1, 11), (3, 2, 11))], ignore_index=True)
    diag = pd.concat([sy.assign(work=w, grade=g, n_participants=20, mean_score=rng.uniform(30, 70, n))
                      for w, g in (("reading", 4), ("reading", 6), ("science", 8))], ignore_index=True)
    region = pd.DataFrame([(y, 2, s, 10.0, 10.0, 50.0) for y in years for s in (1, 2)],
                          columns=["year", "procedure", "subject", "below_min_pct", "high_pct",
                                   "mean_score"])
    survey = pd.concat([sy.rename(columns={"year": "wave"}).assign(
        group="students", variable=v, est=rng.normal(3, 0.3, n), se=0.05)
        for v in ("anxiety", "motivation", "rel_satisfaction")], ignore_index=True)
    return {"programme_data": prog, "register": reg, "passport": passport, "results": res,
            "diagnostics": diag, "region": region, "survey": survey}


def test_no_indicator_without_a_stated_target_is_graded():
    cat = ind.load_catalogue()
    r = ind.compute_indicators(cat, _all_tables())
    graded = r[r["achievement"].isin(["achieved", "partly achieved", "not achieved"])]
    # graded: exactly the rows of a year for which the text states a target and data exist
    stated = {(i["id"], y) for i in cat.indicators for y in i["targets"]}
    assert set(zip(graded["indicator"], graded["year"].astype(int))) <= stated
    assert graded["target"].notna().all() and graded["degree"].notna().any() | graded.empty
    no_t = r[r["target"].isna()]
    assert no_t["achievement"].isin(["no target", "no data"]).all()
    assert no_t["degree"].isna().all()
    assert (no_t["rule"] == "target not set in the programme text: not graded").all()
    # the computable stated targets are graded in their year (Smolensk 2018, Minusinsk 2022)
    computable = {(i["id"], y) for i in cat.indicators for y in i["targets"]
                  if i["kind"] not in ("qualitative", "not_computable")}
    assert set(zip(graded["indicator"], graded["year"].astype(int))) == computable
    assert graded["rule"].str.contains("no partial achievement").all()
    assert not (graded["achievement"] == "partly achieved").any()
    # the table for readers shows «не установлено» for a target the text does not state
    t = ind.achievement_table(r)
    assert set(t.loc[r["target"].isna().to_numpy(), "Целевое значение"]) == {"не установлено"}


def test_four_group_shares_sum_to_one_hundred():
    t = _all_tables()
    r = ind.compute_indicators("four_groups", t)
    g = r[r["indicator"].str.startswith("group_")]
    tot = g.groupby("year")["est"].sum()
    np.testing.assert_allclose(tot.to_numpy(float), 100.0, rtol=0, atol=1e-9)
    reg = t["register"]
    exp = 100 * (reg["low_results"] & reg["unfavourable_context"]).groupby(reg["year"]).mean()
    got = g[g["indicator"] == "group_low_results_low_context"].set_index("year")["est"]
    np.testing.assert_allclose(got.loc[exp.index].to_numpy(float), exp.to_numpy(), rtol=1e-12)


# -- the demo study through the pipeline ------------------------------------------------------

def test_demo_run_writes_catalogue_results_and_action_plan(demo_run):
    from shnro_research.io import read_table
    from shnro_research.pipeline import stage_dir
    study, _ = demo_run
    d = stage_dir(study, "dynamics")
    r = pd.read_parquet(d / "indicators.parquet")
    cat = ind.load_catalogue()
    assert set(r["indicator"]) == set(cat.ids)
    # the register's shares (models stage) are computed in every year; four groups sum to 100
    reg = pd.read_parquet(stage_dir(study, "models") / "register.parquet")
    low = r[r["indicator"] == "smolensk_04_1"].set_index("year")["est"]
    flag = reg["low_results"].astype("float")
    exp = 100 * flag.groupby(reg["year"]).mean()
    np.testing.assert_allclose(low.loc[exp.index].to_numpy(float), exp.to_numpy(), rtol=1e-12)
    groups = r[r["indicator"].str.startswith("group_")].groupby("year")["est"].sum()
    np.testing.assert_allclose(groups.to_numpy(float), 100.0, atol=1e-9)
    # Minusinsk's levels over the low-result schools of the register
    m10 = r[(r["indicator"] == "minusinsk_10") & r["est"].notna()]
    assert len(m10) and (m10["n"] <= (reg.groupby("year")["low_results"].sum().max())).all()
    # only a stated target is graded
    assert r.loc[r["target"].isna(), "achievement"].isin(["no target", "no data"]).all()
    # the qualitative results and the action plan carry the statuses of the raw files, which
    # pass their forms' validation (the -9 «нет сведений» codes are logged, nothing else)
    from shnro_research.responses import validate_table
    for name, table in (("programme_results", "results"), ("action_plan", "action_plan")):
        raw = read_table(study.tables[name].file).data
        val = validate_table(raw, name, file=f"{name}.csv")
        assert set(val.problems["problem"]) <= {"missing_code"} and len(val.exclusions) == 0
        assert (d / f"{name}_row_counts.parquet").exists()
        out = pd.read_parquet(d / f"{name}.parquet")
        assert out["year"].notna().all()
        m = out.merge(raw.assign(item=raw["item"].astype(str)),
                      left_on=["programme", "number", "year"],
                      right_on=["programme", "item", "year"], suffixes=("", "_raw"))
        assert len(m) == len(raw)
        ok = m["status_raw"] >= 0
        assert (m.loc[ok, "status"].astype(int) == m.loc[ok, "status_raw"]).all()
        assert m.loc[~ok, "status"].isna().all()
        s = pd.read_parquet(d / "programme_status_summary.parquet")
        s = s[s["table"] == table]
        assert s["n"].sum() == len(out)
        np.testing.assert_allclose(s.groupby(["programme", "year"])["share"].sum(), 1.0)
    plan = pd.read_parquet(d / "action_plan.parquet")
    bad = plan[plan["status"].isin([2, 3])]
    assert len(bad) and (bad["reason"] != "").all()
    cat_tab = pd.read_parquet(d / "indicator_catalogue.parquet")
    assert (cat_tab.loc[cat_tab["targets"] == "не установлено", "target_text"] == "не установлено").all()


@pytest.mark.parametrize("name", ["programme_results", "action_plan", "programme_data", "diagnostics"])
def test_forms_of_the_tables_the_catalogues_read(name, tmp_path):
    """Printable form, SPSS codebook and Excel entry template of every table a catalogue reads."""
    from shnro_research.forms import write_forms
    from shnro_research.instruments import load_instrument
    inst = load_instrument(name)
    assert inst.columns and inst.id_columns
    paths = write_forms([name], tmp_path, lang="ru")
    assert {p.suffix for p in paths} == {".html", ".docx", ".sav", ".xlsx"}
    assert all(p.stat().st_size > 0 for p in paths)


def test_status_tables_are_validated_and_checked(tmp_path):
    from shnro_research.responses import validate_table
    ok = pd.DataFrame({"programme": ["minusinsk", "minusinsk"], "item": ["1", "ОКР 2"],
                       "year": [2023, 2023], "status": [4, -9], "evidence": ["приказ", ""],
                       "date": ["2023-06-30", ""]})
    res = validate_table(ok, "programme_results", file="programme_results.csv")
    assert len(res.exclusions) == 0
    bad = ok.assign(status=[4, 12])
    res = validate_table(bad, "programme_results", file="programme_results.csv")
    assert (res.problems["column"] == "status").any()
    # an item the catalogue does not have, and items read as decimals, are errors
    from shnro_research.errors import DataError
    with pytest.raises(DataError, match="not an item of the catalogue"):
        ind.result_status_table("minusinsk", ok.assign(item=["99", "1"]))
    with pytest.raises(DataError, match="read as decimal numbers"):
        ind.action_plan_table("smolensk", pd.DataFrame({"programme": ["smolensk"], "item": [2.1],
                                                        "year": [2018], "status": [1]}))
    t = ind.result_status_table("minusinsk", ok)
    assert len(t) == len(cats_items := [r for r in ind.load_catalogue("minusinsk").results]) + \
        sum(i["kind"] == "qualitative" for i in ind.load_catalogue("minusinsk").indicators)
    row = t[t["number"] == "1"].iloc[0]
    assert row["status"] == 4 and row["status_ru"] == "реализуется" and row["evidence"] == "приказ"
    assert (t.loc[t["number"] != "1", "status_ru"] == "нет сведений").all()
    assert len(cats_items) == 6


def test_cli_indicators_with_one_programme_and_the_register(tmp_path):
    import argparse
    from shnro_research.cli import indicators as cli_indicators
    t = _all_tables()
    paths = {}
    for k in ("programme_data", "register", "passport"):
        paths[k] = tmp_path / f"{k}.csv"
        t[k].to_csv(paths[k], index=False)
    parser = argparse.ArgumentParser()
    cli_indicators.add_arguments(parser)
    args = parser.parse_args(["--catalogue", "minusinsk", "--programme-data",
                              str(paths["programme_data"]), "--register", str(paths["register"]),
                              "--passport", str(paths["passport"]), "--out", str(tmp_path / "o"),
                              "--no-figure"])
    assert cli_indicators.run(args) == 0
    out = pd.read_csv(tmp_path / "o" / "indicators.csv")
    assert set(out["programme"]) == {"minusinsk"}
    m10 = out[out["indicator"] == "minusinsk_10"]
    assert m10["est"].notna().all() and len(m10) == 3
    r4 = out[out["indicator"] == "minusinsk_result_4"].set_index("year")["achievement"]
    assert r4[2022] in ("achieved", "not achieved") and (r4.drop(2022) == "no target").all()


def test_against_r():
    """tests/reference/indicators.R (base R, the data written out in the script)."""
    import json
    ref = json.loads((Path(__file__).parent / "reference" / "indicators.json").read_text())
    school = np.repeat(list("ABCDEF"), 3)
    year = np.tile([2021, 2022, 2023], 6)
    prog = pd.DataFrame({
        "school_id": school, "year": year,
        "n_students": [100, 110, 120, 200, 200, 210, 300, 290, 280, 150, 160, 170, 250, 240, 230,
                       90, 95, 100],
        "n_iom": [10, 20, 30, 5, 15, 25, 30, 20, 60, 0, 8, 17, 25, 24, 46, 9, 19, 30],
        "fail_pct": [8, 6, 5, 4, 5, 3, 10, 9, 9, 6, 6, 4, 2, 3, 2, 7, 5, 6]})
    low = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, np.nan, 1]
    unf = [1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 1]
    reg = pd.DataFrame({"school_id": school, "year": year,
                        "low_results": pd.array([None if v != v else bool(v) for v in low],
                                                dtype="boolean"),
                        "unfavourable_context": np.array(unf, bool)})
    sel = {"source": "register", "column": "low_results", "values": [1]}
    common = {"wording": "«x»", "unit": "%", "better": "higher", "name": {"ru": "x", "en": "x"},
              "base": {"numerator": "a", "denominator": "b", "text": "от общего числа"}}
    cat = ind.load_catalogue({"programme": {"id": "r"}, "indicators": [
        dict(common, id="iom", number="1", kind="share", source="programme_data",
             params={"numerator": "n_iom", "denominator": "n_students", "schools": dict(sel, at="year")},
             targets={2023: 30}, target_text="«30 %»"),
        dict(common, id="fell", number="2", kind="share_of_schools_with_change",
             source="programme_data", params={"column": "fail_pct", "direction": "decrease",
                                              "schools": dict(sel, at="base")}),
        dict(common, id="both", number="3", kind="share_of_schools", source="register",
             params={"where": {"low_results": [1], "unfavourable_context": [1]}})]})
    r = ind.compute_indicators(cat, {"programme_data": prog, "register": reg}) \
        .set_index(["indicator", "year"])
    np.testing.assert_allclose(r.loc["iom", "est"].loc[[2021, 2022, 2023]], ref["iom_share"],
                               rtol=1e-12, atol=0)
    np.testing.assert_allclose(r.loc["fell", "est"].loc[[2022, 2023]], ref["fail_fell"],
                               rtol=1e-12, atol=0)
    assert r.loc["fell", "n"].loc[[2022, 2023]].tolist() == ref["fail_fell_n"]
    np.testing.assert_allclose(r.loc["both", "est"].loc[[2021, 2022, 2023]],
                               ref["low_and_unfavourable"], rtol=1e-12, atol=0)
    assert r.loc["both", "n"].loc[[2021, 2022, 2023]].tolist() == ref["low_and_unfavourable_n"]
    np.testing.assert_allclose(r.loc[("iom", 2023), "degree"], ref["iom_degree_2023"],
                               rtol=1e-12, atol=0)
    assert (r.loc[("iom", 2023), "achievement"] == "achieved") == ref["iom_achieved_2023"]
