"""Schools, classes and the multistage sample of the demo municipality.

Stage 1 draws schools with the library's sampler (:func:`shnro_research.design.sampling.
pps_systematic`: randomised systematic PPS within strata, certainty units first); stage 2 draws
2 classes of grades 8–11 by SRS in each sampled school; stage 3 takes every pupil of a sampled
class (and every teacher of a sampled school), with nonresponse.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..design.sampling import _pps_probs, pps_systematic
from .parameters import CLASSES_PER_SCHOOL, STRATA, STRATUM_SHARE


def allocate(total: int, shares, minimum: int) -> np.ndarray:
    raw = np.asarray(shares, float) * total
    n = np.maximum(np.floor(raw).astype(int), minimum)
    while n.sum() < total:
        n[np.argmax(raw - n)] += 1
    while n.sum() > total:
        n[np.argmax(n - raw)] -= 1
    return n


def make_schools(st, n_schools: int, waves: tuple[int, ...]):
    rng = st("schools")
    n_h = allocate(n_schools, STRATUM_SHARE, 5)
    stratum = np.repeat(np.arange(3), n_h)
    c_raw = np.array([0.6, 0.0, -0.7])[stratum] + rng.normal(0, 0.8, n_schools)
    c = (c_raw - c_raw.mean()) / c_raw.std(ddof=1)
    ids = [f"S{k + 1:02d}" for k in range(n_schools)]
    schools = pd.DataFrame({"school_id": ids, "stratum": np.array(STRATA)[stratum],
                            "location": stratum + 1})
    # parallels per grade 1..11 and class sizes by stratum
    base_par = np.where(stratum == 0, rng.integers(2, 5, n_schools),
                        np.where(stratum == 1, rng.integers(1, 3, n_schools), 1))
    jitter = rng.integers(-1, 2, (n_schools, 11)) * (base_par[:, None] > 1)
    par = np.clip(base_par[:, None] + jitter, 1, None)
    mean_size = np.array([26.0, 22.0, 11.0])[stratum]
    sd_size = np.array([2.5, 3.0, 3.0])[stratum]
    rows = []
    for s in range(n_schools):
        k = 0
        for g in range(8, 12):
            for _ in range(par[s, g - 1]):
                k += 1
                rows.append((s, ids[s], f"{ids[s]}-C{k}", g))
    classes = pd.DataFrame(rows, columns=["school", "school_id", "class_id", "grade"])
    lo = np.array([18, 12, 4])[stratum[classes["school"]]]
    hi = np.array([32, 30, 20])[stratum[classes["school"]]]
    base = np.clip(np.rint(rng.normal(mean_size[classes["school"]], sd_size[classes["school"]])),
                   lo, hi)
    sizes = np.clip(np.rint(base[:, None] + rng.normal(0, 1.5, (len(classes), len(waves)))),
                    lo[:, None], hi[:, None]).astype(int)
    # pupils of grades 1..7 (for n_students): parallels x the school's mean class size
    lower = (par[:, :7].sum(1)[:, None] * mean_size[:, None]
             * (1 + rng.normal(0, 0.04, (n_schools, len(waves)))))
    upper = np.zeros((n_schools, len(waves)))
    np.add.at(upper, classes["school"].to_numpy(), sizes)
    n_students = np.rint(lower + upper).astype(int)
    n_teachers = np.clip(np.rint(n_students[:, 0] / 14 + rng.normal(0, 2, n_schools)), 15, 40)
    n_teachers = np.clip(np.rint(n_teachers[:, None] + rng.normal(0, 1, (n_schools, len(waves)))),
                         15, 40).astype(int)
    schools["n_classes"] = classes.groupby("school").size().reindex(range(n_schools)).to_numpy()
    schools["n_classes_total"] = par.sum(1)
    schools["measure"] = upper[:, 0].astype(int)
    return schools, classes, sizes, c, n_students, n_teachers


def make_sample(st, schools, classes, sizes, n_sampled, waves, n_teachers,
                classes_per_school=CLASSES_PER_SCHOOL):
    """Draw the sample and build the frame (every wave x class of grades 8–11, every wave x
    school's teachers) with probabilities, weights and response counts.

    Stage 1 uses :func:`~shnro_research.design.sampling.pps_systematic` with the demo's
    ``sample`` stream, stratum by stratum; ``p_school`` is recorded for every school of the
    frame (not only the drawn ones) from the same inclusion probabilities.
    """
    rng = st("sample")
    n_schools = len(schools)
    strata = schools["stratum"].to_numpy()
    n_h = allocate(n_sampled, [np.mean(strata == h) for h in STRATA], 2)
    p_school = np.zeros(n_schools)
    sampled = np.zeros(n_schools, bool)
    measure = schools["measure"].to_numpy(float)
    for h, name in enumerate(STRATA):
        idx = np.flatnonzero(strata == name)
        chosen, _ = pps_systematic(measure[idx], int(n_h[h]), rng)
        p_school[idx] = _pps_probs(measure[idx], int(n_h[h]))[0]   # every school of the stratum
        sampled[idx[chosen]] = True
    schools = schools.assign(p_school=p_school, sampled=sampled.astype(int))
    # second stage: classes_per_school (default 2) classes by SRS within each sampled school (the smallest random keys)
    cls = classes.copy()
    k_s = cls.groupby("school")["class_id"].transform("size").to_numpy()
    cls["p_class"] = np.minimum(1.0, classes_per_school / k_s)
    u = rng.uniform(size=len(cls))
    rank = pd.Series(u).groupby(cls["school"].to_numpy()).rank(method="first").to_numpy()
    cls["sampled"] = (sampled[cls["school"]] & (rank <= classes_per_school)).astype(int)
    # per wave: enrolment, response of pupils (~85 %), parents (~65 %), teachers (~80 %)
    frames = []
    for w, wave in enumerate(waves):
        f = cls.copy()
        f["wave"] = wave
        f["n_pupils"] = sizes[:, w]
        rr = rng.beta(0.85 * 40, 0.15 * 40, len(f))
        f["n_responded"] = np.where(f["sampled"] == 1,
                                    np.maximum(1, rng.binomial(f["n_pupils"], rr)), 0)
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True)
    frame["unit"] = "class"
    frame["p_school"] = p_school[frame["school"]]
    frame["stratum"] = strata[frame["school"]]
    frame["measure"] = schools["measure"].to_numpy()[frame["school"]]
    t = pd.DataFrame({"school": np.repeat(np.arange(n_schools), len(waves)),
                      "wave": np.tile(waves, n_schools)})
    t["school_id"] = schools["school_id"].to_numpy()[t["school"]]
    t["class_id"] = ""
    t["grade"] = pd.NA
    t["unit"] = "teachers"
    t["p_class"] = 1.0
    t["sampled"] = sampled[t["school"]].astype(int)
    t["n_pupils"] = n_teachers.reshape(-1)  # school-major, wave-minor
    t["n_responded"] = np.where(t["sampled"] == 1,
                                rng.binomial(t["n_pupils"], rng.beta(32, 8, len(t))), 0)
    t["p_school"] = p_school[t["school"]]
    t["stratum"] = strata[t["school"]]
    t["measure"] = schools["measure"].to_numpy()[t["school"]]
    frame = pd.concat([frame, t], ignore_index=True)
    frame["p_unit"] = 1.0  # every pupil of a sampled class / every teacher is asked
    prob = frame["p_school"] * frame["p_class"] * frame["p_unit"]
    frame["weight"] = np.where(frame["sampled"] == 1, 1.0 / prob, np.nan)
    return schools, frame

