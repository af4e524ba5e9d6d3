"""Every input table other than the responses (school passport, results, programme data,
diagnostics, regional values, sampling frame) is validated against its instrument: planted
«нет данных» codes, out-of-range shares, duplicate and missing keys, text in numeric columns and
unknown columns each give a logged problem naming file, row, column and value, or a clear
error; raw rows = clean rows + excluded rows; the demo study's results are unchanged."""
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from shnro_research.errors import DataError
from shnro_research.forms import write_forms
from shnro_research.instruments import load_instrument
from shnro_research.io import read_table
from shnro_research.pipeline import load_study, run_study, stage_dir
from shnro_research.responses import validate_table
from shnro_research.responses.tables import PROBLEM_COLUMNS, frame_options

NEW = ("programme_data", "diagnostics", "region", "sample_frame")


def _passport():
    return pd.DataFrame({
        "school_id": ["S01", "S01", "S02", "S03", "S03", None],
        "year": [2022, 2023, 2022, 2022, 2022, 2022],
        "location": [1, 2, 3, 1, 1, 2],
        "n_students": [500, 510, 120, 300, 300, 200],
        "low_income_pct": [12.0, -9, 250.0, 10.0, 11.0, 5.0],
        "single_parent_pct": ["14,5", "abc", 20, 15, 15, 12],
        "director_phone": ["+7 900", "", "", "", "", ""],
    })


def _check_accounting(res, n):
    assert len(res.clean) + len(res.exclusions) == n == res.n_raw
    c = res.counts.iloc[0]
    assert c.raw_rows == n and c.clean_rows + c.excluded_rows == n
    assert list(res.problems.columns) == PROBLEM_COLUMNS


def _one(problems, **where):
    m = np.ones(len(problems), dtype=bool)
    for k, v in where.items():
        m &= (problems[k] == v).to_numpy()
    assert m.sum() == 1, (where, problems)
    return problems[m].iloc[0]


def test_passport_planted_problems_are_logged_and_kept_out_of_the_numbers():
    df = _passport()
    res = validate_table(df, "school_passport", file="raw/school_passport.xlsx")
    _check_accounting(res, len(df))
    p = res.problems
    assert (p["file"] == "school_passport.xlsx").all()
    # «нет данных» −9: missing, logged with its row, column and value
    r = _one(p, problem="missing_code")
    assert (r["row"], r["column"], r["value"], r["action"]) == (2, "low_income_pct", "-9",
                                                                 "set to missing")
    assert "-9" in r["expected"] and "100" in r["expected"]
    assert res.missing_codes.set_index("column").loc["low_income_pct", "n"] == 1
    # a share of 250 % is out of range: missing, logged
    r = _one(p, problem="out_of_range")
    assert (r["row"], r["column"], r["value"]) == (3, "low_income_pct", "250")
    assert "0" in r["expected"] and "100" in r["expected"]
    # text in a numeric column; a decimal comma is a number
    r = _one(p, problem="not_a_number")
    assert (r["row"], r["column"], r["value"]) == (2, "single_parent_pct", "abc")
    # duplicate school-year: every copy excluded, with its key
    d = p[p.problem == "duplicate_key"]
    assert list(d["row"]) == [4, 5] and set(d["value"]) == {"S03/2022"}
    assert set(d["action"]) == {"row excluded"}
    # a row without a school id is excluded
    r = _one(p, problem="missing_key")
    assert (r["row"], r["column"]) == (6, "school_id")
    # an unknown column is logged (no row) and kept as read
    r = _one(p, problem="column_not_in_instrument")
    assert r["column"] == "director_phone" and pd.isna(r["row"])
    # instrument columns the file lacks are logged too
    assert "n_classes" in set(p.loc[p.problem == "missing_column", "column"])
    # the clean table: excluded rows out, problems as NaN, nothing else changed
    assert sorted(res.exclusions["row"]) == [4, 5, 6]
    assert set(res.exclusions["reason"]) == {"duplicate_key", "missing_key"}
    clean = res.clean.set_index(["school_id", "year"])
    assert np.isnan(clean.loc[("S01", 2023), "low_income_pct"])
    assert np.isnan(clean.loc[("S02", 2022), "low_income_pct"])
    assert np.isnan(clean.loc[("S01", 2023), "single_parent_pct"])
    assert clean.loc[("S01", 2022), "single_parent_pct"] == 14.5
    assert clean.loc[("S01", 2022), "low_income_pct"] == 12.0
    assert "director_phone" in res.clean.columns
    assert res.clean["n_students"].dtype == df["n_students"].dtype   # untouched column


