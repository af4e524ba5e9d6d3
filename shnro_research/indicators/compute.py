"""Computation of the indicators of a catalogue and their degree of achievement."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import as_list, check_option, public
from ..errors import DataError, ParameterError
from .catalogue import _OPS, SOURCES, Catalogue, _is_num, load_catalogue

__all__ = ["achievement_degree", "compute_indicators", "degree_of_achievement"]


class _NoData(Exception):
    """Raised inside an indicator computation when its data are absent (-> 'no data' row)."""


def _match(series: pd.Series, values: list, cache: dict | None = None,
           table: pd.DataFrame | None = None) -> pd.Series:
    """Rows of ``series`` equal to one of ``values`` (numbers compared as numbers, else text;
    true / false count as 1 / 0). ``series`` is a column of ``table`` when ``cache`` is given:
    the column's distinct values are then found once for all the indicators."""
    dt = series.dtype
    if dt == object or isinstance(dt, pd.CategoricalDtype):
        return _match_values(series, values)
    # a typed column (numbers, text, booleans; no mixed Python objects): each distinct value is
    # matched once (a national table has millions of rows and a few hundred distinct values);
    # the answer is elementwise, so it is the answer of the whole column
    if cache is not None and table is not None:
        key = (id(table), series.name)
        if key not in cache:        # the table is kept with its codes: its id stays its own
            cache[key] = (table, pd.factorize(series, use_na_sentinel=True))
        codes, uniq = cache[key][1]
    else:
        codes, uniq = pd.factorize(series, use_na_sentinel=True)
    hit_u = _match_values(pd.Series(uniq), values).to_numpy(dtype=bool) if len(uniq) else \
        np.zeros(0, bool)
    hit = hit_u[np.where(codes >= 0, codes, 0)] if len(uniq) else np.zeros(len(codes), bool)
    na = codes < 0
    if na.any():
        hit[na] = bool(_match_values(series[na].iloc[:1], values).iloc[0])
    return pd.Series(hit, index=series.index)


def _match_values(series: pd.Series, values: list) -> pd.Series:
    """:func:`_match` element by element."""
    if pd.api.types.is_bool_dtype(series) or series.map(type).eq(bool).any():
        series = series.map(lambda x: int(x) if isinstance(x, (bool, np.bool_)) else x)
    num = pd.to_numeric(series, errors="coerce")
    nums = [float(v) for v in values if _is_num(v) or (isinstance(v, str) and _is_float(v))]
    texts = [str(v) for v in values]
    hit = num.isin(nums) if nums else pd.Series(False, index=series.index)
    return hit | series.astype(str).isin(texts)


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _prepare(ind: dict, tables: Mapping[str, pd.DataFrame], defaults: dict, source: str | None = None,
             needed: Sequence[str] = (), missing_codes: Sequence[float] = (-9,),
             cache: dict | None = None) -> tuple:
    """Source table filtered by ``filter`` and ``schools``; returns (data, school, year, notes,
    base_pairs): ``base_pairs`` are the (school, year) pairs selected for ``at: base`` (the
    selection is applied to the year compared with), else None."""
    p = ind["params"]
    source = source or ind["source"]
    school = p.get("school", defaults["school"])
    year = p.get("year", defaults["year"])
    if source not in tables or tables[source] is None:
        raise _NoData(f"table {source!r} not provided")
    df = tables[source]
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"tables[{source!r}] must be a pandas DataFrame; got {type(df).__name__}")
    if source == "survey" and year not in df.columns and "wave" in df.columns and "year" not in p:
        year = "wave"
    cols = [year] + [c for c in p["filter"]] + list(needed)
    absent = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if absent:
        raise _NoData(f"column(s) {absent} not in table {source!r}")
    notes = []
    mask = pd.Series(True, index=df.index)
    for col, vals in p["filter"].items():
        mask &= _match(df[col], vals, cache, df)
    df = df.loc[mask]
    base_pairs = None
    if p.get("schools"):
        sch = p["schools"]
        if sch["source"] not in tables or tables[sch["source"]] is None:
            raise _NoData(f"table {sch['source']!r} (school selection) not provided")
        st = tables[sch["source"]]
        syear = defaults["year"] if defaults["year"] in st.columns else year
        need = [school, sch["column"]] + ([syear] if sch["at"] != "any" else [])
        if any(c not in st.columns for c in need):
            raise _NoData(f"column(s) {[c for c in need if c not in st.columns]} "
                          f"not in table {sch['source']!r} (school selection)")
        if school not in df.columns:
            raise _NoData(f"column {school!r} not in table {source!r}")
        hit = st.loc[_match(st[sch["column"]], sch["values"], cache, st)]
        what = f"{sch['source']}.{sch['column']} in {sch['values']}"
        if sch["at"] == "any":
            chosen = hit[school].unique()
            df = df[df[school].isin(chosen)]
            notes.append(f"{len(chosen)} schools with {what} (in any year)")
        else:
            pairs = pd.MultiIndex.from_arrays([hit[school].astype(str),
                                               pd.to_numeric(hit[syear], errors="coerce").astype(float)])
            if sch["at"] == "year":
                rows = pd.MultiIndex.from_arrays([df[school].astype(str),
                                                  pd.to_numeric(df[year], errors="coerce").astype(float)])
                df = df[rows.isin(pairs)]
                notes.append(f"schools with {what} in the year of the value")
            else:
                base_pairs = pairs
                notes.append(f"schools with {what} in the year compared with")
    if missing_codes and len(needed):
        df = df.copy()
        for c in needed:
            if pd.api.types.is_numeric_dtype(df[c]):
                df[c] = df[c].where(~df[c].isin(list(missing_codes)))
    return df, school, year, notes, base_pairs


