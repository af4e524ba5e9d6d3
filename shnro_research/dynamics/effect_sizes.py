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
    if measure != "cramers_v":
        fast = _numeric_effect_sizes(data, value, by, wave, pairs, measure, level, min_n)
        if fast is not None:
            return fast
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


# --------------------------------------------------------------------------------------------
# the same table for every domain at once (Hedges' g, Cliff's delta): arrays, no loop
# --------------------------------------------------------------------------------------------

def _numeric_effect_sizes(data: pd.DataFrame, value: str, by: list[str], wave: str,
                          pairs: list[tuple], measure: str, level: float,
                          min_n: int) -> pd.DataFrame | None:
    """:func:`wave_effect_sizes` of ``hedges_g`` / ``cliff_delta`` for all domains at once.

    The formulas are those of :func:`hedges_g` and :func:`cliff_delta` on per-domain sums
    (equal to the loop up to the order of floating-point summation, ~1e-15). Returns None
    (the caller loops) when a value is infinite; a domain whose pooled SD is within rounding
    of zero is computed by :func:`hedges_g` itself, so its "undefined" note is the loop's.
    """
    y_all = pd.to_numeric(data[value], errors="coerce").to_numpy(dtype=float)
    if np.isinf(y_all).any():
        return None
    if by:
        grouped = data.groupby(by, dropna=False, sort=True)
        dom = grouped.ngroup().to_numpy()
        keys = grouped.size().index.tolist()
        keys = [k if isinstance(k, tuple) else (k,) for k in keys]
    else:
        dom, keys = np.zeros(len(data), dtype=np.int64), [()]
    D = len(keys)
    waves = data[wave].to_numpy()
    valid = ~np.isnan(y_all) & pd.notna(data[wave]).to_numpy()
    q_level = 0.5 + level / 2
    parts = []
    for b, c in pairs:
        sb, sc = valid & (waves == b), valid & (waves == c)
        db, dc = dom[sb], dom[sc]
        yb, xc = y_all[sb], y_all[sc]
        n2 = np.bincount(db, minlength=D)          # base wave (y)
        n1 = np.bincount(dc, minlength=D)          # compare wave (x)
        out = pd.DataFrame({k: [key[i] for key in keys] for i, k in enumerate(by)})
        out["wave_base"] = [b] * D
        out["wave_compare"] = [c] * D
        out["measure"] = measure
        enough = (n2 >= min_n) & (n1 >= min_n)
        est = np.full(D, np.nan)
        cols = {k: np.full(D, np.nan) for k in ("se", "ci_low", "ci_high", "df")}
        note = np.array([""] * D, dtype=object)
        for d in np.flatnonzero(~enough):
            note[d] = (f"fewer than {min_n} valid values in a wave "
                       f"({n2[d]} in {b}, {n1[d]} in {c})")
        full = enough.copy()
        if measure == "hedges_g":
            m1, s1 = _domain_reduce(dc, xc, D, "mean_var", np.argsort(dc, kind="stable"))
            m2, s2 = _domain_reduce(db, yb, D, "mean_var", np.argsort(db, kind="stable"))
            with np.errstate(divide="ignore", invalid="ignore"):
                dfree = n1 + n2 - 2
                sp = np.sqrt(((n1 - 1) * s1 + (n2 - 1) * s2) / dfree)
                scale = np.maximum(1.0, np.maximum(np.abs(m1), np.abs(m2)))
                d_ = (m1 - m2) / sp
                J = 1 - 3 / (4 * (n1 + n2) - 9)
                g = d_ * J
                se = np.sqrt((n1 + n2) / (n1 * n2) + 0.5 * g ** 2 / (n1 + n2)) * J
            q = stats.t.ppf(q_level, np.where(enough, dfree, 1))
            # a pooled SD at rounding level: the loop's own function decides (zero -> note)
            near_zero = enough & ~(sp > 1e-9 * scale)
            full &= ~near_zero
            est[full] = g[full]
            cols["se"][full] = se[full]
            cols["ci_low"][full] = (g - q * se)[full]
            cols["ci_high"][full] = (g + q * se)[full]
            cols["df"][full] = dfree[full].astype(float)
            for d in np.flatnonzero(near_zero):
                try:
                    r = hedges_g(xc[dc == d], yb[db == d], level)
                except DataError as exc:
                    note[d] = str(exc)
                    continue
                full[d] = True
                est[d] = r["est"]
                for k in cols:
                    cols[k][d] = r[k]
        else:
            est_c, cols_c = _cliff_arrays(db, yb, dc, xc, n1, n2, D, q_level, enough)
            est[full] = est_c[full]
            for k in cols:
                cols[k][full] = cols_c[k][full]
        out["est"] = est
        if full.any():
            for k in cols:
                out[k] = cols[k]
        out["n"] = (n1 + n2).astype(np.int64)
        out["note"] = note.tolist()
        out["_full"] = full
        parts.append(out)
    res = pd.concat(parts).sort_index(kind="stable") if len(parts) > 1 else parts[0]
    any_full = bool(res.pop("_full").any())
    if not any_full:
        res = res.drop(columns=[k for k in ("se", "ci_low", "ci_high", "df") if k in res])
    if by and len(res):
        # the loop's rows come from Python scalars: infer the key columns' dtypes as it does
        for k in by:
            res[k] = pd.Series(res[k].tolist(), index=res.index)
    return _order_columns(res.reset_index(drop=True), by + ["wave_base", "wave_compare",
                                                         "measure"])


