"""Scoring by an instrument's own rules: each function takes clean answers and the instrument
(scales, keys, bounds, roles of items) and returns a tidy table. The scoring stage calls them.

They compose the flat functions of this package (:func:`score_scales`, :func:`tension_index`,
:func:`reliability`, :func:`rank_summary`, :func:`multiple_response`, :func:`needs_gap`,
:func:`rwg_j`, :func:`ad_index`, :func:`icc_anova`) with what the instrument declares, so that a
notebook, the command line and the pipeline score alike.
"""
from __future__ import annotations

import warnings

import pandas as pd

from ..errors import IpsativeWarning
from .agreement import ad_index, icc_anova, rwg_j
from .multiresponse import multiple_response, multiple_response_test
from .needs import needs_gap
from .reliability import reliability
from .scales import reverse_code, score_scales
from .tension import balance_index, tension_index
from .values import hierarchy_correlation, kendall_w, rank_summary, score_pvq

#: id columns carried from the clean answers into respondent-level tables
ID_COLUMNS = ("resp_id", "school_id", "class_id", "wave")
#: teacher scales whose within-school agreement describes the professional community
COMMUNITY_SCALES = ("pc_values", "leadership", "high_results", "demandingness", "pc_own")


def bounds(instrument, items) -> tuple[dict, dict]:
    """Declared lowest and highest code of each item (reverse keying uses these, never data)."""
    b = instrument.item_bounds()
    return {i: b[i][0] for i in items}, {i: b[i][1] for i in items}


def _keyed(data: pd.DataFrame, instrument, items) -> pd.DataFrame:
    rev = [i for i in items if instrument.item(i).reverse]
    if not rev:
        return data
    lo, hi = bounds(instrument, items)
    return reverse_code(data, rev, item_min=lo, item_max=hi)


def score_respondents(data: pd.DataFrame, instrument, group: str) -> pd.DataFrame:
    """Scale scores (and n valid) of every respondent, by the instrument's scales and keys.

    Tension scales become the 0–100 index (:func:`tension_index`); the others are means or sums
    of keyed items (:func:`score_scales`); answers outside the declared codes count as missing.
    """
    ids = [c for c in ID_COLUMNS if c in data]
    out = [data[ids].reset_index(drop=True).assign(group=group)]
    for sid, sc in instrument.scales.items():
        keys = instrument.scale_keys([sid])
        lo, hi = bounds(instrument, sc.items)
        if sc.role == "tension":
            s = tension_index(data, list(keys[sid]), item_min=lo, item_max=hi,
                              min_valid=sc.min_valid, out_of_range="missing", name=sid)
        else:
            s = score_scales(data, keys, item_min=lo, item_max=hi, method=sc.method,
                             min_valid=sc.min_valid, out_of_range="missing")
        out.append(s.reset_index(drop=True))
    return pd.concat(out, axis=1)


def scale_reliability(data: pd.DataFrame, instrument, group: str) -> pd.DataFrame:
    """Reliability of every scale of the instrument, over all waves (``wave == "all"``) and by wave."""
    keys = instrument.scale_keys()
    items = sorted({i.lstrip("-") for k in keys.values() for i in k})
    lo, hi = bounds(instrument, items)
    parts = []
    for by in (None, "wave"):
        r = reliability(data, keys, item_min=lo, item_max=hi, by=by, omega=True,
                        out_of_range="missing")
        parts.append(r.assign(group=group, **({} if by else {"wave": "all"})))
    rel = pd.concat(parts, ignore_index=True)
    rel["wave"] = rel["wave"].astype(str)
    return rel


def tension_balance(data: pd.DataFrame, instrument, *, by=("group", "wave")) -> pd.DataFrame:
    """Balance index (% negative − % positive answers) of each tension indicator."""
    items = list(instrument.scales["tension"].items)
    return balance_index(_keyed(data, instrument, items), items, negative=[4, 5],
                         positive=[1, 2], by=list(by))


