"""Reading a response file: :func:`~shnro_research.io.read_table` + the instrument's columns."""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Mapping

from ..errors import DataError, ParameterError
from ..instruments import Instrument, load_instrument
from ..io.columns import map_columns, whole_ids
from ..io.read import check_read_arguments, read_file
from ..io.report import ReadReport, ReadResult, short_list


def read_responses(path: str | Path, instrument: Instrument | str | None = None, *,
                   encoding: str | None = None, sep: str | None = None,
                   sheet: str | int | None = None,
                   rename: Mapping[str, str] | None = None,
                   decimal: str | None = None) -> ReadResult:
    """Read a response file (SPSS ``.sav``, CSV, Excel ``.xlsx``, Parquet) without changing a value.

    The file is read by :func:`shnro_research.io.read_table` (format, strict encoding,
    separator, decimal mark: see there); then its columns are mapped to the instrument.

    Parameters
    ----------
    path : str or Path
        The file.
    instrument : Instrument or str, optional
        The questionnaire (an :class:`~shnro_research.instruments.Instrument`, a bundled name
        such as ``"students"`` or a YAML path). When given, columns are mapped to the
        instrument's names (case- and whitespace-insensitive, or ``rename=``), and unknown /
        missing columns are reported. Missing *id* columns raise :class:`DataError`; missing
        answer columns are only reported. An Excel file is read from the first sheet whose
        header holds the instrument's id columns (unless ``sheet=``).
    encoding, sep, sheet, decimal
        As for :func:`~shnro_research.io.read_table`. An encoding that does not fit the file
        (given, declared or detected) is a :class:`DataError` naming the line (row) and column
        of the first bad byte and the encodings that would fit.
    rename : mapping, optional
        Explicit ``{file column: instrument column}`` pairs, applied before the automatic
        case/whitespace-insensitive matching.

    Returns
    -------
    ReadResult
        ``.data``: DataFrame with the file's values (codes as numbers, SPSS user-missing codes
        kept as codes, whole-number id columns as ``Int64``), columns renamed to the instrument's
        names. ``.report``: :class:`~shnro_research.io.ReadReport`.

    Raises
    ------
    DataError
        Empty, truncated or binary files, a wrong extension, a header without data, duplicate
        column names, undecodable or mis-decoded text, missing id columns.

    Examples
    --------
    >>> res = read_responses("tests/data/students_cp1251.sav",
    ...                      "tests/data/mini_students.yaml")     # doctest: +SKIP
    >>> res.report.encoding_used                                   # doctest: +SKIP
    'windows-1251'

    R equivalent: ``haven::read_sav(path, encoding = "CP1251", user_na = TRUE)``;
    ``readr::read_csv2(path, locale = locale(encoding = "CP1251"))``.
    """
    path, enc = check_read_arguments(path, encoding, sep, sheet, decimal)
    if isinstance(instrument, (str, Path)):
        instrument = load_instrument(instrument)
    elif instrument is not None and not isinstance(instrument, Instrument):
        raise ParameterError("'instrument' must be an Instrument, a bundled name or a YAML path; "
                             f"got {type(instrument).__name__}")
    if rename is not None and not isinstance(rename, Mapping):
        raise ParameterError(f"'rename' must be a mapping {{file column: instrument column}}; "
                             f"got {type(rename).__name__}")
    prefer = list(instrument.id_columns) if instrument is not None else ()
    res = read_file(path, enc, sep, sheet, decimal, prefer)
    if instrument is None:
        return res
    data = map_columns(res.data, instrument, rename=rename, report=res.report, where=path.name)
    for col in instrument.id_columns:
        if col in data.columns:
            data[col] = whole_ids(data[col])
    return ReadResult(data, res.report)


def require_columns(report: ReadReport, instrument: Instrument, where: str | None = None) -> None:
    """DataError when answer columns of the instrument are missing from a file.

    A column renamed in one wave's file would otherwise silently shorten the scales it belongs
    to for that wave. The message names the file, the missing columns and, for each, the close
    matches among the file's columns not in the instrument (:func:`difflib.get_close_matches`).
    The instrument schema has no optional items: every answer column is required.

    Parameters
    ----------
    report : ReadReport
        The report of :func:`read_responses` with the instrument (``missing_columns``,
        ``unknown_columns``).
    instrument : Instrument
        The questionnaire the file was mapped to.
    where : str, optional
        The file's name (default ``report.file``).
    """
    missing = list(report.missing_columns)
    if not missing:
        return
    where = where or report.file
    pool = [str(c) for c in report.unknown_columns]
    hints = []
    for m in missing:
        close = difflib.get_close_matches(m, pool, n=3, cutoff=0.6)
        if not close:       # also compare ignoring case and spaces
            low = {str(c).strip().lower().replace(" ", "_"): c for c in pool}
            close = [low[c] for c in difflib.get_close_matches(m.lower(), list(low), n=3,
                                                               cutoff=0.6)]
        if close:
            hints.append(f"{m!r} (close: {', '.join(repr(c) for c in close)})")
    items = instrument.column_item()
    scales = sorted({s for m in missing if m in items for s in items[m].scales})
    msg = (f"{where}: {len(missing)} answer column(s) of instrument {instrument.id!r} missing "
           f"from the file: {short_list(missing)}")
    if scales:
        msg += f" (items of scale(s) {short_list(scales)}, which would be shortened)"
    if hints:
        msg += "; close matches among the file's columns: " + "; ".join(hints)
    raise DataError(msg + ". Rename the column(s) in a copy of the file to the instrument's "
                    "names, or use an instrument without these items")
