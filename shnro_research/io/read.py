"""The one reader: :func:`read_table` (format detection, then the format's reader)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from ..errors import DataError, ParameterError
from .columns import check_duplicate_names, select_columns
from .encodings import norm_encoding
from .report import ReadResult

FORMATS = ("sav", "csv", "xlsx", "parquet")
EXTENSIONS = {".sav": "sav", ".zsav": "sav", ".csv": "csv", ".txt": "csv", ".tsv": "csv",
              ".dat": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet",
              ".pq": "parquet"}
_MAGIC_KIND = {"sav": "an SPSS system file (.sav)", "xlsx": "an Excel/zip file (.xlsx)",
               "parquet": "a Parquet file (.parquet)"}


def detect_format(path: str | Path) -> str:
    """The format of a file (``sav``, ``csv``, ``xlsx``, ``parquet``) from its extension,
    checked against its first bytes; DataError for empty, mislabelled or unsupported files."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise DataError(f"{path.name}: the file is empty (0 bytes)")
    ext = path.suffix.lower()
    magic = ("sav" if head[:4] in (b"$FL2", b"$FL3") else
             "xlsx" if head[:4] == b"PK\x03\x04" else
             "parquet" if head[:4] == b"PAR1" else
             "xls" if head[:4] == b"\xd0\xcf\x11\xe0" else None)
    fmt = EXTENSIONS.get(ext)
    if magic == "xls":
        raise DataError(f"{path.name}: this is an old Excel 97-2003 workbook (.xls); open it in "
                        "Excel or LibreOffice and save it as .xlsx (or as CSV)")
    if fmt is None:
        raise DataError(f"{path.name}: unsupported file type {ext!r}; expected one of "
                        f"{sorted(EXTENSIONS)}" + (f" (the content looks like a .{magic} file: "
                                                   "rename it)" if magic else ""))
    if magic and magic != fmt:
        raise DataError(f"{path.name}: the extension says {fmt.upper()} but the content is "
                        f"{_MAGIC_KIND[magic]}; rename the file to '{path.stem}.{magic}'")
    if fmt != "csv" and magic is None:
        sig = {"sav": "$FL2 SPSS header", "xlsx": "zip signature of .xlsx",
               "parquet": "PAR1 signature of Parquet"}[fmt]
        raise DataError(f"{path.name}: not a valid {fmt} file (it does not start with the "
                        f"{sig}); is it a CSV/text file with a wrong extension?")
    return fmt


