"""Stage 2 (responses) on copies of a small demo study: the silent and "cannot finish" cases of
issue 16 — a file's own wave, a renamed item column, columns not in the instrument, the file's
own line numbers, a Google-Forms header with a space — and a school with one respondent in the
design stage."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from shnro_research.errors import DataError
from shnro_research.pipeline import load_study, run_study

WAVE = 2022


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    from shnro_research.demo import generate_demo, write_demo
    folder = tmp_path_factory.mktemp("small_demo")
    write_demo(generate_demo(7, n_schools=15, n_sampled=12, waves=(WAVE,)), folder)
    return folder


@pytest.fixture
def study(demo_folder, tmp_path) -> Path:
    dst = tmp_path / "study"
    shutil.copytree(demo_folder, dst, ignore=shutil.ignore_patterns("output"))
    return dst


def read_parents(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "raw" / f"parents_{WAVE}.csv", sep=";", encoding="cp1251",
                       dtype=str, keep_default_na=False)


def write_parents(folder: Path, df: pd.DataFrame) -> None:
    df.to_csv(folder / "raw" / f"parents_{WAVE}.csv", sep=";", encoding="cp1251", index=False)


def run(folder: Path, stages=("responses",)):
    return run_study(load_study(folder / "study.yaml"), stages=list(stages), progress=False)


def out(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / "output" / "02_responses" / f"{name}.parquet")


def set_config(folder: Path, block: str, values: dict) -> None:
    p = folder / "study.yaml"
    cfg = yaml.safe_load(p.read_text(encoding="utf-8"))
    cfg.setdefault(block, {}).update(values)
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")


def test_a_files_own_other_wave_is_an_error_naming_file_line_value_and_wave(study):
    """Issue 16: a file's wave column was overwritten by the config (one file, two waves)."""
    df = read_parents(study)
    df.loc[4, "wave"] = "2023"
    write_parents(study, df)
    with pytest.raises(DataError, match=rf"parents_{WAVE}\.csv: line 6 has wave 2023 but the "
                                        rf"config lists the file as responses\.parents\.{WAVE}"):
        run(study)


def test_a_renamed_item_column_is_an_error_naming_file_columns_and_close_matches(study):
    """Issue 16: a renamed item column silently shortened a scale for one wave."""
    write_parents(study, read_parents(study).rename(columns={"ten_03": "tem_03"}))
    with pytest.raises(DataError, match=rf"parents_{WAVE}\.csv: 1 answer column\(s\) of "
                                        r"instrument 'parents' missing from the file: ten_03 "
                                        r"\(items of scale\(s\) .*close: 'tem_03'"):
        run(study)


def test_columns_not_in_the_instrument_never_reach_the_clean_files(study):
    """Issue 16: names and phones in extra columns were copied into the clean files."""
    df = read_parents(study)
    df.insert(0, "Отметка времени", "2022-10-01 10:00:00")      # a Google-Forms header
    df["phone"] = "+7 900 123-45-67"
    df = df.rename(columns={"ten_01": " Ten 01 ", "resp_id": "Resp ID"})   # spaces, case
    write_parents(study, df)
    run(study)
    clean = out(study, "parents_clean")
    assert "phone" not in clean and "Отметка времени" not in clean
    assert clean["ten_01"].notna().any()                 # ' Ten 01 ' mapped to ten_01
    import pyreadstat
    sav, _ = pyreadstat.read_sav(str(study / "output" / "02_responses" / "parents_clean.sav"))
    assert "phone" not in sav
    prob = out(study, "problems")
    dropped = prob[prob["problem"] == "column_not_in_instrument"]
    assert sorted(dropped["column"]) == ["phone", "Отметка времени"]
    assert (dropped["action"] == "column dropped").all() and (dropped["file"] ==
                                                               f"parents_{WAVE}.csv").all()
    assert not prob["value"].str.contains("900").any()
    for f in (study / "output" / "02_responses").glob("*.csv"):
        assert "900 123" not in f.read_text(encoding="utf-8-sig")


def test_keep_columns_keeps_named_columns_with_a_valid_sav_name(study):
    df = read_parents(study)
    df.insert(0, "Отметка времени", "2022-10-01 10:00:00")
    write_parents(study, df)
    set_config(study, "validation", {"keep_columns": ["Отметка времени"]})
    run(study)
    assert (out(study, "parents_clean")["Отметка времени"] == "2022-10-01 10:00:00").all()
    import pyreadstat
    sav, _ = pyreadstat.read_sav(str(study / "output" / "02_responses" / "parents_clean.sav"))
    assert "Отметка_времени" in sav


