"""School results from the results form (ВПР, ОГЭ, ЕГЭ): one comparable result per school and
year, and the share of pupils below the minimum per procedure.

The results form gives, per school × year × procedure × subject × grade, the mean score, the
percent of pupils below the minimum (``below_min_pct``) and of high results (``high_pct``) and
the number of participants.
"""
from __future__ import annotations

import pandas as pd

from ._checks import check_columns, check_option


def school_results(results: pd.DataFrame) -> pd.DataFrame:
    """One result per school and year: the mean z-score over procedure × subject × grade.

    Each mean score is standardised within its year × procedure × subject × grade across
    schools, :math:`z = (x - \\bar x) / s`, then averaged per school-year weighted by the
    participants, so that different tests add up. Returns ``school_id, year, below_min_pct,
    high_pct`` (means of the tests' percents), ``n_tests`` and ``result`` (the z-score mean).

    R equivalent: ``r$z <- ave(r$mean_score, r$year, r$procedure, r$subject, r$grade,
    FUN = function(x) (x - mean(x)) / sd(x))``, then ``weighted.mean(z, n_participants)`` per
    school and year.
    """
    check_columns(results, ["school_id", "year", "mean_score", "below_min_pct", "high_pct"],
                  "results")
    r = results.copy()
    key = [c for c in ("year", "procedure", "subject", "grade") if c in r]
    g = r.groupby(key)["mean_score"]
    r["z"] = (r["mean_score"] - g.transform("mean")) / g.transform("std")
    w = r["n_participants"].fillna(1) if "n_participants" in r else 1
    r["wz"] = r["z"] * w
    r["w"] = w
    agg = r.groupby(["school_id", "year"]).agg(wz=("wz", "sum"), w=("w", "sum"),
                                               below_min_pct=("below_min_pct", "mean"),
                                               high_pct=("high_pct", "mean"),
                                               n_tests=("z", "size")).reset_index()
    agg["result"] = agg["wz"] / agg["w"]
    return agg.drop(columns=["wz", "w"])


def share_below_by_procedure(results: pd.DataFrame, *, unit: str = "procedure") -> pd.DataFrame:
    """Share (0–1) of pupils below the minimum per school × year × procedure.

    Pooled over subjects and grades, weighted by participants:
    :math:`\\sum_k p_k n_k / \\sum_k n_k` with :math:`p_k` = ``below_min_pct``/100. With
    ``unit="assessment"`` each procedure × subject × grade is judged on its own.
    """
    check_option(unit, "unit", ("procedure", "assessment"))
    check_columns(results, ["school_id", "year", "procedure", "below_min_pct", "n_participants"],
                  "results")
    r = results.copy()
    if unit == "assessment":
        r["procedure"] = (r["procedure"].astype(str) + "-" + r["subject"].astype(str) + "-"
                          + r["grade"].astype(str))
    r["below"] = r["below_min_pct"] / 100.0 * r["n_participants"]
    r = r.groupby(["school_id", "year", "procedure"], as_index=False)[
        ["below", "n_participants"]].sum(min_count=1)
    r["share_below"] = r["below"] / r["n_participants"]
    return r