def _value_columns(p: dict) -> list[str]:
    if "where" in p:
        return list(p["where"])
    if "column" in p:
        return [p["column"]] + ([p["weight"]] if "weight" in p else [])
    return [p["numerator"], p["denominator"]]


def _aggregate(df: pd.DataFrame, keys: list[str], p: dict) -> pd.DataFrame:
    """Value per ``keys`` group: weighted mean of ``column`` or ratio of sums x multiplier.

    Rows with a missing value (or weight) are excluded; columns ``est`` and ``n_rows``."""
    if "column" in p:
        cols = _value_columns(p)
        d = df.dropna(subset=cols)
        w = d[p["weight"]].astype(float) if "weight" in p else pd.Series(1.0, index=d.index)
        if (w < 0).any():
            raise DataError(f"weight column {p['weight']!r} has negative values")
        tmp = pd.DataFrame({"_wy": w * d[p["column"]].astype(float), "_w": w}, index=d.index)
        for k in keys:
            tmp[k] = d[k]
        g = tmp.groupby(keys, dropna=False) if keys else tmp.assign(_k=0).groupby("_k")
        out = g[["_wy", "_w"]].sum()            # the sums of agg(..., "sum"), one call
        out["n_rows"] = g.size().to_numpy()
        out = out.reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["est"] = np.where(out["_w"] > 0, out["_wy"] / out["_w"], np.nan) * float(p.get("multiplier", 1.0))
    else:
        d = df.dropna(subset=[p["numerator"], p["denominator"]])
        tmp = pd.DataFrame({"_n": d[p["numerator"]].astype(float), "_d": d[p["denominator"]].astype(float)},
                           index=d.index)
        for k in keys:
            tmp[k] = d[k]
        g = tmp.groupby(keys, dropna=False) if keys else tmp.assign(_k=0).groupby("_k")
        out = g[["_n", "_d"]].sum()
        out["n_rows"] = g.size().to_numpy()
        out = out.reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["est"] = np.where(out["_d"] > 0, out["_n"] / out["_d"], np.nan) * float(p["multiplier"])
    return out


