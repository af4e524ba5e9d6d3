"""Planted school sets and the latent school x wave means of the survey constructs."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .parameters import (CONSENSUS, GROUPS, NEEDS, PROGRAMME, PVQ_PROFILE, RESILIENT_PROFILE,
                         RESULTS, TENSION)


def _pick(rng, pool, k, exclude=()):
    pool = [p for p in pool if p not in set(exclude)]
    if len(pool) < k:
        raise ParameterError(f"cannot plant {k} schools: only {len(pool)} eligible; "
                             "increase 'n_schools' / 'n_sampled'")
    return sorted(int(x) for x in rng.choice(pool, k, replace=False))


def plant_results_sets(st, c):
    rng = st("planted", "results")
    n = len(c)
    third = np.quantile(c, [1 / 3, 2 / 3])
    bottom = list(np.flatnonzero(c <= third[0]))
    not_top = list(np.flatnonzero(c <= third[1]))
    upper = list(np.flatnonzero(c > third[0]))
    resilient = _pick(rng, bottom, 3)
    # low-result schools: true mean z in low_z; u_s = z - beta c_s <= -1 needs c_s >= c_min
    c_min = (RESULTS["low_z"][1] + 1.0) / RESULTS["beta_context"]
    low = _pick(rng, [s for s in not_top if c[s] >= c_min], 3, resilient)
    high = _pick(rng, upper, 3, resilient + low)
    unstable = _pick(rng, list(range(n)), 3, resilient + low + high)
    # the register's sets (issue 13), drawn after the others so those stay as they were
    # (a municipality too small for them, e.g. 15 schools, gets none: the other sets come first)
    taken = resilient + low + high + unstable
    nc, ni = REGISTER_PLANT["n_crisis"], REGISTER_PLANT["n_improvement"]
    crisis = _pick(rng, upper, nc, taken) \
        if len([s for s in upper if s not in set(taken)]) >= nc else []
    free = [int(s) for s in np.argsort(c, kind="stable") if s not in set(taken + crisis)]
    improvement = _pick(rng, free[:REGISTER_PLANT["improvement_pool"]], ni) \
        if len(free) >= ni else []
    return dict(resilient=resilient, low=low, high=high, unstable=unstable, crisis=crisis,
                improvement=improvement)


#: the register's planted schools (issue 13; constants here, beside the sets they plant):
#: crisis -- true mean z (beta c_s + u_s) set to ``crisis_level``, year noise x0.4, and a fall
#: of ``crisis_fall`` in the last wave (not far enough to reach low results); improvement --
#: among the ``improvement_pool`` lowest-context schools outside the other sets, true mean z
#: ``improvement_start`` in the first wave (low results) rising linearly by
#: ``improvement_rise`` to the last wave (year noise x0.4), so they leave low results after
#: the first wave and, in low context, reach the resilient benchmark by the last.
REGISTER_PLANT = dict(n_crisis=2, crisis_level=1.3, crisis_fall=2.0, n_improvement=2,
                      improvement_pool=6, improvement_start=-2.0, improvement_rise=2.4)


def plant_register(u, v, c, sets, beta):
    """School effects and year noise of the crisis and improvement schools (copies)."""
    u, v = u.copy(), v.copy()
    W = v.shape[1]
    P = REGISTER_PLANT
    for s in sets.get("crisis", []):
        u[s] = P["crisis_level"] - beta * c[s]
        v[s] *= 0.4
        if W > 1:
            v[s, -1] -= P["crisis_fall"]
    for s in sets.get("improvement", []):
        u[s] = P["improvement_start"] - beta * c[s]
        v[s] = 0.4 * v[s] + P["improvement_rise"] * programme_path(W)
    return u, v


def plant_survey_sets(st, schools, frame):
    """Sets among sampled schools; programme / high-tension schools have many respondents."""
    rng = st("planted", "survey")
    sampled = list(np.flatnonzero(schools["sampled"].to_numpy() == 1))
    resp = (frame[(frame["unit"] == "class")].groupby("school")["n_responded"].sum()
            .reindex(range(len(schools))).to_numpy())
    med = np.median(resp[sampled])            # once, not once per school (O(n^2))
    big = [s for s in sampled if resp[s] >= med]
    high_tension = _pick(rng, big, 3)
    discrepancy = _pick(rng, big, 1, high_tension)
    programme = _pick(rng, big if len(big) >= 8 else sampled, 4, high_tension + discrepancy)
    consensus_high = _pick(rng, sampled, 3)
    consensus_low = _pick(rng, sampled, 3, consensus_high)
    return dict(high_tension=high_tension, discrepancy=discrepancy, programme=programme,
                consensus_high=consensus_high, consensus_low=consensus_low, sampled=sampled)


def programme_path(n_waves: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n_waves) if n_waves > 1 else np.zeros(1)


class Effects:
    """School x wave latent means ``M`` and within-school spread multipliers per construct."""

    def __init__(self, st, c, sets, n_waves, resilient=()):
        self.st, self.c, self.sets, self.n_waves = st, c, sets, n_waves
        self.resilient = [int(s) for s in resilient]
        self.n = len(c)
        prog = np.zeros((self.n, n_waves))
        prog[sets["programme"]] = programme_path(n_waves)
        self.prog = prog
        rng = st("effects", "tension")
        z = rng.normal(size=self.n)
        while np.any(bad := np.abs(z) > TENSION["trunc"]):
            z[bad] = rng.normal(size=bad.sum())
        base = TENSION["school_sd"] * z + TENSION["context_slope"] * c
        self.tension = {}
        for g in GROUPS:
            dev = TENSION["group_sd"] * st("effects", "tension", g).normal(size=self.n)
            m = TENSION["group_mu"][g] + base + dev
            m[sets["high_tension"]] = TENSION["group_mu"][g] + TENSION["high_level"][g]
            m[sets["discrepancy"]] = TENSION["group_mu"][g] + TENSION["discrepancy_level"][g]
            self.tension[g] = m[:, None] + PROGRAMME["tension"] * prog
        self.pc_factor = st("effects", "pc_factor").normal(size=self.n)
        f = np.ones(self.n)
        f[sets["consensus_high"]] = CONSENSUS["high_f"]
        f[sets["consensus_low"]] = CONSENSUS["low_f"]
        self.consensus_f = f

    def construct(self, group: str, key: str, role: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (M[school, wave], f[school]) for a construct of a group."""
        n, W = self.n, self.n_waves
        rng = self.st("effects", group, key)
        ones = np.ones(n)
        flat = lambda v: np.broadcast_to(np.asarray(v, float)[:, None], (n, W)).copy()  # noqa
        k = f"{key} {role}"
        if "tension" in (key, role):
            return self.tension[group].copy(), ones
        if key == "motivation" or role == "motivation":
            return flat(0.3 + 0.25 * rng.normal(size=n) + 0.10 * self.c) \
                + PROGRAMME["motivation"] * self.prog, ones
        if key == "anxiety" or role == "anxiety":
            m = -0.1 + 0.20 * rng.normal(size=n)
            m[self.sets["high_tension"]] += 0.4
            return flat(m) + PROGRAMME["anxiety"] * self.prog, ones
        if role == "need_importance":
            return flat(np.full(n, NEEDS["imp_mu"])), ones
        if role == "need_realisation":
            return flat(NEEDS["real_mu"].get(group, 0.3) + 0.2 * rng.normal(size=n)), ones
        if key.startswith("rel") or role == "relationship":
            mu = {"students": 0.4, "parents": 0.5, "teachers": 0.3}.get(group, 0.4)
            t = self.tension[group] - TENSION["group_mu"][group]
            return mu - 0.5 * t + flat(0.15 * rng.normal(size=n)), ones
        if key.startswith("pvq_") or role in ("pvq", "pvq_value"):
            v = key[4:] if key.startswith("pvq_") else key
            return flat(np.full(n, PVQ_PROFILE.get(group, {}).get(v, 0.5))), ones
        if group == "teachers" and (key.startswith("pc_") or role.startswith("pc_") or key in
                                    ("leadership", "high_results", "demandingness")
                                    or role in ("prof_values", "leadership", "high_results",
                                                "demandingness")):
            mu = {"pc_values": 0.6, "pc_own": 0.3, "pc_ideal": 1.4, "leadership": 0.4,
                  "high_results": 0.5, "demandingness": 0.5}.get(key, 0.4)
            scale = CONSENSUS["ideal_scale"] if key == "pc_ideal" else 1.0
            raw = 0.7 * self.pc_factor + 0.714 * rng.normal(size=n)
            sm = np.asarray(self.sets["sampled"])
            raw = (raw - raw[sm].mean()) / raw[sm].std(ddof=1)   # realised SD exactly 1
            eff = CONSENSUS["school_sd"] * scale * raw
            if key in RESILIENT_PROFILE["scales"] and self.resilient:
                # planted profile of the resilient schools (replaces their random effect)
                eff[self.resilient] = CONSENSUS["school_sd"] * RESILIENT_PROFILE["level"]
            if key == "high_results":
                eff = eff + 0.15 * self.c
            return flat(mu + eff), self.consensus_f.copy()
        if key.startswith("burnout") or "burnout" in role:
            mu = -0.2 if "exhaust" in k else (-0.8 if "deperson" in k else 0.8)
            t = self.tension["teachers"] - TENSION["group_mu"]["teachers"]
            return mu + 0.3 * t * (-1 if "accompl" in k else 1) \
                + flat(0.25 * rng.normal(size=n)), ones
        if key == "involvement" or role == "involvement":
            return flat(0.2 + 0.2 * self.c + 0.2 * rng.normal(size=n)), ones
        return flat(0.2 * rng.normal(size=n)), ones

