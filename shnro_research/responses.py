"""Read response files (SPSS, CSV, Excel) and validate them against their questionnaire.

Stage 2 of the study (``shnro validate``; notebook ``02_data_quality.ipynb``)::

    data/raw/*.sav|csv|xlsx ── read_responses ──▶ raw data + reading report
                            ── validate_responses ──▶ clean data + problems + exclusions + summary

Reading (:func:`read_responses`) never modifies the file and never "fixes" a value: it returns
the values as stored (codes as numbers, text as text), maps the file's columns to the instrument
(case- and whitespace-insensitive, or an explicit ``rename=``) and reports what it found:
format, declared and used text encoding, separator, unknown and missing columns, variable and
value labels, SPSS user-missing codes. Municipal files are often in the Windows-1251 code page
and sometimes declare the wrong one; the reader recognises mis-decoded Cyrillic ("mojibake") and
either re-reads the file with the right encoding (and says so) or raises :class:`DataError`
explaining what was declared, what was found and how to fix it.

Validation (:func:`validate_responses`) works on a copy, vectorised over respondents, and applies
explicit rules (:class:`ValidationRules`). Each problem becomes one row of a single problems
table with the action taken (``set to missing``, ``respondent excluded``, ``flagged, kept``);
every excluded respondent is listed with the reason. Always ``raw rows = clean rows + excluded
rows``. Declared missing codes (e.g. 9 = «затрудняюсь ответить») become NaN and are counted.

Row numbers
-----------
``row`` in the problems and exclusions tables is the 1-based data row of the raw file (the
header line is not counted: in a CSV or Excel file the line number is ``row + 1``; in SPSS it
is the case number shown in Data View).
"""
from __future__ import annotations

import argparse
import codecs
import csv
import io
import re
import struct
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import DataError, ParameterError, check_number, check_option
from .instruments import Instrument, load_instrument

__all__ = [
    "ReadReport", "ReadResult", "read_responses", "map_columns",
    "ValidationRules", "ValidationResult", "validate_responses", "write_validation_report",
    "detect_mojibake", "add_validate_arguments", "cli_validate",
]

FORMATS = ("sav", "csv", "xlsx")
_EXT_FORMAT = {".sav": "sav", ".zsav": "sav", ".csv": "csv", ".txt": "csv", ".tsv": "csv",
               ".dat": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_SEPARATORS = (";", ",", "\t", "|")
#: single-byte Cyrillic code pages tried (in this order) when a file is not valid UTF-8
_CYRILLIC_CODEPAGES = ("cp1251", "koi8-r", "cp866")
_SAV_CODEPAGES = {1251: "windows-1251", 65001: "UTF-8", 1252: "windows-1252", 866: "cp866",
                  20866: "koi8-r", 28591: "iso-8859-1", 28595: "iso-8859-5", 20127: "ascii",
                  2: "ascii", 3: "ascii"}

ACTION_MISSING = "set to missing"
ACTION_EXCLUDED = "respondent excluded"
ACTION_FLAGGED = "flagged, kept"


# =============================================================================================
# Mojibake detection
# =============================================================================================

def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(set(chars))) + "]"


# second characters produced when the UTF-8 bytes D0/D1 xx of Cyrillic letters are decoded as
# cp1251 (xx in 0x80..0xBF) or as latin-1 / cp1252
_CP1251_CONT = bytes(range(0x80, 0xC0)).decode("cp1251", errors="ignore")
_CP1252_CONT = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")
_RE_UTF8_AS_CP1251 = re.compile("[РС]" + _char_class(_CP1251_CONT))
_RE_UTF8_AS_LATIN = re.compile("[ÐÑ]" + _char_class(_CP1252_CONT + "".join(
    chr(c) for c in range(0x80, 0xC0))))
_RE_CYR = re.compile("[А-яЁё]")
_RE_CYR_LOWER = re.compile("[а-яё]")
_RE_LATIN_HIGH_RUN = re.compile("[À-ÿ¨¸]{3,}")
_RE_LATIN_HIGH = re.compile("[À-ÿ¨¸]")
_RE_NONASCII = re.compile("[^\x00-\x7f]")

_MOJIBAKE_HINT = {
    "utf-8 read as cp1251": ("UTF-8", "the text is UTF-8 but was decoded as a Cyrillic single-"
                             "byte code page (typical 'РњРЅРµ' / 'Р°' pairs)"),
    "utf-8 read as latin": ("UTF-8", "the text is UTF-8 but was decoded as a Western code page "
                            "(typical 'Ð'/'Ñ' pairs)"),
    "cp1251 read as latin": ("cp1251", "the text is Windows-1251 but was decoded as a Western "
                             "code page (runs of 'à'..'ÿ' such as 'Ìíå' without any Cyrillic)"),
    "undecodable": (None, "the text contains replacement characters (U+FFFD): bytes that could "
                    "not be decoded"),
}


def detect_mojibake(texts: Sequence[str] | str) -> tuple[str | None, str]:
    """Recognise mis-decoded Cyrillic text.

    Parameters
    ----------
    texts : str or sequence of str
        Labels and string values as decoded by the reader.

    Returns
    -------
    kind : str or None
        ``None`` when the text looks like normal Russian (or has no letters to judge), else one of
        ``"utf-8 read as cp1251"`` (e.g. ``'РњРЅРµ'`` for ``'Мне'``), ``"utf-8 read as latin"``
        (``'ÐœÐ½Ðµ'``), ``"cp1251 read as latin"`` (``'Ìíå'``) or ``"undecodable"`` (U+FFFD).
    example : str
        A short excerpt showing the pattern ("" when ``kind`` is ``None``).

    Notes
    -----
    Each Cyrillic letter in UTF-8 is two bytes, ``D0``/``D1`` followed by ``80..BF``. Decoded as
    cp1251 they become ``'Р'``/``'С'`` followed by a character of cp1251's ``80..BF`` block
    (mostly outside ``А..я``), so there are about as many such pairs as basic Cyrillic letters;
    in genuine Russian text they are rare (``'Сё'``, ``'С»'``). The thresholds (at least 2 pairs,
    and pairs at least half the number of ``А..яЁё`` letters) are far from both.

    Examples
    --------
    >>> detect_mojibake(["Мне нравится школа"])
    (None, '')
    >>> detect_mojibake(["Мне нравится школа".encode("utf-8").decode("cp1251")])[0]
    'utf-8 read as cp1251'
    """
    if isinstance(texts, str):
        texts = [texts]
    text = "\n".join(t for t in texts if isinstance(t, str) and t)[:500_000]
    if not text:
        return None, ""
    n_cyr = len(_RE_CYR.findall(text))

    def example(m: re.Match) -> str:
        a = max(0, m.start() - 10)
        return text[a:m.end() + 20].split("\n")[0]

    pairs = list(_RE_UTF8_AS_CP1251.finditer(text))
    if len(pairs) >= 2 and len(pairs) >= 0.5 * n_cyr:
        return "utf-8 read as cp1251", example(pairs[0])
    pairs = list(_RE_UTF8_AS_LATIN.finditer(text))
    if len(pairs) >= 2 and n_cyr <= len(pairs):
        return "utf-8 read as latin", example(pairs[0])
    runs = _RE_LATIN_HIGH_RUN.search(text)
    if runs and n_cyr == 0 and len(_RE_LATIN_HIGH.findall(text)) >= 6:
        return "cp1251 read as latin", example(runs)
    if "\ufffd" in text:
        i = text.index("\ufffd")
        return "undecodable", text[max(0, i - 15):i + 15].split("\n")[0]
    return None, ""


def _cyrillic_score(text: str) -> float:
    """Share of non-ASCII characters that are lowercase Cyrillic letters (normal Russian ~0.9)."""
    n = len(_RE_NONASCII.findall(text))
    if n == 0:
        return 0.0
    return len(_RE_CYR_LOWER.findall(text)) / n


def _norm_encoding(encoding: str | None, name: str = "encoding") -> str | None:
    if encoding is None:
        return None
    if not isinstance(encoding, str):
        raise ParameterError(f"{name!r} must be a text encoding name such as 'cp1251' or "
                             f"'utf-8'; got {encoding!r}")
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ParameterError(f"{name!r}: unknown encoding {encoding!r}; expected e.g. 'cp1251', "
                             "'utf-8', 'koi8-r', 'cp866'") from None


def _iconv_name(py_name: str) -> str:
    return {"cp1251": "WINDOWS-1251", "cp1252": "WINDOWS-1252", "utf-8": "UTF-8",
            "utf-8-sig": "UTF-8", "latin-1": "ISO-8859-1", "iso8859-1": "ISO-8859-1"}.get(
        py_name, py_name.upper())


# =============================================================================================
# Reading report and result
# =============================================================================================

