"""Yearly states of schools, the stability typology over years and transitions."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number
from ..errors import DataError, ParameterError
from ._common import _check_unique, _fmt, _group_ids, _numeric, _quantile_in_groups, _share

__all__ = ["result_states", "stability_typology", "transition_matrix"]


def result_states(results: pd.DataFrame, *, value: str, school: str = "school_id", year: str = "year",
                  by: str | Sequence[str] | None = None, low: float = 1 / 3, high: float = 2 / 3,
                  higher_is_better: bool = True) -> pd.DataFrame:
    """Yearly state of each school: ``low`` / ``middle`` / ``high`` by quantiles of the result.

    Within each year (and ``by``): ``low`` if the result is at or below ``Q_low``, ``high`` if at or
    above ``Q_high``, ``middle`` otherwise (terciles by default); ``rank_share`` = (rank − 0.5) / n (0-1).
    With ``higher_is_better=False`` the scale is reversed first.

    Returns
    -------
    DataFrame
        ``by``, school, year, value, ``rank_share``, ``state``.

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
    out["rank_share"] = (r - 0.5) / nv
    state = np.where(xs <= qlo, "low", np.where(xs >= qhi, "high", "middle"))
    out["state"] = pd.Series(state, index=out.index).where(x.notna())
    return out.reset_index(drop=True)


def stability_typology(states: pd.DataFrame, *, school: str = "school_id", year: str = "year",
                       state: str = "state", unfavourable: str | None = None,
                       by: str | Sequence[str] | None = None, min_years: int = 3,
                       stable_share: float = 1.0, min_changes: int = 2,
                       low: str = "low", high: str = "high") -> pd.DataFrame:
    """The four types over years: stably low, stably high, persistently unstable, unfavourable.

    For each school over its observed years (at least ``min_years`` with a state):

    * ``stably_low`` if the share of years in state ``low`` is >= ``stable_share`` (1.0 = every year);
    * ``stably_high`` likewise for ``high``;
    * ``unstable`` otherwise if the state changed at least ``min_changes`` times between
      consecutive observed years (e.g. low → middle → low);
    * ``other`` otherwise (e.g. a single improvement); ``insufficient_years`` if fewer than
      ``min_years`` years.

    ``unfavourable_conditions`` (independent of the result type) is True if the school was in
    unfavourable conditions (boolean column ``unfavourable``) in a share of its years
    >= ``stable_share``. ``types`` lists every type that applies (the result type and
    ``unfavourable_conditions``).

    Returns
    -------
    DataFrame
        One row per school: ``n_years``, ``share_low``, ``share_middle``, ``share_high``,
        ``n_changes``, ``sequence``, ``type``, (``share_unfavourable``,
        ``unfavourable_conditions``), ``types``, ``rule``. Shares are proportions (0-1).

    Examples
    --------
    >>> st = result_states(ege, value="mean_score")  # doctest: +SKIP
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
    # the states of each school's years joined by "→" (position by position, not per school)
    as_text = df[state].astype(str)
    text = as_text.to_numpy(dtype=object)
    gid, pos = g.ngroup().to_numpy(), g.cumcount().to_numpy()
    joined = np.full(len(n_years), "", dtype=object)
    for k in range(int(pos.max()) + 1 if len(pos) else 0):
        at = pos == k
        joined[gid[at]] = text[at] if k == 0 else joined[gid[at]] + "→" + text[at]
    seq = pd.Series(joined, index=n_years.index, dtype=object).astype(as_text.dtype)
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
    out["type"] = grp
    pct = _fmt(stable_share * 100)
    rule = {"stably_low": f"state '{low}' in >= {pct}% of years",
            "stably_high": f"state '{high}' in >= {pct}% of years",
            "unstable": f">= {min_changes} changes of state between consecutive years",
            "other": "", "insufficient_years": f"< {min_years} years observed"}
    rules = [rule[x] for x in grp]
    types = [[x] if x not in ("other", "insufficient_years") else [] for x in grp]
    if unfavourable:
        u = states[[*by_l, school, year, unfavourable]].copy()
        if not pd.api.types.is_bool_dtype(u[unfavourable]) and not u[unfavourable].dropna().isin([0, 1, True, False]).all():
            raise DataError(f"states: column {unfavourable!r} must be boolean (True = unfavourable conditions)")
        # share of the known years with unfavourable conditions (NaN if none known)
        known = u[unfavourable].notna()
        hit = u[unfavourable].where(known, False).astype(bool) & known
        gk = [u[c] for c in [*by_l, school]]
        n_hit = hit.groupby(gk, sort=True, dropna=False).sum()
        n_known = known.groupby(gk, sort=True, dropna=False).sum()
        su = (n_hit / n_known).where(n_known > 0)
        out = out.merge(su.rename("share_unfavourable").reset_index(), on=[*by_l, school], how="left")
        out["unfavourable_conditions"] = (out["share_unfavourable"] >= stable_share) & enough
        for i, f in enumerate(out["unfavourable_conditions"]):
            if f:
                types[i].append("unfavourable_conditions")
                rules[i] = "; ".join(r for r in (rules[i], f"unfavourable in >= {pct}% of years") if r)
    out["types"] = [",".join(x) for x in types]
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
