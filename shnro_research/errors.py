"""Errors and warnings of shnro_research, public so that users can catch or filter them.

Errors (all subclass :class:`ShnroError`; the value errors also subclass ``ValueError``):

* :class:`ParameterError` -- a function or config parameter has a wrong value or type; the
  message names the caller, the parameter, what was expected and what was received.
* :class:`DataError` -- input data are malformed; the message names file, row, column and value.
* :class:`InstrumentError` -- a questionnaire definition (``surveys/*.yaml``) is malformed.
* :class:`ConfigError` -- the study config (``study.yaml``) is malformed; names the key path.

Warnings (all subclass :class:`ShnroWarning`, itself a ``UserWarning``)::

    import warnings
    from shnro_research.errors import IpsativeWarning
    warnings.simplefilter("ignore", IpsativeWarning)

* :class:`IpsativeWarning` -- ranks (Rokeach) are ipsative: correlations and factor models of
  them are constrained.
* :class:`ConvergenceWarning` -- an optimiser did not report convergence.
* :class:`SingularFitWarning` -- a variance component is estimated at (or near) zero.
* :class:`SmallCellWarning` -- a cell has fewer respondents than the study's ``min_cell``.
* :class:`DesignWarning` -- the survey design is degenerate (no weights, lonely PSU, ...).
"""
from __future__ import annotations

__all__ = ["ShnroError", "ParameterError", "DataError", "InstrumentError", "ConfigError",
           "ShnroWarning", "IpsativeWarning", "ConvergenceWarning", "SingularFitWarning",
           "SmallCellWarning", "DesignWarning"]


class ShnroError(Exception):
    """Base class of the package's own errors."""


class ParameterError(ShnroError, ValueError):
    """A function parameter has a wrong value or type."""


class DataError(ShnroError, ValueError):
    """Input data are malformed: names the file / column / row / value and what was expected."""


class InstrumentError(ShnroError, ValueError):
    """A questionnaire definition (``surveys/*.yaml``) is malformed: names file, item and field."""


class ConfigError(ShnroError, ValueError):
    """The study config is malformed: names the key path, the value and what was expected."""


class ShnroWarning(UserWarning):
    """Base class of the package's warnings."""


class IpsativeWarning(ShnroWarning):
    """Ranked (ipsative) data: each respondent's ranks sum to a constant."""


class ConvergenceWarning(ShnroWarning):
    """An optimiser did not report convergence."""


class SingularFitWarning(ShnroWarning):
    """Boundary (singular) fit: a variance component is estimated at or near zero."""


class SmallCellWarning(ShnroWarning):
    """A cell has fewer respondents than the study's ``min_cell``."""


class DesignWarning(ShnroWarning):
    """A degenerate survey design: no weights, a lonely PSU, a stratum of one unit."""
