"""The sampling frame of a study: which schools and classes were drawn, and joining their strata,
weights and population counts (for the finite population correction) to respondents.

The frame has one row per sampled unit and wave: a class (students and parents are asked in
their class) or a school's teaching staff (``unit == "teachers"``), with its stratum, weight and,
optionally, a ``sampled`` flag (1 = drawn). Column names are parameters (``FrameSpec``).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import DataError


@dataclass(frozen=True)
class FrameSpec:
    """Column names of the sampling frame (the ``design:`` block of the study config)."""

    wave: str = "wave"
    strata: str = "stratum"
    school: str = "school_id"
    class_: str = "class_id"
    unit: str | None = "unit"
    weight: str = "weight"

    @classmethod
    def from_config(cls, d: dict) -> "FrameSpec":
        return cls(wave=d.get("wave", "wave"), strata=d.get("strata", "stratum"),
                   school=d.get("school", "school_id"), class_=d.get("class", "class_id"),
                   unit=d.get("unit"), weight=d.get("weight_nr") or d.get("weight", "weight"))


def _split_units(frame: pd.DataFrame, spec: FrameSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(class rows, teacher rows) of the frame; without a unit column every row is a class."""
    if spec.unit and spec.unit in frame:
        return frame[frame[spec.unit] == "class"], frame[frame[spec.unit] == "teachers"]
    return frame, frame.iloc[0:0]


def sampled_units(frame: pd.DataFrame, group: str, wave: int,
                  spec: FrameSpec = FrameSpec()) -> pd.DataFrame:
    """The sampled schools (teachers) or schools × classes (students, parents) of one wave.

    Returns a table with ``school_id`` (and ``class_id``) against which responses are checked
    ("not in the sample").
    """
    f = frame
    if spec.wave in f:
        f = f[f[spec.wave] == wave]
    if "sampled" in f:
        f = f[f["sampled"] == 1]
    if group == "teachers":
        return f[[spec.school]].drop_duplicates().rename(columns={spec.school: "school_id"})
    classes, _ = _split_units(f, spec)
    return classes[[spec.school, spec.class_]].drop_duplicates().rename(
        columns={spec.school: "school_id", spec.class_: "class_id"})


def attach_design(data: pd.DataFrame, frame: pd.DataFrame, group: str,
                  spec: FrameSpec = FrameSpec()) -> pd.DataFrame:
    """Join strata, weights and population counts (for fpc) of the frame to respondents.

    Students and parents get the weight of their class, teachers that of their school's staff.
    Stage-1 fpc (``fpc_schools``) = schools in the stratum; stage-2 fpc (``fpc_units``) = classes
    in the school. Teachers are a with-replacement second stage (all teachers of a sampled school
    are asked; the estimate refers to the school's staff), so they get no stage-2 fpc and each
    teacher is its own second-stage unit (``psu2``). Respondents without a sampled class or
    school get no weight (``weight`` missing); the caller logs them.
    """
    w, sch, cls, strata = spec.wave, spec.school, spec.class_, spec.strata
    for c in (w, sch, strata, spec.weight):
        if c not in frame:
            raise DataError(f"sampling frame: column {c!r} not found; it has {list(frame.columns)}")
    n_schools = frame.groupby([w, strata])[sch].nunique().rename("fpc_schools").reset_index()
    classes, teachers = _split_units(frame, spec)
    n_classes = classes.groupby([w, sch])[cls].nunique().rename("fpc_units").reset_index()
    if group == "teachers":
        t = teachers[teachers["sampled"] == 1] if "sampled" in teachers else teachers
        t = t[[w, sch, strata, spec.weight]].rename(columns={spec.weight: "weight"})
        out = data.merge(t, left_on=["wave", "school_id"], right_on=[w, sch], how="left")
        out["psu2"] = out["resp_id"].astype(str)
    else:
        c = classes[classes["sampled"] == 1] if "sampled" in classes else classes
        c = c[[w, sch, cls, strata, spec.weight]].rename(columns={spec.weight: "weight"})
        out = data.merge(c, left_on=["wave", "school_id", "class_id"], right_on=[w, sch, cls],
                         how="left", suffixes=("", "_frame"))
        out = out.merge(n_classes.rename(columns={w: "wave", sch: "school_id"}),
                        on=["wave", "school_id"], how="left")
        out["psu2"] = out["class_id"].astype(str)
    out = out.merge(n_schools.rename(columns={w: "wave"}), on=["wave", strata], how="left")
    out = out.rename(columns={strata: "stratum"})
    drop = [c for c in out.columns if c.endswith("_frame") or (c in (w, sch, cls) and c not in data)]
    return out.drop(columns=[c for c in drop if c in out.columns and c not in data.columns])


def municipal_design(data: pd.DataFrame, group: str, *, lonely_psu: str, where: str):
    """The multistage design of one respondent group as the frame defines it: strata, schools
    (stage-1 fpc), then classes (stage-2 fpc) for students and parents or each teacher (no fpc,
    with replacement); ``data`` comes from :func:`attach_design`. A degenerate design is a
    :class:`DataError` that says ``where`` (the stage and wave) and the ``lonely_psu`` policy.
    """
    from .spec import survey_design
    try:
        return survey_design(data, ids=["school_id", "psu2"], strata="stratum", weight="weight",
                             lonely_psu=lonely_psu,
                             fpc=["fpc_schools", "fpc_units" if group != "teachers" else None])
    except DataError as exc:
        raise DataError(f"{where} (design.lonely_psu = {lonely_psu!r}): {exc}") from None
