"""What the study publishes about minors: one suppression rule (``report.min_cell``) on every
school-level table, figure and card; no live formula in an exported spreadsheet or CSV; no raw id
in a file name."""
import shutil

import openpyxl
import pandas as pd
import pytest
import yaml

from shnro_research.pipeline import load_study, read_table, run_study, stage_dir
from shnro_research.pipeline._base import write_table
from shnro_research.report.privacy import escape_formula, publishable, safe_filename
from shnro_research.report.tables import export_table

MIN_CELL = 30   # larger than many school × group cells of the demo, so the rule has work to do


@pytest.fixture(scope="module")
def strict(demo_run, tmp_path_factory):
    """The demo study with ``report: {min_cell: 30}``: only the report reruns."""
    study, _ = demo_run
    out = tmp_path_factory.mktemp("strict") / "out"
    shutil.copytree(study.output, out)
    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    cfg["report"] = {"min_cell": MIN_CELL}
    p = study.path.parent / "study_strict.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    s = load_study(p, output=out)
    status = {r.stage: r.status for r in run_study(s, progress=False)}
    assert [k for k, v in status.items() if v == "ran"] == ["report"]
    return s


def _xlsx_table(path):
    """The body of an exported APA table: header row (the one with 'n') and its data rows."""
    ws = openpyxl.load_workbook(path).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    h = next(i for i, r in enumerate(rows) if "n" in r or "n_a" in r or "n A" in r)
    header = rows[h]
    body = [r for r in rows[h + 1:] if any(v not in (None, "") for v in r[1:])]
    return header, body


@pytest.mark.parametrize("name", ["tension_high_schools", "tension_discrepancies"])
def test_school_level_tables_show_no_small_cell(strict, name):
    header, body = _xlsx_table(stage_dir(strict, "report") / "tables" / f"{name}.xlsx")
    counts = [i for i, h in enumerate(header) if h in ("n", "n A", "n B", "n_a", "n_b")]
    assert counts, header
    for r in body:
        for i in counts:
            assert int(r[i]) >= MIN_CELL, (name, r)


def test_rule_removes_small_cells_and_says_so(strict, demo_run):
    ts = read_table(strict, "scoring", "tension_by_school")
    last = ts[ts.wave == ts.wave.max()]
    small_high = last[last.tension_level.isin(["high", "critical"]) & (last.n < MIN_CELL)]
    assert len(small_high) > 0       # the demo has high-tension cells under the rule ...
    _, body = _xlsx_table(stage_dir(strict, "report") / "tables" / "tension_high_schools.xlsx")
    assert len(body) == len(last[last.tension_level.isin(["high", "critical"])
                                 & (last.n >= MIN_CELL)])      # ... and none is published
    html = (stage_dir(strict, "report") / "report.html").read_text(encoding="utf-8")
    assert f"не менее {MIN_CELL} респондентов" in html        # the caption states the rule


def test_school_cards_hide_cells_under_the_rule(strict):
    cards = sorted((stage_dir(strict, "report") / "schools").glob("school_*.html"))
    assert cards
    text = "".join(c.read_text(encoding="utf-8") for c in cards)
    assert f"n&lt;{MIN_CELL}" in text


def test_publishable_keeps_rows_where_every_count_reaches_the_rule():
    df = pd.DataFrame({"school_id": ["a", "b", "c"], "n_a": [5, 4, 9], "n_b": [5, 9, 2]})
    assert publishable(df, 5, counts=("n_a", "n_b")).school_id.tolist() == ["a"]
    from shnro_research.errors import ParameterError
    with pytest.raises(ParameterError, match="min_cell"):
        publishable(df, 0, counts=("n_a",))
    with pytest.raises(ParameterError, match="count column"):
        publishable(df, 5)


@pytest.mark.parametrize("text", ["=1+1", "+7 999 123", "-2+3", "@SUM(A1)", "\t=1", "=HYPERLINK(\"x\")"])
def test_formula_like_text_is_escaped(text):
    assert escape_formula(text) == "'" + text
    assert escape_formula("обычный текст") == "обычный текст"
    assert escape_formula(-2.5) == -2.5          # numbers stay numbers


def test_no_live_formula_in_exported_xlsx_and_csv(tmp_path):
    df = pd.DataFrame({"school_id": ["=1+1", "S01"], "est": [1.0, 2.0], "n": [10, 12]})
    export_table(df, tmp_path / "t.xlsx", title="=cmd|' /C calc'!A0")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    cells = [c for r in wb.active.iter_rows() for c in r if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    assert not any(str(c.value).startswith("=") for c in cells)
    export_table(df, tmp_path / "t.csv")
    assert "'=1+1" in (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    write_table(df, tmp_path, "product")           # the stages' CSVs for Excel
    assert "'=1+1" in (tmp_path / "product.csv").read_text(encoding="utf-8-sig")
    assert pd.read_parquet(tmp_path / "product.parquet").school_id[0] == "=1+1"   # exact


@pytest.mark.parametrize("raw", ["../etc/passwd", "S/01", "<b>", 'a"b', "школа 7", "x" * 200])
def test_file_names_from_ids_are_safe_and_distinct(raw):
    name = safe_filename(raw)
    assert all(ch.isalnum() or ch in "-_" for ch in name)
    assert len(name) <= 70
    assert safe_filename(raw) == name                  # stable
    assert safe_filename(raw + "x") != name            # distinct ids, distinct names
    assert safe_filename("S01") == "S01"               # clean ids unchanged
