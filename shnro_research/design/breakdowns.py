"""Breakdowns: design-based group means and cross-tables of a survey by its factors (sex, grade,
plans, SES group, ...), with design-based tests.

* :func:`breakdown_means` — the mean of each measure in each level of each factor (R ``svyby``),
  with the test of equal means: the design-based t-test for two levels (R ``svyttest``), the
  Wald F test for more (R ``regTermTest(svyglm(y ~ g), ~g)``), p adjusted over the table.
* :func:`breakdown_contrasts` — every pairwise difference of levels (``svyttest`` on the two
  levels' domain), p adjusted over the table.
* :func:`breakdown_crosstabs` — row proportions (0–1, summing to 1 in each level of the factor)
  of each categorical answer, with the Rao–Scott tests of independence (R ``svychisq``: the
  second-order F and the first-order χ²), p adjusted over the table.

Every table has a ``method`` column saying the design, the test and the adjustment.  Levels are
strings in ``by_category`` / ``category`` (so one column can hold the levels of every factor).
"""
from __future__ import annotations

import functools
from itertools import combinations
from typing import Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number, check_option, public, tidy
from .._stats import one_blas_thread as _one_blas_thread, p_adjust
from ..errors import DataError, ParameterError
from .estimates import _check_design, svy_mean, svy_proportion
from .spec import ReplicateDesign, SurveyDesign
from .regression import _svy_glm_arrays
from .tests import METHOD_T, _levels, _str, svy_means_test, svychisq, svyttest