@dataclass
class ReadReport:
    """What :func:`read_responses` found in a file. ``to_frame()`` gives a tidy table.

    Attributes
    ----------
    file, format : str
        File name and format (``sav``, ``csv``, ``xlsx``).
    n_rows, n_columns : int
        Size of the data as read.
    encoding_declared : str or None
        SPSS: the encoding the file declares (record 7/20, else the code page of record 7/3);
        CSV: the ``encoding=`` argument, if any.
    encoding_used : str
        The encoding the text was decoded with.
    encoding_source : str
        ``"file"``, ``"argument"``, ``"byte-order mark"``, ``"detected"`` or ``"format"``.
    separator, decimal : str or None
        CSV separator and decimal mark.
    sheet, sheets : str, tuple
        Excel sheet read and all sheets of the workbook.
    mapped : dict
        ``{file column: instrument column}``.
    unknown_columns, missing_columns : list
        File columns not in the instrument (kept as read); instrument answer columns not in
        the file.
    variable_labels, value_labels, user_missing : dict
        SPSS metadata, keyed by instrument column names.
    notes : list of str
        Everything else worth knowing (re-decoding, decimal commas, sheet choice, value labels
        that disagree with the instrument).
    """

    file: str
    format: str
    n_rows: int = 0
    n_columns: int = 0
    encoding_declared: str | None = None
    encoding_used: str | None = None
    encoding_source: str = ""
    separator: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    instrument: str | None = None
    mapped: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    user_missing: dict[str, list] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per field: ``field, value`` (lists joined with ', ')."""
        rows = []
        for f in ("file", "format", "n_rows", "n_columns", "encoding_declared", "encoding_used",
                  "encoding_source", "separator", "decimal", "sheet", "sheets", "instrument"):
            v = getattr(self, f)
            if isinstance(v, tuple):
                v = ", ".join(v)
            rows.append((f, "" if v is None else str(v)))
        renamed = {k: v for k, v in self.mapped.items() if k != v}
        rows.append(("n_mapped_columns", str(len(self.mapped))))
        rows.append(("renamed_columns", ", ".join(f"{k!r}->{v}" for k, v in renamed.items())))
        rows.append(("unknown_columns", ", ".join(self.unknown_columns)))
        rows.append(("missing_columns", ", ".join(self.missing_columns)))
        rows.append(("n_value_labels", str(len(self.value_labels))))
        rows.append(("user_missing", "; ".join(f"{k}: {v}" for k, v in self.user_missing.items())))
        for i, n in enumerate(self.notes):
            rows.append((f"note_{i + 1}", n))
        return pd.DataFrame(rows, columns=["field", "value"])

    def columns_table(self) -> pd.DataFrame:
        """One row per column of the file: ``column, mapped_to, status, label, n_value_labels``."""
        inv = self.mapped
        rows = []
        for col in list(inv) + self.unknown_columns:
            target = inv.get(col)
            rows.append(dict(column=col, mapped_to=target or "",
                             status="mapped" if target else "unknown",
                             label=self.variable_labels.get(col, ""),
                             n_value_labels=len(self.value_labels.get(col, {}))))
        for col in self.missing_columns:
            rows.append(dict(column="", mapped_to=col, status="missing in file", label="",
                             n_value_labels=0))
        return pd.DataFrame(rows, columns=["column", "mapped_to", "status", "label",
                                           "n_value_labels"])

    def summary(self) -> str:
        enc = self.encoding_used or "-"
        if self.encoding_declared and self.encoding_declared != self.encoding_used:
            enc += f" (declared {self.encoding_declared})"
        lines = [f"{self.file}: {self.format}, {self.n_rows} rows x {self.n_columns} columns, "
                 f"encoding {enc}"
                 + (f", separator {self.separator!r}" if self.separator else "")
                 + (f", sheet {self.sheet!r}" if self.sheet else "")]
        if self.instrument:
            lines.append(f"instrument {self.instrument}: {len(self.mapped)} columns mapped, "
                         f"{len(self.unknown_columns)} unknown, {len(self.missing_columns)} "
                         "missing")
            if self.unknown_columns:
                lines.append("  unknown columns: " + _short_list(self.unknown_columns))
            if self.missing_columns:
                lines.append("  missing columns: " + _short_list(self.missing_columns))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class ReadResult:
    """Result of :func:`read_responses`: ``data`` (raw values) and ``report``."""

    data: pd.DataFrame
    report: ReadReport

    def __repr__(self) -> str:
        return f"ReadResult(data={self.data.shape[0]}x{self.data.shape[1]})\n{self.report}"


def _short_list(values: Sequence[str], n: int = 12) -> str:
    values = list(values)
    s = ", ".join(map(str, values[:n]))
    return s + (f", ... ({len(values)} in all)" if len(values) > n else "")


# =============================================================================================
# Reading
# =============================================================================================

def read_responses(path: str | Path, instrument: Instrument | str | None = None, *,
                   encoding: str | None = None, sep: str | None = None,
                   sheet: str | int | None = None,
                   rename: Mapping[str, str] | None = None) -> ReadResult:
    """Read a response file (SPSS ``.sav``, CSV, Excel ``.xlsx``) without changing any value.

    Parameters
    ----------
    path : str or Path
        The file. Its format is taken from the extension (``.sav``/``.zsav``; ``.csv``,
        ``.txt``, ``.tsv``, ``.dat``; ``.xlsx``/``.xlsm``) and checked against its first bytes.
    instrument : Instrument or str, optional
        The questionnaire (an :class:`~shnro_research.instruments.Instrument`, a bundled name
        such as ``"students"`` or a YAML path). When given, columns are mapped to the
        instrument's names, and unknown / missing columns are reported. Missing *id* columns
        raise :class:`DataError`; missing answer columns are only reported.
    encoding : str, optional
        Text encoding (``"cp1251"``, ``"utf-8"``, ...). Default: detect — SPSS files use their
        declared encoding, CSV files UTF-8 (with or without BOM) or else a Cyrillic code page;
        mis-decoded text is recognised and the file is re-read with the encoding that gives
        proper Cyrillic (reported as ``encoding_source="detected"``). An explicit ``encoding``
        is never overridden: if it gives mojibake or cannot decode the file, :class:`DataError`
        says what was found and which encoding to use instead.
    sep : str, optional
        CSV separator; default sniffed among ``;``, ``,``, tab and ``|``. With ``;`` the decimal
        mark is taken to be a comma (Russian Excel). Text columns whose every value is a number
        with a decimal comma (``"3,5"``) are converted to numbers.
    sheet : str or int, optional
        Excel sheet (name or 0-based position). Default: the first sheet whose header holds the
        instrument's id columns, else the first sheet.
    rename : mapping, optional
        Explicit ``{file column: instrument column}`` pairs, applied before the automatic
        case/whitespace-insensitive matching.

    Returns
    -------
    ReadResult
        ``.data``: DataFrame with the file's values (codes as numbers, SPSS user-missing codes
        kept as codes, whole-number id columns as ``Int64``), columns renamed to the instrument's
        names. ``.report``: :class:`ReadReport`.

    Raises
    ------
    DataError
        Empty, truncated or binary files, a wrong extension, a header without data, duplicate
        column names, undecodable text or an explicit encoding that gives mojibake, missing id
        columns.

    Examples
    --------
    >>> res = read_responses("tests/data/students_cp1251.sav",
    ...                      "tests/data/mini_students.yaml")     # doctest: +SKIP
    >>> res.report.encoding_used                                   # doctest: +SKIP
    'windows-1251'

    R equivalent: ``haven::read_sav(path, encoding = "CP1251", user_na = TRUE)``;
    ``readr::read_csv2(path, locale = locale(encoding = "CP1251"))``.
    """
    if not isinstance(path, (str, Path)):
        raise ParameterError(f"'path' must be a file path; got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"'path': file not found: {path}")
    if isinstance(instrument, (str, Path)):
        instrument = load_instrument(instrument)
    elif instrument is not None and not isinstance(instrument, Instrument):
        raise ParameterError("'instrument' must be an Instrument, a bundled name or a YAML path; "
                             f"got {type(instrument).__name__}")
    enc = _norm_encoding(encoding)
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise ParameterError(f"'sep' must be one character such as ';' or ','; got {sep!r}")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise ParameterError(f"'sheet' must be a sheet name or a 0-based position; got {sheet!r}")
    if rename is not None and not isinstance(rename, Mapping):
        raise ParameterError(f"'rename' must be a mapping {{file column: instrument column}}; "
                             f"got {type(rename).__name__}")

    fmt = _detect_format(path)
    if fmt == "sav":
        data, report = _read_sav(path, enc)
    elif fmt == "csv":
        data, report = _read_csv(path, enc, sep)
    else:
        data, report = _read_xlsx(path, sheet, instrument)
    if len(data) == 0:
        raise DataError(f"{path.name}: the file has a header ({len(data.columns)} columns) but no "
                        "data rows")
    _check_duplicate_names([str(c) for c in data.columns], path.name)
    data.columns = [str(c) for c in data.columns]
    report.n_rows, report.n_columns = len(data), data.shape[1]
    if instrument is not None:
        data = map_columns(data, instrument, rename=rename, report=report, where=path.name)
    for col in (instrument.id_columns if instrument is not None else ()):
        if col in data.columns:
            data[col] = _whole_ids(data[col])
    return ReadResult(data, report)


def _detect_format(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise DataError(f"{path.name}: the file is empty (0 bytes)")
    ext = path.suffix.lower()
    magic = ("sav" if head[:4] in (b"$FL2", b"$FL3") else
             "xlsx" if head[:4] == b"PK\x03\x04" else
             "xls" if head[:4] == b"\xd0\xcf\x11\xe0" else None)
    fmt = _EXT_FORMAT.get(ext)
    if magic == "xls":
        raise DataError(f"{path.name}: this is an old Excel 97-2003 workbook (.xls); open it in "
                        "Excel or LibreOffice and save it as .xlsx (or as CSV)")
    if fmt is None:
        raise DataError(f"{path.name}: unsupported file type {ext!r}; expected one of "
                        f"{sorted(_EXT_FORMAT)}" + (f" (the content looks like a .{magic} file: "
                                                    "rename it)" if magic else ""))
    if magic and magic != fmt:
        kind = {"sav": "an SPSS system file (.sav)", "xlsx": "an Excel/zip file (.xlsx)"}[magic]
        raise DataError(f"{path.name}: the extension says {fmt.upper()} but the content is {kind}; "
                        f"rename the file to '{path.stem}.{magic}'")
    if fmt in ("sav", "xlsx") and magic is None:
        raise DataError(f"{path.name}: not a valid {fmt} file (it does not start with the "
                        f"{'$FL2 SPSS header' if fmt == 'sav' else 'zip signature of .xlsx'}); "
                        "is it a CSV/text file with a wrong extension?")
    return fmt


def _check_duplicate_names(names: list[str], where: str) -> None:
    seen: dict[str, str] = {}
    dups = []
    for n in names:
        k = _norm_name(n)
        if k in seen:
            dups.append(f"{seen[k]!r} and {n!r}" if seen[k] != n else repr(n))
        else:
            seen[k] = n
    if dups:
        raise DataError(f"{where}: duplicate column names (compared ignoring case and spaces): "
                        f"{', '.join(dups)}; rename or remove the duplicates")


def _norm_name(name: Any) -> str:
    return re.sub(r"\s+", "_", str(name).replace("\ufeff", "").strip().lower())


def map_columns(data: pd.DataFrame, instrument: Instrument, *,
                rename: Mapping[str, str] | None = None, report: ReadReport | None = None,
                where: str = "data") -> pd.DataFrame:
    """Rename the columns of ``data`` to the instrument's column names.

    Explicit ``rename`` pairs first, then names equal after ignoring case, surrounding spaces
    and replacing inner runs of spaces with ``_``. Unknown and missing columns are written into
    ``report`` (if given); only missing id columns raise :class:`DataError`. Returns a renamed
    shallow copy; ``data`` itself is not changed.
    """
    rename = dict(rename or {})
    targets = list(instrument.id_columns) + instrument.columns
    by_norm = {_norm_name(t): t for t in targets}
    cols = [str(c) for c in data.columns]
    bad = [k for k in rename if k not in cols]
    if bad:
        raise ParameterError(f"'rename': column(s) {bad} not in {where}; available: "
                             f"{_short_list(cols)}")
    bad = [v for v in rename.values() if v not in targets]
    if bad:
        raise ParameterError(f"'rename': target(s) {bad} are not columns of instrument "
                             f"{instrument.id!r}")
    mapping: dict[str, str] = {}
    for c in cols:
        t = rename.get(c) or by_norm.get(_norm_name(c))
        if t is not None:
            mapping[c] = t
    used: dict[str, str] = {}
    for c, t in mapping.items():
        if t in used:
            raise DataError(f"{where}: columns {used[t]!r} and {c!r} both map to instrument "
                            f"column {t!r}; remove one or pass rename=")
        used[t] = c
    unknown = [c for c in cols if c not in mapping]
    # an unknown column may not keep a name an instrument column now takes
    clash = [c for c in unknown if c in used]
    if clash:
        raise DataError(f"{where}: column(s) {clash} clash with renamed columns")
    missing_ids = [c for c in instrument.id_columns if c not in used]
    if missing_ids:
        raise DataError(
            f"{where}: id column(s) {missing_ids} of instrument {instrument.id!r} not found; "
            f"file columns: {_short_list(cols)}. Rename them in the file or pass "
            "rename={'file column': 'instrument column'}")
    if report is not None:
        report.instrument = instrument.id
        report.mapped = mapping
        report.unknown_columns = unknown
        report.missing_columns = [t for t in instrument.columns if t not in used]
        report.variable_labels = {mapping.get(k, k): v for k, v in report.variable_labels.items()}
        report.value_labels = {mapping.get(k, k): v for k, v in report.value_labels.items()}
        report.user_missing = {mapping.get(k, k): v for k, v in report.user_missing.items()}
        _compare_value_labels(report, instrument)
    out = data.copy(deep=False)
    out.columns = [mapping.get(c, c) for c in cols]
    return out


def _compare_value_labels(report: ReadReport, instrument: Instrument) -> None:
    items = instrument.column_item()
    for col, labels in report.value_labels.items():
        it = items.get(col)
        if it is None or it.type not in ("single", "likert") or not labels:
            continue
        try:
            file_codes = {float(k) for k in labels}
        except (TypeError, ValueError):
            continue
        allowed = {float(k) for k in it.codes} | {float(k) for k in it.missing}
        extra = sorted(file_codes - allowed)
        if extra:
            report.notes.append(f"{col}: the file labels code(s) {[_fmt_num(x) for x in extra]} "
                                f"that the instrument does not define (valid "
                                f"{sorted(it.codes)}, missing {sorted(it.missing)})")


def _fmt_num(x: float) -> Any:
    return int(x) if float(x).is_integer() else x


def _whole_ids(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype=float)
        fin = np.isfinite(v)
        if np.all(v[fin] == np.round(v[fin])) and np.all(np.abs(v[fin]) < 2 ** 53):
            return s.astype("Int64")
    return s


# -- SPSS -------------------------------------------------------------------------------------

def _sav_declared_encoding(path: Path) -> str | None:
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


def _sav_texts(df: pd.DataFrame | None, meta: Any) -> list[str]:
    texts = [str(v) for v in (meta.column_names_to_labels or {}).values() if v]
    for labels in (meta.variable_value_labels or {}).values():
        texts += [str(v) for v in labels.values()]
    texts += [str(v) for v in (meta.column_names or [])]
    if getattr(meta, "file_label", None):
        texts.append(str(meta.file_label))
    if df is not None:
        for c in df.columns:
            if not pd.api.types.is_numeric_dtype(df[c]):
                vals = df[c].dropna()
                vals = vals.iloc[:5000].unique()[:300]
                texts += [v for v in vals if isinstance(v, str)]
    return texts


def _read_sav_once(path: Path, encoding: str | None, row_limit: int = 0):
    import pyreadstat
    errors = (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeDecodeError)
    try:
        return pyreadstat.read_sav(str(path), encoding=_iconv_name(encoding) if encoding else None,
                                   user_missing=True, apply_value_formats=False,
                                   row_limit=row_limit), None
    except errors as exc:
        return None, str(exc)


def _is_decode_error(msg: str) -> bool:
    return "encoding" in msg.lower() or "convert" in msg.lower() or "byte" in msg.lower()


def _probe_sav(path: Path, skip: set[str]) -> tuple[str | None, str]:
    """Try UTF-8 and the Cyrillic code pages on the first rows; best candidate and its sample."""
    best, best_score, sample = None, 0.0, ""
    for cand in ("utf-8",) + _CYRILLIC_CODEPAGES:
        if cand in skip:
            continue
        res, err = _read_sav_once(path, cand, row_limit=200)
        if res is None:
            continue
        texts = _sav_texts(*res)
        if detect_mojibake(texts)[0] is not None:
            continue
        joined = " ".join(texts)
        score = _cyrillic_score(joined)
        if cand == "utf-8" and _RE_NONASCII.search(joined):
            return cand, joined[:60]          # valid UTF-8 with non-ASCII text is decisive
        if score > best_score:
            best, best_score, sample = cand, score, joined[:60]
    return (best, sample) if best_score >= 0.5 else (None, "")


def _read_sav(path: Path, encoding: str | None) -> tuple[pd.DataFrame, ReadReport]:
    declared = _sav_declared_encoding(path)
    report = ReadReport(file=path.name, format="sav", encoding_declared=declared)
    if declared is None:
        res, err = _read_sav_once(path, None, row_limit=1)
        if res is None and not _is_decode_error(err or ""):
            raise DataError(f"{path.name}: not a readable SPSS file (truncated or corrupt?): "
                            f"{err}")
    res, err = _read_sav_once(path, encoding)
    if res is None and not _is_decode_error(err or ""):
        raise DataError(f"{path.name}: not a readable SPSS file (truncated or corrupt?): {err}")
    kind, example = (None, "") if res is None else detect_mojibake(_sav_texts(*res))
    tried = _norm_encoding(encoding) or _norm_encoding_safe(declared)
    if res is not None and kind is None:
        report.encoding_used = encoding or declared
        report.encoding_source = "argument" if encoding else "file"
    else:
        found = (f"decoding failed ({err})" if res is None else
                 f"the text looks mis-decoded ({kind}: {example!r})")
        cand, sample = _probe_sav(path, {tried} if tried else set())
        if encoding is not None or cand is None:
            fix = (f"re-read with encoding={cand!r}" + (" or without encoding= to let the "
                                                        "reader detect it" if encoding else "")
                   if cand else "pass the right encoding= (e.g. 'cp1251', 'utf-8', 'cp866')")
            raise DataError(
                f"{path.name}: encoding {encoding or declared!r} "
                f"({'given as encoding=' if encoding else 'declared by the file'}; the file "
                f"declares {declared!r}) does not fit: {found}. "
                + (f"With {cand!r} the text reads {sample!r}. " if cand else "")
                + f"Fix: {fix}.")
        res, err = _read_sav_once(path, cand)
        if res is None:
            raise DataError(f"{path.name}: could not read with the detected encoding {cand!r}: "
                            f"{err}")
        report.encoding_used = cand
        report.encoding_source = "detected"
        report.notes.append(f"the file declares encoding {declared!r} but {found}; it was read "
                            f"as {cand!r} instead (pass encoding= to override)")
    df, meta = res
    report.variable_labels = {k: v for k, v in (meta.column_names_to_labels or {}).items() if v}
    report.value_labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    um = {}
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        vals = []
        for r in ranges:
            lo, hi = r.get("lo"), r.get("hi")
            vals.append(_fmt_num(lo) if lo == hi else f"{lo}..{hi}")
        if vals:
            um[col] = vals
    report.user_missing = um
    if um:
        report.notes.append("SPSS user-missing codes are kept as codes (they are converted to "
                            "missing by validation according to the instrument)")
    return df, report


def _norm_encoding_safe(enc: str | None) -> str | None:
    try:
        return _norm_encoding(enc)
    except ParameterError:
        return None


# -- CSV --------------------------------------------------------------------------------------

_HEAD_BYTES = 1 << 20


def _read_csv(path: Path, encoding: str | None, sep: str | None
              ) -> tuple[pd.DataFrame, ReadReport]:
    report = ReadReport(file=path.name, format="csv", encoding_declared=encoding)
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
        at_end = not fh.read(1)
    if head.startswith(b"\xef\xbb\xbf"):
        bom = "utf-8-sig"
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        bom = "utf-16"
    else:
        bom = None
    if bom is None:
        if b"\x00" in head[:65536]:
            raise DataError(f"{path.name}: binary content (NUL bytes), not a text/CSV file; if it "
                            "is an SPSS or Excel file, give it the right extension")
        ctrl = sum(head[:65536].count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
        if ctrl > 0.01 * min(len(head), 65536):
            raise DataError(f"{path.name}: binary content ({ctrl} control bytes in the first "
                            "64 KiB), not a text/CSV file")
    if not at_end:                            # cut an incomplete last line / multibyte char
        cut = head.rfind(b"\n")
        head = head[:cut + 1] if cut > 0 else head

    if encoding is not None:
        enc = "utf-8-sig" if (encoding == "utf-8" and bom == "utf-8-sig") else encoding
        try:
            text = head.decode(enc)
        except UnicodeDecodeError as exc:
            cand, sample = _guess_text_encoding(head, skip={encoding})
            raise DataError(
                f"{path.name}: the file is not valid {encoding} (byte 0x{head[exc.start]:02x} at "
                f"offset {exc.start})" + (f"; decoded as {cand!r} it reads {sample!r}. Fix: pass "
                                          f"encoding={cand!r} or omit encoding=" if cand else
                                          "; pass the right encoding=")) from None
        kind, example = detect_mojibake(text)
        if kind is not None:
            cand, sample = _guess_text_encoding(head, skip={encoding})
            raise DataError(
                f"{path.name}: with encoding={encoding!r} the text is mis-decoded ({kind}: "
                f"{example!r})" + (f"; decoded as {cand!r} it reads {sample!r}. Fix: pass "
                                   f"encoding={cand!r} or omit encoding=" if cand else ""))
        report.encoding_used, report.encoding_source = encoding, "argument"
    elif bom is not None:
        enc = bom
        try:
            text = head.decode(enc)
        except UnicodeDecodeError as exc:
            raise DataError(f"{path.name}: has a {bom} byte-order mark but is not valid {bom} "
                            f"({exc})") from None
        report.encoding_used, report.encoding_source = bom, "byte-order mark"
    else:
        try:
            text = head.decode("utf-8")
            enc = "utf-8"
            report.encoding_used, report.encoding_source = "utf-8", "detected"
        except UnicodeDecodeError:
            cand, _ = _guess_text_encoding(head, skip={"utf-8"})
            enc = cand or "cp1251"
            text = head.decode(enc, errors="replace")
            report.encoding_used, report.encoding_source = enc, "detected"
            if cand is None:
                report.notes.append("the text is neither UTF-8 nor clearly Cyrillic; read as "
                                    "cp1251 (pass encoding= to choose)")
        kind, example = detect_mojibake(text)
        if kind is not None:
            report.notes.append(f"the text inside the file already looks mis-decoded ({kind}: "
                                f"{example!r}); it was probably converted with a wrong encoding "
                                "before it was saved")
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty (no text)")

    if sep is None:
        sep = _sniff_sep(text)
    report.separator = sep
    decimal = "," if sep == ";" else "."
    report.decimal = decimal
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep), [])
    header = [h.strip() for h in header]
    if len([h for h in header if h]) == 0:
        raise DataError(f"{path.name}: the first line (header) is empty")
    _check_duplicate_names(header, path.name)
    try:
        df = pd.read_csv(path, sep=sep, decimal=decimal, encoding=enc, skipinitialspace=True,
                         low_memory=False)
    except UnicodeDecodeError as exc:
        if encoding is not None or enc != "utf-8":
            raise DataError(f"{path.name}: not valid {enc} further into the file ({exc}); pass "
                            "the right encoding=") from None
        cand, _ = _guess_text_encoding(_tail_sample(path, exc), skip={"utf-8"})
        enc = cand or "cp1251"
        df = _pandas_csv(path, sep, decimal, enc)
        report.encoding_used = enc
        report.notes.append(f"the first {_HEAD_BYTES} bytes are valid UTF-8 but later bytes are "
                            f"not; the file was read as {enc!r}")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file is empty (no columns)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot parse as CSV with separator {sep!r}: "
                        f"{str(exc).strip()}") from None
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    conv = []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        nn = s.dropna()
        if len(nn) == 0:
            continue
        st = nn.astype(str).str.strip()
        if st.str.fullmatch(r"[+-]?\d+(?:[.,]\d+)?").all() and st.str.contains(",").any():
            df[c] = pd.to_numeric(s.astype(str).str.strip().str.replace(",", ".", regex=False)
                                  .where(s.notna()), errors="coerce")
            conv.append(c)
    if conv:
        report.notes.append("decimal commas converted to numbers in: " + _short_list(conv))
    return df, report


def _pandas_csv(path: Path, sep: str, decimal: str, enc: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=sep, decimal=decimal, encoding=enc, skipinitialspace=True,
                           low_memory=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path.name}: cannot parse as CSV with separator {sep!r} and encoding "
                        f"{enc!r}: {str(exc).strip()}") from None


def _tail_sample(path: Path, exc: UnicodeDecodeError) -> bytes:
    obj = exc.object if isinstance(exc.object, (bytes, bytearray)) else b""
    return bytes(obj[max(0, exc.start - 2000):exc.start + 2000]) or path.read_bytes()[:65536]


def _guess_text_encoding(raw: bytes, skip: set[str]) -> tuple[str | None, str]:
    """Best of UTF-8 and the Cyrillic code pages for ``raw`` bytes; (name, sample) or (None, '')."""
    if "utf-8" not in skip:
        try:
            t = raw.decode("utf-8")
            if _RE_NONASCII.search(t):
                return "utf-8", _cyr_sample(t)
        except UnicodeDecodeError:
            pass
    best, best_score, sample = None, 0.0, ""
    for cand in _CYRILLIC_CODEPAGES:
        if cand in skip:
            continue
        t = raw.decode(cand, errors="replace")
        if detect_mojibake(t)[0] is not None:
            continue
        sc = _cyrillic_score(t)
        if sc > best_score:
            best, best_score, sample = cand, sc, _cyr_sample(t)
    return (best, sample) if best_score >= 0.5 else (None, "")


def _cyr_sample(text: str) -> str:
    m = _RE_CYR.search(text) or _RE_NONASCII.search(text)
    i = m.start() if m else 0
    return text[max(0, i - 5):i + 40].replace("\r", " ").replace("\n", " ")


def _sniff_sep(text: str) -> str:
    lines = [ln for ln in text.lstrip("\ufeff").splitlines() if ln.strip()][:50]
    best, best_key = ",", (-1, -1)
    for cand in _SEPARATORS:
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


# -- Excel ------------------------------------------------------------------------------------

def _read_xlsx(path: Path, sheet: str | int | None, instrument: Instrument | None
               ) -> tuple[pd.DataFrame, ReadReport]:
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
    if sheet is None:
        chosen = names[0]
        if instrument is not None:
            need = {_norm_name(c) for c in instrument.id_columns}
            for n in names:
                if need <= {_norm_name(h) for h in headers[n]}:
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
    _check_duplicate_names([h for h in header if h], f"{path.name} [{chosen}]")
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
    return df, report


# =============================================================================================
# Validation
# =============================================================================================

_PROBLEMS = {
    "missing_id": ("нет идентификатора (пустое значение в столбце-идентификаторе)",
                   "missing identifier (empty id column)"),
    "duplicate_id": ("повторяющийся идентификатор респондента",
                     "duplicated respondent id"),
    "not_in_sample": ("школа/класс не входит в выборку",
                      "school/class not in the sampled frame"),
    "outside_population": ("класс (параллель) вне изучаемых 8–11 классов",
                           "grade outside the surveyed grades (8–11)"),
    "not_a_number": ("текст вместо числа", "text where a number is expected"),
    "not_a_code": ("дробное значение вместо кода", "fractional value where a code is expected"),
    "invalid_code": ("код отсутствует в списке вариантов ответа",
                     "code not in the item's code list"),
    "out_of_range": ("значение вне допустимого диапазона", "value outside the declared range"),
    "too_many_choices": ("выбрано больше вариантов, чем разрешено",
                         "more options chosen than allowed"),
    "rank_out_of_range": ("ранг вне диапазона 1..k", "rank outside 1..k"),
    "rank_incomplete": ("ранжирование не заполнено полностью", "incomplete ranking"),
    "rank_ties": ("одинаковые ранги (ранжирование не является перестановкой 1..k)",
                  "tied ranks (not a permutation of 1..k)"),
    "straightlining": ("одинаковый ответ на все утверждения блока",
                       "same answer to every statement of a block"),
    "too_few_answers": ("слишком мало ответов", "too few items answered"),
    "experience_exceeds_age": ("стаж несовместим с возрастом",
                               "experience impossible for the age"),
}


def _message(code: str, lang: str) -> str:
    ru, en = _PROBLEMS.get(code, (f"нарушена проверка «{code}»", f"check {code!r} failed"))
    return en if lang == "en" else ru


@dataclass(frozen=True)
class ValidationRules:
    """Rules of :func:`validate_responses` (all explicit; defaults shown).

    Parameters
    ----------
    duplicates : {'exclude_all', 'keep_first'}
        Respondents sharing a ``resp_id`` (within a ``wave``, when the data have one):
        exclude every copy (default: which one is genuine is unknown) or keep the first row.
    straightlining : {'flag', 'exclude', 'off'}
        A respondent giving the same answer to every item of a likert block (same section,
        same code list) with at least ``straightline_min_items`` answered items.
    straightline_min_items : int
        Minimal number of answered items of a block to judge straightlining (default 5).
    min_answered : float
        Minimal share of the instrument's non-text items answered (after cleaning; declared
        missing codes do not count as answers) to keep a respondent (default 0.5).
    grades : (int, int) or None
        Surveyed grades for a ``students`` instrument: a ``grade`` outside them excludes the
        respondent (outside the population). ``None`` switches this off.
    min_working_age : int
        For instruments with both ``age`` and ``experience`` items: ``age - experience`` below
        this is flagged as impossible (default 18).
    checks : tuple
        Extra row-wise checks, each ``(name, function)`` or ``(name, function, action)``;
        ``function(clean)`` receives the cleaned DataFrame (all rows, answers as numbers,
        missing codes as NaN) and returns a boolean array, **True where the row is impossible**.
        ``action`` is ``'flag'`` (default, see ``check_action``) or ``'exclude'``.
    check_action : {'flag', 'exclude'}
        Default action of checks without their own.
    """

    duplicates: str = "exclude_all"
    straightlining: str = "flag"
    straightline_min_items: int = 5
    min_answered: float = 0.5
    grades: tuple[int, int] | None = (8, 11)
    min_working_age: int = 18
    checks: tuple = ()
    check_action: str = "flag"

    def __post_init__(self):
        check_option(self.duplicates, "duplicates", ("exclude_all", "keep_first"))
        check_option(self.straightlining, "straightlining", ("flag", "exclude", "off"))
        check_number(self.straightline_min_items, "straightline_min_items", low=2, integer=True)
        check_number(self.min_answered, "min_answered", low=0, high=1)
        check_number(self.min_working_age, "min_working_age", low=0, integer=True)
        check_option(self.check_action, "check_action", ("flag", "exclude"))
        if self.grades is not None:
            g = self.grades
            if (not isinstance(g, (tuple, list)) or len(g) != 2
                    or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in g)
                    or g[0] > g[1]):
                raise ParameterError(f"'grades' must be a pair (low, high) of whole numbers or "
                                     f"None; got {g!r}")
        if not isinstance(self.checks, (tuple, list)):
            raise ParameterError(f"'checks' must be a tuple of (name, function[, action]); got "
                                 f"{type(self.checks).__name__}")
        for chk in self.checks:
            if (not isinstance(chk, (tuple, list)) or len(chk) not in (2, 3)
                    or not isinstance(chk[0], str) or not chk[0] or not callable(chk[1])):
                raise ParameterError("each of 'checks' must be (name, function) or "
                                     f"(name, function, action); got {chk!r}")
            if len(chk) == 3:
                check_option(chk[2], f"action of check {chk[0]!r}", ("flag", "exclude"))


@dataclass
class ValidationResult:
    """Result of :func:`validate_responses`.

    Attributes
    ----------
    clean : DataFrame
        Kept respondents (index of the raw data), answers as numbers with problems and declared
        missing codes set to NaN; text items and unknown columns as read.
    problems : DataFrame
        ``row, resp_id, column, value, problem, message, action`` (one row per problem).
    exclusions : DataFrame
        ``row, resp_id, reason, reasons, message`` (one row per excluded raw row).
    missing_codes : DataFrame
        ``column, code, label, n``: declared missing codes converted to NaN.
    n_raw : int
        Rows of the raw data (= ``len(clean) + len(exclusions)``).
    """

    clean: pd.DataFrame
    problems: pd.DataFrame
    exclusions: pd.DataFrame
    missing_codes: pd.DataFrame
    n_raw: int
    instrument: str
    missing_columns: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    rules: ValidationRules = field(default_factory=ValidationRules)
    lang: str = "ru"

    def summary(self) -> pd.DataFrame:
        """Counts as a tidy table ``section, key, detail, n``.

        Sections: ``rows`` (raw, clean, excluded), ``exclusions`` (by first reason),
        ``problems`` (by problem and action), ``missing_codes`` (by column),
        ``columns`` (instrument columns missing from the data; unknown columns).
        """
        ru = self.lang != "en"
        rows = [("rows", "raw", "", self.n_raw), ("rows", "clean", "", len(self.clean)),
                ("rows", "excluded", "", len(self.exclusions))]
        if len(self.exclusions):
            for k, n in self.exclusions["reason"].value_counts(sort=False).sort_index().items():
                rows.append(("exclusions", k, _message(k, self.lang), int(n)))
        if len(self.problems):
            g = self.problems.groupby(["problem", "action"], sort=True).size()
            for (p, a), n in g.items():
                rows.append(("problems", p, a, int(n)))
        if len(self.missing_codes):
            what = ("коды пропуска заменены на NaN" if ru else
                    "declared missing codes -> NaN")
            for c, n in self.missing_codes.groupby("column", sort=False)["n"].sum().items():
                rows.append(("missing_codes", c, what, int(n)))
        for c in self.missing_columns:
            rows.append(("columns", c, "столбца анкеты нет в данных" if ru else
                         "instrument column missing from the data", 0))
        for c in self.unknown_columns:
            rows.append(("columns", c, "столбец не из анкеты (оставлен как есть)" if ru else
                         "column not in the instrument (kept as is)", 0))
        return pd.DataFrame(rows, columns=["section", "key", "detail", "n"])

    def text(self) -> str:
        """A short human-readable summary (used by ``shnro validate``)."""
        ru = self.lang != "en"
        lines = [(f"Анкета {self.instrument}: строк {self.n_raw}, оставлено {len(self.clean)}, "
                  f"исключено {len(self.exclusions)}, проблем {len(self.problems)}") if ru else
                 (f"Instrument {self.instrument}: {self.n_raw} rows, {len(self.clean)} kept, "
                  f"{len(self.exclusions)} excluded, {len(self.problems)} problems")]
        if len(self.exclusions):
            for k, n in self.exclusions["reason"].value_counts().items():
                lines.append(f"  - {'исключено' if ru else 'excluded'} ({k}): {n}")
        if len(self.problems):
            for k, n in self.problems["problem"].value_counts().items():
                lines.append(f"  - {'проблема' if ru else 'problem'} {k}: {n}")
        nm = int(self.missing_codes["n"].sum()) if len(self.missing_codes) else 0
        if nm:
            lines.append(f"  - {'кодов пропуска → NaN' if ru else 'missing codes -> NaN'}: {nm}")
        if self.missing_columns:
            lines.append(("  - нет столбцов: " if ru else "  - missing columns: ")
                         + _short_list(self.missing_columns))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ValidationResult\n{self.text()}"


_PROBLEM_COLS = ["row", "resp_id", "column", "value", "problem", "message", "action"]


class _Log:
    """Collects problems as arrays of row positions and small codes (no per-row Python work)."""

    def __init__(self, n: int, lang: str):
        self.n = n
        self.lang = lang
        self.rows: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.keys: list[tuple[str, str, str]] = []     # (column, problem, action) per part
        self.excl: list[tuple[np.ndarray, str]] = []

    def add(self, mask: np.ndarray, column: str, values: Any, problem: str, action: str) -> None:
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        self.rows.append(idx)
        self.values.append(_values_text(values, idx, self.n))
        self.keys.append((column, problem, action))
        if action == ACTION_EXCLUDED:
            self.excl.append((np.asarray(mask, dtype=bool), problem))

    def problems(self, resp: pd.Series | None) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object)
                                 for c in _PROBLEM_COLS})
        rows = np.concatenate(self.rows)
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        lens = np.array([len(r) for r in self.rows])

        def cat(j: int, transform=None) -> pd.Categorical:
            labels = [k[j] for k in self.keys]
            uniq = list(dict.fromkeys(labels))
            codes = np.repeat(np.array([uniq.index(x) for x in labels]), lens)[order]
            cats = [transform(u) for u in uniq] if transform else uniq
            if len(set(cats)) < len(cats):          # (messages of distinct codes are distinct)
                return pd.Categorical(np.asarray(cats, dtype=object)[codes])
            return pd.Categorical.from_codes(codes, categories=cats)

        out = pd.DataFrame({
            "row": rows + 1,
            "resp_id": (resp.iloc[rows].reset_index(drop=True) if resp is not None
                        else pd.Series(np.full(len(rows), None, dtype=object))),
            "column": cat(0),
            "value": np.concatenate(self.values)[order],
            "problem": cat(1),
            "message": cat(1, lambda c: _message(c, self.lang)),
            "action": cat(2),
        })
        return out

    def excluded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mask over all rows, first reason, all reasons) — reasons for excluded rows only."""
        mask = np.zeros(self.n, dtype=bool)
        for m, _ in self.excl:
            mask |= m
        pos = np.flatnonzero(mask)
        first = np.full(len(pos), "", dtype=object)
        allr = np.full(len(pos), "", dtype=object)
        for m, code in self.excl:
            mm = m[pos]
            new = mm & (first == "")
            has = mm & ~new
            first[new] = code
            allr[new] = code
            allr[has] = allr[has] + "; " + code
        return mask, first, allr


