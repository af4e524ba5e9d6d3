"""Delimited text files (CSV, TSV, ...): strict decoding, separator and decimal mark."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import DataError
from .columns import check_duplicate_names, decimal_comma_columns
from .encodings import byte_level, check_encoding, decode_head, text_codec
from .report import ReadReport, short_list

SEPARATORS = (";", ",", "\t", "|")


def read_csv(path: Path, encoding: str | None, sep: str | None, decimal: str | None
             ) -> tuple[pd.DataFrame, ReadReport]:
    """Read a delimited text file; ``encoding`` is a Python name (already checked).

    The bytes are read once. Encoding, records and field counts are checked on the bytes (UTF-8
    and single-byte code pages; other encodings are decoded and re-encoded as UTF-8 first) and
    pandas' C parser reads the same bytes with ``encoding=``: no Python string of the whole
    file is built.
    """
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
    enc, source, notes = check_encoding(raw, encoding, path.name)
    report.encoding_used, report.encoding_source = enc, source
    report.notes += notes
    codec = text_codec(raw, enc)
    if not byte_level(codec):
        raw, codec = raw.decode(codec).encode("utf-8"), "utf-8"
    codec = "utf-8" if codec == "utf-8-sig" else codec
    start = 0
    if codec == "utf-8":                   # text.lstrip("\ufeff")
        while raw.startswith(b"\xef\xbb\xbf", start):
            start += 3
    if is_blank(raw, start, codec):
        raise DataError(f"{path.name}: the file is empty (no text)")

    head_text = decode_head(raw, codec, start, 1 << 20)
    if sep is None:
        sep = sniff_sep(head_text)
    report.separator = sep
    if decimal is not None:
        dec = decimal
    else:
        dec, note = sniff_decimal(head_text, sep)
        if note:
            report.notes.append(note)
    if dec == sep:
        raise DataError(f"{path.name}: the separator and the decimal mark are both {sep!r}; "
                        "pass sep= or decimal=")
    report.decimal = dec
    starts, n_fields, blank = record_lines_bytes(raw, start, sep, codec)
    if len(starts) == 0 or n_fields[0] == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    try:
        header = next(csv.reader(io.StringIO(head_text), delimiter=sep, skipinitialspace=True),
                      [])
    except csv.Error as exc:        # e.g. lines ending in a lone CR (classic Mac OS)
        raise DataError(f"{path.name}: cannot read the header line: {exc}; re-save the file "
                        "with Windows (CR LF) or Unix (LF) line ends") from None
    header = [h.strip() for h in header]
    if len([h for h in header if h]) == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    check_duplicate_names(header, path.name)
    check_field_counts(lambda line: file_line(raw, start, codec, line), starts, n_fields,
                       path.name)
    try:
        df = pd.read_csv(io.BytesIO(raw if start == 0 else raw[start:]), encoding=codec,
                         sep=sep, decimal=dec, skipinitialspace=True, low_memory=False)
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


def check_field_counts(shown_line: Callable[[int], str], starts: np.ndarray,
                       n_fields: np.ndarray, where: str) -> None:
    """DataError naming the first record whose number of fields differs from the header's: a
    short line would be padded with missing answers, a long one would shift the columns.
    ``shown_line(line)`` gives the text of a 1-based line of the file."""
    if len(n_fields) < 2:
        return
    n = int(n_fields[0])
    bad = np.flatnonzero(n_fields[1:] != n) + 1
    if len(bad) == 0:
        return
    i = int(bad[0])
    line = int(starts[i])
    shown = shown_line(line).rstrip("\r")
    more = f" ({len(bad)} such lines in all, e.g. {short_list([int(starts[j]) for j in bad], 5)})" \
        if len(bad) > 1 else ""
    kind = "fewer" if n_fields[i] < n else "more"
    raise DataError(f"{where}: line {line} has {int(n_fields[i])} fields but the header (line "
                    f"{int(starts[0])}) has {n}: {kind} fields than columns{more}; the line "
                    f"reads {shown[:80]!r}. Fix the line (a lost or extra separator?); it is "
                    "not padded or cut silently")


# -- the same on the bytes of a UTF-8 or single-byte text (encodings.byte_level) -------------

#: bytes str.strip() removes (ASCII whitespace)
_WS = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
_RE_NOT_WS = re.compile(rb"[^\t\n\x0b\x0c\r\x1c-\x1f ]")
_CHUNK = 1 << 22


def is_blank(raw: bytes, start: int, codec: str) -> bool:
    """``not raw[start:].decode(codec).strip()``, decoding only around non-ASCII bytes."""
    pos = start
    while True:
        m = _RE_NOT_WS.search(raw, pos)
        if m is None:
            return True
        if raw[m.start()] < 0x80:
            return False
        hi = min(len(raw), m.start() + 4096)
        while codec == "utf-8" and hi < len(raw) and 0x80 <= raw[hi] < 0xC0:
            hi += 1
        if raw[m.start():hi].decode(codec).strip():
            return False
        pos = hi


def file_line(raw: bytes, start: int, codec: str, line: int) -> str:
    """``text.split("\\n", line)[line - 1]`` of ``text = raw[start:].decode(codec)``."""
    a = start
    if line > 1:
        nl = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8)[start:] == 10)
        a = start + int(nl[line - 2]) + 1
    b = raw.find(b"\n", a)
    return raw[a:len(raw) if b < 0 else b].decode(codec)


def record_lines_bytes(raw: bytes, start: int, sep: str, codec: str
                       ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """:func:`record_lines` of ``raw[start:].decode(codec)``, computed on the bytes.

    Without quotes, records are the lines; with quotes, a line break ends a record when an even
    number of quotes precede it. That agrees with the ``csv`` module when every opening quote
    starts a field and every closing quote ends one; when it cannot be shown to agree (a quote
    inside a field, a lone CR, a NUL byte, an unclosed quote, a record over the csv field size
    limit, an unusual separator) the text is decoded and :func:`record_lines` decides.
    """
    quoted = raw.find(b'"', start) >= 0
    if not (sep.isascii() and sep not in "\n\r\"" and (sep != " " or not quoted)):
        return record_lines(raw[start:].decode(codec), sep)
    a = np.frombuffer(raw, dtype=np.uint8)[start:]
    n = len(a)
    s = ord(sep)
    all_nl = nl = np.flatnonzero(a == 10)
    if quoted:
        q = np.flatnonzero(a == 34)
        if (b"\x00" in raw or raw.count(b"\r", start) != raw.count(b"\r\n", start)
                or len(q) % 2 or not _quotes_delimit_fields(a, q, s)):
            return record_lines(raw[start:].decode(codec), sep)
        nl = nl[np.searchsorted(q, nl) % 2 == 0]          # line breaks outside quotes
    else:
        q = np.zeros(0, dtype=np.int64)
    seg_a = np.concatenate(([0], nl + 1))
    seg_b = np.concatenate((nl, [n]))
    if quoted and (seg_b - seg_a).max() > csv.field_size_limit():
        return record_lines(raw[start:].decode(codec), sep)
    n_sep, n_other, n_special = _segment_counts(raw, start, a, seg_a, seg_b, s, q)
    line = (np.searchsorted(all_nl, seg_a) + 1 if quoted
            else np.arange(1, len(seg_a) + 1))
    last_blank = None
    if quoted:                       # csv yields nothing for the empty text after the last break
        keep = len(seg_a) - (1 if seg_a[-1] == n else 0)
    else:                            # lines[-1].strip() == "": popped
        last_blank = n_other[-1] == 0 and (n_sep[-1] == 0 or sep in _WS.decode())
        if last_blank and n_special[-1]:
            last_blank = not raw[start + seg_a[-1]:start + seg_b[-1]].decode(codec).strip()
        keep = len(seg_a) - (1 if last_blank else 0)
    seg_a, seg_b, n_sep, n_other, n_special, line = (
        x[:keep] for x in (seg_a, seg_b, n_sep, n_other, n_special, line))
    blank = (n_sep == 0) & (n_other == 0)
    for i in np.flatnonzero(blank & (n_special > 0)):
        t = raw[start + seg_a[i]:start + seg_b[i]].decode(codec)
        if quoted:
            rec = next(csv.reader(io.StringIO(t, newline=""), delimiter=sep,
                                  skipinitialspace=True), [])
            blank[i] = not rec or (len(rec) == 1 and not rec[0].strip())
        else:
            blank[i] = not t.strip()
    starts = line[~blank].astype(np.int64)
    counts = (n_sep[~blank] + 1).astype(np.int64)
    return starts, counts, [int(x) for x in line[blank]]


def _quotes_delimit_fields(a: np.ndarray, q: np.ndarray, s: int) -> bool:
    """Whether every opening quote (even position in ``q``) starts a field (after the
    separator, a line break, the start, spaces, or a closing quote: an escaped quote) and every
    closing quote is followed by a quote, the separator, a line break or the end."""
    n = len(a)
    op, cl = q[0::2], q[1::2]
    prev = op - 1
    escaped = np.zeros(len(op), dtype=bool)
    escaped[1:] = cl[:len(op) - 1] == prev[1:]
    todo = ~escaped
    while True:                       # skip spaces before the quote (skipinitialspace)
        sp = todo & (prev >= 0)
        sp[sp] = a[prev[sp]] == 32
        if not sp.any():
            break
        prev[sp] -= 1
    ok_open = escaped | (prev < 0)
    idx = ~ok_open & (prev >= 0)
    ok_open[idx] = np.isin(a[prev[idx]], (s, 10, 13))
    nxt = cl + 1
    ok_close = nxt >= n
    idx = ~ok_close
    ok_close[idx] = np.isin(a[nxt[idx]], (34, s, 10, 13))
    return bool(ok_open.all() and ok_close.all())


def _segment_counts(raw: bytes, start: int, a: np.ndarray, seg_a: np.ndarray,
                    seg_b: np.ndarray, s: int, q: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment ``[seg_a, seg_b)`` of ``a`` (``= raw[start:]``): the separators outside
    quotes; for the segments without one (blank candidates) and the last, also the other ASCII
    bytes (not whitespace, quote or separator) and the quotes and bytes 80..FF (else 1 and 0).
    Separators are counted per segment from their positions, in blocks of 4 MiB, less those
    between an opening and a closing quote."""
    m = len(seg_a)
    n_sep = np.zeros(m, dtype=np.int64)
    i = 0
    while i < m:
        j = max(int(np.searchsorted(seg_a, seg_a[i] + _CHUNK, side="right")), i + 1)
        lo, hi = int(seg_a[i]), int(seg_b[j - 1])
        if hi > lo:
            at = np.flatnonzero(a[lo:hi] == s) + lo          # the separators of the block
            # segments are contiguous (a line break, never a separator, between two)
            n_sep[i:j] = np.diff(np.searchsorted(at, np.append(seg_a[i:j], hi)))
            qa, qb = np.searchsorted(q, [lo, hi])
            if qb > qa:                              # quotes pair up inside each block
                op, cl = q[qa:qb:2], q[qa + 1:qb:2]
                inside = np.searchsorted(at, cl) - np.searchsorted(at, op)
                rec = np.searchsorted(seg_a[i:j], op, side="right") - 1
                n_sep[i:j] -= np.bincount(rec, weights=inside, minlength=j - i).astype(np.int64)
        i = j
    n_other = np.ones(m, dtype=np.int64)
    n_special = np.zeros(m, dtype=np.int64)
    drop = bytes(_WS) + b'"' + bytes([s]) + bytes(range(128, 256))
    keep_special = bytes(range(128))
    for i in np.union1d(np.flatnonzero(n_sep == 0), [m - 1]):      # and the last one
        seg = raw[start + seg_a[i]:start + seg_b[i]]
        n_other[i] = len(seg.translate(None, drop))
        n_special[i] = len(seg.translate(None, keep_special)) + seg.count(b'"')
    return n_sep, n_other, n_special


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
