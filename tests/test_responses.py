"""Reading response files: SPSS (cp1251 and UTF-8), CSV, Excel; encodings; malformed files."""
from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from shnro_research._checks import DataError, ParameterError
from shnro_research.instruments import load_instrument
from shnro_research.responses import (ReadReport, detect_mojibake, map_columns, read_responses)

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))          # make_fixtures.py (base_frame, labels)
INST = load_instrument(DATA / "mini_students.yaml")
COMMENT_0 = "Мне нравится школа"
LABEL_TEN01 = "В нашей школе часто бывают конфликты"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the fixtures themselves: pyreadstat reads the legacy files right only with the right encoding

def test_legacy_sav_fixture_is_genuine_cp1251():
    raw = (DATA / "students_cp1251.sav").read_bytes()
    assert raw[:4] == b"$FL2"
    assert LABEL_TEN01.encode("cp1251") in raw
    assert LABEL_TEN01.encode("utf-8") not in raw
    assert b"windows-1251" in raw
    df, meta = pyreadstat.read_sav(str(DATA / "students_cp1251.sav"), user_missing=True)
    assert meta.file_encoding.lower() == "windows-1251"
    assert meta.column_names_to_labels["ten_01"] == LABEL_TEN01
    assert meta.variable_value_labels["sex"] == {1.0: "мужской", 2.0: "женский"}
    assert df["comment"].iloc[0] == COMMENT_0
    with pytest.raises(pyreadstat.ReadstatError):
        pyreadstat.read_sav(str(DATA / "students_cp1251.sav"), encoding="UTF-8")


def test_lying_sav_fixtures_need_the_right_encoding():
    with pytest.raises(pyreadstat.ReadstatError):           # declares UTF-8, bytes are cp1251
        pyreadstat.read_sav(str(DATA / "students_cp1251_declared_utf8.sav"))
    df, _ = pyreadstat.read_sav(str(DATA / "students_cp1251_declared_utf8.sav"),
                                encoding="WINDOWS-1251")
    assert df["comment"].iloc[0] == COMMENT_0
    df, _ = pyreadstat.read_sav(str(DATA / "students_cp1251_declared_1252.sav"))
    assert df["comment"].iloc[0] == COMMENT_0.encode("cp1251").decode("cp1252")   # 'Ìíå ...'


# -- reading with correct Cyrillic -----------------------------------------------------------

def test_read_cp1251_sav():
    path = DATA / "students_cp1251.sav"
    before = sha(path)
    res = read_responses(path, INST)
    rep = res.report
    assert sha(path) == before                                  # the file is never modified
    assert (rep.format, rep.encoding_declared, rep.encoding_used, rep.encoding_source) == \
        ("sav", "windows-1251", "windows-1251", "file")
    assert res.data["comment"].iloc[0] == COMMENT_0
    assert rep.variable_labels["ten_01"] == LABEL_TEN01
    assert rep.value_labels["ten_01"][9.0] == "затрудняюсь ответить"
    assert rep.user_missing["ten_03"] == [9]
    # user-missing codes stay visible as codes
    assert (res.data["ten_03"] == 9).sum() == 2
    assert str(res.data["resp_id"].dtype) == "Int64"
    assert res.data.shape == (24, 20) and rep.n_rows == 24 and not rep.missing_columns


def test_read_utf8_sav_round_trip_with_labels(tmp_path):
    from make_fixtures import VALUE_LABELS, VARIABLE_LABELS, base_frame
    res = read_responses(DATA / "students_utf8.sav", INST)
    assert res.report.encoding_used == "UTF-8"
    expected = base_frame()
    pd.testing.assert_frame_equal(res.data.astype({c: float for c in INST.id_columns})
                                  .drop(columns="comment"),
                                  expected.drop(columns="comment"), check_dtype=False)
    assert res.data["comment"].fillna("").tolist() == expected["comment"].tolist()
    assert {c: res.report.variable_labels[c] for c in VARIABLE_LABELS} == VARIABLE_LABELS
    assert res.report.value_labels["grade"] == {float(k): v for k, v in
                                                VALUE_LABELS["grade"].items()}
    # round trip: write what we read, read it again
    out = tmp_path / "again.sav"
    pyreadstat.write_sav(res.data.astype({c: float for c in INST.id_columns}), str(out),
                         column_labels=res.report.variable_labels,
                         variable_value_labels=res.report.value_labels)
    again = read_responses(out, INST)
    assert again.report.value_labels == res.report.value_labels
    pd.testing.assert_frame_equal(again.data, res.data, check_dtype=False)


