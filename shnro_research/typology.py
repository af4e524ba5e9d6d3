"""Identification and typology of schools: low results, unfavourable context, resilience,
stability over years and clusters.

Every threshold is a parameter and every function returns a tidy table with the rule that
fired (``rule`` / ``rules_fired``). Quantile cut-offs are empirical quantiles with linear
interpolation (R ``quantile(type = 7)``, numpy's default) computed over the schools with a
valid value in the comparison group (``by``: e.g. year or region); a value *equal* to the
cut-off is counted as beyond it ("at or below the 25th percentile").

Consecutive years are consecutive *positions* in the sorted list of years present in the
data (so 2019, 2021 are consecutive if 2020 is absent from the whole data set); a school
missing a year breaks its run.

Sources: ``research/methods.md`` §1.3 (quadrant / residual / absolute resilience rules),
§2 (ФИОКО-style "≥30 % below the minimum threshold on ≥2 procedures in a year, or on the same
procedure two years running"; "bottom x % for k consecutive years"); Ye, Strietholt &
Blömeke (2021) on threshold sensitivity; Tibshirani, Walther & Hastie (2001) gap statistic.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._checks import (
    DataError,
    ParameterError,
    as_list,
    check_columns,
    check_number,
    check_option,
    tidy,
)

__all__ = [
    "low_results_rank",
    "low_results_threshold",
    "unfavourable_context",
    "context_regression",
    "resilient_schools",
    "threshold_sensitivity",
    "resilience_sensitivity",
    "result_states",
    "stability_typology",
    "transition_matrix",
    "cluster_schools",
    "ClusterResult",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _share(value: Any, name: str, *, open_low: bool = True, open_high: bool = True) -> float:
    check_number(value, name, low=0, high=1, low_inclusive=not open_low, high_inclusive=not open_high)
    return float(value)


def _numeric(df: pd.DataFrame, col: str, where: str) -> pd.Series:
    x = df[col]
    if pd.api.types.is_bool_dtype(x):
        return x.astype(float)
    if not pd.api.types.is_numeric_dtype(x):
        conv = pd.to_numeric(x, errors="coerce")
        bad = x[conv.isna() & x.notna()]
        if len(bad):
            raise DataError(f"{where}: column {col!r} must be numeric; got {bad.iloc[0]!r} in row {bad.index[0]!r}")
        x = conv
    return x.astype(float)


def _group_ids(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    if not by:
        return pd.Series(0, index=df.index)
    return df.groupby(list(by), dropna=False, sort=True).ngroup()


def _quantile_in_groups(x: pd.Series, gid: pd.Series, q: float) -> pd.Series:
    """Per-row cut-off: the q-quantile (type 7) of x within the row's group."""
    return x.groupby(gid).transform(lambda v: v.quantile(q) if v.notna().any() else np.nan)


def _check_unique(df: pd.DataFrame, keys: Sequence[str], where: str) -> None:
    dup = df.duplicated(subset=list(keys), keep=False)
    if dup.any():
        first = df.loc[dup, list(keys)].iloc[0].to_dict()
        raise DataError(f"{where}: duplicated key {first} ({int(dup.sum())} rows); one row per {list(keys)} expected")


def _worst_share(x: pd.Series, gid: pd.Series, share: float, higher_is_better: bool):
    """Flag the worst ``share`` of values within groups: (flags, cut-offs, rule text)."""
    if higher_is_better:
        cut = _quantile_in_groups(x, gid, share)
        return x <= cut, cut, f"<= {_fmt(share * 100)}th percentile"
    cut = _quantile_in_groups(x, gid, 1 - share)
    return x >= cut, cut, f">= {_fmt((1 - share) * 100)}th percentile"


def _year_positions(years: pd.Series) -> pd.Series:
    order = sorted(years.dropna().unique())
    pos = {y: i for i, y in enumerate(order)}
    return years.map(pos)


def _fmt(v: float) -> str:
    return f"{v:g}"


