"""Stage tables' CSV copies (pipeline._base.write_table through polars): read back by pandas
they equal the parquet, with a BOM for Excel, escaped formulas, and the pandas path for a
column polars cannot take."""
from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from shnro_research.pipeline._base import write_csv, write_table


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "school_id": ["S01", "S02", "S03", "S04"],
        "label": ["Индекс, «напряжённость»", 'кавычки "да"', "строка\nвторая", ""],
        "est": [0.1, 3.3103070471624655e-05, np.nan, 1e20],
        "n": pd.array([5, None, 7, 8], dtype="Int64"),
        "flag": [True, False, True, False],
        "p_value": [1.0, 0.0, 2.5e-300, np.nan],
        "formula": ["=1+1", "+7", "ok", None],
    })


def test_csv_reads_back_equal_to_the_parquet(tmp_path):
    df = table()
    write_table(df, tmp_path, "t")
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                        # BOM: Excel reads UTF-8
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", keep_default_na=False,
                       na_values=[""])
    exact = pd.read_parquet(tmp_path / "t.parquet")
    np.testing.assert_array_equal(back["est"].to_numpy(), exact["est"].to_numpy())
    np.testing.assert_array_equal(back["p_value"].to_numpy(), exact["p_value"].to_numpy())
    assert back["n"].tolist()[0] == 5 and np.isnan(back["n"].tolist()[1])
    assert back["flag"].tolist() == [True, False, True, False]
    assert back["label"].tolist()[:3] == df["label"].tolist()[:3]
    assert back["formula"].tolist()[:3] == ["'=1+1", "'+7", "ok"]   # no live formula in Excel
    assert exact["formula"].tolist()[:2] == ["=1+1", "+7"]         # the parquet stays exact


def test_a_column_polars_cannot_take_is_written_by_pandas(tmp_path):
    df = pd.DataFrame({"school_id": ["S1", "S2"], "category": [1, "a"]}, dtype=object)
    df.to_csv(tmp_path / "expected.csv", index=False, encoding="utf-8-sig")
    write_csv(df, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "expected.csv").read_bytes()


def test_escape_formulas_only_text_cells_that_start_a_formula():
    """The vectorised test of report.privacy.escape_formulas: text of every dtype is escaped,
    numbers and missing cells of an object column are left alone, column names too."""
    from shnro_research.report.privacy import escape_formulas
    df = pd.DataFrame({"a": ["=1", "x", None, np.nan, "+2"],
                       "b": pd.array(["-3", "ok", None, "@x", "\tq"], dtype="string"),
                       "c": [1, "=x", 2.0, None, "y"], "=d": [1, 2, 3, 4, 5]})
    out = escape_formulas(df)
    assert out["a"].tolist()[::4] == ["'=1", "'+2"] and out["a"].tolist()[1] == "x"
    assert out["b"].tolist() == ["'-3", "ok", pd.NA, "'@x", "'\tq"]
    assert out["c"].tolist()[:2] == [1, "'=x"] and out["c"].tolist()[2] == 2.0
    assert list(out.columns) == ["a", "b", "c", "'=d"]
    assert df["a"].tolist()[0] == "=1"                      # the input is not modified


def test_stage_tables_are_shallow_copies_that_cannot_change_the_cache(tmp_path):
    """StageContext.table hands out shallow copies (copy-on-write): a caller changing its copy
    leaves the cached table as read; ``columns=`` reads only those columns."""
    from types import SimpleNamespace

    from shnro_research.errors import DataError
    from shnro_research.pipeline._base import StageContext, read_stage_table
    write_table(table(), tmp_path, "t")
    ctx = StageContext.__new__(StageContext)
    ctx.stage = SimpleNamespace(name="x", upstream=("up",))
    ctx._folders, ctx._tables = {"up": tmp_path}, {}
    a = ctx.table("up", "t")
    a.loc[0, "est"] = 99.0
    a["new"] = 1
    b = ctx.table("up", "t")
    assert b.loc[0, "est"] == 0.1 and "new" not in b
    assert list(ctx.table("up", "t", columns=["school_id", "n"]).columns) == ["school_id", "n"]
    assert list(read_stage_table(tmp_path, "t", ["est"]).columns) == ["est"]
    with pytest.raises(DataError, match="not in the table"):
        read_stage_table(tmp_path, "t", ["nope"])
