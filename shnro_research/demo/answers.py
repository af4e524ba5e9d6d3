"""Answers generated from the instruments, by item type, role and scale (see the package
docstring): likert items from the latent school x wave means, rankings (Plackett–Luce) and
multiple choices from group utilities, known single / numeric items by dedicated rules."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..instruments import Instrument, Item
from .effects import Effects
from .parameters import (A_RESP, B_ITEM, BLANK_RATE, DELTA_SD, GROUPS, HOME_LANGUAGE,
                         LIFE_SUCCESS, MISSING_CODE_RATE, NEED_DELTA_SD, NEEDS, PVQ_ACQ_SD,
                         PVQ_DELTA_SD, ROKEACH_INSTRUMENTAL, ROKEACH_TERMINAL, SEX_ANXIETY,
                         SUCCESS_WAYS, TEXT_ANSWERS, WORKLOAD)


def _thresholds(codes: list[int]) -> np.ndarray:
    k = len(codes)
    w = min(1.0, 4.0 / (k - 1)) if k > 2 else 1.0
    return (np.arange(1, k) - k / 2) * w


def _ordinal(y: np.ndarray, taus: np.ndarray, lo: int) -> np.ndarray:
    return lo + (y[..., None] > taus).sum(-1)


def _utilities(options, table, group) -> np.ndarray:
    g = GROUPS.index(group)
    out = np.zeros(len(options))
    for j, opt in enumerate(options):
        full = opt.ru.lower().replace("ё", "е")
        main = re.sub(r"\(.*?\)", "", full)   # the value's name without its explanation
        for text in (main, full):
            hit = next((u for stem, *u in table if re.search(stem.replace("ё", "е"), text)), None)
            if hit is not None:
                out[j] = hit[g]
                break
    return out - 0.001 * np.arange(len(options))   # break exact ties deterministically


def gumbel_rank(rng, util, n) -> np.ndarray:
    """Ranks 1..k (1 = most important) from Gumbel-perturbed utilities (Plackett–Luce)."""
    score = util[None, :] + rng.gumbel(size=(n, len(util)))
    order = np.argsort(-score, axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(util) + 1)[None, :], axis=1)
    return ranks


def _n_choices(rng, n, k, max_choices):
    mc = min(max_choices or min(4, k), k)
    p = 2.0 ** np.arange(mc)
    return rng.choice(np.arange(1, mc + 1), size=n, p=p / p.sum())


def choose(rng, util, n, max_choices) -> np.ndarray:
    k = len(util)
    m = _n_choices(rng, n, k, max_choices)
    score = util[None, :] + rng.gumbel(size=(n, k))
    order = np.argsort(-score, axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :], axis=1)
    return (rank < m[:, None]).astype(float)


_CHOICE_TABLES = {"rokeach_terminal": ROKEACH_TERMINAL,
                  "rokeach_instrumental": ROKEACH_INSTRUMENTAL,
                  "life_success": LIFE_SUCCESS, "success_ways": SUCCESS_WAYS}


def _item_table(item: Item):
    if item.role in _CHOICE_TABLES:
        return _CHOICE_TABLES[item.role]
    if item.role:      # another list (interests, social order, ...): no planted preferences
        return []
    key = item.id.lower()
    if item.type == "ranking":
        return ROKEACH_INSTRUMENTAL if "instr" in key else ROKEACH_TERMINAL
    if "way" in key:
        return SUCCESS_WAYS
    return LIFE_SUCCESS


def _construct_of(inst: Instrument, item: Item) -> tuple[str, str]:
    for s in item.scales:
        if s in inst.scales:
            return s, inst.scales[s].role or item.role
    if item.role == "tension_group":   # a group's own conflict question follows its tension
        return "tension", "tension"
    return (item.role or item.id), item.role


def _single_answers(st, group, item: Item, resp: pd.DataFrame) -> np.ndarray:
    """Known single / numeric items by id; otherwise a fixed random distribution."""
    rng = st("answers", group, item.id)
    n = len(resp)
    codes = sorted(item.codes)
    z = resp["ses"].to_numpy()
    iid = item.id

    def cut(latent, taus, values):
        return np.asarray(values)[(latent[:, None] > np.asarray(taus)).sum(1)].astype(float)

    if item.type == "numeric":
        lo, hi = item.min, item.max
        if iid == "experience":
            x = np.rint(rng.gamma(2.2, 9.0, n))
        elif iid in WORKLOAD:
            x = np.rint(rng.normal(*WORKLOAD[iid], n))
        elif iid in ("age",):
            x = np.rint(rng.normal(42, 9, n))
        else:
            x = np.rint(rng.uniform(lo, lo + 0.6 * (hi - lo), n))
        return np.clip(x, lo, hi).astype(float)
    if iid == "sex" and set(codes) >= {1, 2}:
        return rng.choice([1.0, 2.0], n)
    if (iid == "grade" or item.role == "grade") and "grade" in resp:
        g = resp["grade"].to_numpy().astype(float)
        return np.where(np.isin(g, codes), g, codes[0])
    if iid in ("mother_edu", "father_edu", "parent_edu") and len(codes) >= 3:
        x = cut(z + rng.normal(0, 0.8, n), np.linspace(-1.4, 0.6, len(codes) - 1), codes)
        if item.missing and iid != "parent_edu":
            x[rng.uniform(size=n) < 0.05] = min(item.missing)
        return x
    if iid in ("books_home", "family_income") and len(codes) >= 3:
        return cut(z + rng.normal(0, 0.9, n), np.linspace(-1.3, 1.3, len(codes) - 1), codes)
    if iid in ("own_room", "own_computer", "internet") and set(codes) >= {0, 1}:
        p = {"own_room": 0.2, "own_computer": 0.5, "internet": 1.6}[iid]
        return (rng.uniform(size=n) < norm.cdf(p + 0.7 * z)).astype(float)
    if item.role == "home_language" and len(codes) == len(HOME_LANGUAGE):
        return rng.choice(codes, n, p=HOME_LANGUAGE).astype(float)
    if iid == "relation" and len(codes) >= 3:
        return rng.choice(codes[:3], n, p=[0.76, 0.19, 0.05]).astype(float)
    if iid == "qual_category" and len(codes) >= 2:
        p = np.linspace(1, 2, len(codes))
        return rng.choice(codes, n, p=p / p.sum()).astype(float)
    p = st("distribution", group, item.id).dirichlet(np.full(len(codes), 3.0))
    return rng.choice(codes, n, p=p).astype(float)


def generate_answers(st, inst: Instrument, group: str, resp: pd.DataFrame, eff: Effects,
                      wave_index: np.ndarray):
    """Answers (float, NaN = blank) for ``resp`` and per-item parameters for the truth."""
    n = len(resp)
    school = resp["school"].to_numpy()
    cols: dict[str, np.ndarray] = {}
    params: dict[str, dict] = {}
    latent_e: dict[str, np.ndarray] = {}
    constructs: dict[str, tuple] = {}
    acq = st("acq", group).normal(0, PVQ_ACQ_SD, n)
    for item in inst.items:
        if item.type == "likert":
            key, role = _construct_of(inst, item)
            if key not in constructs:
                constructs[key] = eff.construct(group, key, role)
                latent_e[key] = st("latent", group, key).normal(size=n)
            M, f = constructs[key]
            rng = st("answers", group, item.id)
            is_pvq = key.startswith("pvq") or role in ("pvq", "pvq_value")
            sd_delta = PVQ_DELTA_SD if is_pvq else (
                NEED_DELTA_SD if role in ("need_importance", "need_realisation") else DELTA_SD)
            delta = sd_delta * st("delta", group, item.id).normal()
            if role == "need_realisation":
                m = re.search(r"(\d+)$", item.id)
                if m and int(m.group(1)) in NEEDS["gap_items"]:
                    delta += NEEDS["gap_extra"]
            codes = sorted(item.codes)
            taus = _thresholds(codes)
            y = (M[school, wave_index] + delta
                 + f[school] * (A_RESP * latent_e[key] + B_ITEM * rng.normal(size=n))
                 + (acq if is_pvq else 0.0))
            sex_shift = 0.0
            if (group == SEX_ANXIETY["group"] and "anxiety" in (key, role) and "sex" in cols):
                # planted sex difference (deterministic: no extra draws)
                # centred within each school x wave: girls + s (1 - p_sw), the others - s p_sw
                # (p_sw = realised share of girls), so the school x wave mean latent does not
                # depend on the realised sex composition
                sex_shift = SEX_ANXIETY["shift"]
                girl = (cols["sex"] == SEX_ANXIETY["female_code"]).astype(float)
                p_sw = pd.Series(girl).groupby([school, wave_index]).transform("mean").to_numpy()
                y = y + sex_shift * (girl - p_sw)
            x = _ordinal(y, taus, codes[0]).astype(float)
            if item.reverse:
                x = codes[0] + codes[-1] - x
            u = rng.uniform(size=n)
            if item.missing:
                x[u < MISSING_CODE_RATE] = min(item.missing)
            x[(u >= MISSING_CODE_RATE) & (u < MISSING_CODE_RATE + BLANK_RATE)] = np.nan
            cols[item.id] = x
            params[item.id] = dict(construct=key, role=role, delta=delta, taus=taus, lo=codes[0],
                                   M=M, f=f, acq=PVQ_ACQ_SD if is_pvq else 0.0,
                                   sex_shift=sex_shift)
        elif item.type in ("single", "numeric"):
            x = _single_answers(st, group, item, resp)
            x[st("blank", group, item.id).uniform(size=n) < BLANK_RATE] = np.nan
            cols[item.id] = x
        elif item.type == "ranking":
            rng = st("answers", group, item.id)
            util = _utilities(item.options, _item_table(item), group)
            r = gumbel_rank(rng, util, n).astype(float)
            r[rng.uniform(size=n) < 0.01] = np.nan
            for j, c in enumerate(item.columns):
                cols[c] = r[:, j]
            params[item.id] = dict(utilities=util)
        elif item.type == "multiple":
            rng = st("answers", group, item.id)
            util = _utilities(item.options, _item_table(item), group)
            x = choose(rng, util, n, item.max_choices)
            x[rng.uniform(size=n) < 0.01] = np.nan
            for j, c in enumerate(item.columns):
                cols[c] = x[:, j]
            params[item.id] = dict(utilities=util)
        else:  # text: ~15 % short impersonal comments (never names), else blank
            rng = st("answers", group, item.id)
            x = np.array(TEXT_ANSWERS, dtype=object)[rng.integers(len(TEXT_ANSWERS), size=n)]
            x[rng.uniform(size=n) >= 0.15] = None
            cols[item.id] = x
    # one block per column, no copy: a national group's answers are not held twice while the
    # frame is built, and the students' frame can give back its columns one at a time
    # (plant_problems)
    return pd.DataFrame(cols, index=resp.index, copy=False), params