def test_missing_key_column_is_an_error_naming_file_and_column():
    df = _passport().drop(columns="year")
    with pytest.raises(DataError, match=r"school_passport\.xlsx.*'year'"):
        validate_table(df, "school_passport", file="school_passport.xlsx")


def test_results_planted_problems():
    df = pd.DataFrame({
        "school_id": ["S01", "S01", "S01", "S02", "S02"],
        "year": [2022, 2022, 2022, 2022, "2022 г."],
        "procedure": [1, 1, 7, "ОГЭ", 2],
        "subject": [1, 1, 2, 2, 2],
        "grade": [5, 5, 5, 9, 9],
        "n_participants": [25, 25, 30, 12, 12],
        "mean_score": [61.0, 62.0, 55.0, -9, 50.0],
        "below_min_pct": [4.0, 4.0, 250.0, 5.0, 5.0],
        "high_pct": [20.0, 21.0, "много", 10.0, 10.0],
    })
    res = validate_table(df, "results", file="results.csv")
    _check_accounting(res, len(df))
    p = res.problems
    assert list(p.loc[p.problem == "duplicate_key", "row"]) == [1, 2]
    r = _one(p, problem="invalid_key", column="procedure")
    assert (r["row"], r["value"]) == (3, "7")
    r = _one(p, problem="invalid_key", column="year")
    assert (r["row"], r["value"]) == (5, "2022 г.")
    r = _one(p, problem="missing_code")
    assert (r["row"], r["column"], r["value"]) == (4, "mean_score", "-9")
    r = _one(p, problem="out_of_range")
    assert (r["row"], r["column"], r["value"]) == (3, "below_min_pct", "250")
    r = _one(p, problem="not_a_number")
    assert (r["row"], r["column"], r["value"]) == (3, "high_pct", "много")
    # a procedure given by its label is a valid key; its −9 mean score is NaN, not a number
    assert list(res.clean["school_id"]) == ["S02"]
    assert res.clean["year"].tolist() == [2022] and str(res.clean["year"].dtype) == "Int64"
    assert np.isnan(res.clean["mean_score"].iloc[0])


def test_programme_data_planted_problems():
    df = pd.DataFrame({"school_id": ["S01", "S01", "S02", "S03"],
                       "year": [2022, 2022, 2022, np.nan],
                       "n_students": [500, 500, 200, 100], "n_iom": [20, 21, "двадцать", 5],
                       "missed_lessons": [1000, 1000, -9, 50],
                       "fail_pct": [3.0, 3.0, 250.0, 2.0], "extra": [1, 2, 3, 4]})
    res = validate_table(df, "programme_data", file="programme_data.xlsx")
    _check_accounting(res, len(df))
    p = res.problems
    assert set(p.loc[p.problem == "duplicate_key", "row"]) == {1, 2}
    assert _one(p, problem="missing_key")["row"] == 4
    assert _one(p, problem="missing_code")["column"] == "missed_lessons"
    assert _one(p, problem="out_of_range")["value"] == "250"
    assert _one(p, problem="not_a_number")["value"] == "двадцать"
    assert _one(p, problem="column_not_in_instrument")["column"] == "extra"
    clean = res.clean.iloc[0]
    assert clean["school_id"] == "S02" and np.isnan(clean["missed_lessons"])
    assert np.isnan(clean["fail_pct"]) and np.isnan(clean["n_iom"])


def test_sampling_frame_planted_problems():
    df = pd.DataFrame({
        "wave": [2022] * 6, "unit": ["class", "class", "teachers", "class", "pupils", None],
        "stratum": ["city"] * 6, "school_id": ["S01", "S01", "S01", "S02", "S02", "S03"],
        "class_id": ["S01-C1", "S01-C1", None, None, "S02-C1", "S03-C1"],
        "grade": [8, 8, np.nan, 9, 9, 9], "p_school": [0.5, 0.5, 0.5, 1.5, 0.5, 0.5],
        "sampled": [1, 1, 1, 1, 3, 1], "weight": [4.0, 4.0, "x", -9, 2.0, 1.0],
    })
    res = validate_table(df, "sample_frame", file="sample_frame.csv", **frame_options())
    _check_accounting(res, len(df))
    p = res.problems
    assert list(p.loc[p.problem == "duplicate_key", "row"]) == [1, 2]
    assert _one(p, problem="class_without_id")["row"] == 4
    assert list(p.loc[p.problem == "unknown_unit", "row"]) == [5, 6]
    assert _one(p, problem="invalid_code", column="sampled")["value"] == "3"
    assert _one(p, problem="out_of_range", column="p_school")["value"] == "1.5"
    assert _one(p, problem="not_a_number", column="weight")["value"] == "x"
    assert _one(p, problem="out_of_range", column="weight")["value"] == "-9"  # no missing code
    assert list(res.clean["unit"]) == ["teachers"]        # the teachers row has no class id
    assert np.isnan(res.clean["weight"].iloc[0])


