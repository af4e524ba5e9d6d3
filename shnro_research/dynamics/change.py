"""Change of design-based estimates between waves: test, adjusted p, MDC, classification."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option, public
from .._stats import P_ADJUST_METHODS, p_adjust
from ..errors import DataError, ParameterError
from ._common import CLASSES, _check_level, _order_columns, _t_ppf, _wave_pairs

__all__ = ["minimum_detectable_change", "wave_change", "design_wave_change",
           "design_wave_changes", "classification_summary"]


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
                variable: str | Sequence[str] | None = ("variable", "category"),
                est: str = "est", se: str = "se", df: str | None = "df",
                test: str = "auto", df_rule: str = "welch", level: float = 0.95,
                adjust: str = "holm", family: str | Sequence[str] | None = None,
                alpha: float = 0.05, power: float = 0.8,
                min_change: float | Mapping[str, float] = 0.0,
                better: str | Mapping[str, str] = "higher",
                meaningful: float | Mapping[str, float] | str | None = None) -> pd.DataFrame:
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
        Column(s) naming the estimated quantity (default ``("variable", "category")`` as returned by
        ``design.estimate_by``: category of a proportion); added to the domain keys
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
    level : float
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
    better : {"higher", "lower", "none"} or mapping variable -> direction
        Which direction is an improvement (e.g. ``{"tension": "lower"}``); ``"none"`` for a
        measure without one (a value orientation, a life-success share): a significant change
        is then "changed".
    meaningful : float, mapping variable -> float, or column name, optional
        The smallest change that matters, in the units of ``est`` (a number, a number per
        variable, or the name of a column of ``estimates`` holding it per domain; the
        ``base`` row's value is used, else the ``compare`` row's). When given, a change that is
        not significant is "cannot tell" instead of "no change" if its minimum detectable
        change exceeds it (``mdc > meaningful``: the test had less than ``power`` to detect a
        change that matters, so its silence says nothing). Without it "cannot tell" is never
        used (the earlier behaviour).

    Returns
    -------
    DataFrame
        Keys (``by``, ``variable``, ``wave_base``, ``wave_compare``), then ``est`` (difference),
        ``se``, ``ci_low``, ``ci_high``, ``df``, ``n`` (respondents in both waves when an ``n``
        column exists), ``statistic`` (z or t), ``p_value``, then ``p_adjusted`` and
        ``adjust_method`` (the ``adjust`` used), ``mdc``,
        ``est_base``, ``est_compare``, ``se_base``, ``se_compare``, ``direction``
        ("increase"/"decrease"/"none"), ``meaningful_change`` (only when ``meaningful`` is
        given) and ``classification``.

    Classification (``CLASSES``), in this order:

    * "no data": a domain missing in one wave or with a missing SE;
    * "positive" / "negative": ``p_adjusted < alpha`` and ``|est| >= min_change``; better or
      worse by ``better`` ("changed" when ``better`` is "none");
    * "cannot tell" (only with ``meaningful``): not significant, and
      ``mdc > meaningful_change`` -- the sample was too small to detect a change that matters;
    * "no change": not significant although a change of ``meaningful_change`` would have been
      detected with the given ``power`` (or significant but smaller than ``min_change``).

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
    level = _check_level(level)
    check_number(alpha, "alpha", low=0, high=1, low_inclusive=False, high_inclusive=False)
    better_map = _per_variable(better, "better", ("higher", "lower", "none"))
    min_map = _per_variable(min_change, "min_change", None)
    meaningful_col = meaningful if (isinstance(meaningful, str)) else None
    if meaningful_col is not None:
        check_columns(estimates, [meaningful_col], "estimates (meaningful)")
        mean_map = None
    elif meaningful is not None:
        mean_map = _per_variable(meaningful, "meaningful", None)
        if isinstance(meaningful, Mapping) and "default" not in meaningful:
            mean_map = (mean_map[0], np.inf)      # variables not listed: never "cannot tell"
    else:
        mean_map = None
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
    cols = [est, se] + ([df] if has_df else []) + (["n"] if has_n else []) + (["se_diff"] if has_sed else []) \
        + ([meaningful_col] if meaningful_col is not None else [])
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
        q = _t_ppf(0.5 + level / 2, dfw)
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
    out["adjust_method"] = adjust
    out["mdc"] = minimum_detectable_change(sed, alpha, power, dfw if use_t else None)

    var_values = out[variable] if (variable is not None and variable in out.columns) else None
    better_col = _lookup(better_map, var_values, len(out))
    min_col = _lookup(min_map, var_values, len(out)).astype(float)
    # integer codes -> categoricals (fast and compact at national scale)
    dcode = np.where(diff > 0, 0, np.where(diff < 0, 1, 2))
    with np.errstate(invalid="ignore"):
        sig = (padj < alpha) & (np.abs(diff) >= min_col)
    good = ((better_col == "higher") & (diff > 0)) | ((better_col == "lower") & (diff < 0))
    ccode = np.where(sig, np.where(better_col == "none", 2, np.where(good, 0, 1)), 3)
    mdc = out["mdc"].to_numpy(float)
    meaning = None
    if meaningful_col is not None:
        meaning = pd.to_numeric(out[f"{meaningful_col}_base"], errors="coerce").fillna(
            pd.to_numeric(out[f"{meaningful_col}_compare"], errors="coerce")).to_numpy(float)
    elif mean_map is not None:
        meaning = _lookup(mean_map, var_values, len(out)).astype(float)
    if meaning is not None:
        with np.errstate(invalid="ignore"):
            unsure = ~sig & (padj >= alpha) & ~(mdc <= meaning)
        ccode[unsure] = 4
        out["meaningful_change"] = meaning
    ccode[np.isnan(padj)] = 5
    out["direction"] = pd.Categorical.from_codes(dcode, categories=["increase", "decrease", "none"])
    out["classification"] = pd.Categorical.from_codes(ccode, categories=list(CLASSES))
    out = out.rename(columns={f"{est}_base": "est_base", f"{est}_compare": "est_compare",
                              f"{se}_base": "se_base", f"{se}_compare": "se_compare"})
    drop = [c for c in out.columns if c.endswith("_base") or c.endswith("_compare")]
    keep_extra = {"est_base", "est_compare", "se_base", "se_compare", "wave_base", "wave_compare"}
    out = out.drop(columns=[c for c in drop if c not in keep_extra])
    extra = ["p_adjusted", "adjust_method", "mdc", "est_base", "est_compare", "se_base", "se_compare",
             "direction"] + (["meaningful_change"] if meaning is not None else []) + ["classification"]
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
    by = as_list(by)
    variables = as_list(variables)
    changes, _ = _design_changes(design, [(variables, kwargs)], by=by, wave=wave, base=base,
                                 compare=compare, consecutive=consecutive)
    return changes[0]


@public
def design_wave_changes(design: Any, measures: Mapping[str, str | Sequence[str]], *,
                        better: Mapping[str, Any] | None = None, wave: str = "wave",
                        base: Any = None, compare: Any = None, consecutive: bool = False,
                        **kwargs: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`design_wave_change` of several measures of one design at once, and their wave
    estimates.

    Each measure (a named list of variables) is one call of :func:`design_wave_change`: its
    own family of tests (``adjust`` within the measure) and its own ``better``; the numbers are
    those of separate calls. The design-based estimates and the variances of every variable
    are computed together (one Taylor variance call per batch of variables), which removes the
    fixed cost of many small calls.

    Parameters
    ----------
    design : shnro_research.design.SurveyDesign
        A Taylor-linearisation design holding all waves.
    measures : mapping
        Measure name -> variables (e.g. ``{"scales": ["tension", ...], "pvq": [...]}``).
    better : mapping, optional
        Measure name -> ``better`` of :func:`wave_change` (a direction or a mapping variable ->
        direction); measures not listed use ``"higher"``.
    wave, base, compare, consecutive, **kwargs
        As in :func:`design_wave_change`.

    Returns
    -------
    (DataFrame, DataFrame)
        The changes (the rows of :func:`design_wave_change` of each measure, in the order of
        ``measures``, with a last column ``measure``) and the estimates of every variable per
        wave (:func:`shnro_research.design.svy_mean` ``by=wave``, ``ci="t"``), also with
        ``measure``.

    Notes
    -----
    As :func:`design_wave_change`: ``z_i = 1[i in c] (y_i - ybar_c) / N_c - 1[i in b]
    (y_i - ybar_b) / N_b`` and ``se = sqrt(V(sum w z))`` by Taylor linearisation.

    Examples
    --------
    >>> ch, est = design_wave_changes(des, {"scales": ["tension"]})   # doctest: +SKIP

    R equivalent, per measure and variable::

        b <- svyby(~tension, ~wave, des, svymean, covmat = TRUE)
        svycontrast(b, c(-1, 0, 1))
    """
    if not isinstance(measures, Mapping) or not measures:
        raise ParameterError(f"'measures' must map measure names to variables; got {measures!r}")
    better = dict(better or {})
    if "better" in kwargs:
        raise ParameterError("'better' must map measures to directions in design_wave_changes")
    names = list(measures)
    jobs = [(as_list(measures[m]), {**kwargs, "better": better.get(m, "higher")})
            for m in names]
    changes, ests = _design_changes(design, jobs, by=[], wave=wave, base=base, compare=compare,
                                    consecutive=consecutive)
    ch = pd.concat([c.assign(measure=m) for c, m in zip(changes, names)], ignore_index=True)
    est = pd.concat([e.assign(measure=m) for e, m in zip(ests, names)], ignore_index=True)
    return ch, est


