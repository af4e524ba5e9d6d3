"""Value orientations: Rokeach rankings and Schwartz PVQ-21 value scores.

Rokeach (Леонтьев 1992 adaptation: 18 terminal + 18 instrumental values, each list ranked
1 = most important ... k = least important). Ranks are **ipsative**: each respondent's ranks sum
to k(k+1)/2, so the values are not independent; use medians, rank shares and rank statistics
(Kendall's W, Spearman/Kendall correlations of hierarchies), not parametric tests on mean ranks.
Every summary function warns about it (:class:`~shnro_research.errors.IpsativeWarning`).

PVQ-21 (ESS): 10 basic values and 4 higher-order values are the means of their items; MRAT is
the respondent's mean over all 21 items; centred scores = score - MRAT (centre, do not
standardise). Codes must run 1 = not like me at all ... 6 = very much like me; ESS raw files
use the opposite order (pass ``reverse=True``).
"""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option, tidy
from ..errors import IpsativeWarning, ParameterError
from ._common import group_codes, numeric_matrix, public, weight_array
from .scales import score_scales

__all__ = [
    "check_rankings", "rank_summary", "kendall_w", "hierarchy_correlation", "score_pvq",
    "PVQ21_ESS_ITEMS", "PVQ21_GSS_ITEMS", "PVQ21_GSS_TO_ESS", "PVQ21_TEN_VALUES",
    "PVQ21_HIGHER_ORDER", "IPSATIVE_NOTE",
]

IPSATIVE_NOTE = ("Rokeach ranks are ipsative (each respondent's ranks sum to k(k+1)/2): compare "
                 "medians, shares in the top and rank correlations, not means with t-tests")

#: ESS PVQ-21 item names in questionnaire order (items 1..21).
PVQ21_ESS_ITEMS = (
    "ipcrtiv", "imprich", "ipeqopt", "ipshabt", "impsafe", "impdiff", "ipfrule", "ipudrst",
    "ipmodst", "ipgdtim", "impfree", "iphlppl", "ipsuces", "ipstrgv", "ipadvnt", "ipbhprp",
    "iprspot", "iplylfr", "impenv", "imptrad", "impfun",
)
#: The same items under US GSS 2012 names, in the same order.
PVQ21_GSS_ITEMS = (
    "valorig", "valrich", "valeql", "valable", "valsafe", "valdiff", "valrule", "vallist",
    "valmod", "valspl", "valfree", "valcare", "valachv", "valdfnd", "valrisk", "valprpr",
    "valrspt", "valdvot", "valeco", "valtrdn", "valfun",
)
PVQ21_GSS_TO_ESS = dict(zip(PVQ21_GSS_ITEMS, PVQ21_ESS_ITEMS))

#: ESS keys: 10 basic values (MaksimRudnev/LittleHelpers ``values``; Schwartz ESS documentation).
PVQ21_TEN_VALUES = {
    "Security": ["impsafe", "ipstrgv"],
    "Conformity": ["ipfrule", "ipbhprp"],
    "Tradition": ["ipmodst", "imptrad"],
    "Benevolence": ["iphlppl", "iplylfr"],
    "Universalism": ["ipeqopt", "ipudrst", "impenv"],
    "Self.Direction": ["ipcrtiv", "impfree"],
    "Stimulation": ["impdiff", "ipadvnt"],
    "Hedonism": ["ipgdtim", "impfun"],
    "Achievement": ["ipshabt", "ipsuces"],
    "Power": ["imprich", "iprspot"],
}
#: ESS keys: 4 higher-order values as means of their items (hedonism counted in openness).
PVQ21_HIGHER_ORDER = {
    "Openness.to.Change": ["ipcrtiv", "impfree", "impdiff", "ipadvnt", "ipgdtim", "impfun"],
    "Conservation": ["impsafe", "ipstrgv", "ipfrule", "ipbhprp", "ipmodst", "imptrad"],
    "Self.Transcendence": ["iphlppl", "iplylfr", "ipeqopt", "ipudrst", "impenv"],
    "Self.Enhancement": ["ipshabt", "ipsuces", "imprich", "iprspot"],
}


