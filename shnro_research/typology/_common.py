"""Helpers shared by the typology modules: shares, numeric columns, quantiles within groups."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_number
from ..errors import DataError


def _share(value: Any, name: str, *, open_low: bool = True, open_high: bool = True) -> float:
    check_number(value, name, low=0, high=1, low_inclusive=not open_low, high_inclusive=not open_high)
    return float(value)


def _numeric(df: pd.DataFrame, col: str, where: str) -> pd.Series:
    x = df[col]
    if pd.api.types.is_bool_dtype(x):
        return x.astype(float)
    if not pd.api.types.is_numeric_dtype(x):
        conv = pd.to_numeric(x, errors="coerce")
        bad = x[conv.isna() & x.notna()]
        if len(bad):
            raise DataError(f"{where}: column {col!r} must be numeric; got {bad.iloc[0]!r} in row {bad.index[0]!r}")
        x = conv
    return x.astype(float)


def _group_ids(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    if not by:
        return pd.Series(0, index=df.index)
    return df.groupby(list(by), dropna=False, sort=True).ngroup()


def _quantile_in_groups(x: pd.Series, gid: pd.Series, q: float) -> pd.Series:
    """Per-row cut-off: the q-quantile (type 7) of x within the row's group."""
    return x.groupby(gid).transform(lambda v: v.quantile(q) if v.notna().any() else np.nan)


def _check_unique(df: pd.DataFrame, keys: Sequence[str], where: str) -> None:
    dup = df.duplicated(subset=list(keys), keep=False)
    if dup.any():
        first = df.loc[dup, list(keys)].iloc[0].to_dict()
        raise DataError(f"{where}: duplicated key {first} ({int(dup.sum())} rows); one row per {list(keys)} expected")


def _worst_share(x: pd.Series, gid: pd.Series, share: float, higher_is_better: bool):
    """Flag the worst ``share`` of values within groups: (flags, cut-offs, rule text)."""
    if higher_is_better:
        cut = _quantile_in_groups(x, gid, share)
        return x <= cut, cut, f"<= {_fmt(share * 100)}th percentile"
    cut = _quantile_in_groups(x, gid, 1 - share)
    return x >= cut, cut, f">= {_fmt((1 - share) * 100)}th percentile"


def _year_positions(years: pd.Series) -> pd.Series:
    order = sorted(years.dropna().unique())
    pos = {y: i for i, y in enumerate(order)}
    return years.map(pos)


def _fmt(v: float) -> str:
    return f"{v:g}"