def _years_of(df: pd.DataFrame, year: str) -> list:
    ys = pd.to_numeric(df[year], errors="coerce").dropna().unique()
    return sorted(int(y) if float(y).is_integer() else y for y in ys)


def _compute_one(ind: dict, tables: Mapping[str, pd.DataFrame], defaults: dict,
                 years: list | None, missing_codes, cache: dict | None = None) -> list[dict]:
    """Rows (year, est, n, note) of one indicator."""
    kind, p = ind["kind"], ind["params"]
    needed = _value_columns(p) if kind != "share" else [p["numerator"], p["denominator"]]
    if kind == "share_of_schools_with_change" and p.get("test"):
        needed = needed + [p["se"]]
    df, school, year, notes, base_pairs = _prepare(ind, tables, defaults, needed=needed,
                                                   missing_codes=missing_codes, cache=cache)
    df = df.assign(**{year: pd.to_numeric(df[year], errors="coerce")})
    n_missing = int(df[needed].isna().any(axis=1).sum()) if needed else 0
    if n_missing:
        notes.append(f"{n_missing} rows with missing values excluded")
    data_years = _years_of(df, year)
    rows = []
    if kind in ("share_of_schools_with_change", "share_of_schools"):
        if school not in df.columns:
            raise _NoData(f"column {school!r} not in table {ind['source']!r}")
        if "where" in p:    # share of schools whose (non-missing) rows match every condition
            d = df.dropna(subset=needed)
            flag = np.ones(len(d), bool)
            for col, vals in p["where"].items():
                flag &= _match(d[col], vals).to_numpy()
            g = pd.DataFrame({school: d[school].to_numpy(), year: d[year].to_numpy(), "f": flag}) \
                .groupby([school, year])["f"].max().reset_index()
            cond = " and ".join(f"{c} in {v}" for c, v in p["where"].items())
            for y in (years if years is not None else data_years):
                v = g[g[year] == y]
                if v.empty:
                    rows.append({"year": y, "est": np.nan, "n": 0,
                                 "note": f"no data for {y} in {ind['source']!r}"})
                    continue
                rows.append({"year": y, "est": 100 * float(v["f"].mean()), "n": int(len(v)),
                             "note": f"schools with {cond} / schools in {ind['source']!r}"})
            return _with_notes(rows, notes)
        per_school = _aggregate(df, [school, year], p)
        per_school = per_school.dropna(subset=["est"])
        if kind == "share_of_schools":
            op = _OPS[p["op"]]
            for y in (years if years is not None else data_years):
                v = per_school[per_school[year] == y]
                if v.empty:
                    rows.append({"year": y, "est": np.nan, "n": 0,
                                 "note": f"no data for {y} in {ind['source']!r}"})
                    continue
                hit = op(v["est"].to_numpy(float), float(p["threshold"]))
                rows.append({"year": y, "est": 100 * hit.mean(), "n": int(len(v)), "note": ""})
            return _with_notes(rows, notes)
        wide = per_school.pivot(index=school, columns=year, values="est")
        se_wide = None
        if p.get("test"):
            if "column" not in p:
                raise _NoData("params.test needs 'column' (a design-based estimate) with its 'se'")
            se_wide = df.dropna(subset=[p["column"], p["se"]]).groupby([school, year])[p["se"]].agg(
                lambda s: np.sqrt((s ** 2).sum()) / len(s)).unstack(year)
        target_years = years if years is not None else data_years[1:]
        for y in target_years:
            y0 = _comparison_year(p["compare_with"], y, data_years)
            if y0 is None or y not in wide.columns or y0 not in wide.columns:
                why = (f"no year before {y} with data" if y0 is None
                       else f"no data for {y if y not in wide.columns else y0} in {ind['source']!r}")
                rows.append({"year": y, "est": np.nan, "n": 0, "note": why})
                continue
            both = wide[[y0, y]].dropna()
            if base_pairs is not None:   # the schools with the status in the year compared with
                keep = pd.MultiIndex.from_arrays([both.index.astype(str),
                                                  np.full(len(both), float(y0))]).isin(base_pairs)
                both = both[keep]
            change = both[y] - both[y0]
            tol = float(p["tolerance"])
            moved = change > tol if p["direction"] == "increase" else change < -tol
            note = f"vs {y0}; tolerance {tol:g}"
            if p.get("test") and se_wide is not None:
                from ..dynamics.change import wave_change
                se_b = se_wide.reindex(both.index)
                est = pd.DataFrame({school: np.r_[both.index, both.index],
                                    "wave": np.r_[[y0] * len(both), [y] * len(both)],
                                    "est": np.r_[both[y0], both[y]],
                                    "se": np.r_[se_b[y0], se_b[y]]})
                wc = wave_change(est, by=school, base=y0, compare=y, test="z",
                                 adjust=p["adjust"], alpha=p["alpha"], min_change=tol,
                                 better="higher" if p["direction"] == "increase" else "lower",
                                 variable=None).set_index(school)
                moved = (wc.loc[both.index, "classification"] == "positive").to_numpy()
                adj = "unadjusted" if p["adjust"] == "none" else f"{p['adjust']}-adjusted"
                note += f"; significant change at alpha {p['alpha']:g} ({adj} z test)"
            n = int(len(both))
            rows.append({"year": y, "est": 100 * float(np.mean(moved)) if n else np.nan, "n": n,
                         "note": note if n else f"no school with data in both {y0} and {y}"})
        return _with_notes(rows, notes)

    if kind in ("share", "mean"):
        agg = _aggregate(df, [year], p)
        counts = df.dropna(subset=needed).groupby(year)[school].nunique() if school in df.columns else None
        for y in (years if years is not None else data_years):
            v = agg[agg[year] == y]
            if v.empty or not np.isfinite(v["est"].iloc[0]):
                rows.append({"year": y, "est": np.nan, "n": 0,
                             "note": f"no data for {y} in {ind['source']!r}"})
                continue
            n = int(counts.get(y, 0)) if counts is not None else int(v["n_rows"].iloc[0])
            rows.append({"year": y, "est": float(v["est"].iloc[0]), "n": n, "note": ""})
        return _with_notes(rows, notes)

    # difference_vs_region
    reg_src = p["region_source"]
    if reg_src not in tables or tables[reg_src] is None:
        raise _NoData(f"table {reg_src!r} (regional values) not provided")
    reg = tables[reg_src]
    rcol = p["region_column"]
    ryear = year if year in reg.columns else defaults["year"]
    absent = [c for c in (ryear, rcol) if c not in reg.columns]
    if absent:
        raise _NoData(f"column(s) {absent} not in table {reg_src!r}")
    rmask = pd.Series(True, index=reg.index)
    for col, vals in p["filter"].items():
        if col in reg.columns:
            rmask &= _match(reg[col], vals, cache, reg)
    reg = reg.loc[rmask].assign(**{ryear: pd.to_numeric(reg.loc[rmask, ryear], errors="coerce")})
    rp = {"column": rcol, "multiplier": 1.0}
    if "region_weight" in p:
        rp["weight"] = p["region_weight"]
    ragg = _aggregate(reg, [ryear], rp).set_index(ryear)["est"]
    magg = _aggregate(df, [year], {**p, "multiplier": 1.0}).set_index(year)
    counts = df.dropna(subset=needed).groupby(year)[school].nunique() if school in df.columns else None
    for y in (years if years is not None else data_years):
        if y not in magg.index or not np.isfinite(magg.loc[y, "est"]):
            rows.append({"year": y, "est": np.nan, "n": 0,
                         "note": f"no municipal data for {y} in {ind['source']!r}"})
            continue
        if y not in ragg.index or not np.isfinite(ragg.loc[y]):
            rows.append({"year": y, "est": np.nan, "n": 0,
                         "note": f"no regional value for {y} in {reg_src!r}"})
            continue
        mv, rv = float(magg.loc[y, "est"]), float(ragg.loc[y])
        n = int(counts.get(y, 0)) if counts is not None else int(magg.loc[y, "n_rows"])
        rows.append({"year": y, "est": mv - rv, "n": n,
                     "note": f"municipality {mv:.4g} - region {rv:.4g}"})
    return _with_notes(rows, notes)


