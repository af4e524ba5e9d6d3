"""Contextual variables, centring, and school-effect tables (for caterpillar plots)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option, tidy
from ..errors import DataError, ParameterError
from .._checks import public
from ._results import ALPHA_TO_LEVEL, check_level, model_frame
from .mixed import MixedResult, random_intercept
from .ols import OLSResult, _fit_ols, ols

__all__ = ["add_group_mean", "center", "school_effects", "ols_school_effects"]


def _numeric_columns(data: pd.DataFrame, columns, where: str) -> list[str]:
    cols = as_list(columns)
    if not cols:
        raise ParameterError(f"'columns' must name at least one column; got {columns!r}")
    check_columns(data, cols, where)
    for c in cols:
        if not pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c]):
            raise DataError(f"{where}: column {c!r} must be numeric; got dtype {data[c].dtype}")
    return cols


@public(renamed={"group": "school"})
def add_group_mean(data: pd.DataFrame, columns, school: str, *, suffix: str = "_mean",
                   leave_one_out: bool = False, min_n: int = 1) -> pd.DataFrame:
    r"""Add school means of pupil variables (contextual / compositional effects).

    For each column ``c`` adds ``c + suffix`` = mean of ``c`` over the non-missing rows of the
    same ``school`` (a pupil with a missing ``c`` still gets his school's mean). With
    ``leave_one_out=True`` the pupil's own value is excluded (peer mean,
    :math:`(S_j - x_{ij})/(n_j - 1)`). Schools with fewer than ``min_n`` valid values get ``NaN``.
    Rows with a missing ``school`` get ``NaN``.

    In a model ``y ~ x + x_mean + (1 | school)`` the coefficient of ``x_mean`` is the
    *contextual effect* (between minus within effect) when ``x`` is raw or grand-mean centred;
    with group-mean centred ``x`` it is the between effect (Raudenbush & Bryk 2002, ch. 5).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the new columns (no count columns are added).

    Examples
    --------
    >>> pupils = add_group_mean(pupils, ["escs"], "school")            # doctest: +SKIP
    >>> # In R: pupils$escs_mean <- ave(pupils$escs, pupils$school,
    >>> #                               FUN = function(v) mean(v, na.rm = TRUE))
    """
    cols = _numeric_columns(data, columns, "data")
    check_columns(data, [school], "data")
    if not isinstance(suffix, str) or not suffix:
        raise ParameterError(f"'suffix' must be a non-empty string; got {suffix!r}")
    check_number(min_n, "min_n", low=1, integer=True)
    out = data.copy()
    g = data[school]
    for c in cols:
        v = data[c].astype(float)
        grp = v.groupby(g, dropna=True)
        s = grp.transform("sum")
        n = grp.transform("count")
        if leave_one_out:
            own = v.notna()
            s = s - v.fillna(0.0)
            n = n - own.astype(int)
        mean = s / n.where(n > 0)
        out[c + suffix] = mean.where(n >= min_n)
        out.loc[g.isna(), c + suffix] = np.nan
    return out


@public(renamed={"group": "school"})
def center(data: pd.DataFrame, columns, *, kind: str = "group", school: str | None = None,
           suffix: str | None = None) -> pd.DataFrame:
    r"""Grand-mean (``kind="grand"``) or group-mean (``kind="group"``, CWC) centring.

    Adds ``c + suffix`` (default ``"_cgm"`` / ``"_cwc"``): :math:`x_{ij}-\bar x` or
    :math:`x_{ij}-\bar x_j`, means over non-missing values (missing stays missing).

    Examples
    --------
    >>> center(pupils, ["escs"], kind="group", school="school")       # doctest: +SKIP
    >>> # In R: pupils$escs_cwc <- pupils$escs - ave(pupils$escs, pupils$school,
    >>> #                                             FUN = function(v) mean(v, na.rm = TRUE))
    """
    check_option(kind, "kind", ("grand", "group"))
    cols = _numeric_columns(data, columns, "data")
    if kind == "group":
        if school is None:
            raise ParameterError("kind='group' needs 'school' (the school id column); got None")
        check_columns(data, [school], "data")
    suffix = suffix or ("_cwc" if kind == "group" else "_cgm")
    out = data.copy()
    for c in cols:
        v = data[c].astype(float)
        if kind == "grand":
            out[c + suffix] = v - v.mean()
        else:
            out[c + suffix] = v - v.groupby(data[school], dropna=True).transform("mean")
    return out


@public(renamed={"alpha": ALPHA_TO_LEVEL})
def school_effects(model: MixedResult, *, unit: str = "school",
                   level: float | None = None) -> pd.DataFrame:
    r"""Empirical-Bayes school (or class) effects ``[<school column>, est, se, ci_low, ci_high, n]``.

    ``unit`` = ``"school"`` or ``"class"`` (three-level models); ``level`` the confidence level
    of the intervals (default: the model's). ``est`` = conditional mode :math:`\hat u_j=\frac{\hat\tau n_j}{\hat\tau n_j+\hat\sigma^2}
    (\bar y_j-\bar x_j'\hat\beta)` (two levels); ``se`` its conditional SD
    :math:`\sqrt{\hat\tau\hat\sigma^2/(\hat\sigma^2+n_j\hat\tau)}`; normal intervals.
    Sorted by ``est`` for a caterpillar plot; the key column is named after the model's
    ``school`` column. For a *residual* (school-mean OLS) version see :func:`ols_school_effects`.

    Examples
    --------
    >>> school_effects(random_intercept(exam, "normexam ~ standLRT", school="school"))
    >>> # In R: r <- ranef(m, condVar = TRUE); sqrt(attr(r$school, "postVar")[1, 1, ])
    """
    if not isinstance(model, MixedResult):
        raise ParameterError(f"'model' must be a MixedResult (random_intercept); got "
                             f"{type(model).__name__}; for OLS use ols_school_effects()")
    tab = model.ranef(unit=unit, level=level)
    return tab.sort_values("est", kind="stable").reset_index(drop=True)


@public(renamed={"group": "school", "alpha": ALPHA_TO_LEVEL})
def ols_school_effects(data: pd.DataFrame, formula: str | None = None, *, y: str | None = None,
                       x=None, school: str, weight_by_n: bool = False, level: float = 0.95,
                       return_model: bool = False):
    r"""School effects as residuals of a school-level OLS model (HSE "contextualisation").

    Pupil rows are reduced to school means of the outcome and of every design column (means
    of dummies = shares), listwise over the model's columns. The school-level model
    :math:`\bar y_j=\bar x_j'\beta+e_j` is fitted by OLS (weights :math:`n_j` if
    ``weight_by_n``) and the effect is :math:`\hat e_j=\bar y_j-\bar x_j'\hat\beta`.
    If ``data`` already has one row per school, each school is its own group.

    ``se`` combines the sampling variance of the school mean and of the prediction,
    :math:`\sqrt{s^2_w/n_j + \bar x_j'\hat V\bar x_j}` (:math:`s^2_w` = pooled within-school
    variance of the outcome, :math:`\hat V` the classical OLS covariance); it ignores their
    (positive) covariance, so it is slightly conservative. With one pupil per school
    :math:`s^2_w` is undefined and only the prediction part is used (``se`` then understates the
    uncertainty -- a warning column ``se_note`` says so).

    Returns
    -------
    pandas.DataFrame
        ``[<school>, est, se, ci_low, ci_high, df, n, fitted, observed]`` sorted by ``est``
        (the residual; t intervals with the model's residual df; ``observed`` = the school's
        mean outcome, ``fitted`` = its prediction); with ``return_model=True`` a tuple
        ``(table, OLSResult)``.

    Examples
    --------
    >>> ols_school_effects(pupils, "score ~ escs + C(urban)", school="school")  # doctest: +SKIP
    >>> # In R: s <- aggregate(cbind(score, escs) ~ school, pupils, mean)
    >>> #       s$effect <- residuals(lm(score ~ escs, s))
    """
    level = check_level(level)
    if not isinstance(school, str):
        raise ParameterError(f"'school' must be a column name; got {school!r}")
    mf = model_frame(data, formula, y=y, x=x, extra={"school": school},
                     where="ols_school_effects data")
    codes, levels = pd.factorize(pd.Series(mf.extra["school"]), sort=True)
    G, k = len(levels), mf.X.shape[1]
    if G <= k:
        raise DataError(f"column {school!r}: {G} schools for {k} school-level coefficients")
    n_j = np.bincount(codes, minlength=G).astype(float)
    Z = np.column_stack([mf.X, mf.y])
    means = np.column_stack([np.bincount(codes, weights=Z[:, j], minlength=G)
                             for j in range(Z.shape[1])]) / n_j[:, None]
    ybar, Xbar = means[:, -1], means[:, :-1]
    within = mf.y - ybar[codes]
    df_w = len(mf.y) - G
    s2w = float(within @ within / df_w) if df_w > 0 else np.nan
    from ._results import ModelFrame
    smf = ModelFrame(y=ybar, X=Xbar, terms=mf.terms, y_name=mf.y_name,
                     index=pd.Index(levels), full_index=pd.Index(levels),
                     rows=np.arange(G), extra={"weight": n_j} if weight_by_n else {})
    fit = _fit_ols(smf, "classical", level)
    fit.formula = formula if formula is not None else \
        f"{mf.y_name} ~ {' + '.join(t for t in mf.terms if t != '(Intercept)') or '1'}"
    fit.formula += "  (school means)"
    resid = ybar - Xbar @ fit.params.to_numpy()
    pred_var = np.einsum("ij,jk,ik->i", Xbar, fit.cov_params.to_numpy(), Xbar)
    se = np.sqrt((s2w / n_j if np.isfinite(s2w) else 0.0) + pred_var)
    q = stats.t.ppf(1 - (1 - level) / 2, fit.df_resid)
    tab = pd.DataFrame({school: levels, "est": resid, "se": se, "ci_low": resid - q * se,
                        "ci_high": resid + q * se, "df": float(fit.df_resid),
                        "n": n_j.astype(int), "fitted": ybar - resid, "observed": ybar})
    if not np.isfinite(s2w):
        tab["se_note"] = "one row per school: se covers the prediction only"
    tab = tab.sort_values("est", kind="stable").reset_index(drop=True)
    return (tab, fit) if return_model else tab


@public
def results_on_context(data: pd.DataFrame, formula: str, *, school: str = "school_id",
                       level: float = 0.95) -> dict[str, pd.DataFrame]:
    r"""School results on context: the two-level model when schools have several years, else
    (a one-year study) OLS with HC1 standard errors.

    With years in schools, :func:`random_intercept` (REML) gives the fixed effects, the school
    and residual variance and the empirical-Bayes school effects. With one row per school the
    school intercept is not identifiable from the residual (lme4 refuses the model too), so the
    fixed effects are OLS with HC1 SEs, the variance table has the residual variance only
    (``share`` 1: school and year variance cannot be told apart) and a school's effect is its
    residual ``y - fitted`` with no interval (one observation per school).

    Returns
    -------
    dict
        ``fixed`` (``term, est, se, ci_low, ci_high, df, statistic, p_value``), ``variance``
        (``component, factor, est, sd, share``), ``effects`` (``<school>, est, se, ci_low,
        ci_high, n``) and ``model`` (``"two-level REML"`` or ``"OLS HC1 (one year)"``).

    Examples
    --------
    >>> results_on_context(sr, "result ~ wellbeing_index + C(year)")   # doctest: +SKIP
    R: ``lme4::lmer(result ~ wellbeing_index + factor(year) + (1 | school_id))``; with one year
    ``lmtest::coeftest(lm(result ~ wellbeing_index), sandwich::vcovHC(m, "HC1"))``.
    """
    check_columns(data, [school], "data")
    if data.groupby(school).size().max() > 1:
        m = random_intercept(data, formula, school=school, level=level)
        return {"fixed": m.tidy(), "variance": m.variance_components(),
                "effects": school_effects(m), "model": "two-level REML"}
    f = formula.replace(" + C(year)", "").replace("C(year) + ", "")
    o = ols(data, f, cov="HC1", level=level)
    var = pd.DataFrame({"component": ["residual"], "factor": [None],
                        "est": [o.sigma ** 2], "sd": [o.sigma], "share": [1.0]})
    eff = pd.DataFrame({school: data.loc[o.residuals.index, school].to_numpy(),
                        "est": o.residuals.to_numpy(), "se": np.nan, "ci_low": np.nan,
                        "ci_high": np.nan, "n": 1})
    return {"fixed": o.tidy(), "variance": var, "effects": eff, "model": "OLS HC1 (one year)"}
