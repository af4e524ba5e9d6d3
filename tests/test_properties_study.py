"""Property-based suite (issue 16, point 6): random bad inputs on copies of a small demo study.

A small demo municipality (15 schools, 12 sampled, one wave) is written once per module. Each
example copies its raw files and ``study.yaml``, applies one mutation of a given kind (its row,
column and value drawn at random; :data:`KINDS`) — a dropped or renamed column (CSV, SPSS,
Excel), text / −9 / huge numbers / formula-like text in a cell (CSV, SPSS, Excel), a live
formula without a saved value, an extra column holding phones, a Google-Forms header with
spaces, duplicated or empty ids, a school not in the sample, a truncated or padded line, blank
lines, bytes of a wrong encoding, UTF-8 text in a cp1251 file, a wrong declared encoding, another
wave in a cell or in the whole file, a truncated file, a header without rows, unknown or
duplicate config keys, out-of-range thresholds, a listed wave without a file — and runs the
responses stage (the one that reads the response files; config mutations stop at loading). Whatever happens must be one of:

* a :class:`~shnro_research.errors.ShnroError` whose message names the file (or the config key)
  and, for a cell or a line, the line or row and the column or value;
* a completed run in which the mutation shows up (a problem or exclusion of that file and row,
  the dropped column, the blank lines in the read report);

never another exception (a traceback), never a result unchanged by the mutation. In every
completed run raw rows = clean rows + excluded rows for every file (and the raw rows are the
file's data rows); the raw files are byte-identical after the run.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shnro_research.errors import ShnroError
from shnro_research.instruments import load_instrument

pytestmark = pytest.mark.slow

WAVE = 2022
PARENTS = f"parents_{WAVE}.csv"
TEACHERS = f"teachers_{WAVE}.xlsx"
STUDENTS = f"students_{WAVE}.sav"
INST = {g: load_instrument(g) for g in ("parents", "teachers", "students")}
FILE_GROUP = {PARENTS: "parents", TEACHERS: "teachers", STUDENTS: "students"}


def _answer_columns(group: str) -> list[str]:
    return [c for c, it in INST[group].column_item().items() if it.type != "text"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The small demo study and the row counts of its response files."""
    from shnro_research.demo import generate_demo, write_demo
    folder = tmp_path_factory.mktemp("prop_demo")
    study = generate_demo(11, n_schools=15, n_sampled=12, waves=(WAVE,))
    write_demo(study, folder)
    rows = {PARENTS: len(study.parents), TEACHERS: len(study.teachers),
            STUDENTS: len(study.students)}
    return folder, rows


# -- mutations ------------------------------------------------------------------------------

@dataclass
class Mutation:
    """What was done and what the outcome must show."""

    kind: str
    file: str = ""                  # the mutated file (base name); "" for config mutations
    key: str = ""                   # the config key path a config error must name
    row: int | None = None          # 0-based data row of a cell mutation
    column: str = ""
    value: object = None
    error_only: bool = False        # must end in an error
    names: list[str] = field(default_factory=list)   # an error must name one of each group


def _csv_lines(p: Path) -> list[bytes]:
    return p.read_bytes().split(b"\r\n")


def _set_csv_cell(p: Path, row: int, column: str, value: str) -> None:
    lines = _csv_lines(p)
    header = next(csv.reader([lines[0].decode("cp1251")], delimiter=";"))
    j = header.index(column)
    fields = next(csv.reader([lines[row + 1].decode("cp1251")], delimiter=";"))
    fields[j] = value
    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="").writerow(fields)
    lines[row + 1] = buf.getvalue().encode("cp1251")
    p.write_bytes(b"\r\n".join(lines))


def _rename_csv_column(p: Path, old: str, new: str | None) -> None:
    lines = _csv_lines(p)
    header = lines[0].decode("cp1251").split(";")
    j = header.index(old)
    if new is None:                                  # drop the column from every line
        out = []
        for ln in lines:
            if ln:
                parts = ln.split(b";")
                del parts[j]
                ln = b";".join(parts)
            out.append(ln)
        lines = out
    else:
        header[j] = new
        lines[0] = ";".join(header).encode("cp1251")
    p.write_bytes(b"\r\n".join(lines))


def _set_xlsx_cell(p: Path, row: int, column: str, value) -> None:
    import openpyxl
    wb = openpyxl.load_workbook(p)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=row + 2, column=header.index(column) + 1)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"                          # text, even "=1+1" (not a live formula)
    wb.save(p)


