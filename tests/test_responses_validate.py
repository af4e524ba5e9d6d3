"""Validation of responses: planted problems, rules, checks, report files, CLI."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_research._checks import DataError, ParameterError
from shnro_research.instruments import load_instrument, parse_instrument
from shnro_research.responses import (ACTION_EXCLUDED, ACTION_FLAGGED, ACTION_MISSING,
                                      ValidationRules,
                                      read_responses, validate_responses,
                                      write_validation_report)

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from make_fixtures import base_frame, planted_problems  # noqa: E402

INST = load_instrument(DATA / "mini_students.yaml")
FRAME = pd.DataFrame({"school_id": [101, 102, 103]})

# (row, column, problem, action) planted by make_fixtures.planted_problems()
PLANTED = [
    (1, "ten_01", "out_of_range", ACTION_MISSING),
    (2, "sex", "invalid_code", ACTION_MISSING),
    (3, "hours", "not_a_number", ACTION_MISSING),
    (4, "hours", "out_of_range", ACTION_MISSING),
    (5, "life_success", "too_many_choices", ACTION_MISSING),
    (6, "rok_term", "rank_ties", ACTION_MISSING),
    (7, "resp_id", "duplicate_id", ACTION_EXCLUDED),
    (8, "resp_id", "duplicate_id", ACTION_EXCLUDED),
    (9, "school_id", "not_in_sample", ACTION_EXCLUDED),
    (10, "ten_01..ten_05", "straightlining", ACTION_FLAGGED),
    (11, "*", "too_few_answers", ACTION_EXCLUDED),
    (12, "grade", "outside_population", ACTION_EXCLUDED),
    (13, "ten_02", "not_a_code", ACTION_MISSING),
    (14, "rok_term", "rank_incomplete", ACTION_MISSING),
    (15, "resp_id", "missing_id", ACTION_EXCLUDED),
]


def counts_add_up(res, n):
    assert res.n_raw == n
    assert len(res.clean) + len(res.exclusions) == n
    assert res.exclusions["row"].is_unique
    assert res.exclusions["row"].between(1, n).all()
    assert not set(res.clean.index) & set(res.exclusions["row"] - 1)


@pytest.fixture(scope="module")
def planted():
    raw = read_responses(DATA / "planted_problems.csv", INST)
    before = raw.data.copy(deep=True)
    res = validate_responses(raw, INST, sample=FRAME)
    pd.testing.assert_frame_equal(raw.data, before)          # raw data untouched
    return raw, res


def test_planted_file_lists_every_problem(planted):
    raw, res = planted
    got = list(res.problems[["row", "column", "problem", "action"]].itertuples(index=False,
                                                                               name=None))
    assert sorted(got) == sorted(PLANTED)
    assert list(res.problems.columns) == ["row", "resp_id", "column", "value", "problem",
                                          "message", "action"]
    p = res.problems.set_index(["row", "problem"])
    assert p.loc[(3, "not_a_number"), "value"] == "много"
    assert p.loc[(4, "out_of_range"), "value"] == "250"
    assert p.loc[(6, "rank_ties"), "value"] == "1,1,2"
    assert p.loc[(13, "not_a_code"), "value"] == "2.5"
    assert p.loc[(1, "out_of_range"), "message"] == "значение вне допустимого диапазона"


def test_planted_counts_and_exclusions(planted):
    raw, res = planted
    counts_add_up(res, len(raw.data))
    assert len(raw.data) == 24 and len(res.clean) == 18
    ex = res.exclusions.set_index("row")
    assert ex.loc[7, "reason"] == ex.loc[8, "reason"] == "duplicate_id"
    assert ex.loc[9, "reason"] == "not_in_sample"
    assert ex.loc[15, "reason"] == "missing_id"
    assert sorted(ex.index) == [7, 8, 9, 11, 12, 15]
    assert {"resp_id", "school_id", "class_id", "wave", "reason", "reasons",
            "message"} <= set(res.exclusions.columns)


def test_planted_clean_values(planted):
    raw, res = planted
    c = res.clean
    row = c.index                                    # raw index of kept rows
    assert 9 in row and 6 not in row                 # straightliner kept; duplicate removed
    assert np.isnan(c.loc[0, "ten_01"])              # out of range -> NaN
    assert np.isnan(c.loc[2, "hours"]) and np.isnan(c.loc[3, "hours"])
    assert c.loc[4, [f"life_success_0{k}" for k in range(1, 5)]].isna().all()
    assert c.loc[5, ["rok_term_01", "rok_term_02", "rok_term_03"]].isna().all()
    assert c.loc[13, ["rok_term_01", "rok_term_02", "rok_term_03"]].isna().all()
    assert np.isnan(c.loc[12, "ten_02"])
    # declared missing code 9 («затрудняюсь ответить») -> NaN, counted, not a problem
    assert raw.data.loc[[2, 7], "ten_03"].tolist() == [9, 9]
    assert np.isnan(c.loc[2, "ten_03"])              # (row 8 is an excluded duplicate)
    mc = res.missing_codes
    assert mc.to_dict("records") == [{"column": "ten_03", "code": 9,
                                      "label": "затрудняюсь ответить", "n": 2}]
    # untouched answers stay as they were
    ok = raw.data.loc[c.index, "ten_04"].astype(float).to_numpy()
    np.testing.assert_array_equal(c["ten_04"].to_numpy(), ok)
    assert c["comment"].iloc[0] == "Мне нравится школа"


def test_summary_and_text(planted):
    _, res = planted
    s = res.summary()
    assert list(s.columns) == ["section", "key", "detail", "n"]
    rows = s.set_index(["section", "key"])["n"]
    assert rows[("rows", "raw")] == 24 and rows[("rows", "clean")] == 18
    assert rows[("rows", "excluded")] == 6
    assert rows[("exclusions", "duplicate_id")] == 2
    assert rows[("missing_codes", "ten_03")] == 2
    assert s.loc[s.section == "problems", "n"].sum() == len(res.problems)
    t = res.text()
    assert "строк 24" in t and "исключено 6" in t
    en = validate_responses(planted[0], INST, sample=FRAME, lang="en")
    assert "24 rows" in en.text()
    assert "value outside the declared range" in set(en.problems["message"])


def test_write_validation_report(planted, tmp_path):
    _, res = planted
    paths = write_validation_report(res, tmp_path / "out")
    assert set(paths) == {"problems", "exclusions", "summary", "missing_codes"}
    raw = paths["problems"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                      # BOM for Excel
    back = pd.read_csv(paths["problems"], encoding="utf-8-sig")
    assert len(back) == len(res.problems) and "много" in set(back["value"].astype(str))
    with pytest.raises(ParameterError):
        write_validation_report("nope", tmp_path)


def test_rules_keep_first_and_exclude_straightliners():
    df = planted_problems()
    res = validate_responses(df, INST, rules=ValidationRules(duplicates="keep_first",
                                                              straightlining="exclude"))
    ex = res.exclusions.set_index("row")
    assert 7 not in ex.index and ex.loc[8, "reason"] == "duplicate_id"
    assert ex.loc[10, "reason"] == "straightlining"
    assert 9 not in ex.index                          # no sample frame given
    counts_add_up(res, len(df))
    off = validate_responses(df, INST, rules={"straightlining": "off"})
    assert "straightlining" not in set(off.problems["problem"])


def test_min_answered_rule():
    df = base_frame()
    cols = ["sex", "grade", "ten_01", "ten_02", "ten_03", "ten_04", "ten_05", "hours"]
    df.loc[0, cols] = np.nan                           # 2 of 10 non-text items left
    df.loc[1, cols[:4]] = np.nan                       # 6 of 10 left
    res = validate_responses(df, INST)
    assert res.exclusions["row"].tolist() == [1]
    res = validate_responses(df, INST, rules={"min_answered": 0.7})
    assert res.exclusions["row"].tolist() == [1, 2]
    res = validate_responses(df, INST, rules={"min_answered": 0.0})
    assert len(res.exclusions) == 0


def test_sample_with_class_and_text_ids():
    df = base_frame()
    frame = pd.DataFrame({"school_id": ["101", "101", "102", "103", "103"],
                          "class_id": [1, 2, 1, 1, 2]})       # school 102 class 2 not sampled
    res = validate_responses(df, INST, sample=frame)
    bad = (df["school_id"] == 102) & (df["class_id"] == 2)
    assert sorted(res.exclusions["row"]) == list(np.flatnonzero(bad) + 1)
    assert set(res.problems.loc[res.problems.problem == "not_in_sample", "value"]) == {"102/2"}
    with pytest.raises(ParameterError, match="school_id"):
        validate_responses(df, INST, sample=pd.DataFrame({"school": [1]}))


def test_duplicates_within_wave_only():
    df = pd.concat([base_frame(), base_frame().assign(wave=2022.0)], ignore_index=True)
    res = validate_responses(df, INST)                    # same ids in two waves: a panel
    assert "duplicate_id" not in set(res.problems["problem"])
    df.loc[len(df) - 1, "wave"] = 2021.0
    res = validate_responses(df, INST)
    assert (res.problems["problem"] == "duplicate_id").sum() == 2


def test_user_checks_and_experience_age():
    teachers = parse_instrument({
        "instrument": {"id": "mini_teachers", "group": "teachers",
                       "id_columns": ["resp_id", "school_id", "wave"]},
        "sections": [{"id": "about", "items": [
            {"id": "age", "type": "numeric", "text": "Возраст", "min": 18, "max": 90},
            {"id": "experience", "type": "numeric", "text": "Стаж", "min": 0, "max": 60},
            {"id": "time_pct", "type": "numeric", "text": "Доля времени, %", "min": 0,
             "max": 100},
        ]}]})
    df = pd.DataFrame({"resp_id": [1, 2, 3, 4], "school_id": [5, 5, 6, 6], "wave": 2021,
                       "age": [25, 40, 60, 30], "experience": [20, 10, 30, 5],
                       "time_pct": [50, 120, 30, 80]})
    more_than_half = ("much_time", lambda d: d["time_pct"] > 75, "exclude")
    res = validate_responses(df, teachers, rules={"checks": (more_than_half,)})
    p = res.problems
    assert p.loc[p.problem == "experience_exceeds_age", "row"].tolist() == [1]
    assert p.loc[p.problem == "experience_exceeds_age", "action"].tolist() == [ACTION_FLAGGED]
    assert p.loc[p.problem == "out_of_range", "row"].tolist() == [2]       # share > 100
    assert res.exclusions["row"].tolist() == [4] and res.exclusions["reason"][0] == "much_time"
    assert "grade" not in df and len(res.clean) == 3
    with pytest.raises(ParameterError, match="one boolean per row"):
        validate_responses(df, teachers, rules={"checks": (("bad", lambda d: [True]),)})
    with pytest.raises(ParameterError, match="failed"):
        validate_responses(df, teachers, rules={"checks": (("boom", lambda d: d["nope"]),)})


def test_rules_parameters():
    for bad in ({"duplicates": "all"}, {"straightlining": "yes"}, {"min_answered": 2},
                {"straightline_min_items": 1}, {"grades": (11, 8)}, {"checks": ("x",)},
                {"checks": (("x", 1),)}, {"nope": 1}, {"check_action": "drop"}):
        with pytest.raises(ParameterError):
            validate_responses(base_frame(), INST, rules=bad)
    with pytest.raises(ParameterError, match="'rules'"):
        validate_responses(base_frame(), INST, rules=3)
    with pytest.raises(ParameterError, match="'lang'"):
        validate_responses(base_frame(), INST, lang="de")
    with pytest.raises(ParameterError, match="'data'"):
        validate_responses([1, 2], INST)


def test_missing_id_column_and_duplicate_names():
    with pytest.raises(DataError, match="class_id"):
        validate_responses(base_frame().drop(columns="class_id"), INST)
    df = base_frame()
    df["SEX"] = 1
    with pytest.raises(DataError, match="duplicate column names"):
        validate_responses(df, INST)


def test_missing_answer_columns_reported_not_fatal():
    df = base_frame().drop(columns=["hours", "rok_term_02"])
    res = validate_responses(df, INST)
    assert res.missing_columns == ["rok_term_02", "hours"]
    assert len(res.exclusions) == 0                 # rok_term block incomplete -> set to missing
    assert (res.problems["problem"] == "rank_incomplete").sum() == len(df)
    s = res.summary()
    assert set(s.loc[s.section == "columns", "key"]) == {"rok_term_02", "hours"}


def test_clean_is_a_copy_and_input_unchanged():
    df = base_frame()
    before = df.copy(deep=True)
    res = validate_responses(df, INST)
    res.clean.loc[res.clean.index[0], "ten_01"] = -1
    res.clean.loc[res.clean.index[0], "resp_id"] = -1
    pd.testing.assert_frame_equal(df, before)


def test_columns_not_in_the_instrument_are_dropped_and_logged_unless_kept():
    """Issue 16: names or phones in extra columns were copied into the clean files."""
    df = base_frame().assign(extra=list("ab") * 12, **{"Телефон": ["+7 900 000-00-00"] * 24})
    res = validate_responses(df, INST)
    assert res.unknown_columns == ["extra", "Телефон"]
    assert res.dropped_columns == ["extra", "Телефон"]
    assert "extra" not in res.clean and "Телефон" not in res.clean
    col = res.problems[res.problems["problem"] == "column_not_in_instrument"]
    assert col["column"].tolist() == ["extra", "Телефон"]
    assert col["row"].isna().all() and (col["action"] == "column dropped").all()
    assert (col["value"] == "").all()                   # the values themselves are not copied
    assert not res.problems["value"].astype(str).str.contains("900").any()
    assert str(res.problems["row"].dtype) == "Int64"
    assert str(res.clean["resp_id"].dtype) == "Int64"
    assert res.clean["ten_01"].dtype == float
    kept = validate_responses(df, INST, rules={"keep_columns": ["EXTRA"]})
    assert kept.clean["extra"].tolist() == df["extra"].tolist()
    assert kept.dropped_columns == ["Телефон"] and "Телефон" not in kept.clean
    summ = kept.summary().query("section == 'columns'")
    assert summ["detail"].str.contains("keep_columns").sum() == 1
    with pytest.raises(ParameterError, match="keep_columns"):
        validate_responses(df, INST, rules={"keep_columns": "extra"})


def test_ranking_kinds():
    df = base_frame().iloc[:5].copy()
    cols = ["rok_term_01", "rok_term_02", "rok_term_03"]
    df.loc[0, cols] = [1, 2, 4]            # out of range
    df.loc[1, cols] = [1, 2, 2.5]          # not whole
    df.loc[2, cols] = [np.nan] * 3         # not answered: no problem
    df.loc[3, cols] = [3, 3, 3]            # ties
    df.loc[4, cols] = [0, 1, 2]            # out of range
    res = validate_responses(df, INST)
    p = res.problems[res.problems.column == "rok_term"]
    assert list(zip(p.row, p.problem)) == [(1, "rank_out_of_range"), (2, "rank_out_of_range"),
                                           (4, "rank_ties"), (5, "rank_out_of_range")]
    assert res.clean[cols].isna().all().all()


def test_multiple_invalid_codes_and_text_numbers():
    df = base_frame().iloc[:4].copy().astype({"life_success_01": object, "ten_01": object})
    df.loc[0, "life_success_01"] = 2                 # not 0/1
    df.loc[1, "ten_01"] = " 3 "                      # text holding a number: accepted
    df.loc[2, "ten_01"] = ""                         # blank text: missing, not a problem
    df.loc[3, "ten_01"] = "4,0"                      # decimal comma: accepted
    res = validate_responses(df, INST)
    p = res.problems
    assert list(zip(p.row, p.column, p.problem)) == [(1, "life_success_01", "invalid_code")]
    np.testing.assert_allclose(res.clean["ten_01"].to_numpy()[[1, 3]], [3.0, 4.0], rtol=0)
    assert np.isnan(res.clean["ten_01"].iloc[2])


def test_cli_validate(tmp_path, capsys):
    import argparse

    from shnro_research.cli.validate import add_arguments as add_validate_arguments
    from shnro_research.cli.validate import run as cli_validate
    parser = argparse.ArgumentParser()
    add_validate_arguments(parser)
    frame = tmp_path / "frame.csv"
    FRAME.to_csv(frame, index=False)
    args = parser.parse_args([str(DATA / "planted_problems.csv"), "--instrument",
                              str(DATA / "mini_students.yaml"), "--sample", str(frame),
                              "--out", str(tmp_path / "out")])
    assert cli_validate(args) == 0
    out = capsys.readouterr().out
    assert "строк 24" in out and "исключено 6" in out
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"clean.parquet", "clean.csv", "problems.csv", "exclusions.csv", "summary.csv",
            "read_report.csv", "missing_codes.csv"} <= files
    clean = pd.read_parquet(tmp_path / "out" / "clean.parquet")
    assert len(clean) == 18 and clean["comment"].iloc[0] == "Мне нравится школа"
    args = parser.parse_args([str(DATA / "students_cp1251.sav"), "--instrument",
                              str(DATA / "mini_students.yaml"), "--encoding", "utf-8",
                              "--out", str(tmp_path / "o2")])
    with pytest.raises(DataError, match="encoding='cp1251'"):
        cli_validate(args)


def test_cli_through_shnro_main(tmp_path, capsys):
    from shnro_research import cli
    code = cli.main(["validate", str(DATA / "empty.csv"), "--instrument",
                     str(DATA / "mini_students.yaml"), "--out", str(tmp_path)])
    assert code == 2
    assert "empty" in capsys.readouterr().err


def test_bundled_students_instrument_smoke():
    from shnro_research.instruments import list_instruments
    if "students" not in list_instruments():
        pytest.skip("surveys/students.yaml not available yet")
    inst = load_instrument("students")
    rng = np.random.default_rng(3)
    n = 300
    d = {"resp_id": np.arange(n), "school_id": rng.integers(1, 4, n),
         "class_id": rng.integers(1, 3, n), "wave": 2021}
    for it in inst.items:
        for c in it.columns:
            if it.type in ("single", "likert"):
                d[c] = rng.choice(sorted(it.codes) + sorted(it.missing), n).astype(float)
            elif it.type == "numeric":
                d[c] = rng.uniform(it.min, it.max, n)
            elif it.type == "multiple":
                d[c] = (rng.random(n) < 0.1).astype(float)
            elif it.type == "ranking":
                d[c] = np.nan
            else:
                d[c] = "текст"
    df = pd.DataFrame(d)
    df.loc[0, "grade"] = 5
    res = validate_responses(df, inst)
    assert len(res.clean) + len(res.exclusions) == n
    assert res.exclusions.loc[res.exclusions.row == 1, "reason"].item() == "outside_population"
    assert not res.missing_columns


def test_clean_frame_keeps_column_order_and_values_in_one_numeric_block(planted):
    """The clean answers are assembled with one copy (validate._kept_frame): the columns in
    the file's order, every kept row's value as validated, the numeric answers in one block."""
    raw, res = planted
    clean = res.clean
    mapped = [c for c in raw.data.columns if c in clean.columns]
    assert list(clean.columns) == mapped
    num = [c for c in clean.columns if clean[c].dtype == np.float64]
    assert len(num) > 10
    blocks = {id(b) for b in clean._mgr.blocks if b.dtype == np.float64}
    assert len(blocks) == 1
    kept = clean.index.to_numpy()
    raw_num = pd.to_numeric(raw.data.loc[kept, "ten_03"], errors="coerce").to_numpy().copy()
    raw_num[np.isin(raw_num, list(INST.item("ten_03").missing))] = np.nan   # declared missing
    np.testing.assert_array_equal(clean["ten_03"].to_numpy(), raw_num)


def test_ranking_and_choice_checks_in_blocks_equal_one_block(monkeypatch):
    """The ranking checks run in blocks of rows (national files): blocks of 2 rows give the
    problems and clean answers of one block."""
    import shnro_research.responses.validate as V
    df = base_frame(40, seed=5)
    cols = ["rok_term_01", "rok_term_02", "rok_term_03"]
    df.loc[1, cols] = [1, 2, 4]            # out of range
    df.loc[2, cols] = [1, 2, 2.5]          # not whole
    df.loc[3, cols] = [np.nan, 1, 2]       # incomplete
    df.loc[5, cols] = [3, 3, 3]            # ties
    df.loc[6, "life_success_01":"life_success_03"] = 1     # choices
    one = validate_responses(df, INST)
    monkeypatch.setattr(V, "_RANK_BLOCK_VALUES", 2 * len(cols))
    blocks = validate_responses(df, INST)
    assert {"rank_out_of_range", "rank_ties", "rank_incomplete", "too_many_choices"} <= set(
        one.problems.problem)
    pd.testing.assert_frame_equal(one.problems, blocks.problems)
    pd.testing.assert_frame_equal(one.clean, blocks.clean)
