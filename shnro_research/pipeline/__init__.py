"""The study's pipeline: one file per stage, run in this order into ``<output>/0N_<stage>/``.

==  ==============  ==========================================================================
N   stage           what it does (notebook ``notebooks/0N_<stage>.ipynb`` runs the same stage)
==  ==============  ==========================================================================
1   instruments     printable questionnaires, SPSS templates and codebooks
2   responses       read every raw response file, validate it, log every problem and exclusion
3   scoring         scale scores, reliability, tension, values, life success, needs, agreement
4   design          weights and design-based estimates per school, group and wave
5   context         the social well-being index of each school and year
6   models          results on context, school effects, low-result and resilient schools
7   dynamics        change between waves, programme indicators
8   report          tables, figures, the study report and the school cards
==  ==============  ==========================================================================

Each stage file declares its ``INPUTS``, ``CONFIG``, ``UPSTREAM`` and ``OUTPUTS`` at the top and
has one function ``run(ctx)`` that only wires: it reads, calls library functions, writes.

>>> from shnro_research.pipeline import load_study, run_study, read_table
>>> study = load_study("study.yaml")                     # doctest: +SKIP
>>> run_study(study, stages=["scoring"])                 # doctest: +SKIP
>>> read_table(study, "scoring", "reliability")          # doctest: +SKIP
"""
from __future__ import annotations

from ..config import Study, load_study
from ._base import Stage, StageContext
from .registry import STAGES, get_stage
from .runner import StageResult, demo_config, plan_study, read_table, run_study, stage_dir

__all__ = ["STAGES", "Stage", "StageContext", "StageResult", "Study", "demo_config",
           "get_stage", "load_study", "plan_study", "read_table", "run_study", "stage_dir"]
