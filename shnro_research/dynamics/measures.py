"""Respondent-level measures whose change the dynamics stage tests: the scales, the PVQ values,
the Rokeach ranks and the life-success choices of one respondent group."""
from __future__ import annotations

import numpy as np
import pandas as pd


def ranking_columns(clean: pd.DataFrame, item: str) -> list[str]:
    """Columns ``<item>_1 .. <item>_k`` of a ranking or multiple-response item."""
    return [c for c in clean.columns if c.startswith(f"{item}_") and c[len(item) + 1:].isdigit()]


def respondent_measures(scores: pd.DataFrame, clean: pd.DataFrame, inst, group: str):
    """Respondent-level measures of one group: its scales, PVQ values, Rokeach ranks (only
    complete rankings 1..k; others missing) and life-success / success-way choices (0/1; a
    respondent who chose nothing is missing). Returns (data, {measure: [variables]})."""
    ids = ["resp_id", "school_id", "class_id", "wave"]
    scales = [s for s in inst.scales if s in scores]
    d = scores.loc[scores.group == group, [c for c in ids if c in scores] + scales]
    kinds = {"scale": [s for s in scales if inst.scales[s].role != "pvq_value"],
             "pvq": [s for s in scales if inst.scales[s].role == "pvq_value"]}
    extra = clean[["resp_id", "wave"]].copy()
    for item in ("rok_term", "rok_instr"):
        cols = ranking_columns(clean, item)
        if not cols:
            continue
        r = clean[cols].apply(pd.to_numeric, errors="coerce")
        k = len(cols)
        full = r.notna().all(axis=1) & (np.sort(r.fillna(-1).to_numpy(), axis=1)
                                        == np.arange(1, k + 1)).all(axis=1)
        extra[cols] = r.where(full, np.nan)
        kinds[item] = cols
    for item in ("life_success", "success_ways"):
        cols = ranking_columns(clean, item)
        if not cols:
            continue
        r = clean[cols].apply(pd.to_numeric, errors="coerce")
        chose = (r == 1).any(axis=1)
        extra[cols] = (r == 1).astype(float).where(chose, np.nan)
        kinds[item] = cols
    if len(extra.columns) > 2:
        d = d.merge(extra.drop_duplicates(["resp_id", "wave"]), on=["resp_id", "wave"],
                    how="left")
    return d, {k: v for k, v in kinds.items() if v}
