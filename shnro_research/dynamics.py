"""Dynamics between waves: change of design-based estimates, effect sizes, value hierarchies.

The study is a set of **repeated cross-sections**: in every wave a new sample of students,
parents and teachers is drawn in the same schools. This module compares the waves:

* :func:`wave_change` -- difference of two design-based estimates (one per wave) for each
  domain (school x group x variable), its SE, CI, test, p-value adjusted for multiple
  comparisons (:func:`p_adjust`, as R ``p.adjust``), the minimum detectable change (MDC) and a
  positive / negative / no-change classification; :func:`design_wave_change` does the same
  from a survey design, with the covariance of the waves;
* :func:`hedges_g`, :func:`cliff_delta`, :func:`cramers_v` and the table version
  :func:`wave_effect_sizes` -- effect sizes of the change on respondent-level data;
* :func:`hierarchy_change` -- agreement of a group's value hierarchy (e.g. Rokeach mean ranks)
  between waves (Spearman and Kendall rank correlations);
* :func:`classification_summary` -- how many domains changed for the better / worse;
* :func:`trend_table`, :func:`plot_trend` and :func:`plot_change` -- monitoring table and figures
  (estimates with CI bands per wave; a forest plot of the changes coloured by classification).
  Figures are returned as :class:`matplotlib.figure.Figure` (no pyplot state, Agg-safe); the
  caller saves them.

CLI: ``shnro dynamics --estimates FILE --out DIR`` (:func:`add_dynamics_arguments`,
:func:`cli_dynamics`).

Independence of waves
---------------------
Respondents of two waves are different people drawn independently, so the covariance of two
wave estimates is taken as zero and ``SE_diff = sqrt(se_1**2 + se_2**2)``. This is exact when
schools are strata (every school of the municipality takes part) and respondents are sampled
anew within them; when the *same* PSUs (schools) are a sample of schools re-used in both waves,
the between-school part of the covariance is positive and the formula is conservative (SE too
large, tests err on the side of "no change"). When the waves are domains of one design that
re-uses the same PSUs, :func:`design_wave_change` linearises the difference and gives its
design-based SE with the covariance (as R ``svycontrast(svyby(..., covmat = TRUE))``); any other
SE of the difference can be supplied through the ``se_diff`` column (see :func:`wave_change`).
"""
from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import (
    TIDY_COLUMNS, DataError, ParameterError, as_list, check_columns, check_number, check_option,
)
from ._stats import P_ADJUST_METHODS, cramers_v_table, p_adjust  # noqa: F401  (re-exported)

CLASSES = ("positive", "negative", "no change", "no data")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------

