"""Schools with low results (rank and threshold rules) and in unfavourable social context."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number
from ..errors import DataError
from ._common import (
    _check_unique, _fmt, _group_ids, _numeric, _share, _worst_share, _year_positions,
)

__all__ = ["low_results_rank", "low_results_threshold", "unfavourable_context"]


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
    failed = _joined(df[df["_fail"]], [school, year], procedure)
    repeated = _joined(df[df["_repeat"]], [school, year], procedure)
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


def _joined(d: pd.DataFrame, keys: list[str], col: str) -> pd.Series:
    """The sorted values of ``col`` per ``keys`` group, comma-joined (vectorised: a string sum)."""
    if d.empty:
        return pd.Series(dtype=object, index=pd.MultiIndex.from_arrays([[], []], names=keys))
    d = d.sort_values(col, kind="mergesort")
    return ((d[col].astype(str) + ",").groupby([d[k] for k in keys], sort=True).sum()
            .str[:-1])


def unfavourable_context(data: pd.DataFrame, *, value: str = "est", school: str = "school_id",
                         year: str | None = None, by: str | Sequence[str] | None = None,
                         quantile: float = 0.25, higher_is_favourable: bool = True,
                         cutoff: float | None = None) -> pd.DataFrame:
    """Schools in unfavourable social conditions: context index at or below a quantile or a
    fixed cut-off.

    ``unfavourable = est <= Q_q(est)`` (``est``: the index column of
    :func:`shnro_research.context.wellbeing_index`) within ``year`` and ``by`` groups (or ``>= Q_{1-q}``
    when a higher value is *less* favourable, e.g. a deprivation share). With ``cutoff`` the rule
    is absolute instead: ``est <= cutoff`` (``>= cutoff``), the same number in every year and
    group — the shared "low context" of the register (:func:`~.register.school_register`);
    ``quantile`` is then ignored.

    Returns
    -------
    DataFrame
        Keys, ``value``, ``cutoff``, ``unfavourable``, ``rule``.

    Examples
    --------
    R equivalent::

        d$unfav <- with(d, ave(index, year, FUN = function(v) v <= quantile(v, .25, na.rm = TRUE)))
        d$unfav <- d$index <= -0.43          # cutoff = -0.43
    """
    keys = [*as_list(by), school, *([year] if year else [])]
    check_columns(data, [*keys, value], "data")
    _check_unique(data, keys, "data")
    x = _numeric(data, value, "data")
    if cutoff is not None:
        check_number(cutoff, "cutoff")
        cut = pd.Series(float(cutoff), index=data.index)
        flag = x <= cut if higher_is_favourable else x >= cut
        rule = f"{value} {'<=' if higher_is_favourable else '>='} {_fmt(float(cutoff))}"
    else:
        q = _share(quantile, "quantile")
        gid = _group_ids(data, [*([year] if year else []), *as_list(by)])
        flag, cut, cmp = _worst_share(x, gid, q, higher_is_favourable)
        rule = f"{value} {cmp}"
    out = data[keys].copy()
    out[value] = x
    out["cutoff"] = cut
    out["unfavourable"] = flag & x.notna()
    out["rule"] = np.where(out["unfavourable"], rule, "")
    return out.reset_index(drop=True)
