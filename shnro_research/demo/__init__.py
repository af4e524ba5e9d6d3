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

Same seed => byte-identical files (the creation time in the .sav header and the zip / document
dates of the .xlsx files are fixed).

Layout of the package (one module per section; only :mod:`~shnro_research.instruments`,
:mod:`~shnro_research.design.sampling`, :mod:`~shnro_research.errors` and the private
``_checks`` / ``_reproducible`` helpers are imported, so the truth is computed independently of
the code it checks; ``tests/test_demo.py`` enforces this)::

    parameters        the planted parameters (every constant of docs/DEMO_TRUTH.md)
    base              DemoStudy, the named random streams, argument checks
    frame             schools, classes, the multistage sample (stage 1: design.sampling PPS)
    effects           planted school sets, latent school x wave means of the constructs
    respondents       pupils, parents, teachers of the sample; planted data problems
    answers           answers from the instruments by item type, role and scale
    schools           school passport and ВПР / ОГЭ / ЕГЭ results
    programme         programme monitoring, regional diagnostic work, regional values
    truth             truth of the survey side (expected values from the model)
    truth_programme   truth of the programme / diagnostics / region tables and the targets
    generate          generate_demo: the sections in order
    write             write_demo (raw files, truth.json, study.yaml), load_demo_truth

The command ``shnro make-demo`` lives in :mod:`shnro_research.cli.make_demo`.
"""
from __future__ import annotations

from .base import DemoStudy
from .generate import generate_demo
from .write import load_demo_truth, write_demo

__all__ = ["DemoStudy", "generate_demo", "write_demo", "load_demo_truth"]
