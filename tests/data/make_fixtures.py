"""Regenerate the small response-file fixtures in ``tests/data/`` (deterministic).

Run from the repository root::

    .venv/bin/python tests/data/make_fixtures.py

Everything here is synthetic (no real respondents). The questionnaire is the small test instrument
``tests/data/mini_students.yaml``. See ``tests/data/README.md`` for what each file is for.

Why a hand-written SPSS writer?
-------------------------------
``pyreadstat.write_sav`` writes UTF-8 files only, but municipal operators still produce legacy
Windows-1251 (cp1251) ``.sav`` files, and reading them is exactly what must be tested. PSPP is not
installed on the build machine, so :func:`write_sav_legacy` below writes a minimal, uncompressed
SPSS system file byte by byte, following the PSPP "System File Format" documentation
(https://www.gnu.org/software/pspp/pspp-dev/html_node/System-File-Format.html):

* file header record (``$FL2``, layout code 2, nominal case size, no compression, bias 100);
* one variable record (type 2) per variable, plus continuation records for strings longer
  than 8 bytes; variable labels; discrete user-missing values;
* value-label records (type 3) each followed by its variable-index record (type 4);
* machine integer info record (7/3) holding the character code (e.g. 1251);
* machine floating-point info record (7/4);
* long variable names record (7/13);
* character encoding record (7/20, e.g. ``windows-1251``) — optional, so that files which
  *declare the wrong encoding* can be produced on purpose;
* dictionary termination record (999) and the uncompressed data (8-byte doubles, strings padded
  with spaces, system-missing = -DBL_MAX).

The test-suite checks that pyreadstat (ReadStat) reads these files back with the right Cyrillic
text when the encoding is right, and that :func:`shnro_research.io.read_table` (behind
:func:`shnro_research.responses.read_responses`) refuses them, naming the first bad byte, when
it is not.
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SYSMIS = -sys.float_info.max

# -- the synthetic data ---------------------------------------------------------------------

COMMENTS = ["Мне нравится школа", "Хочу перейти в другую школу", "", "Учителя справедливые",
            "Ёлка в актовом зале", "Не знаю", "Щедрые и честные ребята", "Всё хорошо"]

VARIABLE_LABELS = {
    "resp_id": "Псевдонимный идентификатор респондента",
    "school_id": "Код школы",
    "class_id": "Код класса",
    "wave": "Волна (год) опроса",
    "sex": "Пол",
    "grade": "Класс (параллель)",
    "ten_01": "В нашей школе часто бывают конфликты",
    "ten_02": "Со мной обходятся несправедливо",
    "ten_03": "Я чувствую себя в школе в безопасности",
    "ten_04": "Я хотел бы перейти в другую школу",
    "ten_05": "Мне тревожно перед уроками",
    "hours": "Часов в неделю на домашние задания",
    "comment": "Ваш комментарий",
}
AGREE5 = {1: "совершенно не согласен", 2: "скорее не согласен", 3: "и да, и нет",
          4: "скорее согласен", 5: "полностью согласен", 9: "затрудняюсь ответить"}
VALUE_LABELS = {"sex": {1: "мужской", 2: "женский"},
                "grade": {8: "8 класс", 9: "9 класс", 10: "10 класс", 11: "11 класс"},
                **{f"ten_0{k}": AGREE5 for k in range(1, 6)}}


def base_frame(n: int = 24, seed: int = 20261122) -> pd.DataFrame:
    """A clean small students file matching ``mini_students.yaml`` (answers only, no problems)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "resp_id": np.arange(1, n + 1, dtype=float) + 1000,
        "school_id": np.repeat([101.0, 102.0, 103.0], -(-n // 3))[:n],
        "class_id": np.tile([1.0, 2.0], -(-n // 2))[:n],
        "wave": np.full(n, 2021.0),
        "sex": rng.integers(1, 3, n).astype(float),
        "grade": rng.integers(8, 12, n).astype(float),
    })
    for k in range(1, 6):
        df[f"ten_0{k}"] = rng.integers(1, 6, n).astype(float)
    df.loc[[2, 7], "ten_03"] = 9.0            # «затрудняюсь ответить»
    for k in range(1, 5):                     # life_success: multiple, 4 options, max_choices 2
        df[f"life_success_0{k}"] = 0.0
    pick = rng.integers(1, 5, n)
    for k in range(1, 5):
        df.loc[pick == k, f"life_success_0{k}"] = 1.0
    ranks = np.array([rng.permutation(3) + 1 for _ in range(n)], dtype=float)
    for k in range(1, 4):                     # rok_term: ranking of 3 options
        df[f"rok_term_0{k}"] = ranks[:, k - 1]
    df["hours"] = np.round(rng.uniform(0, 20, n), 1)
    df["comment"] = [COMMENTS[i % len(COMMENTS)] for i in range(n)]
    return df


# -- minimal SPSS system-file writer ---------------------------------------------------------

def _pad(b: bytes, size: int) -> bytes:
    return b[:size].ljust(size, b" ")


def _fmt(kind: int, width: int, decimals: int = 0) -> int:
    return (kind << 16) | (width << 8) | decimals


def write_sav_legacy(path: Path, df: pd.DataFrame, *, text_encoding: str, character_code: int,
                     encoding_record: str | None, variable_labels: dict | None = None,
                     value_labels: dict | None = None, user_missing: dict | None = None,
                     string_width: int = 40) -> None:
    """Write ``df`` as an uncompressed SPSS .sav file with text encoded in ``text_encoding``.

    ``character_code`` goes into record 7/3 and ``encoding_record`` (or nothing) into record
    7/20, so a file can declare an encoding different from the one its bytes really use.
    Numeric columns become F8.2 variables; object/string columns A``string_width``.
    """
    variable_labels = variable_labels or {}
    value_labels = value_labels or {}
    user_missing = user_missing or {}
    enc = text_encoding
    recs = bytearray()
    cols = list(df.columns)
    is_str = {c: not pd.api.types.is_numeric_dtype(df[c]) for c in cols}
    seg = {c: (-(-string_width // 8) if is_str[c] else 1) for c in cols}
    case_size = sum(seg.values())
    short = {c: f"V{i + 1:03d}" for i, c in enumerate(cols)}
    index = {}
    pos = 1
    for c in cols:
        index[c] = pos
        pos += seg[c]

    header = (b"$FL2" + _pad(b"@(#) SPSS DATA FILE shnro_research test fixture writer", 60)
              + struct.pack("<iiiii", 2, case_size, 0, 0, len(df))
              + struct.pack("<d", 100.0) + b"22 Nov 26" + b"09:00:00"
              + _pad("Тестовый файл".encode(enc, errors="replace"), 64) + b"\0\0\0")
    assert len(header) == 176
    recs += header

    for c in cols:
        lab = variable_labels.get(c, "").encode(enc)
        miss = [float(v) for v in user_missing.get(c, [])]
        if is_str[c]:
            typ, f = string_width, _fmt(1, string_width)
        else:
            typ, f = 0, _fmt(5, 8, 2)
        recs += struct.pack("<iiiiii", 2, typ, 1 if lab else 0, len(miss), f, f)
        recs += _pad(short[c].encode("ascii"), 8)
        if lab:
            recs += struct.pack("<i", len(lab)) + lab + b"\0" * (-len(lab) % 4)
        for m in miss:
            recs += struct.pack("<d", m)
        for _ in range(seg[c] - 1):           # continuation records of a long string
            recs += struct.pack("<iiiiii", 2, -1, 0, 0, 0, 0) + b" " * 8

    for c, labels in value_labels.items():
        if c not in cols:
            continue
        recs += struct.pack("<ii", 3, len(labels))
        for code, text in labels.items():
            b = text.encode(enc)[:255]
            recs += struct.pack("<d", float(code)) + bytes([len(b)]) + b
            recs += b" " * (-(len(b) + 1) % 8)
        recs += struct.pack("<iii", 4, 1, index[c])

    recs += struct.pack("<iiii", 7, 3, 4, 8) + struct.pack("<8i", 20, 0, 0, -1, 1, 1, 2,
                                                           character_code)
    recs += struct.pack("<iiii", 7, 4, 8, 3) + struct.pack("<ddd", SYSMIS, sys.float_info.max,
                                                           np.nextafter(SYSMIS, 0))
    names = "\t".join(f"{short[c]}={c}" for c in cols).encode("ascii")
    recs += struct.pack("<iiii", 7, 13, 1, len(names)) + names
    if encoding_record is not None:
        e = encoding_record.encode("ascii")
        recs += struct.pack("<iiii", 7, 20, 1, len(e)) + e
    recs += struct.pack("<ii", 999, 0)

    width = 8 * np.array([seg[c] for c in cols])
    for r in range(len(df)):                  # tiny fixture files: a row loop is fine here
        for c, w in zip(cols, width):
            v = df[c].iat[r]
            if is_str[c]:
                recs += _pad(("" if pd.isna(v) else str(v)).encode(enc), int(w))
            else:
                recs += struct.pack("<d", SYSMIS if pd.isna(v) else float(v))
    Path(path).write_bytes(bytes(recs))


# -- the fixtures ------------------------------------------------------------------------------

def planted_problems() -> pd.DataFrame:
    """The base frame with one problem of each kind planted in a known row (see README)."""
    df = base_frame().astype({"hours": object, "ten_02": object})
    df.loc[0, "ten_01"] = 7                    # row 1: likert code out of range
    df.loc[1, "sex"] = 3                       # row 2: single code not in the code list
    df.loc[2, "hours"] = "много"               # row 3: text in a numeric item
    df.loc[3, "hours"] = 250                   # row 4: numeric above its max (100)
    for k in range(1, 5):                      # row 5: 3 choices in a max-2 multiple block
        df.loc[4, f"life_success_0{k}"] = 1.0 if k <= 3 else 0.0
    df.loc[5, ["rok_term_01", "rok_term_02", "rok_term_03"]] = [1, 1, 2]   # row 6: tied ranks
    df.loc[6, "resp_id"] = df.loc[7, "resp_id"]                           # rows 7, 8: dup id
    df.loc[8, "school_id"] = 999               # row 9: school not in the sampled frame
    df.loc[9, [f"ten_0{k}" for k in range(1, 6)]] = 4                     # row 10: straightlining
    cols = ["sex", "grade"] + [f"ten_0{k}" for k in range(1, 6)] + ["hours"]
    df.loc[10, cols] = np.nan                  # row 11: too few answers
    df.loc[10, [f"life_success_0{k}" for k in range(1, 5)]] = np.nan
    df.loc[10, ["rok_term_01", "rok_term_02", "rok_term_03"]] = np.nan
    df.loc[11, "grade"] = 7                    # row 12: grade outside 8–11
    df.loc[12, "ten_02"] = "2,5"               # row 13: not a whole code (decimal comma)
    df.loc[13, ["rok_term_01", "rok_term_02", "rok_term_03"]] = [1, np.nan, 2]  # incomplete
    df.loc[14, "resp_id"] = np.nan             # row 15: missing respondent id
    return df


def main() -> None:
    import pyreadstat

    df = base_frame()
    num = df
    miss = {f"ten_0{k}": [9] for k in range(1, 6)}

    # 1. genuine Windows-1251 file, correctly declared (7/3 code 1251 + 7/20 windows-1251)
    write_sav_legacy(HERE / "students_cp1251.sav", num, text_encoding="cp1251",
                     character_code=1251, encoding_record="windows-1251",
                     variable_labels=VARIABLE_LABELS, value_labels=VALUE_LABELS,
                     user_missing=miss)
    # 2. cp1251 bytes, but the file declares UTF-8 (an export tool that lied)
    write_sav_legacy(HERE / "students_cp1251_declared_utf8.sav", num, text_encoding="cp1251",
                     character_code=65001, encoding_record="UTF-8",
                     variable_labels=VARIABLE_LABELS, value_labels=VALUE_LABELS,
                     user_missing=miss)
    # 3. cp1251 bytes, no encoding record, machine record says Windows-1252 (Western)
    write_sav_legacy(HERE / "students_cp1251_declared_1252.sav", num, text_encoding="cp1251",
                     character_code=1252, encoding_record=None,
                     variable_labels=VARIABLE_LABELS, value_labels=VALUE_LABELS,
                     user_missing=miss)
    # 4. UTF-8 file written by pyreadstat, with labels and user-missing codes
    pyreadstat.write_sav(df, str(HERE / "students_utf8.sav"),
                         column_labels={c: VARIABLE_LABELS.get(c, c) for c in df.columns},
                         variable_value_labels=VALUE_LABELS,
                         missing_ranges={c: [9] for c in miss})
    # 5. truncated .sav (first 300 bytes of file 1)
    (HERE / "truncated.sav").write_bytes((HERE / "students_cp1251.sav").read_bytes()[:300])

    # CSV files: cp1251 with ';' and decimal comma (Excel, Russian locale); UTF-8 BOM with ','
    out = df.copy()
    out["hours"] = out["hours"].map(lambda v: f"{v:.1f}".replace(".", ","))
    _write_csv(out, HERE / "students_cp1251.csv", sep=";", encoding="cp1251")
    _write_csv(df, HERE / "students_utf8bom.csv", sep=",", encoding="utf-8-sig")
    # Excel: an instruction sheet first, data on sheet «Данные»; headers in other case/spaces
    xl = df.rename(columns={"resp_id": "RESP_ID", "school_id": " School_ID ", "sex": "Sex"})
    with pd.ExcelWriter(HERE / "students.xlsx", engine="openpyxl") as w:
        pd.DataFrame({"Инструкция": ["Данные на листе «Данные»"]}).to_excel(
            w, sheet_name="Инструкция", index=False)
        xl.to_excel(w, sheet_name="Данные", index=False)
    # planted problems (UTF-8 CSV with ';' so that '2,5' is a decimal comma)
    _write_csv(planted_problems(), HERE / "planted_problems.csv", sep=";", encoding="utf-8")
    pd.DataFrame({"school_id": [101, 102, 103]}).to_csv(HERE / "sample_frame.csv", index=False)

    # malformed files
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text("resp_id;school_id;class_id;wave;sex\n",
                                          encoding="utf-8")
    (HERE / "garbage.csv").write_bytes(bytes(np.random.default_rng(7).integers(
        0, 256, 2048, dtype=np.uint8)))
    (HERE / "duplicate_columns.csv").write_text(
        "resp_id,school_id,class_id,wave,sex,Sex\n1,101,1,2021,1,2\n", encoding="utf-8")
    (HERE / "sav_named.csv").write_bytes((HERE / "students_cp1251.sav").read_bytes())
    print("fixtures written to", HERE)


def _write_csv(df: pd.DataFrame, path: Path, *, sep: str, encoding: str) -> None:
    out = df.copy()
    for c in out.columns:                      # whole numbers without '.0', as operators type them
        if pd.api.types.is_float_dtype(out[c]) and \
                np.all(np.isnan(out[c]) | (out[c] == np.round(out[c]))):
            out[c] = out[c].astype("Int64")
    out.to_csv(path, sep=sep, index=False, encoding=encoding, lineterminator="\r\n")


if __name__ == "__main__":
    main()
