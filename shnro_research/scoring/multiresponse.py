"""Multiple-response sets (life success, ways to achieve it) and cross-tabulations with
chi-square tests and Cramér's V.

A multiple-response set is stored as dichotomy columns, one per option: ``selected`` (default 1)
= the option was chosen, any other non-missing code = not chosen, NaN = not answered.

Base of percentages (column ``base`` of the call, stated in the docstrings):
``"answered"`` (default) - respondents with at least one non-missing column of the set;
``"selected"`` - respondents who chose at least one option (SPSS MULT RESPONSE default for
dichotomy groups).
``pct_respondents`` = % of the base choosing the option (sums to more than 100);
``pct_responses`` = the option's share of all choices (sums to 100).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import DataError, ParameterError, as_list, check_columns, check_option, tidy
from ._common import group_codes, numeric_matrix, weight_array

__all__ = ["multiple_response", "multiple_response_test", "crosstab", "chi_square_test"]


def _mr_matrix(data, items, selected, base):
    items = as_list(items)
    if len(items) < 1:
        raise ParameterError("'items' must name at least one dichotomy column")
    check_option(base, "base", ("answered", "selected"))
    x = numeric_matrix(data, items)
    answered = np.isfinite(x).any(axis=1)
    sel = (x == selected)
    if base == "selected":
        in_base = sel.any(axis=1)
    else:
        in_base = answered
    return items, sel.astype(float), in_base


def multiple_response(data: pd.DataFrame, items: Sequence[str], *,
                      by: str | Sequence[str] | None = None, weight: str | None = None,
                      selected: float = 1, base: str = "answered") -> pd.DataFrame:
    """Frequencies of a multiple-response set: % of respondents and % of responses, per group.

    Parameters
    ----------
    data : DataFrame
    items : list of str
        Dichotomy columns of the set (one per option).
    by : str or list, optional
        Group columns (group, wave, school...).
    weight : str, optional
        Weight column; counts and percentages are weighted, ``n`` stays unweighted.
    selected : number
        Code meaning "chosen".
    base : {"answered", "selected"}
        See the module docstring.

    Returns
    -------
    DataFrame
        by..., ``option``, ``count`` (weighted), ``pct_responses``, ``n_responses``,
        ``est`` (% of respondents), ``se`` (binomial, unweighted-n), ``n`` (base respondents).

    Examples
    --------
    R: colSums(d[base, items] == 1) / sum(base) * 100          # % of respondents
       colSums(d[base, items] == 1) / sum(d[base, items] == 1) * 100   # % of responses
    """
    items, sel, in_base = _mr_matrix(data, items, selected, base)
    by = as_list(by)
    codes, keys = group_codes(data, by)
    w = weight_array(data, weight)
    ok = in_base & (codes >= 0)
    if w is not None:
        ok &= np.isfinite(w)
    wv = np.ones(len(data)) if w is None else w
    g = len(keys)
    c = codes[ok]
    base_w = np.bincount(c, weights=wv[ok], minlength=g)
    base_n = np.bincount(c, minlength=g)
    cnt = np.zeros((g, len(items)))
    np.add.at(cnt, c, sel[ok] * wv[ok, None])
    resp = cnt.sum(axis=1)
    frames = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, it in enumerate(items):
            f = keys.copy() if by else pd.DataFrame(index=[0])
            p = cnt[:, j] / base_w
            f["option"] = it
            f["count"] = cnt[:, j]
            f["pct_responses"] = 100 * cnt[:, j] / resp
            f["n_responses"] = resp
            f["est"] = 100 * p
            f["se"] = 100 * np.sqrt(p * (1 - p) / base_n)
            f["n"] = base_n
            frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    if by:
        out = out.sort_values(by, kind="stable")
    return tidy(out)


def _chi2(table: np.ndarray, correct: bool):
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, k = table.shape
    n = table.sum()
    if r < 2 or k < 2:
        return np.nan, np.nan, np.nan, np.nan, n, np.nan
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    dev = np.abs(table - expected)
    if correct and r == 2 and k == 2:
        dev = np.maximum(dev - 0.5, 0)   # Yates, as R chisq.test (min(0.5, |O - E|))
    chi2 = float(np.sum(dev ** 2 / expected))
    df = (r - 1) * (k - 1)
    p = float(stats.chi2.sf(chi2, df))
    v = float(np.sqrt(chi2 / (n * (min(r, k) - 1))))
    return chi2, df, p, v, n, float(expected.min())


def multiple_response_test(data: pd.DataFrame, items: Sequence[str], group: str, *,
                           weight: str | None = None, selected: float = 1,
                           base: str = "answered", correct: bool = False) -> pd.DataFrame:
    """Chi-square tests of a multiple-response set by a group, one per option, with Cramér's V.

    For each option: the 2 x G table (chosen / not chosen among the base) x group; plus a row
    ``option = "(responses)"`` testing the options x group table of all responses, which is
    only approximate because one respondent contributes several responses (see ``note``).
    Weighted counts give a descriptive (not design-based) test; use the design stage for
    Rao-Scott corrections.

    Returns
    -------
    DataFrame
        ``option``, ``cramers_v``, ``min_expected``, ``note``, ``df``, ``n``, ``statistic``,
        ``p_value``.

    Examples
    --------
    R: chisq.test(table(d$option1 == 1, d$group), correct = FALSE)
    """
    items, sel, in_base = _mr_matrix(data, items, selected, base)
    check_columns(data, [group], "data")
    codes, keys = group_codes(data, [group])
    w = weight_array(data, weight)
    ok = in_base & (codes >= 0)
    wv = np.ones(len(data)) if w is None else w
    g = len(keys)
    c = codes[ok]
    base_w = np.bincount(c, weights=wv[ok], minlength=g)
    cnt = np.zeros((g, len(items)))
    np.add.at(cnt, c, sel[ok] * wv[ok, None])
    rows = []
    for j, it in enumerate(items):
        tab = np.vstack([cnt[:, j], base_w - cnt[:, j]])
        chi2, df, p, v, n, emin = _chi2(tab, correct)
        rows.append({"option": it, "cramers_v": v, "min_expected": emin,
                     "note": "expected count < 5" if emin < 5 else "", "df": df, "n": n,
                     "statistic": chi2, "p_value": p})
    chi2, df, p, v, n, emin = _chi2(cnt.T, False)
    rows.append({"option": "(responses)", "cramers_v": v, "min_expected": emin,
                 "note": "responses are not independent (several per respondent): approximate",
                 "df": df, "n": n, "statistic": chi2, "p_value": p})
    return tidy(pd.DataFrame(rows))


def crosstab(data: pd.DataFrame, row: str, col: str, *, weight: str | None = None,
             percent: str = "row") -> pd.DataFrame:
    """Long cross-table of two single-response variables with counts and percentages.

    Returns
    -------
    DataFrame
        ``<row>``, ``<col>``, ``count`` (weighted), ``pct`` (of the row, column or total), ``n``
        (unweighted cell count). Rows with a missing value in either variable are left out.

    Examples
    --------
    R: prop.table(table(d$row, d$col), 1) * 100
    """
    check_option(percent, "percent", ("row", "col", "total"))
    check_columns(data, [row, col], "data")
    if row == col:
        raise ParameterError(f"'row' and 'col' must differ; both are {row!r}")
    w = weight_array(data, weight)
    d = pd.DataFrame({row: data[row].to_numpy(), col: data[col].to_numpy(),
                      "_w": np.ones(len(data)) if w is None else w}).dropna()
    t = d.groupby([row, col], sort=True)["_w"].agg(count="sum", n="size").reset_index()
    if percent == "row":
        t["pct"] = 100 * t["count"] / t.groupby(row)["count"].transform("sum")
    elif percent == "col":
        t["pct"] = 100 * t["count"] / t.groupby(col)["count"].transform("sum")
    else:
        t["pct"] = 100 * t["count"] / t["count"].sum()
    return tidy(t[[row, col, "count", "pct", "n"]])


def chi_square_test(data: pd.DataFrame, row: str, col: str, *, weight: str | None = None,
                    correct: bool = False) -> pd.DataFrame:
    """Pearson chi-square test of independence and Cramér's V for two single-response variables.

    :math:`\\chi^2 = \\sum (O - E)^2 / E`, :math:`V = \\sqrt{\\chi^2 / (n (\\min(r, c) - 1))}`;
    empty rows/columns are dropped; ``correct=True`` applies Yates' correction to 2 x 2 tables
    (R's default). Weighted counts give a descriptive, not design-based, test.

    Returns
    -------
    DataFrame
        one row: ``row``, ``col``, ``cramers_v``, ``min_expected``, ``df``, ``n``,
        ``statistic``, ``p_value``.

    Examples
    --------
    R: chisq.test(table(d$row, d$col), correct = FALSE)
    """
    t = crosstab(data, row, col, weight=weight)
    if t.empty:
        raise DataError(f"no rows with both {row!r} and {col!r} present")
    tab = t.pivot(index=row, columns=col, values="count").fillna(0.0).to_numpy()
    chi2, df, p, v, n, emin = _chi2(tab, correct)
    return tidy(pd.DataFrame([{"row": row, "col": col, "cramers_v": v, "min_expected": emin,
                               "df": df, "n": n, "statistic": chi2, "p_value": p}]))
