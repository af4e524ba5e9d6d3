"""Scale scores per respondent from psych-style keys, with declared bounds and explicit ``min_valid``.

Missing-data rule (stated, never silent): a respondent's scale score is computed from the items
he or she answered when their number is at least ``min_valid`` (default: all items); otherwise
the score is missing. ``method="mean"`` averages the answered items (SPSS ``MEAN.n``; with
``min_valid=1`` exactly ``psych::scoreItems(impute="none")``). ``method="sum"`` is the raw sum and
is only defined when every item is answered, unless ``prorate=True`` (then ``sum = mean * k``,
SPSS ``MEAN.n(...) * k``). Reverse-keyed items are ``min + max - x`` with the *declared* bounds.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_min_valid, check_option
from ..errors import ParameterError
from ._common import bound_array, check_range, keys_items, numeric_matrix, parse_keys, public

__all__ = ["score_scales", "reverse_code"]


@public
def reverse_code(data: pd.DataFrame, items: Sequence[str], *, item_min: Any, item_max: Any,
                 out_of_range: str = "error") -> pd.DataFrame:
    """Return a copy of ``data`` with ``items`` reverse-coded as ``min + max - x``.

    Parameters
    ----------
    data : DataFrame
    items : list of str
        Columns to reverse.
    item_min, item_max : number or dict item -> number
        Declared bounds of the response scale (never the observed ones).
    out_of_range : {"error", "missing"}
        What to do with codes outside the declared bounds.

    Examples
    --------
    >>> reverse_code(df, ["A1"], item_min=1, item_max=6)   # R: psych::reverse.code(-1, df$A1, mini=1, maxi=6)
    """
    check_option(out_of_range, "out_of_range", ("error", "missing"))
    items = list(items)
    x = numeric_matrix(data, items)
    lo = bound_array(item_min, items, "item_min")
    hi = bound_array(item_max, items, "item_max")
    x = check_range(x, items, lo, hi, data.index, out_of_range)
    out = data.copy(deep=False)     # copy-on-write: only the reversed columns are new
    out[items] = (lo + hi) - x
    return out


@public
def score_scales(data: pd.DataFrame, keys: Mapping[str, Sequence[str]], *, item_min: Any,
                 item_max: Any, method: str = "mean", min_valid: int | float | None = None,
                 prorate: bool = False, out_of_range: str = "error",
                 format: str = "wide") -> pd.DataFrame:
    """Scale scores per respondent (mean or sum of keyed items) with the number of valid items.

    For scale *s* with items *j* and keys :math:`k_j \\in \\{+1,-1\\}`, the keyed answer is
    :math:`y_{ij} = x_{ij}` if :math:`k_j = +1` and :math:`y_{ij} = min_j + max_j - x_{ij}` if
    :math:`k_j = -1`; :math:`n_i` = number of answered items; score = :math:`\\sum_j y_{ij} / n_i`
    (``mean``), :math:`\\sum_j y_{ij}` (``sum``, all items answered) or
    :math:`K \\sum_j y_{ij} / n_i` (``sum`` with ``prorate=True``), missing when
    :math:`n_i` < ``min_valid``. Computed for all scales at once from two matrix products.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; item columns hold numeric codes, NaN = missing.
    keys : dict
        ``{"scale": ["-A1", "A2", ...]}``; a leading ``-`` marks a reverse-keyed item
        (as ``psych::make.keys``). An item may belong to several scales.
    item_min, item_max : number or dict item -> number
        Declared bounds of the response scale (used for reverse keying and range checks).
    method : {"mean", "sum"}
    min_valid : int, float or None
        Minimum number (int >= 1) or share (float in (0, 1], rounded up) of answered items per
        scale; ``None`` = all items (see :func:`shnro_research._checks.check_min_valid`).
    prorate : bool
        Only for ``method="sum"``: allow missing items, ``sum = K * mean of answered items``.
    out_of_range : {"error", "missing"}
        Codes outside ``[item_min, item_max]`` raise :class:`DataError` or are set to missing.
    format : {"wide", "long"}
        ``"wide"`` (default): the index of ``data`` is preserved; one column per scale (the score)
        followed by ``<scale>_n_valid`` columns. ``"long"``: columns ``row`` (the index of
        ``data``), ``scale``, ``score``, ``n_valid``, ``n_items``.

    Returns
    -------
    DataFrame

    References
    ----------
    Revelle W. psych: scoreItems. IBM SPSS Statistics COMPUTE: MEAN.n.

    Examples
    --------
    >>> score_scales(bfi, {"agree": ["-A1", "A2", "A3", "A4", "A5"]}, item_min=1, item_max=6,
    ...              min_valid=1)
    R: psych::scoreItems(make.keys(bfi, list(agree = c("-A1","A2","A3","A4","A5"))), bfi,
       impute = "none", min = 1, max = 6)$scores
    """
    check_option(method, "method", ("mean", "sum"))
    check_option(out_of_range, "out_of_range", ("error", "missing"))
    check_option(format, "format", ("wide", "long"))
    if not isinstance(prorate, bool):
        raise ParameterError(f"'prorate' must be True or False; got {prorate!r}")
    if prorate and method != "sum":
        raise ParameterError("'prorate=True' applies only to method='sum'")
    parsed = parse_keys(keys)
    items = keys_items(parsed)
    pos = {c: j for j, c in enumerate(items)}
    x = numeric_matrix(data, items)
    lo = bound_array(item_min, items, "item_min")
    hi = bound_array(item_max, items, "item_max")
    x = check_range(x, items, lo, hi, data.index, out_of_range)

    scales = list(parsed)
    n_items = np.array([len(parsed[s]) for s in scales])
    need = np.empty(len(scales), dtype=np.int64)
    for s_i, s in enumerate(scales):
        k = int(n_items[s_i])
        need[s_i] = check_min_valid(min_valid, k)
        if method == "sum" and not prorate and need[s_i] < k:
            raise ParameterError(
                f"'min_valid' = {min_valid!r} allows missing items in scale {s!r} ({k} items), "
                f"but method='sum' is only defined with all items answered; pass prorate=True "
                f"(sum = {k} x mean of answered items) or use method='mean'")
    # loading matrices: sign matrix S (items x scales) and reverse constant matrix C
    sgn = np.zeros((len(items), len(scales)))
    cst = np.zeros((len(items), len(scales)))
    for s_i, s in enumerate(scales):
        for name, sign in parsed[s]:
            j = pos[name]
            sgn[j, s_i] = sign
            if sign < 0:
                cst[j, s_i] = lo[j] + hi[j]
    valid = np.isfinite(x)
    n_sc = len(scales)
    if valid.all():                                  # no missing cell: one product
        sums = x @ sgn + cst.sum(axis=0)
        n_valid = np.broadcast_to(n_items.astype(float), (len(x), n_sc)).copy()
    else:
        x0 = np.where(valid, x, 0.0)
        both = valid.astype(float) @ np.hstack([cst, np.abs(sgn)])   # one product for both
        sums = x0 @ sgn + both[:, :n_sc]
        n_valid = both[:, n_sc:]
    with np.errstate(invalid="ignore", divide="ignore"):
        score = sums / n_valid
    if method == "sum":
        score = score * n_items
    score[n_valid < need] = np.nan
    n_valid = n_valid.astype(np.int64)

    if format == "wide":
        out = pd.DataFrame(score, index=data.index, columns=scales)
        for s_i, s in enumerate(scales):
            out[f"{s}_n_valid"] = n_valid[:, s_i]
        return out
    n = len(data)
    return pd.DataFrame({
        "row": np.tile(np.asarray(data.index), len(scales)),
        "scale": np.repeat(scales, n),
        "score": score.T.ravel(),
        "n_valid": n_valid.T.ravel(),
        "n_items": np.repeat(n_items, n),
    })
