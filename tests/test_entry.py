"""Excel data-entry templates: header, validations, no formulas, a filled template reads back
through the responses reader and validator, an out-of-range value is caught with its place."""
from __future__ import annotations

import time

import numpy as np
import openpyxl
import pandas as pd
import pytest

from shnro_research._checks import ParameterError
from shnro_research.forms import entry_columns, write_entry_template, write_forms
from shnro_research.instruments import list_instruments, load_instrument
from shnro_research.responses import read_responses, validate_responses, validate_table

ALL = list_instruments()


def _validations(ws):
    """{column letter: DataValidation} of a sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            letter = "".join(ch for ch in rng.split(":")[0] if ch.isalpha())
            out[letter] = dv
    return out


@pytest.mark.parametrize("name", ALL)
def test_template_header_sheets_and_no_formula(name, tmp_path):
    ins = load_instrument(name)
    p = write_entry_template(ins, tmp_path / f"{name}.xlsx")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["данные", "Инструкция", "Коды"]
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == list(ins.id_columns) + ins.columns
    assert ws.max_row == 1                                  # nothing but the header
    assert ws.freeze_panes == ws.cell(2, len(ins.id_columns) + 1).coordinate
    for sheet in wb.worksheets:                             # values and text only
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    text = " ".join(str(c.value) for c in wb["Инструкция"]["A"] if c.value)
    assert "имён" in text or "имен" in text
    codes = pd.DataFrame(list(wb["Коды"].values)[1:], columns=list(wb["Коды"].values)[0])
    assert set(codes["столбец"]) == set(header)
    # every coded column lists its codes and missing codes on the codes sheet
    for it in ins.items:
        if it.type in ("single", "likert"):
            got = set(codes.loc[codes["столбец"] == it.id, "код"])
            assert got == set(it.codes) | set(it.missing), it.id


def test_validations_of_coded_numeric_multiple_ranking(tmp_path):
    ins = load_instrument("students")
    p = write_entry_template(ins, tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(p).worksheets[0]
    dvs = _validations(ws)
    letter = {c.value: c.column_letter for c in ws[1]}
    # a likert item: list of valid codes and the missing code
    ten = ins.item("ten_01")
    dv = dvs[letter["ten_01"]]
    assert dv.type == "list"
    assert dv.formula1 == '"' + ",".join(map(str, list(ten.codes) + list(ten.missing))) + '"'
    assert dv.showInputMessage and dv.showErrorMessage and dv.errorStyle == "stop"
    assert ten.text.ru[:40] in dv.prompt
    assert str(dv.sqref) == f"{letter['ten_01']}2:{letter['ten_01']}1048576"
    # a multiple item: every option column is 0/1
    mult = ins.items_of(type="multiple")[0]
    for col in mult.columns:
        assert dvs[letter[col]].formula1.startswith('"0,1')
    # a ranking item: whole number 1..k
    rk = ins.items_of(type="ranking")[0]
    dv = dvs[letter[rk.columns[0]]]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (
        "whole", "between", "1", str(len(rk.options)))
    # wave: a year
    assert (dvs[letter["wave"]].type, dvs[letter["wave"]].formula1) == ("whole", "1900")
    # a numeric item with a missing code (school passport): custom rule admitting -9
    sp = load_instrument("school_passport")
    ws2 = openpyxl.load_workbook(write_entry_template(sp, tmp_path / "p.xlsx")).worksheets[0]
    dvs2 = _validations(ws2)
    letter2 = {c.value: c.column_letter for c in ws2[1]}
    share = sp.item("low_income_pct")
    dv = dvs2[letter2["low_income_pct"]]
    col = letter2["low_income_pct"]
    assert dv.type == "custom"
    assert dv.formula1 == (f"OR(AND(ISNUMBER({col}2),{col}2>=0,{col}2<=100),{col}2=-9)")
    assert share.missing and -9 in share.missing
    # a count: whole numbers
    cnt = dvs2[letter2["n_students"]]
    assert "INT(" in cnt.formula1
    # a numeric item without missing codes (sampling frame): decimal range
    fr = load_instrument("sample_frame")
    ws3 = openpyxl.load_workbook(write_entry_template(fr, tmp_path / "f.xlsx")).worksheets[0]
    letter3 = {c.value: c.column_letter for c in ws3[1]}
    dv = _validations(ws3)[letter3["p_school"]]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "1")


def _fill(ws, rows: list[dict]) -> None:
    letter = {c.value: c.column for c in ws[1]}
    for i, r in enumerate(rows, start=2):
        for k, v in r.items():
            ws.cell(i, letter[k], v)


def _answers(ins, n: int, seed: int = 3) -> pd.DataFrame:
    """Valid coded answers for every column (codes, 0/1, permutations, numbers in range)."""
    rng = np.random.default_rng(seed)
    d: dict = {"resp_id": [f"{k:03d}" for k in range(1, n + 1)], "school_id": ["S01"] * n,
               "class_id": ["9А"] * n, "wave": [2025] * n}
    for it in ins.items:
        if it.type in ("single", "likert"):
            d[it.id] = rng.choice(list(it.codes) + list(it.missing), n).astype(float)
        elif it.type == "numeric":
            d[it.id] = np.round(rng.uniform(it.min, it.max, n), 1)
        elif it.type == "multiple":
            k = len(it.options)
            m = np.zeros((n, k))
            for i in range(n):
                m[i, rng.choice(k, size=min(2, it.max_choices or 2), replace=False)] = 1
            for j, c in enumerate(it.columns):
                d[c] = m[:, j]
        elif it.type == "ranking":
            perms = np.array([rng.permutation(len(it.options)) + 1 for _ in range(n)])
            for j, c in enumerate(it.columns):
                d[c] = perms[:, j].astype(float)
        else:
            d[it.id] = ["хочу больше кружков"] + [None] * (n - 1)
    return pd.DataFrame(d)


def test_filled_template_reads_back_and_validates(tmp_path):
    ins = load_instrument("students")
    p = write_entry_template(ins, tmp_path / "students.xlsx")
    want = _answers(ins, 12)
    wb = openpyxl.load_workbook(p)
    _fill(wb.worksheets[0], [{k: (None if isinstance(v, float) and np.isnan(v) else v)
                              for k, v in r.items()} for r in want.to_dict("records")])
    wb.save(p)
    rr = read_responses(p, ins)
    assert rr.report.missing_columns == [] and rr.report.unknown_columns == []
    assert rr.report.sheet == "данные"
    assert list(rr.data.columns) == list(ins.id_columns) + ins.columns
    for c in ins.columns:
        if ins.column_item()[c].type == "text":
            assert rr.data[c].iloc[0] == want[c].iloc[0]
        else:
            np.testing.assert_allclose(rr.data[c].to_numpy(float), want[c].to_numpy(float),
                                       rtol=0, atol=0)
    # ids typed as text in a column formatted as text; the reader makes whole-number ids numbers
    assert openpyxl.load_workbook(p).worksheets[0].column_dimensions["A"].number_format == "@"
    assert rr.data["resp_id"].tolist() == list(range(1, 13))
    res = validate_responses(rr, ins, rules={"straightlining": "off"})
    assert len(res.clean) == 12 and len(res.exclusions) == 0
    assert res.problems.empty
    # declared missing codes became NaN, as for any other file
    miss = want["ten_01"].isin(list(ins.item("ten_01").missing)).to_numpy()
    assert np.isnan(res.clean["ten_01"].to_numpy(float)[miss]).all()


def test_out_of_range_value_is_caught_with_file_row_column_value(tmp_path):
    ins = load_instrument("school_passport")
    p = write_entry_template(ins, tmp_path / "passport.xlsx")
    rows = [{"school_id": "S01", "year": 2024, "n_students": 420, "low_income_pct": 12.5},
            {"school_id": "S02", "year": 2024, "n_students": 380, "low_income_pct": 250},
            {"school_id": "S03", "year": 2024, "n_students": 17, "low_income_pct": -9}]
    wb = openpyxl.load_workbook(p)
    _fill(wb.worksheets[0], rows)
    wb.save(p)
    from shnro_research.io import read_table
    res = validate_table(read_table(p), ins)
    bad = res.problems[res.problems["problem"] == "out_of_range"]
    assert len(bad) == 1
    r = bad.iloc[0]
    assert (r["file"], int(r["row"]), r["column"], r["value"]) == (
        "passport.xlsx", 2, "low_income_pct", "250")
    assert "100" in r["expected"]
    assert np.isnan(res.clean.loc[1, "low_income_pct"])
    assert res.clean.loc[0, "low_income_pct"] == 12.5
    assert np.isnan(res.clean.loc[2, "low_income_pct"])          # -9 = нет данных -> missing
    assert (res.problems["problem"] == "missing_code").sum() == 1


def test_english_template_and_bad_path(tmp_path):
    p = write_entry_template("parents", tmp_path / "p.xlsx", lang="en")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["data", "Instructions", "Codes"]
    with pytest.raises(ParameterError, match="must end with .xlsx"):
        write_entry_template("parents", tmp_path / "p.csv")
    with pytest.raises(ParameterError, match="'lang' must be one of"):
        write_entry_template("parents", tmp_path / "p.xlsx", lang="de")
    cols = entry_columns("parents")
    assert [c["column"] for c in cols][:4] == list(load_instrument("parents").id_columns)


def test_same_bytes_and_fast(tmp_path):
    t = time.perf_counter()
    paths = write_forms(ALL, tmp_path / "a", formats=["entry"])
    elapsed = time.perf_counter() - t
    assert [p.relative_to(tmp_path / "a").as_posix() for p in paths] == [
        f"entry/{n}.xlsx" for n in ALL]
    again = write_forms(ALL, tmp_path / "b", formats=["entry"])
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(paths, again))
    assert elapsed < 8.0, elapsed   # about 0.5 s on an idle machine; the stage writes them each run


def test_instruments_stage_writes_entry_templates_and_xlsforms(demo_run):
    from shnro_research.pipeline.runner import stage_dir
    study, _ = demo_run
    folder = stage_dir(study, "instruments")
    names = sorted(p.stem for p in (folder / "entry").glob("*.xlsx"))
    assert names == sorted(p.stem for p in (folder / "xlsform").glob("*.xlsx"))
    assert {"students", "parents", "teachers", "school_passport", "results"} <= set(names)
    ins = load_instrument("students")
    header = [c.value for c in openpyxl.load_workbook(folder / "entry" / "students.xlsx",
                                                      read_only=True).worksheets[0][1]]
    assert header == list(ins.id_columns) + ins.columns
    from shnro_research.forms import xlsform_to_xform
    assert "ten_01" in xlsform_to_xform(folder / "xlsform" / "students.xlsx")