def _order_columns(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Keys first, then the tidy vocabulary, then every other column (in their order)."""
    keys = [k for k in keys if k in df.columns]
    vocab = [c for c in TIDY_COLUMNS if c in df.columns and c not in keys]
    rest = [c for c in df.columns if c not in keys and c not in vocab]
    return df[keys + vocab + rest].reset_index(drop=True)


def _check_conf_level(conf_level: float) -> float:
    check_number(conf_level, "conf_level", low=0.5, high=1, high_inclusive=False)
    return float(conf_level)


def _finite_1d(x: Any, name: str) -> np.ndarray:
    """A 1-d float array without missing values (missing values are dropped, i.e. listwise)."""
    try:
        arr = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name!r} must be numeric; {exc}") from None
    arr = arr[np.isfinite(arr)]
    return arr


def _sorted_waves(values: Sequence[Any]) -> list[Any]:
    uniq = pd.unique(pd.Series(list(values)).dropna())
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _wave_pairs(waves: Sequence[Any], base: Any, compare: Any, consecutive: bool) -> list[tuple]:
    """The (base, compare) wave pairs to contrast."""
    waves = _sorted_waves(waves)
    if len(waves) < 2 and base is None:
        raise DataError(f"at least two waves are needed to measure change; found {waves}")
    if consecutive:
        if base is not None or compare is not None:
            raise ParameterError("'consecutive=True' cannot be combined with 'base' or 'compare'")
        return list(zip(waves[:-1], waves[1:]))
    if base is None:
        base = waves[0]
    elif base not in waves:
        raise ParameterError(f"'base' must be one of the waves {waves}; got {base!r}")
    if compare is None:
        comp = [w for w in waves if w != base and (_lt(base, w))]
        if not comp:
            comp = [w for w in waves if w != base]
    else:
        comp = as_list(compare) if isinstance(compare, (str, list, tuple)) else [compare]
        bad = [c for c in comp if c not in waves]
        if bad:
            raise ParameterError(f"'compare' must be among the waves {waves}; got {bad}")
        if base in comp:
            raise ParameterError(f"'compare' must differ from 'base' ({base!r})")
    return [(base, c) for c in comp]


def _t_ppf(q: float, df: np.ndarray) -> np.ndarray:
    """Student t quantile for an array of df (computed once per distinct df: fast at 1e6 rows);
    non-finite or non-positive df give the normal quantile."""
    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, stats.norm.ppf(q))
    ok = np.isfinite(df) & (df > 0)
    if ok.any():
        uniq, inv = np.unique(df[ok], return_inverse=True)
        out[ok] = stats.t.ppf(q, uniq)[inv]
    return out


def _lt(a: Any, b: Any) -> bool:
    try:
        return bool(a < b)
    except TypeError:
        return str(a) < str(b)


# --------------------------------------------------------------------------------------------
# change between waves
# --------------------------------------------------------------------------------------------

def minimum_detectable_change(se_diff: Any, alpha: float = 0.05, power: float = 0.8,
                              df: Any = None) -> np.ndarray:
    """Minimum detectable change of a two-sided test: ``(q_{1-alpha/2} + q_{power}) * SE_diff``.

    ``q`` are standard normal quantiles, or Student t quantiles with ``df`` degrees of freedom
    when ``df`` is given (NaN df falls back to the normal).

    Examples
    --------
    >>> float(minimum_detectable_change(1.0))  # (1.959964 + 0.841621) * 1
    2.801585...

    R equivalent: ``(qnorm(0.975) + qnorm(0.8)) * se_diff``.
    """
    check_number(alpha, "alpha", low=0, high=1, low_inclusive=False, high_inclusive=False)
    check_number(power, "power", low=0, high=1, low_inclusive=False, high_inclusive=False)
    se = np.asarray(se_diff, dtype=float)
    if df is None:
        mult = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
        return mult * se
    d = np.broadcast_to(np.asarray(df, dtype=float), se.shape)
    return (_t_ppf(1 - alpha / 2, d) + _t_ppf(power, d)) * se


def wave_change(estimates: pd.DataFrame, *, by: str | Sequence[str] | None = ("school_id", "group"),
                wave: str = "wave", base: Any = None, compare: Any = None,
                consecutive: bool = False,
                variable: str | Sequence[str] | None = ("variable", "level"),
                est: str = "est", se: str = "se", df: str | None = "df",
                test: str = "auto", df_rule: str = "welch", conf_level: float = 0.95,
                adjust: str = "holm", family: str | Sequence[str] | None = None,
                alpha: float = 0.05, power: float = 0.8,
                min_change: float | Mapping[str, float] = 0.0,
                better: str | Mapping[str, str] = "higher") -> pd.DataFrame:
    """Change of design-based estimates between waves of repeated cross-sections.

    For every domain (the ``by`` columns, plus ``variable`` when that column exists) and every
    pair of waves (``base`` -> ``compare``) the difference ``est_compare - est_base`` is tested.

    Parameters
    ----------
    estimates : DataFrame
        Tidy estimates, one row per domain x wave, with columns ``by``, ``wave``, ``est``, ``se``
        and optionally ``df`` (design degrees of freedom), ``n`` and ``se_diff`` (a design-based
        SE of the difference, used instead of the independence formula when present on the
        ``compare`` row). Output of ``shnro_research.design.estimate_by`` fits directly.
    by : str or list of str
        Domain columns (default ``["school_id", "group"]``; ``None`` or ``[]`` for one domain).
    wave : str
        Wave column (years or labels; sorted to define "earlier").
    base, compare : wave value(s), optional
        Base wave (default: the earliest) and wave(s) compared with it (default: every later
        wave). ``consecutive=True`` contrasts each wave with the previous one instead.
    variable : str or list of str
        Column(s) naming the estimated quantity (default ``("variable", "level")`` as returned by
        ``design.estimate_by``: level = category of a proportion); added to the domain keys
        when present. ``better`` and ``min_change`` mappings are looked up by the first of them.
    test : {"auto", "z", "t"}
        Reference distribution: ``"t"`` with Welch--Satterthwaite df
        ``(se1^2 + se2^2)^2 / (se1^4/df1 + se2^4/df2)`` from the ``df`` column, ``"z"`` normal;
        ``"auto"`` uses t when a ``df`` column with finite values exists, else z.
    df_rule : {"welch", "min"}
        Degrees of freedom of the t test: Welch--Satterthwaite (estimates of two waves from
        separate designs) or ``min(df_base, df_compare)`` (conservative; use it when both
        estimates come from one design spanning the waves, whose df = PSUs - strata is the
        upper bound).
    conf_level : float
        Confidence level of the CI of the difference.
    adjust : {"holm", "BH", "hochberg", "bonferroni", "BY", "none"}
        Multiple-comparison adjustment of the p-values (as R ``p.adjust``) within each family.
    family : str or list of str, optional
        Columns defining the families of tests adjusted together (default: all rows form one
        family). E.g. ``family=["variable", "wave_base", "wave_compare"]``.
    alpha : float
        Significance level applied to the adjusted p-values for the classification and the MDC.
    power : float
        Power of the minimum detectable change ``mdc = (q_{1-alpha/2} + q_power) * se``.
        The MDC uses the unadjusted ``alpha``.
    min_change : float or mapping variable -> float
        Minimum substantive change: a significant difference smaller than this in absolute
        value is classified "no change".
    better : {"higher", "lower"} or mapping variable -> direction
        Which direction is an improvement (e.g. ``{"tension": "lower"}``).

    Returns
    -------
    DataFrame
        Keys (``by``, ``variable``, ``wave_base``, ``wave_compare``), then ``est`` (difference),
        ``se``, ``ci_low``, ``ci_high``, ``df``, ``n`` (respondents in both waves when an ``n``
        column exists), ``statistic`` (z or t), ``p_value``, then ``p_adjusted``, ``mdc``,
        ``est_base``, ``est_compare``, ``se_base``, ``se_compare``, ``direction``
        ("increase"/"decrease"/"none") and ``classification`` ("positive"/"negative"/
        "no change"/"no data": a domain missing in one wave or with a missing SE).

    Notes
    -----
    ``SE_diff = sqrt(se_base^2 + se_compare^2)`` (independent samples of the two waves; see the
    module docstring for when this is conservative). Missing-data rule: a domain absent from one
    of the two waves gives a row with NaN statistics and classification "no data"; it takes no
    part in the multiple-comparison adjustment.

    Examples
    --------
    >>> est = pd.DataFrame({"school_id": [1, 1], "group": ["students"] * 2,
    ...                     "wave": [2022, 2024], "est": [3.0, 3.4], "se": [0.1, 0.1]})
    >>> wave_change(est)[["est", "se", "p_value"]].round(4)
       est      se  p_value
    0  0.4  0.1414   0.0047

    R equivalent: ``d <- e2 - e1; s <- sqrt(se1^2 + se2^2); 2 * pnorm(-abs(d / s))`` followed
    by ``p.adjust(p, "holm")``; with the survey package, ``svyby(~y, ~wave, des, svymean)`` and
    ``svycontrast``.
    """
    if not isinstance(estimates, pd.DataFrame):
        raise ParameterError(f"'estimates' must be a pandas DataFrame; got {type(estimates).__name__}")
    by = as_list(by)
    keys = list(by)
    id_cols = [c for c in as_list(variable) if c in estimates.columns and c not in keys]
    keys += id_cols
    variable = id_cols[0] if id_cols else None
    check_columns(estimates, keys + [wave, est, se], "estimates")
    check_option(test, "test", ("auto", "z", "t"))
    check_option(df_rule, "df_rule", ("welch", "min"))
    check_option(adjust, "adjust", P_ADJUST_METHODS)
    conf_level = _check_conf_level(conf_level)
    check_number(alpha, "alpha", low=0, high=1, low_inclusive=False, high_inclusive=False)
    better_map = _per_variable(better, "better", ("higher", "lower"))
    min_map = _per_variable(min_change, "min_change", None)
    family = as_list(family)

    data = estimates.copy()
    for c in (est, se):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise DataError(f"estimates: column {c!r} must be numeric; got dtype {data[c].dtype}")
    if (data[se] < 0).any():
        bad = data.loc[data[se] < 0, se].iloc[0]
        raise DataError(f"estimates: column {se!r} has negative standard errors (e.g. {bad})")
    dup = data.duplicated(keys + [wave], keep=False)
    if dup.any():
        row = data.loc[dup, keys + [wave]].iloc[0].to_dict()
        raise DataError(f"estimates: more than one row per domain and wave, e.g. {row}; "
                        f"add the distinguishing column to 'by'")
    has_df = df is not None and df in data.columns and np.isfinite(
        pd.to_numeric(data[df], errors="coerce")).any()
    if test == "t" and not has_df:
        raise ParameterError(f"test='t' needs a degrees-of-freedom column {df!r} in 'estimates'")
    use_t = test == "t" or (test == "auto" and has_df)
    has_n = "n" in data.columns
    has_sed = "se_diff" in data.columns

    pairs = _wave_pairs(data[wave].tolist(), base, compare, consecutive)
    cols = [est, se] + ([df] if has_df else []) + (["n"] if has_n else []) + (["se_diff"] if has_sed else [])
    pieces = []
    for b, c in pairs:
        left = data.loc[data[wave] == b, keys + cols]
        right = data.loc[data[wave] == c, keys + cols]
        if keys:
            m = left.merge(right, on=keys, how="outer", suffixes=("_base", "_compare"))
        else:
            m = pd.concat([left.add_suffix("_base").reset_index(drop=True),
                           right.add_suffix("_compare").reset_index(drop=True)], axis=1)
        m.insert(len(keys), "wave_base", b)
        m.insert(len(keys) + 1, "wave_compare", c)
        pieces.append(m)
    out = pd.concat(pieces, ignore_index=True)

    e1, e2 = out[f"{est}_base"].to_numpy(float), out[f"{est}_compare"].to_numpy(float)
    s1, s2 = out[f"{se}_base"].to_numpy(float), out[f"{se}_compare"].to_numpy(float)
    diff = e2 - e1
    sed = np.sqrt(s1 ** 2 + s2 ** 2)
    if has_sed:
        given = out["se_diff_compare"].to_numpy(float)
        sed = np.where(np.isfinite(given), given, sed)
    if use_t:
        d1 = pd.to_numeric(out[f"{df}_base"], errors="coerce").to_numpy(float)
        d2 = pd.to_numeric(out[f"{df}_compare"], errors="coerce").to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if df_rule == "welch":
                dfw = (s1 ** 2 + s2 ** 2) ** 2 / (s1 ** 4 / d1 + s2 ** 4 / d2)
            else:
                dfw = np.fmin(d1, d2)
        dfw = np.where(np.isfinite(dfw) & (dfw > 0), dfw, np.nan)
    else:
        dfw = np.full(diff.shape, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = diff / sed
        stat = np.where(sed > 0, stat, np.nan)
        finite_df = np.isfinite(dfw)
        q = _t_ppf(0.5 + conf_level / 2, dfw)
        pval = 2 * stats.norm.sf(np.abs(stat))
        if finite_df.any():
            pval[finite_df] = 2 * stats.t.sf(np.abs(stat[finite_df]), dfw[finite_df])
    if use_t:
        # a missing df when test='t' is a missing value, not a normal approximation
        q = np.where(finite_df, q, np.nan)
        pval = np.where(finite_df, pval, np.nan)
    pval = np.where(np.isfinite(stat), pval, np.nan)

    out["est"] = diff
    out["se"] = sed
    out["ci_low"] = diff - q * sed
    out["ci_high"] = diff + q * sed
    out["df"] = np.where(np.isfinite(dfw), dfw, np.nan)  # NaN = normal reference (z test)
    if has_n:
        out["n"] = (out["n_base"].fillna(0) + out["n_compare"].fillna(0)).astype("int64")
    out["statistic"] = stat
    out["p_value"] = pval

    # multiple comparisons within families
    padj = np.full(len(out), np.nan)
    if family:
        check_columns(out, family, "wave_change result (family)")
        for _, idx in out.groupby(family, dropna=False, sort=False).indices.items():
            padj[idx] = p_adjust(pval[idx], adjust)
    else:
        padj = p_adjust(pval, adjust)
    out["p_adjusted"] = padj
    out["mdc"] = minimum_detectable_change(sed, alpha, power, dfw if use_t else None)

    var_values = out[variable] if (variable is not None and variable in out.columns) else None
    better_col = _lookup(better_map, var_values, len(out))
    min_col = _lookup(min_map, var_values, len(out)).astype(float)
    # integer codes -> categoricals (fast and compact at national scale)
    dcode = np.where(diff > 0, 0, np.where(diff < 0, 1, 2))
    with np.errstate(invalid="ignore"):
        sig = (padj < alpha) & (np.abs(diff) >= min_col)
    good = ((better_col == "higher") & (diff > 0)) | ((better_col == "lower") & (diff < 0))
    ccode = np.where(sig, np.where(good, 0, 1), 2)
    ccode[np.isnan(padj)] = 3
    out["direction"] = pd.Categorical.from_codes(dcode, categories=["increase", "decrease", "none"])
    out["classification"] = pd.Categorical.from_codes(ccode, categories=list(CLASSES))
    out = out.rename(columns={f"{est}_base": "est_base", f"{est}_compare": "est_compare",
                              f"{se}_base": "se_base", f"{se}_compare": "se_compare"})
    drop = [c for c in out.columns if c.endswith("_base") or c.endswith("_compare")]
    keep_extra = {"est_base", "est_compare", "se_base", "se_compare", "wave_base", "wave_compare"}
    out = out.drop(columns=[c for c in drop if c not in keep_extra])
    extra = ["p_adjusted", "mdc", "est_base", "est_compare", "se_base", "se_compare",
             "direction", "classification"]
    ordered = _order_columns(out, keys + ["wave_base", "wave_compare"])
    vocab = [c for c in ordered.columns if c not in extra]
    return ordered[vocab + extra]


def _lookup(spec: tuple[dict, Any], values: pd.Series | None, n: int) -> np.ndarray:
    """Vectorised look-up of a per-variable setting (``spec`` from :func:`_per_variable`)."""
    table, default = spec
    if values is None or not table:
        return np.full(n, default, dtype=object)
    return values.map(table).where(values.isin(list(table)), default).to_numpy(dtype=object)


def design_wave_change(design: Any, variables: str | Sequence[str], *,
                       by: str | Sequence[str] | None = None, wave: str = "wave",
                       base: Any = None, compare: Any = None, consecutive: bool = False,
                       **kwargs: Any) -> pd.DataFrame:
    """Change between waves with a design-based SE that allows for PSUs shared by the waves.

    When the waves are domains of ONE design whose PSUs (e.g. classes or schools) are surveyed
    in several waves, the wave means are correlated and ``sqrt(se1^2 + se2^2)`` is wrong
    (usually too large). Here the difference of the two domain means is linearised,

    ``z_i = 1[i in (d, c)] (y_i - ybar_dc) / N_dc - 1[i in (d, b)] (y_i - ybar_db) / N_db``,

    and its variance is the design variance of the total of ``z`` (Taylor linearisation,
    :func:`shnro_research.design.svy_total`), exactly what R's
    ``svycontrast(svyby(..., covmat = TRUE), c(-1, 1))`` computes. The result is passed to
    :func:`wave_change` through the ``se_diff`` column, so the output, the test, the multiple
    comparison control and the classification are those of :func:`wave_change`.

    Parameters
    ----------
    design : shnro_research.design.SurveyDesign
        A Taylor-linearisation design holding all waves (replicate designs are not supported).
    variables : str or list of str
        Numeric variables (missing values are left out of their domain: ``missing="available"``).
    by : str or list of str, optional
        Domain columns besides the wave (e.g. ``["school_id", "group"]``).
    wave, base, compare, consecutive
        As in :func:`wave_change`.
    **kwargs
        Passed to :func:`wave_change` (``adjust``, ``family``, ``alpha``, ``better``, ...).
        The test uses the design degrees of freedom (#PSU - #strata) with ``df_rule="min"``.

    Returns
    -------
    DataFrame
        As :func:`wave_change`; ``se`` is the design-based SE of the difference and
        ``se_independent`` the independence formula, for comparison.

    Examples
    --------
    >>> des = survey_design(data, ids="class_id", strata="stratum", weights="w")  # doctest: +SKIP
    >>> design_wave_change(des, "tension", by="stratum")                          # doctest: +SKIP

    R equivalent::

        b <- svyby(~y, ~stratum + wave, des, svymean, covmat = TRUE)
        svycontrast(b, list(city = c(-1, 0, 1, 0)))
    """
    import dataclasses
    from .design import SurveyDesign, svy_mean, svy_total
    if not isinstance(design, SurveyDesign):
        raise ParameterError("'design' must be a SurveyDesign (Taylor linearisation); got "
                             f"{type(design).__name__}")
    by = as_list(by)
    variables = as_list(variables)
    data = design.data
    check_columns(data, by + [wave] + variables, "design data")
    for v in variables:
        if not pd.api.types.is_numeric_dtype(data[v]):
            raise DataError(f"design data: column {v!r} must be numeric; got dtype {data[v].dtype}")
    pairs = _wave_pairs(data[wave].tolist(), base, compare, consecutive)
    est = svy_mean(design, variables, by=by + [wave], ci="t")
    w = design.weights
    dom_codes = (data.groupby(by, dropna=False, sort=False).ngroup().to_numpy()
                 if by else np.zeros(len(data), dtype=int))
    frames = []
    for b, c in pairs:
        zcols = {}
        for v in variables:
            y = data[v].to_numpy(float)
            ok = np.isfinite(y)
            z = np.zeros(len(data))
            for wv, sign in ((c, 1.0), (b, -1.0)):
                sel = ok & (data[wave].to_numpy() == wv)
                W = np.bincount(dom_codes[sel], weights=w[sel], minlength=dom_codes.max() + 1)
                Y = np.bincount(dom_codes[sel], weights=w[sel] * y[sel], minlength=dom_codes.max() + 1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    mean = Y / W
                    z[sel] = sign * (y[sel] - mean[dom_codes[sel]]) / W[dom_codes[sel]]
            zcols[f"_z_{v}"] = z
        des_z = dataclasses.replace(design, data=data.assign(**zcols))
        tot = svy_total(des_z, list(zcols), by=by or None, ci="t")
        tot["variable"] = tot["variable"].str.slice(3)
        sed = tot[["variable"] + by + ["se"]].rename(columns={"se": "se_diff"}).assign(**{wave: c})
        e = est[est[wave].isin([b, c])].merge(sed, on=["variable"] + by + [wave], how="left")
        kw = dict(kwargs)
        kw.setdefault("df_rule", "min")
        r = wave_change(e, by=by, wave=wave, base=b, compare=[c], variable="variable", **kw)
        frames.append(r)
    out = pd.concat(frames, ignore_index=True)
    out.insert(list(out.columns).index("se_compare") + 1, "se_independent",
               np.sqrt(out["se_base"] ** 2 + out["se_compare"] ** 2))
    return out


def _per_variable(value: Any, name: str, options: Sequence[str] | None) -> tuple[dict, Any]:
    """Turn a scalar or a {variable: value} mapping into (mapping, default) after checking."""
    def check(v: Any) -> Any:
        if options is not None:
            check_option(v, name, options)
        else:
            check_number(v, name, low=0)
        return v
    if isinstance(value, Mapping):
        default = value.get("default", "higher" if options is not None else 0.0)
        checked = {k: check(v) for k, v in value.items() if k != "default"}
        check(default)
        return checked, default
    check(value)
    return {}, value


def classification_summary(changes: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Count and share of domains per classification (positive / negative / no change / no data).

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`wave_change`.
    by : str or list of str, optional
        Columns to tabulate within (e.g. ``["variable", "wave_compare"]``).

    Returns
    -------
    DataFrame
        ``by``, ``classification``, ``n`` and ``share`` (of the domains with data, in %).

    Examples
    --------
    R equivalent: ``prop.table(table(res$classification))``.
    """
    check_columns(changes, ["classification"] + as_list(by), "changes")
    by = as_list(by)
    changes = changes.assign(classification=changes["classification"].astype(str))
    counts = (changes.groupby(by + ["classification"], dropna=False).size()
              .rename("n").reset_index()) if by else (
        changes["classification"].value_counts().rename_axis("classification").rename("n").reset_index())
    with_data = counts[counts["classification"] != "no data"]
    totals = with_data.groupby(by)["n"].transform("sum") if by else with_data["n"].sum()
    counts["share"] = np.nan
    counts.loc[with_data.index, "share"] = 100 * with_data["n"] / totals
    return counts


# --------------------------------------------------------------------------------------------
# effect sizes on respondent-level data
# --------------------------------------------------------------------------------------------

def hedges_g(x: Any, y: Any, conf_level: float = 0.95) -> dict[str, float]:
    """Hedges' g of ``x`` (later wave) versus ``y`` (base wave), with SE and CI as R effsize.

    Parameters
    ----------
    x, y : array-like
        Respondent values of the compared and the base wave; missing values are dropped.
    conf_level : float
        Confidence level.

    Returns
    -------
    dict
        ``est`` (g), ``se``, ``ci_low``, ``ci_high``, ``df`` (n1 + n2 - 2), ``n`` (n1 + n2),
        ``d`` (Cohen's d before correction) and ``J``.

    Notes
    -----
    ``d = (mean_x - mean_y) / s_p`` with the pooled SD
    ``s_p = sqrt(((n1-1) s1^2 + (n2-1) s2^2) / (n1+n2-2))``; small-sample correction
    ``J = 1 - 3 / (4 (n1+n2) - 9)`` (Hedges & Olkin 1985), ``g = J d``;
    ``SE = J sqrt((n1+n2)/(n1 n2) + g^2 / (2 (n1+n2)))`` (Grissom & Kim 2005, eq. 3.13, as
    effsize 0.8 evaluates it, with the corrected g); CI ``g +- t_{1-a/2, n1+n2-2} SE``.

    Examples
    --------
    R equivalent: ``effsize::cohen.d(x, y, hedges.correction = TRUE)``.
    """
    conf_level = _check_conf_level(conf_level)
    x, y = _finite_1d(x, "x"), _finite_1d(y, "y")
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        raise DataError(f"Hedges' g needs at least 2 values in each wave; got {n1} and {n2}")
    s1, s2 = x.var(ddof=1), y.var(ddof=1)
    dfree = n1 + n2 - 2
    sp = np.sqrt(((n1 - 1) * s1 + (n2 - 1) * s2) / dfree)
    if sp == 0:
        raise DataError("Hedges' g is undefined: both waves have zero variance")
    d = (x.mean() - y.mean()) / sp
    J = 1 - 3 / (4 * (n1 + n2) - 9)
    g = d * J
    se = np.sqrt((n1 + n2) / (n1 * n2) + 0.5 * g ** 2 / (n1 + n2)) * J
    q = stats.t.ppf(0.5 + conf_level / 2, dfree)
    return {"est": float(g), "se": float(se), "ci_low": float(g - q * se),
            "ci_high": float(g + q * se), "df": float(dfree), "n": int(n1 + n2),
            "d": float(d), "J": float(J)}


def cliff_delta(x: Any, y: Any, conf_level: float = 0.95) -> dict[str, float]:
    """Cliff's delta of ``x`` (later wave) versus ``y`` (base wave), with its CI, as R effsize.

    ``delta = P(X > Y) - P(X < Y)``, computed in O(n log n) from sorted values (no n1 x n2
    dominance matrix), so it scales to national samples.

    Parameters
    ----------
    x, y : array-like
        Respondent values (ordinal or numeric); missing values are dropped.
    conf_level : float
        Confidence level.

    Returns
    -------
    dict
        ``est`` (delta), ``se`` (square root of the unbiased variance), ``ci_low``, ``ci_high``,
        ``df`` (n1 + n2 - 2), ``n``.

    Notes
    -----
    Unbiased variance (Cliff 1996; effsize ``use.unbiased = TRUE``):
    ``S = (n2^2 sum(d_i. - d)^2 + n1^2 sum(d_.j - d)^2 - sum_ij(d_ij - d)^2) /
    (n1 n2 (n1-1)(n2-1))`` where ``d_i.`` and ``d_.j`` are row and column means of the
    dominance matrix ``d_ij = sign(x_i - y_j)``; asymmetric CI (Feng & Cliff 2004) with
    ``Z = t_{1-a/2, n1+n2-2}``:
    ``(d - d^3 -+ Z sqrt(S) sqrt((1-d^2)^2 + Z^2 S)) / (1 - d^2 + Z^2 S)``.
    When the samples are disjoint (|delta| = 1) ``d`` in the variance is rescaled by
    ``(n1 n2 - 1)/(n1 n2)`` and the CI bound at +-1 is set to +-1, as effsize does.

    Examples
    --------
    R equivalent: ``effsize::cliff.delta(x, y)``.
    """
    conf_level = _check_conf_level(conf_level)
    x, y = np.sort(_finite_1d(x, "x")), np.sort(_finite_1d(y, "y"))
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        raise DataError(f"Cliff's delta needs at least 2 values in each wave; got {n1} and {n2}")
    # for each x_i: number of y below and above
    y_below = np.searchsorted(y, x, side="left")
    y_above = n2 - np.searchsorted(y, x, side="right")
    d_i = (y_below - y_above) / n2
    x_below = np.searchsorted(x, y, side="left")
    x_above = n1 - np.searchsorted(x, y, side="right")
    d_j = (x_above - x_below) / n1
    pb = float(y_below.sum())    # pairs with x > y
    pa = float(y_above.sum())    # pairs with x < y
    nn = float(n1) * n2
    d = (pb - pa) / nn
    dd = d * (nn - 1) / nn if abs(d) == 1 else d
    ssr = pb * (1 - dd) ** 2 + (nn - pa - pb) * dd ** 2 + pa * (1 + dd) ** 2
    var = (n2 ** 2 * np.sum((d_i - dd) ** 2) + n1 ** 2 * np.sum((d_j - dd) ** 2) - ssr) / (
        nn * (n1 - 1) * (n2 - 1))
    var = max(var, 0.0)
    z = stats.t.ppf(0.5 + conf_level / 2, n1 + n2 - 2)
    root = z * np.sqrt(var) * np.sqrt((1 - dd ** 2) ** 2 + z ** 2 * var)
    den = 1 - dd ** 2 + z ** 2 * var
    lo, hi = (dd - dd ** 3 - root) / den, (dd - dd ** 3 + root) / den
    if d == 1:
        hi = 1.0
    if d == -1:
        lo = -1.0
    return {"est": float(d), "se": float(np.sqrt(var)), "ci_low": float(lo), "ci_high": float(hi),
            "df": float(n1 + n2 - 2), "n": int(n1 + n2)}


def cramers_v(data: pd.DataFrame, column: str, *, wave: str = "wave",
              waves: Sequence[Any] | None = None) -> dict[str, float]:
    """Cramér's V of the association between wave and a categorical answer distribution.

    Parameters
    ----------
    data : DataFrame
        Respondent-level data with ``wave`` and the categorical ``column``; rows with a missing
        value in either are dropped; categories with no respondent in any wave are ignored.
    column : str
        Categorical variable (codes or labels).
    wave : str
        Wave column.
    waves : list, optional
        The waves to compare (default: all).

    Returns
    -------
    dict
        ``est`` (V), ``statistic`` (Pearson chi-square without continuity correction), ``df``
        ((r-1)(c-1)), ``p_value``, ``n``.

    Notes
    -----
    ``V = sqrt(chi2 / (n (min(r, c) - 1)))``. Unweighted: a descriptive effect size; the
    design-based test of change of a share is :func:`wave_change` on design-based estimates.

    Examples
    --------
    R equivalent: ``ch <- chisq.test(table(d$wave, d$x), correct = FALSE);
    sqrt(ch$statistic / (sum(ch$observed) * (min(dim(ch$observed)) - 1)))``.
    """
    check_columns(data, [wave, column], "data")
    d = data[[wave, column]].dropna()
    if waves is not None:
        d = d[d[wave].isin(list(waves))]
    tab = pd.crosstab(d[wave], d[column])
    tab = tab.loc[tab.sum(axis=1) > 0, tab.sum(axis=0) > 0]
    r, c = tab.shape
    if r < 2 or c < 2:
        raise DataError(f"Cramér's V needs >= 2 waves and >= 2 categories of {column!r} with "
                        f"answers; got a {r} x {c} table")
    return cramers_v_table(tab)


def wave_effect_sizes(data: pd.DataFrame, value: str, *, by: str | Sequence[str] | None = None,
                      wave: str = "wave", base: Any = None, compare: Any = None,
                      consecutive: bool = False, measure: str = "hedges_g",
                      conf_level: float = 0.95, min_n: int = 2) -> pd.DataFrame:
    """Effect size of the change between waves for every domain, on respondent-level data.

    Parameters
    ----------
    data : DataFrame
        One row per respondent with ``by``, ``wave`` and ``value``.
    value : str
        Scale score (``hedges_g``, ``cliff_delta``) or categorical answer (``cramers_v``).
    by : str or list of str, optional
        Domain columns (e.g. ``["school_id", "group"]``).
    wave, base, compare, consecutive
        As in :func:`wave_change`.
    measure : {"hedges_g", "cliff_delta", "cramers_v"}
        Effect size (positive g / delta = higher values in the later wave).
    min_n : int
        Minimum number of valid values per wave; smaller domains give NaN with a note.

    Returns
    -------
    DataFrame
        ``by``, ``wave_base``, ``wave_compare``, ``measure``, then ``est``, ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``n`` (``statistic``, ``p_value`` for V) and ``note``.

    Examples
    --------
    R equivalent: per domain ``effsize::cohen.d(x2, x1, hedges.correction = TRUE)``,
    ``effsize::cliff.delta(x2, x1)`` or the ``chisq.test`` based V.
    """
    check_option(measure, "measure", ("hedges_g", "cliff_delta", "cramers_v"))
    by = as_list(by)
    check_columns(data, by + [wave, value], "data")
    check_number(min_n, "min_n", low=2, integer=True)
    if measure != "cramers_v" and not pd.api.types.is_numeric_dtype(data[value]):
        raise DataError(f"data: column {value!r} must be numeric for {measure}; "
                        f"got dtype {data[value].dtype}")
    pairs = _wave_pairs(data[wave].tolist(), base, compare, consecutive)
    rows = []
    groups = data.groupby(by, dropna=False, sort=True) if by else [((), data)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        per_wave = {w: gw[value] for w, gw in g.groupby(wave)}
        for b, c in pairs:
            row = dict(zip(by, key))
            row.update(wave_base=b, wave_compare=c, measure=measure)
            yb = per_wave.get(b, pd.Series(dtype=float)).dropna()
            xc = per_wave.get(c, pd.Series(dtype=float)).dropna()
            if len(yb) < min_n or len(xc) < min_n:
                row.update(est=np.nan, n=int(len(yb) + len(xc)),
                           note=f"fewer than {min_n} valid values in a wave "
                                f"({len(yb)} in {b}, {len(xc)} in {c})")
                rows.append(row)
                continue
            try:
                if measure == "hedges_g":
                    res = hedges_g(xc, yb, conf_level)
                    res.pop("d"), res.pop("J")
                elif measure == "cliff_delta":
                    res = cliff_delta(xc, yb, conf_level)
                else:
                    sub = g[g[wave].isin([b, c])]
                    res = cramers_v(sub, value, wave=wave)
                row.update(res, note="")
            except DataError as exc:
                row.update(est=np.nan, n=int(len(yb) + len(xc)), note=str(exc))
            rows.append(row)
    out = pd.DataFrame(rows)
    return _order_columns(out, by + ["wave_base", "wave_compare", "measure"])


# --------------------------------------------------------------------------------------------
# value hierarchies
# --------------------------------------------------------------------------------------------

def hierarchy_change(scores: pd.DataFrame, *, item: str = "value", score: str = "mean_rank",
                     by: str | Sequence[str] | None = "group", wave: str = "wave",
                     base: Any = None, compare: Any = None, consecutive: bool = False) -> pd.DataFrame:
    """Stability of value hierarchies between waves: Spearman and Kendall rank correlations.

    The hierarchy of a domain in a wave is the vector of ``score`` over the ``item`` values
    (e.g. Rokeach mean ranks of 18 terminal values, or PVQ centred means). Several rows per
    domain x wave x item (e.g. respondent-level ranks in long format) are averaged first.
    Items present in both waves enter the correlation.

    Parameters
    ----------
    scores : DataFrame
        Long table with ``by``, ``wave``, ``item`` and ``score``.
    item, score : str
        Item (value) and score (mean rank, mean) columns.
    by : str or list of str
        Domain columns (default ``"group"``: students / parents / teachers).
    wave, base, compare, consecutive
        As in :func:`wave_change`.

    Returns
    -------
    DataFrame
        ``by``, ``wave_base``, ``wave_compare``, ``method`` ("spearman" / "kendall"), ``est``
        (rho or tau-b), ``n`` (items), ``statistic``, ``p_value``, and ``top_base`` /
        ``top_compare`` (the three items with the lowest mean rank / highest mean score) and
        ``largest_shift`` (item whose within-wave rank moved most).

    Notes
    -----
    Spearman's p-value uses the t approximation ``t = rho sqrt((n-2)/(1-rho^2))`` with n-2 df
    (R ``cor.test(method = "spearman", exact = FALSE)``); Kendall's tau-b uses the exact null
    distribution for n < 50 without ties and the tie-corrected normal approximation otherwise
    (as R ``cor.test(method = "kendall")``). The sign of the score does not matter for the
    correlations; ``top_*`` assumes that a lower score is more important when ``score``
    contains "rank" and a higher score otherwise.

    Examples
    --------
    R equivalent: ``cor.test(r2022, r2024, method = "spearman", exact = FALSE)`` and
    ``cor.test(r2022, r2024, method = "kendall")``.
    """
    by = as_list(by)
    check_columns(scores, by + [wave, item, score], "scores")
    if not pd.api.types.is_numeric_dtype(scores[score]):
        raise DataError(f"scores: column {score!r} must be numeric; got dtype {scores[score].dtype}")
    means = scores.groupby(by + [wave, item], dropna=False)[score].mean().reset_index()
    pairs = _wave_pairs(means[wave].tolist(), base, compare, consecutive)
    low_first = "rank" in score.lower()
    rows = []
    groups = means.groupby(by, dropna=False, sort=True) if by else [((), means)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        wide = g.pivot(index=item, columns=wave, values=score)
        for b, c in pairs:
            base_row = dict(zip(by, key))
            base_row.update(wave_base=b, wave_compare=c)
            if b not in wide.columns or c not in wide.columns:
                for method in ("spearman", "kendall"):
                    rows.append({**base_row, "method": method, "est": np.nan, "n": 0})
                continue
            pair = wide[[b, c]].dropna()
            n = len(pair)
            r1, r2 = pair[b].rank(), pair[c].rank()
            shift = (r2 - r1).abs()
            top = (lambda s: ", ".join(map(str, (s.sort_values(ascending=low_first).index[:3]))))
            extra = {"top_base": top(pair[b]), "top_compare": top(pair[c]),
                     "largest_shift": str(shift.idxmax()) if n else ""}
            if n < 3:
                for method in ("spearman", "kendall"):
                    rows.append({**base_row, "method": method, "est": np.nan, "n": n, **extra})
                continue
            rho = stats.spearmanr(pair[b], pair[c]).statistic
            with np.errstate(divide="ignore"):
                t = rho * np.sqrt((n - 2) / (1 - rho ** 2)) if abs(rho) < 1 else np.sign(rho) * np.inf
            p_s = 2 * stats.t.sf(abs(t), n - 2)
            kt = stats.kendalltau(pair[b], pair[c])
            rows.append({**base_row, "method": "spearman", "est": float(rho), "n": n,
                         "statistic": float(t), "p_value": float(p_s), **extra})
            rows.append({**base_row, "method": "kendall", "est": float(kt.statistic), "n": n,
                         "statistic": np.nan, "p_value": float(kt.pvalue), **extra})
    out = pd.DataFrame(rows)
    return _order_columns(out, by + ["wave_base", "wave_compare", "method"])


# --------------------------------------------------------------------------------------------
# monitoring table and figure
# --------------------------------------------------------------------------------------------

def trend_table(estimates: pd.DataFrame, *, by: str | Sequence[str] | None = ("school_id", "group"),
                wave: str = "wave", variable: str | Sequence[str] | None = ("variable", "level"),
                conf_level: float = 0.95,
                est: str = "est", se: str = "se", df: str | None = "df") -> pd.DataFrame:
    """Trend table: the estimate with its CI in every wave, per domain, plus the change since
    the first wave.

    CIs present in the input (``ci_low``, ``ci_high``) are kept; missing ones are computed as
    ``est +- q se`` with ``q`` from Student t (``df`` column) or the normal.

    Returns
    -------
    DataFrame
        ``by``, ``variable``, ``wave``, ``est``, ``se``, ``ci_low``, ``ci_high`` (``df``, ``n``
        when present), ``change_from_first``.

    Examples
    --------
    R equivalent: ``svyby(~y, ~wave + school_id, des, svymean)`` and ``confint(...)``.
    """
    by = as_list(by)
    keys = list(by) + [c for c in as_list(variable) if c in estimates.columns and c not in by]
    check_columns(estimates, keys + [wave, est, se], "estimates")
    conf_level = _check_conf_level(conf_level)
    out = estimates.rename(columns={est: "est", se: "se"}).copy()
    if df is not None and df in out.columns:
        q = _t_ppf(0.5 + conf_level / 2, pd.to_numeric(out[df], errors="coerce").to_numpy(float))
    else:
        q = stats.norm.ppf(0.5 + conf_level / 2)
    lo = out["est"] - q * out["se"]
    hi = out["est"] + q * out["se"]
    out["ci_low"] = out["ci_low"].fillna(lo) if "ci_low" in out.columns else lo
    out["ci_high"] = out["ci_high"].fillna(hi) if "ci_high" in out.columns else hi
    out = out.sort_values(keys + [wave], kind="stable")
    first = out.groupby(keys, dropna=False)["est"].transform("first") if keys else out["est"].iloc[0]
    out["change_from_first"] = out["est"] - first
    keep = keys + [wave] + [c for c in TIDY_COLUMNS if c in out.columns] + ["change_from_first"]
    return out[keep].reset_index(drop=True)


def plot_trend(table: pd.DataFrame, *, x: str = "wave", hue: str | None = "group",
               facet: str | None = "variable", est: str = "est", ci_low: str = "ci_low",
               ci_high: str = "ci_high", title: str | None = None, lang: str = "ru",
               max_facets: int = 12):
    """Trend lines with CI bands (one panel per ``facet`` value, one line per ``hue`` value).

    Parameters
    ----------
    table : DataFrame
        E.g. the output of :func:`trend_table`, or a tidy indicator table (``x="year"``,
        ``est="value"``); CI columns may be absent (lines only).
    x, hue, facet : str
        Columns for the horizontal axis, the lines and the panels (``None`` for none).
    lang : {"ru", "en"}
        Axis labels language.
    max_facets : int
        At most this many panels (the first ones in sorted order).

    Returns
    -------
    matplotlib.figure.Figure
        The caller saves it (``fig.savefig(path)``); nothing is written here.

    Examples
    --------
    R equivalent: ``ggplot(tab, aes(wave, est, ymin = ci_low, ymax = ci_high, colour = group))
    + geom_ribbon(alpha = .2) + geom_line() + facet_wrap(~variable)``.
    """
    check_option(lang, "lang", ("ru", "en"))
    check_columns(table, [x, est] + ([hue] if hue else []) + ([facet] if facet else []), "table")
    from matplotlib.figure import Figure  # Agg-safe: no pyplot state
    has_ci = ci_low in table.columns and ci_high in table.columns
    panels = _sorted_waves(table[facet].tolist())[:max_facets] if facet else [None]
    ncol = min(3, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 3.2 * nrow), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    palette = _palette()
    for ax, panel in zip(axes, panels):
        sub = table if panel is None else table[table[facet] == panel]
        lines = _sorted_waves(sub[hue].tolist()) if hue else [None]
        for i, h in enumerate(lines):
            s = sub if h is None else sub[sub[hue] == h]
            s = s.sort_values(x)
            colour = palette[i % len(palette)]
            ax.plot(s[x].astype(str) if not pd.api.types.is_numeric_dtype(s[x]) else s[x],
                    s[est], marker="o", color=colour, label=None if h is None else str(h))
            if has_ci and s[ci_low].notna().any():
                xs = s[x].astype(str) if not pd.api.types.is_numeric_dtype(s[x]) else s[x]
                ax.fill_between(xs, s[ci_low].astype(float), s[ci_high].astype(float),
                                color=colour, alpha=0.2, linewidth=0)
        if panel is not None:
            ax.set_title(str(panel), fontsize=10)
        ax.set_xlabel({"ru": "Волна", "en": "Wave"}[lang] if x == "wave" else
                      ({"ru": "Год", "en": "Year"}[lang] if x == "year" else x))
        ax.set_ylabel({"ru": "Оценка (95% ДИ)", "en": "Estimate (95% CI)"}[lang] if has_ci
                      else {"ru": "Значение", "en": "Value"}[lang])
        if pd.api.types.is_numeric_dtype(sub[x]):
            ax.set_xticks(sorted(pd.unique(sub[x].dropna())))
        if hue and len(lines) > 1:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


_CLASS_COLOURS = {"positive": "#2a9d8f", "negative": "#e76f51", "no change": "#8d99ae",
                  "no data": "#d9d9d9"}
_CLASS_LABELS = {"positive": ("положительная", "positive"), "negative": ("отрицательная", "negative"),
                 "no change": ("нет изменений", "no change"), "no data": ("нет данных", "no data")}


def plot_change(changes: pd.DataFrame, *, label: str | Sequence[str] = ("school_id", "group"),
                facet: str | None = "variable", lang: str = "ru", max_rows: int = 60,
                max_facets: int = 6):
    """Forest plot of the change between waves: difference with its CI per domain, coloured by
    the classification (positive / negative / no change).

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`wave_change` (one pair of waves is shown: the last ``wave_compare``).
    label : str or list of str
        Columns naming a domain on the vertical axis.
    facet : str, optional
        One panel per value (default: per variable).
    max_rows, max_facets : int
        At most this many domains per panel (largest |change| first) and panels.

    Returns
    -------
    matplotlib.figure.Figure
        Not saved; the caller calls ``fig.savefig``.

    Examples
    --------
    R equivalent: ``ggplot(res, aes(est, domain, xmin = ci_low, xmax = ci_high,
    colour = classification)) + geom_pointrange() + facet_wrap(~variable)``.
    """
    check_option(lang, "lang", ("ru", "en"))
    label = as_list(label)
    check_columns(changes, ["est", "ci_low", "ci_high", "classification"] + label, "changes")
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    d = changes
    if "wave_compare" in d.columns and d["wave_compare"].nunique() > 1:
        d = d[d["wave_compare"] == _sorted_waves(d["wave_compare"].tolist())[-1]]
    facet = facet if facet and facet in d.columns else None
    panels = _sorted_waves(d[facet].tolist())[:max_facets] if facet else [None]
    i = 0 if lang == "ru" else 1
    nrows = max(min(max_rows, int((d[facet] == p).sum()) if facet else len(d)) for p in panels) if len(d) else 1
    fig = Figure(figsize=(4.5 * len(panels), 0.22 * nrows + 1.6), constrained_layout=True)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    for ax, panel in zip(axes, panels):
        s = d if panel is None else d[d[facet] == panel]
        s = s.assign(_abs=s["est"].abs()).sort_values("_abs", ascending=False).head(max_rows)
        s = s.sort_values("est")
        y = np.arange(len(s))
        colours = [_CLASS_COLOURS.get(c, "#999999") for c in s["classification"]]
        ax.hlines(y, s["ci_low"], s["ci_high"], colors=colours, linewidth=1.5)
        ax.scatter(s["est"], y, c=colours, s=14, zorder=3)
        ax.axvline(0, color="black", linewidth=0.8)
        names = s[label].astype(str).agg(" · ".join, axis=1) if label else pd.Series([""] * len(s))
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=7)
        if panel is not None:
            ax.set_title(str(panel), fontsize=10)
        ax.set_xlabel(("Изменение (95% ДИ)", "Change (95% CI)")[i])
        ax.grid(axis="x", alpha=0.3)
    present = [c for c in CLASSES if c in set(d["classification"])]
    fig.legend(handles=[Line2D([], [], color=_CLASS_COLOURS[c], marker="o", label=_CLASS_LABELS[c][i])
                        for c in present], loc="outside lower center", ncol=max(1, len(present)),
               fontsize=8)
    return fig


def _palette() -> list:
    try:
        import seaborn as sns
        return list(sns.color_palette("colorblind", 10))
    except Exception:  # pragma: no cover - seaborn is a dependency
        return [f"C{i}" for i in range(10)]


# --------------------------------------------------------------------------------------------
# CLI: shnro dynamics
# --------------------------------------------------------------------------------------------

def _read_table(path: str | Path, what: str) -> pd.DataFrame:
    """Read a CSV / TSV / XLSX / Parquet / SPSS file into a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what}: file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return pd.read_csv(path)
    if suffix == ".tsv":
        return pd.read_csv(path, sep="\t")
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".sav":
        import pyreadstat
        df, _ = pyreadstat.read_sav(str(path))
        return df
    raise ParameterError(f"{what}: unsupported file type {suffix!r} of {path}; "
                         f"expected .csv, .tsv, .xlsx, .parquet or .sav")


def add_dynamics_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro dynamics``."""
    parser.add_argument("--estimates", required=True,
                        help="tidy design-based estimates (CSV/XLSX/Parquet) with wave, est, se")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--by", nargs="*", default=["school_id", "group"],
                        help="domain columns (default: school_id group)")
    parser.add_argument("--wave", default="wave", help="wave column (default: wave)")
    parser.add_argument("--base", default=None, help="base wave (default: the earliest)")
    parser.add_argument("--compare", nargs="*", default=None, help="wave(s) compared with the base")
    parser.add_argument("--consecutive", action="store_true", help="contrast each wave with the previous one")
    parser.add_argument("--adjust", default="holm", choices=list(P_ADJUST_METHODS),
                        help="multiple-comparison adjustment (default: holm)")
    parser.add_argument("--family", nargs="*", default=None, help="columns defining test families")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--power", type=float, default=0.8)
    parser.add_argument("--min-change", type=float, default=0.0, help="minimum substantive change")
    parser.add_argument("--lower-better", nargs="*", default=[],
                        help="variables for which a decrease is an improvement (e.g. tension anxiety)")
    parser.add_argument("--lang", default="ru", choices=["ru", "en"])
    parser.add_argument("--no-figure", action="store_true", help="do not draw the trend figure")


def _coerce_wave(value: str | None, waves: pd.Series) -> Any:
    if value is None:
        return None
    if pd.api.types.is_numeric_dtype(waves):
        try:
            num = float(value)
            return int(num) if num.is_integer() else num
        except ValueError:
            pass
    return value


def cli_dynamics(args: argparse.Namespace) -> int:
    """``shnro dynamics``: change between waves -> wave_change.csv, summary, trend table/figure."""
    est = _read_table(args.estimates, "--estimates")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    better = {v: "lower" for v in (args.lower_better or [])}
    better["default"] = "higher"
    base = _coerce_wave(args.base, est[args.wave]) if args.wave in est.columns else args.base
    compare = None
    if args.compare:
        compare = [_coerce_wave(c, est[args.wave]) for c in args.compare]
    res = wave_change(est, by=args.by, wave=args.wave, base=base, compare=compare,
                      consecutive=args.consecutive, adjust=args.adjust, family=args.family,
                      alpha=args.alpha, power=args.power, min_change=args.min_change, better=better)
    res.to_csv(out / "wave_change.csv", index=False)
    summ_by = [c for c in ("variable", "group", "wave_compare") if c in res.columns]
    summary = classification_summary(res, by=summ_by)
    summary.to_csv(out / "wave_change_summary.csv", index=False)
    trend = trend_table(est, by=args.by, wave=args.wave)
    trend.to_csv(out / "trend_table.csv", index=False)
    written = ["wave_change.csv", "wave_change_summary.csv", "trend_table.csv"]
    if not args.no_figure:
        import matplotlib
        matplotlib.use("Agg")
        fig = plot_change(res, label=[c for c in args.by if c in res.columns], lang=args.lang)
        fig.savefig(out / "wave_change.png", dpi=120)
        written.append("wave_change.png")
    counts = res["classification"].value_counts().to_dict()
    print(f"shnro dynamics: {len(res)} comparisons ({counts}); wrote {', '.join(written)} to {out}")
    return 0
