"""Stage 2 — responses: read every raw response file, validate it against its instrument and
the sample, and log every problem and exclusion.

Raw files are never modified. For each group and wave: raw rows = clean rows + excluded rows
(``row_counts``); every problem found is a row of ``problems`` (file, row, column, value, what
was expected, action taken), every excluded respondent a row of ``exclusions``. The clean answers
are written as parquet (for the next stages) and as SPSS ``.sav`` with the instrument's labels.
"""
from __future__ import annotations

import pandas as pd

from ..design.frame import FrameSpec, sampled_units
from ..forms import write_clean_sav
from ..responses import read_responses, validate_responses
from ._base import StageContext

INPUTS = ("instruments", "responses", "frame")
CONFIG = ("validation", "design", "study.lang")
UPSTREAM = ()
OUTPUTS = ("problems", "exclusions", "row_counts", "read_report")   # + <group>_clean.{parquet,sav}


def run(ctx: StageContext) -> None:
    frame = ctx.read("frame") if ctx.has("frame") else None
    spec = FrameSpec.from_config(ctx.params("design"))
    rules = ctx.params("validation") or None
    problems, exclusions, counts, reads = [], [], [], []
    for g in ctx.groups:
        inst = ctx.instrument(g)
        clean = []
        for r in ctx.responses(g):
            rr = read_responses(r.file, inst, encoding=r.encoding, sep=r.sep, sheet=r.sheet,
                                decimal=r.decimal)
            data = rr.data if "wave" in rr.data else rr.data.assign(wave=r.wave)
            sample = sampled_units(frame, g, r.wave, spec) if frame is not None else None
            res = validate_responses(data, inst, sample=sample, rules=rules, lang=ctx.lang)
            tag = dict(group=g, wave=r.wave, file=r.file.name)
            problems.append(res.problems.assign(**tag))
            exclusions.append(res.exclusions.assign(**tag))
            fields = rr.report.to_frame().set_index("field")["value"].to_dict()
            reads.append({**tag, **{k: v for k, v in fields.items() if k != "file"}})
            counts.append(dict(tag, raw_rows=len(data), clean_rows=len(res.clean),
                               excluded_rows=len(res.exclusions)))
            clean.append(res.clean.assign(wave=r.wave))
        df = pd.concat(clean, ignore_index=True)
        ctx.write(df, f"{g}_clean", csv=False)
        write_clean_sav(df, inst, ctx.out / f"{g}_clean.sav", ctx.lang)
    ctx.write(pd.concat(problems, ignore_index=True).astype({"value": str}), "problems")
    ctx.write(pd.concat(exclusions, ignore_index=True), "exclusions")
    ctx.write(pd.DataFrame(counts), "row_counts")
    ctx.write(pd.DataFrame(reads).astype(str), "read_report")   # one row per raw file