def test_problems_give_the_files_own_lines_after_blank_lines(study):
    """Issue 16: row numbers in problems.csv shifted after blank lines."""
    df = read_parents(study)
    df.loc[9, "ten_02"] = "много"
    p = study / "raw" / f"parents_{WAVE}.csv"
    write_parents(study, df)
    lines = p.read_text(encoding="cp1251").split("\n")
    lines[3:3] = ["", ";" * 0]                     # two blank lines before data row 3
    p.write_bytes("\n".join(lines).encode("cp1251"))
    run(study)
    prob = out(study, "problems")
    hit = prob[(prob["column"] == "ten_02") & (prob["problem"] == "not_a_number")]
    assert hit[["row", "line"]].values.tolist() == [[10, 13]]
    text_line = p.read_text(encoding="cp1251").split("\n")[13 - 1]
    assert "много" in text_line


def test_short_csv_line_stops_the_stage_naming_file_and_line(study):
    p = study / "raw" / f"parents_{WAVE}.csv"
    lines = p.read_bytes().split(b"\n")
    lines[5] = lines[5].rsplit(b";", 3)[0]
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError, match=rf"parents_{WAVE}\.csv: line 6 has \d+ fields but the "
                                        r"header \(line 1\) has \d+"):
        run(study)


def test_school_with_one_respondent_does_not_stop_the_design_stage(study):
    """Issue 16: the per-school design ignored lonely_psu and failed on n = 1."""
    df = read_parents(study)
    school = df["school_id"].value_counts().index[0]
    rows = df.index[df["school_id"] == school]
    write_parents(study, df.drop(rows[1:]))
    run(study, ("responses", "scoring", "design"))
    cells = pd.read_parquet(study / "output" / "04_design" / "single_respondent_cells.parquet")
    mine = cells[(cells["group"] == "parents") & (cells["school_id"].astype(str) == school)]
    assert len(mine) and (mine["n"] == 1).all() and (mine["lonely_psu"] == "certainty").all()
    set_config(study, "design", {"lonely_psu": "fail"})
    with pytest.raises(DataError, match=rf"design, .* of parents {WAVE} \(design\."
                                        r"lonely_psu = 'fail'\): .*only one sampled"):
        run(study, ("design",))


def test_check_wave_accepts_the_configured_wave_in_any_form_and_names_the_first_other():
    from shnro_research.pipeline.responses import check_wave
    ok = pd.DataFrame({"wave": [2022, 2022.0, None, " 2022 ", "2022,0", ""]}, dtype=object)
    check_wave(ok, 2022, "f.csv", "parents")
    bad = pd.DataFrame({"wave": [2022, None, "2O22", 2023]}, dtype=object)
    with pytest.raises(DataError, match=r"f\.csv: row 3 has wave '2O22' .*responses\.parents\."
                                        r"2022 \(2 row\(s\) with another wave: 2O22, 2023\)"):
        check_wave(bad, 2022, "f.csv", "parents")
    import numpy as np
    with pytest.raises(DataError, match=r"f\.csv: line 9 has wave"):
        check_wave(bad, 2022, "f.csv", "parents", lines=np.array([2, 3, 9, 10]))


def test_spss_copy_is_skipped_above_its_row_limit_and_says_why(study):
    """engine.spss_copy: auto writes a group's .sav only up to spss_copy_max_rows respondents;
    the skipped copy is logged with its reason and no stale copy is left; the data agree."""
    import pyreadstat
    run(study)
    folder = study / "output" / "02_responses"
    copies = out(study, "spss_copies").set_index("group")
    assert copies["written"].all() and (copies["reason"] == "").all()
    n_par = int(copies.loc["parents", "n"])
    sav, _ = pyreadstat.read_sav(str(folder / "parents_clean.sav"))
    clean = out(study, "parents_clean")
    assert len(sav) == n_par == len(clean)
    assert pd.Series(sav["ten_01"]).equals(clean["ten_01"].astype(float).rename("ten_01"))
    set_config(study, "engine", {"spss_copy_max_rows": n_par - 1})
    run(study)
    copies = out(study, "spss_copies").set_index("group")
    big = copies.index[copies["n"] > n_par - 1]
    assert "parents" in big and not copies.loc[big, "written"].any()
    assert copies.loc[big, "reason"].str.contains("spss_copy_max_rows").all()
    assert not (folder / "parents_clean.sav").exists()
    assert (folder / "parents_clean.parquet").exists()
    set_config(study, "engine", {"spss_copy": "never"})
    run(study)
    assert not out(study, "spss_copies")["written"].any()
    with pytest.raises(Exception, match="spss_copy"):
        set_config(study, "engine", {"spss_copy": "sometimes"})
        load_study(study / "study.yaml")
