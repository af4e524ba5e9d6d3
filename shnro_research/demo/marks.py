"""Marks, primary scores, term marks and certificates of the demo's results form, drawn from the
latent results of :func:`~shnro_research.demo.schools.make_results`, and the two schools with
planted non-objective ВПР results.

Model (one row = school × year × procedure × subject × grade, latent true mean ``mean_true``,
pupils' SD ``sd_within``, thresholds ``thr_min`` and ``thr_high`` of the results model):

* mark 2 = the pupils below ``thr_min`` and mark 5 = those above ``thr_high`` -- the very draws
  that give ``below_min_pct`` and ``high_pct`` (binomial in the participants); the others are
  split into marks 3 and 4 at ``mu + mark4_z * sd_within`` by a binomial draw with the
  ordered-probit probability :math:`P(3 \\mid 3\\text{ or }4) = [\\Phi(a_4) - \\Phi(a_2)] /
  [\\Phi(a_5) - \\Phi(a_2)]`, :math:`a_t = (t - \\text{mean\\_true}) / sd_{within}`;
* ЕГЭ: the same draws give the bands below the minimum and 81–100; the middle is split at
  ``ege_band_cut`` test points into "minimum–60" and "61–80";
* primary scores: ``mean_primary = mean_score / 100 * max_primary`` (the demo treats the ЕГЭ test
  score as proportional to the primary score, a simplification);
* term marks (ВПР only, pupil level): the pupil's term mark is his objective ВПР mark + 1 with
  probability ``term.up``, − 1 with ``term.down``, the same otherwise, kept in 2–5 (teachers'
  marks are on average a little more lenient than the ВПР);
* non-objective ВПР (2 schools, every year, every ВПР row): each pupil's reported mark 2 becomes
  3 with probability ``raise_two`` and marks 3 and 4 go up by one with probability
  ``raise_prob``; the term marks stay those of the objective marks; the mean score rises by
  ``score_shift`` pupils' SDs;
* certificates (grades 9 and 11): graduates = the grade's enrolment;
  without a certificate ~ Binomial(graduates, ``scale`` × the share of mark 2 / below the
  minimum over the grade's rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

#: marks and bands: the mark-4 threshold (pupils' SD units above mu) and the ЕГЭ 60/61 cut
MARKS = dict(mark4_z=0.15, ege_band_cut=60.5)
#: maximum primary score per (procedure, subject, grade): demo values of the order of recent
#: specifications, not taken from them; other rows use ``MAX_PRIMARY_DEFAULT``
MAX_PRIMARY = {(1, 1, 5): 45, (1, 1, 6): 51, (1, 1, 7): 47, (1, 1, 8): 51,
               (1, 2, 5): 20, (1, 2, 6): 20, (1, 2, 7): 19, (1, 2, 8): 25,
               (2, 1, 9): 33, (2, 2, 9): 31, (3, 1, 11): 50, (3, 2, 11): 32}
MAX_PRIMARY_DEFAULT = 30
#: term marks (ВПР rows): P(term = objective mark + 1), P(term = objective mark - 1)
TERM = dict(up=0.30, down=0.10)
#: planted non-objective ВПР results
NONOBJECTIVE = dict(n_schools=2, raise_two=0.95, raise_prob=0.70, score_shift=0.5)
#: pupils without a certificate: P = scale x share below the minimum of the grade's rows
CERTIFICATE = dict(scale=0.25)
_VPR, _EGE = 1, 3


def pick_nonobjective(st, c, u, sets, sampled) -> np.ndarray:
    """Two schools for the planted non-objective ВПР: not in any planted results set, not
    sampled (so that no survey truth moves), context in the middle third and :math:`|u_s| <
    0.4` where possible (so that no resilient, low-result or unstable truth moves)."""
    k = NONOBJECTIVE["n_schools"]
    taken = {int(x) for xs in sets.values() for x in np.atleast_1d(xs)}
    lo, hi = np.quantile(c, [1 / 3, 2 / 3])
    free = [s for s in range(len(c)) if s not in taken]
    pools = ([s for s in free if not sampled[s] and lo < c[s] <= hi and abs(u[s]) < 0.4],
             [s for s in free if not sampled[s] and c[s] > lo],
             [s for s in free if c[s] > lo], free)
    pool = next((p for p in pools if len(p) >= k), None)
    if pool is None:            # a municipality too small for them (e.g. 15 schools): none
        return np.array([], dtype=int)
    return np.sort(st("results", "nonobjective_schools").choice(pool, k, replace=False))


def add_marks(st, res: pd.DataFrame, nonobjective, sizes_by_grade, waves, sd_within: float,
              below_min_z: float) -> pd.DataFrame:
    """Add the form's counts, primary scores, term marks and certificates to the rows of
    ``make_results`` (columns ``school, year, procedure, subject, grade, n_participants,
    n_below, n_high, mean_obs, mean_true, thr_min, thr_high``); sets ``below_min_pct``,
    ``high_pct`` and ``mean_score`` from the reported counts and ``nonobjective`` (bool)."""
    r = res.copy()
    n = r["n_participants"].to_numpy(np.int64)
    proc = r["procedure"].to_numpy()
    ege = proc == _EGE
    m2 = r["n_below"].to_numpy(np.int64)
    m5 = np.minimum(r["n_high"].to_numpy(np.int64), n - m2)
    mt = r["mean_true"].to_numpy(float)
    tmin, thigh = r["thr_min"].to_numpy(float), r["thr_high"].to_numpy(float)
    mu = tmin - below_min_z * sd_within
    cut = np.where(ege, MARKS["ege_band_cut"], mu + MARKS["mark4_z"] * sd_within)
    F = lambda t: norm.cdf((t - mt) / sd_within)  # noqa: E731
    den = F(thigh) - F(tmin)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_low = np.where(den > 0, np.clip((F(cut) - F(tmin)) / den, 0, 1), 0.5)
    rest = n - m2 - m5
    m3 = st("results", "marks").binomial(rest, p_low)
    counts = np.column_stack([m2, m3, rest - m3, m5])
    planted = (proc == _VPR) & np.isin(r["school"].to_numpy(), nonobjective)
    # pupil level on the ВПР rows: term marks and the planted inflation
    vpr = np.flatnonzero(proc == _VPR)
    C = counts[vpr]
    R = len(vpr)
    row = np.repeat(np.repeat(np.arange(R), 4), C.ravel())
    k = np.repeat(np.tile(np.arange(2, 6), R), C.ravel())
    d = st("results", "term_marks").choice([1, 0, -1], size=len(k),
                                           p=[TERM["up"], 1 - TERM["up"] - TERM["down"],
                                              TERM["down"]])
    term = np.clip(k + d, 2, 5)
    q = st("results", "nonobjective").uniform(size=len(k))
    pl = planted[vpr][row]
    rep = np.where(pl & (k == 2) & (q < NONOBJECTIVE["raise_two"]), 3, k)
    rep = np.where(pl & ((k == 3) | (k == 4)) & (q < NONOBJECTIVE["raise_prob"]), k + 1, rep)
    counts[vpr] = np.bincount(row * 4 + rep - 2, minlength=4 * R).reshape(R, 4)
    nv = np.maximum(n[vpr], 1)
    term_mean = np.bincount(row, weights=term, minlength=R) / nv
    cmp_ = {"below_term_n": rep < term, "equal_term_n": rep == term, "above_term_n": rep > term}
    mean_obs = r["mean_obs"].to_numpy(float) + planted * NONOBJECTIVE["score_shift"] * sd_within
    score = np.clip(mean_obs, 0, 100)
    maxp = np.array([MAX_PRIMARY.get(key, MAX_PRIMARY_DEFAULT) for key in
                     zip(proc, r["subject"].to_numpy(), r["grade"].to_numpy())], dtype=float)
    nan = np.full(len(r), np.nan)
    for j, col in enumerate(("mark2_n", "mark3_n", "mark4_n", "mark5_n")):
        r[col] = np.where(ege, nan, counts[:, j])
    for j, col in enumerate(("ege_below_min_n", "ege_min_60_n", "ege_61_80_n", "ege_81_100_n")):
        r[col] = np.where(ege, counts[:, j], nan)
    r["mean_score"] = np.round(score, 1)
    r["below_min_pct"] = np.round(100 * counts[:, 0] / n, 1)
    r["high_pct"] = np.round(100 * counts[:, 3] / n, 1)
    r["mean_primary"] = np.round(score / 100 * maxp, 2)
    r["max_primary"] = maxp
    r["mean_test_score"] = np.where(ege, np.round(score, 1), nan)
    r["term_mark_mean"] = nan
    r.loc[r.index[vpr], "term_mark_mean"] = np.round(term_mean, 2)
    for col, hit in cmp_.items():
        r[col] = nan
        r.loc[r.index[vpr], col] = np.bincount(row, weights=hit, minlength=R)
    r["nonobjective"] = planted
    # certificates: one number per school x year x grade 9 / 11, on every row of that grade
    r["graduates_n"], r["no_certificate_n"] = nan, nan
    wpos = {int(w): i for i, w in enumerate(waves)}
    g = r[r["grade"].isin((9, 11))].assign(b=counts[r["grade"].isin((9, 11)).to_numpy(), 0])
    if len(g):
        agg = g.groupby(["school", "year", "grade"])[["b", "n_participants"]].sum()
        s_, y_, gr_ = (np.asarray(agg.index.get_level_values(i)) for i in range(3))
        grads = sizes_by_grade[s_, [wpos[int(y)] for y in y_], gr_ - 1].astype(np.int64)
        p = np.clip(CERTIFICATE["scale"] * agg["b"].to_numpy() / agg["n_participants"]
                    .to_numpy(), 0, 1)
        none = st("results", "certificates").binomial(grads, p)
        cert = pd.DataFrame({"school": s_, "year": y_, "grade": gr_, "graduates_n": grads,
                             "no_certificate_n": none})
        m = r[["school", "year", "grade"]].merge(cert, how="left",
                                                on=["school", "year", "grade"])
        r["graduates_n"] = m["graduates_n"].to_numpy(float)
        r["no_certificate_n"] = m["no_certificate_n"].to_numpy(float)
    return r


def objectivity_truth(res_raw: pd.DataFrame) -> dict:
    """The planted non-objective ВПР results, for ``truth["objectivity"]``."""
    rows = res_raw[res_raw["nonobjective"]]
    vpr = res_raw[res_raw["procedure"] == _VPR]
    above = vpr["above_term_n"] / vpr["n_participants"]
    return dict(
        flagged_schools=sorted(map(str, rows["school_id"].unique())),
        flagged_rows=int(len(rows)),
        definition="every ВПР row (all years, subjects, grades) of these schools: reported mark "
                   f"2 -> 3 with probability {NONOBJECTIVE['raise_two']}, marks 3 and 4 up by one "
                   f"with probability {NONOBJECTIVE['raise_prob']}; term marks from the objective "
                   f"marks; mean score + {NONOBJECTIVE['score_shift']} sd_within",
        term_model=f"term mark = objective ВПР mark + 1 (p = {TERM['up']}), - 1 "
                   f"(p = {TERM['down']}), else equal, kept in 2..5",
        marks_model="mark 2 / 5 = the pupils below thr_min / above thr_high (the draws of "
                    "below_min_pct / high_pct); 3 vs 4 split at mu + "
                    f"{MARKS['mark4_z']} sd_within (ordered probit, binomial)",
        share_above_term_planted=round(float(above[vpr["nonobjective"]].mean()), 4),
        share_above_term_others=round(float(above[~vpr["nonobjective"]].mean()), 4),
        certificates=f"no certificate ~ Binomial(graduates, {CERTIFICATE['scale']} x share below "
                     "the minimum of the grade's rows)",
    )


#: the results form's columns this module writes (besides the percents)
FORM_COLUMNS = ("mark2_n", "mark3_n", "mark4_n", "mark5_n", "ege_below_min_n", "ege_min_60_n",
                "ege_61_80_n", "ege_81_100_n", "mean_primary", "max_primary", "mean_test_score",
                "term_mark_mean", "below_term_n", "equal_term_n", "above_term_n", "graduates_n",
                "no_certificate_n")