def _num_text(nv: np.ndarray) -> np.ndarray:
    """Numbers as strings: whole numbers without '.0', NaN as ''."""
    nv = np.asarray(nv, dtype=float)
    out = nv.astype(str).astype(object)
    fin = np.isfinite(nv)
    safe = np.where(fin, nv, 0.0)
    whole = fin & (safe == np.round(safe)) & (np.abs(safe) < 1e15)
    if whole.any():
        out[whole] = safe[whole].astype(np.int64).astype(str)
    out[np.isnan(nv)] = ""
    return out


_is_str = np.frompyfunc(lambda x: isinstance(x, str), 1, 1)


def _obj_text(obj: np.ndarray) -> np.ndarray:
    """Mixed object values as strings (numbers formatted like :func:`_num_text`)."""
    obj = np.asarray(obj, dtype=object)
    out = np.full(len(obj), "", dtype=object)
    if len(obj) == 0:
        return out
    isstr = _is_str(obj).astype(bool)
    out[isstr] = obj[isstr]
    rest = ~isstr
    if rest.any():
        num = pd.to_numeric(pd.Series(obj[rest]), errors="coerce").to_numpy(dtype=float,
                                                                             na_value=np.nan)
        txt = _num_text(num)
        na = pd.isna(obj[rest])
        other = np.isnan(num) & ~na                    # e.g. dates or other objects
        if other.any():
            txt[other] = pd.Series(obj[rest][other]).astype(str).to_numpy(dtype=object)
        out[rest] = txt
    return out


