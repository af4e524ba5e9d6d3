"""Double entry: planted typing differences between two entries of the same forms are each
found, and nothing else is reported; the files are not changed."""
from __future__ import annotations

import hashlib

import numpy as np
import openpyxl
import pandas as pd
import pytest

from shnro_research._checks import ParameterError
from shnro_research.forms import write_entry_template
from shnro_research.instruments import load_instrument
from shnro_research.io import read_table
from shnro_research.responses import compare_entries
from shnro_research.responses.double_entry import (KIND_COLUMN, KIND_DIFFERS, KIND_DUPLICATE,
                                                   KIND_ONLY_FIRST, KIND_ONLY_SECOND)


@pytest.fixture(scope="module")
def teachers():
    return load_instrument("teachers")


def _entry(ins, n=40, seed=11) -> pd.DataFrame:
    """A typed entry of n teachers' forms: valid codes everywhere, some blanks."""
    rng = np.random.default_rng(seed)
    d: dict = {"resp_id": [f"T{k:03d}" for k in range(1, n + 1)],
               "school_id": rng.choice(["S03", "S07", "S12"], n), "wave": [2025] * n}
    for it in ins.items:
        if it.type in ("single", "likert"):
            v = rng.choice(list(it.codes) + list(it.missing), n).astype(float)
            v[rng.random(n) < 0.05] = np.nan
            d[it.id] = v
        elif it.type == "numeric":
            d[it.id] = rng.integers(10, 40, n).astype(float)     # two-digit years of experience
        elif it.type == "multiple":
            m = np.zeros((n, len(it.options)))
            for i in range(n):
                m[i, rng.choice(len(it.options), size=2, replace=False)] = 1
            for j, c in enumerate(it.columns):
                d[c] = m[:, j]
        elif it.type == "ranking":
            p = np.array([rng.permutation(len(it.options)) + 1 for _ in range(n)], dtype=float)
            for j, c in enumerate(it.columns):
                d[c] = p[:, j]
        else:
            d[it.id] = [None] * n
    return pd.DataFrame(d)


def _write(ins, df: pd.DataFrame, path) -> None:
    """Type an entry into a copy of the Excel entry template (as an operator would)."""
    write_entry_template(ins, path)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    col = {c.value: c.column for c in ws[1]}
    for i, r in enumerate(df.itertuples(index=False), start=2):
        for name, v in zip(df.columns, r):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            ws.cell(i, col[name], v.item() if hasattr(v, "item") else v)
    wb.save(path)


def _md5(p) -> str:
    return hashlib.md5(p.read_bytes()).hexdigest()


def test_every_planted_difference_is_found_and_nothing_else(teachers, tmp_path):
    ins = teachers
    first = _entry(ins)
    second = first.copy()
    exp = float(first.loc[4, "experience"])
    swapped = float(str(int(exp))[::-1])
    if swapped == exp:                                  # make sure the digits differ
        first.loc[4, "experience"] = exp = 23.0
        swapped = 32.0
    second.loc[4, "experience"] = swapped               # 1. swapped digits
    gone = first.loc[9, "resp_id"]
    second = second[second["resp_id"] != gone]          # 2. a row missing in the second
    extra = first.iloc[[0]].assign(resp_id="T999")      # 3. an extra row in the second
    second = pd.concat([second, extra], ignore_index=True)
    code_row = int(np.flatnonzero(first["ten_03"].notna().to_numpy())[2])
    second.loc[second["resp_id"] == first.loc[code_row, "resp_id"], "ten_03"] = np.nan  # 4.
    mult = ins.items_of(type="multiple")[0]
    c0 = mult.columns[0]
    r = 15
    flipped = 1.0 - first.loc[r, c0]
    second.loc[second["resp_id"] == first.loc[r, "resp_id"], c0] = flipped          # 5.
    pa, pb = tmp_path / "operator1.xlsx", tmp_path / "operator2.xlsx"
    _write(ins, first, pa)
    _write(ins, second, pb)
    before = (_md5(pa), _md5(pb))

    res = compare_entries(read_table(pa), read_table(pb), ins)
    assert (_md5(pa), _md5(pb)) == before              # raw files never modified
    d = res.differences
    assert res.keys == ["resp_id", "wave"]
    assert len(d) == 5, d.to_string()
    by_kind = d.groupby("kind").size().to_dict()
    assert by_kind == {KIND_DIFFERS: 3, KIND_ONLY_FIRST: 1, KIND_ONLY_SECOND: 1}
    cells = d[d["kind"] == KIND_DIFFERS].set_index("column")
    assert cells.loc["experience", "resp_id"] == "T005"
    assert (cells.loc["experience", "first"], cells.loc["experience", "second"]) == (
        f"{exp:g}", f"{swapped:g}")
    assert (int(cells.loc["experience", "row_first"]), int(cells.loc["experience",
                                                                     "row_second"])) == (5, 5)
    assert cells.loc["ten_03", "resp_id"] == first.loc[code_row, "resp_id"]
    assert cells.loc["ten_03", "first"] == f"{first.loc[code_row, 'ten_03']:g}"
    assert cells.loc["ten_03", "second"] == ""          # a blank against a code
    assert (cells.loc[c0, "first"], cells.loc[c0, "second"]) == (
        f"{first.loc[r, c0]:g}", f"{flipped:g}")
    only1 = d[d["kind"] == KIND_ONLY_FIRST].iloc[0]
    assert (only1["resp_id"], int(only1["row_first"])) == (gone, 10)
    assert pd.isna(only1["row_second"])
    only2 = d[d["kind"] == KIND_ONLY_SECOND].iloc[0]
    assert (only2["resp_id"], int(only2["row_second"])) == ("T999", len(second))

    # per column: the three differing columns below 1, all others exactly 1
    bc = res.by_column.set_index("column")
    n_both = len(first) - 1
    assert res.n_both == n_both and (bc["n"] == n_both).all()
    for c in ("experience", "ten_03", c0):
        assert bc.loc[c, "n_differ"] == 1
        np.testing.assert_allclose(bc.loc[c, "agreement"], 1 - 1 / n_both, rtol=1e-12)
    assert (bc.drop(["experience", "ten_03", c0])["agreement"] == 1).all()
    g = res.glance().iloc[0]
    assert (g["n_first"], g["n_second"], g["n_differ"], g["n_only_first"],
            g["n_only_second"]) == (40, 40, 3, 1, 1)
    assert "agreement" in res.summary()


