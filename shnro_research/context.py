"""Context indices: the school social well-being index (ИСБШ-like) and a student SES index.

The exact ИСБШ formula has not been published (see ``docs/METHODS.md`` §9), so the index
is built from explicit, recorded choices:

1. every passport component ``x_k`` is (optionally) recoded to numbers (``codes``);
2. it is standardised, ``z_k = d_k (x_k - m_k) / s_k`` (``d_k = +1`` favourable, ``-1``
   unfavourable), ``m_k``, ``s_k`` the mean and SD (``ddof=1``) *within* each ``by`` group, fixed
   *reference* values, or those of one *reference year* (the study's default: comparable years);
3. ``I = sum_k w_k z_k / sum_k w_k`` over the components present, if at least ``min_components``
   are; otherwise ``I`` is missing and the reason is logged. Nothing is imputed.

Weights are equal, user-given, or the loadings of the first principal component (the pre-2018
PISA ESCS logic, Avvisati 2020). The index describes families and pupils only
(:data:`PASSPORT_COMPONENTS`); school resources (:data:`SCHOOL_RESOURCES`) are separate
covariates (:func:`school_resources`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._checks import as_list, check_columns, check_min_valid, check_number, check_option, public
from .errors import DataError, ParameterError

__all__ = [
    "ContextIndex",
    "PASSPORT_COMPONENTS",
    "SCHOOL_RESOURCES",
    "wellbeing_index",
    "school_resources",
    "student_ses_index",
    "school_means",
    "quantile_groups",
]

#: Default components of the well-being index: the family and pupil shares of the social passport
#: (surveys/school_passport.yaml, roles ``context_positive`` / ``context_negative``) with their
#: directions (+1 favourable, -1 unfavourable). School resources are not components
#: (:data:`SCHOOL_RESOURCES`).
PASSPORT_COMPONENTS: dict[str, int] = {
    "parents_higher_edu_pct": +1,     # доля учащихся из семей, где оба родителя с высшим образованием
    "low_income_pct": -1,             # доля малоимущих семей
    "single_parent_pct": -1,          # доля неполных семей
    "large_families_pct": -1,         # доля многодетных семей
    "unemployed_parents_pct": -1,     # доля семей, где оба родителя (единственный) не работают
    "social_risk_pct": -1,            # доля семей в социально опасном положении
    "registered_pct": -1,             # доля учащихся «на учёте» (ВШУ, ПДН, КДН)
    "non_native_pct": -1,             # доля учащихся с неродным русским / из семей мигрантов
    "disability_pct": -1,             # доля учащихся с ОВЗ и инвалидностью
    "guardianship_pct": -1,           # доля учащихся под опекой (попечительством)
}

#: School-resource fields of the passport (roles ``staffing``, ``school_size``,
#: ``school_organisation``): covariates for models, never components of the index.
SCHOOL_RESOURCES: tuple[str, ...] = (
    "n_students", "n_classes", "n_teachers", "teacher_vacancies", "teachers_higher_cat_pct",
    "has_psychologist", "has_social_pedagogue", "has_defectologist", "second_shift_pct")

_LOG_COLUMNS = ["issue", "component", "detail"]


@dataclass
class ContextIndex:
    """Result of :func:`wellbeing_index` / :func:`student_ses_index`.

    Attributes
    ----------
    scores : DataFrame
        One row per unit (keys first): ``est`` (the index), ``n_components`` and the standardised,
        direction-corrected components ``z_<component>``; ``index_group`` if groups were asked for.
    components : DataFrame
        Long (tidy) form: keys, ``component``, ``raw`` (recoded raw value), ``direction``,
        ``center``, ``scale`` (standardisation constants used: mean and SD), ``z``, ``weight``.
    weights : DataFrame
        One row per component: ``direction``, ``weight`` (normalised to sum 1), and for PCA weights
        ``loading`` and ``explained_variance`` (share of the first eigenvalue in the total); with a
        reference year ``reference_year``, ``reference_mean``, ``reference_sd``, ``n_reference``
        and the index's rescaling ``index_center``, ``index_scale`` (``est = (I - center) / scale``).
    log : DataFrame
        Keys, ``issue``, ``component``, ``detail``: every partial or missing index and every
        zero-variance component (``issue`` in ``partial``, ``too_few_components``,
        ``zero_variance``, ``missing_group``).
    settings : dict
        The parameters used (to be stored with the output).
    """

    scores: pd.DataFrame
    components: pd.DataFrame
    weights: pd.DataFrame
    log: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row per component -- the parameters of the index: ``component``, ``direction``,
        ``est`` (the normalised weight), for PCA weights ``loading``, and the standardisation
        constants ``center`` and ``scale`` when they are the same for every unit (reference
        values, or a single group)."""
        t = self.weights.rename(columns={"weight": "est"})
        consts = self.components.groupby("component", sort=False)[["center", "scale"]].agg(
            lambda v: v.iloc[0] if v.dropna().nunique() <= 1 and v.notna().any() else np.nan)
        t = t.merge(consts.reset_index(), on="component", how="left")
        drop = [c for c in ("center", "scale") if t[c].isna().all()] + [
            c for c in ("explained_variance", "reference_mean", "reference_sd", "n_reference",
                        "index_center", "index_scale") if c in t.columns]
        return t.drop(columns=drop)

    def glance(self) -> pd.DataFrame:
        """One row: ``kind``, ``n`` (units), ``n_scored``, ``n_partial``, ``n_missing``,
        ``n_components``, ``standardise``, ``weights``, ``min_components``,
        ``explained_variance`` (PCA weights) and ``mean``/``sd`` of the index."""
        est = self.scores["est"]
        issues = self.log["issue"].value_counts() if len(self.log) else pd.Series(dtype=int)
        ev = (float(self.weights["explained_variance"].iloc[0])
              if "explained_variance" in self.weights.columns else np.nan)
        return pd.DataFrame([{
            "kind": self.settings.get("kind"), "n": len(self.scores),
            "n_scored": int(est.notna().sum()), "n_partial": int(issues.get("partial", 0)),
            "n_missing": int(est.isna().sum()), "n_components": len(self.weights),
            "standardise": self.settings.get("standardise"),
            "weights": self.settings.get("weights_kind"),
            "min_components": self.settings.get("min_components"),
            "explained_variance": ev, "index_mean": float(est.mean()), "index_sd": float(est.std())}])

    def summary(self) -> str:
        """Printable text (statsmodels style): the header of the construction and the
        component table (direction, weight, loading, standardisation constants)."""
        from ._summary import summary_text  # noqa: PLC0415
        g = self.glance().iloc[0]
        title = {"wellbeing": "School social well-being index",
                 "student_ses": "Student SES index"}.get(g["kind"], "Context index")
        header = [("Units", int(g["n"])), ("Scored", int(g["n_scored"])),
                  ("Partial", int(g["n_partial"])), ("Missing", int(g["n_missing"])),
                  ("Index mean", g["index_mean"]), ("Index SD", g["index_sd"]),
                  ("Components", int(g["n_components"])), ("Min. components", g["min_components"]),
                  ("Standardise", g["standardise"]), ("Weights", g["weights"]),
                  ("Restandardised", bool(self.settings.get("restandardise"))),
                  ("Groups (by)", ", ".join(self.settings.get("by") or []) or "none"),
                  ("PC1 share", None if np.isnan(g["explained_variance"])
                   else g["explained_variance"])]
        notes = (["log: " + ", ".join(f"{k}={v}" for k, v in self.log["issue"].value_counts().items())]
                 if len(self.log) else [])
        return summary_text(title, header, [(None, self.tidy(), "component")], notes=notes)


