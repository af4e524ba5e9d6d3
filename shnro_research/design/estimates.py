"""Design-based estimates: means, proportions, totals, ratios, quantiles, by domains.

Every function takes a :class:`~shnro_research.design.spec.SurveyDesign` (Taylor linearisation)
or a :class:`~shnro_research.design.spec.ReplicateDesign` and returns a tidy DataFrame
``[variable, (category), (domain columns), est, se, ci_low, ci_high, df, n, n_eff, deff]``;
proportions are 0-1.

Domains (``by=``) are always estimated on the full design, never by dropping rows: rows
outside a domain contribute zero to every PSU total (R ``svyby``).

Missing-data rule (``missing=``): ``"available"`` (default) treats the rows where a variable is
missing as outside the domain for that variable only (R ``na.rm=TRUE``, which also keeps the
design); ``"fail"`` raises :class:`DataError`.  Rows with a missing ``by`` value are left out of
every domain.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, check_option, tidy
from ..errors import DataError, ParameterError
from .._checks import public
from .spec import ReplicateDesign, SurveyDesign, _taylor_var

Design = SurveyDesign | ReplicateDesign


# ---------------------------------------------------------------------- helpers
def _check_design(design) -> None:
    if not isinstance(design, (SurveyDesign, ReplicateDesign)):
        raise ParameterError("'design' must be a SurveyDesign (survey_design()) or a ReplicateDesign "
                             f"(replicate_design()); got {type(design).__name__}")


def _domains(design: Design, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Domain code per row (-1 = no domain) and the table of domain keys."""
    by = as_list(by)
    if not by:
        return np.zeros(design.n, np.int64), pd.DataFrame(index=[0])
    check_columns(design.data, by, "design data (by=)")
    keys = design.data[by]
    codes, uniq = pd.MultiIndex.from_frame(keys).factorize(sort=True) if len(by) > 1 else \
        pd.factorize(keys[by[0]], sort=True)
    codes = np.asarray(codes, np.int64)
    if len(by) > 1:
        tab = pd.DataFrame(list(uniq), columns=by)
        ok = ~keys.isna().any(axis=1).to_numpy()
        codes = np.where(ok, codes, -1)
    else:
        tab = pd.DataFrame({by[0]: np.asarray(uniq)})
    return codes, tab


def _values(design: Design, var: str, missing: str) -> tuple[np.ndarray, np.ndarray]:
    check_columns(design.data, [var], "design data")
    s = design.data[var]
    if s.dtype == bool:
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        raise DataError(f"variable {var!r} must be numeric for this estimate; got dtype {s.dtype} "
                        "(use svy_proportion for categories)")
    y = s.to_numpy(dtype=float)
    ok = np.isfinite(y)
    if missing == "fail" and not ok.all():
        raise DataError(f"variable {var!r} has {int((~ok).sum())} missing value(s) "
                        f"(first at row {int(np.flatnonzero(~ok)[0])}) and missing='fail'")
    return np.where(ok, y, 0.0), ok


def _crit(design: Design, ci: str, level: float, df: float | np.ndarray) -> np.ndarray:
    a = 1 - (1 - level) / 2
    if ci == "normal":
        return np.full(np.shape(df), stats.norm.ppf(a)) if np.ndim(df) else stats.norm.ppf(a)
    return stats.t.ppf(a, df)


