"""Monitoring tables of the indicators: planned vs achieved, summary, municipality vs region."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_option
from ..errors import DataError
from .catalogue import ACHIEVEMENT, LABELS, NOT_SET
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
        One row per indicator x year: programme, number, name, base, unit, year, value, target
        («не установлено» / "not set" where the programme text states none), baseline, degree
        (% of the way from the baseline to the target), achievement (translated), rule, n, note.

    Examples
    --------
    >>> achievement_table(res, lang="en")  # doctest: +SKIP
    """
    check_option(lang, "lang", ("ru", "en"))
    check_columns_ = ["indicator", "year", "est", "target", "achievement", "n", "note"]
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
        "programme": ("Программа", "Programme"), "number": ("№", "No."),
        "indicator": ("Код", "Code"), "name": ("Показатель", "Indicator"),
        "base": ("База (как в тексте)", "Base (as in the text)"), "unit": ("Ед. изм.", "Unit"),
        "year": ("Год", "Year"), "est": ("Значение", "Value"),
        "target": ("Целевое значение", "Target"), "baseline": ("Базовое значение", "Baseline"),
        "degree": ("Доля пути к цели, %", "Degree, % of the way"),
        "achievement": ("Степень достижения", "Achievement"), "rule": ("Правило", "Rule"),
        "n": ("n", "n"), "note": ("Примечание", "Note"),
    }
    col = lambda c, default="": d[c] if c in d.columns else default  # noqa: E731
    target = pd.Series([f"{t:g}" if t == t else NOT_SET[lang] for t in d["target"]],
                       index=d.index)
    rule = col("rule_ru" if lang == "ru" else "rule")
    out = pd.DataFrame({
        head["programme"][i]: col("programme"),
        head["number"][i]: col("number"),
        head["indicator"][i]: d["indicator"],
        head["name"][i]: d[name_col] if name_col in d.columns else d["indicator"],
        head["base"][i]: col("base"),
        head["unit"][i]: col("unit"),
        head["year"][i]: d["year"],
        head["est"][i]: d["est"].round(2),
        head["target"][i]: target,
        head["baseline"][i]: pd.to_numeric(col("baseline", np.nan), errors="coerce").round(2),
        head["degree"][i]: (100 * pd.to_numeric(col("degree", np.nan), errors="coerce")).round(1),
        head["achievement"][i]: d["achievement"].map(lambda a: LABELS.get(a, (a, a))[i]),
        head["rule"][i]: rule,
        head["n"][i]: d["n"],
        head["note"][i]: d["note"],
    })
    return out.reset_index(drop=True)


def achievement_summary(indicators: pd.DataFrame) -> pd.DataFrame:
    """Number of indicator rows per year and achievement degree (rows without a year — the
    qualitative and not computable indicators — under year NaN).

    Examples
    --------
    R equivalent: ``table(res$year, res$achievement, useNA = "ifany")``.
    """
    for c in ("year", "achievement"):
        if c not in indicators.columns:
            raise DataError(f"indicators: column {c!r} not found; expected the output of compute_indicators")
    tab = indicators.groupby(["year", "achievement"], dropna=False).size().unstack(fill_value=0)
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
        # only the columns this measure reads (not a copy of the whole table per measure)
        res = results[list(dict.fromkeys([year] + by + [col] + ([weight] if weight else [])))].copy()
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
