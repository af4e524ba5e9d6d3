"""Scoring by an instrument's own rules: each function takes clean answers and the instrument
(scales, keys, bounds, roles of items) and returns a tidy table. The scoring stage calls them.

They compose the flat functions of this package (:func:`score_scales`, :func:`tension_index`,
:func:`reliability`, :func:`rank_summary`, :func:`multiple_response`, :func:`needs_gap`,
:func:`rwg_j`, :func:`ad_index`, :func:`icc_anova`) with what the instrument declares, so that a
notebook, the command line and the pipeline score alike.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

import pandas as pd

from .._checks import ParameterError
from ..errors import IpsativeWarning, ShnroWarning
from .agreement import ad_index, icc_anova, rwg_j
from .multiresponse import multiple_response, multiple_response_test
from .needs import needs_gap
from .reliability import reliability
from .scales import reverse_code, score_scales
from .tension import balance_index, compare_groups, tension_index
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


def parallel_items(instruments: Mapping, *, scale: str = "tension") -> pd.DataFrame:
    """Which items of ``scale`` may be compared across the respondent groups.

    An item enters the comparison when it carries a ``parallel`` id (surveys/README.md) that
    every compared group carries on exactly one item of its ``scale``, and its item id means
    the same in every group: an id that carries different ``parallel`` ids (or none) in two
    groups excludes all the items involved. Each exclusion is kept with its reason and warned
    about (:class:`~shnro_research.errors.ShnroWarning`).

    Parameters
    ----------
    instruments : mapping group -> Instrument
        The instruments of the compared groups (e.g. ``{"students": ..., "teachers": ...}``).
    scale : str
        Scale whose items are compared (default ``tension``).

    Returns
    -------
    DataFrame
        ``group, item, parallel, included, reason`` — one row per item of the scale per group.

    Examples
    --------
    >>> from shnro_research.instruments import load_instrument
    >>> m = parallel_items({g: load_instrument(g) for g in ("students", "teachers")})
    >>> m[m.included].groupby("group").item.count().tolist()
    [11, 11]
    R: (no R function; the map is a join of the groups' item tables on the parallel id)
    """
    if not isinstance(instruments, Mapping) or len(instruments) < 2:
        raise ParameterError(f"'instruments' must map at least two groups to their "
                             f"instruments; got {instruments!r}")
    per = {}
    for g, ins in instruments.items():
        if scale not in ins.scales:
            raise ParameterError(f"instrument {ins.id!r} of group {g!r} has no scale {scale!r}")
        per[g] = {i: ins.item(i).parallel for i in ins.scales[scale].items}
    by_id: dict[str, dict] = {}
    for g, items in per.items():
        for iid, par in items.items():
            by_id.setdefault(iid, {})[g] = par
    clash = {iid: d for iid, d in by_id.items() if len(set(d.values())) > 1}
    clash_par = {par for d in clash.values() for par in d.values() if par}
    rows = []
    for g, items in per.items():
        for iid, par in items.items():
            if iid in clash:
                reason = f"item id {iid!r} carries different parallel ids across groups: {clash[iid]}"
            elif not par:
                reason = "no parallel id (a group-specific item)"
            elif par in clash_par:
                reason = f"parallel id {par!r} is also on an item whose id clashes across groups"
            elif list(items.values()).count(par) > 1:
                reason = f"parallel id {par!r} is on several items of group {g!r}"
            else:
                absent = [h for h in per if par not in per[h].values()]
                reason = f"parallel id {par!r} is absent in {absent}" if absent else ""
            rows.append(dict(group=g, item=iid, parallel=par, included=not reason,
                             reason=reason))
    out = pd.DataFrame(rows, columns=["group", "item", "parallel", "included", "reason"])
    for r in out[~out.included].itertuples():
        warnings.warn(f"parallel_items: {r.group} item {r.item!r} of scale {scale!r} left out of "
                      f"the group comparison: {r.reason}", ShnroWarning, stacklevel=2)
    return out


def tension_parallel(data: pd.DataFrame, instruments: Mapping, *, scale: str = "tension",
                     name: str = "tension_parallel") -> pd.DataFrame:
    """Each respondent's 0–100 tension index over the parallel items only
    (:func:`parallel_items`), the score used to compare groups.

    ``data`` holds the answers of all groups with a ``group`` column; each group's items are
    keyed by its own instrument (:func:`tension_index`, ``min_valid`` of the scale as a share of
    the parallel items when it is a share, else capped at their number).

    Returns
    -------
    DataFrame
        id columns, ``group``, ``<name>`` and ``<name>_n_valid``.

    Examples
    --------
    R: rowMeans(100 * (d[, parallel_items] - 1) / 4, na.rm = TRUE)   # reverse-keyed first
    """
    pmap = parallel_items(instruments, scale=scale)
    if not pmap.included.any():
        raise ParameterError(f"no item of scale {scale!r} is parallel in all groups "
                             f"{list(instruments)}; see parallel_items()")
    parts = []
    for g, ins in instruments.items():
        d = data[data["group"] == g]
        items = pmap[(pmap.group == g) & pmap.included].item.tolist()
        mv = ins.scales[scale].min_valid
        if isinstance(mv, int):
            mv = min(mv, len(items))
        lo, hi = bounds(ins, items)
        s = tension_index(d, [("-" if ins.item(i).reverse else "") + i for i in items],
                          item_min=lo, item_max=hi, min_valid=mv, out_of_range="missing",
                          name=name)
        ids = [c for c in ID_COLUMNS if c in d]
        parts.append(pd.concat([d[ids].assign(group=g), s], axis=1))
    return pd.concat(parts, ignore_index=True)


def tension_group_comparison(data: pd.DataFrame, instruments: Mapping, *,
                             by=("school_id", "wave"), scale: str = "tension",
                             **kwargs) -> pd.DataFrame:
    """Differences in tension between respondent groups within each school and wave, on the
    parallel items only (:func:`tension_parallel`, then :func:`compare_groups`; keywords
    ``weight``, ``level``, ``adjust`` go to it).

    Examples
    --------
    R: t.test(tension_parallel ~ group, data = subset(d, school == s))
    """
    scores = tension_parallel(data, instruments, scale=scale)
    return compare_groups(scores, "tension_parallel", "group", by=list(by), **kwargs)


def tension_balance(data: pd.DataFrame, instrument, *, by=("group", "wave")) -> pd.DataFrame:
    """Balance index (% negative − % positive answers) of each tension indicator.

    With one instrument: the items of its ``tension`` scale that carry a ``parallel`` id (all
    of them if none does); with a mapping group -> instrument: each group's parallel items
    (:func:`parallel_items`) on its own rows. The ``parallel`` column matches the groups' items.
    """
    if isinstance(instrument, Mapping):
        pmap = parallel_items(instrument)
        parts = []
        for g, ins in instrument.items():
            sel = pmap[(pmap.group == g) & pmap.included]
            items = sel.item.tolist()
            b = balance_index(_keyed(data[data["group"] == g], ins, items), items,
                              negative=[4, 5], positive=[1, 2], by=list(by))
            b.insert(b.columns.get_loc("item") + 1, "parallel",
                     b["item"].map(dict(zip(sel.item, sel.parallel))))
            parts.append(b)
        return pd.concat(parts, ignore_index=True)
    items = list(instrument.scales["tension"].items)
    par = {i: instrument.item(i).parallel for i in items}
    if any(par.values()):
        items = [i for i in items if par[i]]
    b = balance_index(_keyed(data, instrument, items), items, negative=[4, 5],
                      positive=[1, 2], by=list(by))
    b.insert(b.columns.get_loc("item") + 1, "parallel", b["item"].map(par))
    return b


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
    # one group at a time (the same rows in the same order as on the pooled answers, so the
    # same sums): the scores of a national study's pooled answers would take gigabytes
    parts = []
    for _, part in data.groupby("group", sort=True):
        pv = score_pvq(part, keys, centre=True)
        pv = pd.concat([part[["group", "wave", "school_id"]].reset_index(drop=True),
                        pv.reset_index(drop=True)], axis=1)
        parts.append(pv.groupby(["group", "wave"]).mean(numeric_only=True).reset_index())
    return pd.concat(parts, ignore_index=True)


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
