"""School results from the results form (ВПР, ОГЭ, ЕГЭ): the indicators derived from the mark
counts and primary scores of each row, one comparable result per school and year, the share of
pupils below the minimum per procedure and the pupils without a certificate.

The results form (``surveys/results.yaml``) gives, per school × year × procedure × subject ×
grade, the number of participants; for ВПР and ОГЭ the number with each mark 2–5
(``mark2_n`` … ``mark5_n``), for ЕГЭ the number in each band of test scores
(``ege_below_min_n``, ``ege_min_60_n``, ``ege_61_80_n``, ``ege_81_100_n``); the mean and maximum
primary score (``mean_primary``, ``max_primary``), the ЕГЭ mean test score
(``mean_test_score``); for ВПР the participants' term marks; for grades 9 and 11 the graduates
and those without a certificate. The percent columns of older files (``mean_score``,
``below_min_pct``, ``high_pct``) are still read; :func:`derive_results` fills them from the
counts (and checks them where both are given). ``docs/METHODS.md`` § 10.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import DataError, check_columns, check_number, check_option, public

#: counts of marks 2, 3, 4, 5 (ВПР, ОГЭ)
MARK_COLUMNS = ("mark2_n", "mark3_n", "mark4_n", "mark5_n")
#: counts of ЕГЭ test-score bands: below the minimum, minimum–60, 61–80, 81–100
BAND_COLUMNS = ("ege_below_min_n", "ege_min_60_n", "ege_61_80_n", "ege_81_100_n")
#: the code of ЕГЭ in the results form's ``procedure`` (its mean score is the test score)
EGE_CODE = 3
#: the derived columns, proportions 0–1 except ``mean_mark`` (2–5) and ``mean_primary_pct``
DERIVED = ("mean_mark", "pass_share", "quality_share", "below_min_share", "high_share",
           "mean_primary_pct")
_KEYS = ("school_id", "year", "procedure", "subject", "grade")


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def _where(df: pd.DataFrame, pos: int, file: str) -> str:
    key = ", ".join(f"{k}={df[k].iloc[pos]}" for k in _KEYS if k in df.columns)
    return f"{file}: row {pos + 1} ({key})"


def _counts(df: pd.DataFrame, cols: tuple[str, ...], n: pd.Series, file: str,
            what: str) -> tuple[np.ndarray, np.ndarray]:
    """Counts matrix (rows x 4) and a mask of rows where all four are given; checks them."""
    m = np.column_stack([_num(df, c).to_numpy() for c in cols])
    given = ~np.isnan(m)
    part = given.any(1) & ~given.all(1)
    if part.any():
        i = int(np.flatnonzero(part)[0])
        j = int(np.flatnonzero(~given[i])[0])
        raise DataError(f"{_where(df, i, file)}, column {cols[j]!r}: value empty; expected all "
                        f"four {what} counts ({', '.join(cols)}) or none of them")
    full = given.all(1)
    bad = full & ((m < 0) | (np.abs(m - np.round(m)) > 1e-9)).any(1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        j = int(np.flatnonzero((m[i] < 0) | (np.abs(m[i] - np.round(m[i])) > 1e-9))[0])
        raise DataError(f"{_where(df, i, file)}, column {cols[j]!r}: value {m[i, j]:g}; "
                        "expected a whole number >= 0")
    nn = n.to_numpy()
    tot = np.where(full, m.sum(1) if full.any() else 0.0, np.nan)
    off = full & ~np.isnan(nn) & (np.abs(tot - nn) > 1e-9)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise DataError(f"{_where(df, i, file)}, columns {'+'.join(cols)}: value {tot[i]:g}; "
                        f"expected the number of participants n_participants = {nn[i]:g}")
    return m, full


@public
def derive_results(results: pd.DataFrame, *, file: str = "results",
                   tolerance: float = 0.5) -> pd.DataFrame:
    """Derive each row's indicators from its mark counts (ВПР, ОГЭ), score bands (ЕГЭ) and
    primary scores.

    With :math:`m_k` the number of participants with mark :math:`k` and
    :math:`n = \\sum_k m_k`:

    * ``mean_mark`` :math:`= \\sum_k k\\,m_k / n` (marks 2–5);
    * ``pass_share`` (успеваемость) :math:`= (m_3 + m_4 + m_5)/n = 1 -` ``below_min_share``;
    * ``quality_share`` («качество знаний») :math:`= (m_4 + m_5)/n`;
    * ``below_min_share`` :math:`= m_2/n` (ЕГЭ: below the minimum score / n);
    * ``high_share`` :math:`= m_5/n` (ЕГЭ: 81–100 points / n);
    * ``mean_primary_pct`` :math:`= 100\\,\\bar x_{primary} / x_{max}`, the mean percent of the
      maximum primary score.

    Proportions are 0–1. The percent columns of the form are filled where empty:
    ``below_min_pct`` :math:`= 100\\,` ``below_min_share``, ``high_pct`` :math:`= 100\\,`
    ``high_share``, ``mean_score`` = ``mean_primary_pct`` (ВПР, ОГЭ) or ``mean_test_score``
    (ЕГЭ, ``procedure`` = 3); where the form gives them as well they must agree within
    ``tolerance`` percentage points (rounding of the form), else :class:`DataError`. Rows with
    neither counts nor primary scores keep their percents, and ``below_min_share``,
    ``high_share``, ``pass_share`` come from them (``quality_share`` and ``mean_mark`` stay
    empty). A row with 0 participants has empty derived values. ``n_participants``, when empty,
    is the sum of the counts.

    Parameters
    ----------
    results : DataFrame
        The results form (school × year × procedure × subject × grade), clean (codes −9 are
        missing).
    file : str
        Name of the file, used in error messages.
    tolerance : float, default 0.5
        Largest difference (percentage points) between a percent the form gives and the one
        derived from its counts.

    Returns
    -------
    DataFrame
        ``results`` with the columns of :data:`DERIVED` added and the percent columns filled.

    Raises
    ------
    DataError
        Naming file, row, column, value and what was expected: counts given only in part,
        negative or fractional counts, counts not adding up to ``n_participants``, mark counts
        and ЕГЭ bands on one row, a mean primary score above the maximum, a percent that
        disagrees with the counts.

    Examples
    --------
    >>> r = pd.DataFrame({"school_id": ["S1"], "year": [2024], "procedure": [1], "subject": [2],
    ...                   "grade": [5], "n_participants": [20], "mark2_n": [2], "mark3_n": [8],
    ...                   "mark4_n": [7], "mark5_n": [3], "mean_primary": [11.0],
    ...                   "max_primary": [20]})
    >>> derive_results(r)[["mean_mark", "pass_share", "quality_share", "mean_score"]]
       mean_mark  pass_share  quality_share  mean_score
    0       3.55         0.9            0.5        55.0

    R equivalent: ``within(r, {n <- mark2_n + mark3_n + mark4_n + mark5_n; mean_mark <-
    (2*mark2_n + 3*mark3_n + 4*mark4_n + 5*mark5_n)/n; pass_share <- 1 - mark2_n/n;
    quality_share <- (mark4_n + mark5_n)/n; mean_primary_pct <- 100*mean_primary/max_primary})``.
    """
    check_number(tolerance, "tolerance", low=0)
    check_columns(results, ["n_participants"], file)
    r = results.copy()
    n = _num(r, "n_participants")
    marks, has_m = _counts(r, MARK_COLUMNS, n, file, "mark")
    bands, has_b = _counts(r, BAND_COLUMNS, n, file, "ЕГЭ score-band")
    both = has_m & has_b
    if both.any():
        i = int(np.flatnonzero(both)[0])
        raise DataError(f"{_where(r, i, file)}, columns mark2_n and ege_below_min_n: both "
                        "given; expected mark counts (ВПР, ОГЭ) or ЕГЭ score bands, not both")
    total = np.where(has_m, marks.sum(1), np.where(has_b, bands.sum(1), np.nan))
    n = n.where(n.notna(), pd.Series(total, index=r.index))
    r["n_participants"] = n
    nn = n.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(nn > 0, 1.0 / nn, np.nan)
        below = np.where(has_m, marks[:, 0], np.where(has_b, bands[:, 0], np.nan)) * inv
        high = np.where(has_m, marks[:, 3], np.where(has_b, bands[:, 3], np.nan)) * inv
        mean_mark = np.where(has_m, marks @ np.array([2.0, 3.0, 4.0, 5.0]), np.nan) * inv
        quality = np.where(has_m, marks[:, 2] + marks[:, 3], np.nan) * inv
    mp, mx = _num(r, "mean_primary").to_numpy(), _num(r, "max_primary").to_numpy()
    bad = mx <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{_where(r, i, file)}, column 'max_primary': value {mx[i]:g}; "
                        "expected a maximum primary score > 0")
    bad = mp > mx
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{_where(r, i, file)}, column 'mean_primary': value {mp[i]:g}; "
                        f"expected at most the maximum primary score max_primary = {mx[i]:g}")
    with np.errstate(invalid="ignore", divide="ignore"):
        primary_pct = 100.0 * mp / mx
    ege = (_num(r, "procedure").to_numpy() == EGE_CODE)
    test = _num(r, "mean_test_score").to_numpy()
    score = np.where(ege, test, primary_pct)
    derived_pct = {"below_min_pct": 100.0 * below, "high_pct": 100.0 * high, "mean_score": score}
    for col, d in derived_pct.items():
        given = _num(r, col).to_numpy()
        off = ~np.isnan(given) & ~np.isnan(d) & (np.abs(given - d) > tolerance)
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise DataError(f"{_where(r, i, file)}, column {col!r}: value {given[i]:g}; expected "
                            f"{d[i]:.2f} (derived from the counts / primary scores) within "
                            f"{tolerance:g}")
        r[col] = np.where(np.isnan(given), d, given)
    # rows without counts: shares from the percents the form gives
    below = np.where(np.isnan(below), _num(r, "below_min_pct").to_numpy() / 100.0, below)
    high = np.where(np.isnan(high), _num(r, "high_pct").to_numpy() / 100.0, high)
    r["mean_mark"] = mean_mark
    r["pass_share"] = 1.0 - below
    r["quality_share"] = quality
    r["below_min_share"] = below
    r["high_share"] = high
    r["mean_primary_pct"] = primary_pct
    return r


@public
def certificates(results: pd.DataFrame, *, file: str = "results") -> pd.DataFrame:
    """Graduates without a certificate per school × year × grade (9 and 11).

    The form carries ``graduates_n`` and ``no_certificate_n`` on the ОГЭ (grade 9) and ЕГЭ
    (grade 11) rows: one number per school × year × grade, repeated or given on one row only.
    ``no_certificate_share`` :math:`= n_{no\\ cert} / n_{graduates}` (0–1).

    Returns
    -------
    DataFrame
        ``school_id, year, grade, graduates_n, no_certificate_n, no_certificate_share``; rows
        only where one of the two numbers is given.

    Raises
    ------
    DataError
        Two rows of one school × year × grade giving different numbers, or more pupils without
        a certificate than graduates (naming file, row, column and value).

    Examples
    --------
    R equivalent: ``aggregate(cbind(graduates_n, no_certificate_n) ~ school_id + year + grade,
    r, FUN = unique)``, then ``no_certificate_n / graduates_n``.
    """
    check_columns(results, ["school_id", "year", "grade"], file)
    cols = [c for c in ("graduates_n", "no_certificate_n") if c in results.columns]
    out_cols = ["school_id", "year", "grade", "graduates_n", "no_certificate_n",
                "no_certificate_share"]
    if not cols:
        return pd.DataFrame(columns=out_cols)
    r = results[["school_id", "year", "grade"]].copy()
    r["_pos"] = np.arange(len(r))
    for c in ("graduates_n", "no_certificate_n"):
        r[c] = _num(results, c)
    r = r[r[["graduates_n", "no_certificate_n"]].notna().any(axis=1)]
    key = ["school_id", "year", "grade"]
    for c in ("graduates_n", "no_certificate_n"):
        k = r.dropna(subset=[c]).groupby(key)[c].transform("nunique")
        if (k > 1).any():
            first = r.loc[k[k > 1].index]
            pos = int(first["_pos"].iloc[-1])
            same = first[(first[key] == first[key].iloc[-1]).all(axis=1)]
            raise DataError(f"{_where(results, pos, file)}, column {c!r}: value "
                            f"{first[c].iloc[-1]:g}; expected the same number on every row of "
                            f"the school, year and grade (found {sorted(same[c].unique())})")
    out = r.groupby(key, as_index=False)[["graduates_n", "no_certificate_n"]].first()
    bad = out["no_certificate_n"] > out["graduates_n"]
    if bad.any():
        b = out[bad].iloc[0]
        raise DataError(f"{file}: school {b['school_id']}, year {b['year']}, grade "
                        f"{b['grade']}, column 'no_certificate_n': value "
                        f"{b['no_certificate_n']:g}; expected at most graduates_n = "
                        f"{b['graduates_n']:g}")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["no_certificate_share"] = out["no_certificate_n"] / out["graduates_n"].where(
            out["graduates_n"] > 0)
    return out[out_cols]


def school_results(results: pd.DataFrame) -> pd.DataFrame:
    """One result per school and year: the mean z-score over procedure × subject × grade.

    Each mean score is standardised within its year × procedure × subject × grade across
    schools, :math:`z = (x - \\bar x) / s`, then averaged per school-year weighted by the
    participants, so that different tests add up. Returns ``school_id, year, below_min_pct,
    high_pct`` (means of the tests' percents), ``n_tests`` and ``result`` (the z-score mean);
    from a table passed through :func:`derive_results` also ``pass_share``, ``quality_share``
    and ``mean_mark`` pooled over the ВПР and ОГЭ rows with mark counts
    (:math:`\\sum_k n_k p_k / \\sum_k n_k`) and, where the form gives graduates,
    ``no_certificate_share`` pooled over grades 9 and 11.

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
    agg = agg.drop(columns=["wz", "w"])
    if "quality_share" in r and "n_participants" in r:
        m = r[r["quality_share"].notna()].copy()
        cols = ["pass_share", "quality_share", "mean_mark"]
        for c in cols:
            m[c] = m[c] * m["n_participants"]
        pooled = m.groupby(["school_id", "year"])[cols + ["n_participants"]].sum()
        for c in cols:
            pooled[c] = pooled[c] / pooled["n_participants"].where(pooled["n_participants"] > 0)
        agg = agg.merge(pooled[cols].reset_index(), on=["school_id", "year"], how="left")
    if {"graduates_n", "no_certificate_n"} <= set(r.columns):
        cert = certificates(results)
        if len(cert):
            c2 = cert.groupby(["school_id", "year"])[["graduates_n", "no_certificate_n"]].sum(
                min_count=1)
            c2["no_certificate_share"] = c2["no_certificate_n"] / c2["graduates_n"].where(
                c2["graduates_n"] > 0)
            agg = agg.merge(c2[["no_certificate_share"]].reset_index(),
                            on=["school_id", "year"], how="left")
    return agg


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
