"""Within-group agreement and reliability of group means (teachers' professional community).

* :func:`rwg` - r_wg of one item (James, Demaree & Wolf 1984), ``multilevel::rwg``;
* :func:`rwg_j` - r_wg(J) of a J-item scale, ``multilevel::rwg.j``, plus Lindell's r*_wg(J);
* :func:`ad_index` - average deviation AD_M (mean or median), ``multilevel::ad.m``;
* :func:`icc_anova` - ICC(1) and ICC(2) from a one-way ANOVA (Bliese 2000),
  ``multilevel::ICC1`` / ``ICC2`` of ``aov(y ~ as.factor(group))``.

The groups are the cells of ``by`` (e.g. ``["school_id", "wave"]``).

Missing-data rule (as in ``multilevel``): rows with a missing value in any of the items (or a
``by`` column) are dropped before the group statistics (``na.exclude``); a group with one remaining
respondent gets a missing index.

Uniform null: :math:`\\sigma^2_{EU} = (A^2 - 1)/12` for A response options. Truncation (as
``multilevel``): when the observed (mean) variance exceeds :math:`\\sigma^2_{EU}` it is set to
:math:`\\sigma^2_{EU}`, so r_wg and r_wg(J) are 0 there and always lie in [0, 1]. Lindell's
r*_wg(J) = 1 - mean variance / :math:`\\sigma^2_{EU}` is reported untruncated.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option, tidy
from ..errors import DataError, ParameterError
from ._common import numeric_matrix, public

__all__ = ["rwg", "rwg_j", "ad_index", "icc_anova", "uniform_null_variance"]


@public
def uniform_null_variance(options: int) -> float:
    """Variance of the uniform null distribution, :math:`(A^2 - 1)/12` (A = number of options).

    Examples
    --------
    R: (A^2 - 1) / 12     # the 'ranvar' argument of multilevel::rwg / rwg.j
    """
    check_number(options, "options", low=2, integer=True)
    return (options ** 2 - 1) / 12.0


def _null(options, null_variance):
    if (options is None) == (null_variance is None):
        raise ParameterError("give exactly one of 'options' (number of response options A, "
                             "sigma^2 = (A^2-1)/12) and 'null_variance'; got "
                             f"options={options!r}, null_variance={null_variance!r}")
    if options is not None:
        return uniform_null_variance(options)
    check_number(null_variance, "null_variance", low=0, low_inclusive=False)
    return float(null_variance)


def _complete(data, items, by):
    by = as_list(by)
    if not by:
        raise ParameterError(f"'by' must name at least one column (e.g. the school id); got {by!r}")
    check_columns(data, list(items) + by, "data")
    x = numeric_matrix(data, list(items))
    ok = np.isfinite(x).all(axis=1) & data[by].notna().all(axis=1).to_numpy()
    keys = data.loc[ok, by].reset_index(drop=True)
    frame = pd.DataFrame(x[ok], columns=list(items))
    return frame, keys, by


def _group_var(frame, keys, group):
    g = frame.groupby([keys[c] for c in group], sort=True)
    return g.var(ddof=1), g.size()


@public(renamed={"group": "by"})
def rwg(data: pd.DataFrame, item: str, by: str | Sequence[str], *, options: int | None = None,
        null_variance: float | None = None) -> pd.DataFrame:
    """Within-group agreement r_wg of a single item: :math:`1 - \\min(S^2_x, \\sigma^2_{EU})/\\sigma^2_{EU}`.

    Parameters
    ----------
    data : DataFrame
    item : str
    by : str or list of str
        Grouping columns (e.g. ``"school_id"`` or ``["school_id", "wave"]``).
    options : int, optional
        Number of response options A (uniform null :math:`(A^2-1)/12`).
    null_variance : float, optional
        Expected null variance instead of ``options``.

    Returns
    -------
    DataFrame
        ``by`` columns, ``est`` (r_wg, NaN for groups of size 1), ``n`` (group size used).

    References
    ----------
    James, Demaree & Wolf (1984); Bliese (2000).

    Examples
    --------
    R: multilevel::rwg(x = d$item, grpid = d$school, ranvar = (A^2 - 1) / 12)
    """
    if not isinstance(item, str):
        raise ParameterError(f"'item' must be one column name; got {item!r} (use rwg_j for scales)")
    sig = _null(options, null_variance)
    frame, keys, by = _complete(data, [item], by)
    var, size = _group_var(frame, keys, by)
    v = np.minimum(var[item].to_numpy(), sig)
    out = size.rename("n").reset_index()
    out["est"] = np.where(out["n"] > 1, 1 - v / sig, np.nan)
    return tidy(out)


@public(renamed={"group": "by"})
def rwg_j(data: pd.DataFrame, items: Sequence[str], by: str | Sequence[str], *,
          options: int | None = None, null_variance: float | None = None) -> pd.DataFrame:
    """Within-group agreement r_wg(J) of a J-item scale, with Lindell's r*_wg(J).

    :math:`\\bar s^2` = mean of the J within-group item variances (n-1 denominator), truncated at
    :math:`\\sigma^2_{EU}`;
    :math:`r_{wg(J)} = J(1 - \\bar s^2/\\sigma^2_{EU}) / [J(1 - \\bar s^2/\\sigma^2_{EU}) + \\bar s^2/\\sigma^2_{EU}]`;
    :math:`r^*_{wg(J)} = 1 - \\bar s^2/\\sigma^2_{EU}` (untruncated, may be negative).

    Returns
    -------
    DataFrame
        ``by`` columns, ``mean_var`` (untruncated), ``rwg_lindell``, ``est`` (r_wg(J)), ``n``.

    References
    ----------
    James, Demaree & Wolf (1984); Lindell, Brandt & Whitney (1999); Bliese (2000).

    Examples
    --------
    R: multilevel::rwg.j(d[, items], grpid = d$school, ranvar = (A^2 - 1) / 12)
    """
    items = as_list(items)
    if len(items) < 1:
        raise ParameterError(f"'items' must name at least one column; got {items!r}")
    sig = _null(options, null_variance)
    frame, keys, by = _complete(data, items, by)
    var, size = _group_var(frame, keys, by)
    j = len(items)
    s_raw = var[items].mean(axis=1).to_numpy()
    s = np.minimum(s_raw, sig) / sig
    est = (j * (1 - s)) / (j * (1 - s) + s)
    out = size.rename("n").reset_index()
    big = out["n"].to_numpy() > 1
    out["mean_var"] = np.where(big, s_raw, np.nan)
    out["rwg_lindell"] = np.where(big, 1 - s_raw / sig, np.nan)
    out["est"] = np.where(big, est, np.nan)
    return tidy(out)


@public(renamed={"group": "by"})
def ad_index(data: pd.DataFrame, items: str | Sequence[str], by: str | Sequence[str], *,
             center: str = "mean") -> pd.DataFrame:
    """Average deviation index AD_M (or AD_Md) per group, averaged over items.

    :math:`AD_j = \\frac{1}{n}\\sum_i |x_{ij} - \\bar x_j|` (or around the median), then the mean
    over items. Practical cut-off for agreement: AD <= A/6 (A = number of options).

    Returns
    -------
    DataFrame
        ``by`` columns, ``est`` (AD; NaN for groups of size 1), ``n``.

    References
    ----------
    Burke, Finkelstein & Dusig (1999).

    Examples
    --------
    R: multilevel::ad.m(d[, items], grpid = d$school, type = "mean")   # or type = "median"
    """
    check_option(center, "center", ("mean", "median"))
    items = as_list(items)
    frame, keys, by = _complete(data, items, by)
    gb = frame.groupby([keys[c] for c in by], sort=True)
    c = gb.transform(center)
    dev = (frame - c).abs()
    ad = dev.groupby([keys[c_] for c_ in by], sort=True).mean().mean(axis=1)
    out = gb.size().rename("n").reset_index()
    out["est"] = np.where(out["n"] > 1, ad.to_numpy(), np.nan)
    return tidy(out)


@public(renamed={"group": "by"})
def icc_anova(data: pd.DataFrame, value: str, by: str | Sequence[str], *,
              group_size: str = "mean") -> pd.DataFrame:
    """ICC(1) and ICC(2) of a respondent-level variable from a one-way ANOVA on the ``by`` groups.

    :math:`ICC(1) = (MSB - MSW) / (MSB + (k - 1) MSW)`, :math:`ICC(2) = (MSB - MSW)/MSB`,
    with k = N/G, the mean group size (``multilevel::ICC1``; Bliese 2000), or with
    ``group_size="k0"`` the ANOVA coefficient for unequal sizes
    :math:`k_0 = (N - \\sum n_g^2 / N)/(G - 1)`. Rows with a missing value or ``by`` value are
    dropped.

    Returns
    -------
    DataFrame
        two rows, ``measure`` = icc1, icc2, with ``group_size`` (k used), ``n_groups``,
        ``msb``, ``msw``, and ``est``, ``df`` (between-groups df), ``n``, ``statistic`` (F),
        ``p_value`` (of the ANOVA F test, df1 = G-1, df2 = N-G).

    References
    ----------
    Bliese P.D. (2000) Within-group agreement, non-independence, and reliability.

    Examples
    --------
    R: m <- aov(y ~ as.factor(school), data = d); multilevel::ICC1(m); multilevel::ICC2(m)
    """
    check_option(group_size, "group_size", ("mean", "k0"))
    by = as_list(by)
    if not by:
        raise ParameterError(f"'by' must name at least one column (e.g. the school id); got {by!r}")
    check_columns(data, [value] + by, "data")
    y = numeric_matrix(data, [value])[:, 0]
    ok = np.isfinite(y) & data[by].notna().all(axis=1).to_numpy()
    if len(by) == 1:
        codes = pd.factorize(data.loc[ok, by[0]])[0]
    else:
        codes = pd.MultiIndex.from_frame(data.loc[ok, by]).factorize()[0]
    y = y[ok]
    n = len(y)
    g = int(codes.max()) + 1 if n else 0
    if g < 2 or n - g < 1:
        raise DataError(f"ICC needs >= 2 groups and more respondents than groups; got "
                        f"{g} group(s) and {n} respondent(s) with a valid {value!r}")
    ng = np.bincount(codes, minlength=g).astype(float)
    means = np.bincount(codes, weights=y, minlength=g) / ng
    grand = y.mean()
    ssb = float(np.sum(ng * (means - grand) ** 2))
    ssw = float(np.sum((y - means[codes]) ** 2))
    msb, msw = ssb / (g - 1), ssw / (n - g)
    k = n / g if group_size == "mean" else (n - np.sum(ng ** 2) / n) / (g - 1)
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - msw) / msb
    f = msb / msw
    p = float(stats.f.sf(f, g - 1, n - g))
    base = {"group_size": k, "n_groups": g, "msb": msb, "msw": msw, "df": g - 1, "n": n,
            "statistic": f, "p_value": p}
    return tidy(pd.DataFrame([{"measure": "icc1", "est": icc1, **base},
                              {"measure": "icc2", "est": icc2, **base}]))
