"""Vocabulary of the analysis packages (scoring, design, models): parameter names, warnings.

docs/VOCABULARY.md: ``school`` (school column), ``level`` (confidence only), ``seed``, ``weight``,
``by`` for grouping factors, ``group`` only for the respondent group.
"""
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from shnro_research import design, models, scoring
from shnro_research.errors import IpsativeWarning, ParameterError

FORBIDDEN = {"ci_level", "conf_level", "alpha", "random_state", "cluster", "id", "label",
             "weights"}
#: functions whose ``group`` parameter is the respondent-group column
RESPONDENT_GROUP = {"compare_groups", "hierarchy_correlation", "multiple_response_test"}
#: functions whose ``alpha`` is the significance level of a decision (docs/VOCABULARY.md:
#: "alpha — significance level of a decision"), never an interval
DECISION_ALPHA = {"measurement_invariance"}


def _public_functions():
    for mod in (scoring, design, models):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                yield mod.__name__, name, obj


@pytest.mark.parametrize("module,name,func", list(_public_functions()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_parameter_names(module, name, func):
    params = set(inspect.signature(func).parameters)
    forbidden = FORBIDDEN - ({"alpha"} if name in DECISION_ALPHA else set())
    assert not params & forbidden, f"{module}.{name}: {sorted(params & forbidden)}"
    if "group" in params:
        assert name in RESPONDENT_GROUP, f"{module}.{name}: 'group' is for respondent groups only"


def test_parameter_errors_name_the_function():
    d = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0], "s": [1, 1, 2]})
    with pytest.raises(ParameterError, match=r"^score_scales: 'method' must be one of .*got 'median'"):
        scoring.score_scales(d, {"x": ["a", "b"]}, item_min=1, item_max=3, method="median")
    with pytest.raises(ParameterError, match=r"^needs_gap: 'level' must be < 1; got 95"):
        scoring.needs_gap(d, {"n": ["a", "b"]}, level=95)
    with pytest.raises(ParameterError, match=r"^draw_sample: 'method' must be one of"):
        design.draw_sample(d.rename(columns={"s": "school_id"}).drop_duplicates("school_id"),
                           method="cluster")


def test_ipsative_warning_class():
    d = pd.DataFrame({"r1": [1, 2, 1], "r2": [2, 1, 2]})
    with pytest.warns(IpsativeWarning):
        scoring.rank_summary(d, ["r1", "r2"], top=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", IpsativeWarning)
        out = scoring.rank_summary(d, ["r1", "r2"], top=1)
    assert list(out.columns[:2]) == ["category", "position"]


def test_pps_systematic_seed():
    size = np.arange(1, 21, dtype=float)
    a = design.pps_systematic(size, 5, 7)
    b = design.pps_systematic(size, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
