"""Excel workbooks (``.xlsx``/``.xlsm``) and Parquet files."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pandas as pd

from ..errors import DataError, ParameterError
from .columns import check_duplicate_names, decimal_comma_columns, norm_name
from .encodings import detect_mojibake
from .report import ReadReport, short_list


def read_xlsx(path: Path, sheet: str | int | None, decimal: str | None,
              prefer: Sequence[str] = ()) -> tuple[pd.DataFrame, ReadReport]:
    """Read one sheet; by default the first whose header holds all of ``prefer``."""
    report = ReadReport(file=path.name, format="xlsx", encoding_used="unicode (xlsx)",
                        encoding_source="format")
    try:
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise DataError(f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__}: "
                        f"{exc})") from None
    try:
        names = list(wb.sheetnames)
        report.sheets = tuple(names)
        headers = {}
        for n in names:
            ws = wb[n]
            row = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            headers[n] = ["" if v is None else str(v) for v in row]
    finally:
        wb.close()
    if not names:
        raise DataError(f"{path.name}: the workbook has no sheets")
    if isinstance(sheet, str) and sheet not in names and sheet.isdigit():
        sheet = int(sheet)                     # a position given as text (command line)
    if sheet is None:
        chosen = names[0]
        if prefer:
            need = {norm_name(c) for c in prefer}
            for n in names:
                if need <= {norm_name(h) for h in headers[n]}:
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
            raise ParameterError(f"'sheet': no sheet {sheet!r} in {path.name}; sheets: {names}")
        chosen = sheet
    report.sheet = chosen
    header = [h.strip() for h in headers[chosen]]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise DataError(f"{path.name}: sheet {chosen!r} is empty (no header row)")
    check_duplicate_names([h for h in header if h], f"{path.name} [{chosen}]")
    try:
        df = pd.read_excel(path, sheet_name=chosen, engine="openpyxl")
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


def read_parquet(path: Path, decimal: str | None) -> tuple[pd.DataFrame, ReadReport]:
    """Read a Parquet file (typed columns: no encoding, separator or decimal mark to detect)."""
    report = ReadReport(file=path.name, format="parquet", encoding_used="unicode (parquet)",
                        encoding_source="format")
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow.ArrowInvalid, OSError ...
        raise DataError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: "
                        f"{exc})") from None
    if decimal is not None:
        report.notes.append(f"decimal={decimal!r} does not apply to Parquet (numbers are typed)")
    check_duplicate_names([str(c) for c in df.columns], path.name)
    return df, report
