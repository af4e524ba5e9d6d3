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


#: further programme-data items read by the programme catalogues (Minusinsk 3, 7, 9, 17, 18;
#: Smolensk 5, ОР 10; Kirovgrad К 6): the model of PROGRAMME_DATA, column: (base %, c_slope,
#: u_slope, village_shift, school_sd, programme, year_sd); the denominator is n_teachers for the
#: teachers' items, n_add_edu for n_add_edu_tech, n_olympiad for n_olympiad_winners, else
#: n_students. has_school_programme: 1 in a programme school from its second year, else 1 with
#: probability HAS_PROGRAMME_OTHERS (fixed per school).
PROGRAMME_EXTRA = {
    "n_teachers_methods": (45.0, 0.10, 0.10, 0.0, 0.40, 1.50, 0.10),
    "n_teachers_innovation": (15.0, 0.10, 0.10, 0.0, 0.50, 1.20, 0.12),
    "n_olympiad": (30.0, 0.30, 0.30, -0.20, 0.30, 0.60, 0.10),
    "n_olympiad_winners": (10.0, 0.30, 0.40, 0.0, 0.40, 0.60, 0.15),
    "n_add_edu_tech": (27.0, 0.20, 0.0, -0.30, 0.35, 0.60, 0.10),
}
_EXTRA_DENOMINATOR = {"n_teachers_methods": "n_teachers", "n_teachers_innovation": "n_teachers",
                      "n_olympiad_winners": "n_olympiad", "n_add_edu_tech": "n_add_edu"}
HAS_PROGRAMME_OTHERS = 0.25
#: columns of the demo's programme_data, in the order of the form surveys/programme_data.yaml
PROGRAMME_COLUMNS = ["school_id", "year", "n_students", "n_iom", "n_add_edu", "n_add_edu_tech",
                     "n_projects", "n_olympiad", "n_olympiad_winners", "n_individual_progress",
                     "n_anxiety_assessed", "n_anxiety_reduced", "missed_lessons", "fail_pct",
                     "marks_45_pct", "n_teachers", "n_teachers_trained", "n_teachers_methods",
                     "n_teachers_innovation", "has_school_programme"]


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
    for key, (base, cs, us, vs, sd, delta, ysd) in {**PROGRAMME_DATA, **PROGRAMME_EXTRA}.items():
        rng = st("programme", key)
        mu = logit(base / 100) + cs * c + us * u + vs * village + rng.normal(0, sd, n)
        lin = mu[:, None] + delta * prog
        denom = (n_teachers if key == "n_teachers_trained" else
                 counts[_EXTRA_DENOMINATOR[key]] if _EXTRA_DENOMINATOR.get(key) in counts else
                 n_teachers if _EXTRA_DENOMINATOR.get(key) == "n_teachers" else n_students)
        counts[key] = rng.binomial(denom, expit(lin + rng.normal(0, ysd, (n, W))))
        expected[key] = 100 * expit(lin)
    has_prog = (prog > 0) | (st("programme", "has_school_programme").random(n)
                             < HAS_PROGRAMME_OTHERS)[:, None]
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
        "n_teachers": flat(n_teachers), "n_teachers_trained": flat(counts["n_teachers_trained"]),
        "has_school_programme": flat(has_prog).astype(np.int64),
        **{k: flat(counts[k]) for k in PROGRAMME_EXTRA}})[PROGRAMME_COLUMNS]
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



#: demo statuses of the qualitative results: the probabilities of the codes of the form
#: surveys/programme_results.yaml (1 не реализуется ... 7 не достигнуто) in the first and the
#: last year of the study (linear in between); -9 «нет сведений» with probability NO_INFO
RESULT_STATUS_P = {"first": {1: 0.30, 2: 0.35, 3: 0.25, 4: 0.10},
                   "last": {3: 0.25, 4: 0.35, 5: 0.25, 6: 0.10, 7: 0.05}}
#: demo execution of the action plan (form surveys/action_plan.yaml: 1 done, 2 partly done,
#: 3 not done, 4 not yet due) in the first and the last year
ACTION_STATUS_P = {"first": {1: 0.30, 2: 0.15, 3: 0.10, 4: 0.45},
                   "last": {1: 0.70, 2: 0.15, 3: 0.15}}
NO_INFO = 0.05
#: project-authored reasons for an item not done or partly done (the demo's own words)
REASONS = ("нет специалиста (вакансия)", "перенос сроков по решению координационной группы",
           "недостаточное финансирование", "мероприятие заменено другим")


def _catalogue_items(catalogue_index) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(programme, number) of the qualitative results (with the qualitative indicators) and of
    the action-plan items of the bundled catalogues, read as plain YAML."""
    import yaml
    raw = yaml.safe_load(catalogue_index.read_text(encoding="utf-8"))
    res, act = [], []
    for f in raw["include"]:
        cat = yaml.safe_load((catalogue_index.parent / f).read_text(encoding="utf-8"))
        pid = cat["programme"]["id"]
        res += [(pid, r["number"]) for r in cat.get("results") or []]
        res += [(pid, i["number"]) for i in cat["indicators"] if i["kind"] == "qualitative"]
        act += [(pid, a["number"]) for a in cat.get("actions") or []]
    return res, act


def make_programme_status(st, waves, catalogue_index):
    """Demo tables ``programme_results`` and ``action_plan``: one row per catalogue item and year
    with a status drawn from RESULT_STATUS_P / ACTION_STATUS_P (interpolated over the years),
    -9 with probability NO_INFO; reasons for items not done / partly done; the municipality's
    evidence and responsible as project-authored texts. Returns (results, plan, meta)."""
    res_items, act_items = _catalogue_items(catalogue_index)
    W = len(waves)
    out = []
    for name, items, probs in (("results", res_items, RESULT_STATUS_P),
                               ("action_plan", act_items, ACTION_STATUS_P)):
        rng = st("programme_status", name)
        codes = sorted(set(probs["first"]) | set(probs["last"]))
        rows = []
        for k, y in enumerate(waves):
            w = k / (W - 1) if W > 1 else 1.0
            p = np.array([(1 - w) * probs["first"].get(c, 0) + w * probs["last"].get(c, 0)
                          for c in codes])
            draw = rng.choice(codes, size=len(items), p=p / p.sum())
            draw = np.where(rng.random(len(items)) < NO_INFO, -9, draw)
            for (pid, num), code in zip(items, draw):
                rows.append(dict(programme=pid, item=num, year=int(y), status=int(code)))
        d = pd.DataFrame(rows)
        if name == "results":
            d["evidence"] = np.where(d["status"].isin([2, 3, 4, 5, 6]),
                                     "приказ управления образования (демо)", "")
            d["date"] = d["year"].astype(str) + "-06-30"
        else:
            d["responsible"] = "управление образования (демо)"
            d["deadline"] = d["year"].astype(str) + "-12-31"
            bad = d["status"].isin([2, 3]).to_numpy()
            d["reason"] = ""
            d.loc[bad, "reason"] = rng.choice(REASONS, size=int(bad.sum()))
        out.append(d)
    meta = {name: d.assign(status=d["status"].astype(int)).groupby(["programme", "year", "status"])
            .size().rename("n").reset_index().to_dict("records")
            for name, d in zip(("programme_results", "action_plan"), out)}
    return out[0], out[1], meta