def _rename_xlsx_column(p: Path, old: str, new: str) -> None:
    import openpyxl
    wb = openpyxl.load_workbook(p)
    ws = wb.worksheets[0]
    for c in ws[1]:
        if c.value == old:
            c.value = new
    wb.save(p)


def _rewrite_sav(p: Path, fn) -> None:
    import pyreadstat
    df, meta = pyreadstat.read_sav(str(p), user_missing=True)
    df = fn(df)
    pyreadstat.write_sav(df, str(p))


def _edit_config(folder: Path, fn) -> None:
    p = folder / "study.yaml"
    cfg = yaml.safe_load(p.read_text(encoding="utf-8"))
    fn(cfg)
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")


CELL_TEXT = ["abc", "=1+1", "много", "+7 900 123-45-67", "@SUM(A1)", "-", "3,5,7"]
CELL_NUMBERS = [-9, 1e12, 99999, -1e300, 2.5]
UNKNOWN_KEYS = [("validation", "min_answerd", 0.5), ("report", "min_cel", 3),
                ("design", "lonely_pus", "remove"), ("typology", "residual_sdd", 1.0),
                ("", "respones", {}), ("", "validaton", {})]
BAD_VALUES = [("validation", "min_answered", 1.5), ("validation", "straightline_min_items", 1),
              ("report", "min_cell", 0), ("scoring", "tension_thresholds", [50, 25, 75]),
              ("typology", "context_quantile", 1.2), ("dynamics", "alpha", 0),
              ("validation", "grades", "eight"), ("design", "lonely_psu", "sometimes"),
              ("validation", "keep_columns", "phone"), ("validation", "keep_columns", [""])]


KINDS = ("drop_column", "rename_column", "extra_column", "cell_text", "cell_number",
         "duplicate_id", "truncate_line", "pad_line", "blank_lines", "encoding_bytes",
         "utf8_text_in_cp1251", "wrong_wave", "truncate_file", "unknown_key", "bad_value",
         "wave_without_file", "wrong_encoding", "sav_rename", "xlsx_cell", "xlsx_rename",
         "empty_id", "school_not_in_sample", "forms_header", "duplicate_config_key",
         "sav_cell", "xlsx_formula", "whole_file_other_wave", "header_only")


