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


# -- the CSV path on bytes (issue 15): the same frames, reports and errors as decoding first ---

import csv  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402

from shnro_research.io import encodings as E  # noqa: E402
from shnro_research.io import text as T  # noqa: E402
from shnro_research.io.columns import check_duplicate_names, decimal_comma_columns  # noqa: E402
from shnro_research.io.report import ReadReport, short_list  # noqa: E402


def _old_read_csv(path, encoding, sep, decimal):
    """The reader before issue 15 (commit 30c5cea): the whole file decoded to one string,
    records found with ``csv`` line by line, pandas fed through a StringIO."""
    report = ReadReport(file=path.name, format="csv", encoding_declared=encoding)
    raw = path.read_bytes()
    bom = raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    if not bom:
        head = raw[:65536]
        if b"\x00" in head:
            raise DataError(f"{path.name}: binary content (NUL bytes), not a text/CSV file; if it "
                            "is an SPSS or Excel file, give it the right extension")
        ctrl = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
        if ctrl > 0.01 * len(head):
            raise DataError(f"{path.name}: binary content ({ctrl} control bytes in the first "
                            "64 KiB), not a text/CSV file")
    text, enc, source, notes = E.decode_text(raw, encoding, path.name)
    report.encoding_used, report.encoding_source = enc, source
    report.notes += notes
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty (no text)")
    if sep is None:
        sep = T.sniff_sep(text[:1 << 20])
    report.separator = sep
    if decimal is not None:
        dec = decimal
    else:
        dec, note = T.sniff_decimal(text[:1 << 20], sep)
        if note:
            report.notes.append(note)
    if dec == sep:
        raise DataError(f"{path.name}: the separator and the decimal mark are both {sep!r}; "
                        "pass sep= or decimal=")
    report.decimal = dec
    starts, n_fields, blank = _old_record_lines(text, sep)
    if len(starts) == 0 or n_fields[0] == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    header = next(csv.reader(io.StringIO(text[:1 << 20]), delimiter=sep,
                             skipinitialspace=True), [])
    header = [h.strip() for h in header]
    if len([h for h in header if h]) == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    check_duplicate_names(header, path.name)
    T.check_field_counts(lambda line: text.split("\n", line)[line - 1], starts, n_fields,
                         path.name)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, decimal=dec, skipinitialspace=True,
                         low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file is empty (no columns)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot parse as CSV with separator {sep!r}: "
                        f"{str(exc).strip()}") from None
    if len(df) == len(starts) - 1:
        report.lines = starts[1:]
    if blank:
        report.notes.append(f"{len(blank)} blank line(s) skipped (line {short_list(blank, 5)}); "
                            "row numbers count data rows, the file's own line of a row is "
                            "in 'line'")
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    if dec == ",":
        conv = decimal_comma_columns(df)
        if conv:
            report.notes.append("decimal commas converted to numbers in: " + short_list(conv))
    return df, report


def _old_record_lines(text, sep):
    """record_lines before issue 15 (line by line in Python)."""
    if '"' not in text:
        lines = text.split("\n")
        if lines and lines[-1].strip() == "":
            lines.pop()
        is_blank = [not ln.strip() and sep not in ln for ln in lines]
        starts = np.flatnonzero(~np.array(is_blank, dtype=bool)) + 1
        counts = np.fromiter((lines[i - 1].count(sep) + 1 for i in starts), dtype=np.int64,
                             count=len(starts))
        blank = [i + 1 for i, b in enumerate(is_blank) if b]
        return starts.astype(np.int64), counts, blank
    starts_l, counts_l, blank = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    prev = 0
    try:
        for rec in reader:
            first = prev + 1
            prev = reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                blank.append(first)
                continue
            starts_l.append(first)
            counts_l.append(len(rec))
    except csv.Error:
        pass
    return np.array(starts_l, dtype=np.int64), np.array(counts_l, dtype=np.int64), blank


def _outcome(fn, path, **kw):
    try:
        df, rep = fn(path, kw.get("encoding"), kw.get("sep"), kw.get("decimal"))
    except DataError as exc:
        return "error", str(exc)
    lines = None if rep.lines is None else rep.lines.tolist()
    return df, (rep.encoding_used, rep.encoding_source, rep.separator, rep.decimal, rep.notes,
                lines)


