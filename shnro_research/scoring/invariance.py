"""Measurement invariance across groups: configural, metric and scalar CFA models compared by the
chi-square difference test and the change in CFI, with a verdict of which comparisons the data
warrant (docs/METHODS.md, "Confirmatory factor analysis and measurement invariance").
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import ParameterError, check_option, public, tidy
from .cfa import _cfa_arrays, _implied, _matrices, _parse_model, _prepare
from .reliability import _one_blas_thread

LEVELS = ("configural", "metric", "scalar")
EQUALITY = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
#: what each level, when it holds, allows one to compare across the groups
WARRANTS = {
    "configural": "same factor structure: the scale measures the same construct in each group "
                  "(form only; no comparison of sizes)",
    "metric": "equal loadings: correlations and regression slopes with the scale are comparable "
              "across groups",
    "scalar": "equal intercepts: means of the scale (latent and observed) are comparable across "
              "groups",
}
#: what may not be compared when a level does not hold
NOT_WARRANTED = {
    "configural": "the factor structure differs or fits poorly: do not compare the scale across "
                  "groups",
    "metric": "loadings differ: do not compare correlations or regression slopes with the scale "
              "across groups",
    "scalar": "intercepts differ: do not compare means of the scale (latent or observed) across "
              "groups",
}
RULES = ("delta_cfi", "both")


def difference_test(chi2_0: float, df_0: int, chi2_1: float, df_1: int,
                    scaling_0: float | None = None, scaling_1: float | None = None):
    """Chi-square difference test of nested models (model 1 the more restricted).

    ML: ``T_d = T_1 - T_0`` on ``df_1 - df_0`` (lavaan ``lavTestLRT``). MLR (scaling factors
    given): the Satorra--Bentler (2001) scaled difference ``T_d = (T_1 - T_0) / c_d`` with
    ``c_d = (df_1 c_1 - df_0 c_0) / (df_1 - df_0)`` (lavaan ``method = "satorra.bentler.2001"``).
    Returns ``(T_d, df_d, p)``.
    """
    ddf = int(df_1 - df_0)
    diff = chi2_1 - chi2_0
    if scaling_0 is not None and scaling_1 is not None and ddf > 0:
        # a saturated model 0 (df_0 = 0) has no scaling factor; its term is 0
        cd = (df_1 * scaling_1 - (df_0 * scaling_0 if df_0 > 0 else 0.0)) / ddf
        diff = diff / cd if cd > 0 else np.nan
    p = float(stats.chi2.sf(diff, ddf)) if ddf > 0 and np.isfinite(diff) else np.nan
    return float(diff), ddf, p


@public
def measurement_invariance(data: pd.DataFrame, model, *, by: str,
                           levels: Sequence[str] = LEVELS, estimator: str = "ML",
                           rule: str = "delta_cfi", delta_cfi: float = -0.01,
                           alpha: float = 0.05, cfi_min: float = 0.95,
                           rmsea_max: float = 0.06) -> pd.DataFrame:
    """Configural, metric and scalar invariance of a CFA model across the levels of ``by``.

    Parameters
    ----------
    data : DataFrame
        Respondents, item columns and the ``by`` column (incomplete rows left out).
    model : dict or list
        As :func:`cfa`.
    by : str
        Column whose levels are compared (respondent group, wave, school, ...; lavaan
        ``group =``).
    levels : sequence of {"configural", "metric", "scalar"}
        Models to fit, in order; each is compared with the one before.
    estimator : {"ML", "MLR"}
        ``"MLR"`` uses the Satorra--Bentler scaled difference and the robust CFI, TLI and RMSEA
        (Brosseau-Liard & Savalei 2014; lavaan ``cfi.robust``, ``rmsea.robust``).
    rule : {"delta_cfi", "both"}
        A level holds when the one before holds and ``delta CFI > delta_cfi`` (Cheung &
        Rensvold 2002: a drop of .01 or more rejects invariance); ``"both"`` also requires the
        difference test's ``p >= alpha``. The chi-square difference is always reported; with
        large samples it rejects trivial differences, which is why it is not decisive by default.
    delta_cfi, alpha : float
        Thresholds of the rule.
    cfi_min, rmsea_max : float
        The configural model holds when ``CFI >= cfi_min`` and ``RMSEA <= rmsea_max`` (Hu &
        Bentler 1999: .95 and .06).

    Returns
    -------
    DataFrame
        One row per level: ``model``, ``group_equal``, ``estimator``, ``n_groups``, ``chi2``,
        ``cfi``, ``tli``, ``rmsea``, ``srmr``, ``delta_chi2``, ``delta_df``, ``delta_cfi``,
        ``delta_rmsea``, ``holds``, ``verdict``, ``rule``, then ``df`` (of the model), ``n`` and
        ``p_value`` (of the difference test). With MLR, ``chi2`` is the scaled statistic and
        ``cfi``, ``tli``, ``rmsea`` the robust indices.

    Examples
    --------
    >>> measurement_invariance(df, {"f": ["q1", "q2", "q3", "q4"]}, by="group")  # doctest: +SKIP

    R equivalent: ``cfa(model, data, group = "g")``, ``cfa(..., group.equal = "loadings")``,
    ``cfa(..., group.equal = c("loadings", "intercepts"))`` and ``lavTestLRT(conf, metr, scal)``.
    """
    with _one_blas_thread():
        return _measurement_invariance(data, model, by, levels, estimator, rule, delta_cfi,
                                       alpha, cfi_min, rmsea_max)


def _measurement_invariance(data, model, group, levels=LEVELS, estimator="ML",
                            rule="delta_cfi", delta_cfi=-0.01, alpha=0.05, cfi_min=0.95,
                            rmsea_max=0.06) -> pd.DataFrame:
    spec = _parse_model(model)
    check_option(estimator, "estimator", ("ML", "MLR"))
    values, ys = _prepare(data, spec, group)
    return _invariance_table(ys, values, spec, group, levels, estimator, rule, delta_cfi,
                             alpha, cfi_min, rmsea_max)


def _invariance_table(ys, values, spec, group, levels=LEVELS, estimator="ML",
                      rule="delta_cfi", delta_cfi=-0.01, alpha=0.05, cfi_min=0.95,
                      rmsea_max=0.06) -> pd.DataFrame:
    """The invariance table from complete answers, one array per level of ``group``."""
    levels = [check_option(lv, "levels", LEVELS) for lv in levels]
    if not levels or len(set(levels)) != len(levels):
        raise ParameterError(f"'levels' must be distinct levels of {list(LEVELS)}; got {levels}")
    levels = sorted(levels, key=LEVELS.index)
    check_option(rule, "rule", RULES)
    robust = estimator == "MLR"
    fits: dict = {}
    for lv in levels:          # each model starts from the one before (same data, nested)
        fits[lv] = _cfa_arrays(ys, values, spec, estimator, list(EQUALITY[lv]), group=group,
                               prev=fits[levels[levels.index(lv) - 1]] if fits else None)
    text = (f"configural holds if CFI >= {cfi_min:g} and RMSEA <= {rmsea_max:g} (Hu & Bentler "
            f"1999); each further level holds if the one before holds and delta CFI > "
            f"{delta_cfi:g} (Cheung & Rensvold 2002)"
            + (f" and the chi-square difference p >= {alpha:g}" if rule == "both" else
               "; the chi-square difference is reported, not decisive (it grows with n)")
            + ("; MLR: Satorra-Bentler scaled difference, robust CFI and RMSEA" if robust
               else ""))
    rows, prev, prev_holds = [], None, True
    for lv in levels:
        fm = fits[lv].fit_measures()
        chi2 = fm["chi2_scaled"] if robust else fm["chi2"]
        cfi = fm["cfi_robust"] if robust else fm["cfi"]
        rmsea = fm["rmsea_robust"] if robust else fm["rmsea"]
        row = {"model": lv, "group_equal": ", ".join(EQUALITY[lv]) or "none",
               "estimator": estimator, "n_groups": fm["n_groups"], "chi2": chi2, "cfi": cfi,
               "tli": fm["tli_robust"] if robust else fm["tli"], "rmsea": rmsea,
               "srmr": fm["srmr"], "delta_chi2": np.nan, "delta_df": np.nan,
               "delta_cfi": np.nan, "delta_rmsea": np.nan, "df": fm["df"], "n": fm["n"],
               "p_value": np.nan}
        if prev is None:
            holds = (lv != "configural" or fm["df"] == 0
                     or (cfi >= cfi_min and rmsea <= rmsea_max))
            why = ((f"CFI {cfi:.3f}, RMSEA {rmsea:.3f}" if fm["df"] > 0 else
                    "df = 0: the model is saturated, its fit cannot be tested")
                   if lv == "configural" else "first level fitted; no comparison")
        else:
            pfm, pc, pr = prev
            d, ddf, p = difference_test(
                pfm["chi2"], pfm["df"], fm["chi2"], fm["df"],
                pfm.get("scaling_factor") if robust else None,
                fm.get("scaling_factor") if robust else None)
            row.update(delta_chi2=d, delta_df=ddf, p_value=p, delta_cfi=cfi - pc,
                       delta_rmsea=rmsea - pr)
            ok = (cfi - pc) > delta_cfi and (rule == "delta_cfi" or (np.isfinite(p) and
                                                                     p >= alpha))
            holds = prev_holds and ok
            why = (f"delta CFI {cfi - pc:+.3f}, delta chi2 {d:.2f} on {ddf} df, p {p:.3g}"
                   + ("" if prev_holds else "; the level before does not hold"))
        row["holds"] = bool(holds)
        row["verdict"] = ((f"holds: {WARRANTS[lv]}" if holds else
                           f"not supported: {NOT_WARRANTED[lv]}") + f" ({why})")
        row["rule"] = text
        rows.append(row)
        prev, prev_holds = (fm, cfi, rmsea), holds
    return tidy(pd.DataFrame(rows))


# -- by the instruments (the scoring stage) -----------------------------------------------------

#: fewest items of a one-factor CFA: with 3 it is saturated (df = 0), its fit cannot be tested
MIN_ITEMS = 3
#: fewest complete answers: 5 per free parameter (Bentler & Chou 1987), and at least 100 (this
#: project's convention, stated in every row it excludes)
MIN_N_FLOOR, MIN_N_PER_PARAMETER = 100, 5
FIT_CUTOFFS = {"cfi": 0.95, "rmsea": 0.06, "srmr": 0.08}
FIT_RULE = ("fit acceptable if CFI >= .95, RMSEA <= .06 and SRMR <= .08 (Hu & Bentler 1999); "
            "MLR: robust CFI and RMSEA (Brosseau-Liard & Savalei 2014); one factor per scale, "
            "items keyed, complete answers")


def _min_n(n_items: int, n_groups: int = 1) -> int:
    npar = 2 * n_items + (n_items if n_groups > 1 else 0)
    return max(MIN_N_FLOOR, MIN_N_PER_PARAMETER * npar) * n_groups


def keyed_items(data: pd.DataFrame, instrument, items: Sequence[str]) -> pd.DataFrame:
    """The items of a scale as numbers: codes outside the item's declared codes are missing,
    reverse-keyed items are reversed from the declared bounds (``min + max - x``)."""
    return pd.DataFrame(_keyed_array(data, instrument, items), columns=list(items),
                        index=data.index)


def _keyed_array(data: pd.DataFrame, instrument, items: Sequence[str]) -> np.ndarray:
    from .instrument import bounds
    x = data[list(items)].apply(pd.to_numeric, errors="coerce").to_numpy(float, copy=True)
    lo, hi = bounds(instrument, items)
    for j, i in enumerate(items):
        it = instrument.item(i)
        if it.codes:
            x[~np.isin(x[:, j], list(it.codes)), j] = np.nan
        if it.reverse:
            x[:, j] = lo[i] + hi[i] - x[:, j]
    return x


def _std_loadings(fit, g: int = 0) -> tuple[np.ndarray, list[str]]:
    """Standardised loadings (std.all) of the items of group ``g`` on their factor, and the
    variables with a negative variance estimate (a Heywood case)."""
    lam, phi, th, _, _ = _matrices(fit._mod, fit.theta, g)
    sig, _ = _implied(fit._mod, fit.theta, g)
    std = (lam * np.sqrt(np.clip(np.diag(phi), 0, None))).sum(axis=1) / np.sqrt(np.diag(sig))
    neg = ([fit._mod.items[i] for i in np.flatnonzero(th < 0)]
           + [fit._mod.factors[f] for f in np.flatnonzero(np.diag(phi) < 0)])
    return std, neg


def _fit_verdict(fm: dict, negative: list[str], robust: bool, converged: bool) -> str:
    cfi = fm["cfi_robust"] if robust else fm["cfi"]
    rmsea = fm["rmsea_robust"] if robust else fm["rmsea"]
    if not converged:
        return "did not converge: do not interpret"
    if negative:
        return ("improper solution (negative variance of " + ", ".join(negative) +
                ", a Heywood case): do not interpret")
    if fm["df"] == 0:
        return "saturated (3 items, df = 0): fit cannot be tested; loadings only"
    bad = [f"CFI {cfi:.3f} < .95"] if cfi < FIT_CUTOFFS["cfi"] else []
    bad += [f"RMSEA {rmsea:.3f} > .06"] if rmsea > FIT_CUTOFFS["rmsea"] else []
    bad += [f"SRMR {fm['srmr']:.3f} > .08"] if fm["srmr"] > FIT_CUTOFFS["srmr"] else []
    if not bad:
        return "fit acceptable (CFI >= .95, RMSEA <= .06, SRMR <= .08; Hu & Bentler 1999)"
    return "fit poor: " + "; ".join(bad) + " (Hu & Bentler 1999)"


def _one_scale(x: np.ndarray, items: list[str], estimator: str) -> dict:
    """One-factor CFA of the columns of ``x``: the measurement row (or why not estimated)."""
    import warnings

    from ..errors import ConvergenceWarning, DataError
    p = x.shape[1]
    ok = ~np.isnan(x).any(axis=1)
    n = int(ok.sum())
    row = {"n_items": p, "estimator": estimator, "n": n}
    if p < MIN_ITEMS:
        return {**row, "status": "not estimated",
                "verdict": f"not estimated: {p} item(s); a one-factor CFA needs at least "
                           f"{MIN_ITEMS} (and with {MIN_ITEMS} its fit cannot be tested)"}
    need = _min_n(p)
    if n < need:
        return {**row, "status": "not estimated",
                "verdict": f"not estimated: {n} complete answers, fewer than {need} (5 per free "
                           "parameter, Bentler & Chou 1987; at least 100 by convention)"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = _cfa_arrays([x[ok]], ["all"], {"factor": list(items)}, estimator, [])
    except DataError as e:
        return {**row, "status": "not estimated", "verdict": f"not estimated: {e}"}
    fm = fit.fit_measures()
    robust = estimator == "MLR"
    lam, negative = _std_loadings(fit)
    j = int(np.argmin(lam))
    return {**row, "status": "estimated",
            "chi2": fm["chi2_scaled"] if robust else fm["chi2"],
            "cfi": fm["cfi_robust"] if robust else fm["cfi"],
            "tli": fm["tli_robust"] if robust else fm["tli"],
            "rmsea": fm["rmsea_robust"] if robust else fm["rmsea"],
            "rmsea_ci_low": fm["rmsea_ci_low_scaled"] if robust else fm["rmsea_ci_low"],
            "rmsea_ci_high": fm["rmsea_ci_high_scaled"] if robust else fm["rmsea_ci_high"],
            "srmr": fm["srmr"], "loading_min": float(lam[j]), "weakest_item": items[j],
            "verdict": _fit_verdict(fm, negative, robust, fit.converged),
            "df": fm["df"], "p_value": fm["p_value_scaled"] if robust else fm["p_value"]}


@public
def scale_measurement(data: Mapping[str, pd.DataFrame], instruments: Mapping[str, object], *,
                      wave: str = "wave", estimator: str = "MLR", lang: str = "ru",
                      roles_skip: Sequence[str] = ()) -> pd.DataFrame:
    """One-factor CFA of every scale of every respondent group in every wave, with a verdict.

    Parameters
    ----------
    data : mapping group -> DataFrame
        Clean answers of each respondent group (item columns and ``wave``).
    instruments : mapping group -> Instrument
        The instruments (scales, items, declared codes, reverse keys).
    wave : str
        Wave column.
    estimator : {"ML", "MLR"}
        ``"MLR"`` (default) for Likert items: robust SEs and scaled/robust fit indices.
    lang : str
        Language of the scale labels.
    roles_skip : sequence of str
        Scale roles left out (their rows are not written).

    Returns
    -------
    DataFrame
        ``variable`` (scale id), ``label``, ``group``, ``wave``, ``n_items``, ``estimator``,
        ``status``, ``chi2``, ``cfi``, ``tli``, ``rmsea`` with ``rmsea_ci_low``/``rmsea_ci_high``
        (90 %), ``srmr``, ``loading_min`` (smallest standardised loading) and
        ``weakest_item``, ``verdict``, ``rule``, then ``df``, ``n`` (complete answers) and
        ``p_value`` (of the model chi-square). A scale with fewer than 3 items or too few
        complete answers has a row saying why it was not estimated.

    Examples
    --------
    >>> scale_measurement({"students": clean}, {"students": inst})       # doctest: +SKIP

    R equivalent: per scale and wave, ``lavaan::cfa("f =~ i1 + i2 + ...", data, estimator =
    "MLR")`` and ``fitMeasures(fit, c("chisq.scaled", "cfi.robust", "rmsea.robust", "srmr"))``.
    """
    check_option(estimator, "estimator", ("ML", "MLR"))
    with _one_blas_thread():
        return _scale_measurement(data, instruments, wave, estimator, lang, roles_skip)


def _scale_measurement(data, instruments, wave, estimator, lang, roles_skip) -> pd.DataFrame:
    rows = []
    for g, d in data.items():
        inst = instruments[g]
        for sid, sc in inst.scales.items():
            if sc.role in roles_skip:
                continue
            items = list(sc.items)
            x = _keyed_array(d, inst, items)
            wv = d[wave].to_numpy()
            for w in sorted(d[wave].dropna().unique()):
                r = _one_scale(x[wv == w], items, estimator)
                rows.append({"variable": sid, "label": sc.label.get(lang), "group": g,
                             "wave": w, **r, "rule": FIT_RULE})
    return _finish(pd.DataFrame(rows), ["variable", "label", "group", "wave", "n_items",
                                        "estimator", "status", "chi2", "cfi", "tli", "rmsea",
                                        "rmsea_ci_low", "rmsea_ci_high", "srmr", "loading_min",
                                        "weakest_item", "verdict", "rule", "df", "n",
                                        "p_value"])


def _finish(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for c in columns:
        if c not in df.columns:
            df[c] = np.nan
    w = pd.to_numeric(df["wave"], errors="coerce") if "wave" in df else None
    if w is not None and w.notna().any() and (w.dropna() % 1 == 0).all():
        df["wave"] = w.astype("Int64")       # waves are years; empty where rows span waves
    return tidy(df[columns])


def _shared_items(instruments: Mapping[str, object], groups: Sequence[str], sid: str):
    """Items of scale ``sid`` that every group in ``groups`` answers: matched by their declared
    ``parallel`` id (same wording pattern) only — the same item id in two questionnaires is not
    taken to mean the same question (``rel_02`` is a different relationship for students and
    for teachers). Returns ``{group: {key: item id}}`` of the shared keys, in the first group's
    order."""
    maps = {}
    for g in groups:
        inst = instruments[g]
        its = [inst.item(i) for i in inst.scales[sid].items]
        maps[g] = {it.parallel: it.id for it in its if getattr(it, "parallel", "")}
    keys = [k for k in maps[groups[0]] if all(k in maps[g] for g in groups)]
    return {g: {k: maps[g][k] for k in keys} for g in groups}


def _invariance_rows(ys: list[np.ndarray], values: list, by: str, estimator: str,
                     keys: list[str]) -> list[dict]:
    """Invariance rows across ``values`` (one array of keyed answers each), or why not."""
    import warnings

    from ..errors import ConvergenceWarning, DataError
    ys = [y[~np.isnan(y).any(axis=1)] for y in ys]
    n = int(sum(len(y) for y in ys))
    base = {"status": "not estimated", "n": n, "estimator": estimator}
    if len(keys) < MIN_ITEMS:
        why = (" (items count as shared only with a declared 'parallel' id)"
               if by == "group" else "")
        return [{**base, "verdict": f"not estimated: {len(keys)} shared item(s){why}; "
                                    f"invariance needs at least {MIN_ITEMS}"}]
    need = _min_n(len(keys))
    small = {str(v): len(y) for v, y in zip(values, ys) if len(y) < need}
    if len(ys) < 2 or small:
        return [{**base, "verdict": f"not estimated: fewer than {need} complete answers in "
                                    f"{small or 'all but one level'} (5 per free parameter, "
                                    "Bentler & Chou 1987; at least 100 by convention)"}]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t = _invariance_table(ys, list(values), {"factor": list(keys)}, by,
                                  estimator=estimator)
    except DataError as e:
        return [{**base, "verdict": f"not estimated: {e}"}]
    return [{**r, "status": "estimated"} for r in t.to_dict("records")]


@public
def scale_invariance(data: Mapping[str, pd.DataFrame], instruments: Mapping[str, object], *,
                     wave: str = "wave", estimator: str = "MLR", lang: str = "ru",
                     roles_skip: Sequence[str] = ()) -> pd.DataFrame:
    """Measurement invariance of every scale across respondent groups (per wave) and across
    waves (per group): configural, metric and scalar models, :func:`measurement_invariance`.

    Across groups a scale is compared on the items every group answers with the same declared
    ``parallel`` id (one wording pattern); a scale without parallel items gets a row saying why
    it is not compared. Across waves all the scale's items are used (independent samples of each wave; a
    panel would need a longitudinal model).

    Parameters
    ----------
    data, instruments : mappings group -> clean answers, group -> Instrument
    wave : str
        Wave column.
    estimator : {"ML", "MLR"}
    lang : str
        Language of the scale labels.
    roles_skip : sequence of str
        Scale roles left out.

    Returns
    -------
    DataFrame
        ``variable``, ``label``, ``across`` ("group" or "wave"), ``compared`` (the levels),
        ``group`` (across waves) or ``wave`` (across groups), ``items``, ``n_items``,
        ``status``, then the columns of :func:`measurement_invariance`. A comparison that
        cannot be made has one row saying why.

    Examples
    --------
    >>> scale_invariance(clean_by_group, instruments)                     # doctest: +SKIP

    R equivalent: ``cfa(model, data, group = "group", group.equal = ...)`` per level and
    ``lavTestLRT(configural, metric, scalar)``.
    """
    check_option(estimator, "estimator", ("ML", "MLR"))
    with _one_blas_thread():
        return _scale_invariance(data, instruments, wave, estimator, lang, roles_skip)


def _scale_invariance(data, instruments, wave, estimator, lang, roles_skip) -> pd.DataFrame:
    rows: list[dict] = []
    groups = list(data)
    sids = list(dict.fromkeys(s for g in groups for s in instruments[g].scales))
    for sid in sids:
        have = [g for g in groups if sid in instruments[g].scales
                and instruments[g].scales[sid].role not in roles_skip]
        if not have:
            continue
        label = instruments[have[0]].scales[sid].label.get(lang)
        base = {"variable": sid, "label": label}
        if len(have) >= 2:
            shared = _shared_items(instruments, have, sid)
            keys = list(shared[have[0]])
            waves = sorted(set.intersection(*[set(data[g][wave].dropna().unique())
                                               for g in have]))
            keyed = {g: (_keyed_array(data[g], instruments[g], list(shared[g].values())),
                         data[g][wave].to_numpy()) for g in have}
            for w in waves:
                ys = [x[wv == w] for x, wv in keyed.values()]
                for r in _invariance_rows(ys, have, "group", estimator, keys):
                    rows.append({**base, "across": "group", "compared": ", ".join(have),
                                 "wave": w, "items": ", ".join(keys), "n_items": len(keys), **r})
        for g in have:
            d, inst = data[g], instruments[g]
            items = list(inst.scales[sid].items)
            waves = sorted(d[wave].dropna().unique())
            if len(waves) < 2:
                continue
            x, wv = _keyed_array(d, inst, items), d[wave].to_numpy()
            for r in _invariance_rows([x[wv == w] for w in waves], waves, "wave", estimator,
                                      items):
                rows.append({**base, "across": "wave",
                             "compared": ", ".join(str(v) for v in waves), "group": g,
                             "items": ", ".join(items), "n_items": len(items), **r})
    cols = ["variable", "label", "across", "compared", "group", "wave", "items", "n_items",
            "status", "model", "group_equal", "estimator", "n_groups", "chi2", "cfi", "tli",
            "rmsea", "srmr", "delta_chi2", "delta_df", "delta_cfi", "delta_rmsea", "holds",
            "verdict", "rule", "df", "n", "p_value"]
    return _finish(pd.DataFrame(rows), cols)