def test_read_cp1251_csv_semicolon_decimal_comma():
    res = read_responses(DATA / "students_cp1251.csv", INST)
    rep = res.report
    assert (rep.encoding_used, rep.encoding_source, rep.separator, rep.decimal) == \
        ("cp1251", "detected", ";", ",")
    assert res.data["comment"].iloc[0] == COMMENT_0
    assert pd.api.types.is_float_dtype(res.data["hours"])
    from make_fixtures import base_frame
    np.testing.assert_allclose(res.data["hours"], base_frame()["hours"], rtol=1e-12)
    assert pd.api.types.is_integer_dtype(res.data["ten_01"])


def test_read_utf8_bom_csv_comma():
    res = read_responses(DATA / "students_utf8bom.csv", INST)
    assert (res.report.encoding_used, res.report.separator) == ("utf-8-sig", ",")
    assert list(res.data.columns[:2]) == ["resp_id", "school_id"]     # no BOM in the name
    assert res.data["comment"].iloc[1] == "Хочу перейти в другую школу"


def test_read_xlsx_picks_data_sheet_and_maps_names():
    res = read_responses(DATA / "students.xlsx", INST)
    rep = res.report
    assert rep.sheet == "Данные" and rep.sheets == ("Инструкция", "Данные")
    assert rep.mapped["RESP_ID"] == "resp_id" and rep.mapped["School_ID"] == "school_id"
    assert not rep.unknown_columns and not rep.missing_columns
    assert res.data["comment"].iloc[0] == COMMENT_0
    by_pos = read_responses(DATA / "students.xlsx", INST, sheet=1)
    pd.testing.assert_frame_equal(by_pos.data, res.data)
    with pytest.raises(DataError, match="id column"):
        read_responses(DATA / "students.xlsx", INST, sheet="Инструкция")
    with pytest.raises(ParameterError, match="no sheet"):
        read_responses(DATA / "students.xlsx", INST, sheet="Лист1")


def test_read_without_instrument_keeps_names():
    res = read_responses(DATA / "students.xlsx", sheet="Данные")
    assert "RESP_ID" in res.data.columns and res.report.instrument is None


def test_all_formats_agree():
    frames = [read_responses(DATA / f, INST).data for f in
              ("students_cp1251.sav", "students_utf8.sav", "students_cp1251.csv",
               "students_utf8bom.csv", "students.xlsx")]
    cols = [c for c in INST.columns if c != "comment"] + list(INST.id_columns)
    for f in frames[1:]:
        np.testing.assert_allclose(f[cols].astype(float).to_numpy(),
                                   frames[0][cols].astype(float).to_numpy(), rtol=1e-12)
        assert f["comment"].fillna("").tolist() == frames[0]["comment"].fillna("").tolist()


# -- mis-declared encodings: an error naming where and what fits, never a silent re-decode -------

def test_sav_declaring_utf8_but_cp1251_is_an_error_naming_place_and_fit():
    with pytest.raises(DataError) as e:
        read_responses(DATA / "students_cp1251_declared_utf8.sav", INST)
    msg = str(e.value)
    assert "students_cp1251_declared_utf8.sav" in msg and "declared by the file" in msg
    assert "decoding failed in the file label" in msg            # the first text of the file
    assert "byte 0x" in msg and "encoding='cp1251'" in msg and "Псевдонимный" in msg
    res = read_responses(DATA / "students_cp1251_declared_utf8.sav", INST, encoding="cp1251")
    assert res.data["comment"].iloc[0] == COMMENT_0
    assert res.report.variable_labels["ten_01"] == LABEL_TEN01


def test_sav_declaring_1252_but_cp1251_is_an_error():
    with pytest.raises(DataError, match=r"cp1251 read as latin.*encoding='cp1251'"):
        read_responses(DATA / "students_cp1251_declared_1252.sav", INST)
    res = read_responses(DATA / "students_cp1251_declared_1252.sav", INST, encoding="cp1251")
    assert res.report.encoding_used == "cp1251"
    assert res.report.value_labels["sex"][2.0] == "женский"


def test_explicit_cp1251_on_utf8_sav_raises_with_fix():
    with pytest.raises(DataError) as e:
        read_responses(DATA / "students_utf8.sav", INST, encoding="cp1251")
    msg = str(e.value)
    assert "'cp1251'" in msg and "'UTF-8'" in msg            # given and declared
    assert "utf-8 read as cp1251" in msg and "Р" in msg        # what was found
    assert "encoding='utf-8'" in msg                          # how to fix


def test_explicit_utf8_on_cp1251_sav_raises_with_fix():
    with pytest.raises(DataError) as e:
        read_responses(DATA / "students_cp1251.sav", INST, encoding="utf-8")
    msg = str(e.value)
    assert "windows-1251" in msg and "decoding failed" in msg and "encoding='cp1251'" in msg
    assert "Псевдонимный" in msg