def _assert_same(path, **kw):
    old, new = _outcome(_old_read_csv, path, **kw), _outcome(T.read_csv, path, **kw)
    if isinstance(old[0], str):
        assert new == old
    else:
        assert not isinstance(new[0], str), new
        pd.testing.assert_frame_equal(new[0], old[0])
        assert new[1] == old[1]


_COMMENTS = ["Мне нравится школа", "Всё хорошо, \"спасибо\"", "", "нужен психолог; и спортзал",
             "строка\nс переносом", "Ёлка"]
_CSV_CASES = {
    "utf8": ("utf-8", ",", "\n", "."), "utf8_bom": ("utf-8-sig", ",", "\r\n", "."),
    "cp1251_semicolon_comma": ("cp1251", ";", "\r\n", ","), "koi8_tab": ("koi8-r", "\t", "\n", ","),
    "cp866_pipe": ("cp866", "|", "\n", "."), "utf16": ("utf-16", ";", "\r\n", ","),
}


@pytest.mark.parametrize("name", sorted(_CSV_CASES))
def test_csv_on_bytes_gives_the_frames_of_the_old_reader(tmp_path, name):
    """Issue 15: the bytes are checked and parsed without building one string of the file;
    frames (dtypes, missing values), line numbers, notes and errors are the old reader's."""
    enc, sep, nl, dec = _CSV_CASES[name]
    rng = np.random.default_rng(len(name))
    n = 300
    df = pd.DataFrame({"resp_id": [f"{i:05d}" for i in range(n)],          # leading zeros
                       "school_id": rng.integers(1, 9, n),
                       "q1": pd.array(rng.integers(1, 6, n), dtype="Int64"),  # empty cells
                       "hours": np.round(rng.gamma(2, 4, n), 1),
                       "comment": [_COMMENTS[k] for k in rng.integers(0, len(_COMMENTS), n)]})
    df.loc[rng.random(n) < 0.1, "q1"] = pd.NA
    p = tmp_path / f"{name}.csv"
    df.to_csv(p, sep=sep, decimal=dec, index=False, encoding=enc, lineterminator=nl)
    _assert_same(p)
    _assert_same(p, encoding=enc, sep=sep, decimal=dec)
    lines = p.read_bytes().decode(enc).split(nl)
    q = tmp_path / f"{name}_blank.csv"                # blank lines
    q.write_bytes(nl.join(lines[:5] + ["", "  "] + lines[5:]).encode(enc))
    _assert_same(q)
    r = tmp_path / f"{name}_short.csv"                # a short line: the same error
    r.write_bytes(nl.join(lines[:7] + ["1" + sep + "2"] + lines[7:]).encode(enc))
    _assert_same(r)
    assert _outcome(T.read_csv, r)[0] == "error"
    res = T.read_csv(p, None, None, None)[0]
    assert res["resp_id"].tolist()[:3] == [0, 1, 2]   # as before: pandas reads '00001' as 1
    assert res["comment"].isna().sum() == (df["comment"] == "").sum()


@pytest.mark.parametrize("text", [
    'a;b\n1;2\n\n   \n3;"x\ny"\n5;6\n', 'a;b\r\n1;"x;y"\r\n\r\n2;"q ""z"""\r\n',
    'a,b\n1, "x"\n2,"y"\n', 'a;b\n1;x"y\n2;3\n', 'a;b\r\n1;2\r3;4\r\n', 'a;b\n1;2\n\u00a0\n3;4\n  ',
    'a\tb\n1\t2\n\t\n', 'a;b\n1;"open\n2;3\n', 'a;b;c\n1;2;3\n4;5\n', 'a;b\n"1" ;2\n', 'a;b\n1;2\n"\u00a0"\n',
    '\ufeff\ufeffa;b\n1;2\n', 'a;b\n1;2\n\t\n', 'a;b\n1;"2\r\nx"\n3;4',
])
def test_csv_records_on_bytes_edge_cases(tmp_path, text):
    for enc in ("utf-8", "cp1251"):
        p = tmp_path / "e.csv"
        p.write_bytes(text.encode(enc, errors="replace"))
        _assert_same(p)
        _assert_same(p, encoding=enc, sep=";")