# ---------------------------------------------------------------------- parameter checks
def _check_components(components: Any, name: str = "components") -> dict[str, int]:
    if not isinstance(components, Mapping) or len(components) == 0:
        raise ParameterError(
            f"{name!r} must be a non-empty dict {{column: direction}} with direction +1 (favourable) "
            f"or -1 (unfavourable); got {components!r}")
    out: dict[str, int] = {}
    for col, d in components.items():
        if isinstance(d, bool) or not isinstance(d, (int, float, np.integer, np.floating)) or d not in (1, -1):
            raise ParameterError(
                f"{name!r}: direction of {col!r} must be +1 (favourable) or -1 (unfavourable); got {d!r}")
        out[str(col)] = int(d)
    return out


def _check_reference(reference: Any, comps: Sequence[str]) -> dict[str, tuple[float, float]]:
    if reference is None:
        raise ParameterError(
            "'reference' must be given when standardise='reference': a dict {component: (mean, sd)} "
            "or a DataFrame indexed by component with columns 'mean' and 'sd' (or 'center' and "
            "'scale', as in ContextIndex.components); got None")
    if isinstance(reference, pd.DataFrame):
        m_col, s_col = (("center", "scale") if {"center", "scale"} <= set(reference.columns)
                        and not {"mean", "sd"} <= set(reference.columns) else ("mean", "sd"))
        check_columns(reference, [m_col, s_col], "reference")
        if "component" in reference.columns:
            reference = reference.set_index("component")
        reference = {k: (row[m_col], row[s_col]) for k, row in reference.iterrows()}
    if not isinstance(reference, Mapping):
        raise ParameterError(f"'reference' must be a dict or a DataFrame; got {type(reference).__name__}")
    missing = [c for c in comps if c not in reference]
    if missing:
        raise ParameterError(f"'reference' lacks mean/sd for component(s) {missing}")
    out = {}
    for c in comps:
        try:
            m, s = (float(v) for v in reference[c])
        except (TypeError, ValueError):
            raise ParameterError(f"'reference'[{c!r}] must be a pair (mean, sd); got {reference[c]!r}") from None
        if not np.isfinite(m) or not np.isfinite(s) or s <= 0:
            raise ParameterError(f"'reference'[{c!r}] must have a finite mean and an sd > 0; got {(m, s)!r}")
        out[c] = (m, s)
    return out


