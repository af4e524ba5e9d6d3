"""The register's truth (issue 13): the statuses each school should hold each year, computed from
the demo's latent values with the demo's own copy of the register's default rules.

Independence: nothing here imports the code under test (typology, results, context). The rules
are written out again with plain numpy / pandas on the *latent* values the generator used:

* low results: the expected share of participants below the minimum of every result row,
  ``Phi((thr_min - mean_true) / sd_within)``, pooled over a procedure's rows weighted by
  participants; low when >= 30 % on >= 2 procedures of the year, or on the same procedure in two
  consecutive years;
* results index: each row's true mean standardised by the mean and SD (ddof 1) of its procedure x
  subject x grade over the schools of the first year, participants-weighted mean per school-year;
* low context: the latent context ``c_s`` (mean 0, SD 1 over the municipality) <= -0.43;
* resilient: low context, not low results, index >= 0;
* crisis: the index fell since the previous year by >= 3 robust SD (1.4826 x MAD) of all
  schools' year-to-year changes of the latent index; improvement: it rose in each of the last
  two years by >= 3 robust SD in all.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .effects import REGISTER_PLANT
from .parameters import RESULTS

#: the register's default rules, as the demo states them (docs/DEMO_TRUTH.md § 3a)
RULES = dict(low_threshold=0.30, min_procedures=2, same_procedure_years=2, low_context=-0.43,
             benchmark=0.0, crisis_sd=3.0, improvement_sd=3.0, improvement_years=2)


def _mad_sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def register_truth(schools: pd.DataFrame, c: np.ndarray, waves, rsets, res_raw: pd.DataFrame,
                   ) -> dict[str, Any]:
    """Planted crisis / improvement schools and the expected register of every school-year."""
    R = RULES
    ids = schools["school_id"].astype(str).to_numpy()
    W = len(waves)
    wpos = {w: k for k, w in enumerate(waves)}
    d = res_raw.copy()
    d["p_below"] = norm.cdf((d["thr_min"] - d["mean_true"]) / RESULTS["sd_within"])
    d["nb"] = d["p_below"] * d["n_participants"]
    g = d.groupby(["school", "year", "procedure"])[["nb", "n_participants"]].sum()
    fail = (g["nb"] / g["n_participants"] >= R["low_threshold"]).rename("fail").reset_index()
    fail["pos"] = fail["year"].map(wpos)
    fail = fail.sort_values(["school", "procedure", "pos"])
    prev = fail.groupby(["school", "procedure"])["fail"].shift(1).fillna(False).astype(bool)
    prev_pos = fail.groupby(["school", "procedure"])["pos"].shift(1)
    fail["repeat"] = fail["fail"] & prev & (fail["pos"] - prev_pos == 1)
    by_year = fail.groupby(["school", "year"]).agg(n_failed=("fail", "sum"),
                                                   repeat=("repeat", "any"))
    low = ((by_year["n_failed"] >= R["min_procedures"]) | by_year["repeat"]).unstack()
    low = low.reindex(index=range(len(ids)), columns=list(waves)).to_numpy(bool)
    # latent results index on the first year's scale
    ref = d[d["year"] == waves[0]].groupby(["procedure", "subject", "grade"])["mean_true"].agg(
        ["mean", "std"])
    d = d.merge(ref, left_on=["procedure", "subject", "grade"], right_index=True, how="left")
    d["wz"] = (d["mean_true"] - d["mean"]) / d["std"] * d["n_participants"]
    agg = d.groupby(["school", "year"])[["wz", "n_participants"]].sum()
    idx = (agg["wz"] / agg["n_participants"]).unstack().reindex(
        index=range(len(ids)), columns=list(waves)).to_numpy(float)
    change = np.full_like(idx, np.nan)
    change[:, 1:] = np.diff(idx, axis=1)
    sd = _mad_sd(change[:, 1:].ravel()) if W > 1 else float("nan")
    crisis = change <= -R["crisis_sd"] * sd
    k = R["improvement_years"]
    improve = np.zeros_like(idx, dtype=bool)
    for t in range(k, W):
        steps = change[:, t - k + 1:t + 1]
        improve[:, t] = (steps > 0).all(axis=1) & (steps.sum(axis=1) >= R["improvement_sd"] * sd)
    low_ctx = np.repeat((c <= R["low_context"])[:, None], W, axis=1)
    resilient = low_ctx & ~low & (idx >= R["benchmark"])
    rows = []
    for s in range(len(ids)):
        for t, w in enumerate(waves):
            rows.append(dict(school_id=ids[s], year=int(w), low_results=bool(low[s, t]),
                             low_context=bool(low_ctx[s, t]), resilient=bool(resilient[s, t]),
                             crisis=bool(crisis[s, t]) if t > 0 else None,
                             improvement=bool(improve[s, t]) if t >= k else None,
                             result_index=round(float(idx[s, t]), 4)))
    last = int(waves[-1])
    first = int(waves[0])
    return dict(
        rules=dict(RULES),
        rules_note="the register's defaults (typology.register and typology.low_threshold / "
                   "min_procedures), applied here to the latent values; low context uses the "
                   "latent c_s (SD units of the municipality) in place of the well-being index",
        planted=dict(REGISTER_PLANT),
        crisis_schools=[str(ids[s]) for s in rsets.get("crisis", [])],
        crisis_definition=f"true mean z = {REGISTER_PLANT['crisis_level']} (u_s = level - beta "
                          f"c_s), year noise x0.4, and a fall of {REGISTER_PLANT['crisis_fall']} "
                          f"z in the last wave ({last}); context above the bottom third",
        improvement_schools=[str(ids[s]) for s in rsets.get("improvement", [])],
        improvement_definition=f"among the {REGISTER_PLANT['improvement_pool']} lowest-context "
                               "schools outside the other sets: true mean z "
                               f"{REGISTER_PLANT['improvement_start']} in {first} rising "
                               f"linearly by {REGISTER_PLANT['improvement_rise']} to {last}, year "
                               "noise x0.4: low results at first, resilient by the last wave",
        change_sd_latent=round(sd, 4),
        expected=rows,
        expected_low_share={str(int(w)): round(float(low[:, t].mean()), 4)
                            for t, w in enumerate(waves)},
        expected_count={status: {str(int(w)): int(np.nansum(m[:, t])) for t, w in enumerate(waves)}
                        for status, m in (("low_results", low), ("resilient", resilient),
                                          ("crisis", crisis), ("improvement", improve))},
        expected_note="expected statuses from the latent values (no sampling or measurement "
                      "noise): the register on the written data should agree except near the "
                      "thresholds; the unstable schools' alternating swings are sharp falls too")
