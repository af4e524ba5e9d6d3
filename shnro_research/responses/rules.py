"""Rules of validation (:class:`ValidationRules`), problem codes and the actions taken."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_number, check_option
from ..errors import ParameterError

ACTION_MISSING = "set to missing"
ACTION_EXCLUDED = "respondent excluded"
ACTION_FLAGGED = "flagged, kept"
ACTION_DROPPED = "column dropped"

_PROBLEMS = {
    "missing_id": ("нет идентификатора (пустое значение в столбце-идентификаторе)",
                   "missing identifier (empty id column)"),
    "duplicate_id": ("повторяющийся идентификатор респондента",
                     "duplicated respondent id"),
    "not_in_sample": ("школа/класс не входит в выборку",
                      "school/class not in the sampled frame"),
    "outside_population": ("класс (параллель) вне изучаемых 8–11 классов",
                           "grade outside the surveyed grades (8–11)"),
    "not_a_number": ("текст вместо числа", "text where a number is expected"),
    "not_a_code": ("дробное значение вместо кода", "fractional value where a code is expected"),
    "invalid_code": ("код отсутствует в списке вариантов ответа",
                     "code not in the item's code list"),
    "out_of_range": ("значение вне допустимого диапазона", "value outside the declared range"),
    "too_many_choices": ("выбрано больше вариантов, чем разрешено",
                         "more options chosen than allowed"),
    "rank_out_of_range": ("ранг вне диапазона 1..k", "rank outside 1..k"),
    "rank_incomplete": ("ранжирование не заполнено полностью", "incomplete ranking"),
    "rank_ties": ("одинаковые ранги (ранжирование не является перестановкой 1..k)",
                  "tied ranks (not a permutation of 1..k)"),
    "straightlining": ("одинаковый ответ на все утверждения блока",
                       "same answer to every statement of a block"),
    "too_few_answers": ("слишком мало ответов", "too few items answered"),
    "experience_exceeds_age": ("стаж несовместим с возрастом",
                               "experience impossible for the age"),
    "column_not_in_instrument": ("столбец не из анкеты: удалён из чистых данных",
                                 "column not in the instrument: dropped"),
}


def _message(code: str, lang: str) -> str:
    ru, en = _PROBLEMS.get(code, (f"нарушена проверка «{code}»", f"check {code!r} failed"))
    return en if lang == "en" else ru


@dataclass(frozen=True)
class ValidationRules:
    """Rules of :func:`validate_responses` (all explicit; defaults shown).

    Parameters
    ----------
    duplicates : {'exclude_all', 'keep_first'}
        Respondents sharing a ``resp_id`` (within a ``wave``, when the data have one):
        exclude every copy (default: which one is genuine is unknown) or keep the first row.
    straightlining : {'flag', 'exclude', 'off'}
        A respondent giving the same answer to every item of a likert block (same section,
        same code list) with at least ``straightline_min_items`` answered items.
    straightline_min_items : int
        Minimal number of answered items of a block to judge straightlining (default 5).
    min_answered : float
        Minimal share of the instrument's non-text items answered (after cleaning; declared
        missing codes do not count as answers) to keep a respondent (default 0.5).
    grades : (int, int) or None
        Surveyed grades for a ``students`` instrument: a ``grade`` outside them excludes the
        respondent (outside the population). ``None`` switches this off.
    min_working_age : int
        For instruments with both ``age`` and ``experience`` items: ``age - experience`` below
        this is flagged as impossible (default 18).
    checks : tuple
        Extra row-wise checks, each ``(name, function)`` or ``(name, function, action)``;
        ``function(clean)`` receives the cleaned DataFrame (all rows, answers as numbers,
        missing codes as NaN) and returns a boolean array, **True where the row is impossible**.
        ``action`` is ``'flag'`` (default, see ``check_action``) or ``'exclude'``.
    check_action : {'flag', 'exclude'}
        Default action of checks without their own.
    keep_columns : tuple of str
        Columns of the file that are not in the instrument but are kept in the clean data
        (names compared ignoring case and spaces). Every other column not in the instrument
        (names, phones, e-mails, form timestamps) is **dropped** from the clean data, with one
        problem row per column (``column_not_in_instrument``, action ``column dropped``); its
        values never reach the clean files.
    """

    duplicates: str = "exclude_all"
    straightlining: str = "flag"
    straightline_min_items: int = 5
    min_answered: float = 0.5
    grades: tuple[int, int] | None = (8, 11)
    min_working_age: int = 18
    checks: tuple = ()
    check_action: str = "flag"
    keep_columns: tuple = ()

    def __post_init__(self):
        check_option(self.duplicates, "duplicates", ("exclude_all", "keep_first"))
        check_option(self.straightlining, "straightlining", ("flag", "exclude", "off"))
        check_number(self.straightline_min_items, "straightline_min_items", low=2, integer=True)
        check_number(self.min_answered, "min_answered", low=0, high=1)
        check_number(self.min_working_age, "min_working_age", low=0, integer=True)
        check_option(self.check_action, "check_action", ("flag", "exclude"))
        if self.grades is not None:
            g = self.grades
            if (not isinstance(g, (tuple, list)) or len(g) != 2
                    or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in g)
                    or g[0] > g[1]):
                raise ParameterError(f"'grades' must be a pair (low, high) of whole numbers or "
                                     f"None; got {g!r}")
        if (isinstance(self.keep_columns, str) or not isinstance(self.keep_columns, (tuple, list))
                or not all(isinstance(c, str) and c.strip() for c in self.keep_columns)):
            raise ParameterError(f"'keep_columns' must be a list of column names; got "
                                 f"{self.keep_columns!r}")
        object.__setattr__(self, "keep_columns", tuple(self.keep_columns))
        if not isinstance(self.checks, (tuple, list)):
            raise ParameterError(f"'checks' must be a tuple of (name, function[, action]); got "
                                 f"{type(self.checks).__name__}")
        for chk in self.checks:
            if (not isinstance(chk, (tuple, list)) or len(chk) not in (2, 3)
                    or not isinstance(chk[0], str) or not chk[0] or not callable(chk[1])):
                raise ParameterError("each of 'checks' must be (name, function) or "
                                     f"(name, function, action); got {chk!r}")
            if len(chk) == 3:
                check_option(chk[2], f"action of check {chk[0]!r}", ("flag", "exclude"))