def test_diagnostics_and_region_are_checked():
    diag = pd.DataFrame({"school_id": ["S01", "S01"], "year": [2022, 2022],
                         "work": ["reading", "reading"], "grade": [4, 3],
                         "n_participants": [20, 20], "mean_score": [101, -9]})
    res = validate_table(diag, "diagnostics", file="diagnostics.csv")
    _check_accounting(res, 2)
    assert _one(res.problems, problem="invalid_key")["column"] == "grade"
    assert _one(res.problems, problem="out_of_range")["value"] == "101"
    region = pd.DataFrame({"year": [2022, 2022], "procedure": [1, 1], "subject": [1, 1],
                           "below_min_pct": [5, 6], "high_pct": [20, 20], "mean_score": [60, 61]})
    res = validate_table(region, "region", file="region.csv")
    _check_accounting(res, 2)
    assert len(res.clean) == 0 and set(res.exclusions["reason"]) == {"duplicate_key"}


def test_rows_carry_the_files_own_line(tmp_path):
    p = tmp_path / "results.csv"
    p.write_text("school_id,year,procedure,subject,grade,n_participants,mean_score,"
                 "below_min_pct,high_pct\nS01,2022,1,1,5,20,60,5,20\n\nS02,2022,1,1,5,20,60,"
                 "250,20\n", encoding="utf-8")
    res = validate_table(read_table(p), "results")
    r = _one(res.problems, problem="out_of_range")
    assert r["row"] == 2 and r["file"] == "results.csv"
    if read_table(p).report.lines is not None:   # the reader records each row's file line
        assert r["line"] == 4


@pytest.mark.parametrize("name", NEW)
def test_new_instruments_load_and_give_forms(name, tmp_path):
    ins = load_instrument(name)
    assert ins.id == name
    paths = write_forms([name], tmp_path, lang="ru")
    assert {p.suffix for p in paths} == {".html", ".docx", ".sav", ".xlsx"}
    assert all(p.stat().st_size > 0 for p in paths)


@pytest.mark.parametrize("kind, name", [("programme_data", "programme_data"),
                                        ("diagnostics", "diagnostics"), ("region", "region"),
                                        ("frame", "sample_frame"), ("passport", "school_passport"),
                                        ("results", "results")])
def test_demo_tables_have_every_column_in_their_instrument(demo_run, kind, name):
    study, _ = demo_run
    f = study.tables[kind] if kind in study.tables else getattr(study, kind)
    res = validate_table(read_table(f.file), name, **(frame_options() if kind == "frame" else {}))
    p = res.problems
    allowed = {"passport": {("column_not_in_instrument", "in_programme")},  # DEMO_TRUTH § 12
               "programme_data": {("missing_code", "missed_lessons")}}.get(kind, set())
    assert set(zip(p["problem"], p["column"])) == allowed
    assert len(res.exclusions) == 0


# -- the pipeline ----------------------------------------------------------------------------

def test_demo_run_writes_the_input_logs_and_keeps_its_results(demo_run):
    study, _ = demo_run
    for stage, kinds in (("responses", ["frame"]), ("design", ["frame"]),
                         ("context", ["passport"]), ("models", ["results"]),
                         ("dynamics", ["results", "passport", "programme_data", "diagnostics",
                                       "region"])):
        folder = stage_dir(study, stage)
        for kind in kinds:
            for part in ("problems", "exclusions", "missing_codes", "row_counts"):
                assert (folder / f"{kind}_{part}.parquet").exists(), (stage, kind, part)
            counts = pd.read_parquet(folder / f"{kind}_row_counts.parquet")
            assert (counts.raw_rows == counts.clean_rows + counts.excluded_rows).all()
            assert (counts.excluded_rows == 0).all()
    # the demo's one planted «нет данных» is logged, and excluded by the indicators as before
    p = pd.read_parquet(stage_dir(study, "dynamics") / "programme_data_problems.parquet")
    r = _one(p, problem="missing_code")
    assert (r["column"], r["key"], r["value"]) == ("missed_lessons", "S27/2023", "-9")
    # the passport the context stage used is the raw one: the index is computed from it
    idx = pd.read_parquet(stage_dir(study, "context") / "wellbeing_index.parquet")
    raw = read_table(study.passport.file).data
    used = pd.read_parquet(stage_dir(study, "context") / "passport.parquet")
    pd.testing.assert_frame_equal(used.reset_index(drop=True), raw, check_dtype=True)
    assert idx["est"].notna().all() and len(idx) == len(raw)


