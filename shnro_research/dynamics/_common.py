"""Helpers shared by the dynamics modules: wave pairs, column order, quantiles."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import TIDY_COLUMNS, as_list, check_number
from ..errors import DataError, ParameterError

CLASSES = ("positive", "negative", "changed", "no change", "cannot tell", "no data")


def _order_columns(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Keys first, then the tidy vocabulary, then every other column (in their order)."""
    keys = [k for k in keys if k in df.columns]
    vocab = [c for c in TIDY_COLUMNS if c in df.columns and c not in keys]
    rest = [c for c in df.columns if c not in keys and c not in vocab]
    return df[keys + vocab + rest].reset_index(drop=True)


def _check_level(level: float) -> float:
    """The confidence level of an interval, in [0.5, 1)."""
    check_number(level, "level", low=0.5, high=1, high_inclusive=False)
    return float(level)


def _finite_1d(x: Any, name: str) -> np.ndarray:
    """A 1-d float array without missing values (missing values are dropped, i.e. listwise)."""
    try:
        arr = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name!r} must be numeric; {exc}") from None
    arr = arr[np.isfinite(arr)]
    return arr


def _sorted_waves(values: Sequence[Any]) -> list[Any]:
    uniq = pd.unique(pd.Series(list(values)).dropna())
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _wave_pairs(waves: Sequence[Any], base: Any, compare: Any, consecutive: bool) -> list[tuple]:
    """The (base, compare) wave pairs to contrast."""
    waves = _sorted_waves(waves)
    if len(waves) < 2 and base is None:
        raise DataError(f"at least two waves are needed to measure change; found {waves}")
    if consecutive:
        if base is not None or compare is not None:
            raise ParameterError("'consecutive=True' cannot be combined with 'base' or 'compare'")
        return list(zip(waves[:-1], waves[1:]))
    if base is None:
        base = waves[0]
    elif base not in waves:
        raise ParameterError(f"'base' must be one of the waves {waves}; got {base!r}")
    if compare is None:
        comp = [w for w in waves if w != base and (_lt(base, w))]
        if not comp:
            comp = [w for w in waves if w != base]
    else:
        comp = as_list(compare) if isinstance(compare, (str, list, tuple)) else [compare]
        bad = [c for c in comp if c not in waves]
        if bad:
            raise ParameterError(f"'compare' must be among the waves {waves}; got {bad}")
        if base in comp:
            raise ParameterError(f"'compare' must differ from 'base' ({base!r})")
    return [(base, c) for c in comp]


def _t_ppf(q: float, df: np.ndarray) -> np.ndarray:
    """Student t quantile for an array of df (computed once per distinct df: fast at 1e6 rows);
    non-finite or non-positive df give the normal quantile."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, stats.norm.ppf(q))
    ok = np.isfinite(df) & (df > 0)
    if ok.any():
        uniq, inv = np.unique(df[ok], return_inverse=True)
        out[ok] = stats.t.ppf(q, uniq)[inv]
    return out


def _lt(a: Any, b: Any) -> bool:
    try:
        return bool(a < b)
    except TypeError:
        return str(a) < str(b)