def _with_notes(rows: list[dict], notes: list[str]) -> list[dict]:
    if notes:
        for r in rows:
            r["note"] = "; ".join([x for x in [r.get("note", "")] + notes if x])
    return rows


def _comparison_year(cw: Any, y: Any, data_years: list) -> Any:
    if cw == "previous":
        before = [d for d in data_years if d < y]
        return before[-1] if before else None
    if cw == "first":
        return data_years[0] if data_years and data_years[0] < y else None
    return cw if cw < y else None


@public
def degree_of_achievement(value: Any, target: Any, baseline: Any) -> np.ndarray:
    """Share of the way from the baseline to the target: (value - baseline) / (target - baseline),
    capped to [0, 1].

    The same formula serves "higher is better" and "lower is better" (both differences change
    sign together). NaN when a value, the target or the baseline is missing or target = baseline.

    Examples
    --------
    >>> degree_of_achievement([20, 30, 60, 5], 50, 10).round(2).tolist()
    [0.25, 0.5, 1.0, 0.0]

    R equivalent: ``pmin(pmax((v - b) / (t - b), 0), 1)``.
    """
    v, t, b = (np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(x), dtype=object), errors="coerce"),
                          float) for x in (value, target, baseline))
    v, t, b = np.broadcast_arrays(v, t, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (v - b) / (t - b)
    d = np.where(np.isfinite(d), np.clip(d, 0.0, 1.0), np.nan)
    return d


@public
def achievement_degree(value: Any, target: Any, better: str = "higher", *, baseline: Any = None,
                       partial: float | None = None) -> np.ndarray:
    """Achieved / not achieved against a target the programme states; "no target" without one.

    Parameters
    ----------
    value, target : array-like
        Observed and planned values (NaN value -> "no data"; NaN target -> "no target": a target
        the programme does not state is never graded).
    better : {"higher", "lower"}
        "achieved" when value >= target (higher) or value <= target (lower).
    baseline : array-like, optional
        Needed only with ``partial``.
    partial : float in (0, 1), optional
        Only where the programme text itself defines partial achievement: "partly achieved" when
        not achieved and :func:`degree_of_achievement` >= ``partial``. No default: the texts
        bundled here define none (an 80 % rule would be invented).

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    >>> achievement_degree([60, 45, None, 30], [50, 50, 50, None]).tolist()
    ['achieved', 'not achieved', 'no data', 'no target']

    R equivalent: ``ifelse(is.na(t), "no target", ifelse(v >= t, "achieved", "not achieved"))``.
    """
    check_option(better, "better", ("higher", "lower"))
    v = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(value), dtype=object), errors="coerce"), float)
    t = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(target), dtype=object), errors="coerce"), float)
    v, t = np.broadcast_arrays(v, t)
    full = v >= t if better == "higher" else v <= t
    out = np.where(full, "achieved", "not achieved").astype(object)
    if partial is not None:
        if not (_is_num(partial) and 0 < partial < 1):
            raise ParameterError(f"'partial' must be in (0, 1); got {partial!r}")
        if baseline is None:
            raise ParameterError("'partial' needs 'baseline' (the degree is measured from it)")
        d = degree_of_achievement(v, t, baseline)
        out[(~full) & (d >= partial)] = "partly achieved"
    out[np.isnan(t)] = "no target"
    out[np.isnan(v)] = "no data"
    return out


