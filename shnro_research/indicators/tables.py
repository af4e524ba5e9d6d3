"""Monitoring tables of the indicators: planned vs achieved, summary, municipality vs region."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_option
from ..errors import DataError
from .catalogue import ACHIEVEMENT, LABELS
from .compute import _aggregate

__all__ = ["achievement_table", "achievement_summary", "region_comparison_table"]


def achievement_table(indicators: pd.DataFrame, *, lang: str = "ru",
                      years: Sequence[int] | None = None) -> pd.DataFrame:
    """Report table of planned vs achieved values («степень достижения запланированных
    результатов»), labelled in Russian or English.

    Parameters
    ----------
    indicators : DataFrame
        Output of :func:`compute_indicators`.
    lang : {"ru", "en"}
    years : list of int, optional
        Years to keep (default: all).

    Returns
    -------
    DataFrame
        One row per indicator x year: name, unit, year, value, target, % of target,
        achievement (translated), n, note.

    Examples
    --------
    >>> achievement_table(res, lang="en")  # doctest: +SKIP
    """
    check_option(lang, "lang", ("ru", "en"))
    check_columns_ = ["indicator", "year", "est", "target", "achievement", "n", "note", "target_ratio"]
    missing = [c for c in check_columns_ if c not in indicators.columns]
    if missing:
        raise DataError(f"indicators: column(s) {missing} not found; expected the output of "
                        f"compute_indicators")
    d = indicators.copy()
    if years is not None:
        d = d[d["year"].isin(list(years))]
    i = 0 if lang == "ru" else 1
    name_col = "name_ru" if lang == "ru" else "name_en"
    head = {
        "indicator": ("Код", "Code"), "name": ("Показатель", "Indicator"), "unit": ("Ед. изм.", "Unit"),
        "year": ("Год", "Year"), "est": ("Значение", "Value"), "target": ("Целевое значение", "Target"),
        "target_ratio": ("% от цели", "% of target"), "achievement": ("Степень достижения", "Achievement"),
        "n": ("n", "n"), "note": ("Примечание", "Note"),
    }
    out = pd.DataFrame({
        head["indicator"][i]: d["indicator"],
        head["name"][i]: d[name_col] if name_col in d.columns else d["indicator"],
        head["unit"][i]: d["unit"] if "unit" in d.columns else "",
        head["year"][i]: d["year"],
        head["est"][i]: d["est"].round(2),
        head["target"][i]: d["target"],
        head["target_ratio"][i]: (100 * d["target_ratio"]).round(1),
        head["achievement"][i]: d["achievement"].map(lambda a: LABELS.get(a, (a, a))[i]),
        head["n"][i]: d["n"],
        head["note"][i]: d["note"],
    })
    return out.reset_index(drop=True)


def achievement_summary(indicators: pd.DataFrame) -> pd.DataFrame:
    """Number of indicators per year and achievement degree (achieved / partly / not / ...).

    Examples
    --------
    R equivalent: ``table(res$year, res$achievement)``.
    """
    for c in ("year", "achievement"):
        if c not in indicators.columns:
            raise DataError(f"indicators: column {c!r} not found; expected the output of compute_indicators")
    tab = pd.crosstab(indicators["year"], indicators["achievement"])
    tab = tab.reindex(columns=[a for a in ACHIEVEMENT if a in tab.columns])
    return tab.reset_index().rename_axis(columns=None)


def region_comparison_table(results: pd.DataFrame, region: pd.DataFrame, *,
                            by: str | Sequence[str] = ("procedure", "subject"),
                            columns: Sequence[str] = ("below_min_pct", "high_pct", "mean_score"),
                            weight: str | None = "n_participants", year: str = "year",
                            region_weight: str | None = None,
                            missing_codes: Sequence[float] = (-9,)) -> pd.DataFrame:
    """Municipality vs region: the municipal value (schools' values weighted by the number of
    participants) and the regional one, per year x ``by``, and their difference.

    Parameters
    ----------
    results : DataFrame
        School results (school x year x procedure x subject x grade).
    region : DataFrame
        Regional values with ``year``, the ``by`` columns present in it and ``columns``.
    by : list of str
        Comparison cells (e.g. procedure and subject).
    columns : list of str
        Measures compared (share below the minimum threshold, share of high results, mean).
    weight : str, optional
        Participant counts used to weight schools (None: unweighted mean of schools).

    Returns
    -------
    DataFrame
        ``year, by..., measure, municipality, region, difference, n`` (schools).

    Examples
    --------
    R equivalent: ``aggregate(cbind(sh*n, n) ~ year + procedure + subject, results, sum)``
    then the ratio, merged with the regional table.
    """
    by = as_list(by)
    miss = [c for c in [year] + by + list(columns) if c not in results.columns]
    if miss:
        raise DataError(f"results: column(s) {miss} not found")
    rby = [c for c in by if c in region.columns]
    if year not in region.columns:
        raise DataError(f"region: column {year!r} not found")
    rows = []
    for col in columns:
        p = {"column": col, "multiplier": 1.0}
        if weight:
            if weight not in results.columns:
                raise DataError(f"results: weight column {weight!r} not found")
            p["weight"] = weight
        res = results.copy()
        for c in [col] + ([weight] if weight else []):
            res[c] = res[c].where(~res[c].isin(list(missing_codes)))
        m = _aggregate(res, [year] + by, p).rename(columns={"est": "municipality"})
        n = res.dropna(subset=[col]).groupby([year] + by, dropna=False)
        m["n"] = m.merge(n.size().rename("_n").reset_index(), on=[year] + by, how="left")["_n"].to_numpy()
        if col in region.columns:
            rp = {"column": col, "multiplier": 1.0}
            if region_weight:
                rp["weight"] = region_weight
            r = _aggregate(region, [year] + rby, rp).rename(columns={"est": "region"})
            m = m.merge(r[[year] + rby + ["region"]], on=[year] + rby, how="left")
        else:
            m["region"] = np.nan
        m["difference"] = m["municipality"] - m["region"]
        m["measure"] = col
        rows.append(m[[year] + by + ["measure", "municipality", "region", "difference", "n"]])
    return pd.concat(rows, ignore_index=True).sort_values([year] + by + ["measure"]).reset_index(drop=True)