@pytest.fixture()
def bad_copy(demo_run, tmp_path):
    """A copy of the demo study with planted problems in the passport and the results."""
    study, _ = demo_run
    root = tmp_path / "study"
    shutil.copytree(study.root / "raw", root / "raw")
    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    cfg.pop("truth", None)
    pas = read_table(study.passport.file).data
    pas.loc[0, "low_income_pct"] = -9                       # «нет данных»
    pas.loc[1, "low_income_pct"] = 250.0                    # a share of 250 %
    pas = pd.concat([pas, pas.iloc[[5]]], ignore_index=True)   # a duplicate school-year
    pas.to_csv(root / "raw" / "passport.csv", index=False)
    cfg["context"]["passport"] = {"file": "raw/passport.csv"}
    res = read_table(study.results.file).data
    res["mean_score"] = res["mean_score"].astype(object)
    res.loc[3, "mean_score"] = "н/д"
    res.to_csv(root / "raw" / "results.csv", index=False)
    (root / "study.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return load_study(root / "study.yaml"), pas


def test_planted_problems_reach_the_stage_logs_not_the_index(bad_copy):
    study, pas = bad_copy
    run_study(study, stages=["context"], progress=False)
    folder = stage_dir(study, "context")
    p = pd.read_parquet(folder / "passport_problems.parquet")
    assert _one(p, problem="missing_code")["row"] == 1
    assert _one(p, problem="out_of_range")["value"] == "250"
    dup = p[p.problem == "duplicate_key"]
    assert len(dup) == 2 and set(dup["row"]) == {6, len(pas)}
    counts = pd.read_parquet(folder / "passport_row_counts.parquet").iloc[0]
    assert (counts.raw_rows, counts.clean_rows, counts.excluded_rows) == (len(pas),
                                                                        len(pas) - 2, 2)
    used = pd.read_parquet(folder / "passport.parquet")
    assert used["low_income_pct"].min() >= 0 and used["low_income_pct"].max() <= 100
    assert used["low_income_pct"].isna().sum() == 2
    idx = pd.read_parquet(folder / "wellbeing_index.parquet")
    assert not idx.duplicated(["school_id", "year"]).any()
    assert (folder / "passport_problems.csv").exists()


def test_missing_key_column_stops_the_stage_with_file_and_column(bad_copy):
    study, pas = bad_copy
    pas.drop(columns="school_id").to_csv(study.passport.file, index=False)
    with pytest.raises(DataError, match=r"passport\.csv.*school_id"):
        run_study(study, stages=["context"], progress=False)


def test_a_table_with_no_valid_row_stops_the_stage_with_a_clear_error(bad_copy):
    study, pas = bad_copy
    pas.assign(year="2022 г.").to_csv(study.passport.file, index=False)
    with pytest.raises(DataError, match=r"passport\.csv: every row .* excluded.*'year'.*2022 г"):
        run_study(study, stages=["context"], progress=False)


def test_stage_key_covers_the_instrument_of_what_it_reads(demo_run):
    from shnro_research.pipeline._base import declared_files
    from shnro_research.pipeline.registry import get_stage
    study, _ = demo_run
    files = declared_files(study, get_stage("dynamics"))
    for label in ("passport:instrument", "results:instrument",
                  "table:programme_data:instrument", "table:diagnostics:instrument",
                  "table:region:instrument"):
        assert label in files and files[label][0].exists()
    assert files["table:region:instrument"][0].name == "region.yaml"
    assert declared_files(study, get_stage("design"))["frame:instrument"][0].name == \
        "sample_frame.yaml"


def test_frame_with_renamed_columns_is_matched_through_the_design_block(demo_run, tmp_path):
    study, _ = demo_run
    root = tmp_path / "study"
    shutil.copytree(study.root / "raw", root / "raw")
    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    cfg.pop("truth", None)
    frame = read_table(study.frame.file).data.rename(columns={"school_id": "school",
                                                              "stratum": "strat"})
    frame.loc[2, "p_school"] = 2.5
    frame.to_csv(root / "raw" / "sample_frame.csv", index=False)
    cfg["design"].update(school="school", strata="strat")
    (root / "study.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    s = load_study(root / "study.yaml")
    run_study(s, stages=["responses"], progress=False)
    p = pd.read_parquet(stage_dir(s, "responses") / "frame_problems.parquet")
    assert set(p["problem"]) == {"out_of_range"}
    r = _one(p, problem="out_of_range")
    assert (r["row"], r["column"], r["value"]) == (3, "p_school", "2.5")
    counts = pd.read_parquet(stage_dir(s, "responses") / "row_counts.parquet")
    before = pd.read_parquet(stage_dir(study, "responses") / "row_counts.parquet")
    pd.testing.assert_frame_equal(counts, before)      # same respondents matched to the sample