# ---------------------------------------------------------------------------------------------
# Rokeach rankings
# ---------------------------------------------------------------------------------------------
def _rank_matrix(data, items):
    items = as_list(items)
    if len(items) < 2:
        raise ParameterError(f"'items' must name >= 2 ranked values; got {items}")
    if len(set(items)) != len(items):
        raise ParameterError(f"'items' lists a value more than once: {items}")
    return items, numeric_matrix(data, items)


#: values of a rank matrix handled at once (blocks of rows): bounds the temporaries of a
#: national study's rankings (millions of rows) to ~32 MB each
_BLOCK_VALUES = 1 << 22


def _valid_mask(x: np.ndarray) -> np.ndarray:
    """Rows that are a permutation of 1..k (computed in blocks of rows)."""
    k = x.shape[1]
    ok = np.empty(len(x), dtype=bool)
    step = max(1, _BLOCK_VALUES // max(k, 1))
    for a in range(0, len(x), step):
        b = x[a:a + step]
        with np.errstate(invalid="ignore"):
            good = np.isfinite(b).all(axis=1) & (b == np.round(b)).all(axis=1) \
                & (b >= 1).all(axis=1) & (b <= k).all(axis=1)
        srt = np.sort(np.where(good[:, None], b, 0), axis=1)
        ok[a:a + step] = good & (srt == np.arange(1, k + 1)).all(axis=1)
    return ok


@public
def check_rankings(data: pd.DataFrame, items: Sequence[str]) -> pd.DataFrame:
    """Problems of rankings that should be permutations of 1..k (k = number of items).

    One row per problem: ``row`` (index of ``data``), ``problem`` (``incomplete``,
    ``not_integer``, ``out_of_range``, ``tie``, ``gap``) and ``detail`` naming the values and
    ranks involved. An empty table means every row is a valid ranking.

    Examples
    --------
    R: apply(x, 1, function(r) all(sort(r) == seq_along(r)))   # which rows are permutations
    """
    items, x = _rank_matrix(data, items)
    k = len(items)
    bad = np.flatnonzero(~_valid_mask(x))
    rows = []
    for r in bad:
        v = x[r]
        fin = np.isfinite(v)
        idx = data.index[r]
        if not fin.all():
            miss = [items[j] for j in np.flatnonzero(~fin)]
            rows.append((idx, "incomplete", f"no rank for {miss}"))
        nonint = fin & (v != np.round(np.where(fin, v, 0)))
        if nonint.any():
            rows.append((idx, "not_integer",
                         ", ".join(f"{items[j]}={v[j]:g}" for j in np.flatnonzero(nonint))))
        oor = fin & ~nonint & ((v < 1) | (v > k))
        if oor.any():
            rows.append((idx, "out_of_range", ", ".join(
                f"{items[j]}={v[j]:g}" for j in np.flatnonzero(oor)) + f" (expected 1..{k})"))
        good = fin & ~nonint & ~oor
        vals, counts = np.unique(v[good], return_counts=True)
        for val in vals[counts > 1]:
            who = [items[j] for j in np.flatnonzero(good & (v == val))]
            rows.append((idx, "tie", f"rank {val:g} given to {who}"))
        if fin.all() and not nonint.any() and not oor.any():
            absent = sorted(set(range(1, k + 1)) - set(int(t) for t in v))
            if absent:
                rows.append((idx, "gap", f"rank(s) {absent} not used"))
        elif not fin.all():
            pass
    return pd.DataFrame(rows, columns=["row", "problem", "detail"])


def _warn_ipsative(warn: bool) -> None:
    if warn:
        warnings.warn(IPSATIVE_NOTE, IpsativeWarning, stacklevel=4)


@public
def rank_summary(data: pd.DataFrame, items: Sequence[str], *, by: str | Sequence[str] | None = None,
                 top: int = 3, weight: str | None = None, warn: bool = True) -> pd.DataFrame:
    """Value hierarchy per group: median and mean rank, share ranked in the top ``top``.

    Only rows that are permutations of 1..k are used (see :func:`check_rankings`); their number
    is ``n`` and the number of other rows in the group ``n_excluded``. ``position`` orders the
    values within a group (1 = most important) by median rank, then mean rank. With ``weight``
    the shares, mean and median (of the weighted rank distribution) are weighted.
    The median of an even count is the mean of the two middle ranks (as R ``median``).

    Returns
    -------
    DataFrame
        by..., ``category`` (the ranked value, i.e. its column), ``position``,
        ``median_rank``, ``mean_rank``, ``share_top`` (proportion 0-1), ``n_excluded``, ``n``.

    Warns
    -----
    IpsativeWarning
        Ranks are ipsative (:data:`IPSATIVE_NOTE`); pass ``warn=False`` to silence.

    Examples
    --------
    R: aggregate(. ~ group, data = ranks, FUN = median); colMeans(ranks <= 3)
    """
    items, x = _rank_matrix(data, items)
    check_number(top, "top", low=1, high=len(items), integer=True)
    by = as_list(by)
    codes, keys = group_codes(data, by)
    w = weight_array(data, weight)
    ok = _valid_mask(x) & (codes >= 0)
    k = len(items)
    g = len(keys)
    n_excl = np.bincount(codes[(~ok) & (codes >= 0)], minlength=g)
    rows = np.flatnonzero(ok)
    cs = codes[rows]
    ws = None if w is None else w[rows]
    # counts[g, v, r] = (weighted) number ranking value v at rank r+1, one value at a time (a
    # bin gets the same rows in the same order as from one bincount of all values)
    counts = np.zeros(g * k * k)
    base = cs * (k * k)
    for v in range(k):
        counts += np.bincount(base + v * k + (x[rows, v].astype(np.int64) - 1), weights=ws,
                              minlength=g * k * k)
    counts = counts.reshape(g, k, k)
    tot = counts.sum(axis=2)
    ranks = np.arange(1, k + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rank = (counts * ranks).sum(axis=2) / tot
        share_top = counts[:, :, :top].sum(axis=2) / tot
        cum = np.cumsum(counts, axis=2) / tot[:, :, None]
    tol = 1e-12
    lower = np.argmax(cum >= 0.5 - tol, axis=2)        # rank index of the lower median
    upper = np.argmax(cum > 0.5 + tol, axis=2)         # ... of the upper median
    median = (lower + upper) / 2.0 + 1.0
    median = np.where(tot > 0, median, np.nan)
    n = np.bincount(cs, minlength=g)
    # one row per group x value, groups in order; position within a group by median, then
    # mean rank (one lexsort with the group as the first key: each group holds k rows)
    gi = np.repeat(np.arange(g), k)
    order = np.lexsort((mean_rank.ravel(), median.ravel(), gi))
    position = np.empty(g * k, dtype=np.int64)
    position[order] = np.tile(np.arange(1, k + 1), g)
    out = keys.iloc[gi].reset_index(drop=True) if by else pd.DataFrame(index=range(g * k))
    out = out.assign(category=np.tile(np.asarray(items, dtype=object), g), position=position,
                     median_rank=median.ravel(), mean_rank=mean_rank.ravel(),
                     share_top=share_top.ravel(), n_excluded=n_excl[gi].astype(np.int64),
                     n=n[gi].astype(np.int64))
    _warn_ipsative(warn)
    return tidy(out)


def _row_ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks within each row (ties -> mean rank), as R ``rank``."""
    return stats.rankdata(x, axis=1, method="average")


@public
def kendall_w(data: pd.DataFrame, items: Sequence[str], *, by: str | Sequence[str] | None = None,
              correct_ties: bool = True, require_permutation: bool = True,
              warn: bool = True) -> pd.DataFrame:
    """Kendall's coefficient of concordance W between respondents' rankings, per group.

    Each complete row (a rater) is ranked within itself (average ranks for ties), R_i = sum of
    ranks of value i over the m raters, n = number of values:
    :math:`W = 12\\sum_i (R_i - \\bar R)^2 / (m^2(n^3 - n) - m\\sum T)`,
    :math:`T = \\sum (t^3 - t)` over tie groups of a rater (0 without ``correct_ties``);
    :math:`\\chi^2 = m(n-1)W` with n - 1 df.

    Rows used: permutations of 1..k only (``require_permutation=True``, Rokeach), or every
    complete row, re-ranked with average ranks (``False``; e.g. ratings).

    Returns
    -------
    DataFrame
        by..., ``n_items``, ``est`` (W), ``df``, ``n`` (raters with a complete row),
        ``statistic`` (chi-square), ``p_value``.

    References
    ----------
    Kendall & Babington Smith (1939); Siegel & Castellan (1988).

    Examples
    --------
    R: irr::kendall(t(ranks), correct = TRUE); equivalently
       W = friedman.test(as.matrix(ranks))$statistic / (m * (n - 1))
    """
    items, x = _rank_matrix(data, items)
    by = as_list(by)
    codes, keys = group_codes(data, by)
    ok = np.isfinite(x).all(axis=1) & (codes >= 0)
    if require_permutation:
        ok &= _valid_mask(x)
    rows = np.flatnonzero(ok)
    cs = codes[rows]
    g, n = len(keys), len(items)
    m = np.bincount(cs, minlength=g).astype(float)
    # a permutation of 1..k is its own ranking, without ties: its columns are summed in place
    xr = None if require_permutation else _row_ranks(x[rows])
    column = (lambda j: x[rows, j]) if xr is None else (lambda j: xr[:, j])
    rsum = np.column_stack([np.bincount(cs, weights=column(j), minlength=g) for j in range(n)]) \
        if n else np.zeros((g, 0))
    tsum = np.zeros(g)
    if correct_ties and not require_permutation:
        srt = np.sort(xr, axis=1)
        # tie groups of a row: runs of equal average ranks
        t_row = np.zeros(len(xr))
        run = np.ones(len(xr))
        for j in range(1, n):
            same = srt[:, j] == srt[:, j - 1]
            t_row += np.where(same, 0.0, run ** 3 - run)
            run = np.where(same, run + 1, 1.0)
        t_row += run ** 3 - run
        tsum = np.bincount(cs, weights=t_row, minlength=g)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = ((rsum - rsum.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        w = 12 * s / (m ** 2 * (n ** 3 - n) - m * tsum)
        chi2 = m * (n - 1) * w
    p = stats.chi2.sf(chi2, n - 1)
    out = keys.copy() if by else pd.DataFrame(index=[0])
    out["n_items"] = n
    out["est"] = np.where(m >= 2, w, np.nan)
    out["df"] = n - 1
    out["n"] = m.astype(np.int64)
    out["statistic"] = np.where(m >= 2, chi2, np.nan)
    out["p_value"] = np.where(m >= 2, p, np.nan)
    _warn_ipsative(warn)
    return tidy(out)


@public
def hierarchy_correlation(data: pd.DataFrame, items: Sequence[str], group: str, *,
                          by: str | Sequence[str] | None = None, on: str = "mean_rank",
                          warn: bool = True) -> pd.DataFrame:
    """Spearman and Kendall correlations between the value hierarchies of groups.

    For every pair of groups (e.g. students vs teachers), within ``by`` (e.g. school, wave),
    correlates the groups' ``on`` statistic (``mean_rank`` or ``median_rank`` from
    :func:`rank_summary`) over the k values. Spearman p-values use the t approximation;
    Kendall's tau is tau-b with scipy's p-value.

    Returns
    -------
    DataFrame
        by..., ``group_a``, ``group_b``, ``method`` (spearman, kendall), ``est``, ``n`` (values),
        ``p_value``.

    Examples
    --------
    R: cor(mean_ranks_students, mean_ranks_teachers, method = "spearman")   # and "kendall"
    """
    check_option(on, "on", ("mean_rank", "median_rank"))
    check_columns(data, [group], "data")
    by = as_list(by)
    summ = rank_summary(data, items, by=by + [group], warn=False)
    rows = []
    grouped = summ.groupby(by, sort=True) if by else [((), summ)]
    for bkey, part in grouped:
        bkey = bkey if isinstance(bkey, tuple) else (bkey,)
        wide = part.pivot(index="category", columns=group, values=on).loc[list(items)]
        for a, b in itertools.combinations(list(wide.columns), 2):
            xa, xb = wide[a].to_numpy(float), wide[b].to_numpy(float)
            okv = np.isfinite(xa) & np.isfinite(xb)
            for method in ("spearman", "kendall"):
                if okv.sum() < 3:
                    est, p = np.nan, np.nan
                elif method == "spearman":
                    est, p = stats.spearmanr(xa[okv], xb[okv])
                else:
                    est, p = stats.kendalltau(xa[okv], xb[okv])
                rows.append({**dict(zip(by, bkey)), "group_a": a, "group_b": b,
                             "method": method, "est": float(est), "n": int(okv.sum()),
                             "p_value": float(p)})
    _warn_ipsative(warn)
    return tidy(pd.DataFrame(rows, columns=by + ["group_a", "group_b", "method", "est", "n",
                                                 "p_value"]))


# ---------------------------------------------------------------------------------------------
# PVQ
# ---------------------------------------------------------------------------------------------
@public
def score_pvq(data: pd.DataFrame, keys: Mapping[str, Sequence[str]] | None = None, *,
              item_min: float = 1, item_max: float = 6, reverse: bool = False,
              centre: bool = True, mrat_items: Sequence[str] | None = None,
              min_valid: int | float | None = None, mrat_min_valid: int | float | None = None,
              rename: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Schwartz value scores (PVQ-21/40/RR): value means, MRAT and MRAT-centred scores.

    Value score = mean of its items (answered items, at least ``min_valid``);
    MRAT = the respondent's mean over ``mrat_items`` (default: every item in ``keys``);
    centred score = value score - MRAT (centring only, no division by the respondent's SD).
    Centred scores suit correlations and group comparisons; use raw scores as regression
    predictors and in SEM/CFA (Schwartz, PVQ-RR instructions 2021).

    Parameters
    ----------
    data : DataFrame
    keys : dict value -> items, optional
        Default :data:`PVQ21_TEN_VALUES`; :data:`PVQ21_HIGHER_ORDER` for the 4 higher-order
        values (item means). Items must not be prefixed with ``-``.
    item_min, item_max : number
        Declared bounds (1, 6).
    reverse : bool
        Reverse every item (``min + max - x``) first: for ESS raw files coded
        1 = very much like me ... 6 = not like me at all.
    centre : bool
        Add ``mrat``, ``mrat_n_valid`` and ``<value>_centred`` columns (explicit option).
    mrat_items : list, optional
    min_valid, mrat_min_valid : int, float or None
        Missing rules for the value scores and MRAT (None = all items answered).
    rename : dict, optional
        Data column -> item name (e.g. :data:`PVQ21_GSS_TO_ESS` for the GSS file).

    Returns
    -------
    DataFrame
        index of ``data``; value scores, ``<value>_n_valid``, then (``centre``) ``mrat``,
        ``mrat_n_valid`` and ``<value>_centred``.

    Examples
    --------
    >>> score_pvq(gss, rename=PVQ21_GSS_TO_ESS)
    R: rowMeans(d[, c("impsafe", "ipstrgv")]) - rowMeans(d[, all21])   # centred Security
    """
    if keys is None:
        keys = PVQ21_TEN_VALUES
    if not isinstance(keys, Mapping) or not keys:
        raise ParameterError(f"'keys' must be a mapping value -> list of items; got {keys!r}")
    for v, its in keys.items():
        if isinstance(its, str) or any(str(i).startswith("-") for i in its):
            raise ParameterError(f"'keys[{v!r}]' must be a list of plain item names (PVQ items "
                                 f"are not reverse keyed); got {its!r}")
    if not isinstance(reverse, bool) or not isinstance(centre, bool):
        raise ParameterError(f"'reverse' and 'centre' must be True or False; got "
                             f"reverse={reverse!r}, centre={centre!r}")
    if rename:
        check_columns(data, list(rename), "data")
        data = data.rename(columns=dict(rename))
    sign = "-" if reverse else ""
    skeys = {v: [sign + i for i in its] for v, its in keys.items()}
    out = score_scales(data, skeys, item_min=item_min, item_max=item_max, method="mean",
                       min_valid=min_valid)
    if not centre:
        return out
    if mrat_items is None:
        seen: dict[str, None] = {}
        for its in keys.values():
            for i in its:
                seen.setdefault(i, None)
        mrat_items = list(seen)
    m = score_scales(data, {"mrat": [sign + i for i in mrat_items]}, item_min=item_min,
                     item_max=item_max, method="mean", min_valid=mrat_min_valid)
    out["mrat"] = m["mrat"]
    out["mrat_n_valid"] = m["mrat_n_valid"]
    for v in keys:
        out[f"{v}_centred"] = out[v] - out["mrat"]
    return out