def _finish(design, table: pd.DataFrame, est, se, n, deff, ci: str, level: float, df=None) -> pd.DataFrame:
    out = table.copy()
    out["est"] = est
    out["se"] = se
    dfv = design.degf() if df is None else df
    q = _crit(design, ci, level, np.full(len(out), dfv, dtype=float))
    out["ci_low"] = est - q * se
    out["ci_high"] = est + q * se
    out["df"] = dfv
    out["n"] = np.asarray(n, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["n_eff"] = np.asarray(n, float) / np.asarray(deff, float)
    out["deff"] = deff
    return tidy(out)


def _check_common(design, ci, level, missing):
    _check_design(design)
    check_option(ci, "ci", ("t", "normal"))
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    check_option(missing, "missing", ("available", "fail"))


def _group_sums(dom: np.ndarray, D: int, *cols: np.ndarray) -> list[np.ndarray]:
    return [np.bincount(dom, weights=c, minlength=D) for c in cols]


def _rep_group_sums(design: ReplicateDesign, dom: np.ndarray, D: int, v: np.ndarray,
                    rows: np.ndarray) -> np.ndarray:
    """Σ_r-weighted sums of v per domain: (R × D)."""
    Wr = design.repweights[rows]
    order = np.argsort(dom, kind="stable")
    d_sorted = dom[order]
    starts = np.r_[0, np.flatnonzero(np.diff(d_sorted)) + 1]
    sums = np.add.reduceat(Wr[order] * v[order][:, None], starts, axis=0) if len(order) else \
        np.zeros((0, Wr.shape[1]))
    out = np.zeros((D, Wr.shape[1]))
    out[d_sorted[starts]] = sums
    return out.T


# ---------------------------------------------------------------------- mean / total core
#: sparse Taylor entries (row, domain, value) pooled into one variance call (bounds the memory
#: of a batch at ~100 MB while cutting the fixed cost of many small calls)
_BATCH_ENTRIES = 1 << 22


class _VarBatch:
    """Variances of several estimates' sums with one :func:`_taylor_var` call per batch.

    Each estimate's entries keep their order and get their own block of domains
    (``k * n_dom + d``), so every sum is accumulated in the same order as by one call per
    estimate: the variances are bit-identical. Designs with calibration are computed one
    estimate at a time (their residuals are a least-squares fit over all domains).
    """

    def __init__(self, design: SurveyDesign, n_dom: int):
        self.design, self.n_dom = design, n_dom
        self.out: list[np.ndarray] = []
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._size = 0

    def add(self, rows: np.ndarray, dom: np.ndarray, val: np.ndarray) -> int:
        """Queue one estimate's entries; its variance will be ``out[returned index]``."""
        self._pending.append((rows, dom, val))
        self._size += len(rows)
        k = len(self.out) + len(self._pending) - 1
        if self._size >= _BATCH_ENTRIES or self.design.calibrations:
            self.flush()
        return k

    def flush(self) -> list[np.ndarray]:
        if len(self._pending) == 1:
            rows, dom, val = self._pending[0]
            self.out.append(_taylor_var(self.design, rows, dom, val, self.n_dom))
        elif self._pending:
            D = self.n_dom
            rows = np.concatenate([r for r, _, _ in self._pending])
            dom = np.concatenate([np.asarray(d, np.int64) + k * D
                                  for k, (_, d, _) in enumerate(self._pending)])
            val = np.concatenate([v for _, _, v in self._pending])
            var = _taylor_var(self.design, rows, dom, val, D * len(self._pending))
            self.out.extend(var[k * D:(k + 1) * D] for k in range(len(self._pending)))
        self._pending, self._size = [], 0
        return self.out


def _mean_total_parts(design: Design, y: np.ndarray, ok: np.ndarray, dom_all: np.ndarray,
                      D: int, kind: str) -> dict:
    """Everything of a mean or total but its variance: rows, domains, sums, linearised values."""
    sel = ok & (dom_all >= 0)
    rows = np.flatnonzero(sel)
    dom = dom_all[rows]
    w = design.weights[rows]
    yy = y[rows]
    W, Y, N = _group_sums(dom, D, w, w * yy, np.ones(len(rows)))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = Y / W
        dev = yy - mean[dom]
        ss = np.bincount(dom, weights=w * dev * dev, minlength=D)
        svyvar = ss / W * N / (N - 1)
    est = mean if kind == "mean" else Y
    val = None
    if isinstance(design, SurveyDesign):
        val = w * dev / W[dom] if kind == "mean" else w * yy
    return {"rows": rows, "dom": dom, "yy": yy, "W": W, "N": N, "est": est, "svyvar": svyvar,
            "val": val}


def _mean_total_finish(parts: dict, var: np.ndarray, kind: str) -> tuple[np.ndarray, ...]:
    W, N, svyvar = parts["W"], parts["N"], parts["svyvar"]
    with np.errstate(divide="ignore", invalid="ignore"):
        vsrs = svyvar * (W - N) / (W * N)
        if kind == "total":
            vsrs = vsrs * W * W
        deff = np.where(W >= N, var / vsrs, np.nan)
    return parts["est"], np.sqrt(var), N, deff


def _mean_total(design: Design, y: np.ndarray, ok: np.ndarray, dom_all: np.ndarray, D: int,
                kind: str) -> tuple[np.ndarray, ...]:
    parts = _mean_total_parts(design, y, ok, dom_all, D, kind)
    rows, dom = parts["rows"], parts["dom"]
    if isinstance(design, SurveyDesign):
        var = _taylor_var(design, rows, dom, parts["val"], D)
    else:
        Wr = _rep_group_sums(design, dom, D, np.ones(len(rows)), rows)
        Yr = _rep_group_sums(design, dom, D, parts["yy"], rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            thetas = Yr / Wr if kind == "mean" else Yr
        var = design.rep_var(thetas, parts["est"])
    return _mean_total_finish(parts, var, kind)


def _estimate_numeric(design, variables, by, ci, level, missing, kind, deff=True):
    _check_common(design, ci, level, missing)
    variables = as_list(variables)
    if not variables:
        raise ParameterError(f"'variables' must name at least one column; got {variables!r}")
    dom_all, tab = _domains(design, by)
    D = len(tab)
    results: list = []
    if isinstance(design, SurveyDesign):
        # one Taylor variance call for many variables (the fixed cost of a call dominates)
        batch, queued = _VarBatch(design, D), []
        for var in variables:
            y, ok = _values(design, var, missing)
            parts = _mean_total_parts(design, y, ok, dom_all, D, kind)
            k = batch.add(parts["rows"], parts["dom"], parts.pop("val"))
            del parts["rows"], parts["dom"], parts["yy"]
            queued.append((k, parts))
        out = batch.flush()
        results = [_mean_total_finish(parts, out[k], kind) for k, parts in queued]
    else:
        for var in variables:
            y, ok = _values(design, var, missing)
            results.append(_mean_total(design, y, ok, dom_all, D, kind))
    V = len(variables)
    tab = tab.reset_index(drop=True)
    t = pd.concat([pd.DataFrame({"variable": [v for v in variables for _ in range(D)]}),
                   tab.iloc[np.tile(np.arange(D), V)].reset_index(drop=True)], axis=1)
    est = np.concatenate([r[0] for r in results])
    se = np.concatenate([r[1] for r in results])
    n = np.concatenate([r[2] for r in results])
    dft = np.concatenate([r[3] for r in results]) if deff else np.full(V * D, np.nan)
    return _finish(design, t, est, se, n, dft, ci, level)


@public
def svy_mean(design: Design, variables: str | Sequence[str], *, by: str | Sequence[str] | None = None,
             ci: str = "t", level: float = 0.95, missing: str = "available") -> pd.DataFrame:
    """Weighted means with Taylor-linearisation (or replicate) standard errors.

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    variables : str or list of str
        Numeric columns (booleans count as 0/1).
    by : str or list of str, optional
        Domain columns; estimated on the full design (R ``svyby``).
    ci : {"t", "normal"}
        Confidence interval: Student t with the design degrees of freedom #PSU − #strata
        (R ``confint(est, df = degf(design))``), or normal (R ``confint`` default).
    level : float
        Confidence level.
    missing : {"available", "fail"}
        See module docstring.

    Returns
    -------
    DataFrame
        ``variable, (by...), est, se, ci_low, ci_high, df, n, n_eff, deff``; ``n`` counts rows
        with a value in the domain; ``deff`` is the design effect against simple random sampling
        without replacement of the same size (R ``deff=TRUE``); ``n_eff = n / deff``.

    Notes
    -----
    ȳ_d = Σ_d w y / Σ_d w; linearised variable z_i = 1[i∈d] w_i (y_i − ȳ_d) / Σ_d w.
    deff = V / (s²_w (N̂ − n)/(N̂ n)), s²_w = Σ w (y − ȳ)² / Σ w · n/(n − 1).
    Reference: Lumley T. (2010) *Complex Surveys*, Wiley, ch. 2–3.

    Examples
    --------
    R equivalent::

        svymean(~api00, dstrat, deff = TRUE); svyby(~api00, ~stype, dstrat, svymean)
        confint(svymean(~api00, dstrat), df = degf(dstrat))
    """
    return _estimate_numeric(design, variables, by, ci, level, missing, "mean")


@public
def svy_total(design: Design, variables: str | Sequence[str], *, by: str | Sequence[str] | None = None,
              ci: str = "t", level: float = 0.95, missing: str = "available") -> pd.DataFrame:
    """Estimated population totals Σ w y (R ``svytotal``, ``svyby(..., svytotal)``).

    Same parameters and output as :func:`svy_mean`; deff uses s²_w N̂² (N̂ − n)/(N̂ n).

    Examples
    --------
    R equivalent::

        svytotal(~enroll, dclus1, na.rm = TRUE, deff = TRUE)
    """
    return _estimate_numeric(design, variables, by, ci, level, missing, "total")


@public(renamed={"levels": "categories"})
def svy_proportion(design: Design, variables: str | Sequence[str], *,
                   by: str | Sequence[str] | None = None, ci: str = "t", level: float = 0.95,
                   missing: str = "available", categories: Sequence | None = None) -> pd.DataFrame:
    """Proportions (0-1) of each category of single-response items (R ``svymean(~factor)``).

    Missing answers are left out of the denominator (``missing="available"``).  ``categories``
    fixes the categories reported (default: the sorted observed values), so that a category
    nobody chose still appears with est 0.

    Returns
    -------
    DataFrame ``variable, category, (by...), est, se, ...``.

    Examples
    --------
    R equivalent::

        svymean(~sch.wide, dclus1, deff = TRUE)
    """
    _check_common(design, ci, level, missing)
    dom_all = tab = batch = None
    D = 0
    labels, queued = [], []
    for var in as_list(variables):
        check_columns(design.data, [var], "design data")
        s = design.data[var]
        ok = s.notna().to_numpy()
        if missing == "fail" and not ok.all():
            raise DataError(f"variable {var!r} has {int((~ok).sum())} missing value(s) and missing='fail'")
        cats = list(categories) if categories is not None else \
            sorted(pd.unique(s[ok]).tolist(), key=str)
        if dom_all is None:
            dom_all, tab = _domains(design, by)
            D = len(tab)
            if isinstance(design, SurveyDesign):
                batch = _VarBatch(design, D)     # one variance call for many categories
        vals = s.to_numpy()
        for cat in cats:
            y = np.where(ok, (vals == cat).astype(float), 0.0)
            if batch is not None:
                parts = _mean_total_parts(design, y, ok, dom_all, D, "mean")
                k = batch.add(parts["rows"], parts["dom"], parts.pop("val"))
                del parts["rows"], parts["dom"], parts["yy"]
                queued.append((k, parts))
            else:
                queued.append((None, _mean_total(design, y, ok, dom_all, D, "mean")))
            labels.append((var, cat))
    if not labels:
        return pd.concat([])          # as before: nothing to estimate
    out = batch.flush() if batch is not None else None
    results = [_mean_total_finish(parts, out[k], "mean") if k is not None else parts
               for k, parts in queued]
    t = pd.concat([pd.DataFrame({"variable": [v for v, _ in labels for _ in range(D)],
                                 "category": [c for _, c in labels for _ in range(D)]}),
                   tab.reset_index(drop=True).iloc[np.tile(np.arange(D), len(labels))]
                   .reset_index(drop=True)], axis=1)
    return _finish(design, t, *(np.concatenate([r[i] for r in results]) for i in range(4)),
                   ci, level)


@public
def svy_multiresponse(design: Design, columns: Sequence[str], *, by: str | Sequence[str] | None = None,
                      ci: str = "t", level: float = 0.95, missing: str = "available") -> pd.DataFrame:
    """Share choosing each option of a multiple-response item stored as 0/1 columns.

    Each column is a separate proportion (options are not mutually exclusive); a respondent
    with a missing value in a column is left out of that column's denominator.

    Examples
    --------
    R equivalent::

        svymean(~q5_1 + q5_2 + q5_3, design, na.rm = TRUE)  # one column at a time for na.rm
    """
    cols = as_list(columns)
    _check_design(design)
    check_columns(design.data, cols, "design data")
    for c in cols:
        v = design.data[c].dropna()
        if not v.isin([0, 1, True, False]).all():
            bad = v[~v.isin([0, 1, True, False])].iloc[0]
            raise DataError(f"multiple-response column {c!r} must hold 0/1; found {bad!r}")
    return svy_mean(design, cols, by=by, ci=ci, level=level, missing=missing)


@public
def svy_ratio(design: Design, numerator: str, denominator: str, *,
              by: str | Sequence[str] | None = None, ci: str = "t", level: float = 0.95,
              missing: str = "available") -> pd.DataFrame:
    """Ratio of two totals R = Σ w y / Σ w x (R ``svyratio``), by domains.

    Rows missing either variable are left out; z_i = w_i (y_i − R x_i) / Σ w x.

    Examples
    --------
    R equivalent::

        svyratio(~api.stu, ~enroll, dclus2, na.rm = TRUE)
    """
    _check_common(design, ci, level, missing)
    y, oky = _values(design, numerator, missing)
    x, okx = _values(design, denominator, missing)
    dom_all, tab = _domains(design, by)
    D = len(tab)
    rows = np.flatnonzero(oky & okx & (dom_all >= 0))
    dom = dom_all[rows]
    w = design.weights[rows]
    Y, X, N = _group_sums(dom, D, w * y[rows], w * x[rows], np.ones(len(rows)))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = Y / X
    if isinstance(design, SurveyDesign):
        val = w * (y[rows] - r[dom] * x[rows]) / X[dom]
        var = _taylor_var(design, rows, dom, val, D)
    else:
        Yr = _rep_group_sums(design, dom, D, y[rows], rows)
        Xr = _rep_group_sums(design, dom, D, x[rows], rows)
        var = design.rep_var(Yr / Xr, r)
    t = pd.concat([pd.DataFrame({"variable": [f"{numerator}/{denominator}"] * D}),
                   tab.reset_index(drop=True)], axis=1)
    return _finish(design, t, r, np.sqrt(var), N, np.full(D, np.nan), ci, level)


# ---------------------------------------------------------------------- quantiles
def _qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """R survey ``qrule_math``: the smallest x whose cumulative weight share reaches p."""
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, cumw = x[order], np.cumsum(w[order])
    tot = cumw[-1]
    hits = np.flatnonzero(cumw <= p * tot)
    pos = hits[-1] if len(hits) else 0
    posnext = pos if pos == len(x) - 1 else pos + 1
    wlow = p - cumw[pos] / tot
    return float(x[pos] if wlow == 0 else x[posnext])


@public
def svy_quantile(design: SurveyDesign, variables: str | Sequence[str],
                 quantiles: Sequence[float] = (0.5,), *, by: str | Sequence[str] | None = None,
                 level: float = 0.95, missing: str = "available") -> pd.DataFrame:
    """Quantiles with Woodruff confidence intervals, exactly as R survey 4.1 ``svyquantile``.

    Defaults of survey ≥ 4.1: ``qrule="math"`` (the smallest observed value whose weighted
    cumulative share reaches p, i.e. the inverse of the weighted empirical CDF) and
    ``interval.type="mean"`` (Woodruff 1952): the CI of the proportion below the estimate,
    computed with a t quantile on the design degrees of freedom of the domain (#PSU − #strata
    among its rows), is mapped back through the same rule; se = (upper − lower) / (2 t).

    Returns
    -------
    DataFrame ``variable, prob, (by...), est, se, ci_low, ci_high, df, n`` (``prob`` = the
    probability of the quantile, ``est`` its value).

    Examples
    --------
    R equivalent::

        svyquantile(~api00, dclus2, c(0.25, 0.5, 0.75))
    """
    if not isinstance(design, SurveyDesign):
        raise ParameterError("'design' must be a Taylor SurveyDesign (replicate quantiles are not "
                             f"implemented); got {type(design).__name__}")
    _check_common(design, "t", level, missing)
    qs = [check_number(float(q), "quantiles", low=0, high=1) for q in quantiles]
    alpha = 1 - level
    dom_all, tab = _domains(design, by)
    D = len(tab)
    rows_out = []
    for var in as_list(variables):
        y, ok = _values(design, var, missing)
        for d in range(D):
            rows_d = np.flatnonzero(ok & (dom_all == d))
            if len(rows_d) == 0:
                continue
            xd, wd = y[rows_d], design.weights[rows_d]
            df = design.degf(rows_d)
            tcrit = stats.t.ppf(1 - alpha / 2, df) if df > 0 else np.nan
            W = wd.sum()
            for p in qs:
                q = _qrule_math(xd, wd, p)
                ind = (xd <= q).astype(float)
                pm = (wd * ind).sum() / W
                val = wd * (ind - pm) / W
                se_p = np.sqrt(_taylor_var(design, rows_d, np.zeros(len(rows_d), np.int64), val, 1)[0])
                lo_p, hi_p = pm - tcrit * se_p, pm + tcrit * se_p
                lo = np.nan if (np.isnan(lo_p) or lo_p < 0) else _qrule_math(xd, wd, lo_p)
                hi = np.nan if (np.isnan(hi_p) or hi_p > 1) else _qrule_math(xd, wd, hi_p)
                rec = {"variable": var, "prob": p}
                rec.update(tab.iloc[d].to_dict() if by else {})
                rec.update(est=q, se=(hi - lo) / (2 * tcrit), ci_low=lo, ci_high=hi, df=df,
                           n=len(rows_d))
                rows_out.append(rec)
    return tidy(pd.DataFrame(rows_out))


# ---------------------------------------------------------------------- pipeline entry point
@public
def estimate_by(design: Design, variables: str | Sequence[str], by: str | Sequence[str] | None = None,
                *, ci: str = "t", level: float = 0.95, missing: str = "available") -> pd.DataFrame:
    """Estimates per domain for the study pipeline (e.g. by school × group × wave).

    Numeric variables give means; categorical (object / category / bool-free string) variables
    give the proportion of every category.  All on the full design (domains as in R ``svyby``).

    Returns
    -------
    DataFrame ``variable, category, (by...), est, se, ci_low, ci_high, df, n, n_eff, deff``
    (``category`` is empty for means; proportions are 0-1).

    Examples
    --------
    >>> estimate_by(design, ["wellbeing", "q12"], by=["school_id", "group", "wave"])  # doctest: +SKIP

    R equivalent::

        svyby(~wellbeing, ~school_id + group + wave, design, svymean, deff = TRUE, na.rm = TRUE)
    """
    _check_design(design)
    variables = as_list(variables)
    check_columns(design.data, variables, "design data")
    numeric = [v for v in variables if pd.api.types.is_numeric_dtype(design.data[v])
               or design.data[v].dtype == bool]
    if numeric and len(numeric) == len(variables):
        # all means: one call (one Taylor variance call per batch), rows as one call each
        t = svy_mean(design, variables, by=by, ci=ci, level=level, missing=missing)
        t.insert(1, "category", None)
        return tidy(t)
    frames = []
    for var in variables:
        s = design.data[var]
        if pd.api.types.is_numeric_dtype(s) or s.dtype == bool:
            t = svy_mean(design, var, by=by, ci=ci, level=level, missing=missing)
            t.insert(1, "category", None)
        else:
            t = svy_proportion(design, var, by=by, ci=ci, level=level, missing=missing)
        frames.append(t)
    return tidy(pd.concat(frames, ignore_index=True))
