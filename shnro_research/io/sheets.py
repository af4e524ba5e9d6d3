"""Excel workbooks (``.xlsx``/``.xlsm``) and Parquet files."""
from __future__ import annotations

import posixpath
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Sequence
from xml.etree import ElementTree

import pandas as pd

from ..errors import DataError, ParameterError
from .columns import check_duplicate_names, decimal_comma_columns, norm_name
from .encodings import detect_mojibake
from .report import ReadReport, short_list


_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the XML of the worksheet named ``sheet`` (None if not found)."""
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rid = None
    for el in wb.iter(f"{ns_main}sheet"):
        if el.get("name") == sheet:
            rid = el.get(f"{ns_rel}id")
            break
    if rid is None:
        return None
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for el in rels:
        if el.get("Id") == rid:
            target = el.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            return posixpath.normpath(target)
    return None


def uncached_formulas(path: Path, sheet: str, limit: int = 5) -> list[tuple[str, str]]:
    """Cells of ``sheet`` holding a formula without a saved (cached) value: ``[(cell, formula)]``.

    A workbook written by a program that does not calculate (a script, some exporters) stores
    formulas without their results; every reader of values (calamine, openpyxl with
    ``data_only=True``, pandas) then sees empty cells. The sheet's XML is scanned for a
    ``<f>`` element (a byte search, streamed); only if one is present are the cells parsed.
    Shared formulas (``<f t="shared" si="k"/>``) are reported with the text of their master cell;
    a text formula cell (``t="str"``) with an empty ``<v/>`` is a cached empty string, not a
    missing value.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None or part not in zf.namelist():
                return []
            with zf.open(part) as fh:          # quick test: any formula at all?
                tail, found = b"", False
                while chunk := fh.read(1 << 20):
                    if _FORMULA_TAG.search(tail + chunk):
                        found = True
                        break
                    tail = chunk[-64:]
            if not found:
                return []
            out: list[tuple[str, str]] = []
            shared: dict[str, str] = {}
            with zf.open(part) as fh:
                for _, el in ElementTree.iterparse(fh, events=("end",)):
                    if el.tag.rsplit("}", 1)[-1] != "c":
                        continue
                    f = v = None
                    for child in el:
                        tag = child.tag.rsplit("}", 1)[-1]
                        if tag == "f":
                            f = child
                        elif tag in ("v", "is"):
                            v = child
                    if f is not None:
                        text = f.text or ""
                        si = f.get("si")
                        if si is not None and text:
                            shared.setdefault(si, text)
                        # an empty <v/> is a cached empty text only in a text cell
                        # (t="str"); openpyxl and scripts write formulas with an empty <v/>
                        has_value = v is not None and (
                            (v.text or "") != "" or len(v) > 0
                            or el.get("t") in ("str", "inlineStr"))
                        if not has_value:
                            shown = text or (f"shared formula {shared[si]!r}" if si in shared
                                             else "shared formula")
                            out.append((el.get("r", "?"), shown if not text else "=" + text))
                            if len(out) >= limit:
                                break
                    el.clear()
            return out
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return []