def _rule(ind: dict, target: float, baseline: float, bsource: str) -> tuple[str, str]:
    """The rule of a row, stated in English and Russian."""
    if not np.isfinite(target):
        return ("target not set in the programme text: not graded",
                "целевое значение в тексте программы не установлено: не оценивается")
    op = ">=" if ind.get("better", "higher") == "higher" else "<="
    b_en = {"stated": "baseline stated in the text", "observed": "baseline = first value observed "
            "before this year (the text states none)", "none": "no baseline (none stated, none "
            "observed before this year): degree not computed"}[bsource]
    b_ru = {"stated": "базовое значение — из текста", "observed": "базовое значение — первое "
            "наблюдённое до этого года (текст его не называет)", "none": "нет базового значения "
            "(текст не называет, раньше не наблюдалось): доля пути не вычисляется"}[bsource]
    part = ind.get("partial")
    p_en = (f"; partly achieved if degree >= {part['degree']:g} (the text's rule)" if part else
            "; no partial achievement (the text defines none)")
    p_ru = (f"; частично — при доле пути ≥ {part['degree']:g} (правило текста)" if part else
            "; частичное достижение текст не определяет")
    return (f"achieved if value {op} target {target:g}; degree = (value - baseline) / (target - "
            f"baseline), capped to [0, 1]; {b_en}{p_en}",
            f"достигнуто, если значение {op.replace('>=', '≥').replace('<=', '≤')} {target:g}; "
            f"доля пути = (значение − база) / (цель − база), в пределах [0, 1]; {b_ru}{p_ru}")