# --------------------------------------------------------------------------------------------
# low results
# --------------------------------------------------------------------------------------------
def low_results_rank(results: pd.DataFrame, *, value: str, school: str = "school_id",
                     year: str = "year", bottom: float = 0.10, k_years: int = 2,
                     by: str | Sequence[str] | None = None,
                     higher_is_better: bool = True) -> pd.DataFrame:
    """Schools in the bottom share of schools for ``k_years`` consecutive years.

    A school-year is *low* if its ``value`` is at or below the ``bottom`` quantile of the schools
    of the same year (and ``by`` group), or at or above the ``1 - bottom`` quantile when
    ``higher_is_better=False`` (e.g. the share of «2»). A school is flagged if it has a run of at
    least ``k_years`` consecutive low years.

    Parameters
    ----------
    results : DataFrame
        One row per school and year (e.g. mean ВПР mark, share of tasks solved, share of «2»).
    value : str
        Result column.
    bottom : float in (0, 1)
        Share of schools called low each year (not fixed at 10 %: the ФИОКО cut-off is unverified).
    k_years : int >= 1
        Required number of consecutive low years.
    by : str or list, optional
        Comparison groups within a year (e.g. region, school type).

    Returns
    -------
    DataFrame
        One row per school: ``by``, school, ``n_years``, ``n_low_years``, ``longest_run``,
        ``years_low``, ``flagged``, ``rule``.

    Examples
    --------
    >>> low_results_rank(vpr, value="mean_mark", bottom=0.1, k_years=2)   # doctest: +SKIP

    R equivalent::

        d |> group_by(year) |> mutate(low = mark <= quantile(mark, .1)) |>
          group_by(school) |> summarise(run = max(with(rle(low), lengths[values])))
    """
    bottom = _share(bottom, "bottom")
    check_number(k_years, "k_years", low=1, integer=True)
    by_l = as_list(by)
    check_columns(results, [school, year, value, *by_l], "results")
    _check_unique(results, [*by_l, school, year], "results")
    df = results[[*by_l, school, year]].copy()
    x = _numeric(results, value, "results")
    gid = _group_ids(results, [year, *by_l])
    low, cut, cmp = _worst_share(x, gid, bottom, higher_is_better)
    df["_low"] = low & x.notna()
    df["_valid"] = x.notna()
    df["_pos"] = _year_positions(results[year])
    df = df[df["_valid"]].sort_values([*by_l, school, "_pos"]).reset_index(drop=True)
    keys = [*by_l, school]
    unit = df.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    pos = df["_pos"].to_numpy()
    lowv = df["_low"].to_numpy(bool)
    same = np.r_[False, (unit[1:] == unit[:-1]) & (pos[1:] == pos[:-1] + 1)]
    cont = lowv & np.r_[False, lowv[:-1]] & same
    run_id = np.cumsum(lowv & ~cont)
    run_len = pd.Series(np.where(lowv, 1, 0)).groupby(np.where(lowv, run_id, -1)).transform("sum")
    run_len = np.where(lowv, run_len.to_numpy(), 0)
    df["_run"] = run_len
    g = df.groupby(keys, sort=True, dropna=False)
    lows = df.loc[df["_low"], [*keys, year]]
    years_low = lows.assign(_y=lows[year].astype(str)).groupby(keys, sort=True, dropna=False)["_y"].agg(",".join)
    out = pd.DataFrame({
        "n_years": g.size(),
        "n_low_years": g["_low"].sum().astype(int),
        "longest_run": g["_run"].max().astype(int),
    })
    out["years_low"] = years_low.reindex(out.index).fillna("")
    out = out.reset_index()
    out["flagged"] = out["longest_run"] >= k_years
    out["rule"] = np.where(out["flagged"],
                           f"{value} {cmp} of schools in {k_years}+ consecutive years", "")
    return out


