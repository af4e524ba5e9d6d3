"""The school social passport (school x year) and the results of ВПР / ОГЭ / ЕГЭ (school x
year x procedure x subject x grade) for every school of the municipality."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from ..instruments import Instrument
from .climate import plant_climate
from .effects import plant_register
from .marks import FORM_COLUMNS, add_marks, pick_nonobjective
from .parameters import PASSPORT, PASSPORT_ROLE, PASSPORT_YESNO, PROCEDURES, RESULTS


def make_passport(st, inst: Instrument, schools, c, waves, n_students, n_teachers,
              n_classes_total):
    n, W = len(schools), len(waves)
    out = pd.DataFrame({"school_id": np.repeat(schools["school_id"].to_numpy(), W),
                        "year": np.tile(waves, n)})
    sidx = np.repeat(np.arange(n), W)
    village = (schools["stratum"].to_numpy() == "village").astype(float)
    for item in inst.items:
        rng = st("passport", item.id)
        iid = item.id
        spec = PASSPORT.get(iid)
        if spec is None and item.type == "numeric" and item.role in PASSPORT_ROLE:
            spec = PASSPORT_ROLE[item.role] + (0.30,)
        if spec is not None:
            mean, slope, sd = spec
            extra = 0.3 * village if iid in ("large_families_pct", "low_income_pct") else 0.0
            eta = rng.normal(0, sd, n) + extra
            lin = logit(mean / 100) + slope * c + eta
            x = 100 * expit(lin[sidx] + rng.normal(0, 0.08, n * W))
            x = np.round(x, 1)
        elif iid == "n_classes":
            x = np.repeat(n_classes_total, W).astype(float)
        elif iid == "second_shift_pct":
            city = (schools["stratum"].to_numpy() == "city").astype(float)
            lin = -3.0 + 1.2 * city - 0.3 * c + rng.normal(0, 0.8, n)
            x = np.where(village[sidx] == 1, 0.0,
                         np.round(100 * expit(lin[sidx] + rng.normal(0, 0.1, n * W)), 1))
        elif iid in PASSPORT_YESNO and item.type == "single" and set(item.codes) >= {0, 1}:
            city = (schools["stratum"].to_numpy() == "city").astype(float)
            p = expit(PASSPORT_YESNO[iid] + 0.8 * c + 0.8 * city - 0.8 * village)
            has = (rng.uniform(size=n) < p).astype(float)[sidx]
            flip = rng.uniform(size=n * W) < 0.05
            x = np.where(flip, 1 - has, has)
        elif iid == "location":
            x = schools["location"].to_numpy()[sidx].astype(float)
        elif iid == "n_students":
            x = n_students.reshape(-1).astype(float)
        elif iid == "n_teachers":
            x = n_teachers.reshape(-1).astype(float)
        elif iid == "teacher_vacancies":
            lam = np.exp(0.2 - 0.5 * c + 0.4 * village + rng.normal(0, 0.3, n))
            x = rng.poisson(lam[sidx]).astype(float)
        elif item.type == "numeric":
            lo, hi = item.min, item.max
            base = rng.uniform(lo + 0.1 * (hi - lo), lo + 0.4 * (hi - lo), n)
            x = np.round(base[sidx] * (1 + rng.normal(0, 0.05, n * W)), 1)
        elif item.type in ("single", "likert"):
            codes = sorted(item.codes)
            x = rng.choice(codes, n)[sidx].astype(float)
        elif item.type == "text":
            x = np.full(n * W, None, dtype=object)
        else:
            x = np.zeros((n * W,))
        if item.type == "numeric" and item.min is not None:
            x = np.clip(x, item.min, item.max)
        for col in item.columns:
            out[col] = x
    return out


def make_results(st, inst: Instrument, schools, c, waves, sets, sizes_by_grade,
                 climate_t=None):
    n, W = len(schools), len(waves)
    P = RESULTS
    rng = st("results", "schools")
    u = rng.normal(0, P["sd_u"], n)
    while np.any(bad := np.abs(u) >= P["u_trunc"]):
        u[bad] = rng.normal(0, P["sd_u"], bad.sum())
    u[sets["resilient"]] = rng.uniform(*P["resilient_u"], 3)
    u[sets["low"]] = rng.uniform(*P["low_z"], 3) - P["beta_context"] * c[sets["low"]]
    u[sets["high"]] = rng.uniform(*P["high_u"], 3)
    u[sets["unstable"]] = rng.uniform(-0.2, 0.2, 3)
    if climate_t is not None:   # the planted climate effect (demo/climate.py)
        u = plant_climate(u, climate_t, {int(x) for xs in sets.values() for x in xs})
    v = rng.normal(0, P["sd_year"], (n, W))
    v[sets["low"]] *= 0.4
    v[sets["high"]] *= 0.4
    sign = np.where(np.arange(W) % 2 == 0, 1.0, -1.0)
    for k, s in enumerate(sets["unstable"]):
        v[s] = P["unstable_swing"] * sign * (1 if k % 2 == 0 else -1)
    u, v = plant_register(u, v, c, sets, P["beta_context"])   # crisis, improvement (issue 13)
    true_z = P["beta_context"] * c[:, None] + u[:, None] + v   # school x year
    rows = []
    rr = st("results", "rows")
    for proc, (pname, specs) in PROCEDURES.items():
        for subj, grade, mu, sb, part in specs:
            z = true_z + rr.normal(0, P["sd_row"], (n, W))
            mean_true = mu + sb * z
            enrol = sizes_by_grade[:, :, grade - 1]
            npart = np.maximum(1, rr.binomial(enrol, part))
            sdw = P["sd_within"]
            mean_obs = mean_true + rr.normal(0, 1, (n, W)) * sdw / np.sqrt(npart)
            thr_min = mu + P["below_min_z"] * sdw
            thr_high = mu + P["high_z"] * sdw
            p_below = norm.cdf((thr_min - mean_true) / sdw)
            p_high = 1 - norm.cdf((thr_high - mean_true) / sdw)
            below = rr.binomial(npart, p_below)
            high = rr.binomial(npart, p_high)
            rows.append(pd.DataFrame({
                "school": np.repeat(np.arange(n), W), "year": np.tile(waves, n),
                "procedure": proc, "subject": subj, "grade": grade,
                "n_participants": npart.reshape(-1),
                "n_below": below.reshape(-1), "n_high": high.reshape(-1),
                "mean_obs": mean_obs.reshape(-1),
                "z": z.reshape(-1), "mean_true": mean_true.reshape(-1),
                "thr_min": thr_min, "thr_high": thr_high}))
    res = pd.concat(rows, ignore_index=True)
    # marks, primary scores, term marks, certificates; planted non-objective ВПР (demo/marks.py)
    nonobj = pick_nonobjective(st, c, u, sets, schools["sampled"].to_numpy() == 1
                               if "sampled" in schools else np.zeros(n, bool))
    res = add_marks(st, res, nonobj, sizes_by_grade, waves, P["sd_within"], P["below_min_z"])
    res.insert(0, "school_id", schools["school_id"].to_numpy()[res["school"]])
    res = res.sort_values(["school_id", "year", "procedure", "subject", "grade"],
                          kind="mergesort").reset_index(drop=True)
    out = res[["school_id", "year", "procedure", "subject", "grade"]].copy()
    known = {"n_participants", "mean_score", "below_min_pct", "high_pct", *FORM_COLUMNS}
    for item in inst.items:
        if item.id in known:
            out[item.id] = res[item.id].astype(float)
        elif item.type == "numeric":
            out[item.id] = np.round(st("results", item.id).uniform(
                item.min, item.min + 0.5 * (item.max - item.min), len(res)), 1)
        else:
            out[item.id] = np.nan
    return out, res, u, v, true_z