def _values_text(values: Any, idx: np.ndarray, n: int) -> np.ndarray:
    """The values at positions ``idx`` as an object array of strings."""
    if isinstance(values, pd.Series):
        sub = values.iloc[idx] if len(values) == n else values
        if pd.api.types.is_numeric_dtype(sub) and not pd.api.types.is_bool_dtype(sub):
            return _num_text(sub.to_numpy(dtype=float, na_value=np.nan))
        return _obj_text(sub.to_numpy(dtype=object, na_value=None))
    if isinstance(values, np.ndarray):
        sub = values[idx] if len(values) == n else values
        if sub.dtype.kind in "fiu":
            return _num_text(sub)
        return _obj_text(sub)
    return np.full(len(idx), "" if values is None else str(values), dtype=object)


def _to_number(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numeric view of a column: (values as float with NaN, mask of non-numeric text)."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float).to_numpy(), np.zeros(len(s), dtype=bool)
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(s), dtype=bool)
    num = pd.to_numeric(s, errors="coerce")
    left = num.isna().to_numpy() & s.notna().to_numpy()
    bad = np.zeros(len(s), dtype=bool)
    vals = np.array(num.to_numpy(dtype=float, na_value=np.nan), dtype=float, copy=True)
    if left.any():
        sub = s[left].astype(str).str.strip()
        blank = sub.eq("").to_numpy()
        sub2 = pd.to_numeric(sub.str.replace(",", ".", regex=False).str.replace(" ", "",
                                                                             regex=False),
                             errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        idx = np.flatnonzero(left)
        vals[idx] = sub2
        bad[idx] = np.isnan(sub2) & ~blank
    return vals, bad


def _key_strings(s: pd.Series) -> pd.Series:
    """Join-friendly text keys: whole numbers as '123' whatever their dtype, text stripped."""
    s = s.reset_index(drop=True)
    num = pd.to_numeric(s, errors="coerce")
    whole = (num.notna() & (num == np.round(num))).to_numpy()
    res = np.full(len(s), None, dtype=object)
    if whole.any():
        res[whole] = num[whole].astype("int64").astype(str).to_numpy()
    txt = ~whole & s.notna().to_numpy()
    if txt.any():
        res[txt] = s[txt].astype(str).str.strip().to_numpy(dtype=object)
    return pd.Series(res, dtype=object)


def _key_norm(s: pd.Series) -> pd.Series:
    """A key column for matching: ``Int64`` when every value is a whole number, else text."""
    s = s.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        fin = np.isfinite(v)
        if np.all(v[fin] == np.round(v[fin])) and np.all(np.abs(v[fin]) < 2 ** 53):
            return s.astype("Int64")
    return _key_strings(s)


def _key_pairs(a: list[pd.Series], b: list[pd.Series]) -> tuple[list[pd.Series], list[pd.Series]]:
    """Normalise key columns of two tables so that equal ids compare equal (101 == '101')."""
    outa, outb = [], []
    for x, y in zip(a, b):
        kx, ky = _key_norm(x), _key_norm(y)
        if str(kx.dtype) != str(ky.dtype):
            kx, ky = _key_strings(x), _key_strings(y)
        outa.append(kx)
        outb.append(ky)
    return outa, outb


def _is_missing_id(s: pd.Series) -> np.ndarray:
    m = s.isna().to_numpy()
    if not pd.api.types.is_numeric_dtype(s):
        m = m | s.astype(str).str.strip().eq("").to_numpy()
    return m


def validate_responses(data: pd.DataFrame | ReadResult, instrument: Instrument | str, *,
                       sample: pd.DataFrame | None = None,
                       rules: ValidationRules | Mapping[str, Any] | None = None,
                       rename: Mapping[str, str] | None = None,
                       lang: str = "ru") -> ValidationResult:
    """Check responses against their instrument; return clean data, problems and exclusions.

    Steps, each vectorised over respondents (loops only over columns):

    1. **Identifiers** (``instrument.id_columns``, all required): an empty id excludes the row
       (``missing_id``); duplicated ``resp_id`` (within ``wave``) per ``rules.duplicates``
       (``duplicate_id``); with ``sample``, rows whose ``school_id`` [, ``class_id``, ``wave``]
       are not in the sampled frame are excluded (``not_in_sample``); for students, a grade
       outside ``rules.grades`` excludes the row (``outside_population``).
    2. **Values** of single, likert, numeric, multiple and ranking columns: text that is not a
       number (``not_a_number``), fractional codes (``not_a_code``), codes not in the code list
       (``invalid_code``; multiple: not 0/1), values outside the declared bounds
       (``out_of_range``) are **set to missing**. Declared missing codes (``item.missing``, e.g.
       9 = «затрудняюсь ответить») become NaN and are counted in ``missing_codes`` (not
       problems). Decimal commas (``"3,5"``) are read as numbers.
    3. **Blocks**: a multiple item with more than ``max_choices`` options chosen
       (``too_many_choices``) and a ranking that is not a permutation of 1..k
       (``rank_out_of_range``, ``rank_incomplete``, ``rank_ties``) are set to missing as a whole.
    4. **Row-wise checks**: ``experience_exceeds_age`` (when the instrument has ``age`` and
       ``experience``), then ``rules.checks``; flagged or excluded.
    5. **Straightlining** per likert block, flagged or excluded (``rules.straightlining``).
    6. **Too few answers**: share of answered non-text items below ``rules.min_answered``
       excludes the row (``too_few_answers``).

    Parameters
    ----------
    data : DataFrame or ReadResult
        Raw responses (e.g. ``read_responses(...).data``); never modified. Columns are matched
        to the instrument like :func:`read_responses` does.
    instrument : Instrument or str
        The questionnaire (object, bundled name or YAML path).
    sample : DataFrame, optional
        The sampled frame: ``school_id`` and optionally ``class_id`` / ``wave`` (only those also
        in the data are used).
    rules : ValidationRules or dict, optional
        The rules; default :class:`ValidationRules()`.
    rename : mapping, optional
        Explicit ``{data column: instrument column}`` pairs.
    lang : {'ru', 'en'}
        Language of the messages.

    Returns
    -------
    ValidationResult
        ``clean``, ``problems``, ``exclusions``, ``missing_codes``, ``summary()``. Always
        ``n_raw == len(clean) + len(exclusions)``.

    Examples
    --------
    >>> res = validate_responses(raw, "students", sample=frame)    # doctest: +SKIP
    >>> res.problems.head()                                         # doctest: +SKIP

    There is no single R equivalent; the steps correspond to ``validate::confront`` with a rule
    set, ``janitor::get_dupes`` and ``careless::longstring`` (straightlining).
    """
    if isinstance(data, ReadResult):
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"'data' must be a pandas DataFrame or a ReadResult; got "
                             f"{type(data).__name__}")
    if isinstance(instrument, (str, Path)):
        instrument = load_instrument(instrument)
    elif not isinstance(instrument, Instrument):
        raise ParameterError("'instrument' must be an Instrument, a bundled name or a YAML path; "
                             f"got {type(instrument).__name__}")
    if rules is None:
        rules = ValidationRules()
    elif isinstance(rules, Mapping):
        known = {f.name for f in fields(ValidationRules)}
        bad = sorted(set(rules) - known)
        if bad:
            raise ParameterError(f"'rules': unknown rule(s) {bad}; known: {sorted(known)}")
        rules = ValidationRules(**rules)
    elif not isinstance(rules, ValidationRules):
        raise ParameterError(f"'rules' must be a ValidationRules or a dict; got "
                             f"{type(rules).__name__}")
    check_option(lang, "lang", ("ru", "en"))
    if sample is not None and not isinstance(sample, pd.DataFrame):
        raise ParameterError(f"'sample' must be a DataFrame with school_id[, class_id]; got "
                             f"{type(sample).__name__}")
    if len(set(map(str, data.columns))) != data.shape[1]:
        dup = pd.Index(map(str, data.columns))
        raise DataError(f"data: duplicate column names {sorted(set(dup[dup.duplicated()]))}")
    _check_duplicate_names([str(c) for c in data.columns], "data")

    rep = ReadReport(file="data", format="DataFrame")
    df = map_columns(data, instrument, rename=rename, report=rep, where="data")
    n = len(df)
    cols_in = set(df.columns)
    idc = [c for c in instrument.id_columns if c in cols_in]
    resp = df["resp_id"] if "resp_id" in cols_in else None
    log = _Log(n, lang)
    clean: dict[str, Any] = {}

    # 1. identifiers --------------------------------------------------------------------------
    for c in df.columns:                      # unknown columns and text items as read
        clean[c] = df[c].reset_index(drop=True)
    id_missing = np.zeros(n, dtype=bool)
    for c in idc:
        clean[c] = _whole_ids(df[c].reset_index(drop=True))
        m = _is_missing_id(df[c])
        log.add(m, c, "", "missing_id", ACTION_EXCLUDED)
        id_missing |= m
    if resp is not None:
        keys = pd.DataFrame({"resp_id": _key_norm(resp)})
        if "wave" in idc:
            keys["wave"] = _key_norm(df["wave"])
        keep = "first" if rules.duplicates == "keep_first" else False
        dup = keys.duplicated(keep=keep).to_numpy()
        if id_missing.any():                  # rows without an id are excluded anyway
            dup = keys[~id_missing].duplicated(keep=keep).reindex(
                range(n), fill_value=False).to_numpy(dtype=bool)
        log.add(dup, "resp_id", resp, "duplicate_id", ACTION_EXCLUDED)
    if sample is not None:
        if "school_id" not in sample.columns:
            raise ParameterError(f"'sample' must have a school_id column; got columns "
                                 f"{list(sample.columns)}")
        kcols = [c for c in ("school_id", "class_id", "wave") if c in sample.columns and c in idc]
        if "school_id" not in kcols:
            raise DataError("data: no school_id column to compare with 'sample'")
        dk, fk = _key_pairs([df[c] for c in kcols], [sample[c] for c in kcols])
        if len(kcols) == 1:
            found = dk[0].isin(fk[0].dropna()).to_numpy(dtype=bool)
        else:
            found = pd.MultiIndex.from_arrays(dk).isin(pd.MultiIndex.from_arrays(fk))
        out = ~found & ~id_missing
        vals = _join_block([df[c] for c in kcols], out, sep="/") if out.any() else ""
        log.add(out, "/".join(kcols), vals, "not_in_sample", ACTION_EXCLUDED)

    # 2. values --------------------------------------------------------------------------------
    items = instrument.column_item()
    num: dict[str, np.ndarray] = {}
    mc_rows = []
    for col, it in items.items():
        if col not in cols_in or it.type == "text":
            continue
        raw = df[col].reset_index(drop=True)
        x, bad = _to_number(raw)
        log.add(bad, col, raw, "not_a_number", ACTION_MISSING)
        if it.missing:
            codes = np.array(sorted(it.missing), dtype=float)
            mm = np.isin(x, codes)
            if mm.any():
                u, cnt = np.unique(x[mm], return_counts=True)
                for code, k in zip(u, cnt):
                    mc_rows.append((col, int(code), it.missing[int(code)].get(lang), int(k)))
                x = np.where(mm, np.nan, x)
        fin = np.isfinite(x)
        inf = np.isinf(x)
        if inf.any():
            log.add(inf, col, raw, "out_of_range", ACTION_MISSING)
            x = np.where(inf, np.nan, x)
        if it.type in ("single", "likert", "multiple"):
            frac = fin & (x != np.round(np.where(fin, x, 0)))
            log.add(frac, col, raw, "not_a_code", ACTION_MISSING)
            valid = (np.array(sorted(it.codes), dtype=float) if it.type != "multiple"
                     else np.array([0.0, 1.0]))
            wrong = fin & ~frac & ~np.isin(x, valid)
            if (col == "grade" and instrument.group == "students" and rules.grades is not None):
                lo, hi = rules.grades
                outside = fin & ((x < lo) | (x > hi))
                log.add(outside, col, raw, "outside_population", ACTION_EXCLUDED)
                wrong &= ~outside
            code = "out_of_range" if it.type == "likert" else "invalid_code"
            log.add(wrong, col, raw, code, ACTION_MISSING)
            x = np.where(frac | wrong, np.nan, x)
        elif it.type == "numeric":
            lo, hi = it.bounds
            wrong = fin & ((x < lo) | (x > hi))
            log.add(wrong, col, raw, "out_of_range", ACTION_MISSING)
            x = np.where(wrong, np.nan, x)
        num[col] = x                           # ranking values are judged per block below

    # 3. blocks --------------------------------------------------------------------------------
    for it in instrument.items:
        cols = [c for c in it.columns if c in num]
        if it.type == "multiple" and it.max_choices is not None and cols:
            block = np.column_stack([num[c] for c in cols])
            chosen = np.nansum(block == 1, axis=1) if block.size else np.zeros(n)
            over = chosen > it.max_choices
            log.add(over, it.id, chosen.astype(int), "too_many_choices", ACTION_MISSING)
            for c in cols:
                num[c] = np.where(over, np.nan, num[c])
        elif it.type == "ranking" and cols:
            k = len(it.columns)
            full = np.column_stack([num.get(c, np.full(n, np.nan)) for c in it.columns])
            answered = np.any(np.isfinite(full), axis=1)
            fin = np.isfinite(full)
            oor = np.any(fin & ((full < 1) | (full > k) | (full != np.round(np.where(fin, full, 0)))),
                         axis=1)
            inc = ~oor & np.any(~fin, axis=1)
            srt = np.sort(np.where(fin, full, np.inf), axis=1)
            ties = ~oor & ~inc & np.any(srt != np.arange(1, k + 1), axis=1)
            bad_any = answered & (oor | inc | ties)
            if bad_any.any():
                shown = _join_block([df[c].reset_index(drop=True) if c in cols_in else
                                     pd.Series([""] * n) for c in it.columns], bad_any)
                for mask, code in ((answered & oor, "rank_out_of_range"),
                                   (answered & inc, "rank_incomplete"),
                                   (answered & ties, "rank_ties")):
                    log.add(mask, it.id, shown, code, ACTION_MISSING)
                for c in cols:
                    num[c] = np.where(bad_any, np.nan, num[c])
    for col, x in num.items():
        clean[col] = x

    # 4. row-wise checks -----------------------------------------------------------------------
    checks: list[tuple[str, Callable, str]] = []
    if "age" in num and "experience" in num:
        mwa = rules.min_working_age
        checks.append(("experience_exceeds_age",
                       lambda d, mwa=mwa: (d["age"] - d["experience"]) < mwa, "flag"))
    for chk in rules.checks:
        checks.append((chk[0], chk[1], chk[2] if len(chk) == 3 else rules.check_action))
    if checks:
        frame = pd.DataFrame(clean)
        for name, fn, action in checks:
            try:
                res = fn(frame.copy())
            except Exception as exc:
                raise ParameterError(f"check {name!r} failed: {type(exc).__name__}: {exc}") \
                    from None
            try:
                arr = np.asarray(res)
                if arr.dtype == object:
                    arr = pd.Series(res).fillna(False).to_numpy()
                arr = np.asarray(arr, dtype=bool) if arr.dtype != bool else arr
            except (TypeError, ValueError):
                arr = None
            if arr is None or arr.shape != (n,):
                raise ParameterError(f"check {name!r} must return one boolean per row ({n}); got "
                                     f"{type(res).__name__} of shape {np.shape(res)}")
            log.add(arr, name, "", name, ACTION_EXCLUDED if action == "exclude"
                    else ACTION_FLAGGED)

    # 5. straightlining ------------------------------------------------------------------------
    if rules.straightlining != "off":
        for name, cols in _likert_blocks(instrument):
            cols = [c for c in cols if c in num]
            if len(cols) < rules.straightline_min_items:
                continue
            cnt = np.zeros(n, dtype=np.int32)
            lo = np.full(n, np.nan)
            hi = np.full(n, np.nan)
            for c in cols:                     # fmin/fmax ignore NaN; a column loop
                x = num[c]
                cnt += np.isfinite(x)
                lo = np.fmin(lo, x)
                hi = np.fmax(hi, x)
            same = (cnt >= rules.straightline_min_items) & (lo == hi)
            log.add(same, name, lo, "straightlining",
                    ACTION_EXCLUDED if rules.straightlining == "exclude" else ACTION_FLAGGED)

    # 6. too few answers -----------------------------------------------------------------------
    scored = [it for it in instrument.items if it.type != "text"
              and any(c in num for c in it.columns)]
    if scored:
        answered = np.zeros(n)
        for it in scored:
            cols = [c for c in it.columns if c in num]
            ans = np.isfinite(num[cols[0]])
            for c in cols[1:]:
                ans |= np.isfinite(num[c])
            answered += ans
        share = answered / len(scored)
        few = share < rules.min_answered
        log.add(few, "*", np.round(share, 3), "too_few_answers", ACTION_EXCLUDED)

    # assemble ---------------------------------------------------------------------------------
    excl, first, allr = log.excluded()
    keep = ~excl
    pos = np.flatnonzero(excl)
    kept = {}
    for c, v in clean.items():                # one copy per column, only of the kept rows
        kept[c] = v[keep] if isinstance(v, np.ndarray) else v.array[keep]
    clean_df = pd.DataFrame(kept, index=df.index[keep])
    ex = pd.DataFrame({"row": pos + 1})
    for c in idc:
        ex[c] = clean[c].iloc[pos].reset_index(drop=True)
    ex["reason"] = first
    ex["reasons"] = allr
    ex["message"] = ex["reason"].map({k: _message(k, lang) for k in ex["reason"].unique()})
    mc = pd.DataFrame(mc_rows, columns=["column", "code", "label", "n"])
    result = ValidationResult(clean_df, log.problems(clean.get("resp_id")), ex, mc, n, instrument.id,
                              rep.missing_columns, rep.unknown_columns, rules, lang)
    if len(result.clean) + len(result.exclusions) != n:  # pragma: no cover - internal invariant
        raise RuntimeError("internal error: clean + excluded rows != raw rows")
    return result