def _recode(df: pd.DataFrame, comps: Sequence[str], codes: Mapping | None, where: str) -> pd.DataFrame:
    """Numeric matrix of the components (recoded with ``codes``); DataError on non-numeric data."""
    codes = dict(codes or {})
    extra = [c for c in codes if c not in comps]
    if extra:
        raise ParameterError(f"'codes' given for column(s) {extra} that are not components {list(comps)}")
    out = {}
    for c in comps:
        col = df[c]
        if c in codes:
            mapping = codes[c]
            if not isinstance(mapping, Mapping):
                raise ParameterError(f"'codes'[{c!r}] must be a dict {{value: number}}; got {mapping!r}")
            unknown = sorted(set(col.dropna().unique()) - set(mapping), key=str)
            if unknown:
                raise DataError(
                    f"{where}: column {c!r} has value(s) {unknown[:10]} not listed in codes[{c!r}] "
                    f"(listed: {list(mapping)[:10]})")
            col = col.map(mapping)
        if not pd.api.types.is_numeric_dtype(col) and not col.isna().all():
            conv = pd.to_numeric(col, errors="coerce")
            bad = col[conv.isna() & col.notna()]
            if len(bad):
                raise DataError(
                    f"{where}: column {c!r} must be numeric (or recoded with 'codes'); "
                    f"non-numeric value {bad.iloc[0]!r} in row {bad.index[0]!r}")
            col = conv
        out[c] = col.astype(float)
    return pd.DataFrame(out, index=df.index)


def _wmean_sd(x: np.ndarray, w: np.ndarray) -> tuple[float, float, int]:
    ok = np.isfinite(x) & np.isfinite(w)
    x, w, n = x[ok], w[ok], int(ok.sum())
    if n == 0 or w.sum() <= 0:
        return np.nan, np.nan, n
    m = float(np.sum(w * x) / np.sum(w))
    if n < 2:
        return m, np.nan, n
    # unbiased-form weighted variance with frequency-like weights normalised to n
    return m, float(np.sqrt(np.sum(w * n / w.sum() * (x - m) ** 2) / (n - 1))), n


def _first_pc(z: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, float, np.ndarray]:
    """Loadings (eigenvector * sqrt(eigenvalue)) of the first PC of the correlation matrix."""
    ok = np.all(np.isfinite(z), axis=1)
    zc, k = z[ok], z.shape[1]
    if zc.shape[0] < k + 1:
        raise DataError(
            f"PCA weights need at least {k + 1} units with all {k} components present; "
            f"got {zc.shape[0]} (use weights='equal' or fewer components)")
    if w is None:
        r = np.corrcoef(zc, rowvar=False)
    else:
        c = np.cov(zc, rowvar=False, aweights=w[ok])
        r = c / np.outer(np.sqrt(np.diag(c)), np.sqrt(np.diag(c)))
    r = np.atleast_2d(r)
    if not np.all(np.isfinite(r)):
        raise DataError("PCA weights: a component has zero variance among complete units")
    vals, vecs = np.linalg.eigh(r)
    lam, v = float(vals[-1]), vecs[:, -1]
    v = -v if v.sum() < 0 else v   # direction-corrected components: higher = more favourable
    return v * np.sqrt(lam), lam / float(vals.sum()), vals[::-1]


