"""Screen of ВПР results for signs of non-objectivity, before schools are identified.

Two groups of signs per school × year × subject × grade (``docs/METHODS.md`` § 13.5):

* **marks vs the school's own term marks** -- the same pupils' ВПР marks are well above their
  term marks in the class register: the share whose ВПР mark is above the term mark is at least
  ``max_above_term``, or the mean ВПР mark exceeds the mean term mark by ``max_mark_gap``;
* **an implausible distribution of marks** against the reference (the region's distribution of
  the year × subject, or the other schools of the municipality): too many 5s (share of 5s at
  least ``high_excess`` above the reference and :math:`P(X \\ge m_5) < \\alpha`,
  :math:`X \\sim \\text{Bin}(n, p_5)`), too few 2s (:math:`P(X \\le m_2) < \\alpha`,
  :math:`X \\sim \\text{Bin}(n, p_2)`), or the whole distribution (likelihood-ratio G-test
  against the reference, df = categories − 1, :math:`p < \\alpha`) shifted upwards.

Each group is judged on the row and on the school's ВПР rows of the year pooled (counts summed,
the reference weighted by the rows' participants), so that a school of small classes can be
judged; a sign on either level counts for the row.

Basis: Rosobrnadzor's statistical analysis of the 2017 ВПР (as reported, e.g. gazeta-pedagogov.ru
«Рособрнадзор направил в регионы результаты статистического анализа ВПР») flagged schools whose
ВПР result was notably above the region's while not confirmed by other evidence (there: the
school's ЕГЭ). Here the confirming evidence is the school's own term marks; the cut-offs are
project rules after that published approach, not Rosobrnadzor's numbers (which we could not
read). A row is flagged when both groups fire (``require="both"``), so that a strong school
whose term marks agree with its ВПР is not flagged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom, chi2

from .._checks import DataError, check_columns, check_number, check_option, public

_MARKS = ("mark2_n", "mark3_n", "mark4_n", "mark5_n")
_KEYS = ["school_id", "year", "procedure", "subject", "grade"]
_OUT = _KEYS + ["reference", "judged", "mean_mark", "term_mark_mean", "mark_gap",
                "above_term_share", "ref_above_term_share", "p_above_term", "below_min_share",
                "ref_below_min_share", "high_share", "ref_high_share", "ref_mean_mark",
                "p_excess_fives", "p_missing_twos", "sign_term", "sign_term_school",
                "sign_distribution", "sign_distribution_school", "flagged", "reasons", "df", "n",
                "statistic", "p_value"]


def g_test(observed, expected_share) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Likelihood-ratio (G) goodness-of-fit test of counts against shares, row-wise.

    :math:`G = 2 \\sum_k O_k \\ln(O_k / E_k)`, :math:`E_k = n p_k`, terms with :math:`O_k = 0`
    are 0; df = number of categories with :math:`p_k > 0` minus 1; an observed count in a
    category of share 0 gives :math:`G = \\infty`. Returns ``(G, df, p_value)``.

    R equivalent: ``G <- 2 * sum(o[o > 0] * log(o[o > 0] / (sum(o) * p[o > 0])));
    pchisq(G, df, lower.tail = FALSE)`` (``DescTools::GTest(o, p = p)``).
    """
    o = np.atleast_2d(np.asarray(observed, float))
    p = np.atleast_2d(np.asarray(expected_share, float))
    e = o.sum(1, keepdims=True) * p
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(o > 0, o * np.log(o / e), 0.0)
    g = 2 * term.sum(1)
    df = (p > 0).sum(1) - 1
    return g, df, chi2.sf(g, np.maximum(df, 1))