def low_results_threshold(results: pd.DataFrame, *, share_below: str, school: str = "school_id",
                          year: str = "year", procedure: str = "procedure",
                          threshold: float = 0.30, min_procedures: int = 2,
                          same_procedure_years: int = 2, n_participants: str | None = None,
                          min_participants: int = 1) -> pd.DataFrame:
    """ФИОКО-style rule: many participants below the minimum threshold.

    A procedure is *failed* by a school in a year if ``share_below >= threshold`` (default 30 %
    of participants not passing the minimum threshold, i.e. the upper bound of mark «2»). A
    school-year is flagged if it failed (a) at least ``min_procedures`` procedures that year, or
    (b) the same procedure in ``same_procedure_years`` consecutive years ending that year.

    Parameters
    ----------
    results : DataFrame
        One row per school, year and procedure (e.g. "ВПР-5 математика", "ОГЭ русский").
    share_below : str
        Column with the share (0–1) of participants below the minimum threshold.
    threshold : float in (0, 1]
    min_procedures : int >= 1
    same_procedure_years : int >= 2
    n_participants : str, optional
        Number of participants; rows with fewer than ``min_participants`` are not judged
        (``share`` of 1 of 2 pupils is not evidence) and are counted in ``n_not_judged``.

    Returns
    -------
    DataFrame
        One row per school and year: ``n_procedures``, ``n_not_judged``, ``procedures_failed``,
        ``rule_multi``, ``rule_repeat`` (procedures failed in consecutive years), ``flagged``,
        ``rule``.

    Examples
    --------
    >>> low_results_threshold(gia, share_below="share_2", procedure="exam")   # doctest: +SKIP

    R equivalent::

        d |> mutate(fail = share_2 >= .3) |> group_by(school, year) |>
          summarise(flag = sum(fail) >= 2)     # plus the same-procedure lag rule
    """
    threshold = _share(threshold, "threshold", open_high=False)
    check_number(min_procedures, "min_procedures", low=1, integer=True)
    check_number(same_procedure_years, "same_procedure_years", low=2, integer=True)
    check_number(min_participants, "min_participants", low=1, integer=True)
    cols = [school, year, procedure, share_below, *([n_participants] if n_participants else [])]
    check_columns(results, cols, "results")
    _check_unique(results, [school, year, procedure], "results")
    s = _numeric(results, share_below, "results")
    if ((s < 0) | (s > 1)).any():
        bad = s[(s < 0) | (s > 1)]
        raise DataError(f"results: column {share_below!r} must hold shares in [0, 1]; got {bad.iloc[0]!r} "
                        f"in row {bad.index[0]!r} (percentages? divide by 100)")
    df = results[[school, year, procedure]].copy()
    judged = s.notna()
    if n_participants:
        n = _numeric(results, n_participants, "results")
        judged &= n >= min_participants
    df["_judged"] = judged
    df["_fail"] = (s >= threshold) & judged
    df["_pos"] = _year_positions(results[year])
    # repeat rule: same procedure failed in the previous (same_procedure_years - 1) positions
    df = df.sort_values([school, procedure, "_pos"])
    g = df.groupby([school, procedure], sort=False)
    rep = df["_fail"].copy()
    for lag in range(1, same_procedure_years):
        prev_fail = g["_fail"].shift(lag).fillna(False).astype(bool)
        prev_pos = g["_pos"].shift(lag)
        rep &= prev_fail & (df["_pos"] - prev_pos == lag)
    df["_repeat"] = rep
    agg = df.groupby([school, year], sort=True).agg(
        n_procedures=("_judged", "sum"), n_rows=("_judged", "size"), n_failed=("_fail", "sum"))
    failed = df[df["_fail"]].groupby([school, year])[procedure].agg(lambda v: ",".join(map(str, sorted(v))))
    repeated = df[df["_repeat"]].groupby([school, year])[procedure].agg(lambda v: ",".join(map(str, sorted(v))))
    out = agg.join(failed.rename("procedures_failed")).join(repeated.rename("procedures_repeat")).reset_index()
    out["n_not_judged"] = (out["n_rows"] - out["n_procedures"]).astype(int)
    out["procedures_failed"] = out["procedures_failed"].fillna("")
    out["procedures_repeat"] = out["procedures_repeat"].fillna("")
    out["rule_multi"] = out["n_failed"] >= min_procedures
    out["rule_repeat"] = out["procedures_repeat"] != ""
    out["flagged"] = out["rule_multi"] | out["rule_repeat"]
    t = _fmt(threshold * 100)
    r_multi = f">= {t}% below minimum on >= {min_procedures} procedures in the year"
    r_rep = f">= {t}% below minimum on the same procedure in {same_procedure_years} consecutive years"
    out["rule"] = [
        "; ".join([r for r, f in ((r_multi, m), (r_rep, p)) if f]) for m, p in zip(out["rule_multi"], out["rule_repeat"])
    ]
    out = out[[school, year, "n_procedures", "n_not_judged", "n_failed", "procedures_failed",
               "procedures_repeat", "rule_multi", "rule_repeat", "flagged", "rule"]]
    out["n_procedures"] = out["n_procedures"].astype(int)
    out["n_failed"] = out["n_failed"].astype(int)
    return out


# --------------------------------------------------------------------------------------------
# context
# --------------------------------------------------------------------------------------------
def unfavourable_context(data: pd.DataFrame, *, value: str = "index", school: str = "school_id",
                         year: str | None = None, by: str | Sequence[str] | None = None,
                         quantile: float = 0.25, higher_is_favourable: bool = True) -> pd.DataFrame:
    """Schools in unfavourable social conditions: context index at or below a quantile.

    ``unfavourable = index <= Q_q(index)`` within ``year`` and ``by`` groups (or ``>= Q_{1-q}``
    when a higher value is *less* favourable, e.g. a deprivation share).

    Returns
    -------
    DataFrame
        Keys, ``value``, ``cutoff``, ``unfavourable``, ``rule``.

    Examples
    --------
    R equivalent::

        d$unfav <- with(d, ave(index, year, FUN = function(v) v <= quantile(v, .25, na.rm = TRUE)))
    """
    q = _share(quantile, "quantile")
    keys = [*as_list(by), school, *([year] if year else [])]
    check_columns(data, [*keys, value], "data")
    _check_unique(data, keys, "data")
    x = _numeric(data, value, "data")
    gid = _group_ids(data, [*([year] if year else []), *as_list(by)])
    flag, cut, cmp = _worst_share(x, gid, q, higher_is_favourable)
    rule = f"{value} {cmp}"
    out = data[keys].copy()
    out[value] = x
    out["cutoff"] = cut
    out["unfavourable"] = flag & x.notna()
    out["rule"] = np.where(out["unfavourable"], rule, "")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# regression on context (shnro_research.models.ols)
