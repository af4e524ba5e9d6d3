"""Survey design objects: multistage Taylor designs and replicate-weight designs.

:func:`survey_design` mirrors R ``survey::svydesign(ids=, strata=, weights=|probs=, fpc=, nest=)``
with ``options(survey.lonely.psu=)`` passed as ``lonely_psu``; :func:`replicate_design` mirrors
``svrepdesign`` and :func:`as_replicate` mirrors ``as.svrepdesign(type="JK1"|"JKn")``.

The variance engine (:func:`_taylor_var`) reproduces ``survey:::svyrecvar`` / ``multistage`` /
``onestage`` / ``onestrat`` of survey 4.1: between-PSU variance within strata at stage 1, and,
when a finite population correction is given, the later-stage contributions multiplied by the
sampling fractions of the earlier stages (Särndal, Swensson & Wretman 1992, §4.3; Lumley 2010,
§3.3).  It works on *sparse domain entries* ``(row, domain, value)`` so that 40,000 school
domains of 2e6 pupils cost one sort, never a dense n × domains matrix.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_option, tidy
from ..errors import DataError, DesignWarning, ParameterError
from .._checks import public
from .._summary import Summary, summary_text

LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")
REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")


def _codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..k-1 (sorted order of the unique values) and the uniques."""
    codes, uniq = pd.factorize(pd.Series(values).to_numpy(), sort=True)
    return codes.astype(np.int64), np.asarray(uniq)