def _cliff_arrays(db, yb, dc, xc, n1, n2, D, q_level, enough):
    """Cliff's delta, its SE and CI per domain (the formulas of :func:`cliff_delta`)."""
    uniq, inv = np.unique(np.concatenate([xc, yb]), return_inverse=True)
    K = len(uniq) + 1
    kx = dc.astype(np.int64) * K + inv[:len(xc)]
    ky = db.astype(np.int64) * K + inv[len(xc):]
    ky_s, kx_s = np.sort(ky), np.sort(kx)
    bounds = np.arange(D + 1, dtype=np.int64) * K
    y_start, x_start = np.searchsorted(ky_s, bounds), np.searchsorted(kx_s, bounds)
    y_below = np.searchsorted(ky_s, kx, side="left") - y_start[dc]
    y_above = y_start[dc + 1] - np.searchsorted(ky_s, kx, side="right")
    x_below = np.searchsorted(kx_s, ky, side="left") - x_start[db]
    x_above = x_start[db + 1] - np.searchsorted(kx_s, ky, side="right")
    with np.errstate(divide="ignore", invalid="ignore"):
        d_i = (y_below - y_above) / n2[dc]
        d_j = (x_above - x_below) / n1[db]
        pb = np.bincount(dc, weights=y_below, minlength=D)
        pa = np.bincount(dc, weights=y_above, minlength=D)
        nn = n1.astype(float) * n2
        d = (pb - pa) / nn
        dd = np.where(np.abs(d) == 1, d * (nn - 1) / nn, d)
        ssr = pb * (1 - dd) ** 2 + (nn - pa - pb) * dd ** 2 + pa * (1 + dd) ** 2
        # sums over each domain's values in sorted order, as np.sum in cliff_delta
        si = _domain_reduce(dc, (d_i - dd[dc]) ** 2, D, "sum", np.lexsort((xc, dc)))
        sj = _domain_reduce(db, (d_j - dd[db]) ** 2, D, "sum", np.lexsort((yb, db)))
        var = (n2 ** 2 * si + n1 ** 2 * sj - ssr) / (nn * (n1 - 1) * (n2 - 1))
        var = np.maximum(var, 0.0)
        z = stats.t.ppf(q_level, np.where(enough, n1 + n2 - 2, 1))
        root = z * np.sqrt(var) * np.sqrt((1 - dd ** 2) ** 2 + z ** 2 * var)
        den = 1 - dd ** 2 + z ** 2 * var
        lo, hi = (dd - dd ** 3 - root) / den, (dd - dd ** 3 + root) / den
    hi = np.where(d == 1, 1.0, hi)
    lo = np.where(d == -1, -1.0, lo)
    return d, {"se": np.sqrt(var), "ci_low": lo, "ci_high": hi,
               "df": (n1 + n2 - 2).astype(float)}


def _domain_reduce(dom: np.ndarray, vals: np.ndarray, D: int, what: str, order: np.ndarray):
    """Per-domain sum, or mean and variance (ddof 1), of ``vals`` taken in ``order``; domains
    of equal size are stacked into one matrix so each is reduced as NumPy reduces its own
    array (pairwise summation: the numbers of the per-domain functions, bit for bit)."""
    dom, vals = dom[order], vals[order]
    n = np.bincount(dom, minlength=D)
    start = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
    first = np.full(D, np.nan)
    second = np.full(D, np.nan)
    for size in np.unique(n[n > 0]):
        cells = np.flatnonzero(n == size)
        M = vals[start[cells][:, None] + np.arange(size)[None, :]]
        if what == "sum":
            first[cells] = M.sum(axis=1)
            continue
        first[cells] = M.mean(axis=1)
        if size >= 2:
            second[cells] = M.var(axis=1, ddof=1)
    return first if what == "sum" else (first, second)
