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

Breakdowns (config ``breakdowns:``), on the municipal design of each group and wave: the mean of
each measure in each level of each factor with the design-based t-test (two levels) or Wald F
(more) of equal means (``breakdowns_means``), every pairwise difference of levels
(``breakdowns_contrasts``), and cross-tables of categorical answers by each factor, row shares
0–1 with the Rao–Scott F and χ² (``breakdowns_crosstabs``); p adjusted by ``breakdowns.adjust``
over each table of a group and wave. A factor or answer is used for the groups whose instrument
has it; ``ses_group`` is the students' SES tercile (``student_ses``, within the wave).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config_schema import BreakdownsBlock
from ..design import estimate_by, weight_diagnostics
from ..design.breakdowns import breakdown_contrasts, breakdown_crosstabs, breakdown_means
from ..design.frame import FrameSpec, attach_design, municipal_design
from ..engine.stages import school_estimates
from ..errors import ConfigError
from ..student_ses import student_ses, student_ses_columns
from ._base import StageContext

INPUTS = ("instruments", "frame")
CONFIG = ("design", "breakdowns", "engine", "study.lang")
UPSTREAM = ("responses", "scoring")
OUTPUTS = ("estimates_by_school", "estimates_municipality", "weight_diagnostics", "no_weight",
           "single_respondent_cells", "breakdowns_means", "breakdowns_contrasts",
           "breakdowns_crosstabs")
SES_GROUP = "ses_group"
SES_LEVELS = ["low", "middle", "high"]


def _front(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("school_id", "group", "wave", "variable", "category", "level") if c in df]
    return df[keys + [c for c in df.columns if c not in keys]]


def _breakdown_columns(ctx: StageContext, p: dict) -> dict[str, dict[str, list[str]]]:
    """Per group: the factors, measures and categorical answers of ``breakdowns:`` it has."""
    out, seen = {}, set()
    for g in ctx.groups:
        inst = ctx.instrument(g)
        coded = {it.id for it in inst.items if it.codes}
        scales = {s for s in inst.scales if inst.scales[s].role != "pvq_value"}
        by = [f for f in p["by"] if f in coded or (f == SES_GROUP and g == "students")]
        out[g] = {"by": by, "measures": [m for m in p["measures"] if m in scales],
                  "categorical": [c for c in p["categorical"] if c in coded]}
        seen |= set(by) | set(out[g]["measures"]) | set(out[g]["categorical"])
    defaults = BreakdownsBlock().model_dump()
    for key in ("by", "measures", "categorical"):
        unknown = [x for x in p[key] if x not in seen]
        if unknown and p[key] != defaults[key]:     # the defaults may name items a study lacks
            raise ConfigError(f"breakdowns.{key}: {unknown} is not a coded item (or scale, for "
                              f"measures) of any instrument of the groups {ctx.groups}")
    return out


def _breakdown_data(ctx: StageContext, g: str, scores: pd.DataFrame, cols: dict) -> pd.DataFrame:
    """Scores of group ``g`` with its factor and categorical answers (and SES tercile)."""
    items = [c for c in dict.fromkeys(cols["by"] + cols["categorical"]) if c != SES_GROUP]
    if not items and SES_GROUP not in cols["by"]:
        return scores
    # the clean answers with only the columns used (a national table has millions of rows)
    ses_cols = student_ses_columns(ctx.instrument(g)) if SES_GROUP in cols["by"] else []
    clean = ctx.table_with("responses", f"{g}_clean", ["resp_id", "wave", *items, *ses_cols])
    out = scores.merge(clean[["resp_id", "wave"] + items], on=["resp_id", "wave"], how="left")
    if SES_GROUP in cols["by"]:
        ses = student_ses(clean, ctx.instrument(g))
        rank = ses.groupby("wave")["ses"].rank(method="first")
        cnt = rank.groupby(ses["wave"]).transform("max")
        code = np.ceil(rank / cnt * 3).clip(1, 3)
        ses[SES_GROUP] = pd.Categorical.from_codes(
            np.where(code.isna(), -1, code.fillna(1).astype(int) - 1), categories=SES_LEVELS)
        out = out.merge(ses[["resp_id", "wave", SES_GROUP]], on=["resp_id", "wave"], how="left")
    return out


def _code_labels(inst, lang: str) -> dict[str, dict[str, str]]:
    return {it.id: {str(k): t.get(lang) for k, t in it.codes.items()} for it in inst.items
            if it.codes}


def _label(table: pd.DataFrame, code_col: str, item_col: str, labels: dict) -> pd.Series:
    return pd.Series([labels.get(i, {}).get(c, c) for i, c in
                      zip(table[item_col], table[code_col])], index=table.index, dtype=object)


