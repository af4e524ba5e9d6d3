"""SPSS system files (``.sav``/``.zsav``): declared encoding, strict decoding, metadata.

The file is first read with a byte-preserving encoding (latin-1) to get every text of the file
as stored bytes: the file label, variable names and labels, value labels and string values.
Those bytes are decoded strictly with the given, declared or (when the file declares none)
detected encoding; the first byte that does not decode is reported with its row and column.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from .columns import fmt_num
from .encodings import (fits_text, misdecoded, fitting_encodings, iconv_name,
                        norm_encoding_safe)
from .report import ReadReport

_SAV_CODEPAGES = {1251: "windows-1251", 65001: "UTF-8", 1252: "windows-1252", 866: "cp866",
                  20866: "koi8-r", 28591: "iso-8859-1", 28595: "iso-8859-5", 20127: "ascii",
                  2: "ascii", 3: "ascii"}


def sav_declared_encoding(path: Path) -> str | None:
    """Walk the dictionary of a .sav file and return its declared encoding (7/20, else 7/3)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(176)
            if len(head) < 176:
                return None
            e = "<" if struct.unpack("<i", head[64:68])[0] in (2, 3) else ">"
            code_page = enc20 = None
            for _ in range(1_000_000):
                raw = fh.read(4)
                if len(raw) < 4:
                    return None
                rec = struct.unpack(e + "i", raw)[0]
                if rec == 2:
                    _, has_label, n_miss, _, _ = struct.unpack(e + "5i", fh.read(20))
                    fh.read(8)
                    if has_label:
                        n = struct.unpack(e + "i", fh.read(4))[0]
                        fh.read(n + (-n % 4))
                    fh.read(8 * abs(n_miss))
                elif rec == 3:
                    n = struct.unpack(e + "i", fh.read(4))[0]
                    for _ in range(n):
                        fh.read(8)
                        k = fh.read(1)[0]
                        fh.read(k + (-(k + 1) % 8))
                elif rec == 4:
                    n = struct.unpack(e + "i", fh.read(4))[0]
                    fh.read(4 * n)
                elif rec == 6:
                    n = struct.unpack(e + "i", fh.read(4))[0]
                    fh.read(80 * n)
                elif rec == 7:
                    sub, size, count = struct.unpack(e + "3i", fh.read(12))
                    body = fh.read(size * count)
                    if sub == 3 and size == 4 and count >= 8:
                        code_page = struct.unpack(e + "8i", body[:32])[7]
                    elif sub == 20:
                        enc20 = body.decode("ascii", errors="replace").strip("\0 ")
                elif rec == 999:
                    break
                else:
                    return None
    except (OSError, struct.error, IndexError):
        return None
    if enc20:
        return enc20
    return _SAV_CODEPAGES.get(code_page) if code_page is not None else None


def _read_once(path: Path, encoding: str | None, row_limit: int = 0):
    import pyreadstat
    errors = (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeDecodeError)
    try:
        return pyreadstat.read_sav(str(path), encoding=iconv_name(encoding) if encoding else None,
                                   user_missing=True, apply_value_formats=False,
                                   row_limit=row_limit), None
    except errors as exc:
        return None, str(exc)


