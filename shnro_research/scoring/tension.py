"""Social tension in a school: respondent index (0-100), aggregates with levels, balance indices
and comparisons between respondent groups (students, parents, teachers).

Definitions (docs/METHODS.md §4)
--------------------------------
* **Tension index** of a respondent: each indicator item is keyed so that a higher code means
  more tension (a leading ``-`` in ``items`` reverses it, ``min + max - x`` with declared bounds),
  rescaled to 0-100 as :math:`100 (y - min)/(max - min)`, then averaged over the answered items
  (at least ``min_valid``; default all).
* **Levels**: the 0-100 index cut at ``thresholds`` (default 25, 50, 75 -> low [0, 25),
  moderate [25, 50), high [50, 75), critical [75, 100]). These defaults are equal quarters of the
  scale, a convention and not a validated norm: pass the study's own thresholds.
* **Balance index** per indicator: % negative - % positive answers among the valid answers
  (an index in points, range -100...100, like the 0-100 tension index; ВЦИОМ-style indices use
  the opposite sign: pass ``negative``/``positive`` accordingly).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_min_valid, check_number, check_option, tidy
from ..errors import ParameterError
from .._stats import P_ADJUST_METHODS, p_adjust_by
from ._common import (bound_array, check_range, group_codes, keyed, numeric_matrix, parse_keys,
                      public, weight_array, weighted_mean_se)

__all__ = ["tension_index", "tension_levels", "tension_summary", "balance_index",
           "compare_groups", "DEFAULT_THRESHOLDS", "DEFAULT_LEVELS"]

DEFAULT_THRESHOLDS = (25.0, 50.0, 75.0)
DEFAULT_LEVELS = ("low", "moderate", "high", "critical")


@public
def tension_index(data: pd.DataFrame, items: Sequence[str], *, item_min: Any, item_max: Any,
                  min_valid: int | float | None = None, out_of_range: str = "error",
                  name: str = "tension") -> pd.DataFrame:
    """Per-respondent social tension index on 0-100.

    :math:`T_i = \\frac{1}{n_i}\\sum_j 100\\,(y_{ij} - min_j)/(max_j - min_j)` over the answered
    indicators, :math:`y` keyed so that higher = more tension; missing when fewer than
    ``min_valid`` indicators are answered.

    Parameters
    ----------
    data : DataFrame
    items : list of str
        Indicator columns; prefix ``-`` for items where a *higher* code means *less* tension
        (e.g. satisfaction).
    item_min, item_max : number or dict item -> number
        Declared bounds.
    min_valid : int, float or None
        Count or share of indicators that must be answered (None = all).
    name : str
        Name of the output column.

    Returns
    -------
    DataFrame
        index of ``data``; ``<name>`` (0-100) and ``<name>_n_valid``.

    Examples
    --------
    >>> tension_index(df, ["conflict", "injustice", "-satisfied"], item_min=1, item_max=5)
    R: rowMeans(100 * (cbind(d$conflict, d$injustice, 6 - d$satisfied) - 1) / 4, na.rm = TRUE)
    """
    check_option(out_of_range, "out_of_range", ("error", "missing"))
    parsed = parse_keys({name: list(items) if not isinstance(items, str) else items})[name]
    names = [n for n, _ in parsed]
    signs = np.array([s for _, s in parsed])
    x = numeric_matrix(data, names)
    lo = bound_array(item_min, names, "item_min")
    hi = bound_array(item_max, names, "item_max")
    x = check_range(x, names, lo, hi, data.index, out_of_range)
    y = 100 * (keyed(x, signs, lo, hi) - lo) / (hi - lo)
    need = check_min_valid(min_valid, len(names))
    nv = np.isfinite(y).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.nansum(y, axis=1) / nv
    t[nv < need] = np.nan
    return pd.DataFrame({name: t, f"{name}_n_valid": nv}, index=data.index)


def _check_thresholds(thresholds, labels):
    thr = [check_number(t, "thresholds") for t in thresholds]
    if any(b <= a for a, b in zip(thr, thr[1:])):
        raise ParameterError(f"'thresholds' must be strictly increasing; got {list(thresholds)}")
    if len(labels) != len(thr) + 1:
        raise ParameterError(f"'labels' must have len(thresholds) + 1 = {len(thr) + 1} names; "
                             f"got {list(labels)}")
    return thr, list(labels)


@public
def tension_levels(values: pd.Series | np.ndarray, *, thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                   labels: Sequence[str] = DEFAULT_LEVELS) -> pd.Series:
    """Cut a 0-100 index into ordered levels: [-inf, t1) -> labels[0], ..., [t_last, inf) -> last.

    Examples
    --------
    R: cut(x, c(-Inf, 25, 50, 75, Inf), right = FALSE, labels = c("low", "moderate", "high", "critical"))
    """
    thr, labels = _check_thresholds(thresholds, labels)
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(thr), v, side="right")
    cat = pd.Categorical.from_codes(np.where(np.isfinite(v), idx, -1),
                                    categories=labels, ordered=True)
    return pd.Series(cat, index=s.index, name="tension_level")


@public(renamed={"ci_level": "level"})
def tension_summary(data: pd.DataFrame, index: str = "tension", *,
                    by: str | Sequence[str] = ("school_id", "group"), weight: str | None = None,
                    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                    labels: Sequence[str] = DEFAULT_LEVELS, level: float = 0.95) -> pd.DataFrame:
    """Mean tension index per school x group (x wave) with its level.

    est = (weighted) mean of the respondents' index; se = simple standard error (sd/sqrt(n), or the
    linearisation SE of a weighted mean treating respondents as independent, see
    :func:`shnro_research.scoring._common.weighted_mean_se`; the design-based SE of the
    multistage sample is the ``design`` stage's job); CI = est ± t(n-1) se at confidence
    ``level``. Also the shares (0-1) of respondents at each level (``share_<label>``).

    Returns
    -------
    DataFrame
        by..., ``tension_level`` (level of the mean), ``share_<label>``..., ``est``, ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``n``.

    Examples
    --------
    R: survey::svyby(~tension, ~school + group, svydesign(ids = ~1, weights = ~w, data = d), svymean)
    """
    by = as_list(by)
    check_columns(data, [index] + by, "data")
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    thr, labels = _check_thresholds(thresholds, labels)
    codes, keys = group_codes(data, by)
    w = weight_array(data, weight)
    x = numeric_matrix(data, [index])[:, 0]
    g = len(keys)
    m, se, n = weighted_mean_se(x, w, codes, g)
    out = keys.copy() if by else pd.DataFrame(index=[0])
    out["tension_level"] = tension_levels(m, thresholds=thr, labels=labels).to_numpy()
    lev = tension_levels(x, thresholds=thr, labels=labels).cat.codes.to_numpy()
    ok = (codes >= 0) & np.isfinite(x)
    wv = np.ones(len(x)) if w is None else w
    tot = np.bincount(codes[ok], weights=wv[ok], minlength=g)
    for li, lab in enumerate(labels):
        sel = ok & (lev == li)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"share_{lab}"] = np.bincount(codes[sel], weights=wv[sel], minlength=g) / tot
    df = n - 1
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(0.5 + level / 2, np.where(df > 0, df, np.nan))
    out["est"], out["se"] = m, se
    out["ci_low"], out["ci_high"] = m - q * se, m + q * se
    out["df"], out["n"] = df, n
    return tidy(out)


def _codes_for(spec, item, what):
    if isinstance(spec, Mapping):
        if item not in spec:
            raise ParameterError(f"{what!r} has no codes for item {item!r}")
        spec = spec[item]
    vals = [spec] if np.isscalar(spec) else list(spec)
    if not vals:
        raise ParameterError(f"{what!r} must list at least one code for item {item!r}")
    return vals


@public(renamed={"ci_level": "level"})
def balance_index(data: pd.DataFrame, items: Sequence[str], *, negative: Any, positive: Any,
                  by: str | Sequence[str] | None = None, weight: str | None = None,
                  exclude: Any = None, level: float = 0.95) -> pd.DataFrame:
    """Balance index per indicator: % negative - % positive answers (range -100...100).

    With :math:`d_i = 100\\,(1[x_i \\in neg] - 1[x_i \\in pos])`, est = (weighted) mean of d over
    valid answers (not missing, not in ``exclude``, e.g. "hard to say"), se its simple standard
    error (as :func:`tension_summary`), normal CI at confidence ``level``; the percentages of
    negative and positive answers are returned too (``*_pct``, 0-100, the scale of ``est``).

    Parameters
    ----------
    items : list of str
    negative, positive : code, list of codes, or dict item -> codes
        Which answer codes count as negative (tension) and positive.
    exclude : code, list or dict, optional
        Codes removed from the base (treated as missing).

    Returns
    -------
    DataFrame
        by..., ``item``, ``negative_pct``, ``positive_pct``, ``est`` (points, -100...100),
        ``se``, ``ci_low``, ``ci_high``, ``n``.

    Examples
    --------
    R: 100 * (mean(x %in% neg) - mean(x %in% pos))   # among valid answers
    """
    items = as_list(items)
    if not items:
        raise ParameterError(f"'items' must name at least one column; got {items!r}")
    by = as_list(by)
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    x = numeric_matrix(data, items)
    codes, keys = group_codes(data, by)
    w = weight_array(data, weight)
    g = len(keys)
    z = stats.norm.ppf(0.5 + level / 2)
    frames = []
    for j, it in enumerate(items):
        neg = _codes_for(negative, it, "negative")
        pos = _codes_for(positive, it, "positive")
        if set(neg) & set(pos):
            raise ParameterError(f"codes {sorted(set(neg) & set(pos))} of item {it!r} are both "
                                 f"'negative' and 'positive'")
        v = x[:, j].copy()
        if exclude is not None:
            v[np.isin(v, _codes_for(exclude, it, "exclude"))] = np.nan
        valid = np.isfinite(v)
        d = np.where(valid, 100.0 * (np.isin(v, neg).astype(float) - np.isin(v, pos)), np.nan)
        dn = np.where(valid, 100.0 * np.isin(v, neg), np.nan)
        dp = np.where(valid, 100.0 * np.isin(v, pos), np.nan)
        m, se, n = weighted_mean_se(d, w, codes, g)
        pn = weighted_mean_se(dn, w, codes, g)[0]
        pp = weighted_mean_se(dp, w, codes, g)[0]
        f = keys.copy() if by else pd.DataFrame(index=[0])
        f["item"] = it
        f["negative_pct"], f["positive_pct"] = pn, pp
        f["est"], f["se"] = m, se
        f["ci_low"], f["ci_high"] = m - z * se, m + z * se
        f["n"] = n
        frames.append(f)
    return tidy(pd.concat(frames, ignore_index=True))


@public(renamed={"ci_level": "level"})
def compare_groups(data: pd.DataFrame, value: str, group: str, *,
                   by: str | Sequence[str] | None = "school_id", weight: str | None = None,
                   level: float = 0.95, adjust: str = "holm") -> pd.DataFrame:
    """Differences in a respondent index between respondent groups within each school (wave).

    For every pair of groups (a, b) within a ``by`` cell: est = mean_a - mean_b,
    :math:`se = \\sqrt{se_a^2 + se_b^2}` (group SEs as :func:`tension_summary`), Welch t test with
    Welch-Satterthwaite df, t interval at confidence ``level``; ``p_adjusted`` adjusts the
    p-values of the cell's pairs by ``adjust`` (R ``p.adjust`` method, default Holm).

    Returns
    -------
    DataFrame
        by..., ``group_a``, ``group_b``, ``mean_a``, ``mean_b``, ``n_a``, ``n_b``, ``est``,
        ``se``, ``ci_low``, ``ci_high``, ``df``, ``statistic``, ``p_value``, ``p_adjusted``,
        ``adjust_method``.

    Examples
    --------
    R: t.test(tension ~ group, data = subset(d, school == s & group %in% c("student", "teacher")))
    """
    by = as_list(by)
    check_columns(data, [value, group] + by, "data")
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    check_option(adjust, "adjust", P_ADJUST_METHODS)
    codes, keys = group_codes(data, by + [group])
    w = weight_array(data, weight)
    x = numeric_matrix(data, [value])[:, 0]
    m, se, n = weighted_mean_se(x, w, codes, len(keys))
    ia, ib, family = _pairs_within(keys, by)
    d = m[ia] - m[ib]
    s = np.sqrt(se[ia] ** 2 + se[ib] ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = s ** 4 / (se[ia] ** 4 / (n[ia] - 1) + se[ib] ** 4 / (n[ib] - 1))
        t = d / s
        fin_t, fin_df = np.isfinite(t), np.isfinite(df)
        p = np.full(len(t), np.nan)
        p[fin_t] = 2 * stats.t.sf(np.abs(t[fin_t]), df[fin_t])
        q = np.full(len(t), np.nan)
        q[fin_df] = stats.t.ppf(0.5 + level / 2, df[fin_df])
    out = keys[by].iloc[ia].reset_index(drop=True) if by else pd.DataFrame(index=range(len(ia)))
    out = out.assign(group_a=keys[group].to_numpy()[ia], group_b=keys[group].to_numpy()[ib],
                     mean_a=m[ia], mean_b=m[ib], n_a=n[ia].astype(int), n_b=n[ib].astype(int),
                     est=d, se=s, ci_low=d - q * s, ci_high=d + q * s, df=df, statistic=t,
                     p_value=p, p_adjusted=p_adjust_by(p, family, adjust),
                     adjust_method=adjust)
    return tidy(out)


def _pairs_within(keys: pd.DataFrame, by: list[str]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (a, b), a before b, of the rows of ``keys`` (sorted by ``by`` then the group,
    as :func:`group_codes` returns them) that share their ``by`` values, cell after cell —
    the order of ``itertools.combinations`` within each cell — and the cell of each pair (its
    first row: the family of its p-value adjustment)."""
    none = np.zeros(0, np.int64)
    if not len(keys):
        return none, none, none
    cell = np.zeros(len(keys), np.int64) if not by else group_codes(keys, by)[0]
    start = np.r_[0, np.flatnonzero(np.diff(cell)) + 1]
    size = np.diff(np.r_[start, len(keys)])
    parts_a, parts_b, parts_c = [], [], []
    for k in np.unique(size[size >= 2]):
        ca, cb = map(np.array, zip(*itertools.combinations(range(int(k)), 2)))
        st = start[size == k]
        parts_a.append((st[:, None] + ca[None, :]).ravel())
        parts_b.append((st[:, None] + cb[None, :]).ravel())
        parts_c.append(np.repeat(st, len(ca)))
    if not parts_a:
        return none, none, none
    a, b, c = map(np.concatenate, (parts_a, parts_b, parts_c))
    o = np.lexsort((b, a, c))            # cell after cell, then combinations order
    return a[o], b[o], c[o]