# ---------------------------------------------------------------------- core
def _composite(data: pd.DataFrame, components: Any, *, keys: Sequence[str], by: Sequence[str],
               standardise: str, reference: Any, weights: Any, min_components: Any,
               codes: Mapping | None, case_weight: str | None,
               restandardise: bool, kind: str, where: str) -> ContextIndex:
    comps_dir = _check_components(components)
    comps = list(comps_dir)
    check_option(standardise, "standardise", ("within", "reference"))
    if standardise == "within" and reference is not None:
        raise ParameterError("'reference' is only used with standardise='reference'; got standardise='within'")
    if standardise == "reference" and by:
        raise ParameterError("'by' is only used with standardise='within'; use reference values instead")
    k_min = check_min_valid(min_components, len(comps), "min_components")
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"{where!r} must be a pandas DataFrame; got {type(data).__name__}")
    need = list(dict.fromkeys([*keys, *by, *comps, *([case_weight] if case_weight else [])]))
    check_columns(data, need, where)
    ukeys = list(dict.fromkeys([*keys, *by]))
    if keys and (dup := data.duplicated(subset=ukeys, keep=False)).any():
        raise DataError(f"{where}: duplicated key {data.loc[dup, ukeys].iloc[0].to_dict()} "
                        f"({int(dup.sum())} rows); one row per unit expected")

    # weights parameter
    if isinstance(weights, str):
        check_option(weights, "weights", ("equal", "pca"))
        weights_kind = weights
    elif isinstance(weights, Mapping):
        weights_kind = "dict"
        if set(weights) != set(comps):
            raise ParameterError(
                f"'weights' dict must have exactly the components as keys; missing "
                f"{sorted(set(comps) - set(weights))}, extra {sorted(set(weights) - set(comps))}")
        for c, v in weights.items():
            check_number(v, f"weights[{c!r}]", low=0)
        if sum(float(v) for v in weights.values()) <= 0:
            raise ParameterError("'weights' must not all be 0")
    else:
        raise ParameterError(f"'weights' must be 'equal', 'pca' or a dict {{component: weight}}; got {weights!r}")

    x = _recode(data, comps, codes, where)
    cw = None
    if case_weight:
        cw = pd.to_numeric(data[case_weight], errors="coerce").to_numpy(float)
        if np.any(cw[np.isfinite(cw)] < 0):
            raise DataError(f"{where}: weight column {case_weight!r} has negative values")
    keycols = list(dict.fromkeys([*keys, *by]))
    key_frame = data[keycols].reset_index(drop=True)
    n = len(data)
    X = x.to_numpy(float)
    D = np.array([comps_dir[c] for c in comps], float)
    Z = np.full_like(X, np.nan)
    means = np.full_like(X, np.nan)
    sds = np.full_like(X, np.nan)
    logs: list[pd.DataFrame] = []

    def _log(rows_idx, issue, component, detail):
        if len(rows_idx) == 0:
            return
        f = key_frame.iloc[rows_idx].copy()
        f["issue"], f["component"], f["detail"] = issue, component, detail
        logs.append(f)

    if standardise == "reference":
        ref = _check_reference(reference, comps)
        for j, c in enumerate(comps):
            means[:, j], sds[:, j] = ref[c]
    else:
        if by:
            grp_ok = key_frame[list(by)].notna().all(axis=1).to_numpy()
            _log(np.flatnonzero(~grp_ok), "missing_group", None,
                 f"missing value of 'by' column(s) {list(by)}: cannot standardise within group")
            gid = key_frame.groupby(list(by), dropna=True, sort=True).ngroup().to_numpy()
        else:
            gid = np.zeros(n, int)
        ww = cw if cw is not None else np.ones(n)
        for g in np.unique(gid[gid >= 0]):
            rows = np.flatnonzero(gid == g)
            for j, c in enumerate(comps):
                m, s, nn = _wmean_sd(X[rows, j], ww[rows])
                if not np.isfinite(s) or s <= 0:
                    label = key_frame.iloc[rows[0]][list(by)].to_dict() if by else "all units"
                    _log(rows[np.isfinite(X[rows, j])], "zero_variance", c,
                         f"component {c!r} has {'zero variance' if nn > 1 else 'fewer than 2 values'} in group "
                         f"{label}: left out of the index for this group")
                    continue
                means[rows, j], sds[rows, j] = m, s
    Z = D * (X - means) / sds

    # weights
    loadings, expl = None, np.nan
    if weights_kind == "equal":
        w = np.ones(len(comps))
    elif weights_kind == "dict":
        w = np.array([float(weights[c]) for c in comps])
    else:
        loadings, expl, _ = _first_pc(Z, cw)
        if np.any(loadings <= 0):
            neg = [c for c, ld in zip(comps, loadings) if ld <= 0]
            raise DataError(
                f"PCA weights: component(s) {neg} load negatively on the first principal component "
                "after direction correction (check their directions), so a weighted mean is undefined; "
                "use weights='equal' or a dict")
        w = loadings.copy()
    w_norm = w / w.sum()

    avail = np.isfinite(Z)
    n_av = avail.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = (np.where(avail, Z, 0.0) * w_norm).sum(axis=1) / (avail * w_norm).sum(axis=1)
    enough = n_av >= k_min
    index[~enough] = np.nan
    # log partial / missing
    miss_rows = np.flatnonzero(n_av < len(comps))
    if len(miss_rows):
        miss_names = [",".join(c for c, a in zip(comps, avail[i]) if not a) for i in miss_rows]
        f = key_frame.iloc[miss_rows].copy()
        f["issue"] = np.where(enough[miss_rows], "partial", "too_few_components")
        f["component"] = miss_names
        f["detail"] = [
            (f"index from {n_av[i]} of {len(comps)} components" if enough[i]
             else f"{n_av[i]} of {len(comps)} components available < min_components={k_min}: index missing")
            for i in miss_rows]
        logs.append(f)

    if restandardise:
        idx = pd.Series(index)
        if by and standardise == "within":
            m, s = (idx.groupby(pd.Series(gid)).transform(f) for f in ("mean", "std"))
        else:
            m, s = idx.mean(), idx.std()
        index = ((idx - m) / s).to_numpy(float)

    scores = key_frame.copy()
    scores["est"] = index
    scores["n_components"] = n_av
    for j, c in enumerate(comps):
        scores[f"z_{c}"] = Z[:, j]

    components_long = pd.concat([key_frame] * len(comps), ignore_index=True).assign(
        component=np.repeat(np.array(comps, dtype=object), n), raw=X.T.ravel(),
        direction=np.repeat(D.astype(int), n), center=means.T.ravel(), scale=sds.T.ravel(),
        z=Z.T.ravel(), weight=np.repeat(w_norm, n))

    wt = pd.DataFrame({"component": comps, "direction": D.astype(int), "weight": w_norm})
    if loadings is not None:
        wt["loading"] = loadings
        wt["explained_variance"] = expl
    log = (pd.concat(logs, ignore_index=True) if logs
           else pd.DataFrame(columns=[*keycols, *_LOG_COLUMNS]))
    settings = dict(kind=kind, components=comps_dir, standardise=standardise, by=list(by),
                    weights_kind=weights_kind, weights=dict(zip(comps, w_norm.tolist())),
                    min_components=k_min, restandardise=restandardise, codes=dict(codes or {}),
                    case_weight=case_weight)
    return ContextIndex(scores=scores, components=components_long, weights=wt, log=log, settings=settings)