def _design_changes(design: Any, jobs: list[tuple[list[str], dict]], *, by: list[str],
                    wave: str, base: Any, compare: Any, consecutive: bool
                    ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """The core of :func:`design_wave_change` for several variable lists of one design:
    one estimate and one set of SEs of the differences for all their variables, then
    :func:`wave_change` per list (job) and wave pair. Returns the changes and the wave
    estimates (``svy_mean(by=by + [wave])``) of each job."""
    from ..design import SurveyDesign, svy_mean
    from ..design.estimates import _VarBatch, _domains
    if not isinstance(design, SurveyDesign):
        raise ParameterError("'design' must be a SurveyDesign (Taylor linearisation); got "
                             f"{type(design).__name__}")
    variables = list(dict.fromkeys(v for vs, _ in jobs for v in vs))
    data = design.data
    for vs, _ in jobs:
        check_columns(data, by + [wave] + vs, "design data")
    for v in variables:
        if not pd.api.types.is_numeric_dtype(data[v]):
            raise DataError(f"design data: column {v!r} must be numeric; got dtype {data[v].dtype}")
    pairs = _wave_pairs(pd.unique(data[wave]), base, compare, consecutive)
    est = svy_mean(design, variables, by=by + [wave], ci="t")
    w = design.weights
    n = len(data)
    dom_codes = (data.groupby(by, dropna=False, sort=False).ngroup().to_numpy()
                 if by else np.zeros(n, dtype=int))
    n_codes = dom_codes.max() + 1
    dom_tot, tab = _domains(design, by or None)       # the domains of the SE of the change
    D = len(tab)
    tab = tab.reset_index(drop=True)
    wave_values = data[wave].to_numpy()
    seds = {}
    for b, c in pairs:
        in_wave = {c: wave_values == c, b: wave_values == b}
        batch, ks = _VarBatch(design, D), []
        for v in variables:
            y = data[v].to_numpy(float)
            ok = np.isfinite(y)
            z = np.zeros(n)
            for wv, sign in ((c, 1.0), (b, -1.0)):
                sel = ok & in_wave[wv]
                W = np.bincount(dom_codes[sel], weights=w[sel], minlength=n_codes)
                Y = np.bincount(dom_codes[sel], weights=w[sel] * y[sel], minlength=n_codes)
                with np.errstate(divide="ignore", invalid="ignore"):
                    mean = Y / W
                    z[sel] = sign * (y[sel] - mean[dom_codes[sel]]) / W[dom_codes[sel]]
            # the design-based total of z (R svytotal), its missing values left out
            okz = np.isfinite(z)
            rows = np.flatnonzero(okz & (dom_tot >= 0))
            ks.append(batch.add(rows, dom_tot[rows], w[rows] * np.where(okz, z, 0.0)[rows]))
        var = batch.flush()
        sed = pd.concat([pd.DataFrame({"variable": [v for v in variables for _ in range(D)]}),
                         tab.iloc[np.tile(np.arange(D), len(variables))].reset_index(drop=True)],
                        axis=1)
        sed["se_diff"] = np.sqrt(np.concatenate([var[k] for k in ks]))
        seds[(b, c)] = sed.assign(**{wave: c})
    by_var = {v: g for v, g in est.groupby("variable", sort=False)}
    sed_all = pd.concat(list(seds.values()), ignore_index=True)    # one compare wave per pair
    in_pairs = list(dict.fromkeys(w for pair in pairs for w in pair))
    changes, ests = [], []
    for vs, kwargs in jobs:
        e_job = pd.concat([by_var[v] for v in vs], ignore_index=True)
        e = e_job[e_job[wave].isin(in_pairs)].merge(sed_all[sed_all["variable"].isin(vs)],
                                                    on=["variable"] + by + [wave], how="left")
        kw = dict(kwargs)
        kw.setdefault("df_rule", "min")
        # every pair in one call; each pair is its own family of tests (as one call per pair)
        kw["family"] = as_list(kw.get("family")) + ["wave_base", "wave_compare"]
        if consecutive:
            pair_kw = {"consecutive": True}
        else:
            pair_kw = {"base": pairs[0][0], "compare": [c for _, c in pairs]}
        out = wave_change(e, by=by, wave=wave, variable="variable", **pair_kw, **kw)
        out.insert(list(out.columns).index("se_compare") + 1, "se_independent",
                   np.sqrt(out["se_base"] ** 2 + out["se_compare"] ** 2))
        changes.append(out)
        ests.append(e_job)
    return changes, ests


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
    """Count and share of domains per classification (positive / negative / no change /
    cannot tell / no data).

    Classes appear in the order of ``CLASSES``; a class absent from a table has no row.
    ``share_pct`` is the percent of the domains with data ("cannot tell" included: it is a
    domain with data whose sample was too small to detect a change that matters).

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`wave_change`.
    by : str or list of str, optional
        Columns to tabulate within (e.g. ``["variable", "wave_compare"]``).

    Returns
    -------
    DataFrame
        ``by``, ``classification``, ``n`` and ``share_pct`` (percent of the domains with data).

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
    counts["share_pct"] = np.nan
    counts.loc[with_data.index, "share_pct"] = 100 * with_data["n"] / totals
    order = {c: i for i, c in enumerate(CLASSES)}
    counts = counts.assign(_o=counts["classification"].map(order).fillna(len(order)))
    return counts.sort_values(by + ["_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
