"""The demo municipality: a seeded, realistic study with a known truth.

Without data of their own users run the whole study on a municipality generated here:
40 schools in 3 strata (city / town / village), school social passports and ВПР/ОГЭ/ЕГЭ results
for every school and year, and three survey waves of students, parents and teachers of a
multistage sample (schools PPS within strata -> 2 classes per school by SRS -> all pupils of the
sampled classes; one parent per responding pupil; all teachers of the sampled schools).

Answers are generated **from the instruments** (``surveys/*.yaml``) by item type, role and scale,
so any change of wording or of the number of items keeps working:

* ``likert`` items: a respondent latent ``y* = M[school, wave] + delta_item + f_school *
  (a * e_respondent + b * eps_item)`` (``a = 0.65``, ``b = 0.75``; ``e`` shared by the items of one
  scale) is cut at equally spaced thresholds into the item's codes; reverse-keyed items are stored
  as ``min + max - code``; ~2 % of answers get the item's missing code (e.g. 9), ~0.5 % are blank;
* ``ranking`` items (Rokeach): permutations from Gumbel-perturbed group utilities
  (Plackett–Luce); ``multiple`` items: the ``m`` best of Gumbel-perturbed utilities,
  ``m <= max_choices``; ``single`` / ``numeric`` items with known ids (sex, grade, SES, experience,
  ...) from dedicated rules, others from fixed random distributions; ``text`` items are left empty.

The planted truth (context effect, resilient / low-result / stably high / unstable schools,
high-tension schools, a student–teacher discrepancy, programme schools where tension falls,
value hierarchies, life-success probabilities, need gaps, teachers' consensus; programme
monitoring, regional diagnostic work and regional values with the programme schools improving
and the region ahead of the municipality) is returned in ``DemoStudy.truth`` and written to
``truth.json``; every number is documented in ``docs/DEMO_TRUTH.md``.

The indicator tables of :func:`shnro_research.indicators.compute_indicators` are complete:
``DemoStudy.indicator_tables()`` gives ``results, passport, programme_data, diagnostics,
region`` (add ``survey`` estimates for the survey-based indicators); the passport carries an
``in_programme`` flag (0/1, not an item of the passport form) for restricting indicators to the
programme schools (``params.schools: {source: passport, column: in_programme, values: [1]}``).

Files written by :func:`write_demo` (``folder/``)::

    raw/students_<wave>.sav     SPSS, UTF-8, variable and value labels from the instrument,
                                user-missing codes declared
    raw/parents_<wave>.csv      Windows-1251, ';' separated, decimal comma
    raw/teachers_<wave>.xlsx    one sheet
    raw/school_passport.xlsx    sheet 1: school x year (+ in_programme 0/1, not in the
                                instrument); sheet 2: codebook
    raw/results.csv             UTF-8, ',' separated: school x year x procedure x subject x grade
    raw/sample_frame.csv        UTF-8: strata, schools, classes, probabilities, weights, response
    raw/programme_data.xlsx     programme monitoring, school x year (one sheet)
    raw/diagnostics.csv         UTF-8, ',': regional reading / science literacy tests
    raw/region.csv              UTF-8, ',': regional values by year x procedure x subject
    truth.json                  the planted truth
    study.yaml                  the study configuration (format: see :func:`write_demo`)

Same seed => byte-identical files (the creation time in the .sav header and the zip/XML
timestamps of the .xlsx files are fixed).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import norm

from ._reproducible import fix_sav_time
from ._checks import DataError, ParameterError, check_number
from .instruments import Instrument, Item, load_instrument

__all__ = ["DemoStudy", "generate_demo", "write_demo", "load_demo_truth",
           "add_make_demo_arguments", "cli_make_demo"]

GROUPS = ("students", "parents", "teachers")
INSTRUMENT_NAMES = ("students", "parents", "teachers", "school_passport", "results")
STRATA = ("city", "town", "village")
STRATUM_SHARE = (0.4, 0.3, 0.3)
#: fixed creation time written into .sav headers and .xlsx properties (reproducible files)

# within-school latent spread: respondent (shared within a scale) and item-specific parts
A_RESP, B_ITEM = 0.65, 0.75
# --------------------------------------------------------------------------------------------
# Planted parameters (documented in docs/DEMO_TRUTH.md; copied into truth.json)
# --------------------------------------------------------------------------------------------
RESULTS = dict(
    beta_context=0.70,          # z-units (1 = sigma_between points) per SD of context
    sd_u=0.50, u_trunc=0.80,    # non-planted school effects ~ N(0, 0.5^2) truncated to |u|<0.8
    sd_year=0.25,               # school x year noise
    sd_row=0.35,                # school x year x procedure x subject x grade noise
    sd_within=12.0,             # pupils' SD within a school (percentage points)
    below_min_z=-1.35,          # minimum threshold = mu - 1.35 * sd_within
    high_z=1.20,                # high-result threshold = mu + 1.2 * sd_within
    resilient_u=(1.2, 1.5), low_z=(-2.1, -1.8), high_u=(0.9, 1.1), unstable_swing=0.9,
)
PROCEDURES = {  # code: (name, [(subject, grade, mu, sigma_between, participation)])
    1: ("ВПР", [(s, g, 58.0 + (5 if s == 1 else -3), 8.0, 0.92) for g in (5, 6, 7, 8)
                for s in (1, 2)]),
    2: ("ОГЭ", [(1, 9, 64.0, 7.0, 0.98), (2, 9, 55.0, 8.0, 0.98)]),
    3: ("ЕГЭ", [(1, 11, 68.0, 6.0, 0.97), (2, 11, 52.0, 8.0, 0.55)]),
}
PASSPORT = {  # id: (mean share %, logit slope per SD of context, school noise SD)
    "low_income_pct": (20.0, -0.60, 0.30),
    "parents_higher_edu_pct": (30.0, 0.60, 0.30),
    "single_parent_pct": (22.0, -0.35, 0.25),
    "large_families_pct": (15.0, -0.30, 0.30),
    "social_risk_pct": (5.0, -0.50, 0.35),
    "registered_pct": (2.0, -0.50, 0.40),
    "non_native_pct": (6.0, -0.30, 0.50),
    "disability_pct": (4.0, -0.20, 0.35),
    "teachers_higher_cat_pct": (40.0, 0.40, 0.30),
    "unemployed_parents_pct": (8.0, -0.55, 0.30),
    "guardianship_pct": (2.0, -0.35, 0.35),
}
#: passport items not listed above, by role: (mean share %, slope)
PASSPORT_ROLE = {"context_negative": (10.0, -0.40), "context_positive": (30.0, 0.40)}
#: yes/no staffing items: logit P(yes) = a + 0.8 c_s + 0.8 city - 0.8 village
PASSPORT_YESNO = {"has_psychologist": 1.0, "has_social_pedagogue": 0.5, "has_defectologist": -0.5}
TENSION = dict(school_sd=0.30, trunc=1.8, context_slope=-0.15, group_sd=0.10,
               group_mu={"students": -0.4, "parents": -0.6, "teachers": -0.5},
               high_level={"students": 1.1, "parents": 1.0, "teachers": 0.5},
               discrepancy_level={"students": 1.1, "parents": 0.2, "teachers": -0.3})
PROGRAMME = dict(tension=-0.8, motivation=0.8, anxiety=-0.4)  # latent shift at the last wave
#: programme monitoring (raw/programme_data.xlsx), one row per school x year, every school:
#: P(pupil / teacher counted) = logistic(logit(base/100) + c_slope c_s + u_slope u_s
#: + village_shift village + eta_s + programme path_sy + eps_sy), eta_s ~ N(0, school_sd^2),
#: eps_sy ~ N(0, year_sd^2); counts ~ Binomial(n_students or n_teachers, P); path_sy goes
#: linearly from 0 (first year) to 1 (last year) in the programme schools, 0 elsewhere.
#: column: (base %, c_slope, u_slope, village_shift, school_sd, programme, year_sd)
PROGRAMME_DATA = {
    "n_iom": (7.0, -0.25, -0.30, 0.0, 0.50, 1.80, 0.10),
    "n_add_edu": (66.0, 0.30, 0.0, -0.40, 0.30, 0.80, 0.08),
    "n_projects": (24.0, 0.30, 0.10, 0.0, 0.35, 1.00, 0.10),
    "n_individual_progress": (33.0, 0.15, 0.20, 0.0, 0.25, 0.90, 0.08),
    "fail_pct": (4.5, -0.40, -0.50, 0.0, 0.30, -1.50, 0.10),
    "marks_45_pct": (42.0, 0.35, 0.50, 0.0, 0.20, 0.45, 0.06),
    "n_teachers_trained": (25.0, 0.0, 0.0, 0.0, 0.50, 3.00, 0.15),
}
#: repeated anxiety diagnostics by a psychologist: share of pupils assessed (+ has_psychologist
#: in the passport) and share of the assessed whose anxiety fell (- high-tension schools)
ANXIETY_DIAG = dict(assessed=10.0, psychologist=1.0, assessed_programme=1.5, assessed_sd=0.40,
                    reduced=30.0, high_tension=-0.40, reduced_programme=1.0, reduced_sd=0.30,
                    year_sd=0.10)
#: missed lessons per pupil and year: exp(log(per_pupil) + c c_s + village + high_tension
#: + eta_s (sd) + programme path + eps_sy (year_sd)); missed_lessons = round(n_students x rate)
MISSED = dict(per_pupil=45.0, c=-0.10, village=0.10, high_tension=0.15, sd=0.15, programme=-0.30,
              year_sd=0.06)
#: regional diagnostic work (raw/diagnostics.csv): work -> [(grade, mu, sigma_between)]
DIAGNOSTICS = dict(works={"reading": [(4, 60.0, 7.0), (6, 57.0, 7.0)],
                          "science": [(8, 52.0, 8.0)]},
                   beta_context=0.60, u_weight=0.80, sd_work=0.30, sd_year=0.20, sd_row=0.20,
                   sd_within=14.0, participation=0.93, programme=0.90)
#: regional values (raw/region.csv): pupils' scores ~ N(mu + sigma z_reg, sd_total^2) with
#: z_reg = zbar_cell + z_shift + a_cell + w_y: zbar_cell = the municipality's participants-
#: weighted mean true z of the procedure x subject over the years (the region is ahead of the
#: municipality by z_shift), a_cell ~ N(0, cell_sd^2), w_y ~ N(0, year_sd^2);
#: sd_total^2 = sd_within^2 + sigma^2 tau^2 (tau^2: population variance of a row's z)
REGION = dict(z_shift=0.15, cell_sd=0.05, year_sd=0.04)
#: a planted "no data" code in the programme monitoring (middle year, one non-programme school)
PROGRAMME_MISSING = dict(column="missed_lessons", code=-9)
CONSENSUS = dict(high_f=0.35, low_f=2.4, school_sd=0.42, ideal_scale=0.8)
NEEDS = dict(imp_mu=1.2, real_mu={"students": 0.3, "parents": 0.4, "teachers": 0.2},
             gap_items=(2, 5, 7), gap_extra=-1.0)
PVQ_PROFILE = {  # latent means of the 10 Schwartz values by group
    "students": dict(self_direction=0.9, stimulation=0.7, hedonism=1.0, achievement=0.8,
                     power=0.2, security=0.5, conformity=-0.1, tradition=-0.4, benevolence=0.85,
                     universalism=0.45),
    "parents": dict(self_direction=0.7, stimulation=0.0, hedonism=0.2, achievement=0.5,
                    power=-0.1, security=1.2, conformity=0.6, tradition=0.4, benevolence=1.25,
                    universalism=0.85),
    "teachers": dict(self_direction=0.7, stimulation=-0.1, hedonism=0.05, achievement=0.4,
                     power=-0.4, security=1.1, conformity=0.8, tradition=0.6, benevolence=1.4,
                     universalism=1.15),
}
PVQ_ACQ_SD = 0.40
DELTA_SD, PVQ_DELTA_SD, NEED_DELTA_SD = 0.25, 0.10, 0.10   # item mean shifts (fixed by seed)
# Rokeach utilities: (stem in the option's Russian wording, students, parents, teachers)
ROKEACH_TERMINAL = [
    ("здоров", 1.60, 3.00, 3.00), ("интересн", 2.40, 1.40, 1.80), ("развлеч", 2.10, -0.50, -0.60),
    ("семейн", 1.80, 2.80, 2.40), ("позна", 0.40, 0.60, 2.20), ("друз", 2.20, 1.20, 1.20),
    ("любов", 1.95, 1.80, 1.60), ("материальн", 1.75, 1.95, 1.30), ("свобод", 1.55, 0.80, 0.80),
    ("уверен", 1.50, 1.00, 1.15), ("развити", 0.80, 0.85, 1.65), ("мудрост", 0.20, 1.05, 1.40),
    ("активн", 0.60, 0.65, 0.85), ("продуктивн", 0.00, 0.50, 0.60), ("признан", 0.50, 0.05, 0.20),
    ("красот", -0.20, 0.00, 0.45), ("творч", 0.35, -0.20, 0.65), ("других", -0.25, 0.20, 1.00),
]
ROKEACH_INSTRUMENTAL = [
    ("независим", 2.20, 0.80, 0.90), ("жизнерадост", 1.90, 1.20, 1.30),
    ("смелост", 1.70, 0.70, 0.80),
    ("образован", 1.50, 1.80, 2.30), ("ответствен", 1.30, 2.30, 2.45), ("честн", 1.20, 2.10, 2.00),
    ("воспитан", 0.80, 2.40, 1.80), ("вол", 1.10, 1.00, 0.90), ("запрос", 0.90, 0.10, 0.00),
    ("эффективн", 0.70, 0.90, 1.00), ("самоконтрол", 0.50, 0.95, 1.10),
    ("аккуратн", 0.20, 1.10, 0.60),
    ("широт", 0.60, 0.50, 1.20), ("терпим", 0.30, 0.75, 1.35), ("рационал", 0.40, 0.55, 0.50),
    ("исполнит", 0.10, 0.60, 0.70), ("непримирим", 0.00, -0.10, 0.10), ("чутк", 0.35, 0.85, 1.05),
]
LIFE_SUCCESS = [
    ("сем|брак", 1.00, 2.20, 2.00), ("дет", 0.00, 1.80, 1.20),
    ("богат|деньг|материальн|достат|доход|обеспеч", 1.80, 1.20, 0.60),
    ("карьер|должност", 1.20, 0.80, 0.40), ("интересн|любим", 1.40, 0.80, 1.60),
    ("здоров", 0.40, 1.60, 1.50), ("друз", 1.20, 0.30, 0.40),
    ("уважен|признан|авторитет", 0.60, 0.80, 1.40), ("образован", 0.50, 1.00, 0.90),
    ("слав|извест|популяр", 1.00, -0.50, -0.80), ("власт", 0.40, -0.50, -0.80),
    ("свобод|независ", 1.20, 0.40, 0.60), ("жиль|квартир|дом", 0.60, 0.90, 0.50),
    ("реализ|способн|талант", 1.10, 0.70, 1.30), ("польз|обществ", 0.20, 0.50, 1.20),
    ("спокойств|гармони", 0.30, 1.00, 1.10),
]
SUCCESS_WAYS = [
    ("образован|учеб|знани", 1.20, 1.80, 2.00), ("труд|упорств|усерд", 1.00, 1.60, 1.80),
    ("связ|знаком|блат", 1.60, 1.20, 0.60), ("талант|способн", 1.30, 0.80, 1.00),
    ("удач|вез", 0.90, 0.30, 0.00), ("родител|происхожд|семь", 0.70, 0.40, 0.30),
    ("нечест|хитр|обман|наглост", 0.60, 0.20, -0.20), ("честн", 0.20, 0.80, 1.00),
    ("деньг|богат", 1.00, 0.70, 0.40), ("характер|вол|целеустрем", 1.00, 1.10, 1.30),
    ("ладить|общени|люд", 0.90, 1.00, 1.10), ("инициатив|риск", 0.80, 0.60, 0.70),
    ("переезд|город", 0.80, 0.40, 0.20),
]
MISSING_CODE_RATE, BLANK_RATE = 0.02, 0.005
TEXT_ANSWERS = ("больше кружков и секций", "отремонтировать спортзал", "меньше домашних заданий",
                "нужен психолог", "улучшить питание в столовой", "всё устраивает",
                "больше внимания к безопасности", "нет", "затрудняюсь ответить",
                "чаще проводить родительские собрания", "обновить компьютеры")


# ============================================================================================
# Result container
# ============================================================================================
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


# ============================================================================================
# Random streams: one per named component, so that e.g. changing an item does not move schools
# ============================================================================================
class _Streams:
    def __init__(self, seed: int):
        self.seed = int(seed)

    def __call__(self, *names: Any) -> np.random.Generator:
        key = "/".join(str(n) for n in names).encode("utf-8")
        extra = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
        return np.random.default_rng([self.seed, extra])


def _check_args(seed, n_schools, n_sampled, waves) -> tuple[int, ...]:
    check_number(seed, "seed", low=0, integer=True)
    check_number(n_schools, "n_schools", low=15, high=5000, integer=True)
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


def _resolve_instruments(instruments: Mapping[str, Any] | None) -> dict[str, Instrument]:
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


# ============================================================================================
# Schools, classes, sample
# ============================================================================================
def _allocate(total: int, shares, minimum: int) -> np.ndarray:
    raw = np.asarray(shares, float) * total
    n = np.maximum(np.floor(raw).astype(int), minimum)
    while n.sum() < total:
        n[np.argmax(raw - n)] += 1
    while n.sum() > total:
        n[np.argmax(n - raw)] -= 1
    return n


def _make_schools(st: _Streams, n_schools: int, waves: tuple[int, ...]):
    rng = st("schools")
    n_h = _allocate(n_schools, STRATUM_SHARE, 5)
    stratum = np.repeat(np.arange(3), n_h)
    c_raw = np.array([0.6, 0.0, -0.7])[stratum] + rng.normal(0, 0.8, n_schools)
    c = (c_raw - c_raw.mean()) / c_raw.std(ddof=1)
    ids = [f"S{k + 1:02d}" for k in range(n_schools)]
    schools = pd.DataFrame({"school_id": ids, "stratum": np.array(STRATA)[stratum],
                            "location": stratum + 1})
    # parallels per grade 1..11 and class sizes by stratum
    base_par = np.where(stratum == 0, rng.integers(2, 5, n_schools),
                        np.where(stratum == 1, rng.integers(1, 3, n_schools), 1))
    jitter = rng.integers(-1, 2, (n_schools, 11)) * (base_par[:, None] > 1)
    par = np.clip(base_par[:, None] + jitter, 1, None)
    mean_size = np.array([26.0, 22.0, 11.0])[stratum]
    sd_size = np.array([2.5, 3.0, 3.0])[stratum]
    rows = []
    for s in range(n_schools):
        k = 0
        for g in range(8, 12):
            for _ in range(par[s, g - 1]):
                k += 1
                rows.append((s, ids[s], f"{ids[s]}-C{k}", g))
    classes = pd.DataFrame(rows, columns=["school", "school_id", "class_id", "grade"])
    lo = np.array([18, 12, 4])[stratum[classes["school"]]]
    hi = np.array([32, 30, 20])[stratum[classes["school"]]]
    base = np.clip(np.rint(rng.normal(mean_size[classes["school"]], sd_size[classes["school"]])),
                   lo, hi)
    sizes = np.clip(np.rint(base[:, None] + rng.normal(0, 1.5, (len(classes), len(waves)))),
                    lo[:, None], hi[:, None]).astype(int)
    # pupils of grades 1..7 (for n_students): parallels x the school's mean class size
    lower = (par[:, :7].sum(1)[:, None] * mean_size[:, None]
             * (1 + rng.normal(0, 0.04, (n_schools, len(waves)))))
    upper = np.zeros((n_schools, len(waves)))
    np.add.at(upper, classes["school"].to_numpy(), sizes)
    n_students = np.rint(lower + upper).astype(int)
    n_teachers = np.clip(np.rint(n_students[:, 0] / 14 + rng.normal(0, 2, n_schools)), 15, 40)
    n_teachers = np.clip(np.rint(n_teachers[:, None] + rng.normal(0, 1, (n_schools, len(waves)))),
                         15, 40).astype(int)
    schools["n_classes"] = classes.groupby("school").size().reindex(range(n_schools)).to_numpy()
    schools["n_classes_total"] = par.sum(1)
    schools["measure"] = upper[:, 0].astype(int)
    return schools, classes, sizes, c, n_students, n_teachers


def _pps_systematic(rng: np.random.Generator, size: np.ndarray, n: int):
    """Randomised systematic PPS without replacement; certainty units taken first."""
    size = np.asarray(size, float)
    p = np.zeros(len(size))
    take = np.zeros(len(size), bool)
    certain = np.zeros(len(size), bool)
    while True:
        rest = ~certain
        n_rest = n - certain.sum()
        pi = n_rest * size / size[rest].sum()
        new = rest & (pi >= 1)
        if not new.any():
            break
        certain |= new
    p[certain] = 1.0
    take[certain] = True
    rest = np.flatnonzero(~certain)
    n_rest = n - certain.sum()
    if n_rest > 0:
        p[rest] = n_rest * size[rest] / size[rest].sum()
        order = rng.permutation(rest)
        cum = np.cumsum(p[order])
        points = rng.uniform(0, 1) + np.arange(n_rest)
        hit = np.searchsorted(cum, points, side="right")
        take[order[hit]] = True
    return p, take


def _make_sample(st: _Streams, schools, classes, sizes, n_sampled, waves, n_teachers):
    rng = st("sample")
    n_schools = len(schools)
    strata = schools["stratum"].to_numpy()
    n_h = _allocate(n_sampled, [np.mean(strata == h) for h in STRATA], 2)
    p_school = np.zeros(n_schools)
    sampled = np.zeros(n_schools, bool)
    for h, name in enumerate(STRATA):
        idx = np.flatnonzero(strata == name)
        p, take = _pps_systematic(rng, schools["measure"].to_numpy()[idx], int(n_h[h]))
        p_school[idx], sampled[idx] = p, take
    schools = schools.assign(p_school=p_school, sampled=sampled.astype(int))
    # second stage: 2 classes by SRS within each sampled school
    cls = classes.copy()
    k_s = cls.groupby("school")["class_id"].transform("size").to_numpy()
    cls["p_class"] = np.minimum(1.0, 2.0 / k_s)
    u = rng.uniform(size=len(cls))
    rank = pd.Series(u).groupby(cls["school"].to_numpy()).rank(method="first").to_numpy()
    cls["sampled"] = (sampled[cls["school"]] & (rank <= 2)).astype(int)
    # per wave: enrolment, response of pupils (~85 %), parents (~65 %), teachers (~80 %)
    frames = []
    for w, wave in enumerate(waves):
        f = cls.copy()
        f["wave"] = wave
        f["n_pupils"] = sizes[:, w]
        rr = rng.beta(0.85 * 40, 0.15 * 40, len(f))
        f["n_responded"] = np.where(f["sampled"] == 1,
                                    np.maximum(1, rng.binomial(f["n_pupils"], rr)), 0)
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True)
    frame["unit"] = "class"
    frame["p_school"] = p_school[frame["school"]]
    frame["stratum"] = strata[frame["school"]]
    frame["measure"] = schools["measure"].to_numpy()[frame["school"]]
    t = pd.DataFrame({"school": np.repeat(np.arange(n_schools), len(waves)),
                      "wave": np.tile(waves, n_schools)})
    t["school_id"] = schools["school_id"].to_numpy()[t["school"]]
    t["class_id"] = ""
    t["grade"] = pd.NA
    t["unit"] = "teachers"
    t["p_class"] = 1.0
    t["sampled"] = sampled[t["school"]].astype(int)
    t["n_pupils"] = n_teachers.reshape(-1)  # school-major, wave-minor
    t["n_responded"] = np.where(t["sampled"] == 1,
                                rng.binomial(t["n_pupils"], rng.beta(32, 8, len(t))), 0)
    t["p_school"] = p_school[t["school"]]
    t["stratum"] = strata[t["school"]]
    t["measure"] = schools["measure"].to_numpy()[t["school"]]
    frame = pd.concat([frame, t], ignore_index=True)
    frame["p_unit"] = 1.0  # every pupil of a sampled class / every teacher is asked
    prob = frame["p_school"] * frame["p_class"] * frame["p_unit"]
    frame["weight"] = np.where(frame["sampled"] == 1, 1.0 / prob, np.nan)
    return schools, frame


# ============================================================================================
# Latent school effects and planted school sets
# ============================================================================================
def _pick(rng, pool, k, exclude=()):
    pool = [p for p in pool if p not in set(exclude)]
    if len(pool) < k:
        raise ParameterError(f"cannot plant {k} schools: only {len(pool)} eligible; "
                             "increase 'n_schools' / 'n_sampled'")
    return sorted(int(x) for x in rng.choice(pool, k, replace=False))


def _plant_results_sets(st, c):
    rng = st("planted", "results")
    n = len(c)
    third = np.quantile(c, [1 / 3, 2 / 3])
    bottom = list(np.flatnonzero(c <= third[0]))
    not_top = list(np.flatnonzero(c <= third[1]))
    upper = list(np.flatnonzero(c > third[0]))
    resilient = _pick(rng, bottom, 3)
    # low-result schools: true mean z in low_z; u_s = z - beta c_s <= -1 needs c_s >= c_min
    c_min = (RESULTS["low_z"][1] + 1.0) / RESULTS["beta_context"]
    low = _pick(rng, [s for s in not_top if c[s] >= c_min], 3, resilient)
    high = _pick(rng, upper, 3, resilient + low)
    unstable = _pick(rng, list(range(n)), 3, resilient + low + high)
    return dict(resilient=resilient, low=low, high=high, unstable=unstable)


def _plant_survey_sets(st, schools, frame):
    """Sets among sampled schools; programme / high-tension schools have many respondents."""
    rng = st("planted", "survey")
    sampled = list(np.flatnonzero(schools["sampled"].to_numpy() == 1))
    resp = (frame[(frame["unit"] == "class")].groupby("school")["n_responded"].sum()
            .reindex(range(len(schools))).to_numpy())
    big = [s for s in sampled if resp[s] >= np.median(resp[sampled])]
    high_tension = _pick(rng, big, 3)
    discrepancy = _pick(rng, big, 1, high_tension)
    programme = _pick(rng, big if len(big) >= 8 else sampled, 4, high_tension + discrepancy)
    consensus_high = _pick(rng, sampled, 3)
    consensus_low = _pick(rng, sampled, 3, consensus_high)
    return dict(high_tension=high_tension, discrepancy=discrepancy, programme=programme,
                consensus_high=consensus_high, consensus_low=consensus_low, sampled=sampled)


def _programme_path(n_waves: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n_waves) if n_waves > 1 else np.zeros(1)


class _Effects:
    """School x wave latent means ``M`` and within-school spread multipliers per construct."""

    def __init__(self, st, c, sets, n_waves):
        self.st, self.c, self.sets, self.n_waves = st, c, sets, n_waves
        self.n = len(c)
        prog = np.zeros((self.n, n_waves))
        prog[sets["programme"]] = _programme_path(n_waves)
        self.prog = prog
        rng = st("effects", "tension")
        z = rng.normal(size=self.n)
        while np.any(bad := np.abs(z) > TENSION["trunc"]):
            z[bad] = rng.normal(size=bad.sum())
        base = TENSION["school_sd"] * z + TENSION["context_slope"] * c
        self.tension = {}
        for g in GROUPS:
            dev = TENSION["group_sd"] * st("effects", "tension", g).normal(size=self.n)
            m = TENSION["group_mu"][g] + base + dev
            m[sets["high_tension"]] = TENSION["group_mu"][g] + TENSION["high_level"][g]
            m[sets["discrepancy"]] = TENSION["group_mu"][g] + TENSION["discrepancy_level"][g]
            self.tension[g] = m[:, None] + PROGRAMME["tension"] * prog
        self.pc_factor = st("effects", "pc_factor").normal(size=self.n)
        f = np.ones(self.n)
        f[sets["consensus_high"]] = CONSENSUS["high_f"]
        f[sets["consensus_low"]] = CONSENSUS["low_f"]
        self.consensus_f = f

    def construct(self, group: str, key: str, role: str) -> tuple[np.ndarray, np.ndarray]:
        """Return (M[school, wave], f[school]) for a construct of a group."""
        n, W = self.n, self.n_waves
        rng = self.st("effects", group, key)
        ones = np.ones(n)
        flat = lambda v: np.broadcast_to(np.asarray(v, float)[:, None], (n, W)).copy()  # noqa
        k = f"{key} {role}"
        if "tension" in (key, role):
            return self.tension[group].copy(), ones
        if key == "motivation" or role == "motivation":
            return flat(0.3 + 0.25 * rng.normal(size=n) + 0.10 * self.c) \
                + PROGRAMME["motivation"] * self.prog, ones
        if key == "anxiety" or role == "anxiety":
            m = -0.1 + 0.20 * rng.normal(size=n)
            m[self.sets["high_tension"]] += 0.4
            return flat(m) + PROGRAMME["anxiety"] * self.prog, ones
        if role == "need_importance":
            return flat(np.full(n, NEEDS["imp_mu"])), ones
        if role == "need_realisation":
            return flat(NEEDS["real_mu"].get(group, 0.3) + 0.2 * rng.normal(size=n)), ones
        if key.startswith("rel") or role == "relationship":
            mu = {"students": 0.4, "parents": 0.5, "teachers": 0.3}.get(group, 0.4)
            t = self.tension[group] - TENSION["group_mu"][group]
            return mu - 0.5 * t + flat(0.15 * rng.normal(size=n)), ones
        if key.startswith("pvq_") or role in ("pvq", "pvq_value"):
            v = key[4:] if key.startswith("pvq_") else key
            return flat(np.full(n, PVQ_PROFILE.get(group, {}).get(v, 0.5))), ones
        if group == "teachers" and (key.startswith("pc_") or role.startswith("pc_") or key in
                                    ("leadership", "high_results", "demandingness")
                                    or role in ("prof_values", "leadership", "high_results",
                                                "demandingness")):
            mu = {"pc_values": 0.6, "pc_own": 0.3, "pc_ideal": 1.4, "leadership": 0.4,
                  "high_results": 0.5, "demandingness": 0.5}.get(key, 0.4)
            scale = CONSENSUS["ideal_scale"] if key == "pc_ideal" else 1.0
            raw = 0.7 * self.pc_factor + 0.714 * rng.normal(size=n)
            sm = np.asarray(self.sets["sampled"])
            raw = (raw - raw[sm].mean()) / raw[sm].std(ddof=1)   # realised SD exactly 1
            eff = CONSENSUS["school_sd"] * scale * raw
            if key == "high_results":
                eff = eff + 0.15 * self.c
            return flat(mu + eff), self.consensus_f.copy()
        if key.startswith("burnout") or "burnout" in role:
            mu = -0.2 if "exhaust" in k else (-0.8 if "deperson" in k else 0.8)
            t = self.tension["teachers"] - TENSION["group_mu"]["teachers"]
            return mu + 0.3 * t * (-1 if "accompl" in k else 1) \
                + flat(0.25 * rng.normal(size=n)), ones
        if key == "involvement" or role == "involvement":
            return flat(0.2 + 0.2 * self.c + 0.2 * rng.normal(size=n)), ones
        return flat(0.2 * rng.normal(size=n)), ones


# ============================================================================================
# Answers
# ============================================================================================
def _thresholds(codes: list[int]) -> np.ndarray:
    k = len(codes)
    w = min(1.0, 4.0 / (k - 1)) if k > 2 else 1.0
    return (np.arange(1, k) - k / 2) * w


def _ordinal(y: np.ndarray, taus: np.ndarray, lo: int) -> np.ndarray:
    return lo + (y[..., None] > taus).sum(-1)


def _expected_code(mean, sd, taus, lo):
    mean = np.asarray(mean, float)
    return lo + norm.cdf((mean[..., None] - taus) / np.asarray(sd, float)[..., None]).sum(-1)


def _utilities(options, table, group) -> np.ndarray:
    g = GROUPS.index(group)
    out = np.zeros(len(options))
    for j, opt in enumerate(options):
        full = opt.ru.lower().replace("ё", "е")
        main = re.sub(r"\(.*?\)", "", full)   # the value's name without its explanation
        for text in (main, full):
            hit = next((u for stem, *u in table if re.search(stem.replace("ё", "е"), text)), None)
            if hit is not None:
                out[j] = hit[g]
                break
    return out - 0.001 * np.arange(len(options))   # break exact ties deterministically


def _gumbel_rank(rng, util, n) -> np.ndarray:
    """Ranks 1..k (1 = most important) from Gumbel-perturbed utilities (Plackett–Luce)."""
    score = util[None, :] + rng.gumbel(size=(n, len(util)))
    order = np.argsort(-score, axis=1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(util) + 1)[None, :], axis=1)
    return ranks


def _n_choices(rng, n, k, max_choices):
    mc = min(max_choices or min(4, k), k)
    p = 2.0 ** np.arange(mc)
    return rng.choice(np.arange(1, mc + 1), size=n, p=p / p.sum())


def _choose(rng, util, n, max_choices) -> np.ndarray:
    k = len(util)
    m = _n_choices(rng, n, k, max_choices)
    score = util[None, :] + rng.gumbel(size=(n, k))
    order = np.argsort(-score, axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :], axis=1)
    return (rank < m[:, None]).astype(float)


_CHOICE_TABLES = {"rokeach_terminal": ROKEACH_TERMINAL,
                  "rokeach_instrumental": ROKEACH_INSTRUMENTAL,
                  "life_success": LIFE_SUCCESS, "success_ways": SUCCESS_WAYS}


def _item_table(item: Item):
    if item.role in _CHOICE_TABLES:
        return _CHOICE_TABLES[item.role]
    key = item.id.lower()
    if item.type == "ranking":
        return ROKEACH_INSTRUMENTAL if "instr" in key else ROKEACH_TERMINAL
    if "way" in key:
        return SUCCESS_WAYS
    return LIFE_SUCCESS


def _construct_of(inst: Instrument, item: Item) -> tuple[str, str]:
    for s in item.scales:
        if s in inst.scales:
            return s, inst.scales[s].role or item.role
    return (item.role or item.id), item.role


def _single_answers(st, group, item: Item, resp: pd.DataFrame) -> np.ndarray:
    """Known single / numeric items by id; otherwise a fixed random distribution."""
    rng = st("answers", group, item.id)
    n = len(resp)
    codes = sorted(item.codes)
    z = resp["ses"].to_numpy()
    iid = item.id

    def cut(latent, taus, values):
        return np.asarray(values)[(latent[:, None] > np.asarray(taus)).sum(1)].astype(float)

    if item.type == "numeric":
        lo, hi = item.min, item.max
        if iid == "experience":
            x = np.rint(rng.gamma(2.2, 9.0, n))
        elif iid in ("age",):
            x = np.rint(rng.normal(42, 9, n))
        else:
            x = np.rint(rng.uniform(lo, lo + 0.6 * (hi - lo), n))
        return np.clip(x, lo, hi).astype(float)
    if iid == "sex" and set(codes) >= {1, 2}:
        return rng.choice([1.0, 2.0], n)
    if (iid == "grade" or item.role == "grade") and "grade" in resp:
        g = resp["grade"].to_numpy().astype(float)
        return np.where(np.isin(g, codes), g, codes[0])
    if iid in ("mother_edu", "father_edu", "parent_edu") and len(codes) >= 3:
        x = cut(z + rng.normal(0, 0.8, n), np.linspace(-1.4, 0.6, len(codes) - 1), codes)
        if item.missing and iid != "parent_edu":
            x[rng.uniform(size=n) < 0.05] = min(item.missing)
        return x
    if iid in ("books_home", "family_income") and len(codes) >= 3:
        return cut(z + rng.normal(0, 0.9, n), np.linspace(-1.3, 1.3, len(codes) - 1), codes)
    if iid in ("own_room", "own_computer", "internet") and set(codes) >= {0, 1}:
        p = {"own_room": 0.2, "own_computer": 0.5, "internet": 1.6}[iid]
        return (rng.uniform(size=n) < norm.cdf(p + 0.7 * z)).astype(float)
    if iid == "relation" and len(codes) >= 3:
        return rng.choice(codes[:3], n, p=[0.76, 0.19, 0.05]).astype(float)
    if iid == "qual_category" and len(codes) >= 2:
        p = np.linspace(1, 2, len(codes))
        return rng.choice(codes, n, p=p / p.sum()).astype(float)
    p = st("distribution", group, item.id).dirichlet(np.full(len(codes), 3.0))
    return rng.choice(codes, n, p=p).astype(float)


def _generate_answers(st, inst: Instrument, group: str, resp: pd.DataFrame, eff: _Effects,
                      wave_index: np.ndarray):
    """Answers (float, NaN = blank) for ``resp`` and per-item parameters for the truth."""
    n = len(resp)
    school = resp["school"].to_numpy()
    cols: dict[str, np.ndarray] = {}
    params: dict[str, dict] = {}
    latent_e: dict[str, np.ndarray] = {}
    constructs: dict[str, tuple] = {}
    acq = st("acq", group).normal(0, PVQ_ACQ_SD, n)
    for item in inst.items:
        if item.type == "likert":
            key, role = _construct_of(inst, item)
            if key not in constructs:
                constructs[key] = eff.construct(group, key, role)
                latent_e[key] = st("latent", group, key).normal(size=n)
            M, f = constructs[key]
            rng = st("answers", group, item.id)
            is_pvq = key.startswith("pvq") or role in ("pvq", "pvq_value")
            sd_delta = PVQ_DELTA_SD if is_pvq else (
                NEED_DELTA_SD if role in ("need_importance", "need_realisation") else DELTA_SD)
            delta = sd_delta * st("delta", group, item.id).normal()
            if role == "need_realisation":
                m = re.search(r"(\d+)$", item.id)
                if m and int(m.group(1)) in NEEDS["gap_items"]:
                    delta += NEEDS["gap_extra"]
            codes = sorted(item.codes)
            taus = _thresholds(codes)
            y = (M[school, wave_index] + delta
                 + f[school] * (A_RESP * latent_e[key] + B_ITEM * rng.normal(size=n))
                 + (acq if is_pvq else 0.0))
            x = _ordinal(y, taus, codes[0]).astype(float)
            if item.reverse:
                x = codes[0] + codes[-1] - x
            u = rng.uniform(size=n)
            if item.missing:
                x[u < MISSING_CODE_RATE] = min(item.missing)
            x[(u >= MISSING_CODE_RATE) & (u < MISSING_CODE_RATE + BLANK_RATE)] = np.nan
            cols[item.id] = x
            params[item.id] = dict(construct=key, role=role, delta=delta, taus=taus, lo=codes[0],
                                   M=M, f=f, acq=PVQ_ACQ_SD if is_pvq else 0.0)
        elif item.type in ("single", "numeric"):
            x = _single_answers(st, group, item, resp)
            x[st("blank", group, item.id).uniform(size=n) < BLANK_RATE] = np.nan
            cols[item.id] = x
        elif item.type == "ranking":
            rng = st("answers", group, item.id)
            util = _utilities(item.options, _item_table(item), group)
            r = _gumbel_rank(rng, util, n).astype(float)
            r[rng.uniform(size=n) < 0.01] = np.nan
            for j, c in enumerate(item.columns):
                cols[c] = r[:, j]
            params[item.id] = dict(utilities=util)
        elif item.type == "multiple":
            rng = st("answers", group, item.id)
            util = _utilities(item.options, _item_table(item), group)
            x = _choose(rng, util, n, item.max_choices)
            x[rng.uniform(size=n) < 0.01] = np.nan
            for j, c in enumerate(item.columns):
                cols[c] = x[:, j]
            params[item.id] = dict(utilities=util)
        else:  # text: ~15 % short impersonal comments (never names), else blank
            rng = st("answers", group, item.id)
            x = np.array(TEXT_ANSWERS, dtype=object)[rng.integers(len(TEXT_ANSWERS), size=n)]
            x[rng.uniform(size=n) >= 0.15] = None
            cols[item.id] = x
    return pd.DataFrame(cols, index=resp.index), params


# ============================================================================================
# Respondents
# ============================================================================================
def _respondents(st, schools, frame, c, waves):
    rng = st("respondents")
    cls = frame[(frame["unit"] == "class") & (frame["sampled"] == 1)].reset_index(drop=True)
    rows = []
    for r in cls.itertuples(index=False):
        chosen = np.sort(rng.choice(np.arange(1, r.n_pupils + 1), r.n_responded, replace=False))
        rows.append(pd.DataFrame({"school": r.school, "school_id": r.school_id,
                                  "class_id": r.class_id, "grade": r.grade, "wave": r.wave,
                                  "pupil": chosen}))
    stu = pd.concat(rows, ignore_index=True)
    stu["resp_id"] = [f"W{w % 100:02d}-{cid}-{p:03d}" for w, cid, p in
                      zip(stu["wave"], stu["class_id"], stu["pupil"])]
    stu["ses"] = 0.5 * c[stu["school"]] + rng.normal(0, np.sqrt(0.75), len(stu))
    # parents: one per responding pupil, ~65 % respond (class-level variation)
    pr = rng.beta(0.65 * 30, 0.35 * 30, len(cls))
    key = cls["class_id"] + "|" + cls["wave"].astype(str)
    p_cls = pd.Series(pr, index=key)
    p = p_cls.reindex(stu["class_id"] + "|" + stu["wave"].astype(str)).to_numpy()
    par = stu[rng.uniform(size=len(stu)) < p].copy()
    par["resp_id"] = par["resp_id"] + "-P"
    n_par = par.groupby(["class_id", "wave"]).size()
    # teachers
    t = frame[(frame["unit"] == "teachers") & (frame["sampled"] == 1)]
    trows = []
    for r in t.itertuples(index=False):
        chosen = np.sort(rng.choice(np.arange(1, r.n_pupils + 1), r.n_responded, replace=False))
        trows.append(pd.DataFrame({"school": r.school, "school_id": r.school_id, "wave": r.wave,
                                   "teacher": chosen}))
    tea = pd.concat(trows, ignore_index=True)
    tea["resp_id"] = [f"W{w % 100:02d}-{s}-T{k:03d}" for w, s, k in
                      zip(tea["wave"], tea["school_id"], tea["teacher"])]
    tea["ses"] = 0.0
    return stu, par, tea, n_par


# ============================================================================================
# Passport and results
# ============================================================================================
def _passport(st, inst: Instrument, schools, c, waves, n_students, n_teachers,
              n_classes_total):
    n, W = len(schools), len(waves)
    out = pd.DataFrame({"school_id": np.repeat(schools["school_id"].to_numpy(), W),
                        "year": np.tile(waves, n)})
    sidx = np.repeat(np.arange(n), W)
    village = (schools["stratum"].to_numpy() == "village").astype(float)
    for item in inst.items:
        rng = st("passport", item.id)
        iid = item.id
        spec = PASSPORT.get(iid)
        if spec is None and item.type == "numeric" and item.role in PASSPORT_ROLE:
            spec = PASSPORT_ROLE[item.role] + (0.30,)
        if spec is not None:
            mean, slope, sd = spec
            extra = 0.3 * village if iid in ("large_families_pct", "low_income_pct") else 0.0
            eta = rng.normal(0, sd, n) + extra
            lin = logit(mean / 100) + slope * c + eta
            x = 100 * expit(lin[sidx] + rng.normal(0, 0.08, n * W))
            x = np.round(x, 1)
        elif iid == "n_classes":
            x = np.repeat(n_classes_total, W).astype(float)
        elif iid == "second_shift_pct":
            city = (schools["stratum"].to_numpy() == "city").astype(float)
            lin = -3.0 + 1.2 * city - 0.3 * c + rng.normal(0, 0.8, n)
            x = np.where(village[sidx] == 1, 0.0,
                         np.round(100 * expit(lin[sidx] + rng.normal(0, 0.1, n * W)), 1))
        elif iid in PASSPORT_YESNO and item.type == "single" and set(item.codes) >= {0, 1}:
            city = (schools["stratum"].to_numpy() == "city").astype(float)
            p = expit(PASSPORT_YESNO[iid] + 0.8 * c + 0.8 * city - 0.8 * village)
            has = (rng.uniform(size=n) < p).astype(float)[sidx]
            flip = rng.uniform(size=n * W) < 0.05
            x = np.where(flip, 1 - has, has)
        elif iid == "location":
            x = schools["location"].to_numpy()[sidx].astype(float)
        elif iid == "n_students":
            x = n_students.reshape(-1).astype(float)
        elif iid == "n_teachers":
            x = n_teachers.reshape(-1).astype(float)
        elif iid == "teacher_vacancies":
            lam = np.exp(0.2 - 0.5 * c + 0.4 * village + rng.normal(0, 0.3, n))
            x = rng.poisson(lam[sidx]).astype(float)
        elif item.type == "numeric":
            lo, hi = item.min, item.max
            base = rng.uniform(lo + 0.1 * (hi - lo), lo + 0.4 * (hi - lo), n)
            x = np.round(base[sidx] * (1 + rng.normal(0, 0.05, n * W)), 1)
        elif item.type in ("single", "likert"):
            codes = sorted(item.codes)
            x = rng.choice(codes, n)[sidx].astype(float)
        elif item.type == "text":
            x = np.full(n * W, None, dtype=object)
        else:
            x = np.zeros((n * W,))
        if item.type == "numeric" and item.min is not None:
            x = np.clip(x, item.min, item.max)
        for col in item.columns:
            out[col] = x
    return out


def _results(st, inst: Instrument, schools, c, waves, sets, sizes_by_grade):
    n, W = len(schools), len(waves)
    P = RESULTS
    rng = st("results", "schools")
    u = rng.normal(0, P["sd_u"], n)
    while np.any(bad := np.abs(u) >= P["u_trunc"]):
        u[bad] = rng.normal(0, P["sd_u"], bad.sum())
    u[sets["resilient"]] = rng.uniform(*P["resilient_u"], 3)
    u[sets["low"]] = rng.uniform(*P["low_z"], 3) - P["beta_context"] * c[sets["low"]]
    u[sets["high"]] = rng.uniform(*P["high_u"], 3)
    u[sets["unstable"]] = rng.uniform(-0.2, 0.2, 3)
    v = rng.normal(0, P["sd_year"], (n, W))
    v[sets["low"]] *= 0.4
    v[sets["high"]] *= 0.4
    sign = np.where(np.arange(W) % 2 == 0, 1.0, -1.0)
    for k, s in enumerate(sets["unstable"]):
        v[s] = P["unstable_swing"] * sign * (1 if k % 2 == 0 else -1)
    true_z = P["beta_context"] * c[:, None] + u[:, None] + v   # school x year
    rows = []
    rr = st("results", "rows")
    for proc, (pname, specs) in PROCEDURES.items():
        for subj, grade, mu, sb, part in specs:
            z = true_z + rr.normal(0, P["sd_row"], (n, W))
            mean_true = mu + sb * z
            enrol = sizes_by_grade[:, :, grade - 1]
            npart = np.maximum(1, rr.binomial(enrol, part))
            sdw = P["sd_within"]
            mean_obs = mean_true + rr.normal(0, 1, (n, W)) * sdw / np.sqrt(npart)
            thr_min = mu + P["below_min_z"] * sdw
            thr_high = mu + P["high_z"] * sdw
            p_below = norm.cdf((thr_min - mean_true) / sdw)
            p_high = 1 - norm.cdf((thr_high - mean_true) / sdw)
            below = rr.binomial(npart, p_below) / npart * 100
            high = rr.binomial(npart, p_high) / npart * 100
            rows.append(pd.DataFrame({
                "school": np.repeat(np.arange(n), W), "year": np.tile(waves, n),
                "procedure": proc, "subject": subj, "grade": grade,
                "n_participants": npart.reshape(-1),
                "mean_score": np.round(np.clip(mean_obs, 0, 100), 1).reshape(-1),
                "below_min_pct": np.round(below, 1).reshape(-1),
                "high_pct": np.round(high, 1).reshape(-1),
                "z": z.reshape(-1), "mean_true": mean_true.reshape(-1),
                "thr_min": thr_min, "thr_high": thr_high}))
    res = pd.concat(rows, ignore_index=True)
    res.insert(0, "school_id", schools["school_id"].to_numpy()[res["school"]])
    res = res.sort_values(["school_id", "year", "procedure", "subject", "grade"],
                          kind="mergesort").reset_index(drop=True)
    out = res[["school_id", "year", "procedure", "subject", "grade"]].copy()
    known = {"n_participants", "mean_score", "below_min_pct", "high_pct"}
    for item in inst.items:
        if item.id in known:
            out[item.id] = res[item.id].astype(float)
        elif item.type == "numeric":
            out[item.id] = np.round(st("results", item.id).uniform(
                item.min, item.min + 0.5 * (item.max - item.min), len(res)), 1)
        else:
            out[item.id] = np.nan
    return out, res, u, v, true_z


# ============================================================================================
# Programme monitoring, regional diagnostic work, regional values
# ============================================================================================
def _programme_matrix(n: int, n_waves: int, programme) -> np.ndarray:
    """School x year programme path: 0 -> 1 linearly in the programme schools, 0 elsewhere."""
    prog = np.zeros((n, n_waves))
    prog[list(programme)] = _programme_path(n_waves)
    return prog


def _programme_data(st, schools, c, u, waves, ssets, n_students, n_teachers, passport):
    """Programme monitoring, one row per school x year (every school); returns (data, meta)."""
    n, W = len(schools), len(waves)
    prog = _programme_matrix(n, W, ssets["programme"])
    village = (schools["stratum"].to_numpy() == "village").astype(float)
    tension = np.zeros(n)
    tension[ssets["high_tension"]] = 1.0
    ids = schools["school_id"].to_numpy()
    n_students = np.asarray(n_students, dtype=np.int64).reshape(n, W)
    n_teachers = np.asarray(n_teachers, dtype=np.int64).reshape(n, W)
    counts: dict[str, np.ndarray] = {}
    expected: dict[str, np.ndarray] = {}     # model value (no year noise, no sampling), % or rate
    for key, (base, cs, us, vs, sd, delta, ysd) in PROGRAMME_DATA.items():
        rng = st("programme", key)
        mu = logit(base / 100) + cs * c + us * u + vs * village + rng.normal(0, sd, n)
        lin = mu[:, None] + delta * prog
        denom = n_teachers if key == "n_teachers_trained" else n_students
        counts[key] = rng.binomial(denom, expit(lin + rng.normal(0, ysd, (n, W))))
        expected[key] = 100 * expit(lin)
    A = ANXIETY_DIAG
    psych = np.ones((n, W))
    if "has_psychologist" in passport.columns:
        psych = passport["has_psychologist"].to_numpy(float).reshape(n, W)
        psych = np.where(np.isin(psych, (0.0, 1.0)), psych, 0.0)
    rng = st("programme", "anxiety")
    lin_a = (logit(A["assessed"] / 100) + A["psychologist"] * psych
             + rng.normal(0, A["assessed_sd"], n)[:, None] + A["assessed_programme"] * prog)
    assessed = rng.binomial(n_students, expit(lin_a + rng.normal(0, A["year_sd"], (n, W))))
    lin_r = (logit(A["reduced"] / 100) + A["high_tension"] * tension
             + rng.normal(0, A["reduced_sd"], n))[:, None] + A["reduced_programme"] * prog
    reduced = rng.binomial(assessed, expit(lin_r + rng.normal(0, A["year_sd"], (n, W))))
    expected["n_anxiety_assessed"] = 100 * expit(lin_a)
    expected["n_anxiety_reduced"] = 100 * expit(lin_r)
    M = MISSED
    rng = st("programme", "missed_lessons")
    lin_m = (np.log(M["per_pupil"]) + M["c"] * c + M["village"] * village
             + M["high_tension"] * tension + rng.normal(0, M["sd"], n))[:, None] \
        + M["programme"] * prog
    missed = np.rint(n_students * np.exp(lin_m + rng.normal(0, M["year_sd"], (n, W))))
    expected["missed_lessons"] = np.exp(lin_m)
    flat = lambda a: np.asarray(a).reshape(-1)  # noqa: E731
    share = lambda k: np.round(100 * counts[k] / np.maximum(n_students, 1), 1)  # noqa: E731
    out = pd.DataFrame({
        "school_id": np.repeat(ids, W), "year": np.tile(np.asarray(waves, dtype=np.int64), n),
        "n_students": flat(n_students), "n_iom": flat(counts["n_iom"]),
        "n_add_edu": flat(counts["n_add_edu"]), "n_projects": flat(counts["n_projects"]),
        "n_individual_progress": flat(counts["n_individual_progress"]),
        "n_anxiety_assessed": flat(assessed), "n_anxiety_reduced": flat(reduced),
        "missed_lessons": flat(missed).astype(np.int64),
        "fail_pct": flat(share("fail_pct")), "marks_45_pct": flat(share("marks_45_pct")),
        "n_teachers": flat(n_teachers), "n_teachers_trained": flat(counts["n_teachers_trained"])})
    missing = []
    if W >= 3:   # one planted "no data" code: a non-programme school, middle year
        pool = [s for s in range(n) if s not in set(ssets["programme"])]
        s = int(st("programme", "missing").choice(pool))
        y = waves[W // 2]
        col, code = PROGRAMME_MISSING["column"], PROGRAMME_MISSING["code"]
        out.loc[(out["school_id"] == ids[s]) & (out["year"] == y), col] = code
        missing.append(dict(school_id=str(ids[s]), year=int(y), column=col, code=code))
    return out, dict(expected=expected, prog=prog, missing=missing)


def _diagnostics(st, schools, c, u, waves, ssets, sizes_by_grade):
    """Regional reading / science literacy tests: school x year x work x grade."""
    P = DIAGNOSTICS
    n, W = len(schools), len(waves)
    prog = _programme_matrix(n, W, ssets["programme"])
    rows, school_z = [], {}
    for work, specs in P["works"].items():
        rng = st("diagnostics", work)
        zs = P["beta_context"] * c + P["u_weight"] * u + rng.normal(0, P["sd_work"], n)
        school_z[work] = zs
        z_sy = zs[:, None] + rng.normal(0, P["sd_year"], (n, W)) + P["programme"] * prog
        for grade, mu, sb in specs:
            z = z_sy + rng.normal(0, P["sd_row"], (n, W))
            npart = np.maximum(1, rng.binomial(sizes_by_grade[:, :, grade - 1],
                                               P["participation"]))
            mean_obs = mu + sb * z + rng.normal(0, 1, (n, W)) * P["sd_within"] / np.sqrt(npart)
            rows.append(pd.DataFrame({
                "school_id": np.repeat(schools["school_id"].to_numpy(), W),
                "year": np.tile(np.asarray(waves, dtype=np.int64), n), "work": work,
                "grade": grade, "n_participants": npart.reshape(-1).astype(np.int64),
                "mean_score": np.round(np.clip(mean_obs, 0, 100), 1).reshape(-1)}))
    out = pd.concat(rows, ignore_index=True).sort_values(
        ["school_id", "year", "work", "grade"], kind="mergesort").reset_index(drop=True)
    return out, dict(school_z=school_z)


def _region(st, waves, res_raw):
    """Regional values per year x procedure x subject from the population model of the results."""
    P, R = RESULTS, REGION
    a = P["u_trunc"] / P["sd_u"]    # variance of N(0, sd_u^2) truncated to |u| < u_trunc
    var_u = P["sd_u"] ** 2 * (1 - 2 * a * norm.pdf(a) / (2 * norm.cdf(a) - 1))
    tau2 = P["beta_context"] ** 2 + var_u + P["sd_year"] ** 2 + P["sd_row"] ** 2
    rng = st("region")
    w = rng.normal(0, R["year_sd"], len(waves))
    wz = res_raw.assign(wz=res_raw["z"] * res_raw["n_participants"]) \
        .groupby(["procedure", "subject"])[["wz", "n_participants"]].sum()
    zbar = (wz["wz"] / wz["n_participants"]).to_dict()
    cells = [(proc, subj, mu, sb) for proc, (_, specs) in PROCEDURES.items()
             for subj, mu, sb in dict.fromkeys((s_, m_, b_) for s_, _g, m_, b_, _p in specs)]
    cell_eff = dict(zip([(p_, s_) for p_, s_, _, _ in cells],
                        rng.normal(0, R["cell_sd"], len(cells))))
    rows = []
    sdw = P["sd_within"]
    for k, y in enumerate(waves):
        for proc, subj, mu, sb in cells:
            mean = mu + sb * (zbar[(proc, subj)] + R["z_shift"] + cell_eff[(proc, subj)] + w[k])
            sd_tot = np.sqrt(sdw ** 2 + sb ** 2 * tau2)
            below = 100 * norm.cdf((mu + P["below_min_z"] * sdw - mean) / sd_tot)
            high = 100 * norm.sf((mu + P["high_z"] * sdw - mean) / sd_tot)
            rows.append(dict(year=int(y), procedure=int(proc), subject=int(subj),
                             below_min_pct=round(float(below), 1),
                             high_pct=round(float(high), 1), mean_score=round(float(mean), 1)))
    return pd.DataFrame(rows), dict(
        tau2=float(tau2), var_u=float(var_u), year_effects=[round(float(x), 4) for x in w],
        municipal_mean_z={f"{p_}_{s_}": round(float(z), 4) for (p_, s_), z in zbar.items()},
        cell_effects={f"{p_}_{s_}": round(float(e), 4) for (p_, s_), e in cell_eff.items()})


def _weighted_school_values(df, p):
    """School x year value of a catalogue indicator's ``column`` (weighted) or ratio."""
    need = [p[k] for k in ("column", "weight", "numerator", "denominator") if k in p]
    d = df
    for col, vals in p["filter"].items():
        d = d[d[col].astype(str).isin([str(v) for v in vals])]
    d = d[~d[need].isin([-9]).any(axis=1)].dropna(subset=need)
    if "column" in p:
        wgt = d[p["weight"]].astype(float) if "weight" in p else pd.Series(1.0, index=d.index)
        g = pd.DataFrame({"school_id": d["school_id"], "year": d["year"],
                          "a": wgt * d[p["column"]].astype(float), "b": wgt}) \
            .groupby(["school_id", "year"])[["a", "b"]].sum()
        mult = float(p.get("multiplier", 1.0))
    else:
        g = d.groupby(["school_id", "year"])[[p["numerator"], p["denominator"]]].sum()
        g.columns = ["a", "b"]
        mult = float(p.get("multiplier", 100.0))
    return (mult * g["a"] / g["b"]).unstack("year")


