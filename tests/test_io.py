"""The one reader, :func:`shnro_research.io.read_table`: formats, strict encodings, separator,
decimal mark, column selection. Reading against an instrument is in ``test_responses.py``."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_research.errors import DataError, ParameterError
from shnro_research.io import ReadResult, detect_format, detect_mojibake, read_table

DATA = Path(__file__).parent / "data"
COMMENT_0 = "Мне нравится школа"


def test_read_table_result_and_report():
    res = read_table(DATA / "students_cp1251.csv")
    assert isinstance(res, ReadResult)
    rep = res.report
    assert (rep.format, rep.encoding, rep.separator, rep.decimal) == ("csv", "cp1251", ";", ",")
    assert (rep.rows, rep.columns) == res.data.shape == (24, 20)
    assert res.data["comment"].iloc[0] == COMMENT_0
    assert pd.api.types.is_float_dtype(res.data["hours"])
    assert "encoding cp1251" in rep.summary() and "decimal ','" in rep.summary()


def test_all_formats_agree_including_parquet(tmp_path):
    base = read_table(DATA / "students_utf8.sav").data
    pq = tmp_path / "students.parquet"
    base.to_parquet(pq)
    res = read_table(pq)
    assert (res.report.format, res.report.encoding_source) == ("parquet", "format")
    pd.testing.assert_frame_equal(res.data, base)
    csv = read_table(DATA / "students_utf8bom.csv").data
    np.testing.assert_allclose(csv["ten_01"].astype(float), base["ten_01"].astype(float))
    assert detect_format(pq) == "parquet"


def test_parquet_mislabelled_and_broken(tmp_path):
    p = tmp_path / "t.csv"
    pd.DataFrame({"a": [1]}).to_parquet(p)
    with pytest.raises(DataError, match=r"rename the file to 't.parquet'"):
        read_table(p)
    q = tmp_path / "t.parquet"
    q.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a valid parquet file"):
        read_table(q)


def test_decimal_is_honoured(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("school_id;share\n1;0.25\n2;0.5\n", encoding="utf-8")
    default = read_table(p)               # ';' with only '.' decimals: '.' detected, and said
    assert default.report.decimal == "." and default.data["share"].tolist() == [0.25, 0.5]
    assert any("decimal mark detected as '.'" in n for n in default.report.notes)
    comma = read_table(p, decimal=",")    # given: honoured, the text stays text
    assert comma.report.decimal == ","
    assert not pd.api.types.is_numeric_dtype(comma.data["share"])
    q = tmp_path / "c.csv"
    q.write_text("school_id\tshare\n1\t0,25\n2\t0,5\n", encoding="utf-8")
    assert read_table(q).data["share"].tolist() == [0.25, 0.5]       # tab: ',' detected
    assert not pd.api.types.is_numeric_dtype(read_table(q, decimal=".").data["share"])
    assert read_table(q, decimal=",").data["share"].tolist() == [0.25, 0.5]
    x = tmp_path / "x.xlsx"
    pd.DataFrame({"school_id": [1, 2], "share": ["0,25", "0,5"]}).to_excel(x, index=False)
    assert not pd.api.types.is_numeric_dtype(read_table(x).data["share"])
    assert read_table(x, decimal=",").data["share"].tolist() == [0.25, 0.5]
    with pytest.raises(ParameterError, match="'decimal'"):
        read_table(p, decimal=";")
    with pytest.raises(ParameterError, match="must differ"):
        read_table(p, sep=",", decimal=",")


def test_results_csv_with_semicolons_and_dot_decimals(tmp_path):
    """Issue 16: a results file with ';' and '.' decimals read its shares as text."""
    p = tmp_path / "results.csv"
    p.write_text("school_id;year;below_min_pct;mean_score\n1;2022;12.5;3.75\n"
                 "2;2022;0;4.1\n", encoding="utf-8")
    res = read_table(p)
    assert (res.report.separator, res.report.decimal) == (";", ".")
    assert res.data["below_min_pct"].tolist() == [12.5, 0.0]
    assert res.data["mean_score"].tolist() == [3.75, 4.1]
    mixed = tmp_path / "mixed.csv"            # both marks: the ';' convention, and a note
    mixed.write_text("a;b\n1,5;2.5\n", encoding="utf-8")
    r = read_table(mixed)
    assert r.report.decimal == "," and any("both decimal marks" in n for n in r.report.notes)


@pytest.mark.parametrize("text, line, counts", [
    ("a;b;c\n1;2;3\n4;5\n", 3, "has 2 fields but the header (line 1) has 3"),
    ("a;b;c\n1;2;3\n\n4;5;6;7\n", 4, "has 4 fields but the header (line 1) has 3"),
    ('a;b;c\n1;"x\ny";3\n4;"5;5"\n', 4, "has 2 fields but the header (line 1) has 3"),
])
def test_short_or_long_csv_line_is_an_error_naming_file_line_and_counts(tmp_path, text, line,
                                                                        counts):
    """Issue 16: a short CSV line was padded with missing answers."""
    p = tmp_path / "answers.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=rf"answers\.csv: line {line} {re.escape(counts)}"):
        read_table(p)


def test_blank_lines_are_skipped_and_said_and_rows_keep_their_file_lines(tmp_path):
    """Issue 16: row numbers shifted after blank lines; the reader records each row's line."""
    p = tmp_path / "b.csv"
    p.write_text('a;b\n1;2\n\n   \n3;"x\ny"\n5;6\n', encoding="utf-8")
    res = read_table(p)
    assert res.data["a"].tolist() == [1, 3, 5]
    assert res.report.lines.tolist() == [2, 5, 7]
    assert any("2 blank line(s) skipped (line 3, 4)" in n for n in res.report.notes)
    q = tmp_path / "t.csv"                     # a line of empty fields is a row, not blank
    q.write_text("a\tb\n1\t2\n\t\n", encoding="utf-8")
    assert read_table(q).report.lines.tolist() == [2, 3]


