"""Survey weights: base weights, non-response adjustment, raking, trimming, diagnostics.

Pipeline for a school survey::

    w0 = base_weights(df, ["p_school", "p_class"])          # 1 / Π stage probabilities
    w1 = nonresponse_adjust(df, "w0", responded="resp", cells="class_id")
    d  = survey_design(df.assign(w1=w1), ids=[...], weight="w1", ...)
    d  = rake(d, {"school_id": enrolment, "grade": grade_totals, "sex": sex_totals})
    d  = trim_weights(d, upper=...)                          # optional
    weight_diagnostics(d)
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number
from ..errors import DataError, ParameterError
from .._checks import public
from .spec import SurveyDesign, _Calibration


@public
def base_weights(data: pd.DataFrame, probs: str | Sequence[str]) -> pd.Series:
    """Base (design) weights 1 / Π_k π_k from per-stage selection probabilities.

    Examples
    --------
    R equivalent: ``weights(svydesign(id = ~school + class, probs = ~p1 + p2, data = d))``.
    """
    cols = as_list(probs)
    check_columns(data, cols, "base_weights data")
    p = np.ones(len(data))
    for c in cols:
        v = pd.to_numeric(data[c], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(v) | (v <= 0) | (v > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"probability column {c!r} must lie in (0, 1]; row {data.index[i]!r} has {data[c].iloc[i]!r}")
        p *= v
    return pd.Series(1.0 / p, index=data.index, name="base_weight")


@public(renamed={"weights": "weight"})
def nonresponse_adjust(data: pd.DataFrame, weight: str, responded: str,
                       cells: str | Sequence[str]) -> pd.Series:
    """Weighting-class non-response adjustment.

    Within each cell c (e.g. class or school): w_i* = w_i · Σ_{c} w / Σ_{c, responded} w for
    respondents and 0 for non-respondents, so every cell keeps its weighted total.

    Parameters
    ----------
    data : DataFrame
        All sampled units, respondents and non-respondents.
    weight : str
        Base weight column.
    responded : str
        Boolean (or 0/1) response indicator.
    cells : str or list of str
        Adjustment cells.

    Raises
    ------
    DataError
        A cell with sampled units but no respondent (collapse cells first).
    """
    cells_l = as_list(cells)
    check_columns(data, [weight, responded] + cells_l, "nonresponse_adjust data")
    w = pd.to_numeric(data[weight], errors="coerce").to_numpy(float)
    if (~np.isfinite(w) | (w <= 0)).any():
        raise DataError(f"weight column {weight!r} must be positive and finite")
    r = data[responded]
    if not r.isin([0, 1, True, False]).all():
        raise DataError(f"response indicator {responded!r} must be 0/1 or boolean")
    r = r.astype(bool).to_numpy()
    key = data[cells_l].astype(str).agg("|".join, axis=1) if len(cells_l) > 1 else data[cells_l[0]]
    tot = pd.Series(w).groupby(key.to_numpy()).transform("sum").to_numpy()
    resp = pd.Series(w * r).groupby(key.to_numpy()).transform("sum").to_numpy()
    if (resp == 0).any():
        bad = key.to_numpy()[resp == 0][0]
        raise DataError(f"adjustment cell {bad!r} of {cells_l} has no respondent; collapse it with another cell")
    return pd.Series(np.where(r, w * tot / resp, 0.0), index=data.index, name="nr_weight")


def _margin_matrix(data: pd.DataFrame, margins: Mapping[str, Mapping]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Intercept + treatment dummies of each margin (first level dropped) and population totals."""
    if not isinstance(margins, Mapping) or not margins:
        raise ParameterError("'margins' must be a non-empty dict {column: {category: population "
                             f"total}}; got {margins!r}")
    check_columns(data, list(margins), "rake data")
    cols, pops, names = [np.ones(len(data))], [], ["(Intercept)"]
    grand = None
    for var, tab in margins.items():
        tab = pd.Series(tab, dtype=float) if not isinstance(tab, pd.Series) else tab.astype(float)
        if (tab < 0).any() or tab.isna().any():
            raise DataError(f"margin {var!r}: population totals must be non-negative numbers")
        total = float(tab.sum())
        if grand is None:
            grand = total
        elif abs(total - grand) > 1e-6 * max(1.0, grand):
            raise DataError(f"margin {var!r} sums to {total:g} but the first margin sums to {grand:g}; "
                            "all margins must describe the same population")
        vals = data[var]
        unknown = set(pd.unique(vals.dropna())) - set(tab.index)
        if unknown:
            raise DataError(f"margin {var!r}: sample values {sorted(map(str, unknown))[:5]} have no population total")
        if vals.isna().any():
            raise DataError(f"margin {var!r} has missing values in the sample; impute or drop them before raking")
        for lev in list(tab.index)[1:]:
            cols.append((vals == lev).to_numpy(float))
            pops.append(tab[lev])
            names.append(f"{var}={lev}")
    pops = [grand] + pops
    return np.column_stack(cols), np.asarray(pops, float), names