def test_record_lines_on_bytes_fuzz():
    """The byte-level record finder equals the csv-module line-by-line one on random texts
    (quotes opening and closing fields, escaped quotes, spaces, blank and NBSP lines, CRLF);
    texts it cannot prove equal go to the old function, so equality holds for all."""
    rng = random.Random(15)
    pieces = ["a", "Всё", " ", "", '"x;y"', '"a""b"', '"п\nр"', "1,5", "\u00a0", '"', "\t"]
    for _ in range(400):
        sep = rng.choice([";", ",", "\t"])
        nl = rng.choice(["\n", "\r\n"])
        rows = [sep.join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
                for _ in range(rng.randint(1, 8))]
        text = nl.join(rows) + rng.choice(["", nl, nl + " "])
        for enc in ("utf-8", "cp1251"):
            raw = text.encode(enc)
            got = T.record_lines_bytes(raw, 0, sep, enc)
            want = _old_record_lines(text, sep)
            assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
            assert got[2] == want[2]


def test_byte_level_encoding_helpers_equal_their_text_definitions():
    rng = random.Random(7)
    words = ["школа", "ok", "Ёлка", "Müller", "\u00a0", "x", "спасибо", "1;2", "\r"]
    big = "\n".join(" ".join(rng.choice(words) for _ in range(12)) if i % 3 else "ascii line"
                    for i in range(60_000))                # over the 500,000-character sample
    for text in [big, "abc\nМне\r\nнравится школа\n", "Müller\nok", "\ufeffid;Имя\n1;Ёж"]:
        for enc in ("utf-8", "cp1251"):
            try:
                raw = text.encode(enc)
            except UnicodeEncodeError:
                continue
            assert E.non_ascii_lines_of(raw, enc) == E.non_ascii_lines(text)
            assert E.first_sample_text(raw, enc) == E.sample_text(text)
            assert E.decode_head(raw, enc, 0, 1000) == text[:1000]
            m = E._RE_UTF8_CYR_RUN.search(raw)
            assert E.utf8_run(raw) == (m.start() if m else None)
            assert E.first_bad_byte(raw, enc) is None
    raw = ("Мне нравится школа\n" * 3).encode("cp1251") + "Хорошо".encode("utf-8")
    assert E.utf8_run(raw) == E._RE_UTF8_CYR_RUN.search(raw).start()
    for enc in ("utf-8", "cp1251", "koi8-r", "ascii"):
        bad = b"ok\n" * 10 + b"\xd0\x98\x98\xff" + b"\n" * 5
        try:
            bad.decode(enc)
            want = None
        except UnicodeDecodeError as exc:
            want = exc.start
        assert E.first_bad_byte(bad, enc) == want
    assert E.byte_level("cp1251") and E.byte_level("utf-8-sig") and not E.byte_level("utf-16")
    assert not E.byte_level("shift_jis")


def test_bad_byte_after_a_bom_is_named_at_its_own_column(tmp_path):
    """Before issue 15 the offset of a bad byte in a UTF-8 file with a BOM was counted without
    the BOM, so the message named the byte three places earlier."""
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbfid;name\n1;ab\xffc\n")
    with pytest.raises(DataError, match=r"line 2, column 5: byte 0xff does not decode"):
        read_table(p)


def test_lone_cr_line_ends_are_a_data_error(tmp_path):
    p = tmp_path / "mac.csv"
    p.write_bytes(b"a;b\r1;2\r3;4\r")
    with pytest.raises(DataError, match=r"mac\.csv: cannot read the header line.*line ends"):
        read_table(p)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.csv")))
def test_fixture_csv_files_read_as_by_the_old_reader(name):
    _assert_same(DATA / name)


def test_typical_quoted_csv_takes_the_byte_path(tmp_path, monkeypatch):
    """Quoted fields opening and closing fields (as Excel and pandas write them) are counted on
    the bytes; only texts the byte path cannot prove equal go through the csv module."""
    p = tmp_path / "q.csv"
    pd.DataFrame({"id": range(50), "comment": ["a; b", 'say "hi"', "two\nlines", "", "x"] * 10}
                 ).to_csv(p, sep=";", index=False, encoding="cp1251", lineterminator="\r\n")

    def fail(*args, **kwargs):
        raise AssertionError("fell back to the line-by-line csv module")
    monkeypatch.setattr(T, "record_lines", fail)
    res = read_table(p)
    assert res.report.lines.tolist()[:5] == [2, 3, 4, 6, 7] and res.report.lines[-1] == 61
    q = tmp_path / "lit.csv"                      # a quote inside an unquoted field: csv decides
    q.write_bytes(b'a;b\n1;x"y\n')
    with pytest.raises(AssertionError, match="fell back"):
        read_table(q)