_COLUMNS = ["programme", "indicator", "number", "part", "year", "est", "target", "baseline",
            "degree", "achievement", "rule", "n", "note", "target_ratio", "rule_ru", "name_ru",
            "name_en", "unit", "better", "kind", "source", "base"]


@public
def compute_indicators(catalogue: Catalogue | str | Path | Mapping | None,
                       tables: Mapping[str, pd.DataFrame], years: Sequence[int] | None = None,
                       *, missing_codes: Sequence[float] = (-9,)) -> pd.DataFrame:
    """Evaluate every indicator of a catalogue; grade only those with a target the text states.

    Parameters
    ----------
    catalogue : Catalogue, path, programme id or mapping
        The programme catalogue(s) (``None``: the bundled index of the five programmes).
    tables : dict of str -> DataFrame
        The study's tables by source name: ``results`` (school x year x procedure x subject x
        grade), ``passport`` (school x year), ``survey`` (design-based estimates: school_id,
        group, wave, variable, est, se), ``programme_data`` (school x year), ``diagnostics``,
        ``region`` (regional values) and ``register`` (school statuses per school x year:
        ``low_results``, ``unfavourable_context``, ``resilient``, ...).
    years : list of int, optional
        Years to report (default: every year with data, plus every target year).
    missing_codes : sequence of numbers
        Codes treated as missing in the value columns (default ``-9`` = «нет данных»).

    Returns
    -------
    DataFrame
        One row per indicator and year: ``programme, indicator, number, part, year, est, target,
        baseline, degree, achievement, rule, n, note``, then ``target_ratio`` (est / target;
        target / est when lower is better), ``rule_ru``, names, ``unit, better, kind, source,
        base`` (the text's base). ``target`` is NaN where the text states none: the row's
        achievement is "no target" and it is never graded. ``degree`` =
        (est - baseline) / (target - baseline) capped to [0, 1] (:func:`degree_of_achievement`);
        the baseline is the text's, else the first value observed before the row's year
        (``rule`` says which; none: degree NaN).
        Indicators of kind ``qualitative`` / ``not_computable`` and those whose table or column
        is absent give rows with achievement "no data" and the reason in ``note``.

    Examples
    --------
    >>> res = compute_indicators("minusinsk", {"programme_data": pdata,
    ...                                        "register": register})   # doctest: +SKIP

    R equivalent: none (a declarative monitoring table); each value is a ``dplyr`` summary,
    e.g. ``mean(diff(score) > 0)`` over the low-result schools for the change kinds.
    """
    cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
    if not isinstance(tables, Mapping):
        raise ParameterError(f"'tables' must be a dict of DataFrames; got {type(tables).__name__}")
    unknown = set(tables) - set(SOURCES)
    if unknown:
        raise ParameterError(f"'tables' has unknown source name(s) {sorted(unknown)}; "
                             f"expected some of {list(SOURCES)}")
    if years is not None:
        years = sorted(int(y) for y in as_list(years) if y is not None) if not isinstance(years, (int, np.integer)) \
            else [int(years)]
    rows, cache = [], {}     # distinct values of the tables' filter columns, found once
    for ind in cat.indicators:
        if ind["kind"] in ("qualitative", "not_computable"):
            ys = years if years is not None else (sorted(ind["targets"]) or [np.nan])
            why = ("qualitative: status in the table programme_results" if ind["kind"] == "qualitative"
                   else "not computable from data")
            got = [{"year": y, "est": np.nan, "n": 0, "note": f"{why}: {ind['note']}"} for y in ys]
        else:
            try:
                got = _compute_one(ind, tables, cat.defaults, years, missing_codes, cache)
            except _NoData as exc:
                ys = years if years is not None else (sorted(ind["targets"]) or [np.nan])
                got = [{"year": y, "est": np.nan, "n": 0, "note": str(exc)} for y in ys]
        if years is None:  # add target years without data
            have = {r["year"] for r in got}
            got += [{"year": y, "est": np.nan, "n": 0, "note": "no data for this target year"}
                    for y in sorted(ind["targets"]) if y not in have]
        if not got:          # no year with data and no target year: one row says so
            got = [{"year": np.nan, "est": np.nan, "n": 0,
                    "note": f"no rows of {ind.get('source')!r} match the indicator's filter"}]
        got = sorted(got, key=lambda r: (np.inf if r["year"] != r["year"] else r["year"]))
        vals = np.array([r["est"] for r in got], float)
        tars = np.array([ind["targets"].get(r["year"], np.nan) for r in got], float)
        stated = (ind.get("baseline") or {}).get("value")
        fin = [r for r in got if np.isfinite(r["est"]) and r["year"] == r["year"]]
        bases, bsources = [], []
        for r in got:          # the text's baseline, else the first value observed BEFORE the year
            if stated is not None:
                bases.append(float(stated)), bsources.append("stated")
                continue
            before = [f for f in fin if r["year"] == r["year"] and f["year"] < r["year"]]
            bases.append(float(before[0]["est"]) if before else np.nan)
            bsources.append("observed" if before else "none")
        base = np.array(bases, float)
        better = ind.get("better", "higher")
        part = ind.get("partial")
        ach = achievement_degree(vals, tars, better, baseline=base,
                                 partial=part["degree"] if part else None)
        deg = degree_of_achievement(vals, tars, base)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = vals / tars if better == "higher" else tars / vals
        ok = np.isfinite(ratio) & (tars > 0) & ((vals > 0) if better == "lower" else True)
        ratio = np.where(ok, ratio, np.nan)      # a ratio to a zero or signed target means nothing
        for r, a, dg, rt, t, b, bs in zip(got, ach, deg, ratio, tars, base, bsources):
            rule, rule_ru = _rule(ind, t, b, bs)
            r.update(programme=ind["programme"], indicator=ind["id"], number=ind["number"],
                     part=ind.get("part", ""), target=t, baseline=b, degree=dg,
                     achievement=a, rule=rule, rule_ru=rule_ru, target_ratio=rt,
                     name_ru=ind["name"]["ru"], name_en=ind["name"]["en"], unit=ind["unit"],
                     better=ind.get("better", ""), kind=ind["kind"], source=ind.get("source", ""),
                     base=ind["base"]["text"])
        rows += got
    out = pd.DataFrame(rows)
    out["year"] = pd.array(pd.to_numeric(out["year"], errors="coerce"), dtype="Int64")
    out["n"] = out["n"].astype(int)
    return out[_COLUMNS].reset_index(drop=True)