def _reference(results: pd.DataFrame, region: pd.DataFrame | None,
               reference: str) -> tuple[np.ndarray, np.ndarray]:
    """Reference shares of marks 2..5 per row (n x 4) and which reference each row used."""
    m = results[list(_MARKS)].to_numpy(float)
    keys = ["year", "procedure", "subject", "grade"]
    tot = results.groupby(keys)[list(_MARKS)].transform("sum").to_numpy(float)
    other = tot - m                                  # the other schools of the municipality
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = other / other.sum(1, keepdims=True)
    used = np.full(len(results), "municipality", dtype=object)
    if reference == "region" and region is not None and len(region) and \
            {"quality_pct", "below_min_pct", "high_pct"} <= set(region.columns):
        check_columns(region, ["year", "procedure", "subject"], "region")
        reg = region.copy()
        p2 = pd.to_numeric(reg["below_min_pct"], errors="coerce") / 100
        p5 = pd.to_numeric(reg["high_pct"], errors="coerce") / 100
        p45 = pd.to_numeric(reg["quality_pct"], errors="coerce") / 100
        shares = np.column_stack([p2, 1 - p2 - p45, p45 - p5, p5])
        bad = np.flatnonzero((shares < -0.005).any(1))
        if len(bad):
            i = int(bad[0])
            raise DataError(f"region: row {i + 1} (year={reg['year'].iloc[i]}, procedure="
                            f"{reg['procedure'].iloc[i]}, subject={reg['subject'].iloc[i]}), "
                            f"columns below_min_pct/quality_pct/high_pct: values {p2.iloc[i]:.3f}/"
                            f"{p45.iloc[i]:.3f}/{p5.iloc[i]:.3f} (shares); expected below_min_pct "
                            "+ quality_pct <= 100 and high_pct <= quality_pct")
        shares = np.clip(shares, 0, 1)
        reg[["r2", "r3", "r4", "r5"]] = shares
        reg = reg.dropna(subset=["r2", "r3", "r4", "r5"]).drop_duplicates(
            ["year", "procedure", "subject"])
        j = results[["year", "procedure", "subject"]].merge(
            reg[["year", "procedure", "subject", "r2", "r3", "r4", "r5"]], how="left",
            on=["year", "procedure", "subject"])
        rs = j[["r2", "r3", "r4", "r5"]].to_numpy(float)
        have = ~np.isnan(rs).any(1)
        ref = np.where(have[:, None], rs, ref)
        used = np.where(have, "region", used)
    return ref, used