@st.composite
def mutations(draw, rows: dict[str, int], kind: str):
    if kind in ("unknown_key", "bad_value"):
        block, key, value = draw(st.sampled_from(UNKNOWN_KEYS if kind == "unknown_key"
                                                 else BAD_VALUES))
        path = f"{block}.{key}" if block else key
        return Mutation(kind, key=path, value=(block, key, value), error_only=True,
                        names=[[path]])
    if kind == "wave_without_file":
        return Mutation(kind, key="study.waves", error_only=True, names=[["study.waves"]])
    if kind == "wrong_encoding":
        return Mutation(kind, file=PARENTS, value=draw(st.sampled_from(["koi8-r", "cp866",
                                                                        "utf-8"])),
                        error_only=True, names=[[PARENTS], ["line", "encoding"]])
    if kind in ("sav_rename",):
        col = draw(st.sampled_from(_answer_columns("students")))
        return Mutation(kind, file=STUDENTS, column=col, error_only=True,
                        names=[[STUDENTS], [col]])
    if kind in ("xlsx_rename",):
        col = draw(st.sampled_from(_answer_columns("teachers")))
        return Mutation(kind, file=TEACHERS, column=col, error_only=True,
                        names=[[TEACHERS], [col]])
    if kind == "xlsx_cell":
        col = draw(st.sampled_from(_answer_columns("teachers")))
        row = draw(st.integers(0, rows[TEACHERS] - 1))
        value = draw(st.sampled_from(CELL_TEXT + CELL_NUMBERS))
        return Mutation(kind, file=TEACHERS, row=row, column=col, value=value,
                        names=[[TEACHERS], [f"row {row + 1}", f"line {row + 2}", col]])
    if kind == "duplicate_config_key":
        return Mutation(kind, key="report", error_only=True, names=[["given twice"],
                                                                     ["report"]])
    if kind == "sav_cell":
        col = draw(st.sampled_from(_answer_columns("students")))
        row = draw(st.integers(0, rows[STUDENTS] - 1))
        return Mutation(kind, file=STUDENTS, row=row, column=col,
                        value=draw(st.sampled_from(CELL_NUMBERS)))
    if kind == "xlsx_formula":
        col = draw(st.sampled_from(_answer_columns("teachers")))
        row = draw(st.integers(0, rows[TEACHERS] - 1))
        return Mutation(kind, file=TEACHERS, row=row, column=col, error_only=True,
                        names=[[TEACHERS], [f"{row + 2}"]])
    if kind == "header_only":
        f = draw(st.sampled_from([PARENTS, TEACHERS]))
        return Mutation(kind, file=f, error_only=True, names=[[f], ["no data rows"]])
    n = rows[PARENTS]
    row = draw(st.integers(0, n - 1))
    cols = _answer_columns("parents")
    if kind in ("empty_id", "school_not_in_sample"):
        return Mutation(kind, file=PARENTS, row=row, column=draw(st.sampled_from(
            ["school_id", "class_id"] + (["resp_id"] if kind == "empty_id" else []))))
    if kind == "forms_header":
        return Mutation(kind, file=PARENTS, column=draw(st.sampled_from(
            ["resp_id", "school_id", "ten_01", "relation"])))
    if kind == "whole_file_other_wave":
        return Mutation(kind, file=PARENTS, error_only=True,
                        names=[[PARENTS], ["line 2"], [f"responses.parents.{WAVE}"]])
    if kind in ("drop_column", "rename_column"):
        col = draw(st.sampled_from(cols))
        return Mutation(kind, file=PARENTS, column=col, error_only=True,
                        names=[[PARENTS], [col]])
    if kind == "extra_column":
        return Mutation(kind, file=PARENTS, column=draw(st.sampled_from(
            ["ФИО", "phone", "Отметка времени", "e-mail адрес"])))
    if kind in ("cell_text", "cell_number"):
        value = draw(st.sampled_from(CELL_TEXT if kind == "cell_text" else CELL_NUMBERS))
        return Mutation(kind, file=PARENTS, row=row, column=draw(st.sampled_from(cols)),
                        value=value, names=[[PARENTS], [f"line {row + 2}", f"row {row + 1}"]])
    if kind == "duplicate_id":
        other = draw(st.integers(0, n - 2))
        other += other >= row                        # another row
        return Mutation(kind, file=PARENTS, row=row, value=other, column="resp_id")
    if kind in ("truncate_line", "pad_line", "encoding_bytes", "utf8_text_in_cp1251"):
        return Mutation(kind, file=PARENTS, row=row, error_only=True,
                        names=[[PARENTS], [f"line {row + 2}"]])
    if kind == "blank_lines":
        return Mutation(kind, file=PARENTS, row=row)
    if kind == "wrong_wave":
        return Mutation(kind, file=PARENTS, row=row, error_only=True,
                        names=[[PARENTS], [f"line {row + 2}"], ["2023"]])
    if kind == "truncate_file":
        f = draw(st.sampled_from([PARENTS, TEACHERS, STUDENTS]))
        return Mutation(kind, file=f, value=draw(st.floats(0.05, 0.95)), error_only=True,
                        names=[[f]])
    raise AssertionError(kind)