def wellbeing_index(passport: pd.DataFrame, components: Mapping[str, int], *,
                    school: str = "school_id", year: str | None = "year",
                    standardise: str = "within", by: str | Sequence[str] | None = None,
                    reference: Mapping | pd.DataFrame | None = None,
                    reference_year: Any = None,
                    weights: str | Mapping[str, float] = "equal",
                    min_components: int | float | None = None,
                    codes: Mapping[str, Mapping[Any, float]] | None = None,
                    restandardise: bool = False, n_groups: int | None = None) -> ContextIndex:
    """School social well-being index (ИСБШ-like) from the social passport.

    For component ``k`` with direction ``d_k`` (+1 favourable, -1 unfavourable)

    .. math:: z_{sk} = d_k (x_{sk} - m_k) / s_k, \\qquad
              I_s = \\sum_{k \\in A_s} w_k z_{sk} / \\sum_{k \\in A_s} w_k

    where ``A_s`` is the set of components present for school-year ``s`` and ``m_k, s_k`` are the
    mean and SD (``ddof=1``) within the ``by`` group (``standardise="within"``), fixed values
    (``standardise="reference"``) or the mean and SD of the reference year ``r``
    (``standardise="reference_year"``). If ``|A_s| < min_components`` the index is missing and
    logged. With ``"reference_year"`` the PCA weights come from year ``r`` too and are held
    fixed, and ``restandardise=True`` gives ``I*_s = (I_s - mean_r(I)) / sd_r(I)``: reference-year
    SD units (0 = the reference year's average school), one scale for all years, so an unchanged
    passport keeps its index and a general improvement raises the mean index (impossible with
    per-year standardisation, mean 0 every year by construction).

    Parameters
    ----------
    passport : DataFrame
        One row per school (and year): the passport columns (shares in [0, 1] or %, counts,
        numeric codes; categorical columns via ``codes``).
    components : dict
        ``{column: +1 | -1}``; see :data:`PASSPORT_COMPONENTS` for the school context form.
    school, year : str
        Key columns; ``year=None`` for a single cross-section.
    standardise : {"within", "reference", "reference_year"}
        Standardise within the data (by ``by`` groups; ``by="year"`` is the per-year index),
        with fixed ``reference`` means/SDs, or with the means/SDs of ``reference_year`` (an
        index comparable across years).
    by : str or list, optional
        Groups for within-standardisation (e.g. ``"year"`` or ``["region", "year"]``).
    reference : dict or DataFrame, optional
        ``{component: (mean, sd)}`` or a frame indexed by (or with a column) ``component`` with
        ``mean``, ``sd`` (or ``center``, ``scale``: e.g. ``res.tidy()`` of a base year).
    reference_year : optional
        With ``standardise="reference_year"``: the year whose means, SDs and PCA weights are used
        for every year; default the first (smallest) year of the data. Its constants are in
        ``result.weights`` (``reference_year``, ``reference_mean``, ``reference_sd``,
        ``index_center``, ``index_scale``).
    weights : "equal", "pca" or dict
        ``"pca"``: loadings of the first principal component of the correlation matrix of the
        standardised components (complete cases), sign fixed so that a higher index is more
        favourable; loadings and explained variance are in ``result.weights``.
    min_components : int or float, optional
        Minimum number (or share) of components present; ``None`` = all (no partial index).
    codes : dict, optional
        Recoding of categorical columns, e.g. ``{"location": {"город": 2, "посёлок": 1, "село": 0}}``.
    restandardise : bool
        Re-standardise the index to mean 0, SD 1 (within ``by`` groups; with
        ``standardise="reference_year"``: with the reference year's mean and SD, the same for all
        years).
    n_groups : int, optional
        Add ``index_group`` = quantile group 1..n_groups (1 = least favourable) within ``by``.

    Returns
    -------
    ContextIndex
        ``.scores`` (keys, ``est``, n_components, z_*), ``.components`` (long), ``.weights``, ``.log``.

    References
    ----------
    Ястребов, Бессуднов, Пинская, Косарецкий (2013), *Вопросы образования* 4, 188–246;
    Avvisati (2020), *Large-scale Assessments in Education* 8:8 (ESCS weights).

    Examples
    --------
    >>> res = wellbeing_index(passport, {"low_income_pct": -1, "parents_higher_edu_pct": 1},
    ...                       by="year", min_components=0.5)   # doctest: +SKIP
    >>> res.scores.head()                                           # doctest: +SKIP

    >>> res = wellbeing_index(passport, PASSPORT_COMPONENTS, standardise="reference_year",
    ...                       weights="pca", min_components=0.75, restandardise=True)  # doctest: +SKIP
    >>> res.weights[["component", "reference_mean", "reference_sd", "weight"]]  # doctest: +SKIP

    R equivalent (equal weights)::

        z <- scale(passport[, comps]) %*% diag(directions)
        index <- rowMeans(z, na.rm = TRUE)     # plus the min_components rule
        # PCA weights: prcomp(z[complete.cases(z), ], scale. = TRUE)$rotation[, 1]
        # year r: m <- colMeans(x[year == r, ], na.rm = TRUE); s <- apply(x[year == r, ], 2, sd, na.rm = TRUE)
        # z <- sweep(sweep(x, 2, m), 2, s, "/") %*% diag(directions); PCA on z[year == r, ] only;
        # index <- (index - mean(index[year == r])) / sd(index[year == r])   # restandardise
        # (tests/reference/context_wellbeing.R)
    """
    keys = [school] + ([year] if year else [])
    by_all = as_list(by)
    if standardise == "reference_year":
        res = _reference_year_index(passport, components, keys=keys, year=year, by=by_all,
                                    reference=reference, reference_year=reference_year,
                                    weights=weights, min_components=min_components, codes=codes,
                                    restandardise=restandardise)
    else:
        if reference_year is not None:
            raise ParameterError("'reference_year' is only used with standardise='reference_year'; "
                                 f"got standardise={standardise!r}")
        data_in, by_l, overlap = _alias_by(passport, by_all, keys)
        res = _composite(data_in, components, keys=keys, by=by_l, standardise=standardise,
                         reference=reference, weights=weights, min_components=min_components,
                         codes=codes, case_weight=None, restandardise=restandardise,
                         kind="wellbeing", where="passport")
        _unalias(res, overlap)
    if n_groups is not None:
        check_number(n_groups, "n_groups", low=2, integer=True)
        pos = list(res.scores.columns).index("n_components") + 1
        res.scores.insert(pos, "index_group",
                          quantile_groups(res.scores, "est", n_groups, by=by_all or None)
                          .rename("index_group"))
    res.settings.update(school=school, year=year, by=by_all, n_groups=n_groups)
    return res


