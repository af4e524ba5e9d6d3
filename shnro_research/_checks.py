"""Private helpers shared by every stage: errors, parameter checks, the tidy column vocabulary.

House rules
-----------
* User input is never checked with ``assert``; a wrong parameter raises :class:`ParameterError`
  naming the parameter, what was expected and what was received.
* A problem in the *data* raises :class:`DataError` naming the column / row / value at fault
  (or is collected into a problems table by :mod:`shnro_research.responses`).
"""
from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Column vocabulary of every tidy result table (in this order when present).
TIDY_COLUMNS = (
    "est", "se", "ci_low", "ci_high", "df", "n", "n_eff", "deff",
    "statistic", "p_value", "p_adjusted", "adjust_method",
)


from .errors import DataError, InstrumentError, ParameterError, ShnroError  # noqa: E402,F401


def check_option(value: Any, name: str, options: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``options``; otherwise raise :class:`ParameterError`."""
    options = tuple(options)
    if value not in options:
        raise ParameterError(f"{name!r} must be one of {list(options)}; got {value!r}")
    return value


def check_columns(df: pd.DataFrame, columns: Iterable[str], where: str = "data") -> None:
    """Raise :class:`DataError` listing every column of ``columns`` missing from ``df``."""
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"{where!r} must be a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = list(df.columns[:20])
        raise DataError(
            f"{where}: column(s) {missing} not found; available columns: {shown}"
            + (" ..." if len(df.columns) > 20 else "")
        )


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 integer: bool = False, low_inclusive: bool = True,
                 high_inclusive: bool = True) -> Any:
    """Check a scalar parameter is a (whole) number within bounds; return it."""
    ok_types = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, ok_types):
        kind = "a whole number" if integer else "a number"
        raise ParameterError(f"{name!r} must be {kind}; got {value!r} ({type(value).__name__})")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        raise ParameterError(f"{name!r} must be {'>=' if low_inclusive else '>'} {low}; got {value!r}")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        raise ParameterError(f"{name!r} must be {'<=' if high_inclusive else '<'} {high}; got {value!r}")
    return value


def check_min_valid(min_valid: int | float | None, n_items: int, name: str = "min_valid") -> int:
    """Turn a ``min_valid`` rule (a count >= 1, or a share in (0, 1]) into an item count.

    ``None`` means every item must be answered. A share is rounded up: 0.5 of 5 items -> 3.
    """
    if min_valid is None:
        return n_items
    check_number(min_valid, name, low=0, low_inclusive=False)
    if isinstance(min_valid, (float, np.floating)) and min_valid <= 1:
        return max(1, int(np.ceil(min_valid * n_items - 1e-12)))
    if float(min_valid) != int(min_valid):
        raise ParameterError(f"{name!r} must be a share in (0, 1] or a whole count; got {min_valid!r}")
    count = int(min_valid)
    if count > n_items:
        raise ParameterError(f"{name!r} = {count} exceeds the number of items ({n_items})")
    return count


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """``None`` -> [], a string -> [string], a sequence -> list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Order columns: key columns first (as given), then the vocabulary in :data:`TIDY_COLUMNS`."""
    keys = [c for c in df.columns if c not in TIDY_COLUMNS]
    vocab = [c for c in TIDY_COLUMNS if c in df.columns]
    return df[keys + vocab].reset_index(drop=True)


_PREFIXED = re.compile(r"^[A-Za-z_][\w.]*: ")


def public(func: Callable | None = None, *, renamed: Mapping[str, Any] | None = None):
    """Decorate a public function of the package.

    * A :class:`ParameterError` raised inside gets the function's name in front of its message
      (scikit-learn style: ``"svy_mean: 'level' must be < 1; got 95"``), unless an inner public
      function already named itself.
    * ``renamed`` maps an old keyword name to its new name, or to ``(new name, convert)``; the
      old name still works for one release with a :class:`FutureWarning`
      (e.g. ``{"alpha": ("level", lambda a: 1 - a)}``). The signature shows only the new names.
    """
    def deco(f: Callable) -> Callable:
        name = f.__name__
        table = {old: (new if isinstance(new, tuple) else (new, None))
                 for old, new in (renamed or {}).items()}

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for old, (new, convert) in table.items():
                if old in kwargs:
                    if new in kwargs:
                        raise ParameterError(f"{name}: give {new!r} only; {old!r} is its old name")
                    warnings.warn(f"{name}: parameter {old!r} is renamed {new!r}",
                                  FutureWarning, stacklevel=2)
                    value = kwargs.pop(old)
                    kwargs[new] = convert(value) if convert is not None and value is not None \
                        else value
            try:
                return f(*args, **kwargs)
            except ParameterError as err:
                msg = str(err)
                if _PREFIXED.match(msg):
                    raise
                raise ParameterError(f"{name}: {msg}").with_traceback(err.__traceback__) from None
        return wrapper
    return deco(func) if func is not None else deco