def test_identical_entries_and_notation(teachers):
    a = _entry(teachers, n=10)
    b = a.copy()
    # the same values in another notation are no difference: '3' / 3.0, ' S03 ' / 'S03',
    # '4,0' / 4.0
    b["ten_01"] = b["ten_01"].map(lambda v: "" if np.isnan(v) else f"{v:g}").astype(object)
    b["school_id"] = " " + b["school_id"] + " "
    b["experience"] = b["experience"].map(lambda v: f"{v:.1f}".replace(".", ","))
    res = compare_entries(a, b, teachers)
    assert res.differences.empty
    assert (res.by_column["agreement"] == 1).all()


def test_duplicate_key_and_column_only_in_one(teachers):
    a = _entry(teachers, n=8)
    b = a.copy()
    b.loc[3, "resp_id"] = b.loc[2, "resp_id"]          # typed the same form number twice
    b = b.drop(columns=["experience"])
    res = compare_entries(a, b, teachers)
    kinds = res.differences["kind"].value_counts().to_dict()
    assert kinds == {KIND_DUPLICATE: 2, KIND_ONLY_FIRST: 2, KIND_COLUMN: 1}
    dup = res.differences[res.differences["kind"] == KIND_DUPLICATE]
    assert sorted(dup["row_second"].astype(int)) == [3, 4]
    col = res.differences[res.differences["kind"] == KIND_COLUMN].iloc[0]
    assert (col["column"], col["first"], col["second"]) == ("experience", "present", "")


def test_without_instrument_and_bad_keys(teachers):
    a = _entry(teachers, n=5)[["resp_id", "wave", "ten_01"]]
    b = a.copy()
    b.loc[1, "ten_01"] = 9
    res = compare_entries(a, b)
    assert res.differences["column"].tolist() == ["ten_01"]
    with pytest.raises(ParameterError, match="compare_entries: 'keys' must be given"):
        compare_entries(a.drop(columns="resp_id"), b.drop(columns="resp_id"))
    with pytest.raises(ParameterError, match="must be a DataFrame or a ReadResult"):
        compare_entries("a.xlsx", b)
    from shnro_research.errors import DataError
    with pytest.raises(DataError, match="key column"):
        compare_entries(a, b, keys=["school_id"])


def test_cli_double_entry(teachers, tmp_path, capsys):
    from shnro_research.cli import main
    a = _entry(teachers, n=6)
    b = a.copy()
    b.loc[2, "dem_01"] = 1.0 if a.loc[2, "dem_01"] != 1 else 2.0
    pa, pb = tmp_path / "a.csv", tmp_path / "b.csv"
    a.to_csv(pa, index=False)
    b.to_csv(pb, index=False)
    rc = main(["double-entry", str(pa), str(pb), "--instrument", "teachers", "--out",
               str(tmp_path / "out")])
    assert rc == 1
    out = pd.read_csv(tmp_path / "out" / "double_entry_differences.csv", encoding="utf-8-sig")
    assert out[["resp_id", "column"]].values.tolist() == [["T003", "dem_01"]]
    assert main(["double-entry", str(pa), str(pa), "--instrument", "teachers", "--out",
                 str(tmp_path / "same")]) == 0