def test_columns_select_and_rename():
    res = read_table(DATA / "students_utf8bom.csv", columns=["School_ID", "resp_id"])
    assert list(res.data.columns) == ["school_id", "resp_id"] and res.report.columns == 2
    ren = read_table(DATA / "students_utf8bom.csv", columns={"school_id": "school"})
    assert "school" in ren.data.columns and "school_id" not in ren.data.columns
    with pytest.raises(DataError, match="column 'nope' not found"):
        read_table(DATA / "students_utf8bom.csv", columns=["nope"])
    # a list of columns also chooses the Excel sheet that holds them
    assert read_table(DATA / "students.xlsx", columns=["RESP_ID"]).report.sheet == "Данные"


# -- strict encodings -------------------------------------------------------------------------

def test_explicit_koi8_on_cp1251_is_an_error_naming_what_fits():
    with pytest.raises(DataError) as e:
        read_table(DATA / "students_cp1251.csv", encoding="koi8-r")
    msg = str(e.value)
    assert "students_cp1251.csv" in msg and "wrong Cyrillic code page" in msg
    assert "encodings that fit: 'cp1251'" in msg and "Мне нравится школа" in msg
    with pytest.raises(DataError, match=r"implausible.*encoding='cp1251'"):
        read_table(DATA / "students_cp1251.csv", encoding="cp866")
    with pytest.raises(DataError, match=r"wrong Cyrillic code page.*encoding='cp1251'"):
        read_table(DATA / "students_cp1251.sav", encoding="koi8-r")


def test_explicit_utf8_on_cp1251_names_line_and_column(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("id;comment\n1;ok\n2;Всё хорошо\n".encode("cp1251"))
    with pytest.raises(DataError) as e:
        read_table(p, encoding="utf-8")
    msg = str(e.value)
    assert "c.csv" in msg and "line 3, column 3" in msg and "byte 0xc2" in msg
    assert "encoding='cp1251'" in msg


def test_cp1251_rows_inside_utf8_file_name_the_first_bad_byte(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes("id;comment\n1;Хорошо\n".encode("utf-8") + "2;Плохо\n".encode("cp1251"))
    with pytest.raises(DataError, match=r"line 3, column 3.*mixes encodings.*fits 'cp1251'"):
        read_table(p)


def test_utf8_rows_inside_cp1251_file_are_an_error(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_bytes("id;comment\n1;Плохо\n".encode("cp1251") + "2;Хорошо сказано\n".encode("utf-8"))
    with pytest.raises(DataError, match=r"cp1251 but line 3, column 3 holds UTF-8 text.*mixes"):
        read_table(p)
    q = tmp_path / "mixed2.csv"
    q.write_bytes("id;comment\n1;Плохо, очень плохо и совсем не хорошо\n".encode("cp1251")
                  + "2;Хорошо сказано\n".encode("utf-8"))
    with pytest.raises(DataError, match=r"line 3, column 3 holds UTF-8 text.*mixes encodings"):
        read_table(q)


def test_neither_utf8_nor_cyrillic_is_an_error(tmp_path):
    p = tmp_path / "w.csv"
    p.write_bytes("id;name\n1;Müller Straße Größe\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"neither UTF-8.*line 2, column 4.*pass the file's encoding="):
        read_table(p)
    assert read_table(p, encoding="cp1252").data["name"].iloc[0] == "Müller Straße Größe"


def test_damaged_utf8_sav_is_an_error_not_koi8(tmp_path):
    raw = (DATA / "students_utf8.sav").read_bytes()
    needle = COMMENT_0.encode("utf-8")
    i = raw.index(needle)
    damaged = raw[:i] + b"\xff" + raw[i + 1:]
    p = tmp_path / "damaged.sav"
    p.write_bytes(damaged)
    with pytest.raises(DataError) as e:
        read_table(p)
    msg = str(e.value)
    assert "damaged.sav" in msg and "row 1, column 'comment'" in msg and "byte 0xff" in msg
    assert "koi8" not in msg.split("does not fit")[0]


def test_detect_mojibake_new_kinds():
    text = "Привет, школа! Мне нравится учиться."
    assert detect_mojibake(text.encode("cp1251").decode("koi8-r"))[0] == "wrong Cyrillic code page"
    assert detect_mojibake(text.encode("utf-8").decode("koi8-r"))[0] == "pseudo-graphics"
    assert detect_mojibake("ШНОР и ЕГЭ: Школа №5")[0] is None


def test_koi8_given_for_lower_case_cp1251_text_is_an_error(tmp_path):
    """Issue 16: lower-case cp1251 answers read as koi8-r become capitals only and passed."""
    p = tmp_path / "answers.csv"
    rows = ["resp_id;comment"] + [f"{i};отремонтировать спортзал и нужен психолог"
                                  for i in range(5)]
    p.write_bytes("\r\n".join(rows).encode("cp1251"))
    with pytest.raises(DataError, match=r"answers\.csv: encoding 'koi8-r' .*capital letters "
                                        r"only.*encodings that fit: 'cp1251'"):
        read_table(p, encoding="koi8-r")
    assert read_table(p, encoding="cp1251").data["comment"].iloc[0].startswith("отремонт")
    assert read_table(p).report.encoding == "cp1251"