# --------------------------------------------------------------------------------------------
def _ols_fit(df: pd.DataFrame, y: str, x: list[str], weight: str | None, cov: str):
    """Return (tidy coefficient table, fitted, residuals, sigma, r2, n) from :func:`models.ols`."""
    from .models import ols  # noqa: PLC0415  (models imports nothing from here; keep import light)

    fit = ols(df, y=y, x=x, cov=cov, weights=weight)
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


def resilient_schools(data: pd.DataFrame, *, outcome: str, context: str, school: str = "school_id",
                      by: str | Sequence[str] | None = None, rules: str | Sequence[str] = ("quadrant", "residual"),
                      context_quantile: float = 0.25, outcome_quantile: float = 0.75,
                      residual_sd: float = 1.0, residual_quantile: float | None = None,
                      residual_low_context_only: bool = False, benchmark: float | None = None,
                      covariates: str | Sequence[str] | None = None, weight: str | None = None) -> pd.DataFrame:
    """Resilient schools: better results than their social context predicts.

    Three families of rules (``research/methods.md`` §1.3), all within ``by`` groups:

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
    ccut = _quantile_in_groups(c, gid, cq)
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
        fired["quadrant"] = (f"quadrant: {context} <= {_fmt(cq * 100)}th pct and "
                             f"{outcome} >= {_fmt(oq * 100)}th pct")
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
            txt += f" and {context} <= {_fmt(cq * 100)}th pct"
        out["resilient_residual"] = flag
        fired["residual"] = txt
    if "benchmark" in rules_l:
        out["resilient_benchmark"] = out["low_context"] & (y >= benchmark) & y.notna()
        fired["benchmark"] = f"benchmark: {context} <= {_fmt(cq * 100)}th pct and {outcome} >= {_fmt(benchmark)}"
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


# --------------------------------------------------------------------------------------------
# stability over years
# --------------------------------------------------------------------------------------------
def result_states(results: pd.DataFrame, *, value: str, school: str = "school_id", year: str = "year",
                  by: str | Sequence[str] | None = None, low: float = 1 / 3, high: float = 2 / 3,
                  higher_is_better: bool = True) -> pd.DataFrame:
    """Yearly state of each school: ``low`` / ``middle`` / ``high`` by quantiles of the result.

    Within each year (and ``by``): ``low`` if the result is at or below ``Q_low``, ``high`` if at or
    above ``Q_high``, ``middle`` otherwise (terciles by default); ``pct_rank`` = (rank − 0.5) / n.
    With ``higher_is_better=False`` the scale is reversed first.

    Returns
    -------
    DataFrame
        ``by``, school, year, value, ``pct_rank``, ``state``.

    Examples
    --------
    R equivalent::

        d |> group_by(year) |> mutate(state = cut(ege, quantile(ege, c(0, 1/3, 2/3, 1)), include.lowest = TRUE))
    """
    lo = _share(low, "low")
    hi = _share(high, "high")
    if lo >= hi:
        raise ParameterError(f"'low' must be < 'high'; got low={low!r}, high={high!r}")
    by_l = as_list(by)
    check_columns(results, [*by_l, school, year, value], "results")
    _check_unique(results, [*by_l, school, year], "results")
    x = _numeric(results, value, "results")
    xs = x if higher_is_better else -x
    gid = _group_ids(results, [year, *by_l])
    qlo = _quantile_in_groups(xs, gid, lo)
    qhi = _quantile_in_groups(xs, gid, hi)
    out = results[[*by_l, school, year]].copy()
    out[value] = x
    r = xs.groupby(gid).rank(method="average")
    nv = xs.groupby(gid).transform("count")
    out["pct_rank"] = (r - 0.5) / nv
    state = np.where(xs <= qlo, "low", np.where(xs >= qhi, "high", "middle"))
    out["state"] = pd.Series(state, index=out.index).where(x.notna())
    return out.reset_index(drop=True)


def stability_typology(states: pd.DataFrame, *, school: str = "school_id", year: str = "year",
                       state: str = "state", unfavourable: str | None = None,
                       by: str | Sequence[str] | None = None, min_years: int = 3,
                       stable_share: float = 1.0, min_changes: int = 2,
                       low: str = "low", high: str = "high") -> pd.DataFrame:
    """The four groups over years: stably low, stably high, persistently unstable, unfavourable.

    For each school over its observed years (at least ``min_years`` with a state):

    * ``stably_low`` if the share of years in state ``low`` is >= ``stable_share`` (1.0 = every year);
    * ``stably_high`` likewise for ``high``;
    * ``unstable`` otherwise if the state changed at least ``min_changes`` times between
      consecutive observed years (e.g. low → middle → low);
    * ``other`` otherwise (e.g. a single improvement); ``insufficient_years`` if fewer than
      ``min_years`` years.

    ``unfavourable_conditions`` (independent of the result group) is True if the school was in
    unfavourable conditions (boolean column ``unfavourable``) in a share of its years
    >= ``stable_share``. ``groups`` lists every group that applies.

    Returns
    -------
    DataFrame
        One row per school: ``n_years``, ``share_low``, ``share_middle``, ``share_high``,
        ``n_changes``, ``sequence``, ``group``, (``share_unfavourable``,
        ``unfavourable_conditions``), ``groups``, ``rule``.

    Examples
    --------
    >>> st = result_states(ege, value="mean_score")
    >>> stability_typology(st, min_years=3)          # doctest: +SKIP
    """
    check_number(min_years, "min_years", low=1, integer=True)
    stable_share = _share(stable_share, "stable_share", open_high=False)
    check_number(min_changes, "min_changes", low=1, integer=True)
    by_l = as_list(by)
    check_columns(states, [*by_l, school, year, state, *([unfavourable] if unfavourable else [])], "states")
    _check_unique(states, [*by_l, school, year], "states")
    df = states[states[state].notna()].copy()
    df = df.sort_values([*by_l, school, year])
    g = df.groupby([*by_l, school], sort=True, dropna=False)
    n_years = g[state].size()
    df["_is_low"] = (df[state] == low).astype(float)
    df["_is_high"] = (df[state] == high).astype(float)
    share_low = g["_is_low"].mean()
    share_high = g["_is_high"].mean()
    prev = g[state].shift(1)
    df["_chg"] = prev.notna() & (df[state] != prev)
    n_changes = df.groupby([*by_l, school], sort=True, dropna=False)["_chg"].sum().astype(int)
    seq = df.assign(_s=df[state].astype(str)).groupby([*by_l, school], sort=True, dropna=False)["_s"].agg("→".join)
    out = pd.DataFrame({"n_years": n_years, "share_low": share_low,
                        "share_middle": 1 - share_low - share_high, "share_high": share_high,
                        "n_changes": n_changes, "sequence": seq})
    # keep schools without any valid state (n_years = 0 -> insufficient_years)
    all_keys = states[[*by_l, school]].drop_duplicates().set_index([*by_l, school]).index
    out = out.reindex(out.index.union(all_keys, sort=False)).sort_index()
    out["n_years"] = out["n_years"].fillna(0).astype(int)
    out["n_changes"] = out["n_changes"].fillna(0).astype(int)
    out["sequence"] = out["sequence"].fillna("")
    out = out.reset_index()
    enough = out["n_years"] >= min_years
    grp = np.select(
        [~enough, out["share_low"] >= stable_share, out["share_high"] >= stable_share,
         out["n_changes"] >= min_changes],
        ["insufficient_years", "stably_low", "stably_high", "unstable"], default="other")
    out["group"] = grp
    pct = _fmt(stable_share * 100)
    rule = {"stably_low": f"state '{low}' in >= {pct}% of years",
            "stably_high": f"state '{high}' in >= {pct}% of years",
            "unstable": f">= {min_changes} changes of state between consecutive years",
            "other": "", "insufficient_years": f"< {min_years} years observed"}
    rules = [rule[x] for x in grp]
    groups = [[x] if x not in ("other", "insufficient_years") else [] for x in grp]
    if unfavourable:
        u = states[[*by_l, school, year, unfavourable]].copy()
        if not pd.api.types.is_bool_dtype(u[unfavourable]) and not u[unfavourable].dropna().isin([0, 1, True, False]).all():
            raise DataError(f"states: column {unfavourable!r} must be boolean (True = unfavourable conditions)")
        su = u.groupby([*by_l, school], sort=True, dropna=False)[unfavourable].agg(
            lambda v: float(v.dropna().astype(bool).mean()) if v.notna().any() else np.nan)
        out = out.merge(su.rename("share_unfavourable").reset_index(), on=[*by_l, school], how="left")
        out["unfavourable_conditions"] = (out["share_unfavourable"] >= stable_share) & enough
        for i, f in enumerate(out["unfavourable_conditions"]):
            if f:
                groups[i].append("unfavourable_conditions")
                rules[i] = "; ".join(r for r in (rules[i], f"unfavourable in >= {pct}% of years") if r)
    out["groups"] = [",".join(x) for x in groups]
    out["rule"] = rules
    return out


def transition_matrix(states: pd.DataFrame, *, school: str = "school_id", year: str = "year",
                      state: str = "state", by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Transitions between the states of consecutive observed years of each school.

    Returns
    -------
    DataFrame
        ``from_state``, ``to_state``, ``n``, ``share`` (row share: P(to | from)).

    Examples
    --------
    R equivalent::

        prop.table(table(from = head(state, -1), to = tail(state, -1)), 1)   # per school, pooled
    """
    by_l = as_list(by)
    check_columns(states, [*by_l, school, year, state], "states")
    df = states[states[state].notna()].sort_values([*by_l, school, year])
    nxt = df.groupby([*by_l, school], sort=False)[state].shift(-1)
    pairs = pd.DataFrame({"from_state": df[state], "to_state": nxt}).dropna()
    tab = pairs.groupby(["from_state", "to_state"]).size().rename("n").reset_index()
    tab["share"] = tab["n"] / tab.groupby("from_state")["n"].transform("sum")
    return tab