def _join_block(series: list[pd.Series], mask: np.ndarray, sep: str = ",") -> np.ndarray:
    """'r1,r2,...' strings of a block, computed only for the masked rows (column loop)."""
    idx = np.flatnonzero(mask)
    out = None
    for s in series:
        part = _values_text(s, idx, len(mask))
        out = part if out is None else out + sep + part
    full = np.full(len(mask), "", dtype=object)
    full[idx] = out
    return full


def _likert_blocks(instrument: Instrument) -> list[tuple[str, list[str]]]:
    """Runs of consecutive likert items in one section sharing a code list."""
    blocks: list[tuple[str, list[str]]] = []
    prev_key = None
    for it in instrument.items:
        key = (it.section, tuple(sorted(it.codes))) if it.type == "likert" else None
        if key is not None and key == prev_key:
            blocks[-1][1].append(it.id)
        elif key is not None:
            blocks.append((it.section, [it.id]))
        prev_key = key
    out = []
    for sec, cols in blocks:
        out.append((f"{cols[0]}..{cols[-1]}", cols))
    return out


# =============================================================================================
# Writing the report and the CLI
# =============================================================================================

def write_validation_report(result: ValidationResult, folder: str | Path) -> dict[str, Path]:
    """Write ``problems.csv``, ``exclusions.csv``, ``summary.csv`` and ``missing_codes.csv``.

    Files are UTF-8 with a byte-order mark (Excel opens them with Cyrillic intact), comma
    separated. Returns ``{name: path}``.
    """
    if not isinstance(result, ValidationResult):
        raise ParameterError(f"'result' must be a ValidationResult; got {type(result).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, tab in (("problems", result.problems), ("exclusions", result.exclusions),
                      ("summary", result.summary()), ("missing_codes", result.missing_codes)):
        p = folder / f"{name}.csv"
        tab.to_csv(p, index=False, encoding="utf-8-sig")
        out[name] = p
    return out


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro validate``."""
    parser.add_argument("file", help="response file (.sav, .csv, .xlsx)")
    parser.add_argument("--instrument", required=True,
                        help="bundled instrument name (students, parents, teachers, ...) or a "
                             "YAML path")
    parser.add_argument("--encoding", default=None,
                        help="text encoding, e.g. cp1251 or utf-8 (default: detect)")
    parser.add_argument("--sep", default=None, help="CSV separator (default: sniffed)")
    parser.add_argument("--sheet", default=None,
                        help="Excel sheet name or 0-based position (default: the first sheet "
                             "with the id columns)")
    parser.add_argument("--sample", default=None,
                        help="CSV/XLSX of the sampled frame: school_id[, class_id]")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                        help="map a file column to an instrument column (repeatable)")
    parser.add_argument("--duplicates", choices=["exclude_all", "keep_first"],
                        default="exclude_all")
    parser.add_argument("--straightlining", choices=["flag", "exclude", "off"], default="flag")
    parser.add_argument("--min-answered", type=float, default=0.5,
                        help="minimal share of answered items (default 0.5)")
    parser.add_argument("--lang", choices=["ru", "en"], default="ru")
    parser.add_argument("--out", required=True, help="output folder")


def cli_validate(args: argparse.Namespace) -> int:
    """``shnro validate FILE --instrument NAME --out DIR``: read, validate, write.

    Writes ``clean.parquet``, ``clean.csv``, ``read_report.csv``, ``problems.csv``,
    ``exclusions.csv``, ``summary.csv``, ``missing_codes.csv`` into ``--out``; prints a summary.
    """
    rename = {}
    for pair in args.rename or []:
        if "=" not in pair:
            raise ParameterError(f"'--rename' expects OLD=NEW; got {pair!r}")
        old, new = pair.split("=", 1)
        rename[old] = new
    inst = load_instrument(args.instrument)
    sheet = args.sheet
    if isinstance(sheet, str) and sheet.isdigit() and Path(args.file).suffix.lower() in (
            ".xlsx", ".xlsm"):
        try:
            import openpyxl
            wb = openpyxl.load_workbook(args.file, read_only=True)
            names = list(wb.sheetnames)
            wb.close()
        except Exception:                      # read_responses reports a broken workbook
            names = [sheet]
        if sheet not in names:
            sheet = int(sheet)                 # a position, not a sheet called "1"
    res = read_responses(args.file, inst, encoding=args.encoding, sep=args.sep,
                         sheet=sheet, rename=rename or None)
    sample = None
    if args.sample:
        sample = read_responses(args.sample).data
    rules = ValidationRules(duplicates=args.duplicates, straightlining=args.straightlining,
                            min_answered=args.min_answered)
    val = validate_responses(res.data, inst, sample=sample, rules=rules, lang=args.lang)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    clean = val.clean.copy()
    for c in clean.columns:
        if clean[c].dtype == object:
            clean[c] = clean[c].astype("string")
    clean.to_parquet(out / "clean.parquet")
    clean.to_csv(out / "clean.csv", index=False, encoding="utf-8-sig")
    res.report.to_frame().to_csv(out / "read_report.csv", index=False, encoding="utf-8-sig")
    write_validation_report(val, out)
    print(res.report.summary())
    print(val.text())
    print(f"-> {out}")
    return 0