def _reference_year_index(passport: pd.DataFrame, components: Any, *, keys: list[str],
                          year: str | None, by: list[str], reference: Any, reference_year: Any,
                          weights: Any, min_components: Any, codes: Mapping | None,
                          restandardise: bool) -> ContextIndex:
    """The index standardised on one reference year: its means, SDs and (PCA) weights, then
    applied unchanged to every year; optionally rescaled by the reference year's index mean/SD."""
    for bad_arg, why in ((year is None, "needs the year column; got year=None"),
                         (bool(by), f"takes no 'by' (every year uses the reference year); got {by!r}"),
                         (reference is not None, "takes no 'reference' (it comes from the year)")):
        if bad_arg:
            raise ParameterError(f"standardise='reference_year' {why}")
    comps_dir = _check_components(components)
    comps = list(comps_dir)
    if not isinstance(passport, pd.DataFrame):
        raise ParameterError(f"'passport' must be a pandas DataFrame; got {type(passport).__name__}")
    check_columns(passport, [year, *comps], "passport")
    years = sorted(passport[year].dropna().unique().tolist())
    ref_year = years[0] if reference_year is None and years else reference_year
    if ref_year not in years:
        raise DataError(f"passport: reference_year {reference_year!r} is not a value of column "
                        f"{year!r} (years in the data: {years})")
    where = f"passport (reference year {ref_year})"
    base = passport[passport[year] == ref_year]
    x = _recode(base, comps, codes, where)
    m, sd, nv = x.mean(), x.std(ddof=1), x.count()
    bad = [c for c in comps if not (np.isfinite(sd[c]) and sd[c] > 0)]
    if bad:
        raise DataError(
            f"{where}: component(s) {bad} have zero variance or fewer than 2 values "
            f"(values: {[int(nv[c]) for c in bad]}), so they cannot be standardised on that year; "
            "leave them out of the components or choose another reference_year")
    consts = {c: (float(m[c]), float(sd[c])) for c in comps}
    common = dict(keys=keys, by=[], standardise="reference", reference=consts,
                  min_components=min_components, codes=codes, case_weight=None,
                  restandardise=False, kind="wellbeing")
    ref = _composite(base, comps_dir, weights=weights, where=where, **common)
    fixed = (dict(zip(ref.weights["component"], ref.weights["weight"]))
             if isinstance(weights, str) and weights == "pca" else weights)
    res = _composite(passport, comps_dir, weights=fixed, where="passport", **common)
    center, scale = 0.0, 1.0
    if restandardise:
        est = res.scores["est"]
        at_ref = est[(res.scores[year] == ref_year).to_numpy()].dropna()
        if len(at_ref) < 2 or not at_ref.std() > 0:
            raise DataError(f"{where}: fewer than 2 distinct index values ({len(at_ref)} schools "
                            "scored); the index cannot be rescaled on the reference year")
        center, scale = float(at_ref.mean()), float(at_ref.std(ddof=1))
        res.scores["est"] = (est - center) / scale
    res.weights = ref.weights.assign(
        reference_year=ref_year, reference_mean=[consts[c][0] for c in comps],
        reference_sd=[consts[c][1] for c in comps], n_reference=[int(nv[c]) for c in comps],
        index_center=center, index_scale=scale)
    res.settings.update(standardise="reference_year", reference_year=ref_year,
                        weights_kind=ref.settings["weights_kind"], restandardise=bool(restandardise),
                        index_center=center, index_scale=scale)
    return res


