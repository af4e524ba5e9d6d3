"""Stage 2 — responses: read every raw response file, validate it against its instrument and
the sample, and log every problem and exclusion.

Raw files are never modified. For each group and wave: raw rows = clean rows + excluded rows
(``row_counts``); every problem found is a row of ``problems`` (file, row, the file's own line,
column, value, what was expected, action taken), every excluded respondent a row of
``exclusions``. The clean answers are written as parquet (for the next stages) and as SPSS
``.sav`` with the instrument's labels (``engine.spss_copy``: above ``spss_copy_max_rows``
respondents of a group the ``.sav`` copy is skipped by default — ``spss_copies`` says which
were written and why not); columns not in the instrument are dropped from them
(``validation.keep_columns`` keeps named ones), one problem row per column; a kept column whose
name SPSS does not allow (a space, as in Google-Forms headers) gets a valid name in the ``.sav``
(:func:`sav_names`).

A file that cannot be analysed as listed stops the stage with a :class:`DataError` naming it:
an answer column of the instrument missing (a renamed column would shorten a scale for one
wave), or a ``wave`` column holding another wave than the config lists the file under (one file
would be analysed as two waves).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..design.frame import FrameSpec, sampled_units
from ..errors import DataError
from ..forms import write_clean_sav
from ..responses import read_responses, validate_responses
from ..responses.read import require_columns
from ._base import StageContext

INPUTS = ("instruments", "responses", "frame")
CONFIG = ("validation", "design", "engine", "study.lang")
UPSTREAM = ()
OUTPUTS = ("problems", "exclusions", "row_counts", "read_report",
           "spss_copies")   # + <group>_clean.{parquet,sav}


def check_wave(data: pd.DataFrame, wave: int, file: str, group: str,
               lines: np.ndarray | None = None) -> None:
    """DataError when a file's own ``wave`` column holds another wave than the config's.

    Empty cells are left to validation (an empty id excludes the row as ``missing_id``); any
    other value must equal ``wave``. An error rather than excluding the rows: a file holding
    another wave is a mislabelled file (or a pooled file listed under one wave), and analysing
    it under the configured wave would make one file two waves.
    """
    if "wave" not in data:
        return
    s = data["wave"].reset_index(drop=True)
    txt = s.astype(str).str.strip()
    num = pd.to_numeric(s, errors="coerce") if pd.api.types.is_numeric_dtype(s) else \
        pd.to_numeric(txt.str.replace(",", ".", regex=False), errors="coerce")
    present = s.notna().to_numpy() & ~txt.eq("").to_numpy()
    bad = present & ~(num == wave).to_numpy(dtype=bool, na_value=False)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    where = f"line {int(lines[i])}" if lines is not None and len(lines) == len(s) else \
        f"row {i + 1}"
    others = pd.unique(s[bad].astype(str))
    v = s.iloc[i]
    v = v.item() if hasattr(v, "item") else v
    raise DataError(
        f"{file}: {where} has wave {v!r} but the config lists the file as "
        f"responses.{group}.{wave} ({int(bad.sum())} row(s) with another wave: "
        f"{', '.join(others[:5])}). Split the file by wave, or list it under its own wave")


def _with_lines(tab: pd.DataFrame, lines: np.ndarray | None) -> pd.DataFrame:
    """Add ``line``: the file's own line of each ``row`` (CSV), empty where unknown."""
    out = tab.copy()
    line = pd.array([pd.NA] * len(out), dtype="Int64")
    if lines is not None and len(out):
        row = pd.array(out["row"], dtype="Int64")
        ok = ~row.isna()
        idx = row[ok].to_numpy(dtype=np.int64) - 1
        vals = np.asarray(lines, dtype=np.int64)[idx]
        line[np.flatnonzero(np.asarray(ok))] = vals
    out.insert(out.columns.get_loc("row") + 1, "line", line)
    return out


