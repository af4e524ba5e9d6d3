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
from .cfa import cfa

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
        cd = (df_1 * scaling_1 - df_0 * scaling_0) / ddf
        diff = diff / cd if cd > 0 else np.nan
    p = float(stats.chi2.sf(diff, ddf)) if ddf > 0 and np.isfinite(diff) else np.nan
    return float(diff), ddf, p


@public
def measurement_invariance(data: pd.DataFrame, model, *, group: str,
                           levels: Sequence[str] = LEVELS, estimator: str = "ML",
                           rule: str = "delta_cfi", delta_cfi: float = -0.01,
                           alpha: float = 0.05, cfi_min: float = 0.95,
                           rmsea_max: float = 0.06) -> pd.DataFrame:
    """Configural, metric and scalar invariance of a CFA model across the levels of ``group``.

    Parameters
    ----------
    data : DataFrame
        Respondents, item columns and the ``group`` column (incomplete rows left out).
    model : dict or list
        As :func:`cfa`.
    group : str
        Column whose levels are compared (respondent group, wave, ...).
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
    >>> measurement_invariance(df, {"f": ["q1", "q2", "q3", "q4"]}, group="group")  # doctest: +SKIP

    R equivalent: ``cfa(model, data, group = "g")``, ``cfa(..., group.equal = "loadings")``,
    ``cfa(..., group.equal = c("loadings", "intercepts"))`` and ``lavTestLRT(conf, metr, scal)``.
    """
    levels = [check_option(lv, "levels", LEVELS) for lv in levels]
    if not levels or len(set(levels)) != len(levels):
        raise ParameterError(f"'levels' must be distinct levels of {list(LEVELS)}; got {levels}")
    levels = sorted(levels, key=LEVELS.index)
    check_option(rule, "rule", RULES)
    robust = estimator == "MLR"
    fits = {lv: cfa(data, model, group=group, estimator=estimator, group_equal=EQUALITY[lv])
            for lv in levels}
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
            holds = (lv == "configural" and cfi >= cfi_min and rmsea <= rmsea_max) or \
                    (lv != "configural")
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
