"""The register of schools: one row per school and year with the statuses a municipality signs —
low results (ШНОР / ШНРО), unfavourable social context (ШФНСУ), resilient, crisis, largest and
stable improvement and the four groups — all by absolute rules, with the rule and its basis
stated (:func:`register_rules`), the transitions between years (:func:`register_transitions`)
and the sensitivity of every status to its thresholds (:func:`register_sensitivity`).

Absolute rules: a school's status depends on its own results and context and on fixed
thresholds, never on the ranks of the other schools in the same year, so the share of low-result
schools can fall when schools improve (with per-year terciles a third is "low" by construction).
The two indices are put on the scale of one **reference year** (the first year by default):

* the results index (:func:`results_index`): each mean score standardised by the mean and SD of
  its procedure × subject × grade over the schools *of the reference year*, then averaged per
  school-year weighted by participants — comparable over years as far as the tests are;
* the well-being index: ``(I - m_ref) / s_ref`` with the mean and SD of the index over the
  schools of the reference year; one cut-off on this scale (``low_context``) is **the** definition
  of "low context", used by ШФНСУ, resilient and the four groups alike.

Sources: ``docs/METHODS.md`` §§ 13.1–13.2 (the rules it builds on) and ``docs/CONFIG.md``
(``typology.register``: every threshold, its default and meaning).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number, public
from ..errors import DataError, ParameterError
from ._common import _check_unique, _fmt, _numeric, _year_positions
from .low_results import low_results_threshold
from .resilience import _benchmark_rule

__all__ = ["results_index", "school_register", "register_rules", "register_transitions",
           "register_sensitivity", "REGISTER_STATUSES", "FOUR_GROUPS", "REGISTER_DEFAULTS"]

#: the boolean statuses of the register, in the order of its columns
REGISTER_STATUSES = ("low_results", "unfavourable_context", "resilient", "crisis", "improvement")
#: the four groups: low results x low context (absolute rules)
FOUR_GROUPS = ("low_results_low_context", "low_results_only", "low_context_only", "neither")
#: the thresholds of :func:`school_register` and their defaults (``typology.register`` of
#: study.yaml plus ``typology.low_threshold`` / ``min_procedures``)
REGISTER_DEFAULTS = dict(low_threshold=0.30, min_procedures=2, same_procedure_years=2,
                         min_participants=1, low_context=-0.43, benchmark=0.0, crisis_sd=3.0,
                         improvement_sd=3.0, improvement_years=2)
#: the column options of :func:`school_register` and their defaults
_OPTIONS = dict(procedure="procedure", share_below="share_below", n_participants="n_participants",
                result="est", wellbeing="est", reference_year=None)
#: default steps of :func:`register_sensitivity` (each threshold moved down and up by its step)
SENSITIVITY_STEPS = dict(low_threshold=0.05, min_procedures=1, low_context=0.24, benchmark=0.25,
                         crisis_sd=0.5, improvement_sd=0.5, improvement_years=1)
#: robust SD: 1.4826 x median absolute deviation (R ``mad()``; consistent for the normal SD)
MAD_CONSTANT = 1.4826

BASIS = {
    "low_results": (
        "Project default modelled on the Rosobrnadzor risk indicator of federal quality control as "
        "quoted in the project's research notes (a 2025 inspection act: «не менее 30% участников, "
        "не преодолевших минимальный порог (верхнюю границу отметки «2»), по двум и более "
        "оценочным процедурам …, а также по одной и той же оценочной процедуре» in two years "
        "running). The primary document and the ФИОКО rule for listing ШНОР could not be read "
        "here (docs/METHODS.md § 18), so every threshold is a parameter. Absolute: a school's "
        "status does not depend on the other schools."),
    "unfavourable_context": (
        "Project default. The programmes set no numeric cut-off for ШФНСУ. One cut-off on the "
        "well-being index, in SD units of the reference year, is the only definition of 'low "
        "context' (shared by ШФНСУ, resilient and the four groups). -0.43 is the standard normal "
        "1/3 quantile: about the bottom third of schools in the reference year, the share of the "
        "resilient-school rules (typology.context_quantile = 1/3; OECD 2011 'Against the Odds' "
        "and the PISA reports use the bottom third or quarter of ESCS, docs/METHODS.md § 13.1); "
        "-0.67 (bottom quarter) is in the sensitivity table. Fixed over years, so the share can "
        "change."),
    "resilient": (
        "HSE notion quoted by the Kazachinsky programme: schools in unfavourable social and "
        "economic conditions that overcome them («резильентные, „справляющиеся“ школы»), made "
        "absolute: low context (the shared cut-off), not low results, and the results index at or "
        "above the benchmark (0 = the municipality's mean of the reference year). Project "
        "default benchmark; the HSE thresholds are unverified (docs/METHODS.md § 18)."),
    "crisis": (
        "Project default after statistical process control: a change beyond 3 SD of the "
        "common-cause variation signals a special cause (Shewhart 1931; Montgomery, Introduction "
        "to Statistical Quality Control). The SD is the robust SD (1.4826 x MAD, R mad()) of all "
        "schools' year-to-year changes of the results index, so that the falls flagged do not "
        "inflate it."),
    "improvement": (
        "Kirovgrad programme: schools «показавшие максимальное и стабильное улучшение учебных "
        "результатов». Stable = the results index rose in each of the last k years; large = the "
        "rise over those years is at least the stated number of robust SDs of year-to-year "
        "changes (the crisis rule mirrored). Project default."),
    "four_group": (
        "The cross of the two absolute statuses the programmes name, ШНОР/ШНРО (low results) x "
        "ШФНСУ (low context): both, low results only, low context only (not low results: "
        "resilient when also at or above the benchmark), neither. The Smolensk indicator 4 "
        "(stably low, unfavourable, stably high, unstable) is the stability typology table."),
}


@public
def results_index(results: pd.DataFrame, *, reference_year: Any = None, school: str = "school_id",
                  year: str = "year", score: str = "mean_score",
                  cells: str | Sequence[str] = ("procedure", "subject", "grade"),
                  n_participants: str | None = "n_participants") -> pd.DataFrame:
    """Results index of each school and year on the scale of a reference year.

    For test row :math:`r` (a ``cells`` combination) of school :math:`s` in year :math:`t`

    .. math:: z_{str} = (x_{str} - m_r) / s_r, \\qquad
              I_{st} = \\sum_r n_{str} z_{str} / \\sum_r n_{str}

    with :math:`m_r, s_r` the mean and SD (``ddof=1``) of ``score`` of cell :math:`r` over the
    schools of the reference year and :math:`n` the participants (1 if absent). In the
    reference year this is the within-year z-score mean of :func:`shnro_research.results.
    school_results`; in other years a rise of every school raises every index (an absolute
    scale, as far as the tests of a cell are comparable over years). Cells absent from the
    reference year (or with one school) are not standardised and are left out.

    Parameters
    ----------
    results : DataFrame
        One row per school × year × cell: ``score`` and (optionally) ``n_participants``.
    reference_year : optional
        The year whose schools define the scale; default the first year present.
    cells : str or list
        The columns that identify one test (present ones are used).

    Returns
    -------
    DataFrame
        ``school, year, est, n_tests`` (``n_tests``: standardised rows).

    References
    ----------
    ``docs/CONFIG.md`` (``typology.register``).

    Examples
    --------
    >>> results_index(results, reference_year=2022)          # doctest: +SKIP

    R equivalent::

        ref <- aggregate(mean_score ~ procedure + subject + grade, subset(r, year == 2022),
                         function(x) c(m = mean(x), s = sd(x)))
        r$z <- (r$mean_score - m[key]) / s[key]
        I <- sapply(split(r, list(r$school_id, r$year)), function(d) weighted.mean(d$z, d$n))
    """
    cell_l = [c for c in as_list(cells) if c in results.columns]
    check_columns(results, [school, year, score], "results")
    x = _numeric(results, score, "results")
    years = results[year]
    ref = years.dropna().min() if reference_year is None else reference_year
    if not (years == ref).any():
        raise ParameterError(f"'reference_year' must be a year of the results; got {ref!r} "
                             f"(years: {sorted(years.dropna().unique().tolist())})")
    d = results[[school, year, *cell_l]].copy()
    d["_x"] = x
    key = cell_l or None
    r = d[years == ref]
    stats = (r.groupby(cell_l, dropna=False)["_x"].agg(["mean", "std"]) if key
             else pd.DataFrame({"mean": [r["_x"].mean()], "std": [r["_x"].std()]}))
    if key:
        d = d.merge(stats, left_on=cell_l, right_index=True, how="left")
    else:
        d["mean"], d["std"] = stats["mean"].iloc[0], stats["std"].iloc[0]
    sd = d["std"].where(d["std"] > 0)
    d["_z"] = (d["_x"] - d["mean"]) / sd
    w = (_numeric(results, n_participants, "results").fillna(1.0)
         if n_participants and n_participants in results else pd.Series(1.0, index=results.index))
    d["_w"] = w.to_numpy()
    ok = d["_z"].notna()
    d["_wz"] = (d["_z"] * d["_w"]).where(ok, 0.0)
    d["_wn"] = d["_w"].where(ok, 0.0)
    d["_n"] = ok.astype(int)
    g = d.groupby([school, year], sort=True)[["_wz", "_wn", "_n"]].sum()
    out = pd.DataFrame({"est": (g["_wz"] / g["_wn"].where(g["_wn"] > 0)),
                        "n_tests": g["_n"].astype(int)}).reset_index()
    return out


def _check_params(p: dict) -> dict:
    check_number(p["low_threshold"], "low_threshold", low=0, high=1, low_inclusive=False)
    for k in ("min_procedures", "same_procedure_years", "min_participants", "improvement_years"):
        check_number(p[k], k, low=2 if k == "same_procedure_years" else 1, integer=True)
    for k in ("low_context", "benchmark"):
        check_number(p[k], k)
    for k in ("crisis_sd", "improvement_sd"):
        check_number(p[k], k, low=0, low_inclusive=False)
    return p


def _context_scale(context: pd.DataFrame, school: str, year: str, col: str, ref: Any):
    """Context index on the reference-year scale: (z, m_ref, s_ref)."""
    x = _numeric(context, col, "context")
    r = x[context[year] == ref]
    m, s = float(r.mean()), float(r.std(ddof=1))
    if not np.isfinite(s) or s <= 0:
        raise DataError(f"context: column {col!r} has no spread in the reference year {ref!r} "
                        f"({int(r.notna().sum())} schools with a value); a cut-off in SD units "
                        "needs at least 2 different values")
    return (x - m) / s, m, s


def _robust_sd(x: pd.Series) -> float:
    v = x.dropna().to_numpy(float)
    if len(v) < 2:
        return float("nan")
    return float(MAD_CONSTANT * np.median(np.abs(v - np.median(v))))


@public
def school_register(shares: pd.DataFrame, index: pd.DataFrame, context: pd.DataFrame, *,
                    school: str = "school_id", year: str = "year", procedure: str = "procedure",
                    share_below: str = "share_below", n_participants: str | None = "n_participants",
                    result: str = "est", wellbeing: str = "est", reference_year: Any = None,
                    low_threshold: float = 0.30, min_procedures: int = 2,
                    same_procedure_years: int = 2, min_participants: int = 1,
                    low_context: float = -0.43, benchmark: float = 0.0, crisis_sd: float = 3.0,
                    improvement_sd: float = 3.0, improvement_years: int = 2) -> pd.DataFrame:
    """The register: one row per school and year with every status by absolute rules.

    * ``low_results`` (ШНОР/ШНРО): :func:`low_results_threshold` — a procedure is failed when
      the share of participants below the minimum is ``>= low_threshold``; the school-year is
      low when it failed ``>= min_procedures`` procedures, or the same procedure in
      ``same_procedure_years`` consecutive years (procedures with fewer than
      ``min_participants`` participants are not judged);
    * ``unfavourable_context`` (ШФНСУ): :math:`c_{st} = (I_{st} - m_{ref}) / s_{ref} \\le`
      ``low_context`` — the one definition of low context;
    * ``resilient``: low context, not low results and results index :math:`\\ge` ``benchmark``;
    * ``crisis``: :math:`\\Delta_{st} = R_{st} - R_{s,t-1} \\le -` ``crisis_sd`` :math:`\\cdot
      \\hat\\sigma_\\Delta`, with :math:`\\hat\\sigma_\\Delta = 1.4826\\,\\mathrm{MAD}` of all
      schools' year-to-year changes (consecutive years only);
    * ``improvement``: every one of the last ``improvement_years`` changes is :math:`> 0` and
      their sum (the ``rise``) is :math:`\\ge` ``improvement_sd`` :math:`\\cdot\\hat\\sigma_\\Delta`;
    * ``four_group``: low results × low context (:data:`FOUR_GROUPS`).

    A status is missing (``<NA>``) where its data are missing. Consecutive years are consecutive
    positions among the years present in any input.

    Parameters
    ----------
    shares : DataFrame
        School × year × procedure: ``share_below`` (0–1) and ``n_participants``
        (:func:`shnro_research.results.share_below_by_procedure`).
    index : DataFrame
        School × year results index ``result`` on a fixed scale (:func:`results_index`).
    context : DataFrame
        School × year well-being index ``wellbeing`` (higher = more favourable).
    reference_year : optional
        Year whose schools fix the context scale (default: the first year of ``context``).
    low_context, benchmark, crisis_sd, improvement_sd, improvement_years :
        Thresholds; their basis is in :func:`register_rules`.

    Returns
    -------
    DataFrame
        ``school, year, wellbeing_index, context_z, result_index, change, rise, n_procedures,
        n_failed, procedures_failed``, the statuses of :data:`REGISTER_STATUSES`, ``four_group``
        and ``status`` (the statuses held, comma-separated).

    References
    ----------
    ``docs/CONFIG.md`` (``typology.register``); Shewhart (1931); Hampel (1974) on the MAD.

    Examples
    --------
    >>> reg = school_register(share_below_by_procedure(r), results_index(r), wb)  # doctest: +SKIP

    R equivalent: ``tests/reference/register.R`` (base R, step by step).
    """
    p = _check_params(dict(low_threshold=low_threshold, min_procedures=min_procedures,
                           same_procedure_years=same_procedure_years,
                           min_participants=min_participants, low_context=low_context,
                           benchmark=benchmark, crisis_sd=crisis_sd,
                           improvement_sd=improvement_sd, improvement_years=improvement_years))
    return _register(shares, index, context, p, school=school, year=year, procedure=procedure,
                     share_below=share_below, n_participants=n_participants, result=result,
                     wellbeing=wellbeing, reference_year=reference_year, cache=None)


def _register_base(shares, index, context, *, school, year, result, wellbeing, reference_year):
    """The register's rows before any threshold: keys in school x year-position order, the
    context on the reference-year scale, the results index, its change and robust SD."""
    check_columns(index, [school, year, result], "index")
    check_columns(context, [school, year, wellbeing], "context")
    _check_unique(index, [school, year], "index")
    _check_unique(context, [school, year], "context")
    ref = context[year].dropna().min() if reference_year is None else reference_year
    cz, _, _ = _context_scale(context, school, year, wellbeing, ref)
    keys = pd.concat([shares[[school, year]], index[[school, year]], context[[school, year]]])
    reg = keys.drop_duplicates().reset_index(drop=True)
    reg["_pos"] = _year_positions(reg[year]).to_numpy()
    reg = reg.sort_values([school, "_pos"]).reset_index(drop=True)
    ctx = context[[school, year]].assign(wellbeing_index=_numeric(context, wellbeing, "context"),
                                         context_z=cz)
    reg = reg.merge(ctx, on=[school, year], how="left")
    ri = index[[school, year]].assign(result_index=_numeric(index, result, "index"))
    reg = reg.merge(ri, on=[school, year], how="left")
    # change from the previous consecutive year
    g = reg.groupby(school, sort=False)
    prev_pos, prev_val = g["_pos"].shift(1), g["result_index"].shift(1)
    reg["change"] = (reg["result_index"] - prev_val).where(reg["_pos"] - prev_pos == 1)
    return reg, _robust_sd(reg["change"])


def _register_low(shares, keys, p, *, school, year, procedure, share_below, n_participants):
    """The low-results columns of the register aligned to its rows ``keys``."""
    low = low_results_threshold(shares, share_below=share_below, school=school, year=year,
                                procedure=procedure, threshold=p["low_threshold"],
                                min_procedures=p["min_procedures"],
                                same_procedure_years=p["same_procedure_years"],
                                n_participants=n_participants,
                                min_participants=p["min_participants"])
    low = keys.merge(low[[school, year, "n_procedures", "n_failed", "procedures_failed",
                          "flagged"]], on=[school, year], how="left")
    low["n_procedures"] = low["n_procedures"].fillna(0).astype(int)
    low["n_failed"] = low["n_failed"].fillna(0).astype(int)
    low["procedures_failed"] = low["procedures_failed"].fillna("")
    return low


def _register(shares, index, context, p, *, school, year, procedure, share_below,
              n_participants, result, wellbeing, reference_year, cache):
    """:func:`school_register` with checked thresholds ``p``; ``cache`` (a dict, or None) keeps
    the parts that do not depend on a threshold, and the low-results rule per its thresholds,
    between the runs of :func:`register_sensitivity`."""
    cache = {} if cache is None else cache
    if "base" not in cache:
        cache["base"] = _register_base(shares, index, context, school=school, year=year,
                                       result=result, wellbeing=wellbeing,
                                       reference_year=reference_year)
    base, sd = cache["base"]
    reg = base.copy()
    # the shared low context: unfavourable_context(cutoff=) on the reference-year scale
    reg["_unf"] = reg["context_z"] <= float(p["low_context"])
    low_key = ("low", p["low_threshold"], p["min_procedures"], p["same_procedure_years"],
               p["min_participants"])
    if low_key not in cache:
        cache[low_key] = _register_low(shares, reg[[school, year]], p, school=school, year=year,
                                       procedure=procedure, share_below=share_below,
                                       n_participants=n_participants)
    low = cache[low_key]
    for c in ("n_procedures", "n_failed", "procedures_failed", "flagged"):
        reg[c] = low[c].to_numpy()
    # rise over the last k changes
    k = int(p["improvement_years"])
    st = pd.concat([reg.groupby(school, sort=False)["change"].shift(j) for j in range(k)], axis=1)
    complete = st.notna().all(axis=1)
    reg["rise"] = st.sum(axis=1).where(complete)
    # statuses: nullable booleans, missing where their data are missing
    has_ctx = reg["context_z"].notna()
    has_low = reg["n_procedures"] > 0
    has_res = reg["result_index"].notna()
    unf_s = _nullable(reg["_unf"].fillna(False).astype(bool), has_ctx)
    low_s = _nullable(reg["flagged"].fillna(False).astype(bool), has_low)
    at_bench = (reg["result_index"] >= p["benchmark"]) & has_res
    below = has_res & ~at_bench
    # resilient: the benchmark rule of resilient_schools with the shared cut-off, and not low
    # results; known False as soon as one of its conditions is known to fail
    # (resilient_schools(rules="benchmark", context_cutoff=low_context) on these rows)
    low_ctx = (reg["context_z"] <= float(p["low_context"])) & reg["context_z"].notna()
    res_true = _benchmark_rule(low_ctx, reg["result_index"], p["benchmark"]) \
        & ~low_s.fillna(True)
    res_false = ~unf_s.fillna(True) | low_s.fillna(False) | below
    ok_sd = bool(np.isfinite(sd) and sd > 0)
    has_change = reg["change"].notna() & ok_sd
    crisis = (reg["change"] <= -p["crisis_sd"] * sd) if ok_sd else pd.Series(False, index=reg.index)
    improve = ((st > 0).all(axis=1) & (reg["rise"] >= p["improvement_sd"] * sd) & complete) \
        if ok_sd else pd.Series(False, index=reg.index)
    out = reg[[school, year, "wellbeing_index", "context_z", "result_index", "change", "rise",
               "n_procedures", "n_failed", "procedures_failed"]].copy()
    out["low_results"] = low_s
    out["unfavourable_context"] = unf_s
    out["resilient"] = _nullable(res_true, res_true | res_false)
    out["crisis"] = _nullable(crisis.fillna(False).astype(bool), has_change)
    out["improvement"] = _nullable(improve.fillna(False).astype(bool), complete & ok_sd)
    lo, uc = low_s.fillna(False).to_numpy(bool), unf_s.fillna(False).to_numpy(bool)
    grp = np.select([lo & uc, lo & ~uc, ~lo & uc], list(FOUR_GROUPS[:3]), default=FOUR_GROUPS[3])
    out["four_group"] = pd.Series(grp, index=out.index).where(has_low & has_ctx)
    flags = out[list(REGISTER_STATUSES)].fillna(False).to_numpy(bool)
    status = np.full(len(out), "", dtype=object)
    for j, name in enumerate(REGISTER_STATUSES):
        status = status + np.where(flags[:, j], name + ",", "")
    out["status"] = pd.Series(status, index=out.index).str.rstrip(",")
    return out


def _nullable(flag: pd.Series, known: pd.Series) -> pd.Series:
    return pd.Series(pd.array(np.where(known, flag, pd.NA), dtype="boolean"), index=flag.index)


def _status_codes(register: pd.DataFrame, status: str) -> np.ndarray:
    """A status as integer codes: -1 missing; False/True as 0/1; a group as its position in
    :data:`FOUR_GROUPS`."""
    x = register[status]
    if status == "four_group":
        return pd.Categorical(x, categories=list(FOUR_GROUPS)).codes.astype(int)
    b = x.astype("boolean")
    return np.where(b.isna().to_numpy(), -1, b.fillna(False).to_numpy(bool).astype(int))


def _scale_of(register: pd.DataFrame) -> tuple[float, float]:
    """(m_ref, s_ref) of the context scale, recovered exactly from wellbeing_index = m + s z."""
    d = register[["wellbeing_index", "context_z"]].dropna()
    if len(d) < 2 or d["context_z"].nunique() < 2:
        return float("nan"), float("nan")
    i, j = d["context_z"].idxmin(), d["context_z"].idxmax()
    s = (d.at[j, "wellbeing_index"] - d.at[i, "wellbeing_index"]) / (d.at[j, "context_z"]
                                                                      - d.at[i, "context_z"])
    return float(d.at[i, "wellbeing_index"] - s * d.at[i, "context_z"]), float(s)


@public
def register_rules(register: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """The rule and the basis of every status of a register, with the thresholds used.

    Parameters
    ----------
    register : DataFrame
        The output of :func:`school_register` (its ``change`` column gives the robust SD of the
        year-to-year changes, its ``wellbeing_index`` / ``context_z`` the context scale).
    **params
        The thresholds given to :func:`school_register` (defaults :data:`REGISTER_DEFAULTS`).

    Returns
    -------
    DataFrame
        One row per status (:data:`REGISTER_STATUSES` and ``four_group``): ``status``, ``rule``
        (the thresholds in words), ``basis``, ``context_cutoff`` (the low-context cut-off in SD
        units of the reference year; the same number wherever context enters),
        ``context_cutoff_index`` (the same cut-off on the index's own scale), ``change_sd`` (the
        robust SD of year-to-year changes), ``threshold`` (the status' own cut-off in index units:
        the benchmark, the crisis fall, the improvement rise).

    Examples
    --------
    >>> register_rules(reg, low_context=-0.43)          # doctest: +SKIP
    """
    unknown = sorted(set(params) - set(REGISTER_DEFAULTS))
    if unknown:
        raise ParameterError(f"unknown threshold(s) {unknown}; known: {sorted(REGISTER_DEFAULTS)}")
    p = _check_params({**REGISTER_DEFAULTS, **params})
    check_columns(register, ["wellbeing_index", "context_z", "change"], "register")
    sd = _robust_sd(register["change"])
    m, s = _scale_of(register)
    lc = float(p["low_context"])
    lc_idx = m + s * lc
    ctx = f"well-being index <= {_fmt(lc)} SD of the reference year (index <= {lc_idx:.3g})"
    t = _fmt(p["low_threshold"] * 100)
    low = (f">= {t}% of participants below the minimum on >= {p['min_procedures']} procedures in "
           f"the year, or on the same procedure in {p['same_procedure_years']} consecutive years "
           f"(procedures with < {p['min_participants']} participants not judged)")
    k = int(p["improvement_years"])
    rows = [
        ("low_results", low, np.nan, np.nan),
        ("unfavourable_context", ctx, lc, np.nan),
        ("resilient", f"{ctx}; not low results; results index >= {_fmt(p['benchmark'])}", lc,
         float(p["benchmark"])),
        ("crisis", f"results index fell by >= {_fmt(p['crisis_sd'])} robust SD of year-to-year "
                   f"changes (>= {p['crisis_sd'] * sd:.3g} index units) since the previous year",
         np.nan, -p["crisis_sd"] * sd),
        ("improvement", f"results index rose in each of the last {k} year(s), by >= "
                        f"{_fmt(p['improvement_sd'])} robust SD of year-to-year changes in all "
                        f"(>= {p['improvement_sd'] * sd:.3g} index units)",
         np.nan, p["improvement_sd"] * sd),
        ("four_group", f"low results ({low}) x low context ({ctx})", lc, np.nan),
    ]
    out = pd.DataFrame(rows, columns=["status", "rule", "context_cutoff", "threshold"])
    out.insert(2, "basis", out["status"].map(BASIS))
    out["context_cutoff_index"] = np.where(out["context_cutoff"].notna(), lc_idx, np.nan)
    out["change_sd"] = sd
    return out[["status", "rule", "basis", "context_cutoff", "context_cutoff_index", "change_sd",
                "threshold"]]


def _state(register: pd.DataFrame, status: str) -> pd.Series:
    x = register[status]
    if status == "four_group":
        return x.astype(object).where(x.notna())
    b = x.astype("boolean")
    return pd.Series(np.where(b.isna(), None, np.where(b.fillna(False), status, f"not_{status}")),
                     index=x.index, dtype=object)


@public
def register_transitions(register: pd.DataFrame, *, school: str = "school_id",
                         year: str = "year") -> pd.DataFrame:
    """Counts of schools moving between statuses from one year to the next.

    For every status of the register (each boolean status as ``<status>`` / ``not_<status>``
    and the four groups) and every pair of consecutive years (positions among the years
    present), the number of schools observed in both years by their state in each; e.g.
    ``not_resilient`` → ``resilient`` is «переход школ в статус резильентных».

    Returns
    -------
    DataFrame
        ``status, from_year, to_year, from_state, to_state, transition, n, share``:
        ``transition`` is ``entered`` / ``left`` / ``stayed`` / ``stayed_out`` for a boolean
        status and ``changed`` / ``stayed`` for the four groups; ``share`` = n over the schools
        in ``from_state`` that year (P(to | from), 0–1). For each status and pair of years the
        counts add up to the schools with a known state in both years.

    Examples
    --------
    >>> register_transitions(reg)                      # doctest: +SKIP

    R equivalent::

        table(from = reg$resilient[reg$year == 2022], to = reg$resilient[reg$year == 2023])
    """
    check_columns(register, [school, year, *REGISTER_STATUSES, "four_group"], "register")
    _check_unique(register, [school, year], "register")
    d = register.assign(_pos=_year_positions(register[year])).sort_values([school, "_pos"])
    g = d.groupby(school, sort=False)
    nxt_pos, nxt_year = g["_pos"].shift(-1), g[year].shift(-1)
    ok = (nxt_pos - d["_pos"]) == 1
    tabs = []
    for status in (*REGISTER_STATUSES, "four_group"):
        s = _state(d, status)
        t = s.groupby(d[school], sort=False).shift(-1)
        pairs = pd.DataFrame({"from_year": d[year], "to_year": nxt_year, "from_state": s,
                              "to_state": t})[ok & s.notna() & t.notna()]
        if pairs.empty:
            continue
        tab = pairs.groupby(["from_year", "to_year", "from_state", "to_state"],
                            sort=True).size().rename("n").reset_index()
        tab.insert(0, "status", status)
        tabs.append(tab)
    cols = ["status", "from_year", "to_year", "from_state", "to_state", "transition", "n", "share"]
    if not tabs:
        return pd.DataFrame(columns=cols)
    out = pd.concat(tabs, ignore_index=True)
    out["to_year"] = out["to_year"].astype(register[year].dtype, errors="ignore")
    same = out["from_state"] == out["to_state"]
    held = out["to_state"] == out["status"]
    out["transition"] = np.where(out["status"] == "four_group",
                                 np.where(same, "stayed", "changed"),
                                 np.where(same, np.where(held, "stayed", "stayed_out"),
                                          np.where(held, "entered", "left")))
    tot = out.groupby(["status", "from_year", "to_year", "from_state"])["n"].transform("sum")
    out["share"] = out["n"] / tot
    return out[cols]


@public
def register_sensitivity(shares: pd.DataFrame, index: pd.DataFrame, context: pd.DataFrame, *,
                         steps: Mapping[str, float] | None = None, school: str = "school_id",
                         year: str = "year", **kwargs: Any) -> pd.DataFrame:
    """How many school-years change status when each threshold moves down and up by a step.

    Runs :func:`school_register` with the given thresholds (``kwargs``; defaults
    :data:`REGISTER_DEFAULTS`), then once per threshold and direction with that threshold moved
    by its step (``steps``, default ``SENSITIVITY_STEPS``: 0.05 on the share below the minimum,
    1 procedure, 0.24 SD on low context (−0.43 → −0.67, the bottom quarter), 0.25 on the
    benchmark, 0.5 SD on the crisis and improvement rules, 1 year), everything else fixed.
    Settings outside a threshold's range (e.g. 0 procedures) are skipped.

    Returns
    -------
    DataFrame
        ``parameter, setting`` (``minus`` / ``default`` / ``plus``), ``threshold`` (the value
        used), ``status``, ``n_flagged`` (school-years holding the status; for ``four_group``
        those in any group but ``neither``), ``n_changed``
        (school-years whose status differs from the default run), ``n_schools_changed``.

    Examples
    --------
    >>> register_sensitivity(shares, ri, wb, low_context=-0.43)   # doctest: +SKIP
    """
    steps = dict(SENSITIVITY_STEPS if steps is None else steps)
    unknown = sorted(set(steps) - set(REGISTER_DEFAULTS))
    if unknown:
        raise ParameterError(f"'steps' names unknown threshold(s) {unknown}; known: "
                             f"{sorted(REGISTER_DEFAULTS)}")
    thr = {k: kwargs.pop(k) for k in list(kwargs) if k in REGISTER_DEFAULTS}
    base_p = {**REGISTER_DEFAULTS, **thr}
    # one cache across the runs: the threshold-free part once, the low-results rule once per
    # setting of its own thresholds (the other thresholds reuse the default's)
    opts = {**_OPTIONS, **kwargs}
    cache: dict = {}

    def run(params):
        return _register(shares, index, context, _check_params(dict(params)), school=school,
                         year=year, cache=cache, **opts)

    base = run(base_p)
    cols = [*REGISTER_STATUSES, "four_group"]
    rows = []
    # every run shares the rows of the cached base, in the same order: compare positionally,
    # each status as codes (-1 missing; 0/1 for a boolean status, the group for four_group)
    school_code = pd.factorize(base[school])[0]
    key = {st: _status_codes(base, st) for st in cols}

    def compare(name, setting, value, reg):
        for st in cols:
            r = _status_codes(reg, st)
            diff = r != key[st]
            flagged = (int((r == 1).sum()) if st != "four_group"
                       else int(((r >= 0) & (r != len(FOUR_GROUPS) - 1)).sum()))
            rows.append(dict(parameter=name, setting=setting, threshold=float(value), status=st,
                             n_flagged=flagged, n_changed=int(diff.sum()),
                             n_schools_changed=int(np.unique(school_code[diff & (school_code >= 0)]).size)))

    for name, step in steps.items():
        compare(name, "default", base_p[name], base)
        for setting, sign in (("minus", -1), ("plus", 1)):
            value = base_p[name] + sign * step
            if name in ("min_procedures", "improvement_years", "same_procedure_years",
                        "min_participants"):
                value = int(round(value))
            try:
                _check_params({**base_p, name: value})
            except ParameterError:
                continue
            reg = run({**base_p, name: value})
            compare(name, setting, value, reg)
    return pd.DataFrame(rows)
