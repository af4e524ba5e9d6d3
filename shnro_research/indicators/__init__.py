"""Programme indicators: a declarative catalogue, computation, achievement degree, monitoring.

The municipal programmes for ШНОР / ШФНСУ name their *target indicators* («целевые показатели»,
«ожидаемые результаты»): shares of schools with positive dynamics on ВПР, ОГЭ, ЕГЭ and regional
diagnostic work (reading and science literacy), shares of schools with fewer failing pupils or
more pupils with «4» and «5», shares of pupils with individual learning plans (ИОМ), in additional
education, with individual progress, with reduced anxiety, absences, municipality vs region...
Each is declared once in ``surveys/indicators.yaml``; :func:`compute_indicators` evaluates the
catalogue on the study's tables and grades each value against its yearly target
(achieved / partly achieved / not achieved, as the programmes' reports do).

Catalogue layout (YAML)::

    catalogue: {id: ..., version: 1, title: {ru: ..., en: ...}}
    defaults:                       # optional; every key may be overridden per indicator
      school: school_id             # school id column of every table
      year: year                    # year column (survey estimates: wave)
      achievement: {partly: 0.8}    # "partly achieved" threshold (see below)
    indicators:
      - id: oge_math_positive       # unique, [a-z0-9_]
        name: {ru: "...", en: "..."}
        kind: share_of_schools_with_change
        source: results             # which table of `tables`
        params: {column: mean_score, filter: {procedure: 2, subject: 2}, weight: n_participants,
                 direction: increase, tolerance: 1.0, compare_with: previous}
        unit: "%"
        better: higher              # higher | lower
        targets: {2023: 50, 2024: 60}
        achievement: {partly: 0.8}  # optional, overrides the default
        programmes: ["Минусинск 2020-2022, показатель 14"]   # optional, free text
        note: "..."                 # optional, free text

Computation kinds (``kind``) and their ``params``:

``share_of_schools_with_change``
    Share (%) of schools whose value moved in ``direction`` (increase / decrease) by more than
    ``tolerance`` since the comparison year (``compare_with``: ``previous`` year with data,
    ``first`` year, or a year). The school value is ``column`` (mean over the school's rows,
    weighted by ``weight`` if given) or ``numerator`` / ``denominator`` (x ``multiplier``).
    With ``test: true`` and an ``se`` column (design-based survey estimates) the change must
    also be significant (:func:`shnro_research.dynamics.wave_change`, ``alpha``, ``adjust``).
    n = schools with a value in both years.
``share_of_schools``
    Share (%) of schools whose value satisfies ``op`` (<, <=, >, >=) ``threshold``.
``share``
    ``multiplier`` (default 100) x sum(``numerator``) / sum(``denominator``) over the schools;
    n = schools (rows) with both values.
``mean``
    Mean of ``column`` over rows (weighted by ``weight``), or a ratio of sums as in ``share``
    with ``multiplier`` default 1.
``difference_vs_region``
    Municipal value of ``column`` (mean weighted by ``weight``) minus the regional value of
    ``region_column`` (default: same name) in the ``region`` table (``region_source``) after the
    same ``filter`` (filter keys absent from the region table are ignored).

Every kind accepts ``filter`` (``{column: value or [values]}``, values compared as numbers when
both sides are numeric and as text otherwise) and ``schools`` (``{source: passport,
column: in_programme, values: [1]}``: only schools flagged in another table).

Achievement degree: with ``better: higher``, "achieved" if value >= target; "partly achieved" if
value >= ``partly`` x target (``partly`` is a share of the target, default 0.8) or, with
``partly_within: d``, if value >= target - d; otherwise "not achieved". With ``better: lower``
the inequalities reverse (value <= target; value <= target / ``partly`` or <= target + d).
No target for the year: "no target"; no value: "no data" (with a note saying why).

Layout: :mod:`.catalogue` (vocabulary, loading and checking), :mod:`.compute`
(:func:`compute_indicators`, :func:`achievement_degree`), :mod:`.tables` (monitoring tables).
The indicator table has one row per indicator and year with the value in ``est`` (in the
catalogue's ``unit``: the share kinds are percents, as the programmes state their targets) and
the value relative to the target in ``target_ratio`` (1 = on target; above 1 = beyond it). Figures are in
:mod:`shnro_research.report.figures` (``plot_achievement``, ``plot_indicator_trends``); the
command ``shnro indicators`` is :mod:`shnro_research.cli.indicators`.
"""
from __future__ import annotations

from .catalogue import (
    ACHIEVEMENT, DEFAULT_CATALOGUE, KINDS, LABELS, NOT_SET, PROGRAMMES_DIR, SOURCES, Catalogue,
    CatalogueError, catalogue_files, load_catalogue,
)
from .compute import achievement_degree, compute_indicators, degree_of_achievement
from .status import (
    ACTION_STATUS, RESULT_STATUS, action_plan_table, result_status_table, status_summary,
)
from .tables import achievement_summary, achievement_table, region_comparison_table

__all__ = [
    "KINDS", "SOURCES", "ACHIEVEMENT", "LABELS", "NOT_SET", "CatalogueError", "Catalogue",
    "DEFAULT_CATALOGUE", "PROGRAMMES_DIR", "load_catalogue", "catalogue_files",
    "achievement_degree", "degree_of_achievement", "compute_indicators",
    "achievement_table", "achievement_summary", "region_comparison_table",
    "RESULT_STATUS", "ACTION_STATUS", "result_status_table", "action_plan_table", "status_summary",
]
