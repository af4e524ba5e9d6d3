"""Delimited text files (CSV, TSV, ...): strict decoding, separator and decimal mark."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
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
    if decimal is not None:
        dec = decimal
    else:
        dec, note = sniff_decimal(text[:1 << 20], sep)
        if note:
            report.notes.append(note)
    if dec == sep:
        raise DataError(f"{path.name}: the separator and the decimal mark are both {sep!r}; "
                        "pass sep= or decimal=")
    report.decimal = dec
    starts, n_fields, blank = record_lines(text, sep)
    if len(starts) == 0 or n_fields[0] == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    header = next(csv.reader(io.StringIO(text[:1 << 20]), delimiter=sep,
                             skipinitialspace=True), [])
    header = [h.strip() for h in header]
    if len([h for h in header if h]) == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    check_duplicate_names(header, path.name)
    check_field_counts(text, starts, n_fields, path.name)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, decimal=dec, skipinitialspace=True,
                         low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file is empty (no columns)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot parse as CSV with separator {sep!r}: "
                        f"{str(exc).strip()}") from None
    if len(df) == len(starts) - 1:
        report.lines = starts[1:]
    if blank:
        report.notes.append(f"{len(blank)} blank line(s) skipped (line {short_list(blank, 5)}); "
                            "row numbers count data rows, the file's own line of a row is "
                            "in 'line'")
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


_QUOTE = '"'


def record_lines(text: str, sep: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Where the records of a delimited text start and how many fields each has.

    Returns ``(starts, n_fields, blank)``: the 1-based line on which each non-blank record
    starts (the header first), its number of fields, and the blank lines (empty or spaces only),
    which the CSV parser skips. Quoted fields may hold separators and line breaks.
    """
    if _QUOTE not in text:
        lines = text.split("\n")
        if lines and lines[-1].strip() == "":
            lines.pop()
        is_blank = [not ln.strip() and sep not in ln for ln in lines]
        starts = np.flatnonzero(~np.array(is_blank, dtype=bool)) + 1
        counts = np.fromiter((lines[i - 1].count(sep) + 1 for i in starts), dtype=np.int64,
                             count=len(starts))
        blank = [i + 1 for i, b in enumerate(is_blank) if b]
        return starts.astype(np.int64), counts, blank
    starts_l, counts_l, blank = [], [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    prev = 0
    try:
        for rec in reader:
            first = prev + 1
            prev = reader.line_num
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                blank.append(first)
                continue
            starts_l.append(first)
            counts_l.append(len(rec))
    except csv.Error:       # e.g. an unclosed quote: let the CSV parser name the problem
        pass
    return np.array(starts_l, dtype=np.int64), np.array(counts_l, dtype=np.int64), blank


def check_field_counts(text: str, starts: np.ndarray, n_fields: np.ndarray, where: str) -> None:
    """DataError naming the first record whose number of fields differs from the header's: a
    short line would be padded with missing answers, a long one would shift the columns."""
    if len(n_fields) < 2:
        return
    n = int(n_fields[0])
    bad = np.flatnonzero(n_fields[1:] != n) + 1
    if len(bad) == 0:
        return
    i = int(bad[0])
    line = int(starts[i])
    shown = text.split("\n", line)[line - 1].rstrip("\r")
    more = f" ({len(bad)} such lines in all, e.g. {short_list([int(starts[j]) for j in bad], 5)})" \
        if len(bad) > 1 else ""
    kind = "fewer" if n_fields[i] < n else "more"
    raise DataError(f"{where}: line {line} has {int(n_fields[i])} fields but the header (line "
                    f"{int(starts[0])}) has {n}: {kind} fields than columns{more}; the line "
                    f"reads {shown[:80]!r}. Fix the line (a lost or extra separator?); it is "
                    "not padded or cut silently")


_DOT = r"[+-]?\d+\.\d+"
_COMMA = r"[+-]?\d+,\d+"


def sniff_decimal(text: str, sep: str) -> tuple[str, str]:
    """The decimal mark of a delimited text: ``','`` or ``'.'`` from the numbers in its fields.

    Numbers such as ``3,5`` (only possible with a separator other than ``,``) and ``3.5`` are
    counted; when only one kind occurs it decides, otherwise the convention of the separator
    (``;`` -> ``','``, else ``'.'``). Returns ``(decimal, note)``.
    """
    default = "," if sep == ";" else "."
    if sep == ",":
        return ".", ""
    s = re.escape(sep)
    def count(num: str) -> int:
        return len(re.findall(rf"(?:^|{s})[ \t]*\"?{num}\"?[ \t]*(?={s}|\r?$)", text,
                              flags=re.M))
    n_dot, n_comma = count(_DOT), count(_COMMA)
    if n_dot and not n_comma and default == ",":
        return ".", (f"decimal mark detected as '.' ({n_dot} numbers such as 3.5, none such as "
                     "3,5); pass decimal= to choose")
    if n_comma and not n_dot and default == ".":
        return ",", (f"decimal mark detected as ',' ({n_comma} numbers such as 3,5, none such as "
                     "3.5); pass decimal= to choose")
    if n_dot and n_comma:
        return default, (f"numbers with both decimal marks ({n_comma} such as 3,5, {n_dot} such "
                         f"as 3.5); read with {default!r}: pass decimal= to choose")
    return default, ""
