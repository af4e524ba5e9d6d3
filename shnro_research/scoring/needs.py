"""Needs and institutional conditions: importance vs realisation of fundamental needs.

Each need is measured by a pair of items on the same scale: how important it is and how far the
school (institution) lets it be realised. The gap = importance - realisation; a positive gap is
an unmet need. Missing-data rule: only respondents answering both items of a pair enter that
need's row (``n``), so the means of importance and realisation are on the same respondents.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_number, tidy
from ..errors import ParameterError
from ._common import (bound_array, check_range, group_codes, numeric_matrix, public, weight_array,
                      weighted_mean_se)

__all__ = ["needs_gap"]


@public(renamed={"ci_level": "level"})
def needs_gap(data: pd.DataFrame, pairs: Mapping[str, Sequence[str]], *,
              by: str | Sequence[str] | None = None, weight: str | None = None,
              item_min: Any = None, item_max: Any = None, level: float = 0.95) -> pd.DataFrame:
    """Importance, realisation and their gap per need (and group / school / wave), paired t test.

    For respondents answering both items: :math:`d_i = imp_i - real_i`; est = mean(d)
    (weighted mean with ``weight``); se = sd(d)/sqrt(n) (or the linearisation SE of a weighted
    mean); paired t = est/se with n - 1 df.

    Parameters
    ----------
    data : DataFrame
    pairs : dict need -> (importance column, realisation column)
    by : str or list, optional
    weight : str, optional
    item_min, item_max : number or dict, optional
        Declared bounds; when given, codes outside raise :class:`DataError`.
    level : float
        Confidence level of the t interval of the gap (0.95).

    Returns
    -------
    DataFrame
        by..., ``need``, ``mean_importance``, ``mean_realisation``, ``est`` (gap), ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``n``, ``statistic``, ``p_value``.

    Examples
    --------
    R: t.test(d$imp_safety, d$real_safety, paired = TRUE)
    """
    if not isinstance(pairs, Mapping) or not pairs:
        raise ParameterError(f"'pairs' must map need -> (importance, realisation) columns; "
                             f"got {pairs!r}")
    for need, pr in pairs.items():
        if isinstance(pr, str) or len(pr) != 2:
            raise ParameterError(f"'pairs[{need!r}]' must be (importance, realisation) column "
                                 f"names; got {pr!r}")
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    by = as_list(by)
    codes, keys = group_codes(data, by)
    w = weight_array(data, weight)
    g = len(keys)
    frames = []
    for need, (imp, real) in pairs.items():
        x = numeric_matrix(data, [imp, real])
        if item_min is not None and item_max is not None:
            lo = bound_array(item_min, [imp, real], "item_min")
            hi = bound_array(item_max, [imp, real], "item_max")
            x = check_range(x, [imp, real], lo, hi, data.index)
        both = np.isfinite(x).all(axis=1)
        xi = np.where(both, x[:, 0], np.nan)
        xr = np.where(both, x[:, 1], np.nan)
        mi = weighted_mean_se(xi, w, codes, g)[0]
        mr = weighted_mean_se(xr, w, codes, g)[0]
        m, se, n = weighted_mean_se(xi - xr, w, codes, g)
        df = n - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            t = m / se
            dfv = np.where(df > 0, df, np.nan)
            p = 2 * stats.t.sf(np.abs(t), dfv)
            q = stats.t.ppf(0.5 + level / 2, dfv)
        f = keys.copy() if by else pd.DataFrame(index=[0])
        f["need"] = need
        f["mean_importance"], f["mean_realisation"] = mi, mr
        f["est"], f["se"] = m, se
        f["ci_low"], f["ci_high"] = m - q * se, m + q * se
        f["df"], f["n"], f["statistic"], f["p_value"] = df, n, t, p
        frames.append(f)
    return tidy(pd.concat(frames, ignore_index=True))