def _cell(value):
    """A calamine cell as pandas' calamine reader converts it (whole floats -> int, dates ->
    datetime, as openpyxl returns them)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def read_xlsx(path: Path, sheet: str | int | None, decimal: str | None,
              prefer: Sequence[str] = ()) -> tuple[pd.DataFrame, ReadReport]:
    """Read one sheet; by default the first whose header holds all of ``prefer``.

    Cells are read by python-calamine (Rust; about 10x faster than openpyxl on large sheets)
    and typed as pandas' ``read_excel`` types them (the same values and dtypes as the openpyxl
    engine; ``tests/test_io_sheets.py``). A formula cell without a saved value is refused with
    a :class:`DataError` naming the file, sheet, cell and formula (it would otherwise read as
    an empty cell).
    """
    report = ReadReport(file=path.name, format="xlsx", encoding_used="unicode (xlsx)",
                        encoding_source="format")
    try:
        from python_calamine import CalamineWorkbook, SheetTypeEnum
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # CalamineError, ZipError, XmlError ...
        raise DataError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}: "
                        f"{exc})") from None
    rows_of: dict[str, list] = {}

    def rows(name: str) -> list:
        if name not in rows_of:
            try:
                rows_of[name] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:
                raise DataError(f"{path.name}: cannot read sheet {name!r}: "
                                f"{type(exc).__name__}: {exc}") from None
        return rows_of[name]

    def header_of(name: str) -> list[str]:
        r = rows(name)
        return ["" if v is None or v == "" else str(_cell(v)) for v in (r[0] if r else [])]

    try:
        names = [m.name for m in wb.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        report.sheets = tuple(names)
        if not names:
            raise DataError(f"{path.name}: the workbook has no sheets")
        if isinstance(sheet, str) and sheet not in names and sheet.isdigit():
            sheet = int(sheet)                     # a position given as text (command line)
        if sheet is None:
            chosen = names[0]
            if prefer and len(names) > 1:
                need = {norm_name(c) for c in prefer}
                for n in names:
                    if need <= {norm_name(h) for h in header_of(n)}:
                        chosen = n
                        break
            if len(names) > 1:
                report.notes.append(f"workbook has sheets {names}; read sheet {chosen!r} "
                                    "(pass sheet= to choose another)")
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise ParameterError(f"'sheet' = {sheet} is out of range; {path.name} has "
                                     f"{len(names)} sheet(s): {names}")
            chosen = names[sheet]
        else:
            if sheet not in names:
                raise ParameterError(f"'sheet': no sheet {sheet!r} in {path.name}; sheets: "
                                     f"{names}")
            chosen = sheet
        report.sheet = chosen
        header = [h.strip() for h in header_of(chosen)]
        data = rows(chosen)
    finally:
        wb.close()
    while header and not header[-1]:
        header.pop()
    if not header:
        raise DataError(f"{path.name}: sheet {chosen!r} is empty (no header row)")
    check_duplicate_names([h for h in header if h], f"{path.name} [{chosen}]")
    bad = uncached_formulas(path, chosen)
    if bad:
        cells = "; ".join(f"{c}: {f}" for c, f in bad)
        raise DataError(f"{path.name} [sheet {chosen!r}]: formula cell(s) without a saved value "
                        f"({cells}{' ...' if len(bad) >= 5 else ''}); they would read as empty. "
                        "Open the workbook in Excel or LibreOffice, let it recalculate and save "
                        "it again, or replace the formulas by values")
    try:
        from pandas.io.parsers import TextParser
        df = TextParser([[_cell(v) for v in r] for r in data], header=0,
                        skip_blank_lines=False).read()
    except Exception as exc:
        raise DataError(f"{path.name}: cannot read sheet {chosen!r}: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    df = df.dropna(how="all")
    df = df.loc[:, [not (c.startswith("Unnamed:") and df[c].isna().all()) for c in df.columns]]
    df = df.reset_index(drop=True)
    texts = list(df.columns)
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            texts += [v for v in df[c].dropna().iloc[:2000].unique()[:300] if isinstance(v, str)]
    kind, example = detect_mojibake(texts)
    if kind is not None:
        report.notes.append(f"text in the workbook looks mis-decoded ({kind}: {example!r}); it "
                            "was probably imported into Excel with a wrong encoding")
    if decimal is not None:
        report.decimal = decimal
        if decimal == ",":
            conv = decimal_comma_columns(df)
            if conv:
                report.notes.append("text cells with decimal commas converted to numbers in: "
                                    + short_list(conv))
    return df, report


def read_parquet_frame(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """``pd.read_parquet`` (the same frame) that gives back what arrow held: the arrow table is
    freed column by column as pandas takes it, and arrow's allocator returns its freed memory
    to the system after the read. Without that a national file of answers (2.8 million rows x
    183 columns, 4.6 GB in pandas) left 4.8 GB held by arrow into validation (9.5 GB -> 4.7 GB
    after the read)."""
    import pyarrow as pa
    try:
        return pd.read_parquet(path, columns=None if columns is None else list(columns),
                               to_pandas_kwargs={"self_destruct": True, "split_blocks": True})
    finally:
        pa.default_memory_pool().release_unused()


def read_parquet(path: Path, decimal: str | None) -> tuple[pd.DataFrame, ReadReport]:
    """Read a Parquet file (typed columns: no encoding, separator or decimal mark to detect)."""
    report = ReadReport(file=path.name, format="parquet", encoding_used="unicode (parquet)",
                        encoding_source="format")
    try:
        df = read_parquet_frame(path)
    except Exception as exc:  # pyarrow.ArrowInvalid, OSError ...
        raise DataError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: "
                        f"{exc})") from None
    if decimal is not None:
        report.notes.append(f"decimal={decimal!r} does not apply to Parquet (numbers are typed)")
    check_duplicate_names([str(c) for c in df.columns], path.name)
    return df, report
