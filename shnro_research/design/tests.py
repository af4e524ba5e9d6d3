"""Design-based tests: Rao–Scott tests of two-way tables, design-based t-tests of two domain means
and the Wald F test of equal domain means.

* :func:`svychisq` — R ``survey::svychisq`` (``statistic="F"``: the second-order Rao–Scott F,
  R's default; ``statistic="Chisq"``: the first-order corrected χ²).
* :func:`svyttest` — R ``svyttest(y ~ g, design)``: the difference of the two domain means as the
  slope of ``svyglm(y ~ g)``, t on the residual design degrees of freedom.
* :func:`svy_means_test` — R ``regTermTest(svyglm(y ~ g, design), ~g)``: Wald F of equal means of
  every level of a factor.

All agree with R survey 4.1 to ``rtol=1e-6`` on the vendored reference designs
(``tests/reference/design_tests.json``).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option, public, tidy
from ..errors import DataError, ParameterError
from .estimates import _check_design
from .regression import _svy_glm_arrays
from .spec import ReplicateDesign, SurveyDesign, _taylor_cov, _taylor_cov_columns

Design = SurveyDesign | ReplicateDesign

METHOD_F = "Pearson's X^2: Rao & Scott adjustment (second-order, F)"
METHOD_CHISQ = "Pearson's X^2: Rao & Scott first-order adjustment (X^2 / mean deff, chi-square)"
METHOD_T = "Design-based t-test"
METHOD_WALD = "Wald F test of equal domain means"


def _levels(s: pd.Series) -> list:
    """Observed levels in R ``factor()`` order (categories of a Categorical, else sorted)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique().tolist())
        return [c for c in s.cat.categories if c in present]
    vals = pd.unique(s.dropna())
    try:
        return sorted(vals.tolist())
    except TypeError:
        return sorted(vals.tolist(), key=str)


def _str(v) -> str:
    """A level as text: 2.0 -> "2" (codes read as floats), else ``str``."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _proportion_cov(design: Design, X: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted proportions of the indicator columns ``X`` among the rows ``ok`` and their design
    covariance (the rows outside ``ok`` stay in the design with zero scores: R
    ``svymean(mm, design, na.rm = TRUE)``)."""
    w = np.where(ok, design.weights, 0.0)
    W = w.sum()
    p = (w[:, None] * X).sum(axis=0) / W
    if isinstance(design, SurveyDesign):
        Z = w[:, None] * (X - p[None, :]) / W
        return p, _taylor_cov(design, Z)
    Wr = design.repweights * ok[:, None]
    thetas = (Wr.T @ X) / Wr.sum(axis=0)[:, None]
    return p, design.rep_cov(thetas, p)