def test_explicit_right_encoding_on_lying_sav_is_respected():
    res = read_responses(DATA / "students_cp1251_declared_utf8.sav", INST, encoding="cp1251")
    assert (res.report.encoding_used, res.report.encoding_source) == ("cp1251", "argument")
    assert res.data["comment"].iloc[0] == COMMENT_0


def test_explicit_wrong_encoding_csv_both_directions():
    with pytest.raises(DataError, match=r"not valid utf-8.*encoding='cp1251'"):
        read_responses(DATA / "students_cp1251.csv", INST, encoding="utf-8")
    with pytest.raises(DataError, match=r"utf-8 read as cp1251.*encoding='utf-8'"):
        read_responses(DATA / "students_utf8bom.csv", INST, encoding="cp1251")
    with pytest.raises(DataError, match=r"cp1251 read as latin.*encoding='cp1251'"):
        read_responses(DATA / "students_cp1251.csv", INST, encoding="latin-1")
    ok = read_responses(DATA / "students_cp1251.csv", INST, encoding="windows-1251")
    assert ok.data["comment"].iloc[0] == COMMENT_0


def test_koi8_csv_is_detected(tmp_path):
    text = "resp_id;school_id;class_id;wave;comment\n1;1;1;2021;Ученики и учителя школы\n"
    p = tmp_path / "koi.csv"
    p.write_bytes(text.encode("koi8-r"))
    res = read_responses(p, INST)
    assert res.report.encoding_used == "koi8-r"
    assert res.data["comment"].iloc[0] == "Ученики и учителя школы"


@pytest.mark.parametrize("good", ["Мне нравится школа", "Сёма и Ёлка: «С» и «Р»", "plain ascii",
                                  "", "Relevé café"])
def test_detect_mojibake_accepts_normal_text(good):
    assert detect_mojibake([good]) == (None, "")


@pytest.mark.parametrize("enc_from, enc_to, kind", [
    ("utf-8", "cp1251", "utf-8 read as cp1251"),
    ("utf-8", "latin-1", "utf-8 read as latin"),
    ("utf-8", "cp1252", "utf-8 read as latin"),
    ("cp1251", "latin-1", "cp1251 read as latin"),
    ("cp1251", "cp1252", "cp1251 read as latin"),
])
def test_detect_mojibake_kinds(enc_from, enc_to, kind):
    s = "Мне нравится наша школа, учителя справедливые"
    bad = s.encode(enc_from).decode(enc_to, errors="replace")
    assert detect_mojibake(bad)[0] == kind
    assert detect_mojibake(s.encode("cp1251").decode("utf-8", errors="replace"))[0] == \
        "undecodable"


# -- column mapping ---------------------------------------------------------------------------