Design = SurveyDesign | ReplicateDesign
ADJUST = ("holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "fdr", "none")


def _single_blas_thread(func):
    """Run ``func`` with one BLAS thread: its many small regressions and covariances cost more
    in thread start-up than in arithmetic (the same numbers)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _one_blas_thread():
            return func(*args, **kwargs)
    return wrapper


def _describe(design: Design) -> str:
    if isinstance(design, SurveyDesign):
        ids = " + ".join(design.ids) or "respondents"
        strata = (", strata " + " + ".join(design.strata)) if design.strata else ""
        return f"design-based (clusters {ids}{strata}; Taylor linearisation, df {design.degf()})"
    return f"design-based (replicate weights {design.type}, df {design.degf()})"


def _check(design, factors, adjust, what):
    _check_design(design)
    check_option(adjust, "adjust", ADJUST)
    by = as_list(factors)
    if not by:
        raise ParameterError(f"'by' must name at least one factor column; got {factors!r}")
    check_columns(design.data, by, "design data (by=)")
    return by


@public
@_single_blas_thread
def breakdown_means(design: Design, measures: str | Sequence[str], by: str | Sequence[str], *,
                    adjust: str = "holm", level: float = 0.95) -> pd.DataFrame:
    """Design-based means of each measure in each level of each factor, with the test of equal
    means.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    measures : str or list of str
        Numeric columns (scale scores).
    by : str or list of str
        Factor columns; rows with a missing factor are outside every level of it.
    adjust : str
        Multiple-comparison adjustment of the tests over the whole table (R ``p.adjust``).
    level : float
        Confidence level of the means' intervals.

    Returns
    -------
    DataFrame
        ``variable, by, by_category, test, df_denominator, method, est, se, ci_low, ci_high, df,
        n, n_eff, deff, statistic, p_value, p_adjusted, adjust_method``: one row per measure ×
        factor × level; ``statistic``/``p_value`` are those of the factor's test (repeated on
        the rows of its levels; t for two levels, F for more) and ``df_denominator`` its
        denominator df (F tests).  A factor with one observed level gets no test (NaN).

    Examples
    --------
    R equivalent::

        svyby(~tension, ~sex, des, svymean); svyttest(tension ~ sex, des)
        regTermTest(svyglm(tension ~ factor(grade), des), ~factor(grade))
    """
    factors = _check(design, by, adjust, "breakdown_means")
    measures = as_list(measures)
    check_columns(design.data, measures, "design data (measures)")
    rows, tests = [], []
    for f in factors:
        levels = _levels(design.data[f])
        # the means of every measure in one call; the tests on the design with only the
        # columns they read (each test copies its data: never the whole survey)
        est_f = svy_mean(design, list(dict.fromkeys(measures)), by=f, level=level)
        for m in measures:
            est = est_f[est_f["variable"] == m].reset_index(drop=True)
            est = est.rename(columns={f: "by_category"}).assign(by=f)
            est["by_category"] = est["by_category"].map(_str)
            n_ok = (design.data[m].notna() & design.data[f].notna()).sum()
            if len(levels) == 2 and n_ok > 2:
                t = svyttest(design, m, f)
                rec = {"test": f"svyttest (t), {t.loc[0, 'contrast']}",
                       "statistic": t.loc[0, "statistic"], "df_denominator": t.loc[0, "df"],
                       "p_value": t.loc[0, "p_value"]}
            elif len(levels) > 2 and n_ok > len(levels):
                t = svy_means_test(design, m, f)
                rec = {"test": f"Wald F ({len(levels) - 1}, {t.loc[0, 'df_denominator']:g} df)",
                       "statistic": t.loc[0, "statistic"],
                       "df_denominator": t.loc[0, "df_denominator"],
                       "p_value": t.loc[0, "p_value"]}
            else:
                rec = {"test": "none (fewer than two levels)", "statistic": np.nan,
                       "df_denominator": np.nan, "p_value": np.nan}
            tests.append(rec["p_value"])
            rows.append(est.assign(**rec, _k=len(tests) - 1))
    out = pd.concat(rows, ignore_index=True)
    p = np.asarray(tests, float)
    padj = np.full(len(p), np.nan)
    okp = np.isfinite(p)
    if okp.any():
        padj[okp] = p_adjust(p[okp], adjust)
    out["p_adjusted"] = padj[out.pop("_k").to_numpy()]
    out["adjust_method"] = adjust
    out["method"] = (f"{_describe(design)}; means as svyby(svymean); test of equal means: "
                     f"svyttest for two levels, Wald F (regTermTest) for more; p adjusted "
                     f"({adjust}) over the {int(okp.sum())} tests of the table")
    keys = ["variable", "by", "by_category", "test", "df_denominator", "method"]
    return tidy(out[keys + [c for c in out.columns if c not in keys]])


@public
@_single_blas_thread
def breakdown_contrasts(design: Design, measures: str | Sequence[str],
                        by: str | Sequence[str], *, adjust: str = "holm",
                        level: float = 0.95) -> pd.DataFrame:
    """Every pairwise difference of the levels of each factor, by design-based t-tests.

    For levels a < b the difference b − a is the ``svyttest`` of the measure on the factor
    restricted to the two levels (the other rows stay in the design with zero scores, R
    ``svyttest(y ~ g, subset(des, g %in% c(a, b)))``).

    Returns
    -------
    DataFrame
        ``variable, by, contrast, method, est, se, ci_low, ci_high, df, n, statistic, p_value,
        p_adjusted, adjust_method``; p adjusted over the table.

    Examples
    --------
    R equivalent::

        svyttest(anxiety ~ grade, subset(des, grade %in% c(8, 9)))
    """
    factors = _check(design, by, adjust, "breakdown_contrasts")
    measures = as_list(measures)
    check_columns(design.data, measures, "design data (measures)")
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    rows = []
    for f in factors:
        g = design.data[f]
        levels = _levels(g)
        # the factor's levels as integer codes, once: each pair's rows and 0/1 column are then
        # array comparisons (the numbers of svyttest on the pair's column; never a data copy)
        codes = np.asarray(pd.Categorical(g, categories=levels).codes, np.int64)
        for m in measures:
            y = design.data[m]
            if not (pd.api.types.is_numeric_dtype(y) or y.dtype == bool):
                continue            # svyttest refuses it (a DataError): no contrast, as before
            has_y = y.notna().to_numpy()
            yv = None
            seen = set(np.unique(codes[has_y]).tolist())
            for (ia, a), (ib, b) in combinations(enumerate(levels), 2):
                if ia not in seen or ib not in seen:
                    continue        # the pair has one level among the answers: no test
                if yv is None:
                    yv = y.to_numpy(float)
                # svyttest orders the pair's two levels as R factor() does: sorted values
                i_hi = ib if _sorted_pair(a, b)[1] is b else ia
                sub = np.flatnonzero(((codes == ia) | (codes == ib)) & has_y)
                X = np.column_stack([np.ones(len(sub)), (codes[sub] == i_hi).astype(float)])
                try:
                    # both levels answered: [1, 0/1] has full rank (no SVD to check it)
                    fit = _svy_glm_arrays(design, yv[sub], X, ["(Intercept)", "_g1_"], sub,
                                          "gaussian", f"{m} ~ _g1_", level, full_rank=True)
                except DataError:
                    continue
                t = {k: (v[1] if np.ndim(v) else v) for k, v in fit._coef_table(level).items()}
                rows.append({"variable": m, "by": f, "contrast": f"{_str(b)} - {_str(a)}",
                             "method": METHOD_T, "est": t["est"], "se": t["se"],
                             "ci_low": t["ci_low"], "ci_high": t["ci_high"], "df": t["df"],
                             "n": int(t["n"]), "statistic": t["statistic"],
                             "p_value": t["p_value"]})
    if not rows:
        return pd.DataFrame(columns=["variable", "by", "contrast", "method", "est", "se",
                                     "ci_low", "ci_high", "df", "n", "statistic", "p_value",
                                     "p_adjusted", "adjust_method"])
    out = tidy(pd.DataFrame(rows))
    out["p_adjusted"] = p_adjust(out["p_value"].to_numpy(float), adjust)
    out["adjust_method"] = adjust
    out["method"] = (f"{_describe(design)}; svyttest of each pair of levels (difference of "
                     f"domain means, t on the design df); p adjusted ({adjust}) over the "
                     f"{len(out)} contrasts of the table")
    keys = ["variable", "by", "contrast", "method"]
    return tidy(out[keys + [c for c in out.columns if c not in keys]])


def _sorted_pair(a, b) -> list:
    """Two levels in R ``factor()`` order of their values (as :func:`.tests._levels`)."""
    try:
        return sorted([a, b])
    except TypeError:
        return sorted([a, b], key=str)


@public
@_single_blas_thread
def breakdown_crosstabs(design: Design, variables: str | Sequence[str],
                        by: str | Sequence[str], *, adjust: str = "holm",
                        level: float = 0.95) -> pd.DataFrame:
    """Design-based cross-tables: the distribution (proportions 0–1) of each categorical answer in
    each level of each factor, with the Rao–Scott tests of independence.

    Returns
    -------
    DataFrame
        ``variable, category, by, by_category, method, f_df, df_denominator, chisq_statistic,
        chisq_df, chisq_p_value, chisq_p_adjusted, est, se, ci_low, ci_high, df, n, n_eff, deff,
        statistic, p_value, p_adjusted, adjust_method``.  ``est`` is the share of ``category``
        among the respondents of ``by_category`` who answered (it sums to 1 over the categories
        of a level), with its design-based ``se``, interval and ``df`` (design df).
        ``statistic, p_value, p_adjusted`` are the second-order Rao–Scott F (R ``svychisq``
        default) on ``f_df`` and ``df_denominator`` degrees of freedom; ``chisq_*`` the
        first-order corrected χ² (R ``svychisq(statistic = "Chisq")``); both are repeated on
        the rows of their table and adjusted over the tables (variable × factor).  A variable is
        not cross-tabulated with itself.

    Examples
    --------
    R equivalent::

        svyby(~factor(plans), ~sex, des, svymean); svychisq(~plans + sex, des)
        svychisq(~plans + sex, des, statistic = "Chisq")
    """
    factors = _check(design, by, adjust, "breakdown_crosstabs")
    variables = as_list(variables)
    check_columns(design.data, variables, "design data (variables)")
    parts, tests = [], []
    for v in variables:
        for f in factors:
            if f == v:
                continue
            prop = svy_proportion(design, v, by=f, level=level)
            prop = prop.rename(columns={f: "by_category"}).assign(by=f)
            prop["by_category"] = prop["by_category"].map(_str)
            prop["category"] = prop["category"].map(_str)
            ok = design.data[v].notna() & design.data[f].notna()
            a, b = design.data.loc[ok, v], design.data.loc[ok, f]
            if a.nunique() >= 2 and b.nunique() >= 2:
                rs = svychisq(design, v, f).set_index("test")
                rec = {"statistic": rs.loc["F", "statistic"], "f_df": rs.loc["F", "df"],
                       "df_denominator": rs.loc["F", "df_denominator"],
                       "p_value": rs.loc["F", "p_value"],
                       "chisq_statistic": rs.loc["Chisq", "statistic"],
                       "chisq_df": rs.loc["Chisq", "df"],
                       "chisq_p_value": rs.loc["Chisq", "p_value"]}
            else:
                rec = dict.fromkeys(["statistic", "f_df", "df_denominator", "p_value",
                                     "chisq_statistic", "chisq_df", "chisq_p_value"], np.nan)
            tests.append((rec["p_value"], rec["chisq_p_value"]))
            parts.append(prop.assign(**rec, _k=len(tests) - 1))
    if not parts:
        raise DataError("breakdown_crosstabs: no variable–factor pair to cross-tabulate")
    out = pd.concat(parts, ignore_index=True)
    k = out.pop("_k").to_numpy()
    for j, col in enumerate(("p_adjusted", "chisq_p_adjusted")):
        p = np.asarray([t[j] for t in tests], float)
        padj = np.full(len(p), np.nan)
        okp = np.isfinite(p)
        if okp.any():
            padj[okp] = p_adjust(p[okp], adjust)
        out[col] = padj[k]
    out["adjust_method"] = adjust
    out["method"] = (f"{_describe(design)}; row proportions as svyby(svymean); Rao-Scott tests "
                     f"of independence as svychisq: second-order F (statistic, p_value) and "
                     f"first-order chi-square (chisq_*); p adjusted ({adjust}) over the "
                     f"{len(tests)} tables")
    keys = ["variable", "category", "by", "by_category", "method", "f_df", "df_denominator",
            "chisq_statistic", "chisq_df", "chisq_p_value", "chisq_p_adjusted"]
    return tidy(out[keys + [c for c in out.columns if c not in keys]])
