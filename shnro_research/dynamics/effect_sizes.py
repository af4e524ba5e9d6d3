"""Effect sizes of the change between waves on respondent-level data."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option
from .._stats import cramers_v_table
from ..errors import DataError
from ._common import _check_level, _finite_1d, _order_columns, _wave_pairs

__all__ = ["hedges_g", "cliff_delta", "cramers_v", "wave_effect_sizes"]


def hedges_g(x: Any, y: Any, level: float = 0.95) -> dict[str, float]:
    """Hedges' g of ``x`` (later wave) versus ``y`` (base wave), with SE and CI as R effsize.

    Parameters
    ----------
    x, y : array-like
        Respondent values of the compared and the base wave; missing values are dropped.
    level : float
        Confidence level.

    Returns
    -------
    dict
        ``est`` (g), ``se``, ``ci_low``, ``ci_high``, ``df`` (n1 + n2 - 2), ``n`` (n1 + n2),
        ``d`` (Cohen's d before correction) and ``J``.

    Notes
    -----
    ``d = (mean_x - mean_y) / s_p`` with the pooled SD
    ``s_p = sqrt(((n1-1) s1^2 + (n2-1) s2^2) / (n1+n2-2))``; small-sample correction
    ``J = 1 - 3 / (4 (n1+n2) - 9)`` (Hedges & Olkin 1985), ``g = J d``;
    ``SE = J sqrt((n1+n2)/(n1 n2) + g^2 / (2 (n1+n2)))`` (Grissom & Kim 2005, eq. 3.13, as
    effsize 0.8 evaluates it, with the corrected g); CI ``g +- t_{1-a/2, n1+n2-2} SE``.

    Examples
    --------
    R equivalent: ``effsize::cohen.d(x, y, hedges.correction = TRUE)``.
    """
    level = _check_level(level)
    x, y = _finite_1d(x, "x"), _finite_1d(y, "y")
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        raise DataError(f"Hedges' g needs at least 2 values in each wave; got {n1} and {n2}")
    s1, s2 = x.var(ddof=1), y.var(ddof=1)
    dfree = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * s1 + (n2 - 1) * s2) / dfree)
    if sp == 0:
        raise DataError("Hedges' g is undefined: both waves have zero variance")
    d = (x.mean() - y.mean()) / sp
    J = 1 - 3 / (4 * (n1 + n2) - 9)
    g = d * J
    se = np.sqrt((n1 + n2) / (n1 * n2) + 0.5 * g ** 2 / (n1 + n2)) * J
    q = stats.t.ppf(0.5 + level / 2, dfree)
    return {"est": float(g), "se": float(se), "ci_low": float(g - q * se),
            "ci_high": float(g + q * se), "df": float(dfree), "n": int(n1 + n2),
            "d": float(d), "J": float(J)}


def cliff_delta(x: Any, y: Any, level: float = 0.95) -> dict[str, float]:
    """Cliff's delta of ``x`` (later wave) versus ``y`` (base wave), with its CI, as R effsize.

    ``delta = P(X > Y) - P(X < Y)``, computed in O(n log n) from sorted values (no n1 x n2
    dominance matrix), so it scales to national samples.

    Parameters
    ----------
    x, y : array-like
        Respondent values (ordinal or numeric); missing values are dropped.
    level : float
        Confidence level.

    Returns
    -------
    dict
        ``est`` (delta), ``se`` (square root of the unbiased variance), ``ci_low``, ``ci_high``,
        ``df`` (n1 + n2 - 2), ``n``.

    Notes
    -----
    Unbiased variance (Cliff 1996; effsize ``use.unbiased = TRUE``):
    ``S = (n2^2 sum(d_i. - d)^2 + n1^2 sum(d_.j - d)^2 - sum_ij(d_ij - d)^2) /
    (n1 n2 (n1-1)(n2-1))`` where ``d_i.`` and ``d_.j`` are row and column means of the
    dominance matrix ``d_ij = sign(x_i - y_j)``; asymmetric CI (Feng & Cliff 2004) with
    ``Z = t_{1-a/2, n1+n2-2}``:
    ``(d - d^3 -+ Z sqrt(S) sqrt((1-d^2)^2 + Z^2 S)) / (1 - d^2 + Z^2 S)``.
    When the samples are disjoint (|delta| = 1) ``d`` in the variance is rescaled by
    ``(n1 n2 - 1)/(n1 n2)`` and the CI bound at +-1 is set to +-1, as effsize does.

    Examples
    --------
    R equivalent: ``effsize::cliff.delta(x, y)``.
    """
    level = _check_level(level)
    x, y = np.sort(_finite_1d(x, "x")), np.sort(_finite_1d(y, "y"))
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        raise DataError(f"Cliff's delta needs at least 2 values in each wave; got {n1} and {n2}")
    # for each x_i: number of y below and above
    y_below = np.searchsorted(y, x, side="left")
    y_above = n2 - np.searchsorted(y, x, side="right")
    d_i = (y_below - y_above) / n2
    x_below = np.searchsorted(x, y, side="left")
    x_above = n1 - np.searchsorted(x, y, side="right")
    d_j = (x_above - x_below) / n1
    pb = float(y_below.sum())    # pairs with x > y
    pa = float(y_above.sum())    # pairs with x < y
    nn = float(n1) * n2
    d = (pb - pa) / nn
    dd = d * (nn - 1) / nn if abs(d) == 1 else d
    ssr = pb * (1 - dd) ** 2 + (nn - pa - pb) * dd ** 2 + pa * (1 + dd) ** 2
    var = (n2 ** 2 * np.sum((d_i - dd) ** 2) + n1 ** 2 * np.sum((d_j - dd) ** 2) - ssr) / (
        nn * (n1 - 1) * (n2 - 1))
    var = max(var, 0.0)
    z = stats.t.ppf(0.5 + level / 2, n1 + n2 - 2)
    root = z * np.sqrt(var) * np.sqrt((1 - dd ** 2) ** 2 + z ** 2 * var)
    den = 1 - dd ** 2 + z ** 2 * var
    lo, hi = (dd - dd ** 3 - root) / den, (dd - dd ** 3 + root) / den
    if d == 1:
        hi = 1.0
    if d == -1:
        lo = -1.0
    return {"est": float(d), "se": float(np.sqrt(var)), "ci_low": float(lo), "ci_high": float(hi),
            "df": float(n1 + n2 - 2), "n": int(n1 + n2)}


def cramers_v(data: pd.DataFrame, column: str, *, wave: str = "wave",
              waves: Sequence[Any] | None = None) -> dict[str, float]:
    """Cramér's V of the association between wave and a categorical answer distribution.

    Parameters
    ----------
    data : DataFrame
        Respondent-level data with ``wave`` and the categorical ``column``; rows with a missing
        value in either are dropped; categories with no respondent in any wave are ignored.
    column : str
        Categorical variable (codes or labels).
    wave : str
        Wave column.
    waves : list, optional
        The waves to compare (default: all).

    Returns
    -------
    dict
        ``est`` (V), ``statistic`` (Pearson chi-square without continuity correction), ``df``
        ((r-1)(c-1)), ``p_value``, ``n``.

    Notes
    -----
    ``V = sqrt(chi2 / (n (min(r, c) - 1)))``. Unweighted: a descriptive effect size; the
    design-based test of change of a share is :func:`wave_change` on design-based estimates.

    Examples
    --------
    R equivalent: ``ch <- chisq.test(table(d$wave, d$x), correct = FALSE);
    sqrt(ch$statistic / (sum(ch$observed) * (min(dim(ch$observed)) - 1)))``.
    """
    check_columns(data, [wave, column], "data")
    d = data[[wave, column]].dropna()
    if waves is not None:
        d = d[d[wave].isin(list(waves))]
    tab = pd.crosstab(d[wave], d[column])
    tab = tab.loc[tab.sum(axis=1) > 0, tab.sum(axis=0) > 0]
    r, c = tab.shape
    if r < 2 or c < 2:
        raise DataError(f"Cramér's V needs >= 2 waves and >= 2 categories of {column!r} with "
                        f"answers; got a {r} x {c} table")
    return cramers_v_table(tab)


def wave_effect_sizes(data: pd.DataFrame, value: str, *, by: str | Sequence[str] | None = None,
                      wave: str = "wave", base: Any = None, compare: Any = None,
                      consecutive: bool = False, measure: str = "hedges_g",
                      level: float = 0.95, min_n: int = 2) -> pd.DataFrame:
    """Effect size of the change between waves for every domain, on respondent-level data.

    Parameters
    ----------
    data : DataFrame
        One row per respondent with ``by``, ``wave`` and ``value``.
    value : str
        Scale score (``hedges_g``, ``cliff_delta``) or categorical answer (``cramers_v``).
    by : str or list of str, optional
        Domain columns (e.g. ``["school_id", "group"]``).
    wave, base, compare, consecutive
        As in :func:`wave_change`.
    measure : {"hedges_g", "cliff_delta", "cramers_v"}
        Effect size (positive g / delta = higher values in the later wave).
    min_n : int
        Minimum number of valid values per wave; smaller domains give NaN with a note.

    Returns
    -------
    DataFrame
        ``by``, ``wave_base``, ``wave_compare``, ``measure``, then ``est``, ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``n`` (``statistic``, ``p_value`` for V) and ``note``.

    Examples
    --------
    R equivalent: per domain ``effsize::cohen.d(x2, x1, hedges.correction = TRUE)``,
    ``effsize::cliff.delta(x2, x1)`` or the ``chisq.test`` based V.
    """
    check_option(measure, "measure", ("hedges_g", "cliff_delta", "cramers_v"))
    by = as_list(by)
    check_columns(data, by + [wave, value], "data")
    check_number(min_n, "min_n", low=2, integer=True)
    if measure != "cramers_v" and not pd.api.types.is_numeric_dtype(data[value]):
        raise DataError(f"data: column {value!r} must be numeric for {measure}; "
                        f"got dtype {data[value].dtype}")
    pairs = _wave_pairs(data[wave].tolist(), base, compare, consecutive)
    rows = []
    groups = data.groupby(by, dropna=False, sort=True) if by else [((), data)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        per_wave = {w: gw[value] for w, gw in g.groupby(wave)}
        for b, c in pairs:
            row = dict(zip(by, key))
            row.update(wave_base=b, wave_compare=c, measure=measure)
            yb = per_wave.get(b, pd.Series(dtype=float)).dropna()
            xc = per_wave.get(c, pd.Series(dtype=float)).dropna()
            if len(yb) < min_n or len(xc) < min_n:
                row.update(est=np.nan, n=int(len(yb) + len(xc)),
                           note=f"fewer than {min_n} valid values in a wave "
                                f"({len(yb)} in {b}, {len(xc)} in {c})")
                rows.append(row)
                continue
            try:
                if measure == "hedges_g":
                    res = hedges_g(xc, yb, level)
                    res.pop("d"), res.pop("J")
                elif measure == "cliff_delta":
                    res = cliff_delta(xc, yb, level)
                else:
                    sub = g[g[wave].isin([b, c])]
                    res = cramers_v(sub, value, wave=wave)
                row.update(res, note="")
            except DataError as exc:
                row.update(est=np.nan, n=int(len(yb) + len(xc)), note=str(exc))
            rows.append(row)
    out = pd.DataFrame(rows)
    return _order_columns(out, by + ["wave_base", "wave_compare", "measure"])