def _school_targets(tables, waves, programme_ids):
    """Which schools reach the catalogue's targets (programme_data / diagnostics indicators)."""
    from .indicators import achievement_degree, load_catalogue
    out = {}
    for ind in load_catalogue(None).indicators:
        src, p = ind["source"], ind["params"]
        if src not in tables or ind["kind"] not in ("share", "mean",
                                                    "share_of_schools_with_change"):
            continue
        df = tables[src]
        need = [p[k] for k in ("column", "weight", "numerator", "denominator") if k in p]
        if p.get("schools") or any(col not in df.columns for col in need + list(p["filter"])):
            continue
        wide = _weighted_school_values(df, p)
        entry = {}
        for y, t in sorted(ind["targets"].items()):
            if y not in wide.columns:
                continue
            if ind["kind"] == "share_of_schools_with_change":
                before = [x for x in wide.columns if x < y]
                cw = p["compare_with"]
                y0 = (before[-1] if before else None) if cw == "previous" else \
                    (min(wide.columns) if cw == "first" else cw)
                if y0 is None or y0 not in wide.columns or y0 >= y:
                    continue
                ch = (wide[y] - wide[y0]).dropna()
                tol = float(p["tolerance"])
                moved = ch > tol if p["direction"] == "increase" else ch < -tol
                entry[str(y)] = dict(
                    compared_with=int(y0),
                    schools_with_positive_dynamics=sorted(ch.index[moved].astype(str)),
                    share_of_schools=round(100 * float(moved.mean()), 2),
                    programme_schools_change={s: round(float(ch.get(s, np.nan)), 2)
                                              for s in programme_ids})
            else:
                v = wide[y].dropna()
                ach = ind["achievement"]
                deg = achievement_degree(v.to_numpy(float), t, ind["better"],
                                         partly=ach.get("partly"),
                                         partly_within=ach.get("partly_within"))
                entry[str(y)] = dict(
                    target=t,
                    **{a: sorted(v.index[deg == a].astype(str))
                       for a in ("achieved", "partly achieved", "not achieved")},
                    programme_schools_value={s: round(float(v.get(s, np.nan)), 2)
                                             for s in programme_ids})
        if entry:
            out[ind["id"]] = entry
    return out