def apply(m: Mutation, folder: Path) -> None:
    raw = folder / "raw"
    p = raw / m.file if m.file else None
    if m.kind == "drop_column":
        _rename_csv_column(p, m.column, None)
    elif m.kind == "rename_column":
        _rename_csv_column(p, m.column, m.column[:-1] + "x" + m.column[-1])
    elif m.kind == "extra_column":
        lines = _csv_lines(p)
        lines = [(ln + (";" + m.column if i == 0 else ";+7 900 123-45-67").encode("cp1251"))
                 if ln else ln for i, ln in enumerate(lines)]
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind in ("cell_text", "cell_number"):
        _set_csv_cell(p, m.row, m.column, str(m.value))
    elif m.kind == "duplicate_id":
        lines = _csv_lines(p)
        rid = lines[m.value + 1].split(b";")[0]
        parts = lines[m.row + 1].split(b";")
        parts[0] = rid
        lines[m.row + 1] = b";".join(parts)
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind in ("truncate_line", "pad_line"):
        lines = _csv_lines(p)
        ln = lines[m.row + 1]
        lines[m.row + 1] = ln.rsplit(b";", 2)[0] if m.kind == "truncate_line" else ln + b";;"
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind == "blank_lines":
        lines = _csv_lines(p)
        lines[m.row + 1:m.row + 1] = [b"", b"  "]
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind == "encoding_bytes":
        lines = _csv_lines(p)
        lines[m.row + 1] = lines[m.row + 1] + b"\x98\x98"    # undefined in cp1251
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind == "utf8_text_in_cp1251":
        lines = _csv_lines(p)
        parts = lines[m.row + 1].split(b";")
        parts[-1] = "Мне нравится школа".encode("utf-8")
        lines[m.row + 1] = b";".join(parts)
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind == "wrong_wave":
        _set_csv_cell(p, m.row, "wave", "2023")
    elif m.kind == "truncate_file":
        data = p.read_bytes()
        p.write_bytes(data[:max(1, int(len(data) * m.value))])
    elif m.kind == "sav_rename":
        _rewrite_sav(p, lambda df: df.rename(columns={m.column: m.column + "_v2"}))
    elif m.kind == "xlsx_rename":
        _rename_xlsx_column(p, m.column, m.column.replace("_", " ") + " (new)")
    elif m.kind == "xlsx_cell":
        _set_xlsx_cell(p, m.row, m.column, m.value)
    elif m.kind == "empty_id":
        _set_csv_cell(p, m.row, m.column, "")
    elif m.kind == "school_not_in_sample":
        _set_csv_cell(p, m.row, m.column, "S99" if m.column == "school_id" else "S99-C9")
    elif m.kind == "forms_header":                 # 'Resp ID ' as a Google-Forms export says
        _rename_csv_column(p, m.column, " " + m.column.replace("_", " ").title() + " ")
    elif m.kind == "whole_file_other_wave":
        lines = _csv_lines(p)
        lines[1:] = [ln.replace(f";{WAVE};".encode(), f";{WAVE + 1};".encode(), 1)
                     for ln in lines[1:]]
        p.write_bytes(b"\r\n".join(lines))
    elif m.kind == "header_only":
        if m.file == PARENTS:
            p.write_bytes(_csv_lines(p)[0] + b"\r\n")
        else:
            import openpyxl
            wb = openpyxl.load_workbook(p)
            ws = wb.worksheets[0]
            ws.delete_rows(2, ws.max_row)
            wb.save(p)
    elif m.kind == "sav_cell":
        def edit(df):
            df[m.column] = df[m.column].astype(float)
            df.loc[m.row, m.column] = m.value
            return df
        _rewrite_sav(p, edit)
    elif m.kind == "xlsx_formula":
        import openpyxl
        wb = openpyxl.load_workbook(p)
        ws = wb.worksheets[0]
        header = [c.value for c in ws[1]]
        ws.cell(row=m.row + 2, column=header.index(m.column) + 1).value = "=1+1"
        wb.save(p)
    elif m.kind == "duplicate_config_key":
        p = folder / "study.yaml"
        p.write_text(p.read_text(encoding="utf-8") + "report:\n  min_cell: 5\nreport:\n"
                     "  min_cell: 3\n", encoding="utf-8")
    elif m.kind in ("unknown_key", "bad_value"):
        block, key, value = m.value

        def edit(cfg):
            (cfg if not block else cfg.setdefault(block, {}))[key] = value
        _edit_config(folder, edit)
    elif m.kind == "wave_without_file":
        _edit_config(folder, lambda cfg: cfg["study"].__setitem__("waves", [WAVE, WAVE + 1]))
    elif m.kind == "wrong_encoding":
        _edit_config(folder, lambda cfg: cfg["responses"]["parents"][WAVE].__setitem__(
            "encoding", m.value))
    else:  # pragma: no cover
        raise AssertionError(m.kind)


# -- checks ---------------------------------------------------------------------------------

def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "raw").iterdir())}


def check_error(m: Mutation, exc: ShnroError) -> None:
    msg = str(exc)
    for group in m.names:
        assert any(name in msg for name in group), (m, msg)
    if m.file and not m.names:
        assert m.file in msg, (m, msg)


