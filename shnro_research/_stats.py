"""Shared statistical cores: one R-exact ``p_adjust`` and one Cramér's V.

Every module that adjusts p-values for multiple comparisons or measures the association of a
contingency table calls these, so that Holm (and the other methods) and Cramér's V are computed
in one place:

* :func:`p_adjust` -- as R ``p.adjust`` (methods :data:`P_ADJUST_METHODS`);
* :func:`cramers_v_table` -- Cramér's V of an r x c table of counts, with the Pearson
  chi-square test without continuity correction.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import check_number, check_option
from .errors import DataError

__all__ = ["P_ADJUST_METHODS", "p_adjust", "p_adjust_by", "cramers_v_table", "one_blas_thread"]


def one_blas_thread():
    """Context limiting BLAS to one thread (threadpoolctl): many small factorisations (a
    2-column regression per test, a CFA per scale, a 2 x 2 block per school) cost more in
    thread start-up than in arithmetic, and on a loaded machine waiting threads spin. The
    study runner holds it around every stage; library functions hold it themselves."""
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas")

P_ADJUST_METHODS = ("holm", "hochberg", "bonferroni", "BH", "BY", "fdr", "none")


def p_adjust(p: Any, method: str = "holm", n: int | None = None) -> np.ndarray:
    """Adjust p-values for multiple comparisons exactly as R's ``p.adjust``.

    Parameters
    ----------
    p : array-like of float
        p-values; missing values (NaN) stay missing and are not counted in ``n``.
    method : {"holm", "hochberg", "bonferroni", "BH", "BY", "fdr", "none"}
        ``"holm"`` (step-down family-wise error control, Holm 1979), ``"BH"``/``"fdr"``
        (false discovery rate, Benjamini & Hochberg 1995), ``"BY"`` (Benjamini & Yekutieli 2001),
        ``"hochberg"``, ``"bonferroni"``; ``"none"`` returns ``p``.
    n : int, optional
        Number of comparisons (default: number of non-missing p-values); must be >= that number.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order.

    Notes
    -----
    With p-values sorted increasingly, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`:
    Holm :math:`\\tilde p_{(i)} = \\max_{j\\le i} \\min(1, (m-j+1) p_{(j)})`;
    BH :math:`\\tilde p_{(i)} = \\min_{j\\ge i} \\min(1, m p_{(j)}/j)`.

    Examples
    --------
    >>> p_adjust([0.01, 0.02, 0.03, 0.5], "holm")
    array([0.04, 0.06, 0.06, 0.5 ])

    R equivalent: ``p.adjust(c(0.01, 0.02, 0.03, 0.5), method = "holm")``.
    """
    check_option(method, "method", P_ADJUST_METHODS)
    arr = np.asarray(p, dtype=float).ravel()
    if np.any((arr[~np.isnan(arr)] < 0) | (arr[~np.isnan(arr)] > 1)):
        raise DataError("p-values must lie in [0, 1]; got values outside that range")
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    pv = arr[ok]
    m = pv.size
    if n is None:
        n = m
    else:
        check_number(n, "n", low=m, integer=True)
    if method == "none" or m == 0:
        out[ok] = pv
        return out
    if n <= 1:
        out[ok] = pv
        return out
    if method == "bonferroni":
        res = np.minimum(1.0, n * pv)
    elif method == "holm":
        o = np.argsort(pv, kind="stable")
        i = np.arange(1, m + 1)
        res = np.empty(m)
        res[o] = np.minimum(1.0, np.maximum.accumulate((n - i + 1) * pv[o]))
    else:
        o = np.argsort(-pv, kind="stable")  # decreasing
        i = np.arange(m, 0, -1)
        if method == "hochberg":
            adj = (n - i + 1) * pv[o]
        elif method in ("BH", "fdr"):
            adj = n / i * pv[o]
        else:  # BY
            q = np.sum(1.0 / np.arange(1, n + 1))
            adj = q * n / i * pv[o]
        res = np.empty(m)
        res[o] = np.minimum(1.0, np.minimum.accumulate(adj))
    out[ok] = res
    return out


def p_adjust_by(p: Any, codes: Any, method: str = "holm") -> np.ndarray:
    """:func:`p_adjust` within each family of p-values at once (``codes``: the family of each
    p-value), vectorised: the same numbers as calling ``p_adjust`` family by family (the same
    stable order of ties and the same arithmetic), for many small families — e.g. the pairs of
    respondent groups within each of 40,000 schools. Missing p-values stay missing and are not
    counted in their family's size.

    R equivalent: ``ave(p, family, FUN = function(x) p.adjust(x, method = "holm"))``.
    """
    check_option(method, "method", P_ADJUST_METHODS)
    arr = np.asarray(p, dtype=float).ravel()
    codes = np.asarray(codes).ravel()
    if len(codes) != len(arr):
        raise DataError(f"p_adjust_by: {len(arr)} p-values but {len(codes)} family codes")
    if np.any((arr[~np.isnan(arr)] < 0) | (arr[~np.isnan(arr)] > 1)):
        raise DataError("p-values must lie in [0, 1]; got values outside that range")
    out = np.full(arr.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(arr))
    pv, fam = arr[ok], pd.factorize(codes[ok])[0]
    m = np.bincount(fam)[fam].astype(np.int64) if len(fam) else np.zeros(0, np.int64)
    if method == "none" or not len(pv):
        out[ok] = pv
        return out
    if method == "bonferroni":
        res = np.minimum(1.0, m * pv)
    else:
        up = method == "holm"
        o = np.lexsort((pv if up else -pv, fam))          # within a family, stable
        fo, po, mo = fam[o], pv[o], m[o]
        start = np.r_[0, np.flatnonzero(np.diff(fo)) + 1]
        pos = np.arange(len(fo)) - np.repeat(start, np.diff(np.r_[start, len(fo)])) + 1
        i = pos if up else mo - pos + 1                  # the rank p_adjust uses
        if method in ("holm", "hochberg"):
            adj = (mo - i + 1) * po
        elif method in ("BH", "fdr"):
            adj = mo / i * po
        else:  # BY
            qs = {int(n): np.sum(1.0 / np.arange(1, n + 1)) for n in np.unique(mo)}
            adj = np.array([qs[int(n)] for n in mo]) * mo / i * po
        grouped = pd.Series(adj).groupby(fo, sort=False)
        acc = (grouped.cummax() if up else grouped.cummin()).to_numpy()
        res = np.empty(len(pv))
        res[o] = np.minimum(1.0, acc)
    res = np.where(m <= 1, pv, res)                      # a family of one is not adjusted
    out[ok] = res
    return out


def cramers_v_table(table: Any) -> dict[str, float]:
    """Cramér's V of a contingency table of counts, with its Pearson chi-square test.

    Parameters
    ----------
    table : array-like or DataFrame
        An r x c table of non-negative counts. Rows and columns whose total is zero are dropped
        (an empty category carries no information and would make the expected counts zero).

    Returns
    -------
    dict
        ``est`` (V), ``statistic`` (Pearson chi-square **without** continuity correction),
        ``df`` ((r-1)(c-1)), ``p_value``, ``n`` (total count).

    Notes
    -----
    ``V = sqrt(chi2 / (n (min(r, c) - 1)))`` (Cramér 1946).

    Examples
    --------
    >>> round(cramers_v_table([[10, 20], [20, 10]])["est"], 4)
    0.3333

    R equivalent: ``ch <- chisq.test(tab, correct = FALSE);
    sqrt(ch$statistic / (sum(tab) * (min(dim(tab)) - 1)))``.
    """
    arr = np.asarray(table.to_numpy() if isinstance(table, pd.DataFrame) else table, dtype=float)
    if arr.ndim != 2:
        raise DataError(f"Cramér's V needs a 2-d table of counts; got {arr.ndim} dimension(s)")
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise DataError("Cramér's V needs finite non-negative counts")
    arr = arr[arr.sum(axis=1) > 0][:, arr.sum(axis=0) > 0]
    r, c = arr.shape
    if r < 2 or c < 2:
        raise DataError(f"Cramér's V needs a table with >= 2 non-empty rows and columns; "
                        f"got a {r} x {c} table")
    chi2, p, dof, _ = stats.chi2_contingency(arr, correction=False)
    n = float(arr.sum())
    v = np.sqrt(chi2 / (n * (min(r, c) - 1)))
    n_out: Any = int(n) if float(n).is_integer() else n
    return {"est": float(v), "statistic": float(chi2), "df": float(dof), "p_value": float(p),
            "n": n_out}