def _cell_proportion_cov(design: SurveyDesign, cell: np.ndarray, ok: np.ndarray,
                         K: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_proportion_cov` of the indicator columns of ``cell`` (one 1 per row of ``ok``)
    without the n × K matrix: each column is built when its cluster totals are summed (the
    same sums in the same order, so the same numbers)."""
    w = np.where(ok, design.weights, 0.0)
    W = w.sum()
    p = np.bincount(cell, weights=w, minlength=K) / W     # = (w X).sum(axis=0): row order

    def column(j):
        return w * (((cell == j) & ok).astype(float) - p[j]) / W
    return p, _taylor_cov_columns(design, column, K)


@public
def svychisq(design: Design, row: str, col: str, *,
             statistic: str | Sequence[str] = ("F", "Chisq")) -> pd.DataFrame:
    """Rao–Scott tests of independence of two categorical variables, exactly as R ``svychisq``.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    row, col : str
        Categorical columns of the design data; rows where either is missing are left out of the
        table but stay in the design (R ``na.rm = TRUE``).
    statistic : "F", "Chisq" or a list of them
        ``"F"``: second-order Rao–Scott (Satterthwaite) correction, referred to an F
        distribution with d0 and d0·ν degrees of freedom (R's default); ``"Chisq"``: the
        first-order correction X²/δ̄ referred to χ² with (r − 1)(c − 1) df.

    Returns
    -------
    DataFrame
        One row per statistic: ``row, col, test, df_denominator, method, deff_mean, pearson,
        statistic, df, n, p_value``. ``pearson`` is the Pearson X² of the estimated table scaled
        to the sample size n (the ``statistic`` R prints for ``"Chisq"``); ``statistic`` is the
        statistic the p-value refers to: F = X²/Σδ for ``"F"``, X²/δ̄ for ``"Chisq"``;
        ``deff_mean`` δ̄ is the mean generalised design effect.

    Notes
    -----
    With p̂ the vector of the r·c estimated cell proportions, V̂ its design covariance,
    D = diag(p̂), N the number of rows of the data and C the interaction contrasts (the
    r·c × (r−1)(c−1) residuals of the interaction columns on the main effects), the generalised
    design effects are the eigenvalues δ of Δ = (Cᵀ D⁻¹ C / N)⁻¹ (Cᵀ D⁻¹ V̂ D⁻¹ C).
    X² = N Σ (p̂_ij − p̂_i· p̂_·j)² / (p̂_i· p̂_·j).  F: X²/tr Δ on d0 = (tr Δ)²/tr Δ² and d0·ν df,
    ν = #PSU − #strata of the design (R ``degf``). Chisq: X²/mean(δ) on (r−1)(c−1) df.
    Rao J.N.K., Scott A.J. (1984) *Ann. Statist.* 12, 46–60; Thomas D.R., Rao J.N.K. (1987)
    *JASA* 82, 630–636; Lumley T. (2010) *Complex Surveys*, §6.

    Examples
    --------
    R equivalent::

        svychisq(~sch.wide + stype, dclus1)                       # F
        svychisq(~sch.wide + stype, dclus1, statistic = "Chisq")
    """
    _check_design(design)
    stat_l = as_list(statistic)
    if not stat_l:
        raise ParameterError(f"'statistic' must be 'F', 'Chisq' or both; got {statistic!r}")
    for s in stat_l:
        check_option(s, "statistic", ("F", "Chisq"))
    if not isinstance(row, str) or not isinstance(col, str) or row == col:
        raise ParameterError(f"'row' and 'col' must be two different column names; got {row!r}, "
                             f"{col!r}")
    check_columns(design.data, [row, col], "design data")
    a, b = design.data[row], design.data[col]
    ra, cb = _levels(a), _levels(b)
    nr, nc = len(ra), len(cb)
    if nr < 2 or nc < 2:
        raise DataError(f"svychisq needs at least two observed categories in each variable; "
                        f"{row!r} has {nr}, {col!r} has {nc}")
    ok = (a.notna() & b.notna()).to_numpy()
    ia = pd.Categorical(a, categories=ra).codes
    ib = pd.Categorical(b, categories=cb).codes
    K = nr * nc
    cell = np.where(ok, ia + nr * ib, 0)          # R interaction(): the row factor varies fastest
    if isinstance(design, SurveyDesign):
        p, V = _cell_proportion_cov(design, cell, ok, K)
    else:
        X = np.zeros((design.n, K))
        X[np.arange(design.n), cell] = ok.astype(float)
        p, V = _proportion_cov(design, X, ok)
    N = design.n
    nu = design.degf()

    # contrasts: residuals of the interaction columns on the main effects (R qr.resid)
    ri = np.tile(np.arange(nr), nc)
    ci = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack([np.ones(K)] + [(ri == i).astype(float) for i in range(1, nr)]
                         + [(ci == j).astype(float) for j in range(1, nc)])
    X12 = np.column_stack([((ri == i) & (ci == j)).astype(float)
                           for j in range(1, nc) for i in range(1, nr)])
    Q, _ = np.linalg.qr(X1)
    C = X12 - Q @ (Q.T @ X12)
    ip = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    CD = C * ip[:, None]
    denom = C.T @ CD / N
    numr = CD.T @ V @ CD
    Delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(Delta))
    tr2 = float(np.trace(Delta @ Delta))
    d0 = tr * tr / tr2

    tab = p.reshape(nc, nr).T * N                 # the svytable scaled to N
    rs, cs = tab.sum(axis=1), tab.sum(axis=0)
    E = np.outer(rs, cs) / tab.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        x2 = float(((tab - E) ** 2 / E).sum())
    n_used = int(ok.sum())
    out = []
    for s in stat_l:
        if s == "F":
            F = x2 / tr
            out.append({"row": row, "col": col, "test": "F", "df_denominator": d0 * nu,
                        "method": METHOD_F, "deff_mean": tr / Delta.shape[0], "pearson": x2,
                        "statistic": F, "df": d0, "n": n_used,
                        "p_value": float(stats.f.sf(F, d0, d0 * nu))})
        else:
            dbar = tr / Delta.shape[0]
            out.append({"row": row, "col": col, "test": "Chisq", "df_denominator": np.nan,
                        "method": METHOD_CHISQ, "deff_mean": dbar, "pearson": x2,
                        "statistic": x2 / dbar, "df": float(Delta.shape[0]), "n": n_used,
                        "p_value": float(stats.chi2.sf(x2 / dbar, Delta.shape[0]))})
    return tidy(pd.DataFrame(out))


def _level_fit(design: Design, y: pd.Series, g: pd.Series, levels: list, variable: str,
               level: float = 0.95):
    """``svy_glm(y ~ 1[g = levels[1]] + ... )``: the gaussian design-based regression on the
    0/1 columns of ``levels[1:]`` built as arrays (rows with a missing ``y`` or ``g`` left out,
    their PSUs kept), without copying the design data."""
    miss = g.isna().to_numpy()
    dummies = [np.where(miss, np.nan, (g == lev).to_numpy(dtype=float)) for lev in levels[1:]]
    names = [f"_g{k + 1}_" for k in range(len(dummies))]
    rows = np.flatnonzero(~(y.isna().to_numpy() | miss))
    X = np.column_stack([np.ones(len(rows))] + [d[rows] for d in dummies])
    yv = y.to_numpy(float)[rows]
    return _svy_glm_arrays(design, yv, X, ["(Intercept)"] + names, rows, "gaussian",
                           f"{variable} ~ {' + '.join(names)}", level)


def _ttest_row(design: Design, variable: str, y: pd.Series, g: pd.Series, by: str,
               level: float) -> dict:
    """The numbers of :func:`svyttest` (``g`` with exactly two observed levels)."""
    levels = _levels(g)
    if len(levels) != 2:
        raise DataError(f"svyttest: 'by' column {by!r} must have exactly two observed levels; "
                        f"got {len(levels)}: {levels[:6]}")
    fit = _level_fit(design, y, g, levels, variable, level)
    t = {k: (v[1] if np.ndim(v) else v) for k, v in fit._coef_table(level).items()}
    return {"variable": variable, "by": by,
            "contrast": f"{_str(levels[1])} - {_str(levels[0])}", "method": METHOD_T,
            "est": t["est"], "se": t["se"], "ci_low": t["ci_low"], "ci_high": t["ci_high"],
            "df": t["df"], "n": int(t["n"]), "statistic": t["statistic"],
            "p_value": t["p_value"]}


def _numeric(design: Design, variable: str) -> None:
    check_columns(design.data, [variable], "design data")
    s = design.data[variable]
    if not (pd.api.types.is_numeric_dtype(s) or s.dtype == bool):
        raise DataError(f"variable {variable!r} must be numeric; got dtype {s.dtype}")


@public
def svyttest(design: Design, variable: str, by: str, *, level: float = 0.95) -> pd.DataFrame:
    """Design-based t-test of the difference of two domain means (R ``svyttest(y ~ g, design)``).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variable : str
        Numeric column.
    by : str
        The grouping column (``by`` in this package's vocabulary: ``group`` is the respondent
        group only), with exactly two observed levels; the difference is second level − first
        level (R factor order: sorted values, or the categories of a Categorical).
    level : float
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row: ``variable, by, contrast, method, est, se, ci_low, ci_high, df, n, statistic,
        p_value``; ``by`` names the grouping column, ``contrast`` the difference
        (``"b - a"``); ``df`` = design df − 1 of the rows used (R ``svyglm`` residual df).

    Notes
    -----
    ``svy_glm(y ~ 1[g = b])``: the slope is ȳ_b − ȳ_a; its design-based (sandwich) SE gives
    t = est/se on ``df`` degrees of freedom; the interval is est ± t_(df) se.

    Examples
    --------
    R equivalent::

        svyttest(api00 ~ awards, dstrat)
    """
    _check_design(design)
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    _numeric(design, variable)
    check_columns(design.data, [by], "design data")
    return tidy(pd.DataFrame([_ttest_row(design, variable, design.data[variable],
                                         design.data[by], by, level)]))


@public
def svy_means_test(design: Design, variable: str, by: str) -> pd.DataFrame:
    """Wald F test that a numeric variable has the same mean in every level of a factor
    (R ``regTermTest(svyglm(y ~ g, design), ~g)``).

    Returns
    -------
    DataFrame
        One row: ``variable, by, method, df_denominator, statistic (F), df (k − 1), n, p_value``.

    Notes
    -----
    F = β̂ᵀ V̂⁻¹ β̂ / (k − 1) for the k − 1 level contrasts β̂ of ``svy_glm(y ~ g)`` and their
    design covariance V̂, on (k − 1) and the residual design df (R ``regTermTest``, method
    ``"Wald"``). With two levels F = t² of :func:`svyttest`.

    Examples
    --------
    R equivalent::

        regTermTest(svyglm(api00 ~ stype, dstrat), ~stype)
    """
    _check_design(design)
    _numeric(design, variable)
    check_columns(design.data, [by], "design data")
    levels = _levels(design.data[by])
    if len(levels) < 2:
        raise DataError(f"svy_means_test: 'by' column {by!r} needs at least two observed "
                        f"levels; got {levels}")
    fit = _level_fit(design, design.data[variable], design.data[by], levels, variable)
    b = fit.coef[1:]
    V = fit.vcov[1:, 1:]
    k = len(b)
    F = float(b @ np.linalg.solve(V, b)) / k
    ddf = fit.df_resid
    return tidy(pd.DataFrame([{
        "variable": variable, "by": by, "method": METHOD_WALD, "df_denominator": float(ddf),
        "statistic": F, "df": float(k), "n": fit.n,
        "p_value": float(stats.f.sf(F, k, ddf)) if ddf > 0 else np.nan}]))