def _present(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """The sorted distinct values of integer ``codes`` in 0..n_codes-1 (``np.unique``, by
    counting instead of sorting)."""
    return np.flatnonzero(np.bincount(codes, minlength=n_codes))


def _pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the interaction of two integer code vectors."""
    key = a.astype(np.int64) * (int(b.max()) + 1 if len(b) else 1) + b.astype(np.int64)
    return _codes(key)[0]


@dataclass(frozen=True)
class _Stage:
    clus: np.ndarray          # (n,) cluster code at this stage, 0..C-1, unique within the design
    clus_stratum: np.ndarray  # (C,) stratum code of each cluster
    n_h: np.ndarray           # (S,) number of sampled clusters per stratum
    f_h: np.ndarray           # (S,) 1 - sampling fraction (1 when no fpc / infinite population)
    mult_h: np.ndarray        # (S,) product of earlier-stage sampling fractions
    popsize_h: np.ndarray     # (S,) population count (inf when none)

    @property
    def n_clusters(self) -> int:
        return len(self.clus_stratum)

    @property
    def n_strata(self) -> int:
        return len(self.n_h)


@dataclass(frozen=True)
class _Calibration:
    mm: np.ndarray      # (n, k) calibration model matrix
    whalf: np.ndarray   # (n,) sqrt of the weights before calibration
    g: np.ndarray       # (n,) calibration g-weights


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A (multistage, stratified) sample design; build it with :func:`survey_design`.

    Attributes
    ----------
    data : DataFrame
        The respondents (one row each, index reset).
    weights : ndarray
        Final sampling weights (after any calibration / trimming).
    ids, strata, fpc : list of str
        Column names used for the stages (``ids`` empty: each row is its own PSU).
    lonely_psu : str
        Policy for strata (or stage-k clusters) with one sampled unit, as R ``survey.lonely.psu``.
    """

    data: pd.DataFrame
    weights: np.ndarray
    ids: list[str]
    strata: list[str]
    fpc: list[str | None]
    lonely_psu: str
    nest: bool
    stages: tuple[_Stage, ...] = field(repr=False)
    strata_codes: np.ndarray = field(repr=False)
    has_fpc: bool = False
    calibrations: tuple[_Calibration, ...] = field(default=(), repr=False)

    # ------------------------------------------------------------------ basic facts
    @property
    def n(self) -> int:
        """Number of respondents (rows)."""
        return len(self.weights)

    @property
    def n_psu(self) -> int:
        """Number of first-stage sampling units."""
        return self.stages[0].n_clusters

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata."""
        return self.stages[0].n_strata

    def degf(self, rows: np.ndarray | None = None) -> int:
        """Design degrees of freedom #PSU − #strata (R ``degf(design)``), optionally for a subset."""
        st = self.stages[0]
        if rows is None:
            return int(st.n_clusters - st.n_strata)
        psu = _present(st.clus[rows], st.n_clusters)
        return int(len(psu) - len(np.unique(st.clus_stratum[psu])))

    def with_weights(self, weights: np.ndarray, calibration: _Calibration | None = None) -> "SurveyDesign":
        """A copy of the design with new final weights (and optionally one more calibration)."""
        w = np.asarray(weights, dtype=float)
        _check_weights(w, "weights")
        cals = self.calibrations + ((calibration,) if calibration is not None else ())
        return SurveyDesign(self.data, w, self.ids, self.strata, self.fpc, self.lonely_psu,
                            self.nest, self.stages, self.strata_codes, self.has_fpc, cals)

    def tidy(self) -> pd.DataFrame:
        """One row per stage: ``stage, unit, n_units, n_strata, fpc, lonely_units``."""
        rows = []
        names = self.ids or ["(row)"]
        for k, st in enumerate(self.stages):
            rows.append({"stage": k + 1, "unit": names[k] if k < len(names) else "(row)",
                         "n_units": st.n_clusters, "n_strata": st.n_strata,
                         "fpc": bool(np.isfinite(st.popsize_h).any()),
                         "lonely_units": int((st.n_h == 1).sum())})
        return pd.DataFrame(rows)

    def glance(self) -> pd.DataFrame:
        """One row: ``n, n_psu, n_strata, stages, df, weight_sum, n_eff, deff`` (Kish, of the
        weights), ``fpc, lonely_psu, calibrated``."""
        w = self.weights
        n_eff = float(w.sum() ** 2 / (w * w).sum())
        return tidy(pd.DataFrame([{"n": self.n, "n_psu": self.n_psu, "n_strata": self.n_strata,
                              "stages": len(self.stages), "df": self.degf(),
                              "weight_sum": float(w.sum()), "n_eff": n_eff,
                              "deff": self.n / n_eff, "fpc": self.has_fpc,
                              "lonely_psu": self.lonely_psu,
                              "calibrated": bool(self.calibrations)}]))

    def summary(self) -> Summary:
        """Printable summary of the design: sample, strata, weights, then one row per stage."""
        g = self.glance().iloc[0]
        header = [("Design", "stratified multistage (Taylor linearisation)"),
                  ("Clusters (ids)", " + ".join(self.ids) or "(each row)"),
                  ("Strata", " + ".join(self.strata) or "(none)"),
                  ("FPC", " + ".join("Inf" if f is None else f for f in self.fpc) or "(none)"),
                  ("No. observations", self.n), ("First-stage units", self.n_psu),
                  ("First-stage strata", self.n_strata), ("Design df", self.degf()),
                  ("Sum of weights", g["weight_sum"]), ("Kish n_eff", g["n_eff"]),
                  ("Weighting deff", g["deff"]), ("Lonely PSU", self.lonely_psu),
                  ("Calibrated", bool(self.calibrations))]
        return summary_text("Survey design", header, [("Stages", self.tidy(), None)],
                            ["variances as R survey::svydesign (svyrecvar)"])

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return (f"SurveyDesign(n={self.n}, psu={self.n_psu}, strata={self.n_strata}, "
                f"stages={len(self.stages)}, fpc={self.has_fpc}, lonely_psu={self.lonely_psu!r}, "
                f"calibrated={bool(self.calibrations)})")

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()._repr_html_()


def _check_weights(w: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{name}: weights must be positive and finite; row {i} has {w[i]!r} "
                        f"({int(bad.sum())} bad value(s) in all)")


def _numeric_column(data: pd.DataFrame, col: str, what: str) -> np.ndarray:
    s = data[col]
    if not pd.api.types.is_numeric_dtype(s):
        raise DataError(f"{what} column {col!r} must be numeric; got dtype {s.dtype}")
    v = s.to_numpy(dtype=float)
    if np.isnan(v).any():
        i = int(np.flatnonzero(np.isnan(v))[0])
        raise DataError(f"{what} column {col!r} has missing values (first at row {i})")
    return v


@public(renamed={"weights": "weight"})
def survey_design(data: pd.DataFrame, *, ids: str | Sequence[str] | None = None,
                  strata: str | None = None, weight: str | None = None,
                  probs: str | Sequence[str] | None = None,
                  fpc: str | Sequence[str | None] | None = None,
                  lonely_psu: str = "fail", nest: bool = False) -> SurveyDesign:
    """Describe a stratified multistage sample (municipality → school → class → respondent).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    ids : str or list of str, optional
        Cluster identifiers per stage, outermost first, e.g. ``["school_id", "class_id"]``.
        ``None``: each row is its own PSU (R ``id=~1``).
    strata : str, optional
        First-stage stratum column (e.g. municipality or school type).
    weight : str, optional
        Final sampling weight column (positive, finite); R ``weights = ~w``.
    probs : str or list of str, optional
        Selection probabilities (one column per stage, multiplied); alternative to ``weight``.
        With neither, weights follow from ``fpc`` (Π N_k / n_k) or are 1 (with a
        :class:`~shnro_research.errors.DesignWarning`).
    fpc : str or list of (str or None), optional
        Per stage: population counts (all ≥ 1) or sampling fractions (all ≤ 1), constant within
        the stratum of that stage; ``None`` for a stage means sampling with replacement at that
        stage (R ``Inf``).  Without any fpc the design is "with replacement" at stage 1 and later
        stages add nothing (ultimate-cluster variance).
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        What to do with a stratum (or, at later stages, a cluster) holding a single sampled unit:
        exactly as R ``options(survey.lonely.psu=)``.  "fail" raises :class:`DataError` here,
        at construction (R fails at estimation).  "certainty" and "remove" give such strata
        no variance; "adjust" centres them at the grand mean; "average" replaces them by the
        average of the other strata (at stage ≥ 2 R, and so this function, gives NaN).
    nest : bool
        ``True``: cluster ids are only unique within stratum (stage 1) and within the parent
        cluster (later stages), so ids are combined with them (R ``nest=TRUE``).  ``False``
        (default): the same PSU id in two strata or the same class id in two schools is an
        error, because it usually means an id collision in the data.

    Returns
    -------
    SurveyDesign

    Raises
    ------
    DataError
        Missing or non-numeric design columns, non-positive weights, PSU ids repeated across
        strata or class ids across schools (unless ``nest=True``), fpc varying within a
        stratum or smaller than the sample, lonely PSUs under ``lonely_psu="fail"``.

    Notes
    -----
    Variance: Σ_h (1 − f_h) n_h/(n_h − 1) Σ_i (z_hi − z̄_h)² at stage 1 plus, when fpc is given,
    Σ_i (n_h/N_h) V_i(stage 2) and so on (R ``svyrecvar``); z are PSU totals of the
    linearised estimating function.

    Examples
    --------
    R equivalent::

        svydesign(id = ~school + class, strata = ~municipality, fpc = ~N1 + N2,
                  data = d, nest = TRUE)

    >>> d = survey_design(df, ids=["school_id", "class_id"], strata="municipality",
    ...                   fpc=["n_schools", "n_classes"], nest=True)  # doctest: +SKIP
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"'data' must be a pandas DataFrame; got {type(data).__name__}")
    check_option(lonely_psu, "lonely_psu", LONELY_PSU)
    if not isinstance(nest, bool):
        raise ParameterError(f"'nest' must be True or False; got {nest!r}")
    ids_l = as_list(ids)
    if strata is not None and not isinstance(strata, str):
        raise ParameterError(f"'strata' must be one column name; got {strata!r}")
    if weight is not None and probs is not None:
        raise ParameterError(f"give either 'weight' or 'probs', not both; got weight={weight!r}, "
                             f"probs={probs!r}")
    fpc_l: list[str | None] = [fpc] if isinstance(fpc, str) else (list(fpc) if fpc is not None else [])
    n_stages = max(len(ids_l), 1)
    if fpc_l and len(fpc_l) != n_stages:
        raise ParameterError(f"'fpc' needs one entry per stage ({n_stages}: {ids_l or ['(row)']}); "
                             f"got {len(fpc_l)}: {fpc_l}")
    probs_l = as_list(probs)
    needed = ids_l + as_list(strata) + as_list(weight) + probs_l + [c for c in fpc_l if c is not None]
    check_columns(data, needed, "survey_design data")
    data = data.reset_index(drop=True)
    n = len(data)
    if n == 0:
        raise DataError("survey_design data: no rows")

    # ---- strata and clusters (codes), with nesting checks
    for col in ids_l + as_list(strata):
        if data[col].isna().any():
            i = int(np.flatnonzero(data[col].isna().to_numpy())[0])
            raise DataError(f"design column {col!r} has missing values (first at row {i})")
    strata_codes = _codes(data[strata])[0] if strata is not None else np.zeros(n, np.int64)
    clus_codes: list[np.ndarray] = []
    if not ids_l:
        clus_codes.append(np.arange(n, dtype=np.int64))
    for k, col in enumerate(ids_l):
        raw = _codes(data[col])[0]
        parent = strata_codes if k == 0 else clus_codes[k - 1]
        combined = _pair_codes(parent, raw)
        if not nest:
            n_raw, n_comb = raw.max() + 1, combined.max() + 1
            if n_comb != n_raw:
                # find an id that sits in two parents
                pair = pd.DataFrame({"id": data[col].to_numpy(), "parent": parent})
                cnt = pair.drop_duplicates().groupby("id", sort=False)["parent"].size()
                bad_id = cnt.index[cnt.to_numpy() > 1][0]
                if k == 0:
                    parents = data.loc[data[col] == bad_id, strata].unique()[:2].tolist()
                    raise DataError(f"PSU id {bad_id!r} of column {col!r} occurs in several strata "
                                    f"of {strata!r} ({parents}); ids must be unique across strata, "
                                    "or pass nest=True if they are numbered within stratum")
                pcol = ids_l[k - 1]
                parents = data.loc[data[col] == bad_id, pcol].unique()[:2].tolist()
                raise DataError(f"{col!r} = {bad_id!r} occurs in several {pcol!r} units {parents} "
                                f"(not nested); make ids unique or pass nest=True if {col!r} is "
                                f"numbered within {pcol!r}")
        clus_codes.append(combined)

    # ---- stratum at each stage, sample sizes
    stage_strata = [strata_codes] + clus_codes[:-1]
    n_h_list, clus_str_list = [], []
    for k in range(n_stages):
        c, s = clus_codes[k], stage_strata[k]
        C = int(c.max()) + 1
        cs = np.empty(C, np.int64)
        cs[c] = s
        S = int(s.max()) + 1
        n_h = np.bincount(cs, minlength=S).astype(float)
        n_h_list.append(n_h)
        clus_str_list.append(cs)

    # ---- fpc
    has_fpc = bool(fpc_l)
    popsize_list = []
    if has_fpc:
        vals = {c: _numeric_column(data, c, "fpc") for c in fpc_l if c is not None}
        allv = np.concatenate(list(vals.values())) if vals else np.array([2.0])
        is_count = bool((allv > 1).any())
        if is_count and (allv < 1).any():
            raise DataError(f"fpc columns {fpc_l} mix population counts (>1) and sampling fractions "
                            "(<1); give all counts or all fractions")
        if (allv <= 0).any():
            raise DataError(f"fpc columns {fpc_l} must be positive")
        for k in range(n_stages):
            S = len(n_h_list[k])
            col = fpc_l[k]
            if col is None:
                popsize_list.append(np.full(S, np.inf))
                continue
            v = vals[col]
            s = stage_strata[k]
            lo = np.full(S, np.inf)
            hi = np.full(S, -np.inf)
            np.minimum.at(lo, s, v)
            np.maximum.at(hi, s, v)
            if (hi - lo > 1e-9 * np.maximum(1, np.abs(hi))).any():
                j = int(np.flatnonzero(hi - lo > 1e-9 * np.maximum(1, np.abs(hi)))[0])
                where = (f"stratum {_codes(data[strata])[1][j]!r}" if (k == 0 and strata) else
                         f"stage-{k + 1} stratum #{j}" if k == 0 else
                         f"{ids_l[k - 1]!r} unit #{j}")
                raise DataError(f"fpc column {col!r} varies within {where} (from {lo[j]} to {hi[j]}); "
                                "it must be constant within the stratum of its stage")
            pop = lo if is_count else n_h_list[k] / lo
            if (pop < n_h_list[k] - 1e-9).any():
                j = int(np.flatnonzero(pop < n_h_list[k] - 1e-9)[0])
                raise DataError(f"fpc column {col!r} implies more than 100% sampling: population "
                                f"{pop[j]:g} < {int(n_h_list[k][j])} sampled units (stage {k + 1})")
            popsize_list.append(pop)
    else:
        popsize_list = [np.full(len(h), np.inf) for h in n_h_list]

    # ---- weights
    if weight is not None:
        w = _numeric_column(data, weight, "weight")
        _check_weights(w, f"weight column {weight!r}")
    elif probs_l:
        p = np.ones(n)
        for c in probs_l:
            pc = _numeric_column(data, c, "probs")
            if ((pc <= 0) | (pc > 1)).any():
                i = int(np.flatnonzero((pc <= 0) | (pc > 1))[0])
                raise DataError(f"probs column {c!r} must lie in (0, 1]; row {i} has {pc[i]!r}")
            p = p * pc
        w = 1.0 / p
    elif has_fpc and all(np.isfinite(pp).all() for pp in popsize_list):
        w = np.ones(n)
        for k in range(n_stages):
            s = stage_strata[k]
            w = w * (popsize_list[k][s] / n_h_list[k][s])
    else:
        warnings.warn("survey_design: no weights or probabilities supplied, assuming equal "
                      "probability", DesignWarning, stacklevel=3)
        w = np.ones(n)

    # ---- assemble stages
    stages = []
    mult_prev = None
    for k in range(n_stages):
        n_h, pop = n_h_list[k], popsize_list[k]
        f_h = np.where(np.isinf(pop), 1.0, (pop - n_h) / np.where(np.isinf(pop), 1.0, pop))
        if k == 0:
            mult = np.ones(len(n_h))
        else:
            prev = stages[k - 1]
            frac_prev = prev.n_h / prev.popsize_h  # 0 for infinite populations
            # stratum of stage k == cluster of stage k-1
            mult = prev.mult_h[prev.clus_stratum] * frac_prev[prev.clus_stratum]
        stages.append(_Stage(clus_codes[k], clus_str_list[k], n_h, f_h, mult, pop))
        mult_prev = mult
    del mult_prev
    stages_t = tuple(stages)

    # ---- lonely units
    check_stages = stages_t if has_fpc else stages_t[:1]
    if lonely_psu == "fail":
        for k, st in enumerate(check_stages):
            lonely = (st.n_h == 1) & (st.f_h >= 1e-7)
            if lonely.any():
                j = int(np.flatnonzero(lonely)[0])
                if k == 0:
                    lab = _codes(data[strata])[1][j] if strata else j
                    label = repr(lab.item() if hasattr(lab, "item") else lab)
                    unit = ids_l[0] if ids_l else "row"
                    raise DataError(f"stratum {label} of {strata!r} has only one sampled PSU "
                                    f"({unit}) at stage 1 ({int(lonely.sum())} such strata); "
                                    "choose lonely_psu='certainty'|'remove'|'adjust'|'average' "
                                    "or collapse strata")
                parent_col = ids_l[k - 1]
                row = int(np.flatnonzero(stages_t[k - 1].clus == j)[0])
                pv = data[parent_col].iloc[row]
                pv = pv.item() if hasattr(pv, "item") else pv
                raise DataError(f"{parent_col!r} unit {pv!r} has only one "
                                f"sampled {ids_l[k]!r} unit at stage {k + 1} "
                                f"({int(lonely.sum())} such units) and its population count says "
                                "it was sampled; choose another lonely_psu policy")
    return SurveyDesign(data, w, ids_l, as_list(strata), fpc_l, lonely_psu, nest, stages_t,
                        strata_codes, has_fpc)


# ====================================================================== Taylor variance engine
#: domain x cluster cells counted densely (bincount) rather than by sorting the entries
_DENSE_KEYS = 1 << 22


def _taylor_var(design: SurveyDesign, rows: np.ndarray, dom: np.ndarray, val: np.ndarray,
                n_dom: int) -> np.ndarray:
    """Variance of Σ val over each domain, for sparse entries (row, domain, value).

    ``rows`` / ``dom`` / ``val`` have equal length; a row may appear under several domains.
    Rows absent from a domain contribute zero (R's domain estimation via ``svyby``).
    Returns an array of ``n_dom`` variances (R ``svyrecvar`` diagonal).
    """
    rows = np.asarray(rows, np.int64)
    dom = np.asarray(dom, np.int64)
    val = np.asarray(val, float)
    if design.calibrations:
        rows, dom, val = _calibration_residuals(design, rows, dom, val, n_dom)
    out = np.zeros(n_dom)
    stages = design.stages if design.has_fpc else design.stages[:1]
    policy = design.lonely_psu
    for k, st in enumerate(stages):
        C, S = st.n_clusters, st.n_strata
        key = dom * C + st.clus[rows]
        if n_dom * C <= _DENSE_KEYS + 4 * len(key):
            # few domain x cluster cells: count them densely instead of sorting the entries
            # (the same sums, accumulated in the same order: bit-identical to np.unique)
            uk = np.flatnonzero(np.bincount(key, minlength=n_dom * C))
            Z = np.bincount(key, weights=val, minlength=n_dom * C)[uk]
        else:
            uk, inv = np.unique(key, return_inverse=True)
            Z = np.bincount(inv, weights=val, minlength=len(uk))
        d_c, c_c = uk // C, uk % C
        s_c = st.clus_stratum[c_c]
        key2 = d_c * S + s_c
        u2, inv2 = np.unique(key2, return_inverse=True)
        S1 = np.bincount(inv2, weights=Z, minlength=len(u2))
        S2 = np.bincount(inv2, weights=Z * Z, minlength=len(u2))
        d2, s2 = u2 // S, u2 % S
        n_h, f_h, mult = st.n_h[s2], st.f_h[s2], st.mult_h[s2]
        selfrep = f_h < 1e-7
        lonely = (n_h == 1) & ~selfrep
        regular = ~lonely & ~selfrep
        contrib = np.zeros(len(u2))
        nh_safe = np.where(n_h > 1, n_h, 2.0)
        contrib[regular] = (f_h * n_h / (nh_safe - 1))[regular] * (S2 - S1 * S1 / n_h)[regular]
        if policy == "adjust":
            contrib[lonely] = (f_h * S2)[lonely]
        elif policy == "fail" and lonely.any():
            raise DataError(f"a stratum has only one PSU at stage {k + 1} (lonely_psu='fail')")
        contrib = contrib * mult
        if policy == "average" and lonely.any():
            if k == 0:
                n_str = np.bincount(d2, minlength=n_dom).astype(float)
                n_ok = n_str - np.bincount(d2, weights=lonely.astype(float), minlength=n_dom)
                tot = np.bincount(d2, weights=contrib, minlength=n_dom)
                with np.errstate(divide="ignore", invalid="ignore"):
                    out += tot * n_str / n_ok
                continue
            nan_d = np.unique(d2[lonely])
            out += np.bincount(d2, weights=contrib, minlength=n_dom)
            out[nan_d] = np.nan
            continue
        out += np.bincount(d2, weights=contrib, minlength=n_dom)
    return out


def _taylor_cov(design: SurveyDesign, X: np.ndarray) -> np.ndarray:
    """Full p × p covariance of the column totals of ``X`` (n × p), as R ``svyrecvar``."""
    X = np.asarray(X, float)
    if X.ndim == 1:
        X = X[:, None]
    return _taylor_cov_columns(design, lambda j: X[:, j], X.shape[1])


def _taylor_cov_columns(design: SurveyDesign, column, p: int) -> np.ndarray:
    """:func:`_taylor_cov` of the n × p matrix whose j-th column is ``column(j)``, built one
    column at a time (no n × p matrix: the same cluster totals, the same covariance)."""
    stages = design.stages if design.has_fpc else design.stages[:1]
    if design.calibrations:
        X = np.column_stack([np.asarray(column(j), float) for j in range(p)]) if p else \
            np.zeros((design.n, 0))
        rows = np.repeat(np.arange(design.n), p)
        dom = np.tile(np.arange(p), design.n)
        _, _, val = _calibration_residuals(design, rows, dom, X.ravel(), p)
        X = val.reshape(design.n, p)
        column = lambda j: X[:, j]          # noqa: E731 - the residual columns
    totals = [np.zeros((st.n_clusters, p)) for st in stages]
    for j in range(p):
        x = np.asarray(column(j), float)
        for Z, st in zip(totals, stages):
            Z[:, j] = np.bincount(st.clus, weights=x, minlength=st.n_clusters)
    V = np.zeros((p, p))
    for k, (st, Z) in enumerate(zip(stages, totals)):
        s = st.clus_stratum
        S1 = np.zeros((st.n_strata, p))
        for j in range(p):
            S1[:, j] = np.bincount(s, weights=Z[:, j], minlength=st.n_strata)
        n_h, f_h, mult = st.n_h, st.f_h, st.mult_h
        selfrep = f_h < 1e-7
        lonely = (n_h == 1) & ~selfrep
        if design.lonely_psu == "fail" and lonely.any():
            raise DataError(f"a stratum has only one PSU at stage {k + 1} (lonely_psu='fail')")
        centred = Z - (S1 / n_h[:, None])[s]
        scale = np.where(n_h > 1, f_h * n_h / np.where(n_h > 1, n_h - 1, 1), f_h) * mult
        scale = np.where(selfrep, 0.0, scale)
        if design.lonely_psu == "adjust":
            centred[lonely[s]] = Z[lonely[s]]
        else:
            scale = np.where(lonely, 0.0, scale)
        Vk = (centred * scale[s][:, None]).T @ centred
        if design.lonely_psu == "average" and lonely.any():
            if k == 0:
                Vk = Vk * st.n_strata / (st.n_strata - lonely.sum()) if st.n_strata > lonely.sum() \
                    else Vk * np.nan
            else:
                Vk = Vk * np.nan
        V += Vk
    return V


def _calibration_residuals(design: SurveyDesign, rows, dom, val, n_dom):
    """Replace estimating functions by their calibration residuals (R ``greg_calibration``).

    Needs a dense n × domains matrix; refused beyond 5e7 cells.
    """
    n = design.n
    if n * n_dom > 5e7:
        raise ParameterError(f"variance after calibration needs an n × domains matrix "
                             f"({n} × {n_dom}); estimate fewer domains at once")
    X = np.zeros((n, n_dom))
    np.add.at(X, (rows, dom), val)
    for cal in design.calibrations:
        wq = cal.mm * cal.whalf[:, None]
        w = cal.g * cal.whalf
        Y = X / w[:, None]
        beta, *_ = np.linalg.lstsq(wq, Y, rcond=None)
        X = (Y - wq @ beta) * w[:, None]
    r = np.repeat(np.arange(n), n_dom)
    d = np.tile(np.arange(n_dom), n)
    return r, d, X.ravel()


# ====================================================================== replicate designs
@dataclass(frozen=True, eq=False)
class ReplicateDesign:
    """A design described by replicate weights (R ``svrepdesign``); see :func:`replicate_design`.

    ``repweights`` are always stored *combined* (full replicate weights, n × R).
    Variance: ``scale * Σ_r rscales_r (θ_r − θ̄)²`` with θ̄ the mean of the replicates
    (``mse=False``, R default) or the full-sample estimate (``mse=True``).
    """

    data: pd.DataFrame
    weights: np.ndarray
    repweights: np.ndarray
    type: str
    scale: float
    rscales: np.ndarray
    mse: bool
    degf_: int

    @property
    def n(self) -> int:
        return len(self.weights)

    def degf(self, rows: np.ndarray | None = None) -> int:
        """Degrees of freedom: rank of the replicate weights − 1 (R ``degf.svyrep.design``)."""
        return int(self.degf_)

    def rep_var(self, thetas: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Variance from replicate estimates ``thetas`` (R × k) as R ``svrVar``."""
        thetas = np.asarray(thetas, float)
        if thetas.ndim == 1:
            thetas = thetas[:, None]
        centre = np.asarray(full, float) if self.mse else thetas[self.rscales > 0].mean(axis=0)
        dev = thetas - centre
        return self.scale * np.einsum("r,rk->k", self.rscales, dev * dev)

    def rep_cov(self, thetas: np.ndarray, full: np.ndarray) -> np.ndarray:
        thetas = np.asarray(thetas, float)
        centre = np.asarray(full, float) if self.mse else thetas[self.rscales > 0].mean(axis=0)
        dev = thetas - centre
        return self.scale * (dev * self.rscales[:, None]).T @ dev

    def tidy(self) -> pd.DataFrame:
        """One row per replicate: ``replicate, rscale, weight_sum``."""
        return pd.DataFrame({"replicate": np.arange(1, self.repweights.shape[1] + 1),
                             "rscale": self.rscales, "weight_sum": self.repweights.sum(axis=0)})

    def glance(self) -> pd.DataFrame:
        """One row: ``n, type, replicates, scale, mse, df, weight_sum, n_eff, deff``."""
        w = self.weights
        n_eff = float(w.sum() ** 2 / (w * w).sum())
        return tidy(pd.DataFrame([{"n": self.n, "type": self.type,
                              "replicates": int(self.repweights.shape[1]), "scale": self.scale,
                              "mse": self.mse, "df": self.degf_, "weight_sum": float(w.sum()),
                              "n_eff": n_eff, "deff": self.n / n_eff}]))

    def summary(self) -> Summary:
        """Printable summary of the replicate design."""
        g = self.glance().iloc[0]
        header = [("Design", f"replicate weights ({self.type})"), ("No. observations", self.n),
                  ("Replicates", int(g["replicates"])), ("Scale", self.scale),
                  ("Centre", "full-sample estimate (mse)" if self.mse else "replicate mean"),
                  ("Design df", self.degf_), ("Sum of weights", g["weight_sum"]),
                  ("Kish n_eff", g["n_eff"]), ("Weighting deff", g["deff"])]
        rep = self.tidy()
        rs = pd.DataFrame({"rscale_min": [rep["rscale"].min()], "rscale_max": [rep["rscale"].max()],
                           "weight_sum_min": [rep["weight_sum"].min()],
                           "weight_sum_max": [rep["weight_sum"].max()]})
        return summary_text("Replicate-weight survey design", header,
                            [("Replicates", rs, None)],
                            ["variances as R survey::svrepdesign (svrVar)"])

    def __repr__(self) -> str:  # pragma: no cover
        return (f"ReplicateDesign(n={self.n}, type={self.type!r}, replicates={self.repweights.shape[1]}, "
                f"scale={self.scale:g}, degf={self.degf_})")

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()._repr_html_()


@public(renamed={"weights": "weight"})
def replicate_design(data: pd.DataFrame, *, repweights: str | Sequence[str] | np.ndarray,
                     weight: str | None = None, type: str = "JK1", rho: float | None = None,
                     scale: float | None = None, rscales: Sequence[float] | None = None,
                     combined_weights: bool = True, mse: bool = False) -> ReplicateDesign:
    """Describe data that come with replicate weights (jackknife, BRR, Fay).

    Parameters
    ----------
    data : DataFrame
    repweights : list of column names, a regex-free prefix string, or an (n × R) array
        A string is taken as a column-name prefix (e.g. ``"W_FSTR"`` for PISA's 80 replicates).
    weight : str, optional
        Full-sample weight column; default 1 (with a :class:`DesignWarning`, as R).
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "other"}
        JK1: scale (R−1)/R; JKn: needs ``rscales`` ((n_h − 1)/n_h per replicate); BRR: scale 1/R;
        Fay: scale 1/(R (1−rho)²); bootstrap: 1/(R−1).
    combined_weights : bool
        ``True``: replicate columns are full weights; ``False``: they are multipliers of ``weight``.
    mse : bool
        Centre the replicates at the full-sample estimate instead of their mean.

    Examples
    --------
    R equivalent::

        svrepdesign(data = d, repweights = "W_FSTR[0-9]+", weights = ~W_FSTUWT,
                    type = "Fay", rho = 0.5)
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"'data' must be a pandas DataFrame; got {type(data).__name__}")
    check_option(type, "type", REPLICATE_TYPES)
    data = data.reset_index(drop=True)
    if isinstance(repweights, str):
        cols = [c for c in data.columns if str(c).startswith(repweights)]
        if not cols:
            raise DataError(f"no column starts with repweights prefix {repweights!r}")
        R = data[cols].to_numpy(float)
    elif isinstance(repweights, np.ndarray):
        R = np.asarray(repweights, float)
        if R.ndim != 2 or R.shape[0] != len(data):
            raise ParameterError(f"'repweights' array must be n × R with n = {len(data)}; got {R.shape}")
    else:
        cols = list(repweights)
        check_columns(data, cols, "replicate_design data")
        R = data[cols].to_numpy(float)
    if np.isnan(R).any():
        raise DataError("replicate weights have missing values")
    if (R < 0).any():
        raise DataError("replicate weights must be non-negative")
    if weight is None:
        warnings.warn("replicate_design: no sampling weights provided: equal probability assumed",
                      DesignWarning, stacklevel=3)
        w = np.ones(len(data))
    else:
        check_columns(data, [weight], "replicate_design data")
        w = _numeric_column(data, weight, "weight")
        _check_weights(w, f"weight column {weight!r}")
    nrep = R.shape[1]
    if type == "Fay" and rho is None:
        raise ParameterError("type='Fay' needs 'rho' (e.g. 0.5 for PISA); got None")
    if type == "BRR":
        scale = 1.0 / nrep
    elif type == "Fay":
        check_number_rho(rho)
        scale = 1.0 / (nrep * (1 - rho) ** 2)
    elif type == "bootstrap" and scale is None:
        scale = 1.0 / (nrep - 1)
    elif type == "JK1" and scale is None:
        scale = (nrep - 1) / nrep
    if type == "JKn" and rscales is None:
        if combined_weights:
            raise ParameterError("type='JKn' with combined weights needs 'rscales' ((n_h-1)/n_h per replicate)")
        rscales = 1.0 / R.max(axis=0)
    if scale is None:
        scale = 1.0
    rs = np.ones(nrep) if rscales is None else np.asarray(rscales, float)
    if rs.shape != (nrep,):
        raise ParameterError(f"'rscales' must have one value per replicate ({nrep}); got {rs.shape}")
    full = R if combined_weights else R * w[:, None]
    degf = int(np.linalg.matrix_rank(full, tol=None)) - 1
    return ReplicateDesign(data, w, full, type, float(scale), rs, bool(mse), degf)


def check_number_rho(rho: Any) -> None:
    if not isinstance(rho, (int, float)) or not 0 <= rho < 1:
        raise ParameterError(f"'rho' must be a number in [0, 1); got {rho!r}")


@public
def as_replicate(design: SurveyDesign, type: str = "JK1", mse: bool = False) -> ReplicateDesign:
    """Jackknife replicate weights from a Taylor design (R ``as.svrepdesign(type="JK1"|"JKn")``).

    One replicate per PSU: the PSU is dropped and the other PSUs of its stratum are reweighted
    by n_h/(n_h − 1).  JK1 (unstratified): scale (R−1)/R times (1 − f); JKn: rscales
    (n_h − 1)/n_h × (1 − f_h), scale 1.  Only the first stage is used (as R).

    Examples
    --------
    R equivalent::

        as.svrepdesign(dclus1, type = "JK1")
    """
    check_option(type, "type", ("JK1", "JKn"))
    st = design.stages[0]
    psu, s = st.clus, st.clus_stratum
    C = st.n_clusters
    if type == "JK1" and st.n_strata > 1:
        raise ParameterError("type='JK1' is for unstratified designs; use type='JKn'")
    n_h = st.n_h[s]  # per PSU
    if (n_h < 2).any():
        raise DataError("jackknife replicates need at least 2 PSUs per stratum")
    R = np.repeat(design.weights[:, None], C, axis=1)
    row_s = s[psu]
    same_stratum = row_s[:, None] == s[None, :]
    factor = np.where(same_stratum, (st.n_h[row_s] / (st.n_h[row_s] - 1))[:, None], 1.0)
    factor[np.arange(design.n), psu] = 0.0
    R = R * factor
    fpc = st.f_h[s]  # 1 - f per replicate (PSU)
    if type == "JK1":
        scale = (C - 1) / C * float(fpc[0])
        rscales = np.ones(C)
    else:
        scale = 1.0
        rscales = (n_h - 1) / n_h * fpc
    degf = int(np.linalg.matrix_rank(R)) - 1
    return ReplicateDesign(design.data, design.weights, R, type, float(scale), rscales, mse, degf)
