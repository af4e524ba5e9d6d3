"""Resilient schools vs the others: teachers' community profile and climate, tests for few schools.

* :func:`school_profile_table` -- school x wave values of every measure (school means of the
  respondents' scale scores per respondent group, rwg(j) of the teachers' scales);
* :func:`compare_school_groups` -- flagged (resilient) schools vs the others on each measure:
  difference of means with an exact (or seeded Monte Carlo) permutation test, Hedges' g, Cliff's
  delta and the exact Mann-Whitney test, p-values adjusted over the measures;
* :func:`own_vs_ideal_gap` -- teachers' "an ideal school" minus "our school" answers per school and
  item as a paired comparison (paired t CI, exact Wilcoxon signed-rank test) and the school's mean
  gap.

With a handful of flagged schools (e.g. 3 vs 21) asymptotic tests mean little; every test here is
exact or a permutation test, conditional on the observed values (ties included). A difference
between resilient schools and the others is an **association, not an effect**: the schools were
flagged on their results, and their climate may be a cause, a consequence or neither.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from math import comb
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import as_list, check_columns, check_number, check_option, public
from ._stats import P_ADJUST_METHODS, p_adjust
from .dynamics.effect_sizes import cliff_delta, hedges_g
from .errors import DataError, InstrumentError, ParameterError
from .instruments import Instrument, load_instrument

__all__ = ["compare_school_groups", "own_vs_ideal_gap", "school_profile_table",
           "own_ideal_pairs", "permutation_test", "mann_whitney_exact",
           "wilcoxon_signed_rank_exact"]

NOTE = "few schools: exact/permutation tests; association, not effect"
_EXACT_MAX_N = 120      # exact rank-sum distributions by dynamic programming up to this n


def _values(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def _tol(values: np.ndarray) -> float:
    return 1e-9 * max(1.0, float(np.max(np.abs(values))) if values.size else 1.0)


@public
def permutation_test(x: Any, y: Any, *, n_permutations: int = 10000,
                     seed: int = 0) -> dict[str, Any]:
    """Two-sided permutation test of the difference of means ``mean(x) - mean(y)``.

    Parameters
    ----------
    x, y : array-like
        Values of the two groups (missing values dropped).
    n_permutations : int
        Exact enumeration of all ``C(n1+n2, n1)`` relabellings when their number is at most
        ``n_permutations``; otherwise ``n_permutations`` random relabellings.
    seed : int
        Seed of the Monte Carlo relabellings (same seed, same p-value).

    Returns
    -------
    dict
        ``est`` (difference of means), ``p_value``, ``permutation`` (``"exact"`` or
        ``"monte carlo"``), ``n_permutations`` (relabellings used).

    Notes
    -----
    ``T = mean(x) - mean(y)``. Exact: ``p = #{relabellings g : |T_g| >= |T_obs|} / C(n, n1)``
    (the observed labelling included). Monte Carlo with ``m`` random relabellings and ``b`` of
    them at least as extreme: ``p = (b + 1) / (m + 1)`` (Phipson & Smyth 2010), a valid p-value.
    Comparisons use a relative tolerance of 1e-9 so that ties in ``|T|`` count as extreme.

    Examples
    --------
    R equivalent: ``coin::oneway_test(v ~ factor(g), distribution = "exact")`` (exact) or
    ``distribution = approximate(nresample = 10000)`` (Monte Carlo).
    """
    check_number(n_permutations, "n_permutations", low=1, integer=True)
    return _permutation(x, y, n_permutations, seed, None)


#: relabellings kept for reuse by one comparison (index entries; ~200 MB as int32): at 40,000
#: schools drawing them (10,000 random orders of every school) is the cost of each measure
_RELABEL_CACHE_ENTRIES = 50_000_000


def _permutation(x: Any, y: Any, n_permutations: int, seed: int,
                 cache: dict | None) -> dict[str, Any]:
    """:func:`permutation_test`; ``cache`` keeps the relabellings of each (n, n1) for the
    next measure (they depend only on n, n1, ``n_permutations`` and the seed, so the p-values
    are those of separate calls)."""
    x, y = _values(x), _values(y)
    n1, n2 = x.size, y.size
    if n1 < 1 or n2 < 1:
        raise DataError(f"a permutation test needs values in both groups; got {n1} and {n2}")
    v = np.concatenate([x, y])
    n, total = v.size, v.sum()
    obs = x.mean() - y.mean()
    tol = _tol(v)

    def diffs(s1):
        return s1 / n1 - (total - s1) / n2

    n_relabel = comb(n, n1)
    exact = n_relabel <= n_permutations
    total_k = n_relabel if exact else n_permutations
    key = (exact, n, n1, n_permutations, seed)
    keep = cache is not None and total_k * n1 <= _RELABEL_CACHE_ENTRIES
    chunks = cache.get(key) if cache is not None else None
    if chunks is None:
        chunks = _relabellings(n, n1, n_permutations, seed, exact)
        if keep:
            small = n < 2 ** 31             # the same indices, in half the memory
            chunks = cache.setdefault(key, [c.astype(np.int32) if small else c for c in chunks])
    hits = 0
    for idx in chunks:
        hits += int(np.sum(np.abs(diffs(v[idx].sum(axis=1))) >= abs(obs) - tol))
    if exact:
        p = hits / n_relabel
        return {"est": float(obs), "p_value": min(p, 1.0), "permutation": "exact",
                "n_permutations": int(n_relabel)}
    return {"est": float(obs), "p_value": (hits + 1) / (n_permutations + 1),
            "permutation": "monte carlo", "n_permutations": int(n_permutations)}


def _relabellings(n: int, n1: int, n_permutations: int, seed: int, exact: bool):
    """The relabellings of :func:`permutation_test` in chunks: every ``n1``-subset of
    ``range(n)`` (exact), or the first ``n1`` of ``n_permutations`` seeded random orders."""
    if exact:
        n_relabel = comb(n, n1)
        combos, chunk = itertools.combinations(range(n), n1), 200_000
        for start in range(0, n_relabel, chunk):
            k = min(chunk, n_relabel - start)
            yield np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, k)),
                              dtype=np.int64, count=k * n1).reshape(k, n1)
        return
    rng = np.random.default_rng(seed)
    done, chunk = 0, max(1, min(n_permutations, 2_000_000 // n))
    while done < n_permutations:
        k = min(chunk, n_permutations - done)
        yield np.argsort(rng.random((k, n)), axis=1)[:, :n1]
        done += k


def _midranks2(v: np.ndarray) -> np.ndarray:
    """Doubled mid-ranks (integers)."""
    return np.rint(2 * stats.rankdata(v, method="average")).astype(np.int64)


@public
def mann_whitney_exact(x: Any, y: Any) -> dict[str, Any]:
    """Mann-Whitney (Wilcoxon rank-sum) test with the exact conditional distribution.

    Parameters
    ----------
    x, y : array-like
        Values of the two groups (missing values dropped).

    Returns
    -------
    dict
        ``statistic`` (U of ``x``: ``W - n1 (n1 + 1) / 2``, W the mid-rank sum of ``x``),
        ``p_value`` (two-sided), ``method`` (``"exact"`` or ``"asymptotic"``).

    Notes
    -----
    The null distribution of W is the distribution of the sum of ``n1`` mid-ranks drawn without
    replacement from the ``n1 + n2`` observed mid-ranks, counted exactly by dynamic programming
    over doubled mid-ranks (ties included); two-sided
    ``p = P(|W - E W| >= |w - E W|)``. Without ties this is the classical exact test
    (Mann & Whitney 1947), equal to ``scipy.stats.mannwhitneyu(method="exact")``. Above
    ``n = 120`` the normal approximation with tie correction, without continuity correction,
    is used (``method = "asymptotic"``).

    Examples
    --------
    R equivalent: ``wilcox.test(x, y, exact = TRUE)`` (no ties) or
    ``coin::wilcox_test(v ~ factor(g), distribution = "exact")``.
    """
    x, y = _values(x), _values(y)
    n1, n2 = x.size, y.size
    if n1 < 1 or n2 < 1:
        raise DataError(f"the Mann-Whitney test needs values in both groups; got {n1} and {n2}")
    n = n1 + n2
    r2 = _midranks2(np.concatenate([x, y]))
    w2 = int(r2[:n1].sum())
    u = w2 / 2 - n1 * (n1 + 1) / 2
    if n > _EXACT_MAX_N:
        r = r2 / 2
        tie = np.unique(r, return_counts=True)[1]
        var = n1 * n2 / 12 * ((n + 1) - np.sum(tie ** 3 - tie) / (n * (n - 1)))
        z = (u - n1 * n2 / 2) / np.sqrt(var) if var > 0 else 0.0
        return {"statistic": float(u), "p_value": float(min(1.0, 2 * stats.norm.sf(abs(z)))),
                "method": "asymptotic"}
    smax = int(r2.sum())
    # counts[k, s]: number of k-subsets of the processed ranks with doubled rank sum s
    counts = np.zeros((n1 + 1, smax + 1))
    counts[0, 0] = 1.0
    for i, ri in enumerate(r2):
        for k in range(min(i + 1, n1), 0, -1):
            counts[k, ri:] += counts[k - 1, :smax + 1 - ri]
    dist = counts[n1] / counts[n1].sum()
    sums = np.arange(smax + 1)
    mu = n1 * (n + 1)       # E(2W)
    p = float(dist[np.abs(sums - mu) >= abs(w2 - mu)].sum())
    return {"statistic": float(u), "p_value": min(p, 1.0), "method": "exact"}


@public
def wilcoxon_signed_rank_exact(d: Any) -> dict[str, Any]:
    """Wilcoxon signed-rank test of paired differences with the exact conditional distribution.

    Parameters
    ----------
    d : array-like
        Paired differences (missing values dropped; zeros dropped as in Wilcoxon's method).

    Returns
    -------
    dict
        ``statistic`` (V, the sum of the mid-ranks of the positive differences), ``p_value``
        (two-sided), ``n`` (non-zero differences), ``method``.

    Notes
    -----
    Under H0 each non-zero difference is positive or negative with probability 1/2 given its
    mid-rank of ``|d|``; the distribution of V over the ``2^n`` sign patterns is counted exactly by
    dynamic programming on doubled mid-ranks (ties included). It is symmetric about
    ``sum(r)/2``, so ``p = min(1, 2 min(P(V <= v), P(V >= v)))``. Without ties and zeros this equals
    ``scipy.stats.wilcoxon(method="exact")``. Above n = 120 the normal approximation with tie
    correction is used.

    Examples
    --------
    R equivalent: ``wilcox.test(ideal, own, paired = TRUE, exact = TRUE)`` (no ties) or
    ``coin::wilcoxsign_test(ideal ~ own, zero.method = "Wilcoxon", distribution = "exact")``.
    """
    d = _values(d)
    d = d[np.abs(d) > _tol(d) * 1e-3]
    n = d.size
    if n == 0:
        return {"statistic": np.nan, "p_value": np.nan, "n": 0,
                "method": "no non-zero differences"}
    r2 = _midranks2(np.abs(d))
    v2 = int(r2[d > 0].sum())
    if n > _EXACT_MAX_N:
        r = r2 / 2
        tie = np.unique(r, return_counts=True)[1]
        var = n * (n + 1) * (2 * n + 1) / 24 - np.sum(tie ** 3 - tie) / 48
        z = (v2 / 2 - n * (n + 1) / 4) / np.sqrt(var) if var > 0 else 0.0
        return {"statistic": v2 / 2, "p_value": float(min(1.0, 2 * stats.norm.sf(abs(z)))),
                "n": n, "method": "asymptotic"}
    dist = _signed_rank_null(r2)
    cdf_low = dist[:v2 + 1].sum()
    cdf_high = dist[v2:].sum()
    return {"statistic": v2 / 2, "p_value": float(min(1.0, 2 * min(cdf_low, cdf_high))),
            "n": n, "method": "exact"}


def _safe(func, *args, **kwargs):
    try:
        return func(*args, **kwargs), ""
    except DataError as exc:
        return None, str(exc)


@public
def compare_school_groups(school_values: pd.DataFrame, measures: Sequence[str], *,
                          flag: str = "resilient", school: str = "school_id",
                          by: str | Sequence[str] | None = None,
                          n_permutations: int = 10000, seed: int = 0, adjust: str = "holm",
                          level: float = 0.95) -> pd.DataFrame:
    """Flagged (e.g. resilient) schools vs the others on school-level values of each measure.

    Parameters
    ----------
    school_values : DataFrame
        One row per school (per cell of ``by``) with the boolean ``flag`` and the ``measures``
        (e.g. :func:`school_profile_table` merged with ``resilient_schools``).
    measures : list of str
        Numeric columns to compare; a school with a missing value is left out of that measure.
    flag : str
        Boolean column: True = the flagged group (resilient), False = the others.
    school : str
        School id column; each school may appear once per cell of ``by``.
    by : str or list of str, optional
        Separate comparisons per cell (e.g. ``"wave"``).
    n_permutations : int
        Exact enumeration when ``C(n, n_flagged) <= n_permutations``, else that many seeded
        Monte Carlo relabellings (:func:`permutation_test`).
    seed : int
        Seed of the Monte Carlo relabellings.
    adjust : str
        ``p.adjust`` method applied to the permutation p-values over the measures of each cell.
    level : float
        Confidence level of the Hedges' g and Cliff's delta intervals.

    Returns
    -------
    DataFrame
        ``by``, ``variable``, ``est_<flag>``, ``est_other`` (group means of the school values),
        ``n_<flag>``, ``n_other`` (schools), then ``est`` (difference of means, flagged - others),
        ``n``, ``p_value`` (permutation), ``p_adjusted``, ``adjust_method``, ``permutation``,
        ``n_permutations``, ``hedges_g`` with ``hedges_g_ci_low``/``_ci_high``, ``cliff_delta``
        with ``cliff_delta_ci_low``/``_ci_high`` (NaN with fewer than 2 schools in a group or
        no variance), ``mw_statistic`` (U of the flagged schools), ``mw_p_value`` (exact
        Mann-Whitney), ``level`` and ``note``.

    Notes
    -----
    ``est = mean_{flagged} - mean_{others}`` of the school values (each school counts once);
    permutation p as in :func:`permutation_test`, Mann-Whitney as in :func:`mann_whitney_exact`,
    Hedges' g and Cliff's delta as :func:`shnro_research.dynamics.hedges_g` /
    :func:`~shnro_research.dynamics.cliff_delta` (flagged schools as ``x``). With 3 vs 21 schools
    there are C(24, 3) = 2024 relabellings and the smallest attainable two-sided p is
    2/2024 ~ 0.001; the effect-size CIs rest on normal theory and are wide and approximate.
    The comparison shows an association with the flag, not an effect of the measure.

    Examples
    --------
    R equivalent per measure: ``coin::oneway_test(v ~ factor(flag), distribution = "exact")``,
    ``wilcox.test(v[flag], v[!flag], exact = TRUE)``,
    ``effsize::cohen.d(v[flag], v[!flag], hedges.correction = TRUE)``,
    ``effsize::cliff.delta(v[flag], v[!flag])``; ``p.adjust(p, "holm")`` over the measures.
    """
    measures = as_list(measures)
    by = as_list(by)
    if not measures:
        raise ParameterError(f"'measures' must name at least one column; got {measures!r}")
    check_columns(school_values, [school, flag] + by + measures, "school_values")
    check_option(adjust, "adjust", P_ADJUST_METHODS)
    check_number(n_permutations, "n_permutations", low=1, integer=True)
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    if school_values.duplicated([school] + by).any():
        raise DataError(f"school_values: a school appears more than once per {by or 'table'}; "
                        f"give by=['wave'] or average the waves first")
    fl = school_values[flag]
    if fl.isna().any() or not set(pd.unique(fl)) <= {True, False}:
        raise DataError(f"school_values: column {flag!r} must be boolean without missing values")
    for m in measures:
        if not pd.api.types.is_numeric_dtype(school_values[m]):
            raise DataError(f"school_values: column {m!r} must be numeric; "
                            f"got dtype {school_values[m].dtype}")
    rows, relabel_cache = [], {}
    groups = school_values.groupby(by, sort=True) if by else [((), school_values)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        block = []
        for m in measures:
            ok = g[m].notna().to_numpy()
            flagged = g[flag].to_numpy(dtype=bool)
            x = g[m].to_numpy(dtype=float)[ok & flagged]
            y = g[m].to_numpy(dtype=float)[ok & ~flagged]
            row: dict[str, Any] = dict(zip(by, key))
            row.update({"variable": m, f"est_{flag}": x.mean() if x.size else np.nan,
                        "est_other": y.mean() if y.size else np.nan,
                        f"n_{flag}": int(x.size), "n_other": int(y.size),
                        "n": int(x.size + y.size)})
            notes = [NOTE]
            if x.size < 1 or y.size < 1:
                row.update(est=np.nan, p_value=np.nan, mw_statistic=np.nan, mw_p_value=np.nan)
                notes.append("no school in one of the groups")
            else:
                perm = _permutation(x, y, n_permutations, seed, relabel_cache)
                mw = mann_whitney_exact(x, y)
                row.update(est=perm["est"], p_value=perm["p_value"],
                           permutation=perm["permutation"],
                           n_permutations=perm["n_permutations"],
                           mw_statistic=mw["statistic"], mw_p_value=mw["p_value"])
                if mw["method"] != "exact":
                    notes.append("Mann-Whitney p asymptotic")
            for name, func in (("hedges_g", hedges_g), ("cliff_delta", cliff_delta)):
                res, err = _safe(func, x, y, level) if x.size and y.size else (None, "")
                if res is None:
                    row.update({name: np.nan, f"{name}_ci_low": np.nan,
                                f"{name}_ci_high": np.nan})
                    if err:
                        notes.append(f"{name} undefined: {err}")
                else:
                    row.update({name: res["est"], f"{name}_ci_low": res["ci_low"],
                                f"{name}_ci_high": res["ci_high"]})
            row["level"] = level
            row["note"] = "; ".join(notes)
            block.append(row)
        padj = p_adjust([r["p_value"] for r in block], adjust)
        for r, pa in zip(block, padj):
            r["p_adjusted"] = float(pa)
            r["adjust_method"] = adjust
        rows.extend(block)
    cols = by + ["variable", f"est_{flag}", "est_other", f"n_{flag}", "n_other", "est", "n",
                 "p_value", "p_adjusted", "adjust_method", "permutation", "n_permutations",
                 "hedges_g", "hedges_g_ci_low", "hedges_g_ci_high", "cliff_delta",
                 "cliff_delta_ci_low", "cliff_delta_ci_high", "mw_statistic", "mw_p_value",
                 "level", "note"]
    out = pd.DataFrame(rows)
    for c in cols:
        if c not in out:
            out[c] = np.nan
    return out[cols].reset_index(drop=True)


def _paired_row(d: np.ndarray, level: float) -> dict[str, Any]:
    n = d.size
    row: dict[str, Any] = {"est": d.mean() if n else np.nan, "n": int(n)}
    if n >= 2:
        sd = d.std(ddof=1)
        se = sd / np.sqrt(n)
        q = stats.t.ppf(0.5 + level / 2, n - 1)
        t = row["est"] / se if se > 0 else np.nan
        p = 2 * stats.t.sf(abs(t), n - 1) if se > 0 else np.nan
        row.update(se=se, ci_low=row["est"] - q * se, ci_high=row["est"] + q * se,
                   df=float(n - 1), statistic=t, p_value=p)
    w = wilcoxon_signed_rank_exact(d) if n else {"statistic": np.nan, "p_value": np.nan}
    row.update(wilcoxon_statistic=w["statistic"], wilcoxon_p_value=w["p_value"])
    return row


@public
def own_ideal_pairs(instrument: str | Instrument = "teachers", *, own_role: str = "pc_own",
                    ideal_role: str = "pc_ideal") -> tuple[list[str], list[str]]:
    """The paired "our school" / "an ideal school" items of an instrument, in pair order.

    Items of role ``own_role`` and ``ideal_role`` are paired by their trailing number
    (``pc_own_01`` with ``pc_ideal_01``); both blocks must hold the same numbers.

    Returns
    -------
    tuple of two lists
        ``(own_items, ideal_items)`` for :func:`own_vs_ideal_gap`.

    Examples
    --------
    >>> own, ideal = own_ideal_pairs("teachers")   # doctest: +SKIP
    """
    ins = load_instrument(instrument) if isinstance(instrument, str) else instrument

    def numbered(role):
        out = {}
        for it in ins.items_of(role=role):
            num = it.id.rsplit("_", 1)[-1]
            if not num.isdigit() or num in out:
                raise InstrumentError(f"{ins.path or ins.id}: item {it.id!r} of role {role!r} "
                                      f"needs a unique trailing number to be paired")
            out[num] = it.id
        return out

    own, ideal = numbered(own_role), numbered(ideal_role)
    if not own or set(own) != set(ideal):
        raise InstrumentError(f"{ins.path or ins.id}: items of roles {own_role!r} and "
                              f"{ideal_role!r} do not pair one to one: {sorted(own.values())} vs "
                              f"{sorted(ideal.values())}")
    nums = sorted(own, key=int)
    return [own[k] for k in nums], [ideal[k] for k in nums]


@public
def own_vs_ideal_gap(teacher_items: pd.DataFrame, own_items: Sequence[str],
                     ideal_items: Sequence[str], *, school: str = "school_id",
                     by: str | Sequence[str] | None = "wave", level: float = 0.95,
                     min_n: int = 2) -> pd.DataFrame:
    """Paired gap "an ideal school" - "our school" of the teachers' answers, per school and item.

    Parameters
    ----------
    teacher_items : DataFrame
        One row per teacher with ``school``, ``by`` and the item columns (codes, e.g. the
        ``typical5`` scale 1-5 of ``surveys/teachers.yaml``).
    own_items, ideal_items : list of str
        Paired items in the same order: ``pc_own_01`` with ``pc_ideal_01`` and so on (the
        instrument's blocks ``pc_own`` and ``pc_ideal`` rate the same statements).
    school : str
        School id column.
    by : str or list of str, optional
        Further key columns (default ``"wave"``).
    level : float
        Confidence level of the paired t interval.
    min_n : int
        Smallest number of complete pairs for a t interval; smaller cells give only ``est``/``n``.

    Returns
    -------
    DataFrame
        ``school``, ``by``, ``variable`` (the own item, or ``"all_items"`` for the school's mean
        gap), ``variable_ideal``, then ``est`` (mean gap ideal - own), ``se``, ``ci_low``,
        ``ci_high``, ``df``, ``n`` (teachers with both answers), ``statistic`` (paired t),
        ``p_value``, ``wilcoxon_statistic``, ``wilcoxon_p_value`` (exact signed-rank test), and
        ``level``.

    Notes
    -----
    For teacher i and item pair j, ``d_ij = ideal_ij - own_ij`` (pairs with a missing answer
    dropped). Per school and item: ``est = mean_i d_ij``, ``se = s_d / sqrt(n)``,
    ``CI = est +- t_{1-a/2, n-1} se``, ``t = est / se`` (Student 1908; the paired t-test), and
    the Wilcoxon signed-rank test (Wilcoxon 1945) of :func:`wilcoxon_signed_rank_exact`.
    The school's mean gap (``variable = "all_items"``) is the same paired analysis of each
    teacher's mean gap over their complete pairs. A positive gap means the ideal is rated as
    more typical than the own school: the distance teachers see between their school and an ideal.

    Examples
    --------
    R equivalent per school and item: ``t.test(ideal, own, paired = TRUE)`` and
    ``wilcox.test(ideal, own, paired = TRUE, exact = TRUE)``.
    """
    own_items, ideal_items, by = list(own_items), list(ideal_items), as_list(by)
    if len(own_items) != len(ideal_items) or not own_items:
        raise ParameterError(f"'own_items' and 'ideal_items' must pair items one to one; got "
                             f"{len(own_items)} and {len(ideal_items)} items")
    check_columns(teacher_items, [school] + by + own_items + ideal_items, "teacher_items")
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    check_number(min_n, "min_n", low=2, integer=True)
    keys = [school] + by
    own = teacher_items[own_items].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    ideal = teacher_items[ideal_items].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    gap = pd.DataFrame(ideal - own, columns=own_items, index=teacher_items.index)
    gap["all_items"] = gap[own_items].mean(axis=1)
    pair = dict(zip(own_items + ["all_items"], ideal_items + ["all_items"]))
    fast = _gap_table(gap, [teacher_items[k] for k in keys], keys, own_items + ["all_items"],
                      pair, level, min_n)
    if fast is not None:
        return fast
    rows = []
    for key, g in gap.groupby([teacher_items[k] for k in keys], sort=True):
        key = key if isinstance(key, tuple) else (key,)
        for item in own_items + ["all_items"]:
            d = g[item].dropna().to_numpy(dtype=float)
            row: dict[str, Any] = dict(zip(keys, key))
            row.update(variable=item, variable_ideal=pair[item])
            r = _paired_row(d, level)
            if d.size < min_n:
                r = {"est": r["est"], "n": r["n"]}
            row.update(r, level=level)
            rows.append(row)
    cols = keys + ["variable", "variable_ideal", "est", "se", "ci_low", "ci_high", "df", "n",
                   "statistic", "p_value", "wilcoxon_statistic", "wilcoxon_p_value", "level"]
    out = pd.DataFrame(rows)
    for c in cols:
        if c not in out:
            out[c] = np.nan
    return out[cols].reset_index(drop=True)


def _gap_table(gap: pd.DataFrame, key_series: list, keys: list[str], items: list[str],
               pair: dict, level: float, min_n: int) -> pd.DataFrame | None:
    """The rows of :func:`own_vs_ideal_gap` for every school x item at once.

    Cells (school x ``by`` x item) with the same number of pairs are stacked into one matrix
    (row means and SDs equal to the per-cell NumPy ones); the exact signed-rank null
    distribution depends only on the multiset of doubled mid-ranks, so it is counted once per
    pattern and reused. Returns None for no cell or a cell above the exact limit (the caller's
    loop then applies :func:`wilcoxon_signed_rank_exact`, asymptotic there).
    """
    grouped = gap.groupby(key_series, sort=True)
    gcode = grouped.ngroup().to_numpy()
    gkeys = [k if isinstance(k, tuple) else (k,) for k in grouped.size().index.tolist()]
    G, J = len(gkeys), len(items)
    if G == 0:
        return None
    cell_parts, val_parts = [], []
    for j, item in enumerate(items):
        v = gap[item].to_numpy(dtype=float)
        ok = np.isfinite(v) & (gcode >= 0)
        cell_parts.append(gcode[ok] * J + j)
        val_parts.append(v[ok])
    cell = np.concatenate(cell_parts)
    order = np.argsort(cell, kind="stable")          # within a cell: the rows' order
    cell, vals = cell[order], np.concatenate(val_parts)[order]
    C = G * J
    n = np.bincount(cell, minlength=C)
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    est = np.full(C, np.nan)
    cols = {k: np.full(C, np.nan) for k in ("se", "ci_low", "ci_high", "df", "statistic",
                                             "p_value", "wilcoxon_statistic",
                                             "wilcoxon_p_value")}
    dist_cache: dict[bytes, np.ndarray] = {}
    for size in np.unique(n[n > 0]):
        cells = np.flatnonzero(n == size)
        M = vals[start[cells][:, None] + np.arange(size)[None, :]]
        est[cells] = M.mean(axis=1)
        if size < max(min_n, 2):
            continue
        sd = M.std(axis=1, ddof=1)
        se = sd / np.sqrt(size)
        q = stats.t.ppf(0.5 + level / 2, size - 1)
        pos = se > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(pos, est[cells] / se, np.nan)
        p = np.full(len(cells), np.nan)
        p[pos] = 2 * stats.t.sf(np.abs(t[pos]), size - 1)
        cols["se"][cells] = se
        cols["ci_low"][cells] = est[cells] - q * se
        cols["ci_high"][cells] = est[cells] + q * se
        cols["df"][cells] = float(size - 1)
        cols["statistic"][cells] = t
        cols["p_value"][cells] = p
        # Wilcoxon: zeros dropped within each cell's tolerance, then by non-zero count
        tol = 1e-9 * np.maximum(1.0, np.abs(M).max(axis=1)) * 1e-3
        keep = np.abs(M) > tol[:, None]
        nz = keep.sum(axis=1)
        if (nz > _EXACT_MAX_N).any():
            return None
        for m in np.unique(nz[nz > 0]):
            sub = np.flatnonzero(nz == m)
            D_ = M[sub][keep[sub]].reshape(len(sub), m)   # row order kept
            r2 = np.rint(2 * stats.rankdata(np.abs(D_), method="average", axis=1)).astype(
                np.int64)
            v2 = (r2 * (D_ > 0)).sum(axis=1)
            pats, inv = np.unique(np.sort(r2, axis=1), axis=0, return_inverse=True)
            for k, pat in enumerate(pats):
                key = pat.tobytes()
                if key not in dist_cache:
                    dist_cache[key] = _signed_rank_null(pat)
                dist = dist_cache[key]
                for i in np.flatnonzero(inv.ravel() == k):
                    lo, hi = dist[:v2[i] + 1].sum(), dist[v2[i]:].sum()
                    c = cells[sub[i]]
                    cols["wilcoxon_statistic"][c] = v2[i] / 2
                    cols["wilcoxon_p_value"][c] = float(min(1.0, 2 * min(lo, hi)))
    short = n < min_n
    for k in cols:
        cols[k][short] = np.nan
    out = pd.DataFrame({k: [gk[i] for gk in gkeys for _ in range(J)]
                        for i, k in enumerate(keys)})
    out["variable"] = items * G
    out["variable_ideal"] = [pair[i] for i in items] * G
    out["est"] = est
    for k in ("se", "ci_low", "ci_high", "df"):
        out[k] = cols[k]
    out["n"] = n.astype(np.int64)
    for k in ("statistic", "p_value", "wilcoxon_statistic", "wilcoxon_p_value"):
        out[k] = cols[k]
    out["level"] = level
    return out


def _signed_rank_null(r2: np.ndarray) -> np.ndarray:
    """Null distribution of the doubled signed-rank sum for doubled mid-ranks ``r2`` (the
    dynamic programme of :func:`wilcoxon_signed_rank_exact`)."""
    smax = int(r2.sum())
    dist = np.zeros(smax + 1)
    dist[0] = 1.0
    for ri in r2:
        new = dist.copy()
        new[ri:] += dist[:smax + 1 - ri]
        dist = new / 2
    return dist


@public
def school_profile_table(scores: pd.DataFrame, agreement: pd.DataFrame | None, *,
                         measures: Mapping[str, Sequence[str]],
                         agreement_scales: Sequence[str] | None = None,
                         gap: pd.DataFrame | None = None, school: str = "school_id",
                         wave: str = "wave", group: str = "group") -> pd.DataFrame:
    """School x wave values of each measure: school means of scale scores, rwg(j), mean gap.

    Parameters
    ----------
    scores : DataFrame
        Respondent scores (``03_scoring/respondent_scores``): one row per respondent with
        ``school``, ``wave``, ``group`` and the scale columns.
    agreement : DataFrame or None
        Teachers' agreement (``03_scoring/teacher_agreement``): ``school``, ``wave``, ``scale``
        and ``est`` (rwg(j)).
    measures : mapping
        Respondent group -> scales, e.g. ``{"teachers": ["leadership", "burnout_exhaustion"],
        "students": ["tension"], "parents": ["tension"]}``; column ``<group>_<scale>``.
    agreement_scales : list of str, optional
        Scales of ``agreement`` to include as ``rwg_j_<scale>`` (default: all its scales).
    gap : DataFrame, optional
        Output of :func:`own_vs_ideal_gap`; its ``all_items`` rows give ``own_ideal_gap``.
    school, wave, group : str
        Column names.

    Returns
    -------
    DataFrame
        ``school``, ``wave``, one column per measure, and ``n_<group>`` (respondents with a
        score on the group's first scale). One row per school x wave present in any input.

    Notes
    -----
    School mean ``ybar_s = (1/n_s) sum_i y_is`` over respondents with a valid score
    (unweighted: every respondent of a school counts equally; teachers are a census of the
    school's staff). Small schools' means are noisy; the comparison of
    :func:`compare_school_groups` treats each school value as one observation.

    Examples
    --------
    R equivalent: ``aggregate(cbind(leadership, ...) ~ school_id + wave,
    data = subset(scores, group == "teachers"), FUN = mean)``; rwg(j) from
    ``multilevel::rwg.j``.
    """
    if not isinstance(measures, Mapping) or not measures:
        raise ParameterError(f"'measures' must map respondent groups to scales; got {measures!r}")
    check_columns(scores, [school, wave, group], "scores")
    keys = [school, wave]
    parts = []
    for grp, scales in measures.items():
        scales = as_list(scales)
        check_columns(scores, scales, "scores")
        sub = scores[scores[group] == grp]
        if sub.empty:
            raise DataError(f"scores: no respondent of group {grp!r}")
        agg = sub.groupby(keys, sort=True)[scales].mean()
        agg.columns = [f"{grp}_{s}" for s in scales]
        agg[f"n_{grp}"] = sub.groupby(keys, sort=True)[scales[0]].count()
        parts.append(agg)
    if agreement is not None:
        check_columns(agreement, [school, wave, "scale", "est"], "agreement")
        a = agreement
        if agreement_scales is not None:
            a = a[a["scale"].isin(as_list(agreement_scales))]
        if a.duplicated(keys + ["scale"]).any():
            raise DataError("agreement: more than one row per school, wave and scale")
        wide = a.pivot(index=keys, columns="scale", values="est")
        wide.columns = [f"rwg_j_{c}" for c in wide.columns]
        parts.append(wide)
    if gap is not None:
        check_columns(gap, [school, wave, "variable", "est"], "gap")
        gm = gap[gap["variable"] == "all_items"].set_index(keys)["est"].rename("own_ideal_gap")
        parts.append(gm.to_frame())
    out = pd.concat(parts, axis=1, join="outer").sort_index().reset_index()
    out.columns.name = None
    return out
