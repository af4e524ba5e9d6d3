"""Identification and typology of schools: low results, unfavourable context, resilience,
stability over years and clusters.

Every threshold is a parameter and every function returns a tidy table with the rule that
fired (``rule`` / ``rules_fired``). Quantile cut-offs are empirical quantiles with linear
interpolation (R ``quantile(type = 7)``, numpy's default) computed over the schools with a
valid value in the comparison group (``by``: e.g. year or region); a value *equal* to the
cut-off is counted as beyond it ("at or below the 25th percentile").

Consecutive years are consecutive *positions* in the sorted list of years present in the
data (so 2019, 2021 are consecutive if 2020 is absent from the whole data set); a school
missing a year breaks its run.

Sources: ``docs/METHODS.md`` §13.1 (quadrant / residual / absolute resilience rules),
§13.2 (ФИОКО-style "≥30 % below the minimum threshold on ≥2 procedures in a year, or on the same
procedure two years running"; "bottom x % for k consecutive years"); Ye, Strietholt &
Blömeke (2021) on threshold sensitivity; Tibshirani, Walther & Hastie (2001) gap statistic.

Layout: :mod:`.low_results` (rank and ФИОКО-style threshold rules, unfavourable context),
:mod:`.resilience` (regression on context, resilient schools, threshold sensitivity),
:mod:`.stability` (yearly states, the stability typology -- classes in the column ``type`` --
and transitions), :mod:`.register` (the school x year register by absolute rules with one
shared "low context", its rules, transitions and sensitivity), :mod:`.clusters` (k-means / Ward clusters with the silhouette and the gap
statistic). Shares are proportions (0-1); the context index column is ``est``.
"""
from __future__ import annotations

from .clusters import ClusterResult, cluster_schools
from .low_results import low_results_rank, low_results_threshold, unfavourable_context
from .objectivity import drop_flagged, g_test, objectivity_screen
from .register import (
    FOUR_GROUPS, REGISTER_DEFAULTS, REGISTER_STATUSES, register_rules, register_sensitivity,
    register_transitions, results_index, school_register,
)
from .resilience import (
    context_regression, resilience_sensitivity, resilient_schools, threshold_sensitivity,
)
from .stability import result_states, stability_typology, transition_matrix

__all__ = [
    "low_results_rank",
    "low_results_threshold",
    "unfavourable_context",
    "context_regression",
    "resilient_schools",
    "threshold_sensitivity",
    "resilience_sensitivity",
    "result_states",
    "stability_typology",
    "transition_matrix",
    "cluster_schools",
    "ClusterResult",
    "objectivity_screen",
    "drop_flagged",
    "g_test",
    "results_index",
    "school_register",
    "register_rules",
    "register_transitions",
    "register_sensitivity",
    "REGISTER_STATUSES",
    "FOUR_GROUPS",
    "REGISTER_DEFAULTS",
]