class _Texts:
    """Every text of the file as stored bytes, joined into one blob with their places."""

    def __init__(self, df: pd.DataFrame, meta: Any):
        self.parts: list[bytes] = []
        self.where: list[str] = []
        if getattr(meta, "file_label", None):
            self._add(meta.file_label, "the file label")
        for col, lab in (meta.column_names_to_labels or {}).items():
            if lab:
                self._add(lab, f"the variable label of column {self._name(col)!r}")
        for col, labels in (meta.variable_value_labels or {}).items():
            for code, lab in labels.items():
                self._add(lab, f"the value label of code {fmt_num(code) if isinstance(code, float) else code!r} "
                               f"of column {self._name(col)!r}")
        for i, col in enumerate(meta.column_names or []):
            self._add(col, f"the name of column {i + 1}")
        for col in df.columns:
            s = df[col]
            if pd.api.types.is_numeric_dtype(s):
                continue
            vals = s.dropna()
            name = self._name(col)
            for pos, v in zip(vals.index, vals.to_numpy()):
                if isinstance(v, str) and v:
                    self._add(v, f"row {int(pos) + 1}, column {name!r}")
        self.blob = b"\n".join(self.parts)

    @staticmethod
    def _name(col: Any) -> str:
        return str(col).encode("latin-1", errors="replace").decode("utf-8", errors="replace")

    def _add(self, text: Any, where: str) -> None:
        self.parts.append(str(text).encode("latin-1", errors="replace"))
        self.where.append(where)

    def first_bad(self, enc: str) -> tuple[str, int, int] | None:
        """``(place, byte, character position)`` of the first text ``enc`` cannot decode."""
        try:
            self.blob.decode(enc)
            return None
        except UnicodeDecodeError as exc:
            off = exc.start
        i = self.blob.count(b"\n", 0, off)
        start = self.blob.rfind(b"\n", 0, off) + 1
        char = len(self.blob[start:off].decode(enc, errors="replace")) + 1
        return self.where[i], self.blob[off], char

    def decoded(self, enc: str) -> list[str]:
        return self.blob.decode(enc, errors="replace").split("\n")


def read_sav(path: Path, encoding: str | None) -> tuple[pd.DataFrame, ReadReport]:
    """Read a ``.sav`` file; ``encoding`` (Python name) overrides the declared one."""
    declared = sav_declared_encoding(path)
    report = ReadReport(file=path.name, format="sav", encoding_declared=declared)
    raw, err = _read_once(path, "latin-1")
    if raw is None:
        raise DataError(f"{path.name}: not a readable SPSS file (truncated or corrupt?): {err}")
    texts = _Texts(*raw)
    declared_py = norm_encoding_safe(declared)
    if encoding is not None:
        enc, source = encoding, "argument"
        how = f"given as encoding={encoding!r}; the file declares {declared!r}"
    elif declared_py is not None and declared_py != "ascii":
        enc, source, how = declared_py, "file", f"declared by the file as {declared!r}"
    else:
        fits = fitting_encodings(texts.blob)
        enc = fits[0][0] if fits else "utf-8"
        source = "detected"
        how = ("detected; the file declares no encoding" if declared is None else
               f"detected; the file declares {declared!r}, which does not name a code page")
        if declared is not None and fits and fits[0][0] != "utf-8":
            report.notes.append(f"the file declares {declared!r} (old SPSS: 'some 8-bit code "
                                f"page'); its text decodes as {enc!r}")
    bad = texts.first_bad(enc)
    if bad is not None:
        place, byte, char = bad
        fits = fitting_encodings(texts.blob, skip=[enc])
        raise DataError(f"{path.name}: encoding {enc!r} ({how}) does not fit: decoding failed "
                        f"in {place}, character {char}: byte 0x{byte:02x}; " + fits_text(fits))
    kind, example = misdecoded("\n".join(texts.decoded(enc)), texts.blob, enc)
    if kind is not None:
        fits = fitting_encodings(texts.blob, skip=[enc])
        raise DataError(f"{path.name}: encoding {enc!r} ({how}) does not fit: the text looks "
                        f"mis-decoded ({kind}: {example!r}); " + fits_text(fits))
    res, err = _read_once(path, None if source == "file" else enc)
    if res is None:
        raise DataError(f"{path.name}: could not read with encoding {enc!r}: {err}")
    report.encoding_used = declared if source == "file" else enc
    report.encoding_source = source
    df, meta = res
    report.variable_labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    report.value_labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    um = {}
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        vals = []
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            vals.append(fmt_num(lo) if lo == hi else f"{lo}..{hi}")
        if vals:
            um[col] = vals
    report.user_missing = um
    if um:
        report.notes.append("SPSS user-missing codes are kept as codes (they are converted to "
                            "missing by validation according to the instrument)")
    return df, report