# --------------------------------------------------------------------------------------------
# clustering
# --------------------------------------------------------------------------------------------
@dataclass
class ClusterResult:
    """Result of :func:`cluster_schools`.

    Attributes
    ----------
    criteria : DataFrame
        Per k (k = 1 included for the gap rule): ``within_ss``, ``log_w``, ``silhouette``,
        ``calinski_harabasz``, ``gap``, ``gap_se``, ``gap_n`` (rows used for the gap), ``chosen``.
    k : int
        Chosen number of clusters; ``k_silhouette`` and ``k_gap`` the choice of each criterion.
    labels : DataFrame
        School key(s) and ``cluster`` (1 = lowest mean standardised profile).
    profiles : DataFrame
        Per cluster and variable: ``n``, ``mean`` (raw), ``sd``, ``z_mean`` (standardised).
    excluded : DataFrame
        Schools left out (missing profile values), with the reason.
    """

    criteria: pd.DataFrame
    k: int
    k_silhouette: int | None
    k_gap: int | None
    labels: pd.DataFrame
    profiles: pd.DataFrame
    excluded: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The cluster profiles table."""
        return self.profiles

    def summary(self) -> str:
        s = self.settings
        return (f"{s.get('method')} clustering of {len(self.labels)} schools on {len(s.get('columns', []))} "
                f"variables: k={self.k} (chosen by {s.get('criterion')}; silhouette -> {self.k_silhouette}, "
                f"gap -> {self.k_gap}); {len(self.excluded)} excluded\n"
                + self.criteria.to_string(index=False))


def _fit_labels(X: np.ndarray, k: int, method: str, random_state: int, n_init: int,
                ward_tree=None) -> np.ndarray:
    if k == 1:
        return np.zeros(len(X), int)
    if method == "kmeans":
        from sklearn.cluster import KMeans  # noqa: PLC0415
        return KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(X).labels_
    from scipy.cluster.hierarchy import fcluster  # noqa: PLC0415
    return fcluster(ward_tree, t=k, criterion="maxclust") - 1


def _ward_tree(X: np.ndarray):
    from scipy.cluster.hierarchy import linkage  # noqa: PLC0415
    return linkage(X, method="ward")


def _within_ss(X: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels):
        xc = X[labels == c]
        total += float(((xc - xc.mean(axis=0)) ** 2).sum())
    return total


def cluster_schools(profiles: pd.DataFrame, columns: Sequence[str], *, school: str | Sequence[str] = "school_id",
                    method: str = "kmeans", k_range: Sequence[int] = range(2, 9), k: int | None = None,
                    criterion: str = "silhouette", standardise: bool = True, random_state: int = 0,
                    n_init: int = 5, n_refs: int = 20, silhouette_sample: int | None = 5000,
                    gap_sample: int | None = 5000, max_ward_n: int = 15000) -> ClusterResult:
    """Cluster schools on standardised profiles (k-means or Ward) and justify the number of clusters.

    For every k in ``k_range`` the function reports the within-cluster sum of squares ``W_k``, the
    mean silhouette width and the gap statistic (Tibshirani et al. 2001):

    .. math:: \\mathrm{Gap}(k) = \\overline{\\log W^*_k} - \\log W_k, \\qquad
              s_k = \\mathrm{sd}(\\log W^*_k) \\sqrt{1 + 1/B}

    with ``B = n_refs`` reference data sets drawn uniformly in the box aligned with the principal
    components of the data (R ``cluster::clusGap`` default ``spaceH0 = "scaledPCA"``) and ``W_k``
    the pooled within-cluster sum of *squared* Euclidean distances to the centroids
    (``clusGap(d.power = 2)``). ``k_gap`` = the smallest k with
    ``Gap(k) >= Gap(k+1) - s_{k+1}`` (``method = "Tibs2001SEmax"``); ``k_silhouette`` = the k with
    the largest mean silhouette. ``k`` (if given) overrides both. For speed the reference data sets
    are clustered with a single k-means start (their W*_k are averaged over B sets anyway) and,
    with more than ``gap_sample`` schools, the gap statistic is computed on a random subsample of
    that size (column ``gap_n``).

    Parameters
    ----------
    profiles : DataFrame
        One row per school.
    columns : list of str
        Profile variables (numeric). Rows with any missing value are excluded and listed.
    method : {"kmeans", "ward"}
        ``kmeans``: scikit-learn ``KMeans(n_init, random_state)``; ``ward``: Ward's minimum-variance
        hierarchical clustering (scipy ``linkage(method="ward")``, the same criterion as
        scikit-learn ``AgglomerativeClustering(linkage="ward")``; O(n²) memory, so at most
        ``max_ward_n`` schools).
    criterion : {"silhouette", "gap"}
    standardise : bool
        z-standardise every column (ddof=1) before clustering (recommended: profiles mix units).
    random_state : int
        Seed of k-means, of the reference data and of the silhouette subsample.
    silhouette_sample : int, optional
        Silhouette on a random subsample of this size when there are more schools (O(n²)).
    gap_sample : int, optional
        Gap statistic on a random subsample of this size when there are more schools.
    n_init : int
        k-means starts for the data (R ``kmeans(nstart=)``).

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> res = cluster_schools(schools, ["index", "mean_ege", "share_2"], method="kmeans")  # doctest: +SKIP
    >>> res.criteria; res.profiles                                                        # doctest: +SKIP

    R equivalent::

        X <- scale(schools[, cols]); km <- kmeans(X, k, nstart = 5)
        cluster::clusGap(X, kmeans, K.max = 8, B = 20, d.power = 2)
        mean(cluster::silhouette(km$cluster, dist(X))[, 3])
    """
    check_option(method, "method", ("kmeans", "ward"))
    check_option(criterion, "criterion", ("silhouette", "gap"))
    check_number(random_state, "random_state", low=0, integer=True)
    check_number(n_init, "n_init", low=1, integer=True)
    check_number(n_refs, "n_refs", low=2, integer=True)
    cols = list(columns)
    if not cols:
        raise ParameterError("'columns' must name at least one profile variable")
    keys = as_list(school)
    check_columns(profiles, [*keys, *cols], "profiles")
    _check_unique(profiles, keys, "profiles")
    ks = sorted({int(check_number(v, "k_range", low=2, integer=True)) for v in k_range})
    if not ks:
        raise ParameterError("'k_range' must contain at least one k >= 2")
    if k is not None:
        check_number(k, "k", low=2, integer=True)
        if k not in ks:
            ks = sorted(set(ks) | {k})
    vals = pd.DataFrame({c: _numeric(profiles, c, "profiles") for c in cols})
    ok = vals.notna().all(axis=1)
    excluded = profiles.loc[~ok, keys].copy()
    excluded["reason"] = ["missing " + ",".join(c for c in cols if pd.isna(vals.loc[i, c])) for i in excluded.index]
    X_raw = vals[ok].to_numpy(float)
    n = len(X_raw)
    if n < max(ks) + 1:
        raise DataError(f"profiles: {n} complete rows; at least {max(ks) + 1} needed for k up to {max(ks)}")
    if method == "ward" and n > max_ward_n:
        raise ParameterError(f"method='ward' needs O(n^2) memory; {n} schools > max_ward_n={max_ward_n} "
                             "(use method='kmeans' or raise max_ward_n)")
    if standardise:
        sd = X_raw.std(axis=0, ddof=1)
        if np.any(sd == 0):
            raise DataError(f"profiles: column(s) {[c for c, s in zip(cols, sd) if s == 0]} are constant")
        X = (X_raw - X_raw.mean(axis=0)) / sd
    else:
        X = X_raw
    from sklearn.metrics import calinski_harabasz_score, silhouette_score  # noqa: PLC0415

    rng = np.random.default_rng(random_state)
    tree = _ward_tree(X) if method == "ward" else None
    all_k = sorted({1, *ks, max(ks) + 1})
    labels_k = {kk: _fit_labels(X, kk, method, random_state, n_init, tree) for kk in all_k}
    logw = {kk: np.log(_within_ss(X, labels_k[kk])) for kk in all_k}
    # gap statistic (on a subsample for large n), reference data: scaledPCA box
    if gap_sample is not None and n > gap_sample:
        check_number(gap_sample, "gap_sample", low=10, integer=True)
        Xg = X[np.sort(rng.choice(n, gap_sample, replace=False))]
        tree_g = _ward_tree(Xg) if method == "ward" else None
        logw_g = {kk: np.log(_within_ss(Xg, _fit_labels(Xg, kk, method, random_state, n_init, tree_g)))
                  for kk in all_k}
    else:
        Xg, logw_g = X, logw
    mu = Xg.mean(axis=0)
    Xc = Xg - mu
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    Xr = Xc @ vt.T
    lo, hi = Xr.min(axis=0), Xr.max(axis=0)
    logw_ref = np.empty((n_refs, len(all_k)))
    for b in range(n_refs):
        Z = rng.uniform(lo, hi, size=Xr.shape) @ vt + mu
        tz = _ward_tree(Z) if method == "ward" else None
        for j, kk in enumerate(all_k):
            lab = _fit_labels(Z, kk, method, random_state + b + 1, 1, tz)
            logw_ref[b, j] = np.log(_within_ss(Z, lab))
    gap = logw_ref.mean(axis=0) - np.array([logw_g[kk] for kk in all_k])
    se = logw_ref.std(axis=0, ddof=1) * np.sqrt(1 + 1 / n_refs)
    gap_d = dict(zip(all_k, gap))
    se_d = dict(zip(all_k, se))
    rows = []
    samp = silhouette_sample if (silhouette_sample is not None and n > silhouette_sample) else None
    for kk in [1, *ks]:
        lab = labels_k[kk]
        nlab = len(np.unique(lab))
        sil = (float(silhouette_score(X, lab, sample_size=samp, random_state=random_state))
               if kk > 1 and 1 < nlab < n else np.nan)
        ch = float(calinski_harabasz_score(X, lab)) if kk > 1 and nlab > 1 else np.nan
        rows.append({"k": kk, "within_ss": float(np.exp(logw[kk])), "log_w": logw[kk], "silhouette": sil,
                     "calinski_harabasz": ch, "gap": gap_d[kk], "gap_se": se_d[kk], "gap_n": len(Xg)})
    crit = pd.DataFrame(rows)
    k_sil = int(crit.loc[crit["silhouette"].idxmax(), "k"]) if crit["silhouette"].notna().any() else None
    k_gap = None
    for kk in [1, *ks]:
        nxt = kk + 1
        if nxt in gap_d and gap_d[kk] >= gap_d[nxt] - se_d[nxt]:
            k_gap = kk
            break
    if k is not None:
        chosen, how = k, "user"
    elif criterion == "gap":
        if k_gap is None or k_gap == 1:
            chosen = k_sil if k_sil is not None else ks[0]
            how = f"gap (gap chose k={k_gap}; fell back to silhouette)"
        else:
            chosen, how = k_gap, "gap"
    else:
        chosen, how = k_sil, "silhouette"
    crit["chosen"] = crit["k"] == chosen
    lab = labels_k[chosen]
    # relabel: 1 = lowest mean standardised profile
    order = sorted(np.unique(lab), key=lambda c: X[lab == c].mean())
    remap = {c: i + 1 for i, c in enumerate(order)}
    lab = np.array([remap[c] for c in lab])
    labels = profiles.loc[ok, keys].reset_index(drop=True)
    labels["cluster"] = lab
    prof_rows = []
    for c in sorted(np.unique(lab)):
        m = lab == c
        for j, col in enumerate(cols):
            prof_rows.append({"cluster": c, "variable": col, "n": int(m.sum()),
                              "mean": float(X_raw[m, j].mean()),
                              "sd": float(X_raw[m, j].std(ddof=1)) if m.sum() > 1 else np.nan,
                              "z_mean": float(X[m, j].mean())})
    settings = dict(method=method, columns=cols, criterion=how, standardise=standardise,
                    random_state=random_state, n_init=n_init, n_refs=n_refs, k_range=ks)
    return ClusterResult(criteria=crit, k=int(chosen), k_silhouette=k_sil, k_gap=k_gap, labels=labels,
                         profiles=pd.DataFrame(prof_rows), excluded=excluded.reset_index(drop=True),
                         settings=settings)
