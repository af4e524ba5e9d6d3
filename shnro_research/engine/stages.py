"""What the scoring and design stages ask of an engine, for the pandas engine (in memory, or in
chunks of schools above ``engine.chunk_schools``); :mod:`shnro_research.engine.dask` gives the
same functions on Dask. Each returns the tables of the in-memory path (rtol 1e-10).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..design import estimate_by, survey_design
from ..errors import DataError
from ..scoring import instrument as score
from .chunks import chunk_size, school_estimates_in_chunks, score_in_chunks

#: columns every group's answers keep for the tables that pool groups
POOLED_IDS = ("resp_id", "school_id", "class_id", "wave", "group")


def pooled_columns(*instruments) -> list[str]:
    """Columns of the answers that the pooled tables of the scoring stage read (tension items,
    Rokeach rankings, PVQ items, life success, ways to success, needs), besides the ids: the
    union over the given instruments (each group keeps those it has)."""
    cols: list[str] = []
    for instrument in instruments:
        if "tension" in instrument.scales:
            cols += list(instrument.scales["tension"].items)
        for item_id in ("rok_term", "rok_instr", "life_success", "success_ways"):
            try:
                cols += list(instrument.item(item_id).columns)
            except Exception:  # noqa: BLE001 - an instrument without this item: nothing to keep
                pass
        cols += [i for sc in instrument.scales.values() if sc.role == "pvq_value"
                 for i in sc.items]
        cols += [c for v in score.need_pairs(instrument).values() for c in v]
    return list(dict.fromkeys(cols))


def compact_answers(data: pd.DataFrame) -> pd.DataFrame:
    """The answers with each float column stored in the narrowest float type that holds every
    value exactly (float16 holds every integer code up to 2,048, float32 up to 2**24): a
    national study's pooled answers take a quarter of their float64 memory. Lossless by
    construction (a column is narrowed only when widening it back gives the same values,
    missing values included); :func:`pooled_answers` widens what a table reads."""
    narrow = {}
    for c in data.columns:
        a = data[c]
        if a.dtype != np.float64:
            continue
        v = a.to_numpy()
        for t in (np.float16, np.float32):
            with np.errstate(over="ignore", invalid="ignore"):
                n = v.astype(t)
            if np.array_equal(n.astype(np.float64), v, equal_nan=True):
                narrow[c] = pd.Series(n, index=a.index, name=c)
                break
    if not narrow:
        return data
    return pd.DataFrame({c: narrow.get(c, data[c]) for c in data.columns}, index=data.index)


def pooled_answers(data: pd.DataFrame, columns) -> pd.DataFrame:
    """The ids and the given columns of the pooled answers, in float64 (the pooled tables compute
    in float64, as on the whole answers): a narrow copy, as wide as the table it feeds."""
    cols = [c for c in dict.fromkeys([*POOLED_IDS, *columns]) if c in data.columns]
    out = data[cols]
    wide = {c: out[c].astype(np.float64) for c in cols
            if out[c].dtype in (np.float16, np.float32)}
    return out.assign(**wide) if wide else out


def item_columns(data: pd.DataFrame, instrument, item_id: str) -> pd.DataFrame:
    """The ids and the columns of one item of the pooled answers in float64 (a narrow copy: the
    pooled tables copy what they are given, and a national study's answers are wide)."""
    return pooled_answers(data, instrument.item(item_id).columns)


def agreement_columns(instrument) -> list[str]:
    """The columns of the teachers' answers that their agreement reads (ids and the items of
    the professional-community scales), the only ones kept of their whole answers."""
    items = [i for sid in score.COMMUNITY_SCALES if sid in instrument.scales
             for i in instrument.scales[sid].items]
    return list(dict.fromkeys(["school_id", "wave", *items]))


def score_groups(read_clean: Callable[[str], pd.DataFrame], groups: list[str],
                 instrument: Callable, engine: dict, keep: list[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Scores and reliability of every group, the pooled answers (``keep`` columns of every
    group with ``group``, stored exactly in narrow floats: :func:`compact_answers`; read them
    through :func:`pooled_answers`) and the teachers' answers to the scales of their agreement
    (:func:`agreement_columns`).

    One group's answers are in memory at a time; above ``engine.chunk_schools`` they are scored
    a chunk of schools at a time (:func:`~shnro_research.engine.chunks.score_in_chunks`).
    """
    scores, rel, pooled, whole = [], [], [], {}
    for g in groups:
        clean, inst = read_clean(g), instrument(g)
        size = chunk_size(engine.get("chunk_schools", "auto"), clean["school_id"].nunique())
        if size is None:
            scores.append(score.score_respondents(clean, inst, g))
            rel.append(score.scale_reliability(clean, inst, g))
        else:
            s, r = score_in_chunks(clean, inst, g, size)
            scores.append(s)
            rel.append(r)
        cols = [c for c in dict.fromkeys(list(POOLED_IDS) + keep) if c in clean.columns]
        pooled.append(compact_answers(clean[cols]).assign(group=g))
        if g == "teachers":
            whole[g] = clean[[c for c in agreement_columns(inst) if c in clean.columns]]
        del clean
    # one concatenation at a time, its parts freed before the next (each doubles its parts)
    scores = pd.concat(scores, ignore_index=True)
    pooled = pd.concat(pooled, ignore_index=True)
    return scores, pd.concat(rel, ignore_index=True), pooled, whole


def school_estimates(dw: pd.DataFrame, variables: list[str], group: str, wave, *,
                     lonely_psu: str, engine: dict, n_schools: int) -> pd.DataFrame:
    """Design-based means per school of one group and wave (the school's respondents as units,
    the school a stratum), in memory or a chunk of schools at a time
    (:func:`~shnro_research.engine.chunks.school_estimates_in_chunks`)."""
    size = chunk_size(engine.get("chunk_schools", "auto"), n_schools)
    try:
        if size is None:
            within = survey_design(dw, strata="school_id", weight="weight", lonely_psu=lonely_psu)
            return estimate_by(within, variables, by="school_id")
        return school_estimates_in_chunks(dw, variables, lonely_psu=lonely_psu, size=size)
    except DataError as exc:
        raise DataError(f"design, per-school estimates of {group} {wave} (design.lonely_psu "
                        f"= {lonely_psu!r}): {exc}") from None
