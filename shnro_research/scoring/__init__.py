"""Scoring stage: respondent scale scores, reliability, social tension, value orientations,
multiple-response sets, needs, and within-school agreement.

All functions take plain pandas DataFrames with explicit column lists / keys; the study-level
wiring (questionnaire definition -> keys, bounds, reverse flags, ``min_valid``) is done by the
caller. Modules:

* :mod:`.scales` - :func:`score_scales`, :func:`reverse_code`
* :mod:`.reliability` - :func:`reliability`, :func:`item_analysis`, :func:`cronbach_alpha`,
  :func:`omega_total`, :func:`factor_ml1`
* :mod:`.tension` - :func:`tension_index`, :func:`tension_levels`, :func:`tension_summary`,
  :func:`balance_index`, :func:`compare_groups`
* :mod:`.values` - Rokeach :func:`check_rankings`, :func:`rank_summary`, :func:`kendall_w`,
  :func:`hierarchy_correlation`; Schwartz :func:`score_pvq` and the ESS PVQ-21 keys
* :mod:`.multiresponse` - :func:`multiple_response`, :func:`multiple_response_test`,
  :func:`crosstab`, :func:`chi_square_test`
* :mod:`.needs` - :func:`needs_gap`
* :mod:`.agreement` - :func:`rwg`, :func:`rwg_j`, :func:`ad_index`, :func:`icc_anova`,
  :func:`uniform_null_variance`
* :mod:`.cfa` - :func:`cfa` (confirmatory factor analysis, ML / MLR, as lavaan);
  :mod:`.invariance` - :func:`measurement_invariance` (configural, metric, scalar);
  by the instruments: :func:`scale_measurement`, :func:`scale_invariance`
* ``shnro score``: :mod:`shnro_research.cli.score`
"""
from .agreement import ad_index, icc_anova, rwg, rwg_j, uniform_null_variance
from .cfa import CFAResult, cfa
from .invariance import measurement_invariance, scale_invariance, scale_measurement
from .multiresponse import chi_square_test, crosstab, multiple_response, multiple_response_test
from .needs import needs_gap
from .reliability import cronbach_alpha, factor_ml1, item_analysis, omega_total, reliability
from .scales import reverse_code, score_scales
from .tension import (DEFAULT_LEVELS, DEFAULT_THRESHOLDS, balance_index, compare_groups,
                      tension_index, tension_levels, tension_summary)
from .values import (IPSATIVE_NOTE, PVQ21_ESS_ITEMS, PVQ21_GSS_ITEMS, PVQ21_GSS_TO_ESS,
                     PVQ21_HIGHER_ORDER, PVQ21_TEN_VALUES, check_rankings, hierarchy_correlation,
                     kendall_w, rank_summary, score_pvq)

__all__ = [
    "score_scales", "reverse_code",
    "reliability", "item_analysis", "cronbach_alpha", "omega_total", "factor_ml1",
    "tension_index", "tension_levels", "tension_summary", "balance_index", "compare_groups",
    "DEFAULT_THRESHOLDS", "DEFAULT_LEVELS",
    "check_rankings", "rank_summary", "kendall_w", "hierarchy_correlation", "score_pvq",
    "PVQ21_ESS_ITEMS", "PVQ21_GSS_ITEMS", "PVQ21_GSS_TO_ESS", "PVQ21_TEN_VALUES",
    "PVQ21_HIGHER_ORDER", "IPSATIVE_NOTE",
    "multiple_response", "multiple_response_test", "crosstab", "chi_square_test",
    "needs_gap",
    "rwg", "rwg_j", "ad_index", "icc_anova", "uniform_null_variance",
    "cfa", "CFAResult", "measurement_invariance", "scale_measurement", "scale_invariance",
]
