"""Column names: normalisation, duplicates, selection and mapping to an instrument."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from .report import ReadReport, short_list

if TYPE_CHECKING:  # pragma: no cover
    from ..instruments import Instrument


def norm_name(name: Any) -> str:
    """Column name compared ignoring case, surrounding spaces and inner runs of spaces."""
    return re.sub(r"\s+", "_", str(name).replace("\ufeff", "").strip().lower())


def check_duplicate_names(names: list[str], where: str) -> None:
    """DataError when two column names are equal after :func:`norm_name`."""
    seen: dict[str, str] = {}
    dups = []
    for n in names:
        k = norm_name(n)
        if k in seen:
            dups.append(f"{seen[k]!r} and {n!r}" if seen[k] != n else repr(n))
        else:
            seen[k] = n
    if dups:
        raise DataError(f"{where}: duplicate column names (compared ignoring case and spaces): "
                        f"{', '.join(dups)}; rename or remove the duplicates")


def select_columns(data: pd.DataFrame, columns: Sequence[str] | Mapping[str, str],
                   where: str) -> pd.DataFrame:
    """A list keeps those columns (in its order); a mapping renames ``{file column: new}``.

    Names are matched like :func:`norm_name` (case and spaces ignored); a name not in the file
    is a DataError listing the file's columns.
    """
    by_norm = {norm_name(c): c for c in data.columns}

    def find(name: Any) -> str:
        if not isinstance(name, str):
            raise ParameterError(f"'columns' must hold column names; got {name!r}")
        c = name if name in data.columns else by_norm.get(norm_name(name))
        if c is None:
            raise DataError(f"{where}: column {name!r} not found; file columns: "
                            f"{short_list(list(data.columns))}")
        return c

    if isinstance(columns, Mapping):
        ren = {find(k): v for k, v in columns.items()}
        return data.rename(columns=ren)
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        raise ParameterError("'columns' must be a list of column names or a mapping "
                             f"{{file column: new name}}; got {columns!r}")
    return data[[find(c) for c in columns]]


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
    by_norm = {norm_name(t): t for t in targets}
    cols = [str(c) for c in data.columns]
    bad = [k for k in rename if k not in cols]
    if bad:
        raise ParameterError(f"'rename': column(s) {bad} not in {where}; available: "
                             f"{short_list(cols)}")
    bad = [v for v in rename.values() if v not in targets]
    if bad:
        raise ParameterError(f"'rename': target(s) {bad} are not columns of instrument "
                             f"{instrument.id!r}")
    mapping: dict[str, str] = {}
    for c in cols:
        t = rename.get(c) or by_norm.get(norm_name(c))
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
            f"file columns: {short_list(cols)}. Rename them in the file or pass "
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
            report.notes.append(f"{col}: the file labels code(s) {[fmt_num(x) for x in extra]} "
                                f"that the instrument does not define (valid "
                                f"{sorted(it.codes)}, missing {sorted(it.missing)})")


def fmt_num(x: float) -> Any:
    """``3.0 -> 3``, ``2.5 -> 2.5``."""
    return int(x) if float(x).is_integer() else x


def whole_ids(s: pd.Series) -> pd.Series:
    """Float id columns holding whole numbers become nullable ``Int64``."""
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype=float)
        fin = np.isfinite(v)
        if np.all(v[fin] == np.round(v[fin])) and np.all(np.abs(v[fin]) < 2 ** 53):
            return s.astype("Int64")
    return s


def decimal_comma_columns(df: pd.DataFrame) -> list[str]:
    """Convert text columns whose every value is a number with a decimal comma; return them."""
    conv = []
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        nn = s.dropna()
        if len(nn) == 0:
            continue
        pattern = r"[+-]?\d+(?:[.,]\d+)?"
        if not nn.iloc[:200].astype(str).str.strip().str.fullmatch(pattern).all():
            continue                # a text column: its first values already say so
        st = nn.astype(str).str.strip()
        if st.str.fullmatch(pattern).all() and st.str.contains(",").any():
            df[c] = pd.to_numeric(s.astype(str).str.strip().str.replace(",", ".", regex=False)
                                  .where(s.notna()), errors="coerce")
            conv.append(c)
    return conv
