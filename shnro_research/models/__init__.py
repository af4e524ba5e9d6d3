"""Regression models of school results and questionnaire outcomes on social context.

Public API (stable; other stages import from here):

Every result object has ``.tidy()`` (coefficients), ``.glance()`` (one row of fit statistics)
and ``.summary()`` (printable text with the coefficient table, as statsmodels).

* :func:`ols` -- OLS / WLS with classical, HC1, HC3, cluster-robust CR1 (Stata / sandwich
  ``vcovCL(type="HC1")``) or CR2 (Bell--McCaffrey) covariance -> :class:`OLSResult`.
* :func:`random_intercept` -- two-level (pupils in schools) or three-level nested (pupils in
  classes in schools) random-intercept linear mixed model, REML or ML, fitted with per-group
  sufficient statistics (O(n) once, O(groups) per iteration) -> :class:`MixedResult`
  (lme4 ``lmer(y ~ x + (1 | school))`` / ``(1 | school/class)``).
* :func:`icc_null_model` -- ICC(s) from the empty random-intercept model.
* :func:`variance_explained` -- Raudenbush--Bryk and Snijders--Bosker R^2 per level vs a null model.
* :func:`lr_test` -- likelihood-ratio test of two nested mixed models (ML refit advised).
* :func:`add_group_mean`, :func:`center` -- contextual (school-mean) variables, group-mean /
  grand-mean centring.
* :func:`school_effects` -- tidy table ``[school, est, se, ci_low, ci_high, n]`` from a
  mixed model (empirical-Bayes conditional modes) or :func:`ols_school_effects` (residuals of a
  school-level OLS model of school means) -- both for caterpillar plots.
* the ``shnro models`` subcommand: :mod:`shnro_research.cli.models`.
"""
from .ols import OLSResult, ols
from .mixed import MixedResult, icc_null_model, lr_test, random_intercept, variance_explained
from .effects import (add_group_mean, center, ols_school_effects, results_on_context,
                      school_effects)

__all__ = [
    "results_on_context",
    "OLSResult", "ols",
    "MixedResult", "random_intercept", "icc_null_model", "variance_explained", "lr_test",
    "add_group_mean", "center", "school_effects", "ols_school_effects",
]