def _programme_truth(schools, c, waves, ssets, pdata, pmeta, diag, dmeta, region, rmeta,
                     res_raw):
    """Truth of the programme monitoring, diagnostics and regional tables."""
    ids = schools["school_id"].to_numpy()
    prog = list(ssets["programme"])
    prog_ids = [str(ids[s]) for s in prog]
    others = [s for s in range(len(ids)) if s not in set(prog)]
    exp = pmeta["expected"]
    first, last = 0, len(waves) - 1
    measures = {}
    units = {k: "% of pupils" for k in exp}
    units.update(n_teachers_trained="% of teachers", missed_lessons="lessons per pupil",
                 n_anxiety_reduced="% of the pupils assessed")
    for k, e in exp.items():
        direction = "decrease" if k in ("fail_pct", "missed_lessons") else "increase"
        measures[k] = dict(
            unit=units[k], programme_direction=direction,
            programme_schools_expected={str(ids[s]): [round(float(x), 3) for x in e[s]]
                                        for s in prog},
            programme_schools_expected_change={
                str(ids[s]): round(float(e[s, last] - e[s, first]), 3) for s in prog},
            other_schools_expected_mean=round(float(e[others].mean()), 3),
            other_schools_expected_change=0.0)
    model = {k: dict(base_percent=b, logit_slope_context=cs, logit_slope_u_results=us,
                     village_shift=vs, school_sd=sd, programme_shift_last_year=d, year_sd=ys)
             for k, (b, cs, us, vs, sd, d, ys) in PROGRAMME_DATA.items()}
    tables = {"programme_data": pdata, "diagnostics": diag}
    # municipality minus region, participants-weighted over the municipality's rows
    gaps = {}
    r = res_raw.assign(nb=res_raw["below_min_pct"] * res_raw["n_participants"],
                       nh=res_raw["high_pct"] * res_raw["n_participants"],
                       nm=res_raw["mean_score"] * res_raw["n_participants"])
    g = r.groupby(["year", "procedure", "subject"])[["nb", "nh", "nm", "n_participants"]].sum()
    reg = region.set_index(["year", "procedure", "subject"])
    for key in g.index:
        m = g.loc[key]
        row = reg.loc[key]
        gaps.setdefault(f"{key[1]}_{key[2]}", {})[str(key[0])] = dict(
            below_min_pct=round(float(m["nb"] / m["n_participants"] - row["below_min_pct"]), 2),
            high_pct=round(float(m["nh"] / m["n_participants"] - row["high_pct"]), 2),
            mean_score=round(float(m["nm"] / m["n_participants"] - row["mean_score"]), 2))
    P = DIAGNOSTICS
    return {
        "programme": dict(
            programme_schools=prog_ids,
            flag="passport column in_programme (1 = programme school, 0 = other); the same "
                 "4 schools as dynamics.programme_schools",
            path="linear in the year index: 0 at the first year, the full shift at the last; "
                 "0 for every other school (their true change is exactly 0)",
            model="P = logistic(logit(base/100) + c_slope c_s + u_slope u_s + village_shift "
                  "village + eta_s + programme path + eps_sy); counts ~ Binomial(n_students "
                  "(n_teachers for n_teachers_trained), P); fail_pct, marks_45_pct = 100 count / "
                  "n_students, rounded to 0.1",
            parameters=model, anxiety_diagnostics=dict(ANXIETY_DIAG), missed_lessons=dict(MISSED),
            measures=measures, planted_missing=pmeta["missing"],
            school_targets=_school_targets(tables, waves, prog_ids),
            school_targets_note="computed on the generated tables with the bundled catalogue "
                                "(surveys/indicators.yaml): per target year, the schools whose own "
                                "value reaches / partly reaches / misses the target (share and "
                                "mean kinds) or counts as positive dynamics (change kinds)"),
        "diagnostics": dict(
            model="z = beta c_s + u_weight u_s + w_s (work effect) + v_sy (year, own noise: the "
                  "results' year effects are NOT shared) + programme path + e (row); "
                  "mean_score = mu + sigma z + pupils' noise sd_within / sqrt(n)",
            works={w: [dict(grade=g, mu=mu, sigma=sb) for g, mu, sb in specs]
                   for w, specs in P["works"].items()},
            parameters={k: v for k, v in P.items() if k != "works"},
            programme_schools=prog_ids,
            programme_expected_change_points={
                w: round(P["programme"] * float(np.mean([sb for _, _, sb in specs])), 3)
                for w, specs in P["works"].items()},
            other_schools_expected_change=0.0,
            corr_school_effect_with_context={
                w: round(float(np.corrcoef(z, c)[0, 1]), 4)
                for w, z in dmeta["school_z"].items()}),
        "region": dict(
            model="pupils' scores in the region ~ N(mu + sigma z_reg, sd_within^2 + sigma^2 "
                  "tau^2), z_reg = zbar (the municipality's participants-weighted mean true z of "
                  "the procedure x subject over the years) + z_shift + a_cell + w_year; shares "
                  "below the minimum / above the high threshold from that normal (the same "
                  "thresholds as the school results); one row per year x procedure x subject",
            z_shift=REGION["z_shift"], cell_sd=REGION["cell_sd"], year_sd=REGION["year_sd"],
            direction="the region is ahead of the municipality: municipal mean scores lower, "
                      "shares below the minimum higher, shares of high results lower",
            municipal_mean_z=rmeta["municipal_mean_z"], cell_effects=rmeta["cell_effects"],
            year_effects=rmeta["year_effects"], tau2=round(rmeta["tau2"], 4),
            municipality_minus_region=gaps,
            municipality_minus_region_note="procedure_subject -> year -> difference of the "
                                           "participants-weighted municipal value and the "
                                           "regional value (p.p. / points), from the generated "
                                           "results"),
    }


