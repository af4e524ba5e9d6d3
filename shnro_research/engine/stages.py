"""What the scoring and design stages ask of an engine, for the pandas engine (in memory, or in
chunks of schools above ``engine.chunk_schools``); :mod:`shnro_research.engine.dask` gives the
same functions on Dask. Each returns the tables of the in-memory path (rtol 1e-10).
"""
from __future__ import annotations

from collections.abc import Callable

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


def item_columns(data: pd.DataFrame, instrument, item_id: str) -> pd.DataFrame:
    """The ids and the columns of one item of the pooled answers (a narrow copy: the pooled
    tables copy what they are given, and a national study's answers are wide)."""
    cols = list(POOLED_IDS) + list(instrument.item(item_id).columns)
    return data[[c for c in dict.fromkeys(cols) if c in data.columns]]


def score_groups(read_clean: Callable[[str], pd.DataFrame], groups: list[str],
                 instrument: Callable, engine: dict, keep: list[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """Scores and reliability of every group, the pooled answers (``keep`` columns of every
    group with ``group``) and the whole answers of the teachers (for their agreement).

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
        pooled.append(clean[cols].assign(group=g))
        if g == "teachers":
            whole[g] = clean
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
