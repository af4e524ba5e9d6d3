"""Excel reading (shnro_research.io.sheets): python-calamine gives the same frames as openpyxl;
sheet choice and header checks; formula cells without a saved value are refused."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from shnro_research.demo import generate_demo, write_demo
from shnro_research.errors import DataError, ParameterError
from shnro_research.io import read_table
from shnro_research.io.sheets import read_xlsx, uncached_formulas


def openpyxl_frame(path, sheet=0) -> pd.DataFrame:
    """The frame the reader returned before calamine (pandas' openpyxl engine + our cleanup)."""
    df = pd.read_excel(path, sheet_name=sheet, engine="openpyxl")
    df.columns = [str(c).strip() for c in df.columns]
    df = df.dropna(how="all")
    df = df.loc[:, [not (c.startswith("Unnamed:") and df[c].isna().all()) for c in df.columns]]
    return df.reset_index(drop=True)


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo_xlsx")
    write_demo(generate_demo(), folder)
    return folder / "raw"


@pytest.mark.parametrize("name,sheet", [("teachers_2022.xlsx", 0), ("teachers_2024.xlsx", 0),
                                        ("school_passport.xlsx", 0),
                                        ("school_passport.xlsx", "codebook"),
                                        ("programme_data.xlsx", 0)])
def test_demo_files_same_as_openpyxl(demo_raw, name, sheet):
    path = demo_raw / name
    got, report = read_xlsx(path, sheet, None)
    expected = openpyxl_frame(path, sheet)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert report.sheet == (sheet if isinstance(sheet, str) else openpyxl.load_workbook(
        path, read_only=True).sheetnames[sheet])


def mixed_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Данные"
    ws.append(["id", " score ", "text", "when", "flag", "mixed", None, "num_text", 2024])
    rows = [
        [1, 1.5, "один", dt.datetime(2024, 5, 1), True, 1, None, "3,5", 1],
        [2, None, None, dt.datetime(2024, 5, 2, 13, 30), False, "a", None, "4", 2],
        [None, None, None, None, None, None, None, None, None],        # blank row: dropped
        [3, 2.0, "три", None, True, 2.5, None, "5,25", 3],
        [4, -7.25, "ёж", dt.datetime(1999, 12, 31), None, None, None, None, 4],
    ]
    for r in rows:
        ws.append(r)
    other = wb.create_sheet("Коды")
    other.append(["variable", "label"])
    other.append(["id", "номер"])
    wb.save(path)
    return path


def test_mixed_types_same_values_and_dtypes_as_openpyxl(tmp_path):
    path = mixed_workbook(tmp_path / "mixed.xlsx")
    got, report = read_xlsx(path, None, None)
    expected = openpyxl_frame(path)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.columns) == ["id", "score", "text", "when", "flag", "mixed", "num_text",
                                 "2024"]
    assert got["id"].dtype == np.int64 or got["id"].dtype == np.float64
    assert pd.api.types.is_datetime64_any_dtype(got["when"])
    assert report.sheet == "Данные" and report.sheets == ("Данные", "Коды")
    # decimal commas in text cells become numbers, as before
    conv, _ = read_xlsx(path, None, ",")
    assert conv["num_text"].tolist()[:2] == [3.5, 4.0]


def test_sheet_choice(tmp_path):
    path = mixed_workbook(tmp_path / "m.xlsx")
    assert read_xlsx(path, 1, None)[1].sheet == "Коды"
    assert read_xlsx(path, "1", None)[1].sheet == "Коды"          # position as text (CLI)
    assert read_xlsx(path, "Коды", None)[1].sheet == "Коды"
    df, rep = read_xlsx(path, None, None, prefer=["variable", "LABEL"])
    assert rep.sheet == "Коды" and list(df.columns) == ["variable", "label"]
    assert any("workbook has sheets" in n for n in rep.notes)
    with pytest.raises(ParameterError, match="out of range"):
        read_xlsx(path, 5, None)
    with pytest.raises(ParameterError, match="no sheet 'Нет'"):
        read_xlsx(path, "Нет", None)
    assert read_table(path, sheet="Коды").data.shape == (1, 2)


def test_header_checks_and_bad_files(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b", "a"])
    wb.active.append([1, 2, 3])
    wb.create_sheet("empty")
    wb.save(tmp_path / "dup.xlsx")
    with pytest.raises(DataError, match="duplicate column names"):
        read_xlsx(tmp_path / "dup.xlsx", 0, None)
    with pytest.raises(DataError, match="empty"):
        read_xlsx(tmp_path / "dup.xlsx", "empty", None)
    (tmp_path / "zip.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a readable .xlsx"):
        read_xlsx(tmp_path / "zip.xlsx", None, None)


def formula_workbook(path, cached: bool):
    """A sheet with a formula in C3 (openpyxl writes no cached value; ``cached`` adds one)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Лист1"
    ws.append(["a", "b", "total"])
    ws.append([1, 2, 3])
    ws.append([4, 5, "=A3+B3"])
    wb.save(path)
    if cached:
        with zipfile.ZipFile(path) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        xml = members["xl/worksheets/sheet1.xml"].decode()
        xml, k = re.subn(r"(<c r=\"C3\"[^>]*>)<f>A3\+B3</f>(<v\s*/>|<v></v>)?",
                         r"\1<f>A3+B3</f><v>9</v>", xml)
        assert k == 1
        members["xl/worksheets/sheet1.xml"] = xml.encode()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, b in members.items():
                zf.writestr(n, b)
    return path


def test_formula_without_cached_value_is_refused(tmp_path):
    path = formula_workbook(tmp_path / "formulas.xlsx", cached=False)
    assert uncached_formulas(path, "Лист1") == [("C3", "=A3+B3")]
    with pytest.raises(DataError) as err:
        read_xlsx(path, None, None)
    msg = str(err.value)
    for part in ("formulas.xlsx", "Лист1", "C3", "=A3+B3", "saved value"):
        assert part in msg
    with pytest.raises(DataError, match="C3"):
        read_table(path)


def test_formula_with_cached_value_reads_the_value(tmp_path):
    path = formula_workbook(tmp_path / "cached.xlsx", cached=True)
    assert uncached_formulas(path, "Лист1") == []
    df, _ = read_xlsx(path, None, None)
    assert df["total"].tolist() == [3, 9]


def test_no_formula_scan_cost_on_plain_sheets(demo_raw):
    assert uncached_formulas(demo_raw / "teachers_2022.xlsx", "teachers_2022") == []


def test_formula_with_cached_empty_text_is_accepted(tmp_path):
    """Excel stores a formula returning "" as <c t="str"><f>..</f><v></v></c>: not uncached."""
    path = formula_workbook(tmp_path / "empty_text.xlsx", cached=False)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    xml = members["xl/worksheets/sheet1.xml"].decode()
    xml, k = re.subn(r"<c r=\"C3\"([^>]*)>", r'<c r="C3" t="str">', xml)
    xml = xml.replace('<c r="C3" t="str" t="str">', '<c r="C3" t="str">')
    assert k == 1
    members["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    assert uncached_formulas(path, "Лист1") == []
