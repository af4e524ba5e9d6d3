"""Multiple-response sets (life success, ways to achieve it) and cross-tabulations with
chi-square tests and Cramér's V.

A multiple-response set is stored as dichotomy columns, one per option: ``selected`` (default 1)
= the option was chosen, any other non-missing code = not chosen, NaN = not answered.

Base of percentages (column ``base`` of the call, stated in the docstrings):
``"answered"`` (default) - respondents with at least one non-missing column of the set;
``"selected"`` - respondents who chose at least one option (SPSS MULT RESPONSE default for
dichotomy groups).
``est`` = proportion (0-1) of the base choosing the option (sums to more than 1);
``share_responses`` = the option's share (0-1) of all choices (sums to 1).

Chi-square statistics and Cramér's V come from the package's one core,
:func:`shnro_research._stats.cramers_v_table` (V always from the uncorrected chi-square).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_option, tidy
from ..errors import DataError, ParameterError
from .._stats import cramers_v_table
from ._common import group_codes, numeric_matrix, public, weight_array

__all__ = ["multiple_response", "multiple_response_test", "crosstab", "chi_square_test"]


def _mr_matrix(data, items, selected, base):
    items = as_list(items)
    if len(items) < 1:
        raise ParameterError(f"'items' must name at least one dichotomy column; got {items!r}")
    check_option(base, "base", ("answered", "selected"))
    x = numeric_matrix(data, items)
    answered = np.isfinite(x).any(axis=1)
    sel = (x == selected)
    if base == "selected":
        in_base = sel.any(axis=1)
    else:
        in_base = answered
    return items, sel.astype(float), in_base


@public
def multiple_response(data: pd.DataFrame, items: Sequence[str], *,
                      by: str | Sequence[str] | None = None, weight: str | None = None,
                      selected: float = 1, base: str = "answered") -> pd.DataFrame:
    """Frequencies of a multiple-response set: share of respondents and of responses, per group.

    Parameters
    ----------
    data : DataFrame
    items : list of str
        Dichotomy columns of the set (one per option).
    by : str or list, optional
        Group columns (group, wave, school...).
    weight : str, optional
        Weight column; counts and proportions are weighted, ``n`` stays unweighted.
    selected : number
        Code meaning "chosen".
    base : {"answered", "selected"}
        See the module docstring.

    Returns
    -------
    DataFrame
        by..., ``option``, ``count`` (weighted), ``share_responses`` (0-1), ``n_responses``,
        ``est`` (proportion 0-1 of respondents), ``se`` (binomial, unweighted n), ``n`` (base
        respondents).

    Examples
    --------
    R: colSums(d[base, items] == 1) / sum(base)                    # proportion of respondents
       colSums(d[base, items] == 1) / sum(d[base, items] == 1)      # share of responses
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
            f["share_responses"] = cnt[:, j] / resp
            f["n_responses"] = resp
            f["est"] = p
            f["se"] = np.sqrt(p * (1 - p) / base_n)
            f["n"] = base_n
            frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    if by:
        out = out.sort_values(by, kind="stable")
    return tidy(out)


def _chi2(table: np.ndarray, correct: bool):
    """chi2, df, p, Cramér's V, n, smallest expected count of a table (NaN when degenerate).

    V and the uncorrected test come from :func:`~shnro_research._stats.cramers_v_table`;
    ``correct=True`` replaces the test of a 2 x 2 table by Yates' (R ``chisq.test``).
    """
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, k = table.shape
    n = table.sum()
    if r < 2 or k < 2:
        return np.nan, np.nan, np.nan, np.nan, n, np.nan
    cv = cramers_v_table(table)
    chi2, df, p = cv["statistic"], cv["df"], cv["p_value"]
    if correct and r == 2 and k == 2:
        chi2, p, _, _ = stats.chi2_contingency(table, correction=True)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    return float(chi2), df, float(p), cv["est"], n, float(expected.min())


@public
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


@public(renamed={"percent": "share_of"})
def crosstab(data: pd.DataFrame, row: str, col: str, *, weight: str | None = None,
             share_of: str = "row") -> pd.DataFrame:
    """Long cross-table of two single-response variables with counts and proportions.

    Returns
    -------
    DataFrame
        ``<row>``, ``<col>``, ``count`` (weighted), ``share`` (0-1, of the ``share_of`` =
        ``"row"``, ``"col"`` or ``"total"`` count), ``n`` (unweighted cell count). Rows with a
        missing value in either variable are left out.

    Examples
    --------
    R: prop.table(table(d$row, d$col), 1)
    """
    check_option(share_of, "share_of", ("row", "col", "total"))
    check_columns(data, [row, col], "data")
    if row == col:
        raise ParameterError(f"'row' and 'col' must differ; both are {row!r}")
    w = weight_array(data, weight)
    d = pd.DataFrame({row: data[row].to_numpy(), col: data[col].to_numpy(),
                      "_w": np.ones(len(data)) if w is None else w}).dropna()
    t = d.groupby([row, col], sort=True)["_w"].agg(count="sum", n="size").reset_index()
    if share_of == "row":
        t["share"] = t["count"] / t.groupby(row)["count"].transform("sum")
    elif share_of == "col":
        t["share"] = t["count"] / t.groupby(col)["count"].transform("sum")
    else:
        t["share"] = t["count"] / t["count"].sum()
    return tidy(t[[row, col, "count", "share", "n"]])


@public
def chi_square_test(data: pd.DataFrame, row: str, col: str, *, weight: str | None = None,
                    correct: bool = False) -> pd.DataFrame:
    """Pearson chi-square test of independence and Cramér's V for two single-response variables.

    :math:`\\chi^2 = \\sum (O - E)^2 / E`, :math:`V = \\sqrt{\\chi^2 / (n (\\min(r, c) - 1))}`;
    empty rows/columns are dropped; ``correct=True`` applies Yates' correction to the test of a
    2 x 2 table (R's default; V stays the uncorrected one). Weighted counts give a descriptive, not design-based, test.

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
