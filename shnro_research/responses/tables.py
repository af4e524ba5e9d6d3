"""Validation of the study's other input tables against their instrument (:func:`validate_table`).

School passports, results, programme data, diagnostics, regional values and the sampling frame
are read by :func:`shnro_research.io.read_table` and checked here against their instrument
(``surveys/school_passport.yaml``, ``results.yaml``, ``programme_data.yaml``,
``diagnostics.yaml``, ``region.yaml``, ``sample_frame.yaml`` or the study's own) with the same
accounting as the response files (:func:`~shnro_research.responses.validate_responses`):

* one **problems** table: ``file, row, line, key, column, value, problem, expected, message,
  action`` — one row per problem found in a cell, or per column (unknown or absent column:
  ``row`` empty);
* one **exclusions** table: every excluded raw row with its key and the reasons;
* **raw rows = clean rows + excluded rows**, always (``counts``);
* declared missing codes (e.g. −9 = «нет данных») become missing (NaN), each logged as a
  problem ``missing_code`` and counted in ``missing_codes``; they never enter a computation as
  numbers. A value outside the declared range (a share of 250 %), text in a numeric column, a
  code not in the code list become missing and are logged.

Rows are excluded only when they cannot be placed: an empty key (``missing_key``), a key that is
not a valid year or code (``invalid_key``), a key given twice (``duplicate_key``: every copy, as
which one is genuine is unknown), or a row-wise check with action ``exclude``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._checks import check_option, public
from ..errors import DataError, ParameterError
from ..instruments import Instrument, Item
from ..io.columns import check_duplicate_names, map_columns, whole_ids
from ..io.report import ReadReport, ReadResult, short_list
from .validate import (_is_missing_id, _key_norm, _to_number, _values_text,
                       table_and_instrument)

ACTION_MISSING = "set to missing"
ACTION_ROW_EXCLUDED = "row excluded"
ACTION_FLAGGED = "flagged, kept"
ACTION_KEPT = "column kept as is"
ACTION_ABSENT = "column absent"

PROBLEM_COLUMNS = ["file", "row", "line", "key", "column", "value", "problem", "expected",
                   "message", "action"]

_MESSAGES = {
    "missing_key": ("пустое значение ключевого столбца: строку нельзя отнести к школе и году",
                    "empty key column: the row cannot be placed"),
    "invalid_key": ("недопустимое значение ключевого столбца", "invalid key value"),
    "duplicate_key": ("ключ строки повторяется: какая из строк верна, неизвестно",
                      "the row's key is given twice: which row is genuine is unknown"),
    "missing_code": ("код «нет данных»: значение считается пропуском",
                     "declared missing code (no data): treated as missing"),
    "not_a_number": ("текст вместо числа", "text where a number is expected"),
    "not_a_code": ("дробное значение вместо кода", "fractional value where a code is expected"),
    "invalid_code": ("код отсутствует в списке кодов", "code not in the item's code list"),
    "out_of_range": ("значение вне допустимого диапазона", "value outside the declared range"),
    "column_not_in_instrument": ("столбец не из формы (оставлен как есть)",
                       "column not in the instrument (kept as is)"),
    "missing_column": ("столбца формы нет в файле", "instrument column missing from the file"),
    "unknown_unit": ("единица выборки пуста или не class / teachers",
                     "sampling unit empty or neither class nor teachers"),
    "class_without_id": ("строка класса без кода класса", "class row without a class id"),
}


def _message(code: str, lang: str) -> str:
    ru, en = _MESSAGES.get(code, (f"нарушена проверка «{code}»", f"check {code!r} failed"))
    return en if lang == "en" else ru


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _expected(it: Item, lang: str) -> str:
    """What a cell of the item may hold, in words."""
    ru = lang != "en"
    miss = ", ".join(_fmt(c) for c in sorted(it.missing))
    tail = ((f" или код пропуска {miss}" if ru else f" or missing code {miss}") if miss else "")
    if it.type in ("single", "likert"):
        codes = ", ".join(_fmt(c) for c in sorted(it.codes))
        return (f"код из {{{codes}}}" if ru else f"a code in {{{codes}}}") + tail
    if it.type == "multiple":
        return ("0 или 1" if ru else "0 or 1") + tail
    if it.bounds is not None:
        lo, hi = it.bounds
        unit = f" {it.unit}" if it.unit else ""
        return ((f"число от {_fmt(lo)} до {_fmt(hi)}{unit}" if ru else
                 f"a number {_fmt(lo)}..{_fmt(hi)}{unit}") + tail)
    return ""


class _TableLog:
    """Problems as (positions, column, values, problem, expected, action) parts."""

    def __init__(self, n: int):
        self.n = n
        self.parts: list[tuple[np.ndarray, str, np.ndarray, str, str, str]] = []
        self.columns: list[tuple[str, str, str, str]] = []
        self.excl: list[tuple[np.ndarray, str]] = []

    def add(self, mask: np.ndarray, column: str, values: Any, problem: str, expected: str,
            action: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return
        self.parts.append((idx, column, _values_text(values, idx, self.n), problem, expected,
                           action))
        if action == ACTION_ROW_EXCLUDED:
            self.excl.append((mask, problem))

    def add_column(self, column: str, problem: str, expected: str, action: str) -> None:
        self.columns.append((column, problem, expected, action))

    def excluded(self) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        for m, _ in self.excl:
            mask |= m
        return mask

    def reasons(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        first = np.full(len(pos), "", dtype=object)
        allr = np.full(len(pos), "", dtype=object)
        for m, code in self.excl:
            mm = m[pos]
            new = mm & (first == "")
            has = mm & ~new & np.array([code not in r.split("; ") for r in allr], dtype=bool)
            first[new] = code
            allr[new] = code
            allr[has] = allr[has] + "; " + code
        return first, allr


@dataclass
class TableValidation:
    """Result of :func:`validate_table`.

    Attributes
    ----------
    clean : DataFrame
        Kept rows (index of the raw data); item columns as numbers with problems and declared
        missing codes set to NaN (columns without any problem keep their type as read); key,
        text and unknown columns as read.
    problems : DataFrame
        ``file, row, line, key, column, value, problem, expected, message, action``. ``row`` is
        the 1-based data row (header not counted), ``line`` the file's own line or sheet row of
        that data row when the reader knows it; both empty for a problem of a whole column.
    exclusions : DataFrame
        ``file, row, line, <key columns>, reason, reasons, message``: one row per excluded row.
    missing_codes : DataFrame
        ``column, code, label, n``: declared missing codes set to NaN.
    counts : DataFrame
        One row ``file, instrument, raw_rows, clean_rows, excluded_rows, problems``; always
        ``raw_rows == clean_rows + excluded_rows``.
    """

    clean: pd.DataFrame
    problems: pd.DataFrame
    exclusions: pd.DataFrame
    missing_codes: pd.DataFrame
    counts: pd.DataFrame
    file: str
    instrument: str
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    @property
    def n_raw(self) -> int:
        return int(self.counts["raw_rows"].iloc[0])

    def text(self, lang: str = "ru") -> str:
        ru = lang != "en"
        c = self.counts.iloc[0]
        lines = [(f"{self.file} (форма {self.instrument}): строк {c.raw_rows}, оставлено "
                  f"{c.clean_rows}, исключено {c.excluded_rows}, проблем {len(self.problems)}")
                 if ru else
                 (f"{self.file} (instrument {self.instrument}): {c.raw_rows} rows, "
                  f"{c.clean_rows} kept, {c.excluded_rows} excluded, "
                  f"{len(self.problems)} problems")]
        for k, n in self.problems["problem"].value_counts().items():
            lines.append(f"  - {k}: {n}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"TableValidation\n{self.text()}"


def _valid_labels(codes: dict) -> set[str]:
    out = set()
    for t in codes.values():
        out |= {t.ru.strip().lower(), t.en.strip().lower()} - {""}
    return out


@public
def validate_table(data: pd.DataFrame | ReadResult, instrument: Instrument | str, *,
                   file: str | Path | None = None, keys: Sequence[str] | None = None,
                   optional_keys: Sequence[str] = (), rename: dict[str, str] | None = None,
                   checks: Sequence[tuple] = (), lines: Sequence[int] | None = None,
                   lang: str = "ru") -> TableValidation:
    """Check an input table (passport, results, programme data, ...) against its instrument.

    Steps (vectorised over rows; loops over columns only):

    1. **Columns**: the file's columns are matched to the instrument (case and spaces ignored,
       or ``rename``); a missing id column is a :class:`DataError` naming the file and the
       column; an instrument column absent from the file (``missing_column``) and a column
       not in the instrument (``column_not_in_instrument``, kept as read) are logged.
    2. **Keys** (``keys``, default the instrument's ``id_columns``): an empty key excludes the
       row (``missing_key``; keys in ``optional_keys`` may be empty); ``year`` / ``wave`` must
       be whole numbers 1900..2100 and a coded id column (``id_codes``) a code or its label,
       else the row is excluded (``invalid_key``); a key given twice excludes every copy
       (``duplicate_key``).
    3. **Values** of every item: declared missing codes (``missing_code``), text that is not a
       number (``not_a_number``), a fraction where a code is expected (``not_a_code``), a code
       not in the list (``invalid_code``) and a value outside ``min..max`` (``out_of_range``)
       become missing (NaN) and are logged with the value found and what was expected.
    4. **Row-wise checks** ``checks``: ``(name, function, action)`` with ``function(clean)``
       returning True where the row is wrong (the clean table of all rows) and ``action``
       ``'flag'`` or ``'exclude'``.

    Parameters
    ----------
    data : DataFrame or ReadResult
        The table as read (:func:`shnro_research.io.read_table`); never modified. A
        ``ReadResult`` gives the file name and each row's file line.
    instrument : Instrument or str
        The table's instrument (object, bundled name or YAML path).
    file : str or Path, optional
        File name used in messages and tables (default: from ``data`` or ``"data"``).
    keys : list of str, optional
        Columns that identify a row (default ``instrument.id_columns``); those absent from the
        file are skipped when they are ``optional_keys``.
    optional_keys : list of str
        Keys that may be empty (e.g. ``class_id`` of a teachers row of the sampling frame).
    rename : dict, optional
        ``{file column: instrument column}``.
    checks : list of tuples
        Extra row-wise checks (see step 4).
    lines : array of int, optional
        The file's own line of each data row (default from a ``ReadResult``'s report).
    lang : {'ru', 'en'}
        Language of ``message`` and ``expected``.

    Returns
    -------
    TableValidation
        ``clean``, ``problems``, ``exclusions``, ``missing_codes``, ``counts``.

    Examples
    --------
    >>> raw = read_table("raw/school_passport.xlsx")                  # doctest: +SKIP
    >>> res = validate_table(raw, "school_passport")                  # doctest: +SKIP
    >>> res.problems[["row", "column", "value", "expected"]]          # doctest: +SKIP

    R equivalent: ``validate::confront(data, validator(...))`` with range and code rules,
    ``janitor::get_dupes(data, school_id, year)``.
    """
    data, instrument, rep_in = table_and_instrument(data, instrument)
    check_option(lang, "lang", ("ru", "en"))
    fname = Path(file).name if file is not None else (rep_in.file if rep_in is not None
                                                      else "data")
    if lines is None and rep_in is not None:
        lines = getattr(rep_in, "lines", None)
    n = len(data)
    if lines is not None:
        lines = np.asarray(lines)
        if lines.shape != (n,):
            raise ParameterError(f"'lines' must give one line per row ({n}); got {lines.shape}")
    if len(set(map(str, data.columns))) != data.shape[1]:
        dup = pd.Index(map(str, data.columns))
        raise DataError(f"{fname}: duplicate column names {sorted(set(dup[dup.duplicated()]))}")
    check_duplicate_names([str(c) for c in data.columns], fname)
    rep = ReadReport(file=fname, format="DataFrame")
    df = map_columns(data, instrument, rename=rename, report=rep, where=fname)
    df = df.reset_index(drop=True)
    keys = list(instrument.id_columns if keys is None else keys)
    optional = set(optional_keys)
    absent = [k for k in keys if k not in df.columns and k not in optional]
    if absent:
        raise DataError(f"{fname}: key column(s) {absent} not found; file columns: "
                        f"{short_list(list(data.columns))}")
    keys = [k for k in keys if k in df.columns]
    log = _TableLog(n)
    ru = lang != "en"

    # 1. columns ---------------------------------------------------------------------------
    for c in rep.missing_columns:
        log.add_column(c, "missing_column", ("столбец формы " if ru else "a column of ")
                       + instrument.id, ACTION_ABSENT)
    for c in rep.unknown_columns:
        log.add_column(c, "column_not_in_instrument",
                       ("столбцы формы: " if ru else "columns of the instrument: ")
                       + short_list(list(instrument.id_columns) + instrument.columns, 8),
                       ACTION_KEPT)

    # 2. keys ------------------------------------------------------------------------------
    clean: dict[str, Any] = {c: df[c] for c in df.columns}
    bad_key = np.zeros(n, dtype=bool)
    for k in keys:
        raw = df[k]
        clean[k] = whole_ids(raw)
        if k not in optional:
            m = _is_missing_id(raw)
            log.add(m, k, "", "missing_key", "непустое значение" if ru else "a value",
                    ACTION_ROW_EXCLUDED)
            bad_key |= m
        present = ~_is_missing_id(raw)
        codes = instrument.id_codes.get(k)
        if k in ("year", "wave") or codes:
            x, text = _to_number(raw)
            fin = np.isfinite(x)
            whole = fin & (x == np.round(np.where(fin, x, 0)))
            if codes:
                ok = whole & np.isin(x, np.array(sorted(codes), dtype=float))
                labels = _valid_labels(codes)
                if text.any():
                    ok |= text & raw.astype(str).str.strip().str.lower().isin(labels).to_numpy()
                exp = (("код из " if ru else "a code in ") + "{" + ", ".join(
                    str(c) for c in sorted(codes)) + "}" + (" или его название" if ru
                                                            else " or its label"))
            else:
                ok = whole & (x >= 1900) & (x <= 2100)
                exp = "год 1900..2100" if ru else "a year 1900..2100"
            wrong = present & ~ok
            log.add(wrong, k, raw, "invalid_key", exp, ACTION_ROW_EXCLUDED)
            bad_key |= wrong
            if not codes and not pd.api.types.is_integer_dtype(raw):
                # years as whole numbers ('2022', 2022.0 -> 2022): the kept rows all are
                clean[k] = pd.Series(np.where(ok, x, np.nan)).astype("Int64")
    if keys:
        kf = pd.DataFrame({k: _key_norm(df[k]) for k in keys})
        dup = np.zeros(n, dtype=bool)
        ok_rows = np.flatnonzero(~bad_key)
        dup[ok_rows] = kf.iloc[ok_rows].duplicated(keep=False).to_numpy()
        if dup.any():
            shown = _join(df, keys, dup)
            log.add(dup, "/".join(keys), shown, "duplicate_key",
                    ("одна строка на " if ru else "one row per ") + " × ".join(keys),
                    ACTION_ROW_EXCLUDED)

    # 3. values ----------------------------------------------------------------------------
    mc_rows = []
    for col, it in instrument.column_item().items():
        if col not in df.columns or it.type == "text" or col in keys:
            continue
        raw = df[col]
        x, bad = _to_number(raw)
        exp = _expected(it, lang)
        log.add(bad, col, raw, "not_a_number", exp, ACTION_MISSING)
        changed = bad.any() or not (pd.api.types.is_numeric_dtype(raw)
                                    and not pd.api.types.is_bool_dtype(raw))
        if it.missing:
            mm = np.isin(x, np.array(sorted(it.missing), dtype=float))
            if mm.any():
                log.add(mm, col, raw, "missing_code", exp, ACTION_MISSING)
                u, cnt = np.unique(x[mm], return_counts=True)
                for code, k in zip(u, cnt):
                    mc_rows.append((col, int(code), it.missing[int(code)].get(lang), int(k)))
                x = np.where(mm, np.nan, x)
                changed = True
        fin = np.isfinite(x)
        inf = np.isinf(x)
        log.add(inf, col, raw, "out_of_range", exp, ACTION_MISSING)
        if it.type in ("single", "likert", "multiple"):
            frac = fin & (x != np.round(np.where(fin, x, 0)))
            log.add(frac, col, raw, "not_a_code", exp, ACTION_MISSING)
            valid = (np.array(sorted(it.codes), dtype=float) if it.type != "multiple"
                     else np.array([0.0, 1.0]))
            notin = fin & ~frac & ~np.isin(x, valid)
            log.add(notin, col, raw, "invalid_code", exp, ACTION_MISSING)
            wrong = inf | frac | notin
        elif it.bounds is not None:
            lo, hi = it.bounds
            oor = fin & ((x < lo) | (x > hi))
            log.add(oor, col, raw, "out_of_range", exp, ACTION_MISSING)
            wrong = inf | oor
        else:
            wrong = inf
        if wrong.any():
            x = np.where(wrong, np.nan, x)
            changed = True
        if changed:
            clean[col] = pd.Series(x, name=col)

    # 4. row-wise checks -------------------------------------------------------------------
    if checks:
        frame = pd.DataFrame(clean)
        for chk in checks:
            if (not isinstance(chk, (tuple, list)) or len(chk) not in (2, 3)
                    or not isinstance(chk[0], str) or not callable(chk[1])):
                raise ParameterError("each of 'checks' must be (name, function[, action]); "
                                     f"got {chk!r}")
            name, fn = chk[0], chk[1]
            action = chk[2] if len(chk) == 3 else "flag"
            check_option(action, f"action of check {name!r}", ("flag", "exclude"))
            try:
                arr = np.asarray(pd.Series(np.asarray(fn(frame.copy()))).fillna(False),
                                 dtype=bool)
            except Exception as exc:
                raise ParameterError(f"check {name!r} failed: {type(exc).__name__}: {exc}") \
                    from None
            if arr.shape != (n,):
                raise ParameterError(f"check {name!r} must return one boolean per row ({n}); "
                                     f"got shape {arr.shape}")
            log.add(arr, name, "", name, _message(name, lang),
                    ACTION_ROW_EXCLUDED if action == "exclude" else ACTION_FLAGGED)

    # assemble -----------------------------------------------------------------------------
    excl = log.excluded()
    keep = ~excl
    clean_all = pd.DataFrame(clean)
    clean_df = clean_all[keep].copy()
    clean_df.index = data.index[keep]
    pos = np.flatnonzero(excl)
    first, allr = log.reasons(pos)
    ex = pd.DataFrame({"file": fname, "row": pos + 1,
                       "line": _lines(lines, pos)})
    for k in keys:
        ex[k] = clean_all[k].iloc[pos].reset_index(drop=True)
    ex["reason"] = first
    ex["reasons"] = allr
    ex["message"] = [_message(r, lang) for r in first]
    problems = _problems(log, fname, lines, _join(df, keys, np.ones(n, bool)) if keys
                         else np.full(n, "", dtype=object), lang)
    mc = pd.DataFrame(mc_rows, columns=["column", "code", "label", "n"])
    counts = pd.DataFrame([{"file": fname, "instrument": instrument.id, "raw_rows": n,
                            "clean_rows": len(clean_df), "excluded_rows": len(ex),
                            "problems": len(problems)}])
    if len(clean_df) + len(ex) != n:  # pragma: no cover - internal invariant
        raise RuntimeError("internal error: clean + excluded rows != raw rows")
    return TableValidation(clean_df, problems, ex, mc, counts, fname, instrument.id,
                           list(rep.unknown_columns), list(rep.missing_columns))


def _lines(lines: np.ndarray | None, pos: np.ndarray) -> pd.array:
    if lines is None:
        return pd.array([pd.NA] * len(pos), dtype="Int64")
    return pd.array(np.asarray(lines)[pos].astype("int64"), dtype="Int64")


def _join(df: pd.DataFrame, cols: list[str], mask: np.ndarray) -> np.ndarray:
    """'S01/2022' strings of the key columns for the masked rows ('' elsewhere)."""
    idx = np.flatnonzero(mask)
    out = None
    for c in cols:
        part = _values_text(df[c], idx, len(mask))
        out = part if out is None else out + "/" + part
    full = np.full(len(mask), "", dtype=object)
    if out is not None:
        full[idx] = out
    return full


def _problems(log: _TableLog, fname: str, lines: np.ndarray | None, key: np.ndarray,
              lang: str) -> pd.DataFrame:
    head = pd.DataFrame({
        "file": fname, "row": pd.array([pd.NA] * len(log.columns), dtype="Int64"),
        "line": pd.array([pd.NA] * len(log.columns), dtype="Int64"),
        "key": "", "column": [c[0] for c in log.columns], "value": "",
        "problem": [c[1] for c in log.columns], "expected": [c[2] for c in log.columns],
        "message": [_message(c[1], lang) for c in log.columns],
        "action": [c[3] for c in log.columns]}, columns=PROBLEM_COLUMNS)
    if not log.parts:
        return head.astype({c: object for c in PROBLEM_COLUMNS if c not in ("row", "line")})
    pos = np.concatenate([p[0] for p in log.parts])
    order = np.argsort(pos, kind="stable")
    lens = [len(p[0]) for p in log.parts]

    def rep(j: int) -> np.ndarray:
        return np.repeat(np.array([p[j] for p in log.parts], dtype=object), lens)[order]

    pos = pos[order]
    body = pd.DataFrame({
        "file": fname, "row": pd.array(pos + 1, dtype="Int64"), "line": _lines(lines, pos),
        "key": key[pos], "column": rep(1),
        "value": np.concatenate([p[2] for p in log.parts])[order],
        "problem": rep(3), "expected": rep(4),
        "message": [_message(p, lang) for p in rep(3)], "action": rep(5)},
        columns=PROBLEM_COLUMNS)
    out = pd.concat([head, body], ignore_index=True) if len(head) else body
    return out.astype({c: object for c in PROBLEM_COLUMNS if c not in ("row", "line")})


def frame_checks(unit: str | None = "unit", class_: str = "class_id") -> tuple:
    """Row-wise checks of a sampling frame for :func:`validate_table`: a ``unit`` other than
    ``class`` / ``teachers`` (or empty) and a class row without a class id exclude the row."""
    out = []
    if unit:
        out.append(("unknown_unit", lambda d: (d[unit].isna() | ~d[unit].astype(str).str
                                               .strip().isin(["class", "teachers"]))
                    if unit in d else np.zeros(len(d), bool), "exclude"))
        out.append(("class_without_id", lambda d: (
            (d[unit].astype(str).str.strip() == "class")
            & (d[class_].isna() | d[class_].astype(str).str.strip().eq("")))
            if unit in d and class_ in d else np.zeros(len(d), bool), "exclude"))
    return tuple(out)


def frame_options(unit: str | None = "unit", class_: str = "class_id") -> dict[str, Any]:
    """Keyword arguments of :func:`validate_table` for a sampling frame (``sample_frame``): one
    row per wave × unit × school × class (a teachers row has no class id), and
    :func:`frame_checks`."""
    return dict(keys=["wave"] + ([unit] if unit else []) + ["school_id", class_],
                optional_keys=[class_] + ([unit] if unit else []),
                checks=frame_checks(unit, class_))


def write_table_report(result: TableValidation, folder: str | Path, kind: str
                       ) -> dict[str, Path]:
    """Write ``<kind>_problems``, ``<kind>_exclusions``, ``<kind>_missing_codes`` and
    ``<kind>_row_counts`` as CSV (UTF-8 with BOM) into ``folder``; return ``{name: path}``."""
    if not isinstance(result, TableValidation):
        raise ParameterError(f"'result' must be a TableValidation; got {type(result).__name__}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, tab in (("problems", result.problems), ("exclusions", result.exclusions),
                      ("missing_codes", result.missing_codes), ("row_counts", result.counts)):
        p = folder / f"{kind}_{name}.csv"
        tab.to_csv(p, index=False, encoding="utf-8-sig")
        out[name] = p
    return out


__all__ = ["validate_table", "TableValidation", "frame_checks", "frame_options",
           "write_table_report",
           "PROBLEM_COLUMNS", "ACTION_MISSING", "ACTION_ROW_EXCLUDED", "ACTION_FLAGGED",
           "ACTION_KEPT", "ACTION_ABSENT"]