def check_read_arguments(path, encoding, sep, sheet, decimal) -> tuple[Path, str | None]:
    """Validate the common arguments; return the path and the canonical encoding name."""
    if not isinstance(path, (str, Path)):
        raise ParameterError(f"'path' must be a file path; got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"'path': file not found: {path}")
    enc = norm_encoding(encoding)
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise ParameterError(f"'sep' must be one character such as ';' or ','; got {sep!r}")
    if decimal is not None and decimal not in (".", ","):
        raise ParameterError(f"'decimal' must be '.' or ','; got {decimal!r}")
    if sep is not None and decimal is not None and sep == decimal:
        raise ParameterError(f"'sep' and 'decimal' must differ; both are {sep!r}")
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise ParameterError(f"'sheet' must be a sheet name or a 0-based position; got {sheet!r}")
    return path, enc


def read_file(path: Path, encoding: str | None, sep: str | None, sheet: str | int | None,
              decimal: str | None, prefer: Sequence[str] = ()) -> ReadResult:
    """Read a checked path (see :func:`read_table`); ``prefer``: columns the sheet should hold."""
    fmt = detect_format(path)
    if fmt == "sav":
        from .sav import read_sav
        data, report = read_sav(path, encoding)
    elif fmt == "csv":
        from .text import read_csv
        data, report = read_csv(path, encoding, sep, decimal)
    elif fmt == "xlsx":
        from .sheets import read_xlsx
        data, report = read_xlsx(path, sheet, decimal, prefer)
    else:
        from .sheets import read_parquet
        data, report = read_parquet(path, decimal)
    if fmt != "csv" and sep is not None:
        report.notes.append(f"sep={sep!r} does not apply to {fmt} files")
    if fmt not in ("csv", "sav") and encoding is not None:
        report.notes.append(f"encoding={encoding!r} does not apply to {fmt} files (Unicode)")
    if len(data) == 0:
        raise DataError(f"{path.name}: the file has a header ({len(data.columns)} columns) but no "
                        "data rows")
    check_duplicate_names([str(c) for c in data.columns], path.name)
    data.columns = [str(c) for c in data.columns]
    report.n_rows, report.n_columns = len(data), data.shape[1]
    return ReadResult(data, report)


def read_table(path: str | Path, *, encoding: str | None = None, sep: str | None = None,
               sheet: str | int | None = None, decimal: str | None = None,
               columns: Sequence[str] | Mapping[str, str] | None = None) -> ReadResult:
    """Read a data file (SPSS ``.sav``, CSV, Excel ``.xlsx``, Parquet) without changing a value.

    Parameters
    ----------
    path : str or Path
        The file. Its format comes from the extension (``.sav``/``.zsav``; ``.csv``, ``.txt``,
        ``.tsv``, ``.dat``; ``.xlsx``/``.xlsm``; ``.parquet``/``.pq``), checked against its
        first bytes (a mislabelled file is an error saying how to rename it).
    encoding : str, optional
        Text encoding of a ``.sav`` or CSV file (``"cp1251"``, ``"utf-8"``, ...). Default: SPSS
        files use the encoding they declare; CSV files a byte-order mark, else UTF-8, else the
        one Cyrillic code page (cp1251, koi8-r, cp866) that decodes the whole file into plausible
        text. Decoding is strict: a file that does not decode cleanly as a whole, or whose text
        is recognisably mis-decoded (mojibake), raises :class:`~shnro_research.errors.DataError`
        naming the file, the line (row) and column of the first bad byte and the encodings that
        would fit. Nothing is re-decoded silently.
    sep : str, optional
        CSV separator; default sniffed among ``;``, ``,``, tab and ``|``.
    sheet : str or int, optional
        Excel sheet (name or 0-based position). Default: the first sheet holding all of
        ``columns`` (when given as a list), else the first sheet.
    decimal : {'.', ','}, optional
        Decimal mark. CSV default: ``','`` with the separator ``;`` (Russian Excel), else ``'.'``.
        With ``','`` (given or by default), text columns whose every value is a number with a
        decimal comma (``"3,5"``) become numbers, in CSV and in Excel sheets.
    columns : list or mapping, optional
        A list keeps only those columns, in that order; a mapping ``{file column: new name}``
        renames columns (the others are kept). Names match ignoring case and spaces; a missing
        one is a DataError.

    Returns
    -------
    ReadResult
        ``.data``: the values as stored (codes as numbers, SPSS user-missing codes kept as
        codes). ``.report``: :class:`ReadReport` with ``format``, ``encoding``, ``separator``,
        ``decimal``, ``rows``, ``columns``, ``sheet`` and ``notes``.

    Examples
    --------
    >>> res = read_table("tests/data/students_cp1251.csv")          # doctest: +SKIP
    >>> res.report.encoding, res.report.separator, res.report.decimal  # doctest: +SKIP
    ('cp1251', ';', ',')

    R equivalent: ``haven::read_sav(path, user_na = TRUE)``;
    ``readr::read_csv2(path, locale = locale(encoding = "CP1251"))``; ``arrow::read_parquet``.
    """
    path, enc = check_read_arguments(path, encoding, sep, sheet, decimal)
    prefer = list(columns) if isinstance(columns, (list, tuple)) else ()
    res = read_file(path, enc, sep, sheet, decimal, prefer)
    if columns is not None:
        res.data = select_columns(res.data, columns, path.name)
        res.report.n_columns = res.data.shape[1]
    return res