def test_mapping_case_whitespace_rename_and_report(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("Resp_ID, SCHOOL_ID ,class id,Wave,Пол,ten_01,extra\n1,101,1,2021,1,3,x\n",
                 encoding="utf-8")
    res = read_responses(p, INST, rename={"Пол": "sex"})
    rep = res.report
    assert list(res.data.columns) == ["resp_id", "school_id", "class_id", "wave", "sex",
                                      "ten_01", "extra"]
    assert rep.unknown_columns == ["extra"]
    assert "hours" in rep.missing_columns and "ten_01" not in rep.missing_columns
    table = rep.to_frame()
    assert set(table.columns) == {"field", "value"}
    assert table.set_index("field").loc["unknown_columns", "value"] == "extra"
    cols = rep.columns_table()
    assert cols.loc[cols["column"] == "extra", "status"].item() == "unknown"
    assert "missing in file" in set(cols["status"])
    assert "unknown columns: extra" in rep.summary()


def test_mapping_errors(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("resp_id,school_id,wave,sex\n1,101,2021,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"id column\(s\) \['class_id'\]"):
        read_responses(p, INST)
    with pytest.raises(ParameterError, match="'rename'"):
        read_responses(p, INST, rename={"nope": "sex"})
    with pytest.raises(ParameterError, match="'rename'"):
        read_responses(p, INST, rename={"sex": "nope"})
    q = tmp_path / "two.csv"
    q.write_text("resp_id,school_id,class_id,wave,sex,pol\n1,101,1,2021,1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="both map"):
        read_responses(q, INST, rename={"pol": "sex"})


def test_value_label_codes_not_in_instrument_are_noted(tmp_path):
    from make_fixtures import base_frame
    out = tmp_path / "x.sav"
    df = base_frame()
    pyreadstat.write_sav(df, str(out), variable_value_labels={"sex": {1: "м", 2: "ж", 3: "другое"}})
    res = read_responses(out, INST)
    assert any("sex" in n and "[3]" in n for n in res.report.notes)


# -- malformed files give a clear DataError ------------------------------------------------------

@pytest.mark.parametrize("name, pattern", [
    ("empty.csv", "empty"),
    ("header_only.csv", "no data rows"),
    ("garbage.csv", "binary"),
    ("truncated.sav", "truncated or corrupt"),
    ("sav_named.csv", r"rename the file to 'sav_named.sav'"),
    ("duplicate_columns.csv", "duplicate column names"),
])
def test_malformed_files(name, pattern):
    with pytest.raises(DataError, match=pattern):
        read_responses(DATA / name, INST)


def test_more_malformed_files(tmp_path):
    p = tmp_path / "data.xlsx"
    p.write_text("resp_id;school_id\n1;2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a valid xlsx"):
        read_responses(p)
    p = tmp_path / "data.sav"
    shutil.copy(DATA / "students.xlsx", p)
    with pytest.raises(DataError, match=r"rename the file to 'data.xlsx'"):
        read_responses(p)
    p = tmp_path / "data.docx"
    p.write_bytes(b"PK\x03\x04whatever")
    with pytest.raises(DataError, match="unsupported file type"):
        read_responses(p)
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(DataError, match=r"\.xls"):
        read_responses(p)
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3,4,5,6\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3 has 4 fields but the header"):
        read_responses(p)
    p = tmp_path / "blank.csv"
    p.write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        read_responses(p)
    p = tmp_path / "ctrl.csv"
    p.write_bytes(bytes(range(1, 32)) * 50)
    with pytest.raises(DataError, match="binary"):
        read_responses(p)
    p = tmp_path / "dups.xlsx"
    pd.DataFrame([[1, 2, 3]], columns=["a", "b", "c"]).rename(columns={"c": "a"}).to_excel(
        p, index=False)
    with pytest.raises(DataError, match="duplicate column names"):
        read_responses(p)


def test_bad_parameters(tmp_path):
    with pytest.raises(ParameterError, match="file not found"):
        read_responses(tmp_path / "none.csv")
    with pytest.raises(ParameterError, match="unknown encoding"):
        read_responses(DATA / "students_utf8bom.csv", encoding="klingon")
    with pytest.raises(ParameterError, match="'sep'"):
        read_responses(DATA / "students_utf8bom.csv", sep=";;")
    with pytest.raises(ParameterError, match="'instrument'"):
        read_responses(DATA / "students_utf8bom.csv", instrument=42)
    with pytest.raises(ParameterError, match="'path'"):
        read_responses(123)


def test_utf16_csv(tmp_path):
    p = tmp_path / "u16.csv"
    p.write_text("resp_id\tschool_id\tclass_id\twave\tcomment\n1\t1\t1\t2021\tПривет\n",
                 encoding="utf-16")
    res = read_responses(p, INST)
    assert res.report.separator == "\t" and res.data["comment"].iloc[0] == "Привет"


def test_map_columns_does_not_touch_input():
    df = pd.DataFrame({"RESP_ID": [1], "school_id": [1], "class_id": [1], "wave": [2021]})
    rep = ReadReport(file="x", format="DataFrame")
    out = map_columns(df, INST, report=rep)
    assert list(df.columns)[0] == "RESP_ID" and list(out.columns)[0] == "resp_id"
    assert rep.mapped["RESP_ID"] == "resp_id"


def test_cp1251_bytes_after_the_first_megabyte(tmp_path):
    p = tmp_path / "late.csv"
    head = "resp_id;school_id;class_id;wave;comment\n"
    rows = "".join(f"{i};101;1;2021;ok\n" for i in range(1, 70_001))      # > 1 MiB of ASCII
    tail = "70001;101;1;2021;Всё хорошо\n"
    p.write_bytes((head + rows + tail).encode("cp1251"))
    assert p.stat().st_size > 1 << 20
    res = read_responses(p, INST)              # the whole file is judged, not its first MiB
    assert (res.report.encoding_used, res.report.encoding_source) == ("cp1251", "detected")
    assert res.data["comment"].iloc[-1] == "Всё хорошо" and len(res.data) == 70_001


def test_utf8_file_with_one_cp1251_row_is_an_error(tmp_path):
    p = tmp_path / "mixed.csv"
    head = "resp_id;school_id;class_id;wave;comment\n"
    rows = "".join(f"{i};101;1;2021;Хорошо\n" for i in range(1, 70_001))   # > 1 MiB of UTF-8
    p.write_bytes((head + rows).encode("utf-8") + "70001;101;1;2021;Всё плохо\n".encode("cp1251"))
    with pytest.raises(DataError) as e:
        read_responses(p, INST)
    msg = str(e.value)
    assert "mixed.csv" in msg and "line 70002, column 18" in msg and "byte 0xc2" in msg
    assert "mixes encodings" in msg and "this line fits 'cp1251'" in msg
