"""The result container :class:`DemoStudy`, the named random streams and the argument checks."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .._checks import check_number
from ..errors import ParameterError
from ..instruments import Instrument, load_instrument
from .parameters import GROUPS, INSTRUMENT_NAMES


@dataclass
class DemoStudy:
    """A generated demo municipality.

    Attributes
    ----------
    seed, waves : the generation parameters.
    schools : DataFrame
        One row per school: ``school_id, stratum, location, n_classes, measure`` (PPS size:
        pupils of grades 8–11 in the first wave), ``p_school`` (first-stage inclusion probability),
        ``sampled`` (0/1).
    frame : DataFrame
        The sampling frame written to ``sample_frame.csv``: one row per wave x school x class of
        grades 8–11 (``unit = "class"``) and one row per wave x school for its teachers
        (``unit = "teachers"``); inclusion probabilities per stage, design and nonresponse-adjusted
        weights, response counts.
    sample : DataFrame
        The sampled rows of ``frame`` (``sampled == 1``).
    students, parents, teachers : DataFrame
        Answers, one long frame each (``wave`` column), id columns then the instrument's columns,
        exactly as written to the raw files (planted data problems included).
    passport : DataFrame
        School x year social passport (instrument ``school_passport``) plus ``in_programme``
        (1 = one of the programme schools of ``truth["programme"]``, 0 = other; not an item of
        the passport form).
    results : DataFrame
        School x year x procedure x subject x grade results (instrument ``results``).
    programme_data : DataFrame
        Programme monitoring, one row per school x year (every school): ``school_id, year,
        n_students, n_iom, n_add_edu, n_projects, n_individual_progress, n_anxiety_assessed,
        n_anxiety_reduced, missed_lessons, fail_pct, marks_45_pct, n_teachers, n_teachers_trained``
        (table ``programme_data`` of :func:`shnro_research.indicators.compute_indicators`).
    diagnostics : DataFrame
        Regional diagnostic work: ``school_id, year, work`` (``reading`` grades 4 and 6,
        ``science`` grade 8) ``, grade, n_participants, mean_score``.
    region : DataFrame
        Regional values: ``year, procedure, subject, below_min_pct, high_pct, mean_score``.
    truth : dict
        The planted truth (JSON-serialisable), see ``docs/DEMO_TRUTH.md``.
    instruments : dict
        The instruments used (name -> :class:`~shnro_research.instruments.Instrument`).
    """

    seed: int
    waves: tuple[int, ...]
    schools: pd.DataFrame
    frame: pd.DataFrame
    sample: pd.DataFrame
    students: pd.DataFrame
    parents: pd.DataFrame
    teachers: pd.DataFrame
    passport: pd.DataFrame
    results: pd.DataFrame
    programme_data: pd.DataFrame
    diagnostics: pd.DataFrame
    region: pd.DataFrame
    truth: dict
    instruments: dict = field(repr=False)

    def indicator_tables(self, survey: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
        """The tables of :func:`shnro_research.indicators.compute_indicators`: ``results``,
        ``passport``, ``programme_data``, ``diagnostics``, ``region`` (and ``survey`` if given:
        design-based estimates ``school_id, group, wave, variable, est, se``)."""
        if survey is not None and not isinstance(survey, pd.DataFrame):
            raise ParameterError(f"'survey' must be a DataFrame of design-based estimates "
                                 f"(school_id, group, wave, variable, est, se); "
                                 f"got {type(survey).__name__}")
        out = {"results": self.results, "passport": self.passport,
               "programme_data": self.programme_data, "diagnostics": self.diagnostics,
               "region": self.region}
        if survey is not None:
            out["survey"] = survey
        return out

    def answers(self, group: str) -> pd.DataFrame:
        """Answers of ``group`` (``"students"``, ``"parents"`` or ``"teachers"``)."""
        if group not in GROUPS:
            raise ParameterError(f"'group' must be one of {list(GROUPS)}; got {group!r}")
        return getattr(self, group)

    def __repr__(self) -> str:
        return (f"DemoStudy(seed={self.seed}, waves={self.waves}, schools={len(self.schools)}, "
                f"sampled={int(self.schools['sampled'].sum())}, students={len(self.students)}, "
                f"parents={len(self.parents)}, teachers={len(self.teachers)})")


#: Frozen stream names of columns renamed since 0.1 (``sh_x`` became ``x_pct``): a stream is
#: seeded by its name, so keeping the old names keeps the demo's data and its truth identical.
STREAM_NAMES = {
    **{f"{k}_pct": f"sh_{k}" for k in (
        "low_income", "parents_higher_edu", "single_parent", "large_families", "social_risk",
        "registered", "non_native", "disability", "teachers_higher_cat", "unemployed_parents",
        "guardianship", "second_shift", "below_min", "high", "fail")},
    "marks_45_pct": "sh_45",
}


class Streams:
    """Random streams: one generator per named component (``st("answers", group, item)``), so
    that e.g. changing an item does not move the schools."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def __call__(self, *names: Any) -> np.random.Generator:
        key = "/".join(STREAM_NAMES.get(str(n), str(n)) for n in names).encode("utf-8")
        extra = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
        return np.random.default_rng([self.seed, extra])


def check_args(seed, n_schools, n_sampled, waves) -> tuple[int, ...]:
    check_number(seed, "seed", low=0, integer=True)
    check_number(n_schools, "n_schools", low=15, high=50000, integer=True)
    check_number(n_sampled, "n_sampled", low=12, high=n_schools, integer=True)
    if isinstance(waves, (int, np.integer)) or not hasattr(waves, "__iter__"):
        raise ParameterError(f"'waves' must be a sequence of years; got {waves!r}")
    waves = tuple(waves)
    if not waves or not all(isinstance(w, (int, np.integer)) and not isinstance(w, bool)
                            and 1990 <= w <= 2100 for w in waves):
        raise ParameterError(f"'waves' must be whole-number years in 1990..2100; got {waves!r}")
    if list(waves) != sorted(set(waves)):
        raise ParameterError(f"'waves' must be strictly increasing; got {waves!r}")
    return tuple(int(w) for w in waves)


def resolve_instruments(instruments: Mapping[str, Any] | None) -> dict[str, Instrument]:
    out = {}
    given = dict(instruments or {})
    unknown = set(given) - set(INSTRUMENT_NAMES)
    if unknown:
        raise ParameterError(f"'instruments' keys must be among {list(INSTRUMENT_NAMES)}; "
                             f"got {sorted(unknown)}")
    for name in INSTRUMENT_NAMES:
        value = given.get(name, name)
        out[name] = value if isinstance(value, Instrument) else load_instrument(value)
    for g in GROUPS:
        if out[g].group != g:
            raise ParameterError(f"instrument for {g!r} has group {out[g].group!r}")
    return out

