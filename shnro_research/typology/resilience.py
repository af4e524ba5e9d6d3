"""Regression of results on context and resilient schools, with threshold sensitivity."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number, check_option, tidy
from ..errors import DataError, ParameterError
from ._common import _check_unique, _fmt, _group_ids, _numeric, _quantile_in_groups, _share

__all__ = ["context_regression", "resilient_schools", "threshold_sensitivity",
           "resilience_sensitivity"]


def _ols_fit(df: pd.DataFrame, y: str, x: list[str], weight: str | None, cov: str):
    """Return (tidy coefficient table, fitted, residuals, sigma, r2, n) from :func:`models.ols`."""
    from ..models import ols  # noqa: PLC0415  (models imports nothing from here; keep import light)

    fit = ols(df, y=y, x=x, cov=cov, weight=weight)
    return fit.tidy(), fit.fitted, fit.residuals, float(fit.sigma), float(fit.r2), int(fit.nobs)


def context_regression(data: pd.DataFrame, *, outcome: str, context: str | Sequence[str],
                       covariates: str | Sequence[str] | None = None,
                       by: str | Sequence[str] | None = None, weight: str | None = None,
                       cov: str = "HC1") -> tuple[pd.DataFrame, pd.DataFrame]:
    """School-level contextualisation regression ``outcome = a + b' context + e`` (per ``by``).

    Returns ``(coefficients, fit)``: the tidy coefficient table (``by``, ``term``, est, se,
    ci_low, ci_high, df, statistic, p_value, plus ``n``, ``r2``, ``sigma``) and a per-row table
    aligned with ``data`` (``fitted``, ``residual``, ``std_residual = residual / sigma``).
    Rows with a missing outcome/context are dropped listwise (their fit is NaN).

    Examples
    --------
    R equivalent::

        m <- lm(mean_ege ~ index, schools); lmtest::coeftest(m, sandwich::vcovHC(m, "HC1"))
    """
    ctx = as_list(context)
    cov_l = as_list(covariates)
    by_l = as_list(by)
    check_columns(data, [outcome, *ctx, *cov_l, *by_l, *([weight] if weight else [])], "data")
    check_option(cov, "cov", ("classical", "HC0", "HC1", "HC2", "HC3"))
    x = [*ctx, *cov_l]
    work = data.reset_index(drop=True)
    for c in [outcome, *x]:
        work[c] = _numeric(work, c, "data")
    gid = _group_ids(work, by_l)
    tabs = []
    fit = pd.DataFrame({"fitted": np.nan, "residual": np.nan, "std_residual": np.nan}, index=work.index)
    for g, idx in gid.groupby(gid).groups.items():
        sub = work.loc[idx]
        n_ok = int(sub[[outcome, *x]].notna().all(axis=1).sum())
        if n_ok < len(x) + 2:
            label = sub[by_l].iloc[0].to_dict() if by_l else "all"
            raise DataError(f"context_regression: group {label} has {n_ok} complete rows; "
                            f"at least {len(x) + 2} needed for {len(x)} predictor(s)")
        tab, fitted, resid, sigma, r2, n = _ols_fit(sub, outcome, x, weight, cov)
        for b in by_l:
            tab.insert(0, b, sub[b].iloc[0])
        tab["n"] = n
        tab = tidy(tab)
        tab["r2"], tab["sigma"] = r2, sigma
        tabs.append(tab)
        fit.loc[idx, "fitted"] = fitted.reindex(idx).to_numpy()
        fit.loc[idx, "residual"] = resid.reindex(idx).to_numpy()
        fit.loc[idx, "std_residual"] = (resid.reindex(idx) / sigma).to_numpy()
    coef = pd.concat(tabs, ignore_index=True)
    fit.index = data.index
    return coef, fit


# --------------------------------------------------------------------------------------------
# resilience
# --------------------------------------------------------------------------------------------
_RULES = ("quadrant", "residual", "benchmark")


def _benchmark_rule(low_context: pd.Series, outcome: pd.Series, benchmark: float) -> pd.Series:
    """The ``benchmark`` rule: low context and the outcome at or above the benchmark."""
    return low_context & (outcome >= benchmark) & outcome.notna()


def resilient_schools(data: pd.DataFrame, *, outcome: str, context: str, school: str = "school_id",
                      by: str | Sequence[str] | None = None, rules: str | Sequence[str] = ("quadrant", "residual"),
                      context_quantile: float = 0.25, outcome_quantile: float = 0.75,
                      residual_sd: float = 1.0, residual_quantile: float | None = None,
                      residual_low_context_only: bool = False, benchmark: float | None = None,
                      covariates: str | Sequence[str] | None = None, weight: str | None = None,
                      context_cutoff: float | None = None) -> pd.DataFrame:
    """Resilient schools: better results than their social context predicts.

    Three families of rules (``docs/METHODS.md`` §13.1), all within ``by`` groups:

    * ``"quadrant"``: ``context <= Q_{context_quantile}`` and ``outcome >= Q_{outcome_quantile}``
      (0.5 = above the median);
    * ``"residual"``: residual of ``outcome ~ context (+ covariates)`` above ``residual_sd``
      residual standard errors (``e / sigma > residual_sd``), or — if ``residual_quantile`` is
      given — in the top ``residual_quantile`` share of residuals; optionally only low-context
      schools (``residual_low_context_only``);
    * ``"benchmark"``: low context and ``outcome >= benchmark`` (a fixed level).

    Parameters
    ----------
    data : DataFrame
        One row per school (per ``by`` group, e.g. year): outcome and context index.
    outcome, context : str
        Result column (higher = better) and context index (higher = more favourable).
    rules : str or list
        Rules to apply; ``resilient`` is True if *any* of them fired.
    residual_quantile : float, optional
        If given, replaces the ``residual_sd`` rule by "residual in the top share".
    context_cutoff : float, optional
        A fixed cut-off for low context (``context <= context_cutoff`` in every ``by`` group)
        instead of the quantile ``context_quantile``: the shared "low context" of the register
        (:func:`~.register.school_register`), the same number as its ШФНСУ rule.

    Returns
    -------
    DataFrame
        One row per school: keys, outcome, context, ``low_context``, ``context_cutoff``,
        ``outcome_cutoff``, ``fitted``, ``residual``, ``std_residual``, ``resilient_<rule>`` for
        each rule, ``resilient``, ``rules_fired``.

    Examples
    --------
    >>> resilient_schools(schools, outcome="mean_ege", context="index", rules="quadrant")  # doctest: +SKIP

    R equivalent::

        low <- d$index <= quantile(d$index, .25); high <- d$ege >= quantile(d$ege, .75)
        e <- residuals(lm(ege ~ index, d)); res_rule <- e / sigma(lm(ege ~ index, d)) > 1
        low <- d$index <= -0.43                 # context_cutoff = -0.43
    """
    rules_l = as_list(rules)
    if not rules_l:
        raise ParameterError(f"'rules' must name at least one of {list(_RULES)}")
    for r in rules_l:
        check_option(r, "rules", _RULES)
    cq = _share(context_quantile, "context_quantile")
    oq = _share(outcome_quantile, "outcome_quantile")
    check_number(residual_sd, "residual_sd", low=0)
    if residual_quantile is not None:
        residual_quantile = _share(residual_quantile, "residual_quantile")
    if "benchmark" in rules_l:
        if benchmark is None:
            raise ParameterError("rule 'benchmark' needs 'benchmark' (a fixed outcome level); got None")
        check_number(benchmark, "benchmark")
    by_l = as_list(by)
    cov_l = as_list(covariates)
    keys = [*by_l, school]
    check_columns(data, [*keys, outcome, context, *cov_l, *([weight] if weight else [])], "data")
    _check_unique(data, keys, "data")
    y = _numeric(data, outcome, "data")
    c = _numeric(data, context, "data")
    gid = _group_ids(data, by_l)
    out = data[keys].copy()
    out[outcome] = y
    out[context] = c
    if context_cutoff is not None:
        check_number(context_cutoff, "context_cutoff")
        ccut = pd.Series(float(context_cutoff), index=data.index)
        ctxt = f"{context} <= {_fmt(float(context_cutoff))}"
    else:
        ccut = _quantile_in_groups(c, gid, cq)
        ctxt = f"{context} <= {_fmt(cq * 100)}th pct"
    out["low_context"] = (c <= ccut) & c.notna()
    out["context_cutoff"] = ccut
    ocut = _quantile_in_groups(y, gid, oq)
    out["outcome_cutoff"] = ocut
    fired: dict[str, str] = {}
    if "residual" in rules_l:
        _, fit = context_regression(data, outcome=outcome, context=context, covariates=cov_l, by=by_l,
                                    weight=weight, cov="HC1")
        out["fitted"] = fit["fitted"]
        out["residual"] = fit["residual"]
        out["std_residual"] = fit["std_residual"]
    if "quadrant" in rules_l:
        out["resilient_quadrant"] = out["low_context"] & (y >= ocut) & y.notna()
        fired["quadrant"] = f"quadrant: {ctxt} and {outcome} >= {_fmt(oq * 100)}th pct"
    if "residual" in rules_l:
        e = out["residual"]
        if residual_quantile is not None:
            rcut = _quantile_in_groups(e, gid, 1 - residual_quantile)
            flag = (e >= rcut) & e.notna()
            txt = f"residual: residual in top {_fmt(residual_quantile * 100)}%"
        else:
            flag = (out["std_residual"] > residual_sd) & e.notna()
            txt = f"residual: residual > {_fmt(residual_sd)} SD"
        if residual_low_context_only:
            flag &= out["low_context"]
            txt += f" and {ctxt}"
        out["resilient_residual"] = flag
        fired["residual"] = txt
    if "benchmark" in rules_l:
        out["resilient_benchmark"] = _benchmark_rule(out["low_context"], y, benchmark)
        fired["benchmark"] = f"benchmark: {ctxt} and {outcome} >= {_fmt(benchmark)}"
    flags = out[[f"resilient_{r}" for r in rules_l]].to_numpy(bool)
    out["resilient"] = flags.any(axis=1)
    out["rules_fired"] = ["; ".join(fired[r] for r, f in zip(rules_l, row) if f) for row in flags]
    return out.reset_index(drop=True)


def threshold_sensitivity(func: Callable[..., pd.DataFrame], data: pd.DataFrame,
                          grid: Mapping[str, Sequence[Any]], *, flag: str, keys: Sequence[str],
                          defaults_from: Callable | None = None, **fixed: Any) -> pd.DataFrame:
    """How many units a classification flags over a grid of thresholds, and overlap with the default.

    Runs ``func(data, **{**fixed, **combo})`` for every combination of ``grid`` values and compares
    the set ``F`` of flagged units (``flag`` column True, identified by ``keys``) with the set
    ``D`` flagged with ``**fixed`` alone (the function defaults otherwise):
    ``jaccard = |F ∩ D| / |F ∪ D|`` (NaN if both are empty). ``is_default`` marks the
    combination equal to the defaults (``**fixed``, else the signature defaults of
    ``defaults_from`` or ``func``).

    Returns
    -------
    DataFrame
        One row per combination: grid parameters, ``n``, ``n_flagged``, ``share_flagged``,
        ``n_overlap_default``, ``jaccard_default``, ``is_default``.

    Examples
    --------
    >>> threshold_sensitivity(low_results_rank, vpr, {"bottom": [.05, .1, .2], "k_years": [1, 2, 3]},
    ...                       flag="flagged", keys=["school_id"], value="mean_mark")  # doctest: +SKIP
    """
    if not isinstance(grid, Mapping) or not grid:
        raise ParameterError(f"'grid' must be a non-empty dict {{parameter: [values]}}; got {grid!r}")
    for k, v in grid.items():
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) or len(v) == 0:
            raise ParameterError(f"'grid'[{k!r}] must be a non-empty list of values; got {v!r}")
    keys = list(keys)

    def flagged(res: pd.DataFrame) -> set:
        check_columns(res, [*keys, flag], "classification result")
        sel = res.loc[res[flag].astype(bool), keys]
        return set(map(tuple, sel.to_numpy().tolist()))

    base = func(data, **fixed)
    d = flagged(base)
    n = len(base)
    names = list(grid)
    rows = []
    for combo in itertools.product(*(grid[k] for k in names)):
        params = dict(zip(names, combo))
        f = flagged(func(data, **{**fixed, **params}))
        union = f | d
        rows.append({**params, "n": n, "n_flagged": len(f), "share_flagged": len(f) / n if n else np.nan,
                     "n_overlap_default": len(f & d),
                     "jaccard_default": len(f & d) / len(union) if union else np.nan,
                     "is_default": all(_same(fixed.get(k, _default_of(defaults_from or func, k)), v)
                                       for k, v in params.items())})
    return pd.DataFrame(rows)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(np.isclose(float(a), float(b), rtol=0, atol=1e-9))
    except (TypeError, ValueError):
        return a == b


def _default_of(func: Callable, name: str) -> Any:
    import inspect  # noqa: PLC0415
    p = inspect.signature(func).parameters.get(name)
    return None if p is None else p.default


def resilience_sensitivity(data: pd.DataFrame, *, outcome: str, context: str, school: str = "school_id",
                           by: str | Sequence[str] | None = None, rule: str = "quadrant",
                           grid: Mapping[str, Sequence[Any]] | None = None, **fixed: Any) -> pd.DataFrame:
    """Sensitivity of a resilience rule to its thresholds (:func:`threshold_sensitivity`).

    Default grids: quadrant — ``context_quantile`` in (0.2, 0.25, 0.33) × ``outcome_quantile`` in
    (0.5, 0.67, 0.75, 0.8); residual — ``residual_sd`` in (0.5, 1, 1.5, 2); benchmark — the
    ``context_quantile`` grid. The output has a ``rule`` column first.

    Examples
    --------
    >>> resilience_sensitivity(schools, outcome="math", context="escs", rule="quadrant")  # doctest: +SKIP
    """
    check_option(rule, "rule", _RULES)
    if grid is None:
        grid = {"quadrant": {"context_quantile": [0.2, 0.25, 1 / 3],
                             "outcome_quantile": [0.5, 2 / 3, 0.75, 0.8]},
                "residual": {"residual_sd": [0.5, 1.0, 1.5, 2.0]},
                "benchmark": {"context_quantile": [0.2, 0.25, 1 / 3]}}[rule]
    keys = [*as_list(by), school]

    def run(d, **kw):
        return resilient_schools(d, outcome=outcome, context=context, school=school, by=by, rules=rule, **kw)

    tab = threshold_sensitivity(run, data, grid, flag="resilient", keys=keys,
                                defaults_from=resilient_schools, **fixed)
    tab.insert(0, "rule", rule)
    return tab