@public
def school_resources(passport: pd.DataFrame, columns: Sequence[str] | None = None, *,
                     school: str = "school_id", year: str | None = "year",
                     components: Mapping[str, int] | Sequence[str] | None = None) -> pd.DataFrame:
    """The school's resources per school and year -- covariates kept out of the well-being index:
    adds ``students_per_teacher = n_students / n_teachers`` (programme 001 names «более 20
    учащихся на 1 учителя» a problem) and ``students_per_class = n_students / n_classes`` (mean
    class size) when their columns are present; missing where a denominator is 0 or missing.

    Parameters
    ----------
    passport : DataFrame
        One row per school (and year).
    columns : list, optional
        Resource columns; default those of :data:`SCHOOL_RESOURCES` present in ``passport``.
    components : dict or list, optional
        The index's components: a column may not be both (ParameterError).

    Returns
    -------
    DataFrame
        Keys, the resource columns (numbers), ``students_per_teacher``, ``students_per_class``.

    Examples
    --------
    >>> school_resources(passport, components=PASSPORT_COMPONENTS)        # doctest: +SKIP

    R equivalent::

        transform(passport[c(keys, res)], students_per_teacher = n_students / n_teachers)
    """
    if not isinstance(passport, pd.DataFrame):
        raise ParameterError(f"'passport' must be a pandas DataFrame; got {type(passport).__name__}")
    keys = [school] + ([year] if year else [])
    cols = ([c for c in SCHOOL_RESOURCES if c in passport.columns] if columns is None
            else as_list(columns))
    if both := sorted(set(cols) & set(components or ())):
        raise ParameterError(f"column(s) {both} are both school resources and components of the "
                             "well-being index; the index takes family and pupil context only")
    check_columns(passport, [*keys, *cols], "passport")
    if (dup := passport.duplicated(subset=keys, keep=False)).any():
        raise DataError(f"passport: duplicated key {passport.loc[dup, keys].iloc[0].to_dict()} "
                        f"({int(dup.sum())} rows); one row per school and year expected")
    out = pd.concat([passport[keys].reset_index(drop=True),
                     _recode(passport, cols, None, "passport").reset_index(drop=True)], axis=1)
    for name, den in (("students_per_teacher", "n_teachers"), ("students_per_class", "n_classes")):
        if {"n_students", den} <= set(out.columns):
            out[name] = out["n_students"] / out[den].where(out[den] > 0)
    return out


def _alias_by(data: pd.DataFrame, by: list[str], keys: list[str]):
    """Copy 'by' columns that are also keys under an alias so that keys and groups stay distinct."""
    overlap = [b for b in by if b in keys]
    if not overlap:
        return data, list(by), []
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    check_columns(data, overlap, "data")
    data_in = data.assign(**{f"__by_{b}": data[b] for b in overlap})
    return data_in, [f"__by_{b}" if b in overlap else b for b in by], overlap


def _unalias(res: ContextIndex, overlap: list[str]) -> None:
    names = [f"__by_{b}" for b in overlap]
    for attr in ("scores", "components", "log"):
        frame = getattr(res, attr)
        setattr(res, attr, frame.drop(columns=[c for c in names if c in frame.columns]))
    if overlap:
        res.settings["by"] = [b[5:] if b.startswith("__by_") else b for b in res.settings["by"]]


