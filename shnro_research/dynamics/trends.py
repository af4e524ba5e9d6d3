"""Value hierarchies between waves and the monitoring trend table."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import TIDY_COLUMNS, as_list, check_columns
from ..errors import DataError
from ._common import _check_level, _order_columns, _t_ppf, _wave_pairs

__all__ = ["hierarchy_change", "trend_table"]


def hierarchy_change(scores: pd.DataFrame, *, item: str = "category", score: str = "mean_rank",
                     by: str | Sequence[str] | None = "group", wave: str = "wave",
                     base: Any = None, compare: Any = None, consecutive: bool = False) -> pd.DataFrame:
    """Stability of value hierarchies between waves: Spearman and Kendall rank correlations.

    The hierarchy of a domain in a wave is the vector of ``score`` over the ``item`` values
    (e.g. Rokeach mean ranks of 18 terminal values, or PVQ centred means). Several rows per
    domain x wave x item (e.g. respondent-level ranks in long format) are averaged first.
    Items present in both waves enter the correlation.

    Parameters
    ----------
    scores : DataFrame
        Long table with ``by``, ``wave``, ``item`` and ``score``.
    item, score : str
        Item column (default ``"category"``: the ranked value, as in the hierarchy tables of
        :mod:`shnro_research.scoring.values`) and score column (mean rank, mean).
    by : str or list of str
        Domain columns (default ``"group"``: students / parents / teachers).
    wave, base, compare, consecutive
        As in :func:`wave_change`.

    Returns
    -------
    DataFrame
        ``by``, ``wave_base``, ``wave_compare``, ``method`` ("spearman" / "kendall"), ``est``
        (rho or tau-b), ``n`` (items), ``statistic``, ``p_value``, and ``top_base`` /
        ``top_compare`` (the three items with the lowest mean rank / highest mean score) and
        ``largest_shift`` (item whose within-wave rank moved most).

    Notes
    -----
    Spearman's p-value uses the t approximation ``t = rho sqrt((n-2)/(1-rho^2))`` with n-2 df
    (R ``cor.test(method = "spearman", exact = FALSE)``); Kendall's tau-b uses the exact null
    distribution for n < 50 without ties and the tie-corrected normal approximation otherwise
    (as R ``cor.test(method = "kendall")``). The sign of the score does not matter for the
    correlations; ``top_*`` assumes that a lower score is more important when ``score``
    contains "rank" and a higher score otherwise.

    Examples
    --------
    R equivalent: ``cor.test(r2022, r2024, method = "spearman", exact = FALSE)`` and
    ``cor.test(r2022, r2024, method = "kendall")``.
    """
    by = as_list(by)
    check_columns(scores, by + [wave, item, score], "scores")
    if not pd.api.types.is_numeric_dtype(scores[score]):
        raise DataError(f"scores: column {score!r} must be numeric; got dtype {scores[score].dtype}")
    means = scores.groupby(by + [wave, item], dropna=False)[score].mean().reset_index()
    pairs = _wave_pairs(means[wave].tolist(), base, compare, consecutive)
    low_first = "rank" in score.lower()
    rows = []
    groups = means.groupby(by, dropna=False, sort=True) if by else [((), means)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        wide = g.pivot(index=item, columns=wave, values=score)
        for b, c in pairs:
            base_row = dict(zip(by, key))
            base_row.update(wave_base=b, wave_compare=c)
            if b not in wide.columns or c not in wide.columns:
                for method in ("spearman", "kendall"):
                    rows.append({**base_row, "method": method, "est": np.nan, "n": 0})
                continue
            pair = wide[[b, c]].dropna()
            n = len(pair)
            r1, r2 = pair[b].rank(), pair[c].rank()
            shift = (r2 - r1).abs()
            top = (lambda s: ", ".join(map(str, (s.sort_values(ascending=low_first).index[:3]))))
            extra = {"top_base": top(pair[b]), "top_compare": top(pair[c]),
                     "largest_shift": str(shift.idxmax()) if n else ""}
            if n < 3:
                for method in ("spearman", "kendall"):
                    rows.append({**base_row, "method": method, "est": np.nan, "n": n, **extra})
                continue
            rho = stats.spearmanr(pair[b], pair[c]).statistic
            with np.errstate(divide="ignore"):
                t = rho * np.sqrt((n - 2) / (1 - rho ** 2)) if abs(rho) < 1 else np.sign(rho) * np.inf
            p_s = 2 * stats.t.sf(abs(t), n - 2)
            kt = stats.kendalltau(pair[b], pair[c])
            rows.append({**base_row, "method": "spearman", "est": float(rho), "n": n,
                         "statistic": float(t), "p_value": float(p_s), **extra})
            rows.append({**base_row, "method": "kendall", "est": float(kt.statistic), "n": n,
                         "statistic": np.nan, "p_value": float(kt.pvalue), **extra})
    out = pd.DataFrame(rows)
    return _order_columns(out, by + ["wave_base", "wave_compare", "method"])


# --------------------------------------------------------------------------------------------
# monitoring table and figure
# --------------------------------------------------------------------------------------------

def trend_table(estimates: pd.DataFrame, *, by: str | Sequence[str] | None = ("school_id", "group"),
                wave: str = "wave", variable: str | Sequence[str] | None = ("variable", "category"),
                level: float = 0.95,
                est: str = "est", se: str = "se", df: str | None = "df",
                changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Trend table: the estimate with its CI in every wave, per domain, plus the change since
    the first wave.

    CIs present in the input (``ci_low``, ``ci_high``) are kept; missing ones are computed as
    ``est +- q se`` with ``q`` from Student t (``df`` column) or the normal.

    ``changes`` (optional): a :func:`wave_change` / :func:`design_wave_change` table of every
    wave against the first; its test of each change is joined to the compare wave's row as
    ``change_se``, ``change_ci_low``, ``change_ci_high``, ``change_p_value``,
    ``change_p_adjusted`` and ``change_classification`` (so the trend's change carries the
    SE of the design that produced it -- with the covariance of re-surveyed schools when it
    comes from :func:`design_wave_change` -- instead of reading two overlapping CIs).

    Returns
    -------
    DataFrame
        ``by``, ``variable``, ``wave``, ``est``, ``se``, ``ci_low``, ``ci_high`` (``df``, ``n``
        when present), ``change_from_first``.

    Examples
    --------
    R equivalent: ``svyby(~y, ~wave + school_id, des, svymean)`` and ``confint(...)``.
    """
    by = as_list(by)
    keys = list(by) + [c for c in as_list(variable) if c in estimates.columns and c not in by]
    check_columns(estimates, keys + [wave, est, se], "estimates")
    level = _check_level(level)
    out = estimates.rename(columns={est: "est", se: "se"}).copy()
    if df is not None and df in out.columns:
        q = _t_ppf(0.5 + level / 2, pd.to_numeric(out[df], errors="coerce").to_numpy(float))
    else:
        q = stats.norm.ppf(0.5 + level / 2)
    lo = out["est"] - q * out["se"]
    hi = out["est"] + q * out["se"]
    out["ci_low"] = out["ci_low"].fillna(lo) if "ci_low" in out.columns else lo
    out["ci_high"] = out["ci_high"].fillna(hi) if "ci_high" in out.columns else hi
    out = out.sort_values(keys + [wave], kind="stable")
    first = out.groupby(keys, dropna=False)["est"].transform("first") if keys else out["est"].iloc[0]
    out["change_from_first"] = out["est"] - first
    keep = keys + [wave] + [c for c in TIDY_COLUMNS if c in out.columns] + ["change_from_first"]
    out = out[keep].reset_index(drop=True)
    if changes is not None:
        ck = [k for k in keys if k in changes.columns]
        cols = {"se": "change_se", "ci_low": "change_ci_low", "ci_high": "change_ci_high",
                "p_value": "change_p_value", "p_adjusted": "change_p_adjusted",
                "classification": "change_classification"}
        c = changes[ck + ["wave_compare"] + [k for k in cols if k in changes.columns]]
        c = c.rename(columns={"wave_compare": wave, **cols})
        if "change_classification" in c:
            c["change_classification"] = c["change_classification"].astype(str)
        out = out.merge(c, on=ck + [wave], how="left")
    return out
