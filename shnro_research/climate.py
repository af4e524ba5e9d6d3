r"""Climate and results: what goes with low results once the social context is held fixed.

Flat functions (issue 12, part 1); every table says what it can and cannot show.

* :func:`school_climate` -- school x wave x group aggregates of survey measures with their
  reliability (ICC(1), ICC(2), one-way ANOVA) and empirical-Bayes shrunken means.
* :func:`climate_results_model` -- two-level model (years within schools) of results on context
  plus standardised climate measures, the same model without climate, and the share of the
  school-level variance the climate measures account for beyond context.
* :func:`pupil_outcomes` -- the students' self-reported marks and plans recoded for models.
* :func:`pupil_outcomes_model` -- pupil-level random-intercept model of a self-reported outcome.
* :func:`change_on_change` -- school fixed-effects panel: does a school whose climate improved
  also improve its results.

All estimates are associations in observational data, never effects of climate.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import DataError, ParameterError, as_list, check_columns, check_number, public, tidy
from .models import ols, random_intercept

__all__ = ["school_climate", "climate_results_model", "pupil_outcomes", "pupil_outcomes_model",
           "change_on_change"]

#: what every model table of this module says about itself
ASSOCIATION = "association, not effect"


def _z(level: float) -> float:
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    return float(stats.norm.ppf(0.5 + level / 2))


# --------------------------------------------------------------------------------------------
# 1. school aggregates with reliability and shrinkage
# --------------------------------------------------------------------------------------------
def _school_cells(scores: pd.DataFrame, measures: list[str], school: str, wave: str,
                  group: str) -> pd.DataFrame:
    """Per wave x group x variable x school (in that sorted order): ``n`` valid scores,
    ``est_raw`` their mean and ``var0`` their mean squared deviation from it. Every key is
    coded to an integer once and the cells are grouped on that one code: no long table of
    respondents x measures with its string keys (a national study has millions of
    respondents)."""
    sc, su = pd.factorize(scores[school], sort=True)
    wc, wu = pd.factorize(scores[wave], sort=True)
    gc, gu = pd.factorize(scores[group], sort=True)
    names = sorted(set(measures))
    vix = {m: i for i, m in enumerate(names)}
    S, V = max(len(su), 1), len(names)
    base = np.where((sc >= 0) & (wc >= 0) & (gc >= 0),
                    (wc.astype(np.int64) * len(gu) + gc) * V, -1)
    codes, ys = [], []
    for m in measures:
        y = pd.to_numeric(scores[m], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        ok = (base >= 0) & ~np.isnan(y)
        codes.append((base[ok] + vix[m]) * S + sc[ok])
        ys.append(y[ok])
    code, y = np.concatenate(codes), np.concatenate(ys)
    if not len(y):
        raise DataError(f"scores: no valid value of {measures} with a school, wave and group")
    # pandas' grouped sums (compensated) over the rows in their order: the same numbers as
    # a groupby on the four key columns
    # (grouped by the cells' dense ranks as a categorical: no second hashing of the codes)
    inv, uniq = pd.factorize(code, sort=True)
    cells = pd.Categorical.from_codes(inv, categories=pd.RangeIndex(len(uniq)))
    agg = pd.Series(y).groupby(cells, observed=True, sort=True).agg(["count", "mean"])
    n, mean = agg["count"].to_numpy(), agg["mean"].to_numpy()
    dev2 = pd.Series((y - mean[inv]) ** 2).groupby(cells, observed=True,
                                                    sort=True).sum().to_numpy()
    s_i, rest = uniq % S, uniq // S
    v_i, rest = rest % V, rest // V
    g_i, w_i = rest % len(gu), rest // len(gu)
    return pd.DataFrame({wave: wu.take(w_i), group: gu.take(g_i),
                         "variable": np.array(names, dtype=object)[v_i], school: su.take(s_i),
                         "n": n.astype(np.int64), "est_raw": mean, "var0": dev2 / n})


@public
def school_climate(scores: pd.DataFrame, measures: str | Sequence[str], *,
                   school: str = "school_id", wave: str = "wave", group: str = "group",
                   level: float = 0.95) -> pd.DataFrame:
    r"""School x wave x group means of survey measures, their reliability and EB shrinkage.

    For each measure, respondent group and wave, a one-way ANOVA of the respondents' scores
    on the school (as :func:`shnro_research.scoring.icc_anova`, mean group size
    :math:`k = N/G`) gives

    .. math::

        ICC(1) = \frac{MSB - MSW}{MSB + (k-1)MSW}, \qquad ICC(2) = \frac{MSB - MSW}{MSB},

        \hat\sigma^2 = MSW, \qquad \hat\tau^2 = \max\{0, (MSB - MSW)/k\},

    and each school's raw mean :math:`\bar y_j` (of :math:`n_j` respondents) is shrunk towards
    the grand mean :math:`\bar y` (the mean of all respondents of that group and wave):

    .. math::

        \lambda_j = \frac{\hat\tau^2}{\hat\tau^2 + \hat\sigma^2/n_j}, \qquad
        est_j = \bar y + \lambda_j(\bar y_j - \bar y), \qquad
        se_j = \sqrt{\lambda_j \hat\sigma^2 / n_j}

    (the posterior mean and SD of the school's true mean given the variance components; the
    uncertainty of :math:`\bar y`, :math:`\hat\tau^2` and :math:`\hat\sigma^2` is ignored, as
    in lme4 ``ranef(condVar = TRUE)``). :math:`\lambda_j` is the reliability of school j's
    mean; ICC(2) is the reliability of a school mean of average size. With
    :math:`\hat\tau^2 = 0` every school gets the grand mean (``shrinkage`` = 0): the measure
    does not tell the schools apart in that wave. Intervals are ``est +- z se``.

    Parameters
    ----------
    scores : DataFrame
        One row per respondent: ``school``, ``wave``, ``group`` and the measure columns.
    measures : str or list of str
        Measure (scale) columns. A measure not answered by a group gives no rows for it.
    school, wave, group : str
        Columns of the school id, survey wave and respondent group.
    level : float
        Confidence level of ``ci_low``/``ci_high``.

    Returns
    -------
    DataFrame
        ``[school_id, wave, group, variable, est_raw, sd, shrinkage, icc1, icc2, tau2,
        sigma2, n_schools, est, se, ci_low, ci_high, n, level]``: ``est_raw`` the raw school
        mean, ``shrinkage`` :math:`\lambda_j`, ``icc1``/``icc2``/``tau2``/``sigma2``/
        ``n_schools`` of the measure in that group and wave (repeated on its rows), ``est``
        the shrunken mean, ``n`` the school's respondents with a valid score. Groups and waves
        with fewer than 2 schools, or no more respondents than schools, get NaN reliability and
        ``est``. Missing scores are dropped per measure (each measure its own respondents).

    References
    ----------
    Bliese P.D. (2000) Within-group agreement, non-independence, and reliability: implications
    for data aggregation and analysis. In Klein & Kozlowski (eds.), *Multilevel theory,
    research, and methods in organizations*, 349--381. San Francisco: Jossey-Bass.
    Raudenbush S.W., Bryk A.S. (2002) *Hierarchical linear models*, 2nd ed., ch. 3.2 (eq. 3.56,
    the reliability of a group mean) and ch. 3.4 (empirical-Bayes estimates). Thousand Oaks: Sage.

    Examples
    --------
    R (one measure, group and wave):
    ``a <- aov(tension ~ factor(school_id), d); multilevel::ICC1(a); multilevel::ICC2(a)``;
    ``ms <- summary(a)[[1]][["Mean Sq"]]; tau2 <- max(0, (ms[1] - ms[2]) / (nrow(d) / G))``;
    ``lam <- tau2 / (tau2 + ms[2] / n_j); est <- mean(d$tension) + lam * (m_j - mean(d$tension))``.
    """
    measures = as_list(measures)
    if not measures:
        raise ParameterError(f"'measures' must name at least one column; got {measures!r}")
    z = _z(level)
    check_columns(scores, [school, wave, group] + measures, "scores")
    keys = [wave, group]
    cell = keys + ["variable"]
    sch = _school_cells(scores, measures, school, wave, group)
    sch["sd"] = np.sqrt(sch["var0"] * sch["n"] / (sch["n"] - 1).where(sch["n"] > 1))
    sch["_sum"] = sch["est_raw"] * sch["n"]
    sch["_ssw"] = sch["var0"] * sch["n"]
    top = sch.groupby(cell, observed=True, sort=False).agg(
        N=("n", "sum"), n_schools=(school, "size"), _s=("_sum", "sum"), ssw=("_ssw", "sum"))
    top["grand"] = top["_s"] / top["N"]
    sch = sch.merge(top[["N", "n_schools", "grand", "ssw"]], left_on=cell, right_index=True)
    sch["_ssb"] = sch["n"] * (sch["est_raw"] - sch["grand"]) ** 2
    top["ssb"] = sch.groupby(cell, observed=True, sort=False)["_ssb"].sum()
    G, N = top["n_schools"].astype(float), top["N"].astype(float)
    ok = (G >= 2) & (N > G)
    msb = (top["ssb"] / (G - 1)).where(ok)
    msw = (top["ssw"] / (N - G)).where(ok)
    k = N / G
    top["icc1"] = (msb - msw) / (msb + (k - 1) * msw)
    top["icc2"] = (msb - msw) / msb
    top["tau2"] = ((msb - msw) / k).clip(lower=0)
    top["sigma2"] = msw
    sch = sch.merge(top[["icc1", "icc2", "tau2", "sigma2"]], left_on=cell, right_index=True)
    lam = sch["tau2"] / (sch["tau2"] + sch["sigma2"] / sch["n"])
    sch["shrinkage"] = lam
    sch["est"] = sch["grand"] + lam * (sch["est_raw"] - sch["grand"])
    sch["se"] = np.sqrt(lam * sch["sigma2"] / sch["n"])
    sch["ci_low"] = sch["est"] - z * sch["se"]
    sch["ci_high"] = sch["est"] + z * sch["se"]
    sch["level"] = level
    out = sch.rename(columns={school: "school_id", wave: "wave", group: "group"})
    out = out[["school_id", "wave", "group", "variable", "est_raw", "sd", "shrinkage", "icc1",
               "icc2", "tau2", "sigma2", "n_schools", "est", "se", "ci_low", "ci_high", "n",
               "level"]]
    out["n"] = out["n"].astype(int)
    out["n_schools"] = out["n_schools"].astype(int)
    return tidy(out.sort_values(["variable", "group", "wave", "school_id"], kind="stable"))


# --------------------------------------------------------------------------------------------
# 2. results on context plus climate, two levels
# --------------------------------------------------------------------------------------------
def _wide_climate(climate: pd.DataFrame, measures: list[str]) -> tuple[pd.DataFrame, dict]:
    """school_id x wave table of the shrunken ``est`` of each measure (``group:variable``)."""
    check_columns(climate, ["school_id", "wave", "group", "variable", "est"], "climate")
    names, parts = {}, []
    for m in measures:
        if not isinstance(m, str):
            raise ParameterError(f"'measures' must be strings 'variable' or 'group:variable'; "
                                 f"got {m!r}")
        if ":" in m:
            g, v = m.split(":", 1)
            sel = climate[(climate["group"] == g) & (climate["variable"] == v)]
        else:
            v = m
            sel = climate[climate["variable"] == v]
            groups = sel["group"].unique()
            if len(groups) > 1:
                raise ParameterError(f"measure {m!r} is aggregated for several groups "
                                     f"{sorted(groups)}; write 'group:{m}'")
            g = groups[0] if len(groups) else ""
        if sel.empty:
            raise DataError(f"climate: no rows for measure {m!r}")
        col = f"{g}_{v}".strip("_")
        names[col] = (g, v)
        parts.append(sel.set_index(["school_id", "wave"])["est"].rename(col))
    return pd.concat(parts, axis=1).reset_index(), names


def _zscore(s: pd.Series) -> pd.Series:
    sd = s.std(ddof=1)
    if not np.isfinite(sd) or sd == 0:
        raise DataError(f"column {s.name!r} does not vary across the model's rows; cannot "
                        "standardise it")
    return (s - s.mean()) / sd


@public
def climate_results_model(school_results: pd.DataFrame, climate: pd.DataFrame, *,
                          measures: str | Sequence[str], context: str = "wellbeing_index",
                          outcome: str = "result", school: str = "school_id",
                          year: str = "year", year_effects: bool = True,
                          level: float = 0.95, focal: str | Sequence[str] | None = None,
                          power: float = 0.80) -> pd.DataFrame:
    r"""Two-level model of school results on context plus standardised climate measures.

    Results of school j in year t (years within schools) are related to the social context
    and the climate measures of the survey wave of the same year:

    .. math::

        y_{tj} = \beta_0 + \beta_c\,context_{tj} + \sum_m \gamma_m\,z(climate_{m,tj})
                 + \delta_t + u_j + e_{tj},\quad u_j\sim N(0,\tau^2),\ e_{tj}\sim N(0,\sigma^2)

    fitted by REML (:func:`shnro_research.models.random_intercept`) on the school-years with
    every variable present. The outcome, the context and every climate measure are z-scores
    across those school-years (mean 0, SD 1), so the coefficients are fully standardised: SDs
    of results per SD of the predictor. :math:`\delta_t` are year fixed effects (``year``).
    The same model without the climate measures is fitted on the same rows; the share of the
    school-level variance the climate measures account for beyond context is
    :math:`(\hat\tau^2_0 - \hat\tau^2_1)/\hat\tau^2_0` (Raudenbush & Bryk 2002, eq. 4.23; it
    can be negative in small samples), likewise for the residual (within-school) variance.

    Climate values are the empirical-Bayes shrunken school means (``est`` of
    :func:`school_climate`); their measurement error is reduced, not removed.

    Parameters
    ----------
    school_results : DataFrame
        One row per school x year with ``school``, ``year``, ``outcome`` and ``context``.
    climate : DataFrame
        Output of :func:`school_climate` (``school_id, wave, group, variable, est``); ``wave``
        is matched to ``year``.
    measures : str or list of str
        ``"group:variable"`` (``"students:tension"``), or ``"variable"`` when one group has it.
    context, outcome : str
        Columns of the context index and of the results.
    school, year : str
        Columns of ``school_results``: school id and the year matched to the survey ``wave``.
    year_effects : bool
        Year fixed effects :math:`\delta_t` (default True).
    level : float
        Confidence level.
    focal : str or list of str, optional
        The study's declared hypothesis (e.g. ``"students:tension"``): a third model with context
        and only these measures (``model = "context+focal"``), fitted on the same rows. One
        declared hypothesis keeps its power; the full model with every measure is exploratory.
    power : float
        Power of the minimum detectable coefficient ``mde = (z_{1-a/2} + z_power) * se``
        (Bloom 1995) printed beside each climate coefficient: an interval that includes zero
        with ``|mde|`` larger than a coefficient that matters means "cannot tell", not "no
        association".

    Returns
    -------
    DataFrame
        ``[model, part, term, group, variable, note, n_schools, est, se, ci_low, ci_high, df,
        n, statistic, p_value, mde]``: ``model`` = ``"context"`` (without climate),
        ``"context+focal"`` (when ``focal`` is given), ``"context+climate"``, or ``"change"``; ``part`` = ``"fixed"`` (coefficients, Wald
        z), ``"variance"`` (``term`` = ``school`` / ``residual`` variance of each model)
        or ``"explained"`` (``model="change"``: share of each variance the climate
        measures account for);
        ``group``/``variable`` the respondent group and measure of a climate coefficient;
        ``n`` school-years; ``note`` "association, not effect; G schools, N school-years" and
        the model, intervals and (no) multiplicity adjustment used.

    References
    ----------
    Raudenbush S.W., Bryk A.S. (2002) *Hierarchical linear models*, 2nd ed., ch. 4 and 8.

    Examples
    --------
    R: ``d[c("result", "wellbeing_index", "tension")] <- scale(d[c(...)])``;
    ``m1 <- lme4::lmer(result ~ wellbeing_index + tension + factor(year) + (1 | school_id), d)``;
    ``m0 <- update(m1, . ~ . - tension)``; ``confint(m1, method = "Wald")``;
    ``v <- function(m) as.data.frame(VarCorr(m))$vcov[1]; (v(m0) - v(m1)) / v(m0)``.
    """
    measures = as_list(measures)
    if not measures:
        raise ParameterError(f"'measures' must name at least one climate measure; got {measures!r}")
    _z(level)
    focal = as_list(focal) if focal is not None else []
    if any(m not in measures for m in focal):
        raise ParameterError(f"'focal' must be among 'measures' {measures!r}; got {focal!r}")
    if not (isinstance(power, float) and 0 < power < 1):
        raise ParameterError(f"'power' must be a float in (0, 1); got {power!r}")
    if not isinstance(year_effects, bool):
        raise ParameterError(f"'year_effects' must be True or False; got {year_effects!r}")
    cols = [school, year, outcome, context]
    check_columns(school_results, cols, "school_results")
    wide, names = _wide_climate(climate, measures)
    sr = school_results[cols].rename(columns={school: "school_id", year: "year"})
    d = sr.merge(wide.rename(columns={"wave": "year"}), on=["school_id", "year"], how="inner")
    clim = list(names)
    d = d.dropna(subset=[outcome, context] + clim)
    n_sch = d["school_id"].nunique()
    if n_sch < 3:
        raise DataError(f"school_results joined with climate: {n_sch} school(s) with results, "
                        "context and every climate measure in a survey year; need >= 3")
    for c in [outcome, context] + clim:
        d[c] = _zscore(d[c].astype(float))
    fe = " + C(year)" if year_effects and d["year"].nunique() > 1 else ""
    f0 = f"{outcome} ~ {context}{fe}"
    f1 = f"{outcome} ~ {context} + {' + '.join(clim)}{fe}"
    models = [("context", f0)]
    if focal:
        fcols = [c for c in clim if f"{names[c][0]}:{names[c][1]}" in focal
                 or names[c][1] in focal]
        models.append(("context+focal", f"{outcome} ~ {context} + {' + '.join(fcols)}{fe}"))
    models.append(("context+climate", f1))
    one_year = bool(d.groupby("school_id").size().max() == 1)
    fit = ("OLS with HC1 SEs (one year: school and residual variance cannot be told apart)"
           if one_year else "REML random intercept (years in schools)")
    note = (f"{ASSOCIATION}; {n_sch} schools, {len(d)} school-years; {fit}"
            f"{', year fixed effects' if fe else ''}; result, context and "
            "climate z-scored (standardised coefficients); "
            f"{'t' if one_year else 'Wald z'} intervals; no adjustment "
            "for multiple comparisons")
    rows = []
    var = {}
    for label, f in models:
        if one_year:
            m = ols(d, f, cov="HC1", level=level)
            vs, vr = np.nan, float(m.sigma ** 2)
        else:
            m = random_intercept(d, f, school="school_id", level=level)
            vs, vr = float(m.var_school), float(m.var_resid)
        t = m.tidy().assign(model=label, part="fixed", n=len(d))
        t["group"] = t["term"].map(lambda c: names[c][0] if c in names else None)
        t["variable"] = t["term"].map(lambda c: names[c][1] if c in names else None)
        rows.append(t)
        var[label] = (vs, vr)
        rows.append(pd.DataFrame({"model": label, "part": "variance",
                                  "term": ["school", "residual"], "est": [vs, vr],
                                  "n": len(d)}))
    (s0, r0), (s1, r1) = var["context"], var["context+climate"]
    rows.append(pd.DataFrame({
        "model": "change", "part": "explained", "term": ["school", "residual"],
        "est": [(s0 - s1) / s0 if s0 > 0 else np.nan, (r0 - r1) / r0 if r0 > 0 else np.nan],
        "n": len(d)}))
    out = pd.concat(rows, ignore_index=True)
    out["note"] = note
    out["n_schools"] = n_sch
    # minimum detectable standardised coefficient (Bloom 1995), climate coefficients only
    is_clim = out["variable"].notna() & (out["part"] == "fixed")
    out["mde"] = np.where(is_clim, (_z(level) + stats.norm.ppf(power)) * out["se"], np.nan)
    first = ["model", "part", "term", "group", "variable", "note", "n_schools"]
    out = out[first + [c for c in out.columns if c not in first]]
    return tidy(out)


# --------------------------------------------------------------------------------------------
# 3. pupils' self-reported marks and plans
# --------------------------------------------------------------------------------------------
#: codes of ``marks`` and ``plans`` in surveys/students.yaml
MARKS_CODES = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}      # code -> marks score, higher = better
MARKS_MISSING = (9,)
PLANS_HIGHER = 1                                    # "Enter a university"
PLANS_CODES = (1, 2, 3, 4, 5)


@public
def pupil_outcomes(students: pd.DataFrame, *, marks: str = "marks",
                   plans: str = "plans") -> pd.DataFrame:
    r"""Recode the students' self-reported marks and plans for pupil-level models.

    From the codes of ``surveys/students.yaml``: ``marks`` 1 "only excellent" ... 5 "some
    unsatisfactory marks", 9 missing, becomes ``marks_score`` = 6 - code (5 = only excellent,
    1 = some unsatisfactory; higher is better, an ordinal score treated as interval);
    ``plans`` 1 "enter a university", 2 college, 3 work, 4 other, 5 not decided becomes
    ``plans_higher`` = 1 if the pupil plans higher education (code 1), 0 for codes 2--5
    ("not decided" counts as not planning it), missing otherwise.

    Returns
    -------
    DataFrame
        ``students`` with ``marks_score`` and ``plans_higher`` added (other columns kept).

    Examples
    --------
    R: ``d$marks_score <- ifelse(d$marks %in% 1:5, 6 - d$marks, NA)``;
    ``d$plans_higher <- ifelse(d$plans %in% 1:5, as.integer(d$plans == 1), NA)``.
    """
    check_columns(students, [marks, plans], "students")
    mk = pd.to_numeric(students[marks], errors="coerce")
    pl = pd.to_numeric(students[plans], errors="coerce")
    bad = mk.notna() & ~mk.isin(list(MARKS_CODES) + list(MARKS_MISSING))
    bad_p = pl.notna() & ~pl.isin(PLANS_CODES)
    if bad.any() or bad_p.any():
        col, vals = (marks, mk[bad]) if bad.any() else (plans, pl[bad_p])
        raise DataError(f"students: column {col!r} has code(s) {sorted(vals.unique())[:5]} not "
                        "declared in surveys/students.yaml")
    out = students.copy()
    out["marks_score"] = mk.map(MARKS_CODES).astype(float)
    out["plans_higher"] = (pl == PLANS_HIGHER).astype(float).where(pl.isin(PLANS_CODES))
    return out


@public
def pupil_outcomes_model(data: pd.DataFrame, outcome: str, predictors: str | Sequence[str], *,
                         school: str = "school_id", wave: str | None = None,
                         standardise: bool = True, level: float = 0.95) -> pd.DataFrame:
    r"""Pupil-level random-intercept model of a self-reported outcome (marks, plans).

    .. math::

        y_{ij} = \beta_0 + \sum_k \beta_k\,x_{kij} + \delta_{wave} + u_j + e_{ij},\qquad
        u_j \sim N(0, \tau^2),\ e_{ij} \sim N(0, \sigma^2)

    (REML, :func:`shnro_research.models.random_intercept`; pupils in schools). With
    ``standardise=True`` every predictor is a z-score across the pupils of the model, so a
    coefficient is the difference in the outcome per SD of the predictor. A binary (0/1)
    outcome such as ``plans_higher`` is fitted as a *linear probability model*: a coefficient
    is a difference in the probability (0--1) per SD; the normal errors are an approximation
    and fitted values may leave [0, 1] (a logistic GLMM, R ``glmer(family = binomial)``,
    would respect the bounds; its coefficients are log odds ratios instead).

    Parameters
    ----------
    data : DataFrame
        One row per pupil: ``outcome``, ``predictors``, ``school`` (and ``wave``).
    outcome : str
        E.g. ``marks_score`` or ``plans_higher`` of :func:`pupil_outcomes`.
    predictors : str or list of str
        Numeric columns, e.g. ``["tension", "motivation", "anxiety", "ses"]``.
    school : str
        School id column (the random intercept).
    wave : str, optional
        Wave column: wave fixed effects when given.
    standardise : bool
        z-score the predictors (default True).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``[outcome, term, model, note, est, se, ci_low, ci_high, df, n, statistic, p_value]``
        plus ``icc`` (share of the residual variance between schools) and ``n_schools``;
        ``model`` is ``"linear mixed"`` or ``"linear probability (mixed)"``; ``note`` says
        "association, not effect; ..." with the numbers of pupils and schools.

    References
    ----------
    Raudenbush S.W., Bryk A.S. (2002) *Hierarchical linear models*, 2nd ed., ch. 4.
    Angrist J.D., Pischke J.-S. (2009) *Mostly harmless econometrics*, ch. 3.1.3 (the linear
    probability model).

    Examples
    --------
    R: ``d[c("tension", "motivation", "anxiety", "ses")] <- scale(d[c(...)])``;
    ``m <- lme4::lmer(plans_higher ~ tension + motivation + anxiety + ses + factor(wave) +
    (1 | school_id), d)``; ``fixef(m); confint(m, method = "Wald")``.
    """
    predictors = as_list(predictors)
    if not predictors:
        raise ParameterError(f"'predictors' must name at least one column; got {predictors!r}")
    if not isinstance(standardise, bool):
        raise ParameterError(f"'standardise' must be True or False; got {standardise!r}")
    _z(level)
    cols = [outcome, school] + predictors + ([wave] if wave is not None else [])
    check_columns(data, cols, "data")
    d = data[cols].copy()
    for c in [outcome] + predictors:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d = d.dropna()
    if d.empty:
        raise DataError(f"data: no pupil with {outcome!r}, {predictors} and {school!r}")
    if standardise:
        for c in predictors:
            d[c] = _zscore(d[c])
    binary = set(np.unique(d[outcome])) <= {0.0, 1.0}
    d = d.rename(columns={wave: "wave"}) if wave is not None else d
    fe = " + C(wave)" if wave is not None and d["wave"].nunique() > 1 else ""
    m = random_intercept(d, f"{outcome} ~ {' + '.join(predictors)}{fe}", school=school,
                         level=level)
    g = d[school].nunique()
    kind = "linear probability (mixed)" if binary else "linear mixed"
    what = ("difference in probability per SD" if binary else "difference per SD") \
        if standardise else ("difference in probability per unit" if binary
                             else "difference per unit")
    note = (f"{ASSOCIATION}; {what}; {len(d)} pupils, {g} schools; REML random intercept "
            f"(pupils in schools){', wave fixed effects' if fe else ''}; Wald z intervals; "
            "no adjustment for multiple comparisons")
    out = m.tidy().assign(outcome=outcome, model=kind, n=len(d), n_schools=g, icc=m.icc,
                          note=note)
    first = ["outcome", "term", "model", "note", "icc", "n_schools"]
    return tidy(out[first + [c for c in out.columns if c not in first]])


# --------------------------------------------------------------------------------------------
# 4. change on change: school fixed effects
# --------------------------------------------------------------------------------------------
def _demean(d: pd.DataFrame, cols: list[str], school: str) -> pd.DataFrame:
    return d[cols] - d.groupby(school, sort=False)[cols].transform("mean")


@public
def change_on_change(panel: pd.DataFrame, outcome: str, measures: str | Sequence[str], *,
                     school: str = "school_id", wave: str = "wave",
                     wave_effects: bool = True, level: float = 0.95) -> pd.DataFrame:
    r"""School fixed-effects panel: do schools whose climate improved also improve results.

    The within (fixed-effects) estimator of

    .. math::

        y_{jt} = \alpha_j + \delta_t + \sum_m \beta_m\,x_{m,jt} + e_{jt}

    by OLS on within-school deviations from the school's own means (Frisch--Waugh--Lovell:
    the coefficients equal those of OLS with one dummy per school; the wave dummies
    :math:`\delta_t`, when ``wave_effects``, are demeaned with the other regressors).
    Standard errors are cluster-robust by school (CR1,
    :math:`c = \frac{G}{G-1}\frac{N-1}{N-K}` with K the regressors of the demeaned model,
    not counting the absorbed school effects, as Stata ``xtreg, fe vce(cluster)`` and R
    ``fixest`` ``ssc(fixef.K = "nested")``), t tests with G - 1 df. Schools observed in one
    wave only carry no within information and are dropped.

    What it can show: whether, within the same school, waves with a better climate go with
    better results -- every stable difference between schools (observed or not: intake,
    location, staff) and every change common to all schools (``wave_effects``) is held fixed.
    What it cannot show: that the climate change caused the results change -- changes that
    move both (a new head, a new intake), results shaping climate (reverse causation), and
    noise in small schools' climate changes (which biases the slope towards zero) all remain.
    With 2--3 waves the within variation is small; wide intervals are the honest answer.

    Parameters
    ----------
    panel : DataFrame
        One row per school x wave: ``outcome`` and the ``measures`` (e.g. the results joined
        to the wide shrunken climate of :func:`school_climate`).
    outcome : str
        Column of the results.
    measures : str or list of str
        Numeric climate columns.
    school, wave : str
        Columns of the school id and the wave (one row per school and wave).
    wave_effects : bool
        Include wave fixed effects (two-way FE; default True).
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``[term, note, n_schools, est, se, ci_low, ci_high, df, n, statistic, p_value]`` for
        each measure (and wave effect ``C(wave)[T.x]``); ``n`` school-waves used; ``note``
        states what the table can and cannot show.

    References
    ----------
    Wooldridge J.M. (2010) *Econometric analysis of cross section and panel data*, 2nd ed.,
    ch. 10.5 (the fixed-effects estimator). Cameron A.C., Miller D.L. (2015) A practitioner's
    guide to cluster-robust inference. *J. Human Resources* 50(2), 317--372.

    Examples
    --------
    R: ``fixest::feols(result ~ tension + motivation | school_id + wave, d,
    cluster = ~school_id, ssc = fixest::ssc(fixef.K = "nested"))``; or
    ``plm::plm(result ~ tension + factor(wave), d, index = c("school_id", "wave"),
    model = "within")`` with ``vcovHC(type = "sss", cluster = "group")``.
    """
    measures = as_list(measures)
    if not measures:
        raise ParameterError(f"'measures' must name at least one column; got {measures!r}")
    if not isinstance(wave_effects, bool):
        raise ParameterError(f"'wave_effects' must be True or False; got {wave_effects!r}")
    _z(level)
    check_columns(panel, [school, wave, outcome] + measures, "panel")
    d = panel[[school, wave, outcome] + measures].copy()
    for c in [outcome] + measures:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d = d.dropna()
    dup = d.duplicated([school, wave])
    if dup.any():
        r = d.loc[dup].iloc[0]
        raise DataError(f"panel: school {r[school]!r} has several rows in wave {r[wave]!r}; "
                        "give one row per school and wave")
    waves_per = d.groupby(school)[wave].transform("size")
    d = d[waves_per >= 2].reset_index(drop=True)
    g = d[school].nunique()
    if g < 2:
        raise DataError(f"panel: {g} school(s) observed in >= 2 waves; the within estimator "
                        "needs at least 2")
    xcols = list(measures)
    if wave_effects:
        waves = sorted(d[wave].unique())
        dummies = pd.DataFrame({f"C(wave)[T.{w}]": (d[wave] == w).astype(float)
                                for w in waves[1:]})
        d = pd.concat([d, dummies], axis=1)
        xcols += list(dummies.columns)
    names = {c: f"_x{i}" for i, c in enumerate(xcols)}
    w = _demean(d, [outcome] + xcols, school).rename(columns={outcome: "_y", **names})
    w["_school"] = d[school].to_numpy()
    const = [c for c in names.values() if np.allclose(w[c], 0)]
    if const:
        bad = [k for k, v in names.items() if v in const]
        raise DataError(f"panel: {bad} do not vary within any school; no within estimate")
    fit = ols(w, f"_y ~ {' + '.join(names.values())} - 1", cov="cluster", school="_school",
              level=level)
    out = fit.tidy()
    back = {v: k for k, v in names.items()}
    out["term"] = out["term"].map(back)
    note = (f"{ASSOCIATION}; within-school change of {outcome} with change of climate, "
            + ("school and wave fixed effects" if wave_effects else "school fixed effects"))
    note += (f"; {g} schools with >= 2 waves, {len(d)} school-waves; OLS on within-school "
             "deviations, CR1 school-clustered SEs, t with G-1 df, no multiplicity adjustment; "
             "holds fixed stable school differences"
             + (" and common wave shocks" if wave_effects else "")
             + "; cannot rule out time-varying confounders, reverse causation or attenuation "
             "by noisy climate changes")
    out = out.assign(note=note, n_schools=g, n=len(d))
    first = ["term", "note", "n_schools"]
    return tidy(out[first + [c for c in out.columns if c not in first]])