def student_ses_index(data: pd.DataFrame, components: Mapping[str, int], *,
                      student: str | Sequence[str] = "student_id", school: str | None = "school_id",
                      standardise: str = "within", by: str | Sequence[str] | None = None,
                      reference: Mapping | pd.DataFrame | None = None,
                      weights: str | Mapping[str, float] = "equal",
                      min_components: int | float | None = None,
                      codes: Mapping[str, Mapping[Any, float]] | None = None,
                      weight: str | None = None, restandardise: bool = True) -> ContextIndex:
    """Student-level ESCS-style SES index from student answers.

    Same formula as :func:`wellbeing_index` at the student level; typical components are the
    highest parental education (years or ISCED level), books at home (ordered categories) and
    a home-possessions count, recoded with ``codes``. Standardisation constants use the survey
    ``weight`` when given. With ``weights="equal"`` this is the PISA 2018+
    construction (mean of standardised components, re-standardised); with ``weights="pca"`` the
    pre-2018 one. Without occupational status (HISEI) the index is *not comparable* to PISA ESCS.

    Parameters
    ----------
    data : DataFrame
        One row per student.
    components : dict
        ``{column: +1 | -1}``.
    student : str or list
        Student key column(s).
    school : str, optional
        School column, carried to the output (use :func:`school_means` to aggregate).
    weight : str, optional
        Survey weight column used for the standardisation means/SDs and PCA.
    restandardise : bool
        Re-standardise the final index to (weighted) mean 0 and SD 1; default True as in PISA.
    standardise, by, reference, weights, min_components, codes
        As in :func:`wellbeing_index`.

    Returns
    -------
    ContextIndex

    Examples
    --------
    >>> books = {"0-10": 1, "11-25": 2, "26-100": 3, "101-200": 4, "201-500": 5, "more than 500": 6}
    >>> res = student_ses_index(students, {"book": 1, "parent_ed": 1}, codes={"book": books},
    ...                         min_components=2)                    # doctest: +SKIP

    R equivalent::

        z <- scale(cbind(books, parent_ed)); ses <- as.numeric(scale(rowMeans(z)))
    """
    keys = as_list(student) + ([school] if school else [])
    data_in, by_l, overlap = _alias_by(data, as_list(by), keys)
    res = _composite(data_in, components, keys=keys, by=by_l, standardise=standardise, reference=reference,
                     weights=weights, min_components=min_components, codes=codes, case_weight=weight,
                     restandardise=False, kind="student_ses", where="data")
    if restandardise:
        idx = res.scores["est"].to_numpy(float)
        w = (pd.to_numeric(data[weight], errors="coerce").to_numpy(float) if weight else np.ones(len(idx)))
        grp = (res.scores.groupby(by_l, dropna=True, sort=True).ngroup() if by_l
               else pd.Series(0, index=res.scores.index))
        out = np.full(len(idx), np.nan)
        for g, rows in grp.groupby(grp).indices.items():
            if g < 0:
                continue
            m, s, _n = _wmean_sd(idx[rows], w[rows])
            if np.isfinite(s) and s > 0:
                out[rows] = (idx[rows] - m) / s
        res.scores["est"] = out
        res.settings["restandardise"] = True
    _unalias(res, overlap)
    return res


def school_means(data: pd.DataFrame, columns: str | Sequence[str], *, school: str = "school_id",
                 by: str | Sequence[str] | None = None, weight: str | None = None,
                 min_n: int = 1) -> pd.DataFrame:
    """(Weighted) school means of student-level columns, with the number of valid students.

    ``mean_s = sum_i w_i x_i / sum_i w_i`` over students with a valid value; schools with fewer
    than ``min_n`` valid students get NaN (``n`` still reported).

    Returns
    -------
    DataFrame
        keys (``by`` + school), then for every column ``<col>`` (mean) and ``n_<col>``.

    Examples
    --------
    R equivalent::

        aggregate(cbind(escs, math) ~ school_id, data, FUN = mean)   # unweighted
    """
    cols = as_list(columns)
    keys = as_list(by) + [school]
    check_columns(data, [*keys, *cols, *([weight] if weight else [])], "data")
    check_number(min_n, "min_n", low=1, integer=True)
    df = data[keys].copy()
    w = pd.to_numeric(data[weight], errors="coerce") if weight else pd.Series(1.0, index=data.index)
    pieces = []
    for c in cols:
        x = pd.to_numeric(data[c], errors="coerce")
        ok = x.notna() & w.notna()
        tmp = df.assign(_wx=(x * w).where(ok), _w=w.where(ok), _n=ok.astype(int))
        g = tmp.groupby(keys, dropna=False, sort=True)[["_wx", "_w", "_n"]].sum(min_count=0)
        mean = g["_wx"] / g["_w"].where(g["_w"] > 0)
        mean[g["_n"] < min_n] = np.nan
        pieces.append(pd.DataFrame({c: mean, f"n_{c}": g["_n"].astype(int)}))
    out = pd.concat(pieces, axis=1).reset_index()
    return out


def quantile_groups(data: pd.DataFrame, value: str, n_groups: int, *,
                    by: str | Sequence[str] | None = None) -> pd.Series:
    """Quantile group 1..n_groups of ``value`` (1 = lowest) within ``by`` groups.

    Groups are formed on the rank ``(rank_min - 1) / n_valid`` so that ties share a group;
    missing values get a missing group (``Int64``).

    Examples
    --------
    R equivalent::

        dplyr::ntile(value, n_groups)   # differs only in the handling of ties
    """
    check_number(n_groups, "n_groups", low=2, integer=True)
    check_columns(data, [value, *as_list(by)], "data")
    x = pd.to_numeric(data[value], errors="coerce")
    if by:
        grp = data.groupby(as_list(by), dropna=True, sort=True).ngroup().where(lambda v: v >= 0)
        r = x.groupby(grp).rank(method="min")
        nv = x.groupby(grp).transform("count")
    else:
        r = x.rank(method="min")
        nv = x.count()
    g = np.floor((r - 1) / nv * n_groups) + 1
    return g.astype("Int64").rename(f"{value}_group")
