"""The planted truth of the survey side (context, results, tension, dynamics, values, life
success, needs, teachers' community), computed from the generating parameters.

Independence: nothing here calls the code under test (scoring, design estimates, context,
models, typology, dynamics, indicators). Expected values come from the model (normal CDFs,
Gauss–Hermite quadrature, Monte Carlo of the generating mechanism); the few "observed" numbers
(ICC(1), rwg(J), the low-result rule, correlations) are computed here with plain numpy / pandas.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..instruments import Instrument
from .answers import choose, gumbel_rank
from .truth_register import register_truth
from .parameters import (A_RESP, B_ITEM, BLANK_RATE, CONSENSUS, DELTA_SD, GROUPS,
                         MISSING_CODE_RATE, NEED_DELTA_SD, NEEDS, PASSPORT, PASSPORT_ROLE,
                         PASSPORT_YESNO, PROCEDURES, PROGRAMME, PVQ_ACQ_SD, PVQ_DELTA_SD,
                         PVQ_PROFILE, RESILIENT_PROFILE, RESULTS, SEX_ANXIETY,
                         TENSION)


def _expected_code(mean, sd, taus, lo):
    mean = np.asarray(mean, float)
    return lo + norm.cdf((mean[..., None] - taus) / np.asarray(sd, float)[..., None]).sum(-1)


#: share of respondents getting the planted sex shift: girls (50 %) among those not leaving
#: ``sex`` blank
P_FEMALE = 0.5 * (1 - BLANK_RATE)


def _expected_code_mix(mean, sd, taus, lo, shift):
    """Expected code over the respondents: a share P_FEMALE has its latent shifted by ``shift``."""
    if not shift:
        return _expected_code(mean, sd, taus, lo)
    boys = _expected_code(mean - shift * P_FEMALE, sd, taus, lo)
    girls = _expected_code(mean + shift * (1 - P_FEMALE), sd, taus, lo)
    return (1 - P_FEMALE) * boys + P_FEMALE * girls


def _ids(schools, idx):
    return [str(schools["school_id"].iloc[i]) for i in idx]


def _scale_expectations(inst: Instrument, params, scale_id, schools_idx, waves):
    """Expected scale score (codes, reverse-keyed items already turned back) per school x wave."""
    sc = inst.scales.get(scale_id)
    if sc is None:
        return None
    vals = []
    for iid in sc.items:
        p = params.get(iid)
        if p is None:
            return None
        M = p["M"][schools_idx]
        sd = np.sqrt((p["f"][schools_idx] ** 2)[:, None] * (A_RESP ** 2 + B_ITEM ** 2)
                     + p["acq"] ** 2) * np.ones_like(M)
        vals.append(_expected_code_mix(M + p["delta"], sd, p["taus"], p["lo"],
                                       p.get("sex_shift", 0.0)))
    return np.mean(vals, axis=0)


def _sex_difference(params, scale_items, schools_idx):
    """Expected girls - boys difference of the scale score (codes) per school x wave."""
    diffs = []
    for iid in scale_items:
        p = params[iid]
        M = p["M"][schools_idx] + p["delta"]
        sd = np.sqrt((p["f"][schools_idx] ** 2)[:, None] * (A_RESP ** 2 + B_ITEM ** 2)
                     + p["acq"] ** 2) * np.ones_like(M)
        sh = p.get("sex_shift", 0.0)
        diffs.append(_expected_code(M + sh * (1 - P_FEMALE), sd, p["taus"], p["lo"])
                     - _expected_code(M - sh * P_FEMALE, sd, p["taus"], p["lo"]))
    return np.mean(diffs, axis=0)


def _population_expected(params, item_ids, group_weights):
    """Expected item code over the population of sampled schools (equal school weights)."""
    out = {}
    for iid in item_ids:
        p = params[iid]
        M = p["M"][group_weights]
        sd = np.sqrt((p["f"][group_weights] ** 2)[:, None] * (A_RESP ** 2 + B_ITEM ** 2)
                     + p["acq"] ** 2) * np.ones_like(M)
        out[iid] = float(np.mean(_expected_code_mix(M + p["delta"], sd, p["taus"], p["lo"],
                                                    p.get("sex_shift", 0.0))))
    return out


def _low_result_rule(res: pd.DataFrame, share: float = 30.0, n_procedures: int = 2,
                     n_years: int = 2) -> list[str]:
    d = res.assign(nb=res["below_min_pct"] * res["n_participants"])
    g = d.groupby(["school_id", "year", "procedure"])[["nb", "n_participants"]].sum()
    low = (g["nb"] / g["n_participants"]) >= share
    years = low.groupby(level=[0, 1]).sum() >= n_procedures
    n_low = years.groupby(level=0).sum()
    return sorted(n_low[n_low >= n_years].index.tolist())


def _gh_nodes(n=40):
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


def _scale_moments(params, items, schools_idx, wave=0):
    """Exact mean and within-school variance of a mean scale score per school (quadrature over
    the respondent's shared latent; items independent given it)."""
    x, w = _gh_nodes()
    mean = np.zeros((len(schools_idx), len(x)))
    var_cond = np.zeros_like(mean)
    J = len(items)
    for iid in items:
        p = params[iid]
        M = p["M"][schools_idx, wave] + p["delta"]
        f = p["f"][schools_idx]
        shared = np.sqrt((f * A_RESP) ** 2 + p["acq"] ** 2)
        loc = M[:, None] + shared[:, None] * x[None, :]               # school x node
        pk = norm.cdf((loc[..., None] - p["taus"]) / (f * B_ITEM)[:, None, None])
        e1 = pk.sum(-1)
        e2 = (pk * (2 * np.arange(1, len(p["taus"]) + 1) - 1)).sum(-1)
        mean += e1 / J
        var_cond += (e2 - e1 ** 2) / J ** 2
    m = (mean * w).sum(1)
    within = (var_cond * w).sum(1) + ((mean - m[:, None]) ** 2 * w).sum(1)
    lo = params[items[0]]["lo"]
    return m + lo, within


def _mc_rank(util, rng, n=20000):
    r = gumbel_rank(rng, util, n)
    return r.mean(0)


def _mc_choice(util, rng, max_choices, n=50000):
    return choose(rng, util, n, max_choices).mean(0)


def _icc1(df, group_col, value_col):
    d = df[[group_col, value_col]].dropna()
    g = d.groupby(group_col)[value_col]
    n_g, m_g = g.size(), g.mean()
    N, G = len(d), len(n_g)
    grand = d[value_col].mean()
    msb = (n_g * (m_g - grand) ** 2).sum() / (G - 1)
    msw = ((d[value_col] - d[group_col].map(m_g)) ** 2).sum() / (N - G)
    k = N / G
    return float((msb - msw) / (msb + (k - 1) * msw))


def _rwg_j(df, items, lo, hi):
    """James, Demaree & Wolf rwg(J) with a uniform null, per group (``school_id``)."""
    A = hi - lo + 1
    s2eu = (A ** 2 - 1) / 12
    var = df.groupby("school_id")[items].var(ddof=1).mean(axis=1)
    J = len(items)
    ratio = var / s2eu
    r = J * (1 - ratio) / (J * (1 - ratio) + ratio)
    return r.clip(lower=0, upper=1).where(ratio < 1, 0.0)


def _score(df, inst, scale_id):
    sc = inst.scales[scale_id]
    mat = []
    for iid in sc.items:
        it = inst.item(iid)
        x = df[iid].astype(float).where(df[iid].isin(list(it.codes)))
        if it.reverse:
            x = min(it.codes) + max(it.codes) - x
        mat.append(x)
    return pd.concat(mat, axis=1).mean(axis=1)


def build_truth(st, seed, inst, schools, c, waves, rsets, ssets, params, res_raw, u, v, true_z,
                 passport, answers, problems):
    ids = lambda idx: _ids(schools, idx)  # noqa: E731
    sampled = np.flatnonzero(schools["sampled"].to_numpy() == 1)
    T: dict[str, Any] = {"seed": int(seed), "waves": list(waves),
                         "generator": "shnro_research.demo.generate_demo"}
    T["schools"] = [dict(school_id=str(schools["school_id"].iloc[s]),
                         stratum=str(schools["stratum"].iloc[s]), context=round(float(c[s]), 6),
                         u_results=round(float(u[s]), 6), sampled=int(schools["sampled"].iloc[s]))
                    for s in range(len(schools))]
    # --- context and passport -------------------------------------------------------------
    T["context"] = dict(
        definition="c_s: standardised (mean 0, SD 1 over the municipality) latent school context; "
                   "higher = more favourable; stratum shifts city +0.6, town 0, village -0.7 "
                   "before standardising",
        passport_model="share = 100 * logistic(logit(mean/100) + slope * c_s + eta_s + eps_st), "
                       "eta_s ~ N(0, sd^2) (+0.3 for villages on low income and large families), "
                       "eps_st ~ N(0, 0.08^2)",
        passport={k: dict(mean_share=m, logit_slope=s, school_sd=sd,
                          direction="+" if s > 0 else "-") for k, (m, s, sd) in PASSPORT.items()},
        passport_by_role={k: dict(mean_share=m, logit_slope=sl) for k, (m, sl) in
                          PASSPORT_ROLE.items()},
        staffing_yes_no={k: f"P(yes) = logistic({a} + 0.8 c_s + 0.8 city - 0.8 village), "
                            "5 % of school-years flipped" for k, a in PASSPORT_YESNO.items()},
        second_shift="0 in villages; else 100 logistic(-3 + 1.2 city - 0.3 c_s + N(0, 0.8^2))",
        teacher_vacancies="Poisson(exp(0.2 - 0.5 c_s + 0.4 village + N(0, 0.3^2)))")
    pcols = [k for k in PASSPORT if k in passport.columns]
    if pcols:
        pm = passport.groupby("school_id")[pcols].mean().reindex(schools["school_id"])
        T["context"]["observed_corr_with_context"] = {
            k: round(float(np.corrcoef(pm[k], c)[0, 1]), 4) for k in pcols}
    # --- results --------------------------------------------------------------------------
    P = RESULTS
    zbar = true_z.mean(1)
    slope = float(np.polyfit(c, zbar, 1)[0])
    sd_total = float(np.sqrt(P["beta_context"] ** 2 + np.var(u, ddof=1) + P["sd_year"] ** 2
                             + P["sd_row"] ** 2))
    by_rule = _low_result_rule(res_raw)
    T["results"] = dict(
        model="z_styp = beta * c_s + u_s + v_sy + e_styp; mean_score = mu_p + sigma_p * z "
              "(+ pupils' sampling noise sd_within/sqrt(n)); shares from a normal pupil "
              "distribution (SD sd_within) around the true mean, binomial in n_participants",
        beta_context=P["beta_context"],
        beta_context_units="z units (1 = sigma_p points of the procedure) per SD of context",
        beta_context_std=round(P["beta_context"] / sd_total, 4),
        beta_context_std_note="beta / SD of a single result row's z in the population "
                              "(= corr of a row's z with c)",
        beta_context_realised=round(slope, 4),
        beta_context_realised_note="OLS slope of the school's true mean z (all rows, years) on "
                                   "c_s over the generated schools",
        corr_school_mean_true_with_context=round(float(np.corrcoef(zbar, c)[0, 1]), 4),
        parameters={k: (list(v_) if isinstance(v_, tuple) else v_) for k, v_ in P.items()},
        procedures={str(k): dict(name=name, rows=[dict(subject=s, grade=g, mu=mu, sigma=sb,
                                                       participation=pt)
                                                  for s, g, mu, sb, pt in specs])
                    for k, (name, specs) in PROCEDURES.items()},
        subjects={"1": "русский язык", "2": "математика"},
        resilient_schools=ids(rsets["resilient"]),
        resilient_definition="context in the bottom third of the municipality and u_s in "
                             f"[{P['resilient_u'][0]}, {P['resilient_u'][1]}] (results SD units)",
        low_result_schools=ids(rsets["low"]),
        low_result_definition="context not in the top third and c_s >= (max(low_z) + 1) / "
                              f"beta = {(P['low_z'][1] + 1) / P['beta_context']:.3f}; u_s = z - "
                              f"beta c_s with z ~ U{tuple(P['low_z'])} (so u_s <= -1.0 and the "
                              "school's true mean is about 2 SD below the average), year noise "
                              "x0.4 (stable)",
        low_result_by_rule=by_rule,
        low_result_rule="share below the minimum, pooled over a procedure's rows (weighted by "
                        "n_participants), >= 30 % on >= 2 procedures of a year, in >= 2 years "
                        "(computed on the generated results)",
        stably_high_schools=ids(rsets["high"]),
        stably_high_definition=f"context above the bottom third, u_s in {list(P['high_u'])}, "
                               "year noise x0.4",
        unstable_schools=ids(rsets["unstable"]),
        unstable_definition=f"u_s ~ U(-0.2, 0.2), v_sy = +/-{P['unstable_swing']} alternating "
                            "between consecutive years",
        year_effects={str(schools["school_id"].iloc[s]): [round(float(x), 4) for x in v[s]]
                      for s in rsets["unstable"]},
    )
    # --- survey truths ----------------------------------------------------------------------
    tens = {}
    for g in GROUPS:
        e = _scale_expectations(inst[g], params[g], "tension", sampled, waves)
        if e is not None:
            tens[g] = {str(schools["school_id"].iloc[s]): [round(float(x), 4) for x in e[k]]
                       for k, s in enumerate(sampled)}
    T["tension"] = dict(
        model="latent M = group mean + school effect (0.30 z_s - 0.15 c_s, z_s ~ N(0,1) "
              "truncated to |z| < 1.8, shared by the groups) + group deviation 0.10 N(0,1) + "
              "programme path; planted schools: M = group mean + planted level",
        group_mean=TENSION["group_mu"],
        high_tension_schools=ids(ssets["high_tension"]),
        high_tension_level=TENSION["high_level"],
        discrepancy_school=ids(ssets["discrepancy"])[0],
        discrepancy_level=TENSION["discrepancy_level"],
        expected_scale_mean=tens,
        expected_scale_mean_note="expected tension scale score (mean of items, reverse-keyed items "
                                 "turned back, code units) per sampled school, one value per wave")
    # dynamics
    dyn = {}
    prog = ssets["programme"]
    for g in GROUPS:
        for sid in ("tension", "motivation", "anxiety"):
            if sid not in inst[g].scales:
                continue
            e = _scale_expectations(inst[g], params[g], sid, sampled, waves)
            if e is None:
                continue
            diff = e[:, -1] - e[:, 0]
            dyn.setdefault(g, {})[sid] = {
                str(schools["school_id"].iloc[s]): round(float(diff[k]), 4)
                for k, s in enumerate(sampled) if s in prog}
    T["dynamics"] = dict(
        programme_schools=ids(prog),
        latent_shift_at_last_wave=PROGRAMME,
        path="linear in the wave index: 0 at the first wave, full shift at the last",
        expected_change_first_to_last=dyn,
        expected_change_note="expected change of the school's scale mean (code units), last wave "
                             "minus first wave; exactly 0 for every other school and scale "
                             "(relationship satisfaction follows tension: -0.5 x its shift)",
        other_schools_change=0.0,
        values_change=0.0)
    # planted sex difference in students' anxiety
    g_sx = SEX_ANXIETY["group"]
    sc_anx = inst[g_sx].scales.get("anxiety")
    if sc_anx is not None and all(i in params[g_sx] for i in sc_anx.items):
        d = _sex_difference(params[g_sx], list(sc_anx.items), sampled)
        T["sex_difference"] = dict(
            group=g_sx, scale="anxiety", by="sex",
            contrast=f"{SEX_ANXIETY['female_code']} - 1 (girls - boys)",
            latent_shift=SEX_ANXIETY["shift"],
            model="latent of every anxiety item + shift x (girl - p_sw): girls (sex code 2) "
                  "+ shift (1 - p_sw), the others (boys, blank sex) - shift p_sw, p_sw the "
                  "realised share of girls in the school x wave (deterministic, centred so the "
                  "school x wave mean latent is unchanged by the sex composition)",
            share_female=P_FEMALE,
            expected_difference={str(w): round(float(d[:, k].mean()), 4)
                                 for k, w in enumerate(waves)},
            expected_difference_range={str(w): [round(float(d[:, k].min()), 4),
                                                round(float(d[:, k].max()), 4)]
                                       for k, w in enumerate(waves)},
            note="expected girls - boys difference of the anxiety scale score (code units), "
                 "mean over the sampled schools (equal weights) per wave; the range over "
                 "schools is narrow because the shift is the same everywhere")
    # values: Rokeach and PVQ
    vals: dict[str, Any] = {"rokeach": {}, "pvq": {}}
    for g in GROUPS:
        for it in inst[g].items_of(type="ranking"):
            util = params[g][it.id]["utilities"]
            mr = _mc_rank(util, st("truth", "rank", g, it.id))
            order = np.argsort(-util)
            vals["rokeach"].setdefault(it.id, {})[g] = dict(
                order=[it.options[j].ru for j in order],
                order_columns=[it.columns[j] for j in order],
                utilities={it.columns[j]: round(float(util[j]), 4) for j in range(len(util))},
                expected_mean_rank={it.columns[j]: round(float(mr[j]), 3)
                                    for j in range(len(util))})
        pvq_scales = [s for s, sc in inst[g].scales.items()
                      if sc.role == "pvq_value" or s.startswith("pvq_")]
        if pvq_scales:
            exp = {}
            for s in pvq_scales:
                e = _scale_expectations(inst[g], params[g], s, sampled, waves)
                if e is not None:
                    exp[s] = round(float(e.mean()), 4)
            vals["pvq"][g] = dict(latent_profile=PVQ_PROFILE[g], expected_scale_mean=exp,
                                  order=sorted(exp, key=lambda k: -exp[k]),
                                  acquiescence_sd=PVQ_ACQ_SD)
    T["values"] = vals
    # life success
    life: dict[str, Any] = {}
    for g in GROUPS:
        for it in inst[g].items_of(type="multiple"):
            util = params[g][it.id]["utilities"]
            pr = _mc_choice(util, st("truth", "choice", g, it.id), it.max_choices)
            mc = min(it.max_choices or min(4, len(util)), len(util))
            life.setdefault(it.id, {})[g] = dict(
                probability={it.columns[j]: round(float(pr[j]), 4) for j in range(len(util))},
                options={it.columns[j]: it.options[j].ru for j in range(len(util))},
                utilities={it.columns[j]: round(float(util[j]), 4) for j in range(len(util))},
                n_choices_distribution={str(m): round(2 ** (m - 1) / (2 ** mc - 1), 4)
                                        for m in range(1, mc + 1)},
                top3=[it.columns[j] for j in np.argsort(-pr)[:3]])
    T["life_success"] = dict(
        model="choose the m best options of utility + Gumbel noise; P(m) proportional to "
              "2^(m-1), m = 1..max_choices; 1 % skip the question",
        items=life, probability_note="Monte Carlo (50 000 draws) expected share choosing "
                                     "each option (among those answering)")
    # needs
    needs = {}
    for g in GROUPS:
        imp = [it.id for it in inst[g].items if it.role == "need_importance"]
        real = [it.id for it in inst[g].items if it.role == "need_realisation"]
        if not imp or not real:
            continue
        ei = _population_expected(params[g], imp, sampled)
        er = _population_expected(params[g], real, sampled)
        needs[g] = [dict(importance=a, realisation=b,
                         text=inst[g].item(a).text.ru,
                         expected_importance=round(ei[a], 4),
                         expected_realisation=round(er[b], 4),
                         expected_gap=round(ei[a] - er[b], 4),
                         planted_large_gap=bool(re.search(r"(\d+)$", b) and
                                                int(re.search(r"(\d+)$", b).group(1))
                                                in NEEDS["gap_items"]))
                    for a, b in zip(imp, real)]
    T["needs"] = dict(model=f"importance latent mean {NEEDS['imp_mu']}; realisation latent mean "
                            f"{NEEDS['real_mu']} + school N(0, 0.2^2); needs "
                            f"{list(NEEDS['gap_items'])} get an extra {NEEDS['gap_extra']} "
                            "on realisation (by item number)",
                      large_gap_needs=list(NEEDS["gap_items"]), by_group=needs,
                      note="expected codes averaged over the sampled schools (equal weights)")
    # teachers' professional community
    tinst = inst["teachers"]
    pc_scales = [s for s in tinst.scales if s.startswith("pc_") or s in
                 ("leadership", "high_results", "demandingness")]
    tea = answers["teachers"]
    icc_obs, rwg_obs = {}, {}
    for s in pc_scales:
        sc = _score(tea, tinst, s)
        icc_obs[s] = round(_icc1(tea[["school_id"]].assign(_s=sc), "school_id", "_s"), 4)
    f = np.ones(len(c))
    f[ssets["consensus_high"]] = CONSENSUS["high_f"]
    f[ssets["consensus_low"]] = CONSENSUS["low_f"]
    icc_model, icc_latent = {}, {}
    for s in pc_scales:
        J = len(tinst.scales[s].items)
        mult = CONSENSUS["ideal_scale"] if s == "pc_ideal" else 1.0
        tau2 = (CONSENSUS["school_sd"] * mult) ** 2
        within = np.mean(f[sampled] ** 2) * (A_RESP ** 2 + B_ITEM ** 2 / J)
        icc_latent[s] = round(float(tau2 / (tau2 + within)), 4)
        m, wv = _scale_moments(params["teachers"], list(tinst.scales[s].items), sampled)
        icc_model[s] = round(float(np.var(m, ddof=1) / (np.var(m, ddof=1) + wv.mean())), 4)
    if "pc_values" in tinst.scales:
        items = [i for i in tinst.scales["pc_values"].items]
        it0 = tinst.item(items[0])
        clean = tea[["school_id", "wave"] + items].copy()   # not a copy of every answer
        for i in items:
            it = tinst.item(i)
            clean[i] = clean[i].where(clean[i].isin(list(it.codes)))
        per_wave = [_rwg_j(clean[clean["wave"] == w], items, min(it0.codes), max(it0.codes))
                    for w in waves]
        rw = pd.concat(per_wave, axis=1).mean(axis=1)
        rwg_obs = {k: round(float(x), 4) for k, x in rw.items()}
    res_set = set(int(x) for x in rsets["resilient"])
    is_res = np.array([s in res_set for s in sampled])
    prof_diff = {}
    for s in RESILIENT_PROFILE["scales"]:
        e = _scale_expectations(tinst, params["teachers"], s, sampled, waves) \
            if s in tinst.scales else None
        if e is not None and is_res.any() and (~is_res).any():
            d = e[is_res].mean(0) - e[~is_res].mean(0)
            prof_diff[s] = {str(w): round(float(d[k]), 4) for k, w in enumerate(waves)}
    T["teachers_community_resilient"] = dict(
        resilient_schools=ids(sorted(res_set)),
        scales=list(RESILIENT_PROFILE["scales"]),
        level_sd=RESILIENT_PROFILE["level"],
        latent_effect=round(CONSENSUS["school_sd"] * RESILIENT_PROFILE["level"], 4),
        model="the resilient schools' school effect on these teachers' scales is set to "
              "level_sd x school_sd (replacing their random draw; high_results keeps + 0.15 c_s)",
        expected_difference=prof_diff,
        expected_difference_note="expected teachers' scale score (code units): mean over the "
                                 "sampled resilient schools minus mean over the other sampled "
                                 "schools (equal school weights), per wave; positive = higher "
                                 "in the resilient schools")
    T["teachers_community"] = dict(
        scales=pc_scales,
        school_sd=CONSENSUS["school_sd"],
        consensus_high_schools=ids(ssets["consensus_high"]),
        consensus_low_schools=ids(ssets["consensus_low"]),
        within_multiplier={"high": CONSENSUS["high_f"], "low": CONSENSUS["low_f"], "other": 1.0},
        icc1_true=icc_model,
        icc1_true_note="ICC(1) of the scale score in code units implied by the model for the "
                       "sampled schools: var over schools of the expected score (ddof 1) / (that + "
                       "mean within-school variance), exact by quadrature",
        icc1_latent=icc_latent,
        icc1_latent_note="same on the continuous latent: tau^2 / (tau^2 + mean(f^2)(a^2 + b^2/J))",
        icc1_observed=icc_obs,
        rwg_j_pc_values_observed=rwg_obs,
        rwg_note="rwg(J) (uniform null) of the pc_values items per school, mean over waves, "
                 "computed on the generated data")
    T["register"] = register_truth(schools, c, waves, rsets, res_raw)   # issue 13
    T["planted_problems"] = problems
    T["response_model"] = dict(
        likert="y* = M[school, wave] + delta_item + f_school (0.65 e_resp + 0.75 eps_item); "
               "codes cut at equally spaced thresholds (spacing min(1, 4/(K-1)), centred); "
               "reverse-keyed items stored as min+max-code",
        delta_item_sd=DELTA_SD, delta_item_sd_pvq=PVQ_DELTA_SD, delta_item_sd_needs=NEED_DELTA_SD,
        missing_code_rate=MISSING_CODE_RATE, blank_rate=BLANK_RATE,
        ranking="Plackett-Luce: ranks of utility + Gumbel(0, 1); 1 % skip",
        sample=dict(pupil_response=0.85, parent_response=0.65, teacher_response=0.80,
                    classes_per_school=2))
    return jsonable(T)


def jsonable(x):
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    return x

