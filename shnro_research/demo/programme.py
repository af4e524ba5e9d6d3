"""Programme monitoring (school x year), regional diagnostic work and regional values."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from .effects import programme_path
from .marks import MARKS
from .parameters import (ANXIETY_DIAG, DIAGNOSTICS, MISSED, PROCEDURES, PROGRAMME_DATA,
                         PROGRAMME_MISSING, REGION, RESULTS)


def programme_matrix(n: int, n_waves: int, programme) -> np.ndarray:
    """School x year programme path: 0 -> 1 linearly in the programme schools, 0 elsewhere."""
    prog = np.zeros((n, n_waves))
    prog[list(programme)] = programme_path(n_waves)
    return prog


def make_programme_data(st, schools, c, u, waves, ssets, n_students, n_teachers, passport):
    """Programme monitoring, one row per school x year (every school); returns (data, meta)."""
    n, W = len(schools), len(waves)
    prog = programme_matrix(n, W, ssets["programme"])
    village = (schools["stratum"].to_numpy() == "village").astype(float)
    tension = np.zeros(n)
    tension[ssets["high_tension"]] = 1.0
    ids = schools["school_id"].to_numpy()
    n_students = np.asarray(n_students, dtype=np.int64).reshape(n, W)
    n_teachers = np.asarray(n_teachers, dtype=np.int64).reshape(n, W)
    counts: dict[str, np.ndarray] = {}
    expected: dict[str, np.ndarray] = {}     # model value (no year noise, no sampling), % or rate
    for key, (base, cs, us, vs, sd, delta, ysd) in PROGRAMME_DATA.items():
        rng = st("programme", key)
        mu = logit(base / 100) + cs * c + us * u + vs * village + rng.normal(0, sd, n)
        lin = mu[:, None] + delta * prog
        denom = n_teachers if key == "n_teachers_trained" else n_students
        counts[key] = rng.binomial(denom, expit(lin + rng.normal(0, ysd, (n, W))))
        expected[key] = 100 * expit(lin)
    A = ANXIETY_DIAG
    psych = np.ones((n, W))
    if "has_psychologist" in passport.columns:
        psych = passport["has_psychologist"].to_numpy(float).reshape(n, W)
        psych = np.where(np.isin(psych, (0.0, 1.0)), psych, 0.0)
    rng = st("programme", "anxiety")
    lin_a = (logit(A["assessed"] / 100) + A["psychologist"] * psych
             + rng.normal(0, A["assessed_sd"], n)[:, None] + A["assessed_programme"] * prog)
    assessed = rng.binomial(n_students, expit(lin_a + rng.normal(0, A["year_sd"], (n, W))))
    lin_r = (logit(A["reduced"] / 100) + A["high_tension"] * tension
             + rng.normal(0, A["reduced_sd"], n))[:, None] + A["reduced_programme"] * prog
    reduced = rng.binomial(assessed, expit(lin_r + rng.normal(0, A["year_sd"], (n, W))))
    expected["n_anxiety_assessed"] = 100 * expit(lin_a)
    expected["n_anxiety_reduced"] = 100 * expit(lin_r)
    M = MISSED
    rng = st("programme", "missed_lessons")
    lin_m = (np.log(M["per_pupil"]) + M["c"] * c + M["village"] * village
             + M["high_tension"] * tension + rng.normal(0, M["sd"], n))[:, None] \
        + M["programme"] * prog
    missed = np.rint(n_students * np.exp(lin_m + rng.normal(0, M["year_sd"], (n, W))))
    expected["missed_lessons"] = np.exp(lin_m)
    flat = lambda a: np.asarray(a).reshape(-1)  # noqa: E731
    share = lambda k: np.round(100 * counts[k] / np.maximum(n_students, 1), 1)  # noqa: E731
    out = pd.DataFrame({
        "school_id": np.repeat(ids, W), "year": np.tile(np.asarray(waves, dtype=np.int64), n),
        "n_students": flat(n_students), "n_iom": flat(counts["n_iom"]),
        "n_add_edu": flat(counts["n_add_edu"]), "n_projects": flat(counts["n_projects"]),
        "n_individual_progress": flat(counts["n_individual_progress"]),
        "n_anxiety_assessed": flat(assessed), "n_anxiety_reduced": flat(reduced),
        "missed_lessons": flat(missed).astype(np.int64),
        "fail_pct": flat(share("fail_pct")), "marks_45_pct": flat(share("marks_45_pct")),
        "n_teachers": flat(n_teachers), "n_teachers_trained": flat(counts["n_teachers_trained"])})
    missing = []
    if W >= 3:   # one planted "no data" code: a non-programme school, middle year
        pool = [s for s in range(n) if s not in set(ssets["programme"])]
        s = int(st("programme", "missing").choice(pool))
        y = waves[W // 2]
        col, code = PROGRAMME_MISSING["column"], PROGRAMME_MISSING["code"]
        out.loc[(out["school_id"] == ids[s]) & (out["year"] == y), col] = code
        missing.append(dict(school_id=str(ids[s]), year=int(y), column=col, code=code))
    return out, dict(expected=expected, prog=prog, missing=missing)


def make_diagnostics(st, schools, c, u, waves, ssets, sizes_by_grade):
    """Regional reading / science literacy tests: school x year x work x grade."""
    P = DIAGNOSTICS
    n, W = len(schools), len(waves)
    prog = programme_matrix(n, W, ssets["programme"])
    rows, school_z = [], {}
    for work, specs in P["works"].items():
        rng = st("diagnostics", work)
        zs = P["beta_context"] * c + P["u_weight"] * u + rng.normal(0, P["sd_work"], n)
        school_z[work] = zs
        z_sy = zs[:, None] + rng.normal(0, P["sd_year"], (n, W)) + P["programme"] * prog
        for grade, mu, sb in specs:
            z = z_sy + rng.normal(0, P["sd_row"], (n, W))
            npart = np.maximum(1, rng.binomial(sizes_by_grade[:, :, grade - 1],
                                               P["participation"]))
            mean_obs = mu + sb * z + rng.normal(0, 1, (n, W)) * P["sd_within"] / np.sqrt(npart)
            rows.append(pd.DataFrame({
                "school_id": np.repeat(schools["school_id"].to_numpy(), W),
                "year": np.tile(np.asarray(waves, dtype=np.int64), n), "work": work,
                "grade": grade, "n_participants": npart.reshape(-1).astype(np.int64),
                "mean_score": np.round(np.clip(mean_obs, 0, 100), 1).reshape(-1)}))
    out = pd.concat(rows, ignore_index=True).sort_values(
        ["school_id", "year", "work", "grade"], kind="mergesort").reset_index(drop=True)
    return out, dict(school_z=school_z)


def make_region(st, waves, res_raw):
    """Regional values per year x procedure x subject from the population model of the results."""
    P, R = RESULTS, REGION
    a = P["u_trunc"] / P["sd_u"]    # variance of N(0, sd_u^2) truncated to |u| < u_trunc
    var_u = P["sd_u"] ** 2 * (1 - 2 * a * norm.pdf(a) / (2 * norm.cdf(a) - 1))
    tau2 = P["beta_context"] ** 2 + var_u + P["sd_year"] ** 2 + P["sd_row"] ** 2
    rng = st("region")
    w = rng.normal(0, R["year_sd"], len(waves))
    wz = res_raw.assign(wz=res_raw["z"] * res_raw["n_participants"]) \
        .groupby(["procedure", "subject"])[["wz", "n_participants"]].sum()
    zbar = (wz["wz"] / wz["n_participants"]).to_dict()
    cells = [(proc, subj, mu, sb) for proc, (_, specs) in PROCEDURES.items()
             for subj, mu, sb in dict.fromkeys((s_, m_, b_) for s_, _g, m_, b_, _p in specs)]
    cell_eff = dict(zip([(p_, s_) for p_, s_, _, _ in cells],
                        rng.normal(0, R["cell_sd"], len(cells))))
    rows = []
    sdw = P["sd_within"]
    for k, y in enumerate(waves):
        for proc, subj, mu, sb in cells:
            mean = mu + sb * (zbar[(proc, subj)] + R["z_shift"] + cell_eff[(proc, subj)] + w[k])
            sd_tot = np.sqrt(sdw ** 2 + sb ** 2 * tau2)
            below = 100 * norm.cdf((mu + P["below_min_z"] * sdw - mean) / sd_tot)
            high = 100 * norm.sf((mu + P["high_z"] * sdw - mean) / sd_tot)
            marks = proc != 3    # ВПР, ОГЭ: marks 2-5 (demo/marks.py); ЕГЭ: test scores only
            good = 100 * norm.sf((mu + MARKS["mark4_z"] * sdw - mean) / sd_tot)   # marks 4, 5
            mean_mark = (2 * below + 3 * (100 - below - good) + 4 * (good - high)
                         + 5 * high) / 100
            rows.append(dict(year=int(y), procedure=int(proc), subject=int(subj),
                             below_min_pct=round(float(below), 1),
                             high_pct=round(float(high), 1), mean_score=round(float(mean), 1),
                             pass_pct=round(float(100 - below), 1) if marks else np.nan,
                             quality_pct=round(float(good), 1) if marks else np.nan,
                             mean_mark=round(float(mean_mark), 2) if marks else np.nan))
    return pd.DataFrame(rows), dict(
        tau2=float(tau2), var_u=float(var_u), year_effects=[round(float(x), 4) for x in w],
        municipal_mean_z={f"{p_}_{s_}": round(float(z), 4) for (p_, s_), z in zbar.items()},
        cell_effects={f"{p_}_{s_}": round(float(e), 4) for (p_, s_), e in cell_eff.items()})

