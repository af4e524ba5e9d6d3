"""Dynamics between waves: change of design-based estimates, effect sizes, value hierarchies.

The study is a set of **repeated cross-sections**: in every wave a new sample of students,
parents and teachers is drawn in the same schools. This package compares the waves:

* :mod:`.change` -- :func:`wave_change`: difference of two design-based estimates (one per wave)
  for each domain (school x group x variable), its SE, CI, test, p-value adjusted for multiple
  comparisons (:func:`p_adjust`, as R ``p.adjust``), the minimum detectable change (MDC) and a
  classification (positive / negative / changed / no change / cannot tell / no data);
  :func:`design_wave_change` does the same from a survey design, with the covariance of the
  waves (:func:`design_wave_changes` for several measures at once); :func:`classification_summary`
  counts the domains that changed for the better / worse;
* :mod:`.effect_sizes` -- :func:`hedges_g`, :func:`cliff_delta`, :func:`cramers_v` and the table
  version :func:`wave_effect_sizes`: effect sizes of the change on respondent-level data;
* :mod:`.did` -- :func:`programme_did`: a programme effect as a difference-in-differences of
  programme vs other schools at the respondent level, with school-clustered SEs;
* :mod:`.trends` -- :func:`hierarchy_change` (agreement of a group's value hierarchy between
  waves: Spearman and Kendall) and :func:`trend_table` (the monitoring table).

Figures of these tables are in :mod:`shnro_research.report.figures` (``plot_trend``,
``plot_change``); the command ``shnro dynamics`` is :mod:`shnro_research.cli.dynamics`.

Every interval has a confidence ``level`` (0.95); ``alpha`` is only the significance level of a
decision (the classification of a change, the MDC).

Independence of waves
---------------------
Respondents of two waves are different people drawn independently, so the covariance of two
wave estimates is taken as zero and ``SE_diff = sqrt(se_1**2 + se_2**2)``. This is exact when
schools are strata (every school of the municipality takes part) and respondents are sampled
anew within them; when the *same* PSUs (schools) are a sample of schools re-used in both waves,
the between-school part of the covariance is positive and the formula is conservative (SE too
large, tests err on the side of "no change"). When the waves are domains of one design that
re-uses the same PSUs, :func:`design_wave_change` linearises the difference and gives its
design-based SE with the covariance (as R ``svycontrast(svyby(..., covmat = TRUE))``); any other
SE of the difference can be supplied through the ``se_diff`` column (see :func:`wave_change`).

The study's dynamics stage uses both: per-school changes with the independence formula (a
school's respondents are new pupils of the same classes, and the school is a stratum of its own
estimate), and municipal changes and trends from ONE design of all waves whose PSUs are the
re-surveyed schools, through :func:`design_wave_change` -- treating those waves as independent
samples hid the fall of students' tension on the demo (p = 0.5 against p < 1e-7 in the
two-level model).
"""
from __future__ import annotations

from .._stats import P_ADJUST_METHODS, p_adjust
from ._common import CLASSES
from .change import (classification_summary, design_wave_change, design_wave_changes,
                     minimum_detectable_change, wave_change)
from .did import programme_did
from .effect_sizes import cliff_delta, cramers_v, hedges_g, wave_effect_sizes
from .trends import hierarchy_change, trend_table

__all__ = [
    "P_ADJUST_METHODS", "CLASSES", "p_adjust",
    "minimum_detectable_change", "wave_change", "design_wave_change", "design_wave_changes",
    "classification_summary",
    "hedges_g", "cliff_delta", "cramers_v", "wave_effect_sizes",
    "hierarchy_change", "trend_table", "programme_did",
]