def check_completed(m: Mutation, folder: Path, rows: dict[str, int]) -> None:
    out = folder / "output" / "02_responses"
    counts = pd.read_parquet(out / "row_counts.parquet")
    problems = pd.read_parquet(out / "problems.parquet")
    excl = pd.read_parquet(out / "exclusions.parquet")
    for r in counts.itertuples():
        assert r.raw_rows == r.clean_rows + r.excluded_rows, r
        assert r.raw_rows == rows[r.file], (r, rows[r.file])
        assert (excl["file"] == r.file).sum() == r.excluded_rows
    for g in ("students", "parents", "teachers"):
        clean = pd.read_parquet(out / f"{g}_clean.parquet")
        assert len(clean) == counts.loc[counts.group == g, "clean_rows"].sum()
    mine = problems[problems["file"] == m.file]
    if m.kind == "extra_column":
        hit = mine[(mine["problem"] == "column_not_in_instrument") & (mine["column"] == m.column)]
        assert len(hit) == 1, m
        assert m.column not in pd.read_parquet(out / "parents_clean.parquet")
        assert not problems["value"].str.contains("900 123").any()
    elif m.kind in ("empty_id", "school_not_in_sample"):
        ex = excl[(excl["file"] == m.file) & (excl["row"] == m.row + 1)]
        want = "missing_id" if m.kind == "empty_id" else "not_in_sample"
        assert len(ex) == 1 and want in ex["reasons"].iloc[0], (m, ex)
        assert (ex["line"] == m.row + 2).all()
    elif m.kind == "forms_header":
        read = pd.read_parquet(out / "read_report.parquet")
        renamed = read.loc[read["file"] == m.file, "renamed_columns"].iloc[0]
        assert f"->{m.column}" in renamed, renamed
    elif m.kind in ("cell_text", "cell_number", "xlsx_cell", "sav_cell"):
        group = FILE_GROUP[m.file]
        item = INST[group].column_item()[m.column]
        hit = mine[(mine["row"] == m.row + 1)
                   & mine["column"].isin([m.column, item.id])]
        if m.file == PARENTS and len(hit):
            assert (hit["line"] == m.row + 2).all(), hit
        assert len(hit) >= 1, (m, mine[mine["row"] == m.row + 1])
    elif m.kind == "duplicate_id":
        ex = excl[excl["file"] == m.file]
        dup = ex[ex["reasons"].str.contains("duplicate_id")]
        assert {m.row + 1, m.value + 1} <= set(dup["row"]), (m, dup)
    elif m.kind == "blank_lines":
        read = pd.read_parquet(out / "read_report.parquet")
        notes = " ".join(read.loc[read["file"] == m.file].astype(str).to_numpy().ravel())
        assert "2 blank line(s) skipped" in notes
        # a problem after the blank lines keeps the file's own line
        later = mine[mine["row"] > m.row]
        assert (later["line"] == later["row"] + 3).all()
    else:
        raise AssertionError(f"mutation {m.kind} completed without an error: {m}")


#: examples per kind of mutation (its row, column and value drawn at random); config mutations
#: stop at loading and are cheap, data mutations run the responses stage (about a second)
EXAMPLES = 3


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_study_fails_clearly_or_logs_the_mutation(demo, kind, data):
    from shnro_research.pipeline import load_study, run_study
    src, rows = demo
    m = data.draw(mutations(rows, kind), label="mutation")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "study"
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("output"))
        apply(m, folder)
        before = _hashes(folder)
        try:
            run_study(load_study(folder / "study.yaml"), stages=["responses"], progress=False)
        except ShnroError as exc:
            event(f"{m.kind}: {type(exc).__name__}")
            check_error(m, exc)
        else:
            event(f"{m.kind}: completed")
            assert not m.error_only, f"{m} completed although it must be an error"
            check_completed(m, folder, rows)
        assert _hashes(folder) == before, "a raw file was changed by the run"


def test_the_unmutated_small_demo_completes(demo):
    """The base of the suite: the copy runs cleanly and raw = clean + excluded."""
    from shnro_research.pipeline import load_study, run_study
    src, rows = demo
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "study"
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("output"))
        before = _hashes(folder)
        run_study(load_study(folder / "study.yaml"), stages=["responses"], progress=False)
        counts = pd.read_parquet(folder / "output" / "02_responses" / "row_counts.parquet")
        assert dict(zip(counts["file"], counts["raw_rows"])) == rows
        assert (counts.raw_rows == counts.clean_rows + counts.excluded_rows).all()
        assert _hashes(folder) == before
        assert re.fullmatch(r"[0-9a-f]{64}", next(iter(before.values())))