def run(ctx: StageContext) -> None:
    bp = ctx.params("breakdowns")
    bcols = _breakdown_columns(ctx, bp)          # a name no instrument has stops the stage now
    frame = ctx.read("frame")
    p = ctx.params("design")
    spec = FrameSpec.from_config(p)
    lonely = p.get("lonely_psu", "certainty")
    # the respondent scores with only the columns used: keys and the groups' scales
    scales = {s for g in ctx.groups for s, sc in ctx.instrument(g).scales.items()
              if sc.role != "pvq_value"}
    scores = ctx.table_with("scoring", "respondent_scores",
                            ["resp_id", "school_id", "class_id", "wave", "group", *scales])
    eng = ctx.params("engine")
    n_schools = scores["school_id"].nunique()
    on_dask = []                      # (group, wave, data, variables) for the Dask engine
    est_school, est_all, diag, dropped, single = [], [], [], [], []
    b_means, b_contrasts, b_cross = [], [], []
    for g in ctx.groups:
        inst = ctx.instrument(g)
        variables = [s for s in inst.scales if inst.scales[s].role != "pvq_value"]
        cols = bcols[g]
        data = attach_design(_breakdown_data(ctx, g, scores[scores.group == g], cols), frame, g,
                             spec)
        bad = data["weight"].isna()
        if bad.any():
            dropped.append(data.loc[bad, ["resp_id", "school_id", "wave"]].assign(
                group=g, reason="no sampled class/school in the frame: no design weight"))
        data = data[~bad]
        for wave, dw in data.groupby("wave"):
            dw = dw.reset_index(drop=True)
            des = municipal_design(dw, g, lonely_psu=lonely,
                                   where=f"design, municipal estimates of {g} {wave}")
            if eng["backend"] == "dask":
                on_dask.append((g, wave, dw, variables))
            else:
                est_all.append(estimate_by(des, variables).assign(group=g, wave=wave))
            labels = _code_labels(inst, ctx.lang)
            if cols["by"] and cols["measures"]:
                t = breakdown_means(des, cols["measures"], cols["by"], adjust=bp["adjust"])
                t.insert(0, "by_category_label", _label(t, "by_category", "by", labels))
                b_means.append(t.assign(group=g, wave=wave))
                b_contrasts.append(breakdown_contrasts(des, cols["measures"], cols["by"],
                                                       adjust=bp["adjust"]).assign(group=g,
                                                                                   wave=wave))
            if any(v != f for v in cols["categorical"] for f in cols["by"]):
                t = breakdown_crosstabs(des, cols["categorical"], cols["by"], adjust=bp["adjust"])
                t.insert(0, "category_label", _label(t, "category", "variable", labels))
                t.insert(0, "by_category_label", _label(t, "by_category", "by", labels))
                b_cross.append(t.assign(group=g, wave=wave))
            diag.append(weight_diagnostics(des).assign(group=g, wave=wave))
            if eng["backend"] != "dask":
                est_school.append(school_estimates(dw, variables, g, wave, lonely_psu=lonely,
                                                   engine=eng, n_schools=n_schools).assign(
                    group=g, wave=wave))
    if on_dask:
        from ..engine.dask import design_estimates_dask
        done = design_estimates_dask(on_dask, lonely_psu=lonely, engine=eng)
        for (g, wave, _, _), (mun, est) in zip(on_dask, done):
            est_all.append(mun.assign(group=g, wave=wave))
            est_school.append(est.assign(group=g, wave=wave))
    for est in est_school:
        one = est[est["n"] == 1]
        if len(one):
            single.append(one[["school_id", "group", "wave", "variable", "n"]].assign(
                lonely_psu=lonely, note="one respondent: no within-school variance"))
    ctx.write(_front(pd.concat(est_school, ignore_index=True)), "estimates_by_school")
    ctx.write(_front(pd.concat(est_all, ignore_index=True)), "estimates_municipality")
    ctx.write(pd.concat(diag, ignore_index=True), "weight_diagnostics")
    for name, parts in (("breakdowns_means", b_means), ("breakdowns_contrasts", b_contrasts),
                        ("breakdowns_crosstabs", b_cross)):
        ctx.write(_front(pd.concat(parts, ignore_index=True)) if parts else
                  pd.DataFrame({"group": pd.Series(dtype=str), "wave": pd.Series(dtype="int64"),
                                "variable": pd.Series(dtype=str), "by": pd.Series(dtype=str),
                                "est": pd.Series(dtype=float)}), name)
    ctx.write(pd.concat(dropped, ignore_index=True) if dropped else
              pd.DataFrame(columns=["resp_id", "school_id", "wave", "group", "reason"]),
              "no_weight")
    ctx.write(pd.concat(single, ignore_index=True) if single else
              pd.DataFrame({"school_id": pd.Series(dtype=object), "group": pd.Series(dtype=str),
                            "wave": pd.Series(dtype="int64"), "variable": pd.Series(dtype=str),
                            "n": pd.Series(dtype="int64"), "lonely_psu": pd.Series(dtype=str),
                            "note": pd.Series(dtype=str)}),
              "single_respondent_cells")