def _term_signs(a_n, n, ref_above, gap, ok, max_above_term, max_mark_gap, alpha) -> dict:
    """Term-mark signs: share of pupils above their term mark >= ``max_above_term`` with a
    binomial P(X >= a | n, reference share) < ``alpha``, or mean gap >= ``max_mark_gap``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = a_n / n
        p = binom.sf(np.round(a_n) - 1, n, np.clip(ref_above, 1e-12, 1))
    above = np.nan_to_num((share >= max_above_term) & (p < alpha)).astype(bool) & ok
    gap_s = np.nan_to_num(gap >= max_mark_gap).astype(bool) & ok
    return {"above_term": above, "mark_gap": gap_s, "sign": above | gap_s, "share": share,
            "ref": ref_above, "p": p, "gap": gap}


def _distribution_signs(m, ref, judged, high_excess, alpha) -> dict:
    """Signs of an implausible distribution of counts ``m`` (rows x marks 2..5) against the
    reference shares ``ref``: too many 5s, too few 2s, the G-test with an upward shift."""
    n = m.sum(1)
    marks = np.arange(2, 6, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = m / n[:, None]
    g, df, p = g_test(np.where(judged[:, None], m, 1.0), np.where(judged[:, None], ref, 0.25))
    p_fives = binom.sf(m[:, 3] - 1, n, ref[:, 3])
    p_twos = binom.cdf(m[:, 0], n, ref[:, 0])
    out = {"excess_fives": (s[:, 3] - ref[:, 3] >= high_excess) & (p_fives < alpha),
           "missing_twos": (s[:, 0] < ref[:, 0]) & (p_twos < alpha),
           "distribution": (p < alpha) & (s @ marks > ref @ marks)}
    out = {k: np.nan_to_num(v.astype(float), nan=0.0).astype(bool) & judged
           for k, v in out.items()}
    out["sign"] = out["excess_fives"] | out["missing_twos"] | out["distribution"]
    out.update(g=g, df=df, p=p, p_fives=p_fives, p_twos=p_twos)
    return out


@public
def objectivity_screen(results: pd.DataFrame, region: pd.DataFrame | None = None, *,
                       procedure: int = 1, min_n: int = 10, max_above_term: float = 0.30,
                       max_mark_gap: float = 0.5, high_excess: float = 0.15,
                       alpha: float = 0.01, require: str = "both",
                       reference: str = "region") -> pd.DataFrame:
    """Flag ВПР results with signs of non-objectivity (module docstring for the rules).

    Parameters
    ----------
    results : DataFrame
        The results form: ``school_id, year, procedure, subject, grade, n_participants``,
        ``mark2_n`` … ``mark5_n``; optionally ``term_mark_mean`` and ``above_term_n`` (the
        ФИС ОКО comparison with the register marks). Rows of other procedures are ignored; a
        table without any mark column gives an empty screen.
    region : DataFrame, optional
        The region's values (``surveys/region.yaml``): ``year, procedure, subject,
        below_min_pct, high_pct, quality_pct``; shares of marks 2, 3, 4, 5 are ``below_min``,
        ``100 − below_min − quality``, ``quality − high``, ``high`` (percent / 100).
    procedure : int, default 1
        Code of ВПР in ``procedure``.
    min_n : int, default 10
        Rows with fewer participants are not judged (one pupil moves a share by >= 10 p.p.).
    max_above_term : float, default 0.30
        Share of pupils whose ВПР mark is above their term mark that fires the term sign, when
        also significantly above the other schools' share of the year × subject × grade
        (binomial, ``alpha``) (project rule; in the demo's objective schools the share is
        about 0.09).
    max_mark_gap : float, default 0.5
        Mean ВПР mark minus mean term mark (half a mark step) that fires the term sign.
    high_excess : float, default 0.15
        Share of 5s above the reference share (15 p.p.) needed for the "too many 5s" sign.
    alpha : float, default 0.01
        Significance level of each binomial and G test (a row is flagged only when two
        independent signs both pass it; pupils of a class are not independent draws, so the
        nominal level is optimistic).
    require : {"both", "either"}
        Flag a row when both groups of signs fire (default) or when either does.
    reference : {"region", "municipality"}
        The reference distribution: the region's for the year × subject where ``region`` has it
        (else the municipality's for that row), or always the other schools of the municipality
        in the same year × subject × grade (leave-one-out). Column ``reference`` says which.

    Returns
    -------
    DataFrame
        One row per ВПР row: keys, ``reference`` (region or municipality), ``judged``, the
        school's and the reference's shares, ``mark_gap``, the binomial tail probabilities,
        ``sign_term`` (row or school-year), ``sign_term_school`` (the school's ВПР rows of the
        year pooled), ``sign_distribution``, ``sign_distribution_school``, ``flagged``,
        ``reasons`` (text), then ``df``, ``n``, ``statistic`` (G) and ``p_value`` of the row's
        G-test.

    Examples
    --------
    >>> scr = objectivity_screen(results, region)          # doctest: +SKIP
    >>> scr.loc[scr.flagged, ["school_id", "year", "subject", "grade", "reasons"]]  # doctest: +SKIP

    R equivalent (one row): ``G <- 2 * sum(o * log(o / (n * p)))``, ``pchisq(G, 3, lower.tail =
    FALSE)``, ``pbinom(m5 - 1, n, p5, lower.tail = FALSE)``, ``pbinom(m2, n, p2)``.
    """
    check_number(min_n, "min_n", low=1, integer=True)
    for name, v in (("max_above_term", max_above_term), ("high_excess", high_excess)):
        check_number(v, name, low=0, high=1)
    check_number(max_mark_gap, "max_mark_gap", low=0, high=3)
    check_number(alpha, "alpha", low=0, high=1)
    check_option(require, "require", ("both", "either"))
    check_option(reference, "reference", ("region", "municipality"))
    if not set(_MARKS) & set(results.columns):      # a form without mark counts: nothing to screen
        return pd.DataFrame(columns=_OUT)
    check_columns(results, _KEYS + ["n_participants", *_MARKS], "results")
    r = results[pd.to_numeric(results["procedure"], errors="coerce") == procedure].copy()
    r = r.dropna(subset=list(_MARKS)).reset_index(drop=True)
    if not len(r):
        return pd.DataFrame(columns=_OUT)
    for c in _MARKS:
        r[c] = pd.to_numeric(r[c], errors="coerce").astype(float)
    m = r[list(_MARKS)].to_numpy(float)
    n = m.sum(1)
    nn = pd.to_numeric(r["n_participants"], errors="coerce").to_numpy(float)
    off = ~np.isnan(nn) & (np.abs(nn - n) > 1e-9)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise DataError(f"results: school {r['school_id'].iloc[i]}, year {r['year'].iloc[i]}, "
                        f"subject {r['subject'].iloc[i]}, grade {r['grade'].iloc[i]}, columns "
                        f"mark2_n..mark5_n: sum {n[i]:g}; expected n_participants = {nn[i]:g}")
    ref, used = _reference(r, region, reference)
    marks = np.arange(2, 6, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = m / n[:, None]
        mean_mark = s @ marks
        ref_mean = ref @ marks
        term = pd.to_numeric(r.get("term_mark_mean", pd.Series(np.nan, index=r.index)),
                             errors="coerce").to_numpy(float)
        above = pd.to_numeric(r.get("above_term_n", pd.Series(np.nan, index=r.index)),
                              errors="coerce").to_numpy(float) / n
    gap = mean_mark - term
    judged = (n >= min_n) & ~np.isnan(ref).any(1)
    d = _distribution_signs(m, ref, judged, high_excess, alpha)
    # the same signs on the school's ВПР rows of the year pooled (small classes gain power)
    codes = r.groupby(["school_id", "year"], sort=False).ngroup().to_numpy()
    uniq = np.arange(codes.max() + 1)
    ok = ~np.isnan(ref).any(1)
    pm = np.zeros((len(uniq), 4))
    pr = np.zeros((len(uniq), 4))
    np.add.at(pm, codes[ok], m[ok])
    np.add.at(pr, codes[ok], ref[ok] * n[ok, None])
    pn = pm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = pr / pn[:, None]
    pd_ = _distribution_signs(pm, pr, pn >= min_n, high_excess, alpha)
    school_sign = pd_["sign"][codes]
    # term sign: share above the term mark (binomial test against the other schools' share of
    # the year x subject x grade) or the mean gap; on the row and on the school's year pooled
    a_n = above * n
    has_a = ~np.isnan(a_n)
    grp = r.groupby(["year", "subject", "grade"], sort=False).ngroup().to_numpy()
    ga = pd.Series(np.where(has_a, a_n, 0.0)).groupby(grp).transform("sum").to_numpy()
    gn = pd.Series(np.where(has_a, n, 0.0)).groupby(grp).transform("sum").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ref_above = np.where(has_a, (ga - np.nan_to_num(a_n)) / (gn - n), np.nan)
    term_ok = n >= min_n
    t_row = _term_signs(a_n, n, ref_above, gap, term_ok, max_above_term, max_mark_gap, alpha)
    sa, sn, sr, sg, sgn = (np.zeros(len(uniq)) for _ in range(5))
    np.add.at(sa, codes[has_a], a_n[has_a])
    np.add.at(sn, codes[has_a], n[has_a])
    np.add.at(sr, codes[has_a], (ref_above * n)[has_a])
    has_g = ~np.isnan(gap)
    np.add.at(sg, codes[has_g], (gap * n)[has_g])
    np.add.at(sgn, codes[has_g], n[has_g])
    with np.errstate(invalid="ignore", divide="ignore"):
        t_sch = _term_signs(np.where(sn > 0, sa, np.nan), sn, sr / sn,
                            np.where(sgn > 0, sg / sgn, np.nan), np.maximum(sn, sgn) >= min_n,
                            max_above_term, max_mark_gap, alpha)
    sig = {"above_term": t_row["above_term"], "mark_gap": t_row["mark_gap"]}
    school_term = t_sch["sign"][codes]
    sign_term = t_row["sign"] | school_term
    sign_dist = d["sign"] | school_sign
    flagged = (sign_term & sign_dist) if require == "both" else (sign_term | sign_dist)
    pct = lambda x: f"{100 * x:.0f} %"  # noqa: E731

    def texts(dd, i, where, ref_, s_):
        t = []
        if dd["excess_fives"][i]:
            t.append(f"{where}5s {pct(s_[i, 3])} vs {pct(ref_[i, 3])} "
                     f"(binomial P = {dd['p_fives'][i]:.2g})")
        if dd["missing_twos"][i]:
            t.append(f"{where}2s {pct(s_[i, 0])} vs {pct(ref_[i, 0])} "
                     f"(binomial P = {dd['p_twos'][i]:.2g})")
        if dd["distribution"][i]:
            t.append(f"{where}marks shifted up: G = {dd['g'][i]:.1f}, df = {dd['df'][i]}, "
                     f"p = {dd['p'][i]:.2g}")
        return t

    with np.errstate(invalid="ignore", divide="ignore"):
        ps = pm / pn[:, None]
    reasons = []
    any_sign = sign_term | sign_dist
    for i in range(len(r)):
        t = []
        if not judged[i]:
            t.append(f"row not judged: {n[i]:g} participants (< {min_n})" if n[i] < min_n
                     else "row not judged: no reference distribution")
            if not any_sign[i]:
                reasons.append(t[0])
                continue
        elif not any_sign[i]:
            reasons.append("")
            continue
        if sig["above_term"][i]:
            t.append(f"ВПР mark above the term mark for {pct(above[i])} of pupils vs "
                     f"{pct(ref_above[i])} in the other schools (binomial P = "
                     f"{t_row['p'][i]:.2g})")
        if sig["mark_gap"][i]:
            t.append(f"mean ВПР mark {mean_mark[i]:.2f} vs term mark {term[i]:.2f} "
                     f"(gap >= {max_mark_gap:g})")
        if school_term[i]:
            k = codes[i]
            t.append(f"school's ВПР of the year: {pct(t_sch['share'][k])} of pupils above the "
                     f"term mark vs {pct(t_sch['ref'][k])} in the other schools (binomial P = "
                     f"{t_sch['p'][k]:.2g}), mean gap {t_sch['gap'][k]:+.2f}")
        t += texts(d, i, "", ref, s)
        t += texts(pd_, codes[i], "school's ВПР of the year: ", pr, ps)
        reasons.append(f"reference: {used[i]}; " + "; ".join(t))
    g, df, p, p_fives, p_twos = d["g"], d["df"], d["p"], d["p_fives"], d["p_twos"]
    nanj = lambda x: np.where(judged, x, np.nan)  # noqa: E731
    out = r[_KEYS].copy()
    out = out.assign(
        reference=used, judged=judged, mean_mark=mean_mark, term_mark_mean=term, mark_gap=gap,
        above_term_share=above, below_min_share=s[:, 0], ref_below_min_share=ref[:, 0],
        high_share=s[:, 3], ref_high_share=ref[:, 3], ref_mean_mark=ref_mean,
        p_excess_fives=nanj(p_fives), p_missing_twos=nanj(p_twos), sign_term=sign_term,
        ref_above_term_share=ref_above, p_above_term=t_row["p"], sign_term_school=school_term,
        sign_distribution=sign_dist, sign_distribution_school=school_sign, flagged=flagged,
        reasons=reasons,
        df=np.where(judged, df, np.nan), n=n.astype(np.int64), statistic=nanj(g),
        p_value=nanj(p))
    return out[_OUT]


@public
def drop_flagged(results: pd.DataFrame, screen: pd.DataFrame) -> pd.DataFrame:
    """The results without the rows the objectivity screen flagged (matched on school × year ×
    procedure × subject × grade); the other rows unchanged, in their order.

    Examples
    --------
    >>> kept = drop_flagged(results, objectivity_screen(results, region))  # doctest: +SKIP

    R equivalent: ``dplyr::anti_join(results, subset(screen, flagged), by = keys)``.
    """
    check_columns(results, _KEYS, "results")
    check_columns(screen, _KEYS + ["flagged"], "objectivity_screen")
    bad = screen.loc[screen["flagged"].astype(bool), _KEYS].astype(str).drop_duplicates()
    if not len(bad):
        return results.copy()
    k = results[_KEYS].astype(str)
    hit = k.merge(bad.assign(_hit=True), how="left", on=_KEYS)["_hit"].fillna(False)
    return results[~hit.to_numpy(bool)].copy()
