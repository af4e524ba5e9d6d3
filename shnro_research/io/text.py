"""Delimited text files (CSV, TSV, ...): strict decoding, separator and decimal mark."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .columns import check_duplicate_names, decimal_comma_columns
from .encodings import decode_text
from .report import ReadReport, short_list

SEPARATORS = (";", ",", "\t", "|")


def read_csv(path: Path, encoding: str | None, sep: str | None, decimal: str | None
             ) -> tuple[pd.DataFrame, ReadReport]:
    """Read a delimited text file; ``encoding`` is a Python name (already checked)."""
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
    text, enc, source, notes = decode_text(raw, encoding, path.name)
    report.encoding_used, report.encoding_source = enc, source
    report.notes += notes
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty (no text)")

    if sep is None:
        sep = sniff_sep(text[:1 << 20])
    report.separator = sep
    dec = decimal if decimal is not None else ("," if sep == ";" else ".")
    if dec == sep:
        raise DataError(f"{path.name}: the separator and the decimal mark are both {sep!r}; "
                        "pass sep= or decimal=")
    report.decimal = dec
    header = next(csv.reader(io.StringIO(text[:1 << 20]), delimiter=sep), [])
    header = [h.strip() for h in header]
    if len([h for h in header if h]) == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    check_duplicate_names(header, path.name)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, decimal=dec, skipinitialspace=True,
                         low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file is empty (no columns)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot parse as CSV with separator {sep!r}: "
                        f"{str(exc).strip()}") from None
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    if dec == ",":
        conv = decimal_comma_columns(df)
        if conv:
            report.notes.append("decimal commas converted to numbers in: " + short_list(conv))
    return df, report


def sniff_sep(text: str) -> str:
    """The separator among ``; , tab |`` that splits the first lines most consistently."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:50]
    best, best_key = ",", (-1, -1)
    for cand in SEPARATORS:
        try:
            rows = list(csv.reader(lines, delimiter=cand))
        except csv.Error:
            continue
        if not rows:
            continue
        n = len(rows[0])
        if n < 2:
            continue
        consistent = sum(len(r) == n for r in rows[1:]) / max(1, len(rows) - 1)
        key = (consistent, n)
        if key > best_key:
            best, best_key = cand, key
    return best