def _grake_raking(mm: np.ndarray, ww: np.ndarray, pop: np.ndarray, epsilon: float, maxit: int) -> tuple[np.ndarray, int]:
    """g-weights for raking calibration (R ``survey:::grake`` with ``cal.raking``)."""
    sample_total = mm.T @ ww
    keep = ~((sample_total == 0) & (pop == 0))
    mm, pop, sample_total = mm[:, keep], pop[keep], sample_total[keep]
    if (sample_total == 0).any():
        raise DataError("a raking category with a positive population total has no sample units")
    scale = None
    if np.min(pop / sample_total) > 20:
        scale = np.mean(pop / sample_total)
        ww = ww * scale
        sample_total = sample_total * scale
    eta = np.zeros(mm.shape[1])
    xeta = mm @ eta
    it = 1
    while True:
        deriv = np.exp(xeta)
        T = (mm * (ww * deriv)[:, None]).T @ mm
        misfit = pop - sample_total - mm.T @ (ww * (np.exp(xeta) - 1))
        eta = eta + np.linalg.pinv(T) @ misfit
        xeta = mm @ eta
        g = np.exp(xeta)
        misfit = pop - sample_total - mm.T @ (ww * (g - 1))
        if np.all(np.abs(misfit) / (1 + np.abs(pop)) < epsilon):
            break
        it += 1
        if it > maxit:
            raise DataError(f"raking did not converge in {maxit} iterations (max relative misfit "
                            f"{np.max(np.abs(misfit) / (1 + np.abs(pop))):.3g}); check for empty or "
                            "conflicting margins, or raise maxit")
    if scale is not None:
        g = g * scale
    return g, it


@public
def rake(design: SurveyDesign, margins: Mapping[str, Mapping], *, epsilon: float = 1e-7,
         maxit: int = 50) -> SurveyDesign:
    """Calibrate the design weights to known population margins by raking.

    Solves Σ_i w_i g_i x_i = population totals with g_i = exp(x_iᵀη) (the raking distance;
    its solution is the fixed point of iterative proportional fitting) by Newton steps, as
    R ``calibrate(design, ~a + b, population, calfun = "raking")``.  The returned design keeps
    the calibration, so later variances use the calibration residuals (R ``greg_calibration``).

    Parameters
    ----------
    design : SurveyDesign
    margins : dict
        ``{column: {level: population total}}``, e.g. school enrolment, grade and sex totals.
        Every margin must sum to the same population size.
    epsilon : float
        Convergence: max |misfit| / (1 + |total|) (R ``epsilon``).
    maxit : int
        Maximum Newton iterations; failure raises :class:`DataError`.

    Examples
    --------
    R equivalent::

        calibrate(dclus1, ~stype + sch.wide, population = c(6194, 755, 1018, 5122),
                  calfun = "raking")
    """
    if not isinstance(design, SurveyDesign):
        raise ParameterError(f"'design' must be a SurveyDesign; got {type(design).__name__}")
    check_number(epsilon, "epsilon", low=0, low_inclusive=False)
    check_number(maxit, "maxit", low=1, integer=True)
    mm, pop, _ = _margin_matrix(design.data, margins)
    w0 = design.weights
    g, _ = _grake_raking(mm, w0, pop, epsilon, maxit)
    cal = _Calibration(mm=mm, whalf=np.sqrt(w0), g=g)
    return design.with_weights(w0 * g, cal)