def rokeach_tables(data: pd.DataFrame, instrument, item_id: str, lang: str,
                   by=("group", "wave")) -> dict[str, pd.DataFrame]:
    """Hierarchy (mean ranks with labels), Kendall's W and between-group correlations of a
    Rokeach ranking (``rok_term`` or ``rok_instr``). Incomplete rankings are left out.

    The ipsative-ranks warning is not repeated here: the hierarchy table says it in its note.
    """
    item = instrument.item(item_id)
    cols = item.columns
    labels = {c: o.get(lang) for c, o in zip(cols, item.options)}
    ok = data.dropna(subset=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IpsativeWarning)
        rs = rank_summary(ok, cols, by=list(by))
        rs.insert(rs.columns.get_loc("category") + 1, "label", rs["category"].map(labels))
        return {"hierarchy": rs,
                "kendall_w": kendall_w(ok, cols, by=list(by)),
                "group_correlation": hierarchy_correlation(ok, cols, "group", by="wave")}


def pvq_values(data: pd.DataFrame, instrument) -> pd.DataFrame | None:
    """Mean PVQ-21 value scores (centred on the respondent's mean answer) per group and wave."""
    keys = {sid.removeprefix("pvq_"): list(sc.items) for sid, sc in instrument.scales.items()
            if sc.role == "pvq_value"}
    if not keys:
        return None
    pv = score_pvq(data, keys, centre=True)
    pv = pd.concat([data[["group", "wave", "school_id"]].reset_index(drop=True),
                    pv.reset_index(drop=True)], axis=1)
    return pv.groupby(["group", "wave"]).mean(numeric_only=True).reset_index()


def multiple_response_tables(data: pd.DataFrame, instrument, item_id: str, lang: str
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shares choosing each option of a multiple-response item per group × wave (with labels),
    and the test of differences between groups in the last wave."""
    it = instrument.item(item_id)
    mr = multiple_response(data, it.columns, by=["group", "wave"])
    mr.insert(mr.columns.get_loc("option") + 1, "label",
              mr["option"].map({c: o.get(lang) for c, o in zip(it.columns, it.options)}))
    last = data[data.wave == data.wave.max()]
    return mr, multiple_response_test(last, it.columns, "group")


def need_pairs(instrument) -> dict[str, list[str]]:
    """Need -> [importance item, realisation item], from the items' roles."""
    imp = [i for i in instrument.items if i.role == "need_importance"]
    real = [i for i in instrument.items if i.role == "need_realisation"]
    return {a.id.removeprefix("need_imp_"): [a.id, b.id] for a, b in zip(imp, real)}


def needs_tables(data: pd.DataFrame, instrument) -> dict[str, pd.DataFrame]:
    """Importance vs realisation of needs per group × wave and per school × group × wave."""
    pairs = need_pairs(instrument)
    if not pairs:
        return {}
    lo, hi = bounds(instrument, [c for v in pairs.values() for c in v])
    return {"needs_gap": needs_gap(data, pairs, by=["group", "wave"], item_min=lo, item_max=hi),
            "needs_gap_by_school": needs_gap(data, pairs, by=["school_id", "group", "wave"],
                                             item_min=lo, item_max=hi)}


def teacher_agreement(data: pd.DataFrame, instrument,
                      scales=COMMUNITY_SCALES) -> pd.DataFrame:
    """Within-school agreement of teachers per scale, school and wave: rwg(j) (uniform null) and
    the AD index (``est_ad``)."""
    parts = []
    for sid in scales:
        if sid not in instrument.scales:
            continue
        items = list(instrument.scales[sid].items)
        keyed = _keyed(data, instrument, items)
        options = len(instrument.item(items[0]).codes)
        r = rwg_j(keyed, items, ["school_id", "wave"], options=options)
        a = ad_index(keyed, items, ["school_id", "wave"])
        r = r.merge(a, on=["school_id", "wave"], how="left", suffixes=("", "_ad"))
        parts.append(r.assign(scale=sid))
    return pd.concat(parts, ignore_index=True)


def teacher_icc(scores: pd.DataFrame, instrument) -> pd.DataFrame:
    """ICC(1) and ICC(2) of each teacher scale (one-way ANOVA, schools as groups) per wave."""
    parts = [icc_anova(scores[scores.wave == w], sid, "school_id").assign(scale=sid, wave=w)
             for sid in instrument.scales for w in sorted(scores.wave.unique())
             if instrument.scales[sid].role != "pvq_value"]
    return pd.concat(parts, ignore_index=True)
