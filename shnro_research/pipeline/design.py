"""Stage 4 — design: weights and design-based estimates (SE, CI, deff) of every scale per
school × group × wave and for the municipality.

Municipality estimates use the full multistage design (strata, schools, classes or teachers;
Taylor linearisation as R ``survey``). Per-school estimates treat the school's respondents as
the units (the school as a stratum): with two classes a school the between-class variance has
one degree of freedom and cannot be estimated usefully. A school with one respondent in a group
and wave is a stratum with one unit: the study's ``design.lonely_psu`` applies to it as to the
municipal design (``certainty`` by default: no variance from it), and every school estimate
resting on one respondent is listed in ``single_respondent_cells`` (the report suppresses cells
under ``report.min_cell`` anyway).
"""
from __future__ import annotations

import pandas as pd

from ..design import estimate_by, survey_design, weight_diagnostics
from ..design.frame import FrameSpec, attach_design
from ..errors import DataError
from ._base import StageContext

INPUTS = ("instruments", "frame")
CONFIG = ("design",)
UPSTREAM = ("scoring",)
OUTPUTS = ("estimates_by_school", "estimates_municipality", "weight_diagnostics", "no_weight",
           "single_respondent_cells")


def _front(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("school_id", "group", "wave", "variable", "category", "level") if c in df]
    return df[keys + [c for c in df.columns if c not in keys]]


def run(ctx: StageContext) -> None:
    frame = ctx.read("frame")
    p = ctx.params("design")
    spec = FrameSpec.from_config(p)
    lonely = p.get("lonely_psu", "certainty")
    scores = ctx.table("scoring", "respondent_scores")
    est_school, est_all, diag, dropped, single = [], [], [], [], []
    for g in ctx.groups:
        inst = ctx.instrument(g)
        variables = [s for s in inst.scales if inst.scales[s].role != "pvq_value"]
        data = attach_design(scores[scores.group == g], frame, g, spec)
        bad = data["weight"].isna()
        if bad.any():
            dropped.append(data.loc[bad, ["resp_id", "school_id", "wave"]].assign(
                group=g, reason="no sampled class/school in the frame: no design weight"))
        data = data[~bad]
        for wave, dw in data.groupby("wave"):
            dw = dw.reset_index(drop=True)
            try:
                des = survey_design(dw, ids=["school_id", "psu2"], strata="stratum",
                                    weight="weight", lonely_psu=lonely,
                                    fpc=["fpc_schools", "fpc_units" if g != "teachers" else None])
            except DataError as exc:
                raise DataError(f"design, municipal estimates of {g} {wave} (design.lonely_psu "
                                f"= {lonely!r}): {exc}") from None
            est_all.append(estimate_by(des, variables).assign(group=g, wave=wave))
            diag.append(weight_diagnostics(des).assign(group=g, wave=wave))
            try:
                within = survey_design(dw, strata="school_id", weight="weight",
                                       lonely_psu=lonely)
            except DataError as exc:
                raise DataError(f"design, per-school estimates of {g} {wave} (design.lonely_psu "
                                f"= {lonely!r}): {exc}") from None
            est = estimate_by(within, variables, by="school_id").assign(group=g, wave=wave)
            est_school.append(est)
            one = est[est["n"] == 1]
            if len(one):
                single.append(one[["school_id", "group", "wave", "variable", "n"]].assign(
                    lonely_psu=lonely, note="one respondent: no within-school variance"))
    ctx.write(_front(pd.concat(est_school, ignore_index=True)), "estimates_by_school")
    ctx.write(_front(pd.concat(est_all, ignore_index=True)), "estimates_municipality")
    ctx.write(pd.concat(diag, ignore_index=True), "weight_diagnostics")
    ctx.write(pd.concat(dropped, ignore_index=True) if dropped else
              pd.DataFrame(columns=["resp_id", "school_id", "wave", "group", "reason"]),
              "no_weight")
    ctx.write(pd.concat(single, ignore_index=True) if single else
              pd.DataFrame({"school_id": pd.Series(dtype=object), "group": pd.Series(dtype=str),
                            "wave": pd.Series(dtype="int64"), "variable": pd.Series(dtype=str),
                            "n": pd.Series(dtype="int64"), "lonely_psu": pd.Series(dtype=str),
                            "note": pd.Series(dtype=str)}),
              "single_respondent_cells")