@public(renamed={"weights": "weight"})
def rake_weights(data: pd.DataFrame, weight: str, margins: Mapping[str, Mapping], *,
                 epsilon: float = 1e-7, maxit: int = 50) -> pd.Series:
    """Raked weights for a plain DataFrame (same method as :func:`rake`)."""
    check_columns(data, [weight], "rake_weights data")
    w0 = pd.to_numeric(data[weight], errors="coerce").to_numpy(float)
    if (~np.isfinite(w0) | (w0 <= 0)).any():
        raise DataError(f"weight column {weight!r} must be positive and finite")
    mm, pop, _ = _margin_matrix(data, margins)
    g, _ = _grake_raking(mm, w0, pop, epsilon, maxit)
    return pd.Series(w0 * g, index=data.index, name="raked_weight")


@public
def trim_weights(design: SurveyDesign, *, upper: float = np.inf, lower: float = -np.inf,
                 strict: bool = False) -> SurveyDesign:
    """Trim weights to [lower, upper] and share the trimmed amount equally among the others.

    As R ``trimWeights``: w' = min(max(w, lower), upper); Σ(w − w') is added in equal parts to
    the weights that were inside the bounds, keeping the weight total.  ``strict=True`` repeats
    until no weight is outside (the redistribution can push weights over the bound).

    Examples
    --------
    R equivalent: ``trimWeights(dclus2, upper = 60, lower = 10)``.
    """
    if not isinstance(design, SurveyDesign):
        raise ParameterError(f"'design' must be a SurveyDesign; got {type(design).__name__}")
    check_number(upper, "upper")
    check_number(lower, "lower")
    if lower >= upper:
        raise ParameterError(f"'lower' ({lower}) must be smaller than 'upper' ({upper})")
    pw = design.weights.copy()
    for _ in range(100):
        outside = (pw < lower) | (pw > upper)
        if not outside.any():
            break
        if outside.all():
            raise DataError("every weight lies outside the trimming bounds")
        new = np.clip(pw, lower, upper)
        trimmings = pw - new
        new[~outside] += trimmings.sum() / (~outside).sum()
        pw = new
        if not strict:
            break
    if (pw <= 0).any():
        raise DataError("trimming produced non-positive weights; raise 'lower'")
    return design.with_weights(pw)


@public
def weight_diagnostics(design_or_weights: SurveyDesign | np.ndarray | pd.Series, *,
                       by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Weight diagnostics: n, sum, min, max, mean, CV, Kish effective n and deff_w = 1 + CV².

    Columns ``(by...), n, weight_sum, weight_min, weight_max, weight_mean, cv, max_min_ratio,
    n_eff, deff``. n_eff = (Σw)² / Σw² (Kish 1965); CV uses the population formula (ddof = 0)
    so that n / n_eff = 1 + CV² exactly.
    """
    if isinstance(design_or_weights, SurveyDesign):
        w = pd.Series(design_or_weights.weights)
        data = design_or_weights.data
    else:
        w = pd.Series(np.asarray(design_or_weights, float))
        data = None
        if by is not None:
            raise ParameterError(f"'by' needs a SurveyDesign (its data hold the by columns); got "
                             f"by={by!r} with {type(design_or_weights).__name__} weights")
    by_l = as_list(by)

    def one(x: pd.Series) -> pd.Series:
        x = x.to_numpy(float)
        s, s2 = x.sum(), (x * x).sum()
        mean = x.mean()
        cv = x.std(ddof=0) / mean
        return pd.Series({"n": len(x), "weight_sum": s, "weight_min": x.min(),
                          "weight_max": x.max(), "weight_mean": mean, "cv": cv,
                          "max_min_ratio": x.max() / x.min(), "n_eff": s * s / s2,
                          "deff": 1 + cv * cv})

    if by_l:
        check_columns(data, by_l, "design data")
        out = w.groupby([data[c] for c in by_l]).apply(one).unstack().reset_index()
    else:
        out = one(w).to_frame().T
    out["n"] = out["n"].astype(np.int64)
    return out