def sav_names(columns) -> dict[str, str]:
    """Names valid in SPSS for columns kept from the file (``validation.keep_columns``): runs of
    spaces and characters SPSS does not allow become ``_`` (a Google-Forms header such as
    ``"Отметка времени"`` becomes ``Отметка_времени``), a leading digit gets ``v_``, at most
    64 bytes, made unique. Instrument columns are valid already and keep their names."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for c in columns:
        name = re.sub(r"[^\w.@#$]+", "_", str(c).strip()).strip("_") or "column"
        if not (name[0].isalpha() or name[0] in "@#$"):
            name = "v_" + name
        while len(name.encode("utf-8")) > 64:
            name = name[:-1]
        base, k = name, 1
        while name.lower() in used:
            k += 1
            name = f"{base[:60]}_{k}"
        used.add(name.lower())
        out[str(c)] = name
    return out


def read_and_validate(r, inst, group: str, sample: pd.DataFrame | None, rules, lang: str
                      ) -> dict:
    """Read one raw response file and validate it (one task of the engine: a file is validated
    whole, as duplicated ids are looked for within it); returns its clean rows, problems,
    exclusions, what the reader found and the row counts."""
    rr = read_responses(r.file, inst, encoding=r.encoding, sep=r.sep, sheet=r.sheet,
                        decimal=r.decimal)
    require_columns(rr.report, inst, r.file.name)
    lines = rr.report.lines
    check_wave(rr.data, r.wave, r.file.name, group, lines)
    data = rr.data if "wave" in rr.data else rr.data.assign(wave=r.wave)
    res = validate_responses(data, inst, sample=sample, rules=rules, lang=lang)
    tag = dict(group=group, wave=r.wave, file=r.file.name)
    fields = rr.report.to_frame().set_index("field")["value"].to_dict()
    return {"problems": _with_lines(res.problems, lines).assign(**tag),
            "exclusions": _with_lines(res.exclusions, lines).assign(**tag),
            "read": {**tag, **{k: v for k, v in fields.items() if k != "file"}},
            "counts": dict(tag, raw_rows=len(data), clean_rows=len(res.clean),
                           excluded_rows=len(res.exclusions)),
            "clean": res.clean.assign(wave=r.wave)}


def _spss_copy(df: pd.DataFrame, inst, group: str, ctx: StageContext, eng: dict) -> dict:
    """Write ``<group>_clean.sav`` unless ``engine.spss_copy`` says not to; one row of
    ``spss_copies``. The basis of the default ``spss_copy_max_rows`` (500,000): pyreadstat
    writes about 2.5 million values a second, row by row in one process, so the copy of a
    national group (millions of rows x ~180 columns) would take minutes — longer than the rest
    of the study — while the parquet of the clean answers holds the same data."""
    mode, most = eng.get("spss_copy", "auto"), eng.get("spss_copy_max_rows", 500_000)
    path = ctx.out / f"{group}_clean.sav"
    write = mode == "always" or (mode == "auto" and len(df) <= most)
    if write:
        write_clean_sav(df.rename(columns=sav_names(df.columns)), inst, path, ctx.lang)
        reason = ""
    else:
        path.unlink(missing_ok=True)    # no stale copy of an earlier run beside the new answers
        reason = ("engine.spss_copy: never" if mode == "never" else
                  f"{len(df):,} respondents > engine.spss_copy_max_rows {most:,}; the clean "
                  f"answers are in {group}_clean.parquet (set engine.spss_copy: always)")
    return {"group": group, "file": path.name, "n": len(df), "written": write,
            "reason": reason}


def run(ctx: StageContext) -> None:
    frame = ctx.read("frame") if ctx.has("frame") else None
    spec = FrameSpec.from_config(ctx.params("design"))
    rules = ctx.params("validation") or None
    eng = ctx.params("engine")
    jobs = [(r, ctx.instrument(g), g,
             sampled_units(frame, g, r.wave, spec) if frame is not None else None, rules,
             ctx.lang) for g in ctx.groups for r in ctx.responses(g)]
    if eng["backend"] == "dask":                 # one task per raw file on the cluster
        from ..engine.dask import map_tasks
        done = iter(map_tasks(read_and_validate, jobs, eng))
    else:
        done = (read_and_validate(*job) for job in jobs)
    problems, exclusions, counts, reads, copies = [], [], [], [], []
    for g in ctx.groups:
        inst = ctx.instrument(g)
        clean = []
        for _ in ctx.responses(g):
            one = next(done)
            problems.append(one["problems"])
            exclusions.append(one["exclusions"])
            reads.append(one["read"])
            counts.append(one["counts"])
            clean.append(one["clean"])
        del one                 # else the last file's clean rows live on into the next group
        df = pd.concat(clean, ignore_index=True)
        del clean
        ctx.write(df, f"{g}_clean", csv=False)
        copies.append(_spss_copy(df, inst, g, ctx, eng))
        del df
    ctx.write(pd.concat(problems, ignore_index=True).astype({"value": str}), "problems")
    ctx.write(pd.concat(exclusions, ignore_index=True), "exclusions")
    ctx.write(pd.DataFrame(counts), "row_counts")
    ctx.write(pd.DataFrame(reads).astype(str), "read_report")   # one row per raw file
    ctx.write(pd.DataFrame(copies), "spss_copies")