# ============================================================================================
# Planted data problems
# ============================================================================================
def _likert_cols(inst):
    return [it.id for it in inst.items if it.type == "likert"]


def _plant_problems(st, inst, frames, frame, waves) -> list[dict]:
    rng = st("problems")
    problems = []
    stu_inst = inst["students"]
    w_mid = waves[len(waves) // 2]
    w_last = waves[-1]
    w_first = waves[0]
    S = frames["students"]

    def pick_row(df, wave, avoid=()):
        idx = df.index[(df["wave"] == wave) & ~df["resp_id"].isin(avoid)]
        return int(rng.choice(idx))

    used: list[str] = []
    # 1. duplicate ids: an exact double entry and a different respondent with the same id
    i = pick_row(S, w_mid)
    dup1 = S.loc[[i]].copy()
    used.append(S.at[i, "resp_id"])
    problems.append(dict(problem="duplicate_id", group="students", wave=w_mid,
                         resp_id=S.at[i, "resp_id"], detail="exact duplicate row (double entry)"))
    j = pick_row(S, w_mid, used)
    k = pick_row(S, w_mid, used + [S.at[j, "resp_id"]])
    dup2 = S.loc[[k]].copy()
    dup2["resp_id"] = S.at[j, "resp_id"]
    used += [S.at[j, "resp_id"], S.at[k, "resp_id"]]
    problems.append(dict(problem="duplicate_id", group="students", wave=w_mid,
                         resp_id=S.at[j, "resp_id"],
                         detail=f"a second, different respondent (answers of "
                                f"{S.at[k, 'resp_id']}) entered under the same id"))
    S = pd.concat([S, dup1, dup2], ignore_index=True)
    frames["students"] = S
    # 2. out-of-range codes: one per group (a code that is neither valid nor missing)
    for g, wave, offset in (("students", w_first, 1), ("parents", w_mid, -1),
                            ("teachers", w_last, 2)):
        df = frames[g]
        cols = [c for c in _likert_cols(inst[g]) if inst[g].item(c).missing] \
            or _likert_cols(inst[g])
        if not cols:
            continue
        col = cols[int(rng.integers(len(cols)))]
        it = inst[g].item(col)
        taken = set(it.codes) | set(it.missing)
        bad = (max(it.codes) if offset > 0 else min(it.codes)) + offset
        while bad in taken:
            bad += 1 if offset > 0 else -1
        r = pick_row(df, wave, used)
        used.append(df.at[r, "resp_id"])
        df.at[r, col] = float(bad)
        problems.append(dict(problem="out_of_range", group=g, wave=wave,
                             resp_id=df.at[r, "resp_id"], column=col, value=int(bad)))
    # 3. invalid rankings (students): a tie and a gap
    rk = [it for it in stu_inst.items if it.type == "ranking"]
    if rk:
        it = rk[0]
        for kind in ("tie", "gap"):
            r = pick_row(S, w_last, used)
            while S.loc[r, it.columns].isna().any():
                r = pick_row(S, w_last, used)
            used.append(S.at[r, "resp_id"])
            vals = S.loc[r, it.columns].to_numpy(float)
            if kind == "tie":
                a = int(np.flatnonzero(vals == 6)[0])
                S.at[r, it.columns[a]] = 5.0
                detail = "ranks 5 given twice, rank 6 missing"
            else:
                a = int(np.flatnonzero(vals == min(12, len(vals)))[0])
                S.at[r, it.columns[a]] = np.nan
                detail = f"option {it.columns[a]} left unranked (rank {min(12, len(vals))} missing)"
            problems.append(dict(problem=f"invalid_ranking_{kind}", group="students",
                                 wave=w_last, resp_id=S.at[r, "resp_id"], item=it.id,
                                 detail=detail))
    # 4. straightliners: every likert item at the same position
    lk = _likert_cols(stu_inst)
    for kind in ("middle", "top"):
        r = pick_row(S, w_first, used)
        used.append(S.at[r, "resp_id"])
        for col in lk:
            codes = sorted(stu_inst.item(col).codes)
            S.at[r, col] = float(codes[len(codes) // 2] if kind == "middle" else codes[-1])
        problems.append(dict(problem="straightliner", group="students", wave=w_first,
                             resp_id=S.at[r, "resp_id"],
                             detail=f"every likert item at its {kind} code"))
    # 5. a respondent from a class that was not sampled
    r = pick_row(S, w_mid, used)
    sid = S.at[r, "school_id"]
    other = frame[(frame["unit"] == "class") & (frame["school_id"] == sid) &
                  (frame["sampled"] == 0) & (frame["wave"] == w_mid)]
    if len(other):
        new_cls = other["class_id"].iloc[0]
        old = S.at[r, "resp_id"]
        S.at[r, "class_id"] = new_cls
        S.at[r, "resp_id"] = f"W{w_mid % 100:02d}-{new_cls}-001"
        used.append(S.at[r, "resp_id"])
        problems.append(dict(problem="non_sampled_class", group="students", wave=w_mid,
                             resp_id=S.at[r, "resp_id"], class_id=new_cls,
                             detail=f"class {new_cls} is in the frame but was not sampled "
                                    f"(replaces respondent {old})"))
    # 6. a respondent with almost nothing answered
    r = pick_row(S, w_last, used)
    used.append(S.at[r, "resp_id"])
    keep = {c for c in ("sex", "grade") if c in S.columns}
    blank = [c for c in stu_inst.columns if c not in keep]
    for c in blank:
        S.at[r, c] = None if S[c].dtype == object else np.nan
    problems.append(dict(problem="almost_empty", group="students", wave=w_last,
                         resp_id=S.at[r, "resp_id"],
                         detail=f"only {sorted(keep)} answered"))
    frames["students"] = S.sort_values(["wave", "school_id", "class_id", "resp_id"],
                                       kind="mergesort").reset_index(drop=True)
    return problems


# ============================================================================================
# Truth
# ============================================================================================
def _ids(schools, idx):
    return [str(schools["school_id"].iloc[i]) for i in idx]


def _scale_expectations(inst: Instrument, params, scale_id, schools_idx, waves):
    """Expected scale score (codes, reverse-keyed items already turned back) per school x wave."""
    sc = inst.scales.get(scale_id)
    if sc is None:
        return None
    vals = []
    for iid in sc.items:
        p = params.get(iid)
        if p is None:
            return None
        M = p["M"][schools_idx]
        sd = np.sqrt((p["f"][schools_idx] ** 2)[:, None] * (A_RESP ** 2 + B_ITEM ** 2)
                     + p["acq"] ** 2) * np.ones_like(M)
        vals.append(_expected_code(M + p["delta"], sd, p["taus"], p["lo"]))
    return np.mean(vals, axis=0)


def _population_expected(params, item_ids, group_weights):
    """Expected item code over the population of sampled schools (equal school weights)."""
    out = {}
    for iid in item_ids:
        p = params[iid]
        M = p["M"][group_weights]
        sd = np.sqrt((p["f"][group_weights] ** 2)[:, None] * (A_RESP ** 2 + B_ITEM ** 2)
                     + p["acq"] ** 2) * np.ones_like(M)
        out[iid] = float(np.mean(_expected_code(M + p["delta"], sd, p["taus"], p["lo"])))
    return out


def _low_result_rule(res: pd.DataFrame, share: float = 30.0, n_procedures: int = 2,
                     n_years: int = 2) -> list[str]:
    d = res.assign(nb=res["below_min_pct"] * res["n_participants"])
    g = d.groupby(["school_id", "year", "procedure"])[["nb", "n_participants"]].sum()
    low = (g["nb"] / g["n_participants"]) >= share
    years = low.groupby(level=[0, 1]).sum() >= n_procedures
    n_low = years.groupby(level=0).sum()
    return sorted(n_low[n_low >= n_years].index.tolist())


def _gh_nodes(n=40):
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


def _scale_moments(params, items, schools_idx, wave=0):
    """Exact mean and within-school variance of a mean scale score per school (quadrature over
    the respondent's shared latent; items independent given it)."""
    x, w = _gh_nodes()
    mean = np.zeros((len(schools_idx), len(x)))
    var_cond = np.zeros_like(mean)
    J = len(items)
    for iid in items:
        p = params[iid]
        M = p["M"][schools_idx, wave] + p["delta"]
        f = p["f"][schools_idx]
        shared = np.sqrt((f * A_RESP) ** 2 + p["acq"] ** 2)
        loc = M[:, None] + shared[:, None] * x[None, :]               # school x node
        pk = norm.cdf((loc[..., None] - p["taus"]) / (f * B_ITEM)[:, None, None])
        e1 = pk.sum(-1)
        e2 = (pk * (2 * np.arange(1, len(p["taus"]) + 1) - 1)).sum(-1)
        mean += e1 / J
        var_cond += (e2 - e1 ** 2) / J ** 2
    m = (mean * w).sum(1)
    within = (var_cond * w).sum(1) + ((mean - m[:, None]) ** 2 * w).sum(1)
    lo = params[items[0]]["lo"]
    return m + lo, within


def _mc_rank(util, rng, n=20000):
    r = _gumbel_rank(rng, util, n)
    return r.mean(0)


def _mc_choice(util, rng, max_choices, n=50000):
    return _choose(rng, util, n, max_choices).mean(0)


def _icc1(df, group_col, value_col):
    d = df[[group_col, value_col]].dropna()
    g = d.groupby(group_col)[value_col]
    n_g, m_g = g.size(), g.mean()
    N, G = len(d), len(n_g)
    grand = d[value_col].mean()
    msb = (n_g * (m_g - grand) ** 2).sum() / (G - 1)
    msw = ((d[value_col] - d[group_col].map(m_g)) ** 2).sum() / (N - G)
    k = N / G
    return float((msb - msw) / (msb + (k - 1) * msw))


def _rwg_j(df, items, lo, hi):
    """James, Demaree & Wolf rwg(J) with a uniform null, per group (``school_id``)."""
    A = hi - lo + 1
    s2eu = (A ** 2 - 1) / 12
    var = df.groupby("school_id")[items].var(ddof=1).mean(axis=1)
    J = len(items)
    ratio = var / s2eu
    r = J * (1 - ratio) / (J * (1 - ratio) + ratio)
    return r.clip(lower=0, upper=1).where(ratio < 1, 0.0)


def _score(df, inst, scale_id):
    sc = inst.scales[scale_id]
    mat = []
    for iid in sc.items:
        it = inst.item(iid)
        x = df[iid].astype(float).where(df[iid].isin(list(it.codes)))
        if it.reverse:
            x = min(it.codes) + max(it.codes) - x
        mat.append(x)
    return pd.concat(mat, axis=1).mean(axis=1)


def _build_truth(st, seed, inst, schools, c, waves, rsets, ssets, params, res_raw, u, v, true_z,
                 passport, answers, problems):
    ids = lambda idx: _ids(schools, idx)  # noqa: E731
    sampled = np.flatnonzero(schools["sampled"].to_numpy() == 1)
    T: dict[str, Any] = {"seed": int(seed), "waves": list(waves),
                         "generator": "shnro_research.demo.generate_demo"}
    T["schools"] = [dict(school_id=str(schools["school_id"].iloc[s]),
                         stratum=str(schools["stratum"].iloc[s]), context=round(float(c[s]), 6),
                         u_results=round(float(u[s]), 6), sampled=int(schools["sampled"].iloc[s]))
                    for s in range(len(schools))]
    # --- context and passport -------------------------------------------------------------
    T["context"] = dict(
        definition="c_s: standardised (mean 0, SD 1 over the municipality) latent school context; "
                   "higher = more favourable; stratum shifts city +0.6, town 0, village -0.7 "
                   "before standardising",
        passport_model="share = 100 * logistic(logit(mean/100) + slope * c_s + eta_s + eps_st), "
                       "eta_s ~ N(0, sd^2) (+0.3 for villages on low income and large families), "
                       "eps_st ~ N(0, 0.08^2)",
        passport={k: dict(mean_share=m, logit_slope=s, school_sd=sd,
                          direction="+" if s > 0 else "-") for k, (m, s, sd) in PASSPORT.items()},
        passport_by_role={k: dict(mean_share=m, logit_slope=sl) for k, (m, sl) in
                          PASSPORT_ROLE.items()},
        staffing_yes_no={k: f"P(yes) = logistic({a} + 0.8 c_s + 0.8 city - 0.8 village), "
                            "5 % of school-years flipped" for k, a in PASSPORT_YESNO.items()},
        second_shift="0 in villages; else 100 logistic(-3 + 1.2 city - 0.3 c_s + N(0, 0.8^2))",
        teacher_vacancies="Poisson(exp(0.2 - 0.5 c_s + 0.4 village + N(0, 0.3^2)))")
    pcols = [k for k in PASSPORT if k in passport.columns]
    if pcols:
        pm = passport.groupby("school_id")[pcols].mean().reindex(schools["school_id"])
        T["context"]["observed_corr_with_context"] = {
            k: round(float(np.corrcoef(pm[k], c)[0, 1]), 4) for k in pcols}
    # --- results --------------------------------------------------------------------------
    P = RESULTS
    zbar = true_z.mean(1)
    slope = float(np.polyfit(c, zbar, 1)[0])
    sd_total = float(np.sqrt(P["beta_context"] ** 2 + np.var(u, ddof=1) + P["sd_year"] ** 2
                             + P["sd_row"] ** 2))
    by_rule = _low_result_rule(res_raw)
    T["results"] = dict(
        model="z_styp = beta * c_s + u_s + v_sy + e_styp; mean_score = mu_p + sigma_p * z "
              "(+ pupils' sampling noise sd_within/sqrt(n)); shares from a normal pupil "
              "distribution (SD sd_within) around the true mean, binomial in n_participants",
        beta_context=P["beta_context"],
        beta_context_units="z units (1 = sigma_p points of the procedure) per SD of context",
        beta_context_std=round(P["beta_context"] / sd_total, 4),
        beta_context_std_note="beta / SD of a single result row's z in the population "
                              "(= corr of a row's z with c)",
        beta_context_realised=round(slope, 4),
        beta_context_realised_note="OLS slope of the school's true mean z (all rows, years) on "
                                   "c_s over the generated schools",
        corr_school_mean_true_with_context=round(float(np.corrcoef(zbar, c)[0, 1]), 4),
        parameters={k: (list(v_) if isinstance(v_, tuple) else v_) for k, v_ in P.items()},
        procedures={str(k): dict(name=name, rows=[dict(subject=s, grade=g, mu=mu, sigma=sb,
                                                       participation=pt)
                                                  for s, g, mu, sb, pt in specs])
                    for k, (name, specs) in PROCEDURES.items()},
        subjects={"1": "русский язык", "2": "математика"},
        resilient_schools=ids(rsets["resilient"]),
        resilient_definition="context in the bottom third of the municipality and u_s in "
                             f"[{P['resilient_u'][0]}, {P['resilient_u'][1]}] (results SD units)",
        low_result_schools=ids(rsets["low"]),
        low_result_definition="context not in the top third and c_s >= (max(low_z) + 1) / "
                              f"beta = {(P['low_z'][1] + 1) / P['beta_context']:.3f}; u_s = z - "
                              f"beta c_s with z ~ U{tuple(P['low_z'])} (so u_s <= -1.0 and the "
                              "school's true mean is about 2 SD below the average), year noise "
                              "x0.4 (stable)",
        low_result_by_rule=by_rule,
        low_result_rule="share below the minimum, pooled over a procedure's rows (weighted by "
                        "n_participants), >= 30 % on >= 2 procedures of a year, in >= 2 years "
                        "(computed on the generated results)",
        stably_high_schools=ids(rsets["high"]),
        stably_high_definition=f"context above the bottom third, u_s in {list(P['high_u'])}, "
                               "year noise x0.4",
        unstable_schools=ids(rsets["unstable"]),
        unstable_definition=f"u_s ~ U(-0.2, 0.2), v_sy = +/-{P['unstable_swing']} alternating "
                            "between consecutive years",
        year_effects={str(schools["school_id"].iloc[s]): [round(float(x), 4) for x in v[s]]
                      for s in rsets["unstable"]},
    )
    # --- survey truths ----------------------------------------------------------------------
    tens = {}
    for g in GROUPS:
        e = _scale_expectations(inst[g], params[g], "tension", sampled, waves)
        if e is not None:
            tens[g] = {str(schools["school_id"].iloc[s]): [round(float(x), 4) for x in e[k]]
                       for k, s in enumerate(sampled)}
    T["tension"] = dict(
        model="latent M = group mean + school effect (0.30 z_s - 0.15 c_s, z_s ~ N(0,1) "
              "truncated to |z| < 1.8, shared by the groups) + group deviation 0.10 N(0,1) + "
              "programme path; planted schools: M = group mean + planted level",
        group_mean=TENSION["group_mu"],
        high_tension_schools=ids(ssets["high_tension"]),
        high_tension_level=TENSION["high_level"],
        discrepancy_school=ids(ssets["discrepancy"])[0],
        discrepancy_level=TENSION["discrepancy_level"],
        expected_scale_mean=tens,
        expected_scale_mean_note="expected tension scale score (mean of items, reverse-keyed items "
                                 "turned back, code units) per sampled school, one value per wave")
    # dynamics
    dyn = {}
    prog = ssets["programme"]
    for g in GROUPS:
        for sid in ("tension", "motivation", "anxiety"):
            if sid not in inst[g].scales:
                continue
            e = _scale_expectations(inst[g], params[g], sid, sampled, waves)
            if e is None:
                continue
            diff = e[:, -1] - e[:, 0]
            dyn.setdefault(g, {})[sid] = {
                str(schools["school_id"].iloc[s]): round(float(diff[k]), 4)
                for k, s in enumerate(sampled) if s in prog}
    T["dynamics"] = dict(
        programme_schools=ids(prog),
        latent_shift_at_last_wave=PROGRAMME,
        path="linear in the wave index: 0 at the first wave, full shift at the last",
        expected_change_first_to_last=dyn,
        expected_change_note="expected change of the school's scale mean (code units), last wave "
                             "minus first wave; exactly 0 for every other school and scale "
                             "(relationship satisfaction follows tension: -0.5 x its shift)",
        other_schools_change=0.0,
        values_change=0.0)
    # values: Rokeach and PVQ
    vals: dict[str, Any] = {"rokeach": {}, "pvq": {}}
    for g in GROUPS:
        for it in inst[g].items_of(type="ranking"):
            util = params[g][it.id]["utilities"]
            mr = _mc_rank(util, st("truth", "rank", g, it.id))
            order = np.argsort(-util)
            vals["rokeach"].setdefault(it.id, {})[g] = dict(
                order=[it.options[j].ru for j in order],
                order_columns=[it.columns[j] for j in order],
                utilities={it.columns[j]: round(float(util[j]), 4) for j in range(len(util))},
                expected_mean_rank={it.columns[j]: round(float(mr[j]), 3)
                                    for j in range(len(util))})
        pvq_scales = [s for s, sc in inst[g].scales.items()
                      if sc.role == "pvq_value" or s.startswith("pvq_")]
        if pvq_scales:
            exp = {}
            for s in pvq_scales:
                e = _scale_expectations(inst[g], params[g], s, sampled, waves)
                if e is not None:
                    exp[s] = round(float(e.mean()), 4)
            vals["pvq"][g] = dict(latent_profile=PVQ_PROFILE[g], expected_scale_mean=exp,
                                  order=sorted(exp, key=lambda k: -exp[k]),
                                  acquiescence_sd=PVQ_ACQ_SD)
    T["values"] = vals
    # life success
    life: dict[str, Any] = {}
    for g in GROUPS:
        for it in inst[g].items_of(type="multiple"):
            util = params[g][it.id]["utilities"]
            pr = _mc_choice(util, st("truth", "choice", g, it.id), it.max_choices)
            mc = min(it.max_choices or min(4, len(util)), len(util))
            life.setdefault(it.id, {})[g] = dict(
                probability={it.columns[j]: round(float(pr[j]), 4) for j in range(len(util))},
                options={it.columns[j]: it.options[j].ru for j in range(len(util))},
                utilities={it.columns[j]: round(float(util[j]), 4) for j in range(len(util))},
                n_choices_distribution={str(m): round(2 ** (m - 1) / (2 ** mc - 1), 4)
                                        for m in range(1, mc + 1)},
                top3=[it.columns[j] for j in np.argsort(-pr)[:3]])
    T["life_success"] = dict(
        model="choose the m best options of utility + Gumbel noise; P(m) proportional to "
              "2^(m-1), m = 1..max_choices; 1 % skip the question",
        items=life, probability_note="Monte Carlo (50 000 draws) expected share choosing "
                                     "each option (among those answering)")
    # needs
    needs = {}
    for g in GROUPS:
        imp = [it.id for it in inst[g].items if it.role == "need_importance"]
        real = [it.id for it in inst[g].items if it.role == "need_realisation"]
        if not imp or not real:
            continue
        ei = _population_expected(params[g], imp, sampled)
        er = _population_expected(params[g], real, sampled)
        needs[g] = [dict(importance=a, realisation=b,
                         text=inst[g].item(a).text.ru,
                         expected_importance=round(ei[a], 4),
                         expected_realisation=round(er[b], 4),
                         expected_gap=round(ei[a] - er[b], 4),
                         planted_large_gap=bool(re.search(r"(\d+)$", b) and
                                                int(re.search(r"(\d+)$", b).group(1))
                                                in NEEDS["gap_items"]))
                    for a, b in zip(imp, real)]
    T["needs"] = dict(model=f"importance latent mean {NEEDS['imp_mu']}; realisation latent mean "
                            f"{NEEDS['real_mu']} + school N(0, 0.2^2); needs "
                            f"{list(NEEDS['gap_items'])} get an extra {NEEDS['gap_extra']} "
                            "on realisation (by item number)",
                      large_gap_needs=list(NEEDS["gap_items"]), by_group=needs,
                      note="expected codes averaged over the sampled schools (equal weights)")
    # teachers' professional community
    tinst = inst["teachers"]
    pc_scales = [s for s in tinst.scales if s.startswith("pc_") or s in
                 ("leadership", "high_results", "demandingness")]
    tea = answers["teachers"]
    icc_obs, rwg_obs = {}, {}
    for s in pc_scales:
        sc = _score(tea, tinst, s)
        icc_obs[s] = round(_icc1(tea.assign(_s=sc), "school_id", "_s"), 4)
    f = np.ones(len(c))
    f[ssets["consensus_high"]] = CONSENSUS["high_f"]
    f[ssets["consensus_low"]] = CONSENSUS["low_f"]
    icc_model, icc_latent = {}, {}
    for s in pc_scales:
        J = len(tinst.scales[s].items)
        mult = CONSENSUS["ideal_scale"] if s == "pc_ideal" else 1.0
        tau2 = (CONSENSUS["school_sd"] * mult) ** 2
        within = np.mean(f[sampled] ** 2) * (A_RESP ** 2 + B_ITEM ** 2 / J)
        icc_latent[s] = round(float(tau2 / (tau2 + within)), 4)
        m, wv = _scale_moments(params["teachers"], list(tinst.scales[s].items), sampled)
        icc_model[s] = round(float(np.var(m, ddof=1) / (np.var(m, ddof=1) + wv.mean())), 4)
    if "pc_values" in tinst.scales:
        items = [i for i in tinst.scales["pc_values"].items]
        it0 = tinst.item(items[0])
        clean = tea.copy()
        for i in items:
            it = tinst.item(i)
            clean[i] = clean[i].where(clean[i].isin(list(it.codes)))
        per_wave = [_rwg_j(clean[clean["wave"] == w], items, min(it0.codes), max(it0.codes))
                    for w in waves]
        rw = pd.concat(per_wave, axis=1).mean(axis=1)
        rwg_obs = {k: round(float(x), 4) for k, x in rw.items()}
    T["teachers_community"] = dict(
        scales=pc_scales,
        school_sd=CONSENSUS["school_sd"],
        consensus_high_schools=ids(ssets["consensus_high"]),
        consensus_low_schools=ids(ssets["consensus_low"]),
        within_multiplier={"high": CONSENSUS["high_f"], "low": CONSENSUS["low_f"], "other": 1.0},
        icc1_true=icc_model,
        icc1_true_note="ICC(1) of the scale score in code units implied by the model for the "
                       "sampled schools: var over schools of the expected score (ddof 1) / (that + "
                       "mean within-school variance), exact by quadrature",
        icc1_latent=icc_latent,
        icc1_latent_note="same on the continuous latent: tau^2 / (tau^2 + mean(f^2)(a^2 + b^2/J))",
        icc1_observed=icc_obs,
        rwg_j_pc_values_observed=rwg_obs,
        rwg_note="rwg(J) (uniform null) of the pc_values items per school, mean over waves, "
                 "computed on the generated data")
    T["planted_problems"] = problems
    T["response_model"] = dict(
        likert="y* = M[school, wave] + delta_item + f_school (0.65 e_resp + 0.75 eps_item); "
               "codes cut at equally spaced thresholds (spacing min(1, 4/(K-1)), centred); "
               "reverse-keyed items stored as min+max-code",
        delta_item_sd=DELTA_SD, delta_item_sd_pvq=PVQ_DELTA_SD, delta_item_sd_needs=NEED_DELTA_SD,
        missing_code_rate=MISSING_CODE_RATE, blank_rate=BLANK_RATE,
        ranking="Plackett-Luce: ranks of utility + Gumbel(0, 1); 1 % skip",
        sample=dict(pupil_response=0.85, parent_response=0.65, teacher_response=0.80,
                    classes_per_school=2))
    return _jsonable(T)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


# ============================================================================================
# Public API
# ============================================================================================
def generate_demo(seed: int = 20240501, *, n_schools: int = 40, n_sampled: int = 24,
                  waves=(2022, 2023, 2024),
                  instruments: Mapping[str, Any] | None = None) -> DemoStudy:
    """Generate the demo municipality with its known truth.

    Parameters
    ----------
    seed : int
        Seed; the same seed (and instruments) gives identical frames and files.
    n_schools : int, default 40
        Schools of the municipality, split 40 % / 30 % / 30 % into the strata city / town /
        village (16 / 12 / 12 for 40).
    n_sampled : int, default 24
        Schools sampled (PPS by the number of pupils of grades 8–11, systematic within strata,
        allocation proportional to the strata's numbers of schools).
    waves : sequence of int, default (2022, 2023, 2024)
        Survey years (also the years of the passport and results). New pupils each wave in
        the same sampled classes.
    instruments : mapping, optional
        ``{"students": ..., "parents": ..., "teachers": ..., "school_passport": ...,
        "results": ...}``: :class:`~shnro_research.instruments.Instrument` objects or names /
        paths for :func:`~shnro_research.instruments.load_instrument`; missing keys use the
        bundled ``surveys/*.yaml``.

    Returns
    -------
    DemoStudy

    Notes
    -----
    Sampling: stage 1, randomised systematic PPS without replacement within each stratum,
    ``p_school = n_h M_i / sum_h M`` (certainty units taken first); stage 2, 2 classes of grades
    8–11 by simple random sampling, ``p_class = min(1, 2 / K_s)``; stage 3, every pupil
    (``p_unit = 1``) with ~85 % response. Design weight ``= 1 / (p_school p_class p_unit)``;
    ``weight_nr`` adds the nonresponse adjustment ``n_pupils / n_responded`` of the class.

    Examples
    --------
    >>> study = generate_demo()          # doctest: +SKIP
    >>> study.truth["results"]["resilient_schools"]   # doctest: +SKIP
    >>> # R: no direct equivalent (simulation); compare survey::svydesign(~school_id+class_id,
    >>> #    strata=~stratum, probs=~p_school+p_class, data=...) on the written files.
    """
    waves = _check_args(seed, n_schools, n_sampled, waves)
    inst = _resolve_instruments(instruments)
    st = _Streams(seed)
    schools, classes, sizes, c, n_students, n_teachers = _make_schools(st, n_schools, waves)
    schools, frame = _make_sample(st, schools, classes, sizes, n_sampled, waves, n_teachers)
    rsets = _plant_results_sets(st, c)
    ssets = _plant_survey_sets(st, schools, frame)
    eff = _Effects(st, c, ssets, len(waves))
    stu, par, tea, n_par = _respondents(st, schools, frame, c, waves)
    # respondents per class: parents
    frame = frame.copy()
    key = list(zip(frame["class_id"], frame["wave"]))
    frame["n_parents_responded"] = [int(n_par.get(k, 0)) if cid else 0
                                    for k, cid in zip(key, frame["class_id"])]
    frame.loc[frame["sampled"] == 0, "n_parents_responded"] = 0
    adj = frame["n_pupils"] / frame["n_responded"].where(frame["n_responded"] > 0)
    frame["weight_nr"] = frame["weight"] * adj
    wave_pos = {w: k for k, w in enumerate(waves)}
    answers, params = {}, {}
    for g, resp in (("students", stu), ("parents", par), ("teachers", tea)):
        ins = inst[g]
        df, prm = _generate_answers(st, ins, g, resp, eff, resp["wave"].map(wave_pos).to_numpy())
        idc = pd.DataFrame({c_: resp[c_] for c_ in ins.id_columns if c_ in resp.columns},
                           index=resp.index)
        for c_ in ins.id_columns:
            if c_ not in idc:
                idc[c_] = np.nan
        out = pd.concat([idc[list(ins.id_columns)], df], axis=1).reset_index(drop=True)
        answers[g], params[g] = out, prm
    # passport and results for every school
    n_classes_total = schools["n_classes_total"].to_numpy()
    sizes_by_grade = np.zeros((n_schools, len(waves), 11))
    g_idx = classes["grade"].to_numpy() - 1
    for w in range(len(waves)):
        np.add.at(sizes_by_grade[:, w, :], (classes["school"].to_numpy(), g_idx), sizes[:, w])
    lower_rng = st("results", "lower_grades")
    for g in range(7):  # grades 1..7: as many pupils as a typical grade 8..11 +- 8 %
        noise = 1 + lower_rng.normal(0, 0.08, (n_schools, len(waves)))
        sizes_by_grade[:, :, g] = np.rint(sizes_by_grade[:, :, 7:11].mean(2) * noise)
    passport = _passport(st, inst["school_passport"], schools, c, waves, n_students, n_teachers,
                         n_classes_total)
    results, res_raw, u, v, true_z = _results(st, inst["results"], schools, c, waves, rsets,
                                              sizes_by_grade.astype(int))
    passport["in_programme"] = np.repeat(
        np.isin(np.arange(n_schools), ssets["programme"]).astype(np.int64), len(waves))
    pdata, pmeta = _programme_data(st, schools, c, u, waves, ssets, n_students, n_teachers,
                                   passport)
    diag, dmeta = _diagnostics(st, schools, c, u, waves, ssets, sizes_by_grade.astype(int))
    region, rmeta = _region(st, waves, res_raw)
    problems = _plant_problems(st, inst, answers, frame, waves)
    truth = _build_truth(st, seed, inst, schools, c, waves, rsets, ssets, params, res_raw, u, v,
                         true_z, passport, answers, problems)
    truth.update(_jsonable(_programme_truth(schools, c, waves, ssets, pdata, pmeta, diag, dmeta,
                                            region, rmeta, res_raw)))
    frame_out = frame[["wave", "unit", "stratum", "school_id", "class_id", "grade", "measure",
                       "n_pupils", "p_school", "p_class", "p_unit", "sampled", "n_responded",
                       "n_parents_responded", "weight", "weight_nr"]].copy()
    frame_out["grade"] = frame_out["grade"].astype("Int64")
    frame_out = frame_out.sort_values(["wave", "school_id", "unit", "class_id"],
                                      kind="mergesort").reset_index(drop=True)
    schools_out = schools.drop(columns=[c_ for c_ in ("school",) if c_ in schools])
    return DemoStudy(seed=int(seed), waves=waves, schools=schools_out.reset_index(drop=True),
                     frame=frame_out,
                     sample=frame_out[frame_out["sampled"] == 1].reset_index(drop=True),
                     students=answers["students"], parents=answers["parents"],
                     teachers=answers["teachers"], passport=passport, results=results,
                     programme_data=pdata, diagnostics=diag, region=region,
                     truth=truth, instruments=inst)


# ============================================================================================
# Writing
# ============================================================================================
def _as_int_where_possible(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype.kind == "f":
            vals = s.dropna().to_numpy()
            if len(vals) == 0 or np.all(vals == np.round(vals)):
                out[col] = s.astype("Int64")
    return out


def _col_letter(k: int) -> str:
    out = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        out = chr(65 + r) + out
    return out


def _xml_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _sheet_xml(df: pd.DataFrame) -> str:
    """Worksheet XML: header row of column names, numbers as numbers, text as inline strings,
    missing values as absent cells."""
    letters = [_col_letter(k) for k in range(df.shape[1])]
    n = len(df)
    cells = np.empty((n + 1, df.shape[1]), dtype=object)
    cells[0] = [f'<c r="{L}1" t="inlineStr"><is><t>{_xml_escape(str(c))}</t></is></c>'
                for L, c in zip(letters, df.columns)]
    rownum = np.arange(2, n + 2).astype(str)
    for j, col in enumerate(df.columns):
        s = df[col]
        ref = np.char.add(letters[j], rownum)
        if s.dtype.kind in "if" or str(s.dtype) in ("Int64", "Float64"):
            vals = s.astype("Float64")
            miss = vals.isna().to_numpy()
            num = vals.fillna(0).to_numpy(float)
            txt = np.where(num == np.round(num), np.round(num).astype(np.int64).astype(str),
                           np.char.mod("%.10g", num))
            c = np.char.add(np.char.add(np.char.add(np.char.add('<c r="', ref), '"><v>'), txt),
                            "</v></c>")
            c = np.where(miss, "", c)
        else:
            miss = s.isna().to_numpy() | (s.astype(str).to_numpy() == "")
            txt = np.array([_xml_escape(str(x)) for x in s.to_numpy()], dtype=object)
            c = np.array([f'<c r="{r}" t="inlineStr"><is><t>{t}</t></is></c>'
                          for r, t in zip(ref, txt)], dtype=object)
            c[miss] = ""
        cells[1:, j] = c
    rows = [f'<row r="{i + 1}">' + "".join(cells[i]) + "</row>" for i in range(n + 1)]
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<sheetData>" + "".join(rows) + "</sheetData></worksheet>")


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    """A minimal, reproducible .xlsx (no timestamps; fixed zip dates); readable by Excel,
    LibreOffice, openpyxl and pandas."""
    names = list(sheets)
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" '
          'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/'
          'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          + "".join(f'<Override PartName="/xl/worksheets/sheet{k + 1}.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.'
                    'spreadsheetml.worksheet+xml"/>' for k in range(len(names)))
          + "</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
          "<sheets>" + "".join(f'<sheet name="{_xml_escape(nm[:31])}" sheetId="{k + 1}" '
                               f'r:id="rId{k + 1}"/>' for k, nm in enumerate(names))
          + "</sheets></workbook>")
    wrels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             + "".join(f'<Relationship Id="rId{k + 1}" Type="http://schemas.openxmlformats.org/'
                       f'officeDocument/2006/relationships/worksheet" '
                       f'Target="worksheets/sheet{k + 1}.xml"/>' for k in range(len(names)))
             + "</Relationships>")
    parts = [("[Content_Types].xml", ct), ("_rels/.rels", rels), ("xl/workbook.xml", wb),
             ("xl/_rels/workbook.xml.rels", wrels)]
    parts += [(f"xl/worksheets/sheet{k + 1}.xml", _sheet_xml(df))
              for k, df in enumerate(sheets.values())]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def _sav_metadata(inst: Instrument, df: pd.DataFrame):
    cb = inst.codebook("ru")
    labels = dict(zip(cb["variable"], cb["label"]))
    column_labels = {c: str(labels.get(c, c))[:250] for c in df.columns}
    value_labels, missing, measure = {}, {}, {}
    for it in inst.items:
        if it.type in ("single", "likert"):
            vl = {int(k): t.ru for k, t in it.codes.items()}
            vl.update({int(k): t.ru for k, t in it.missing.items()})
            value_labels[it.id] = vl
            if it.missing:
                missing[it.id] = [int(k) for k in sorted(it.missing)][:3]
            measure[it.id] = "ordinal" if it.type == "likert" else "nominal"
        elif it.type == "multiple":
            for col in it.columns:
                value_labels[col] = {0: "не выбрано", 1: "выбрано"}
                measure[col] = "nominal"
        elif it.type in ("ranking", "numeric"):
            for col in it.columns:
                measure[col] = "scale" if it.type == "numeric" else "ordinal"
    return column_labels, value_labels, missing, measure


def write_demo(study: DemoStudy, folder: str | Path) -> dict[str, Path]:
    """Write the demo study as raw files plus ``truth.json`` and ``study.yaml``.

    Parameters
    ----------
    study : DemoStudy
        From :func:`generate_demo`.
    folder : str or Path
        Created if needed; existing demo files are overwritten.

    Returns
    -------
    dict
        Name -> path of every written file (``students_2022``, ..., ``programme_data``,
        ``diagnostics``, ``region``, ``truth``, ``study``).

    Notes
    -----
    ``study.yaml`` (read by the pipeline; paths relative to the yaml's folder)::

        study: {id, title, seed, waves: [2022, ...]}
        instruments: {students: students, parents: parents, teachers: teachers,
                      school: school_passport, results: results}   # bundled names or paths
        responses:
          students: {2022: {file: raw/students_2022.sav, format: sav}, ...}
          parents:  {2022: {file: raw/parents_2022.csv, format: csv, encoding: cp1251,
                            sep: ";", decimal: ","}, ...}
          teachers: {2022: {file: raw/teachers_2022.xlsx, format: xlsx, sheet: 0}, ...}
        design:
          frame: {file: raw/sample_frame.csv, format: csv, encoding: utf-8, sep: ",",
                  decimal: "."}
          wave: wave; strata: stratum; school: school_id; class: class_id
          weight: weight            # 1 / (p_school p_class p_unit), sampled units
          weight_nr: weight_nr      # x n_pupils / n_responded (class or school's teachers)
          probabilities: [p_school, p_class, p_unit]
          unit: unit                # "class" rows (students, parents), "teachers" rows
        context:
          passport: {file: raw/school_passport.xlsx, format: xlsx, sheet: 0}
          results: {file: raw/results.csv, format: csv, encoding: utf-8, sep: ",", decimal: "."}
        indicators:             # extra tables of the indicator catalogue (stage dynamics)
          programme_data: {file: raw/programme_data.xlsx}
          diagnostics: {file: raw/diagnostics.csv}
          region: {file: raw/region.csv}
        truth: truth.json
        output: output

    Examples
    --------
    >>> paths = write_demo(generate_demo(), "demo_study")   # doctest: +SKIP
    """
    import pyreadstat
    import yaml

    if not isinstance(study, DemoStudy):
        raise ParameterError(f"'study' must be a DemoStudy from generate_demo(); "
                             f"got {type(study).__name__}")
    folder = Path(folder)
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    inst = study.instruments
    paths: dict[str, Path] = {}
    responses: dict[str, dict] = {g: {} for g in GROUPS}
    for w in study.waves:
        # students: SPSS .sav
        df = study.students[study.students["wave"] == w].reset_index(drop=True)
        df = df.copy()
        for it in inst["students"].items_of(type="text"):
            df[it.id] = df[it.id].astype(object).where(df[it.id].notna(), "").astype(str)
        cl, vl, miss, meas = _sav_metadata(inst["students"], df)
        p = raw / f"students_{w}.sav"
        pyreadstat.write_sav(df, str(p), file_label=f"Демо-муниципалитет: учащиеся, {w}",
                             column_labels=cl, variable_value_labels=vl, missing_ranges=miss,
                             variable_measure=meas)
        fix_sav_time(p)
        paths[f"students_{w}"] = p
        responses["students"][w] = dict(file=f"raw/students_{w}.sav", format="sav")
        # parents: cp1251 CSV
        df = _as_int_where_possible(study.parents[study.parents["wave"] == w])
        p = raw / f"parents_{w}.csv"
        df.to_csv(p, sep=";", decimal=",", index=False, encoding="cp1251", lineterminator="\r\n")
        paths[f"parents_{w}"] = p
        responses["parents"][w] = dict(file=f"raw/parents_{w}.csv", format="csv",
                                       encoding="cp1251", sep=";", decimal=",")
        # teachers: xlsx
        df = _as_int_where_possible(study.teachers[study.teachers["wave"] == w])
        p = raw / f"teachers_{w}.xlsx"
        _write_xlsx({f"teachers_{w}": df}, p)
        paths[f"teachers_{w}"] = p
        responses["teachers"][w] = dict(file=f"raw/teachers_{w}.xlsx", format="xlsx", sheet=0)
    # passport
    p = raw / "school_passport.xlsx"
    cb = inst["school_passport"].codebook("ru")[["variable", "label", "codes"]]
    if "in_programme" in study.passport.columns and "in_programme" not in set(cb["variable"]):
        cb = pd.concat([cb, pd.DataFrame([{
            "variable": "in_programme",
            "label": "Школа участвует в программе поддержки (не из анкеты паспорта)",
            "codes": "1 = да; 0 = нет"}])], ignore_index=True)
    _write_xlsx({"passport": _as_int_where_possible(study.passport), "codebook": cb}, p)
    paths["school_passport"] = p
    p = raw / "results.csv"
    res = study.results.copy()
    for col in ("year", "procedure", "subject", "grade", "n_participants"):
        if col in res:
            res[col] = res[col].astype("Int64")
    res.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
    paths["results"] = p
    p = raw / "sample_frame.csv"
    study.frame.to_csv(p, index=False, encoding="utf-8", lineterminator="\n",
                       float_format="%.10g")
    paths["sample_frame"] = p
    # programme monitoring, regional diagnostic work, regional values
    p = raw / "programme_data.xlsx"
    _write_xlsx({"programme_data": study.programme_data}, p)
    paths["programme_data"] = p
    for name in ("diagnostics", "region"):
        p = raw / f"{name}.csv"
        getattr(study, name).to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        paths[name] = p
    p = folder / "truth.json"
    p.write_text(json.dumps(study.truth, ensure_ascii=False, indent=1, sort_keys=False) + "\n",
                 encoding="utf-8")
    paths["truth"] = p

    def inst_ref(name):
        path = inst[name].path
        bundled = Path(path).resolve().parent == (Path(__file__).resolve().parent.parent
                                                   / "surveys") if path else False
        return name if bundled else (str(Path(path).resolve()) if path else name)

    config = {
        "study": {"id": "demo", "title": "Демо-муниципалитет (shnro_research.demo)",
                  "seed": study.seed, "waves": list(study.waves)},
        "instruments": {"students": inst_ref("students"), "parents": inst_ref("parents"),
                        "teachers": inst_ref("teachers"), "school": inst_ref("school_passport"),
                        "results": inst_ref("results")},
        "responses": responses,
        "design": {"frame": {"file": "raw/sample_frame.csv", "format": "csv",
                             "encoding": "utf-8", "sep": ",", "decimal": "."},
                   "wave": "wave", "strata": "stratum", "school": "school_id",
                   "class": "class_id", "weight": "weight", "weight_nr": "weight_nr",
                   "probabilities": ["p_school", "p_class", "p_unit"], "unit": "unit"},
        "context": {"passport": {"file": "raw/school_passport.xlsx", "format": "xlsx",
                                 "sheet": 0},
                    "results": {"file": "raw/results.csv", "format": "csv", "encoding": "utf-8",
                                "sep": ",", "decimal": "."}},
        "indicators": {"programme_data": {"file": "raw/programme_data.xlsx"},
                       "diagnostics": {"file": "raw/diagnostics.csv"},
                       "region": {"file": "raw/region.csv"}},
        "truth": "truth.json",
        "output": "output",
    }
    p = folder / "study.yaml"
    p.write_text("# Demo study generated by shnro_research.demo.write_demo; "
                 "paths relative to this file.\n"
                 + yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                 encoding="utf-8")
    paths["study"] = p
    return paths


def load_demo_truth(folder: str | Path) -> dict:
    """Read ``truth.json`` written by :func:`write_demo` (``folder`` or the file itself)."""
    p = Path(folder)
    if p.is_dir():
        p = p / "truth.json"
    if not p.exists():
        raise ParameterError(f"'folder' must contain truth.json written by write_demo; "
                             f"not found: {p}")
    return json.loads(p.read_text(encoding="utf-8"))


# ============================================================================================
# CLI: shnro make-demo --out DIR [--seed N]
# ============================================================================================
def add_make_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro make-demo``."""
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument("--seed", type=int, default=20240501, help="seed (default 20240501)")
    parser.add_argument("--schools", type=int, default=40, help="schools (default 40)")
    parser.add_argument("--sampled", type=int, default=24, help="sampled schools (default 24)")
    parser.add_argument("--waves", type=int, nargs="+", default=[2022, 2023, 2024],
                        help="survey years (default 2022 2023 2024)")


def cli_make_demo(args: argparse.Namespace) -> int:
    """Run ``shnro make-demo``: generate and write the demo municipality."""
    study = generate_demo(args.seed, n_schools=args.schools, n_sampled=args.sampled,
                          waves=tuple(args.waves))
    paths = write_demo(study, args.out)
    print(f"demo municipality (seed {args.seed}) written to {Path(args.out)}:")
    for name, p in paths.items():
        print(f"  {name}: {p}")
    return 0
