"""Reliability and item analysis of multi-item scales: Cronbach's alpha (raw and standardised,
listwise and pairwise), Feldt and cluster-bootstrap confidence intervals, McDonald's omega total
from a one-factor maximum-likelihood factor analysis, corrected item-total correlations and
alpha if item deleted.

Everything is computed from covariance matrices (one pass of cross-products per scale and group),
never with per-item loops over respondents.

Missing-data rules (column ``missing`` of every table)
------------------------------------------------------
``"listwise"``  respondents answering every item of the scale (SPSS RELIABILITY); ``n`` = their
                number (the *after-deletion* n is also the one used by the Feldt CI, pitfall P1).
``"pairwise"``  each covariance from the respondents answering both items, means taken on the
                same pairs (R ``cov(use = "pairwise")``, as ``psych::alpha``); correlations are
                ``cov2cor`` of that matrix, as psych does. ``n`` = the smallest pairwise count,
                ``n_max`` = the largest; a note is added when the matrix is not positive
                semi-definite (pitfall P2).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, sparse, stats

from .._checks import as_list, check_columns, check_number, check_option, tidy
from .._stats import one_blas_thread as _one_blas_thread
from ..errors import ParameterError
from ._common import (bound_array, check_range, group_codes, keys_items, numeric_matrix, public,
                      parse_keys)

__all__ = ["reliability", "item_analysis", "cronbach_alpha", "omega_total", "factor_ml1"]

_MISSING = ("listwise", "pairwise")


# ---------------------------------------------------------------------------------------------
# statistics from a covariance matrix
# ---------------------------------------------------------------------------------------------
def _queue_omega(blocks, fa_jobs, gkeys, scale, rule, k, notes, finite, r, n_min, n_max):
    """Append the omega rows of a scale (estimates filled later by :func:`_finish_omega`) and
    queue a factor analysis for each group that has >= 3 items and more respondents than items."""
    n_groups = len(notes)
    onotes = [list(nt) for nt in notes]
    for gi in range(n_groups):
        if k >= 3 and finite[gi] and n_min[gi] > k:
            fa_jobs.append((len(blocks), gi, r[gi], onotes[gi]))
        else:
            onotes[gi].append("omega needs >= 3 items and more respondents than items")
    nan = np.full(n_groups, np.nan)
    blocks.append(_block_frame(gkeys, scale, rule, k, "omega_total", None,
                               ["; ".join(nt) for nt in onotes], nan.copy(), nan.copy(),
                               nan.copy(), nan.copy(), n_min, n_max))


def _finish_omega(fa_jobs, blocks) -> None:
    """Fill the omega rows of ``blocks`` from the queued factor analyses ``(block, group,
    correlation matrix, notes)``; one BLAS thread, as threading overhead dominates 10 x 10."""
    with _one_blas_thread():
        for bi, gi, r, onote in fa_jobs:
            try:
                blocks[bi].loc[gi, "est"] = omega_total(r)[0]
            except (np.linalg.LinAlgError, ValueError) as err:  # pragma: no cover
                onote.append(f"factor analysis failed: {err}")
                blocks[bi].loc[gi, "note"] = "; ".join(onote)


def _group_notes(cov, nn, k: int, rule: str, n_groups: int):
    """Smallest and largest pairwise n per group, whether its covariance matrix is finite, and
    the notes of each group's reliability
    (one item; a pairwise covariance matrix not positive semi-definite; unequal pairwise n)."""
    n_min = nn.min(axis=(1, 2)) if k else np.zeros(n_groups)
    n_max = nn.max(axis=(1, 2)) if k else np.zeros(n_groups)
    finite = np.isfinite(cov).all(axis=(1, 2))
    notes: list[list[str]] = [[] for _ in range(n_groups)]
    if k < 2:
        for nt in notes:
            nt.append("one item: reliability undefined")
    if rule == "pairwise" and k >= 2:
        if finite.any():
            ev = np.linalg.eigvalsh(cov[finite])[:, 0]
            scale_ = np.maximum(1.0, np.abs(cov[finite]).max(axis=(1, 2)))
            for gi in np.flatnonzero(finite)[ev < -1e-10 * scale_]:
                notes[gi].append("pairwise covariance matrix not positive semi-definite")
        for gi in np.flatnonzero(n_min != n_max):
            notes[gi].append("pairwise counts differ (n = smallest)")
    return n_min, n_max, finite, notes


def _alpha_from_cov(c: np.ndarray) -> dict[str, Any]:
    """Alpha (raw, std), mean inter-item r, alpha if dropped and r.drop from covariances.

    ``c`` may be a stack ``(..., k, k)``. Formulas of ``psych::alpha``:
    raw = (1 - tr C / sum C) k/(k-1); R = cov2cor(C); std = (1 - k / sum R) k/(k-1);
    av.r = (sum R - k) / (k (k-1)); r.drop_i = (colsum_i - C_ii) / sqrt(C_ii * sum C_{-i,-i}).
    """
    k = c.shape[-1]
    d = np.diagonal(c, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(d)
        r = c / (sd[..., :, None] * sd[..., None, :])
        tr_c = d.sum(-1)
        sum_c = c.sum((-2, -1))
        sum_r = r.sum((-2, -1))
        raw = (1 - tr_c / sum_c) * k / (k - 1)
        std = (1 - k / sum_r) * k / (k - 1)
        av_r = (sum_r - k) / (k * (k - 1))
        col_c = c.sum(-1)
        col_r = r.sum(-1)
        sum_c_drop = sum_c[..., None] - 2 * col_c + d
        sum_r_drop = sum_r[..., None] - 2 * col_r + 1.0
        if k > 2:
            raw_drop = (1 - (tr_c[..., None] - d) / sum_c_drop) * (k - 1) / (k - 2)
            std_drop = (1 - (k - 1) / sum_r_drop) * (k - 1) / (k - 2)
        else:
            raw_drop = np.full(d.shape, np.nan)
            std_drop = np.full(d.shape, np.nan)
        r_drop = (col_c - d) / np.sqrt(d * sum_c_drop)
    return {"alpha_raw": raw, "alpha_std": std, "average_r": av_r, "alpha_if_dropped_raw": raw_drop,
            "alpha_if_dropped_std": std_drop, "r_drop": r_drop, "r": r}


def _cov_from_sums(nn: np.ndarray, sx: np.ndarray, sxy: np.ndarray) -> np.ndarray:
    """Pairwise covariance from sums: (Sxy - Sx Sy / N) / (N - 1), Sy = Sx^T."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sxy - sx * np.swapaxes(sx, -1, -2) / nn) / (nn - 1)


# ---------------------------------------------------------------------------------------------
# one-factor ML factor analysis (psych::fa(fm = "ml"), stats::factanal)
# ---------------------------------------------------------------------------------------------
@public
def factor_ml1(r: np.ndarray, *, optimum: str = "psych") -> tuple[np.ndarray, np.ndarray]:
    """One-factor maximum-likelihood factor analysis of a correlation matrix.

    Minimises the ML discrepancy
    :math:`F(\\Psi) = -\\sum_{m>1}(\\log e_m - e_m) - 1 + p` over the uniquenesses
    :math:`\\Psi \\in [0.005, 1]`, where :math:`e_m` are the eigenvalues of
    :math:`\\Psi^{-1/2} R \\Psi^{-1/2}`; loadings
    :math:`\\lambda = \\Psi^{1/2} v_1 \\sqrt{\\max(e_1 - 1, 0)}`, signed so that their sum is
    positive.

    Parameters
    ----------
    r : (p, p) array
        Correlation matrix, p >= 3.
    optimum : {"psych", "exact"}
        ``"psych"`` (default) runs L-BFGS-B exactly as ``psych::fa(fm = "ml")`` does (start
        ``1 - smc``, ``parscale = 0.01``, R's default stopping rule ``factr = 1e7``, 5 memory
        pairs), so loadings agree with psych to ~1e-14; R stops a little before the optimum
        (relative differences up to ~5e-6 in loadings). ``"exact"`` continues to the optimum
        with tight tolerances.

    Returns
    -------
    loadings, uniquenesses (1 - loading^2, as psych reports them)

    Examples
    --------
    R: psych::fa(x, nfactors = 1, fm = "ml")$loadings
    """
    check_option(optimum, "optimum", ("psych", "exact"))
    r = np.asarray(r, dtype=float)
    p = r.shape[0]
    if p < 3:
        raise ParameterError(f"a one-factor ML factor analysis needs >= 3 items; got {p}")
    if not np.all(np.isfinite(r)) or np.linalg.eigvalsh(r)[0] <= 1e-10:
        raise ValueError("correlation matrix is not positive definite")

    def eig(psi):
        sc = 1 / np.sqrt(psi)
        return np.linalg.eigh(r * sc[:, None] * sc[None, :])

    def fn(psi):
        e = eig(psi)[0][::-1][1:]
        return -(np.sum(np.log(e) - e) - 1 + p)

    def gr(psi):
        vals, vecs = eig(psi)
        load = np.sqrt(psi) * vecs[:, -1] * np.sqrt(max(vals[-1] - 1, 0))
        g = load ** 2 + psi - np.diag(r)
        return g / psi ** 2

    upper = max(1.0, float(np.max(np.diag(r))))
    start = np.clip(1 / np.diag(np.linalg.inv(r)), 0.005, upper)   # diag(R) - smc(R)
    ps = 0.01                                                        # psych's parscale
    if optimum == "psych":
        opts = {"ftol": 1e7 * np.finfo(float).eps, "gtol": 0.0, "maxcor": 5, "maxiter": 100}
    else:
        opts = {"ftol": 1e-16, "gtol": 1e-13, "maxcor": 10, "maxiter": 10000}
    res = optimize.minimize(lambda z: fn(z * ps), start / ps, jac=lambda z: gr(z * ps) * ps,
                            method="L-BFGS-B", bounds=[(0.005 / ps, upper / ps)] * p,
                            options=opts)
    psi = res.x * ps
    vals, vecs = eig(psi)
    load = np.sqrt(psi) * vecs[:, -1] * np.sqrt(max(vals[-1] - 1, 0))
    if load.sum() < 0:
        load = -load
    return load, 1 - load ** 2


@public
def omega_total(r: np.ndarray, *, optimum: str = "psych") -> tuple[float, np.ndarray]:
    """McDonald's omega total from a one-factor ML solution: (sum l)^2 / ((sum l)^2 + sum u^2).

    Examples
    --------
    R: f <- psych::fa(x, 1, fm = "ml"); sum(f$loadings)^2 / (sum(f$loadings)^2 + sum(f$uniquenesses))
    """
    load, uniq = factor_ml1(r, optimum=optimum)
    s = load.sum() ** 2
    return float(s / (s + uniq.sum())), load


# ---------------------------------------------------------------------------------------------
# preparation shared by reliability() and item_analysis()
# ---------------------------------------------------------------------------------------------
def _prepare(data, keys, item_min, item_max, out_of_range):
    parsed = parse_keys(keys)
    items = keys_items(parsed)
    x = numeric_matrix(data, items)
    any_rev = any(s < 0 for v in parsed.values() for _, s in v)
    if item_min is None or item_max is None:
        if any_rev:
            raise ParameterError("'item_min' and 'item_max' (declared bounds) are required when "
                                 "keys contain reverse-keyed items ('-item')")
        return parsed, items, x, None, None
    lo = bound_array(item_min, items, "item_min")
    hi = bound_array(item_max, items, "item_max")
    x = check_range(x, items, lo, hi, data.index, out_of_range)
    return parsed, items, x, lo, hi


def _scale_block(parsed, items, x, lo, hi, scale):
    """Raw (un-keyed) item block of a scale - a view when its columns are adjacent - and keys.

    Keying is applied to the *statistics* (:func:`_key_grouped`), not to the data: reversing item
    j (``min + max - x``) flips the sign of its covariances and maps its mean to
    ``min + max - mean``; the block itself is never copied for keying.
    """
    idx = np.array([items.index(n) for n, _ in parsed[scale]])
    signs = np.array([s for _, s in parsed[scale]])
    if len(idx) and np.all(np.diff(idx) == 1):
        xb = x[:, idx[0]:idx[-1] + 1]
    else:
        xb = x[:, idx]
    const = None if lo is None else (lo[idx] + hi[idx])
    return [n for n, _ in parsed[scale]], signs, xb, const


def _cov_from_products(sxx, sx, n):
    """(X'X - n m m') / (n - 1) with m = column sums / n (no centring pass over the data)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sx / n
        cov = (sxx - n * np.outer(mean, mean)) / (n - 1)
    return cov, mean


def _ill_conditioned(cov, mean) -> bool:
    """True when the one-pass formula may lose precision (|mean| >> sd)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = mean ** 2 / np.diagonal(cov)
    return bool(np.nanmax(ratio, initial=0.0) > 1e6) if ratio.size else False


def _block_stats(xb: np.ndarray, rules: Sequence[str]) -> dict[str, tuple]:
    """One pass over a raw scale block: ``{rule: (cov, n_matrix, item_means)}``.

    Without missing cells both rules give the ordinary covariance of all rows. Otherwise NaN
    are set to 0 once; the pairwise sums come from three cross-products (M'M, X'M, X'X), the
    listwise covariance from X'X of the complete rows. Covariances come from cross-products
    without a centring pass; when an item's mean is large relative to its SD the block is
    recomputed with centred data (numerical safeguard).
    """
    n, k = xb.shape
    if "pairwise" in rules:
        m = np.isfinite(xb)
        comp = m.all(axis=1)
    else:                                   # listwise only: NaN propagates through row sums
        m = None
        with np.errstate(invalid="ignore"):
            comp = np.isfinite(xb.sum(axis=1))
    out: dict[str, tuple] = {}
    if comp.all():
        if n >= 2:
            cov, mean = _cov_from_products(xb.T @ xb, np.add.reduce(xb, axis=0), n)
            if _ill_conditioned(cov, mean):
                xc = xb - mean
                cov = (xc.T @ xc) / (n - 1)
        else:
            cov, mean = np.full((k, k), np.nan), (xb.mean(axis=0) if n else np.full(k, np.nan))
        for rule in rules:
            out[rule] = (cov, np.full((k, k), float(n)), mean)
        return out
    if "pairwise" in rules:
        mf = m.astype(float)
        x0 = np.where(m, xb, 0.0)
        nn = mf.T @ mf
        sx = x0.T @ mf
        sxy = x0.T @ x0
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.diagonal(sx) / np.diagonal(nn)
        cov = _cov_from_sums(nn, sx, sxy)
        if _ill_conditioned(cov, centre):
            c0 = np.where(np.isfinite(centre), centre, 0.0)
            x0 -= c0 * mf
            cov = _cov_from_sums(nn, x0.T @ mf, x0.T @ x0)
        out["pairwise"] = (cov, nn, centre)
    if "listwise" in rules:
        nl = int(comp.sum())
        xt = np.compress(comp, xb.T, axis=1)          # complete rows, items x respondents
        if nl >= 2:
            cov, ml = _cov_from_products(xt @ xt.T, xt.sum(axis=1), nl)
            if _ill_conditioned(cov, ml):
                xc = xt - ml[:, None]
                cov = (xc @ xc.T) / (nl - 1)
        else:
            ml = xt.mean(axis=1) if nl else np.full(k, np.nan)
            cov = np.full((k, k), np.nan)
        out["listwise"] = (cov, np.full((k, k), float(nl)), ml)
    return out


def _cov_rule(xb: np.ndarray, rule: str):
    """(cov, n_matrix) for one rule of an already keyed block (see :func:`_block_stats`)."""
    cov, nn, _ = _block_stats(xb, [rule])[rule]
    return cov, nn


def _grouped_block_stats(xb: np.ndarray, codes: np.ndarray | None, n_groups: int,
                         rules: Sequence[str]) -> dict[str, tuple]:
    """Per-group statistics of a raw scale block: ``{rule: (cov (G,k,k), nn (G,k,k), mean (G,k))}``.

    Without groups this is :func:`_block_stats` with a leading axis. With groups, the
    cross-product sums (N = M'M, Sx = X'M, Sxy = X'X of data centred at the overall item means)
    are aggregated for all groups at once with a sparse group-indicator matrix, so thousands of
    schools cost a few matrix products, not a Python loop.
    """
    if codes is None:
        st = _block_stats(xb, rules)
        return {r: (c[None], nn[None], m[None]) for r, (c, nn, m) in st.items()}
    n, k = xb.shape
    m = np.isfinite(xb)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.where(m, xb, 0.0).sum(axis=0) / m.sum(axis=0)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    out = {}
    for rule in rules:
        keep = codes >= 0
        if rule == "listwise":
            keep = keep & m.all(axis=1)
        xs, ms, cs = xb[keep], m[keep], codes[keep]
        mf = ms.astype(float)
        x0 = np.where(ms, xs - shift, 0.0)
        g = sparse.csr_matrix((np.ones(len(cs)), (cs, np.arange(len(cs)))),
                              shape=(n_groups, len(cs)))
        nn = np.empty((n_groups, k, k))
        sx = np.empty((n_groups, k, k))
        sxy = np.empty((n_groups, k, k))
        for j in range(k):
            nn[:, :, j] = g @ (mf * mf[:, [j]])
            sx[:, :, j] = g @ (x0 * mf[:, [j]])
            sxy[:, :, j] = g @ (x0 * x0[:, [j]])
        cov = _cov_from_sums(nn, sx, sxy)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = shift + np.diagonal(sx, axis1=1, axis2=2) / np.diagonal(nn, axis1=1, axis2=2)
        out[rule] = (cov, nn, mean)
    return out


def _key_grouped(stats_: dict, signs: np.ndarray, const: np.ndarray | None) -> dict:
    """Apply keys to raw-item statistics stacked per group: cov -> D cov D (D = diag(signs)),
    mean -> min + max - mean for reversed items."""
    if not (signs < 0).any():
        return stats_
    d = np.outer(signs, signs)
    c = const if const is not None else 0.0
    return {rule: (cov * d, nn, np.where(signs < 0, c - mean, mean))
            for rule, (cov, nn, mean) in stats_.items()}


def _feldt_vec(alpha, n, k, level):
    """Feldt (1965) CI, vectorised: 1 - (1 - alpha) F_{1-a/2 | a/2}(n-1, (n-1)(k-1))
    (``psych::alpha.ci``)."""
    alpha = np.asarray(alpha, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = np.isfinite(alpha) & (n >= 2) & (k >= 2)
    lo = np.full(alpha.shape, np.nan)
    hi = np.full(alpha.shape, np.nan)
    if ok.any():
        a = 1 - level
        df1 = n[ok] - 1
        df2 = df1 * (k - 1)
        lo[ok] = 1 - (1 - alpha[ok]) * stats.f.ppf(1 - a / 2, df1, df2)
        hi[ok] = 1 - (1 - alpha[ok]) * stats.f.ppf(a / 2, df1, df2)
    return lo, hi


def _check_common(missing, by, level, ci, n_boot):
    rules = [missing] if isinstance(missing, str) else list(missing)
    if not rules:
        raise ParameterError(f"'missing' must be 'listwise', 'pairwise' or both; got {missing!r}")
    for m in rules:
        check_option(m, "missing", _MISSING)
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    check_option(ci, "ci", ("feldt", "bootstrap", None))
    check_number(n_boot, "n_boot", low=2, integer=True)
    return rules, as_list(by)


def _bootstrap(xb, rule, clusters, n_boot, seed, level, signs=None):
    """Percentile CIs and SEs of alpha_raw, alpha_std, average_r by resampling clusters.

    Per-cluster cross-product sums (N, Sx, Sxy) are aggregated once; a replicate's covariance is
    the cluster-count-weighted sum of them, so B replicates cost B small matrix products.
    Respondents are the clusters when no cluster column is given.
    """
    rng = np.random.default_rng(seed)
    if rule == "listwise":
        keep = np.isfinite(xb).all(axis=1)
        xb, clusters = xb[keep], clusters[keep]
    k = xb.shape[1]
    codes, uniq = pd.factorize(clusters)
    n_cl = len(uniq)
    if n_cl < 2:
        return {m: (np.nan, np.nan, np.nan) for m in ("alpha_raw", "alpha_std", "average_r")}
    m = np.isfinite(xb)
    centre = np.nanmean(np.where(m, xb, np.nan), axis=0)
    x0 = np.where(m, xb - centre, 0.0)
    mf = m.astype(float)
    g = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                          shape=(n_cl, len(codes)))
    # per-cluster sums, flattened k*k: N_c[i,j] = sum m_i m_j, Sx_c[i,j] = sum x_i m_j, Sxy
    nn_c = np.empty((n_cl, k, k))
    sx_c = np.empty((n_cl, k, k))
    sxy_c = np.empty((n_cl, k, k))
    for j in range(k):
        nn_c[:, :, j] = g @ (mf * mf[:, [j]])
        sx_c[:, :, j] = g @ (x0 * mf[:, [j]])
        sxy_c[:, :, j] = g @ (x0 * x0[:, [j]])
    out = {"alpha_raw": [], "alpha_std": [], "average_r": []}
    counts = rng.multinomial(n_cl, np.full(n_cl, 1 / n_cl), size=n_boot).astype(float)
    chunk = max(1, int(2e7 // max(1, n_cl * k * k)))
    for b0 in range(0, n_boot, chunk):
        cb = counts[b0:b0 + chunk]
        nn = np.tensordot(cb, nn_c, axes=(1, 0))
        sx = np.tensordot(cb, sx_c, axes=(1, 0))
        sxy = np.tensordot(cb, sxy_c, axes=(1, 0))
        cov = _cov_from_sums(nn, sx, sxy)
        if signs is not None:
            cov = cov * np.outer(signs, signs)
        st = _alpha_from_cov(cov)
        for key in out:
            out[key].append(st[key])
    a = 1 - level
    res = {}
    for key, vals in out.items():
        v = np.concatenate(vals)
        v = v[np.isfinite(v)]
        if v.size < 2:
            res[key] = (np.nan, np.nan, np.nan)
        else:
            res[key] = (float(np.std(v, ddof=1)), float(np.quantile(v, a / 2)),
                        float(np.quantile(v, 1 - a / 2)))
    return res


# ---------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------
@public(renamed={"cluster": "school"})
def reliability(data: pd.DataFrame, keys: Mapping[str, Sequence[str]], *,
                item_min: Any = None, item_max: Any = None,
                missing: str | Sequence[str] = ("listwise", "pairwise"),
                by: str | Sequence[str] | None = None, ci: str | None = "feldt",
                level: float = 0.95, school: str | None = None, n_boot: int = 1000,
                seed: int | None = None, omega: bool = True,
                out_of_range: str = "error") -> pd.DataFrame:
    """Scale reliability: Cronbach's alpha (raw, standardised), mean inter-item r, omega total.

    With covariance matrix :math:`C` of the keyed items (k items) and :math:`R` = cov2cor(C):

    * alpha raw :math:`= \\frac{k}{k-1}(1 - \\operatorname{tr} C / \\mathbf{1}'C\\mathbf{1})`;
    * alpha standardised :math:`= \\frac{k}{k-1}(1 - k / \\mathbf{1}'R\\mathbf{1})`;
    * mean inter-item r :math:`= (\\mathbf{1}'R\\mathbf{1} - k) / (k(k-1))`;
    * omega total :math:`= (\\sum\\lambda)^2 / ((\\sum\\lambda)^2 + \\sum(1-\\lambda^2))` from a
      one-factor ML factor analysis of :math:`R` (:func:`factor_ml1`).

    Parameters
    ----------
    data : DataFrame
    keys : dict
        ``{"scale": ["-A1", "A2", ...]}`` (``-`` = reverse keyed, ``min + max - x``).
    item_min, item_max : number or dict, optional
        Declared bounds; required when some items are reverse keyed.
    missing : "listwise", "pairwise" or both (default both, one row set each)
        See the module docstring. The rule is given in column ``missing``.
    by : str or list, optional
        Group columns (group, school, wave...); statistics per group.
    ci : {"feldt", "bootstrap", None}
        Feldt F-based CI for alpha raw (n after deletion), or percentile bootstrap CIs (and
        bootstrap SEs) for alpha raw, alpha std and mean r, resampling ``school`` units
        (e.g. schools) or respondents. Omega total gets no CI (a factor analysis per replicate
        would be needed).
    level : float
        Confidence level.
    school : str, optional
        Column of the resampling units (schools, or any cluster) for ``ci="bootstrap"``.
    n_boot, seed : int
        Number of bootstrap replicates and the seed of ``numpy.random.default_rng``.
    omega : bool
        Compute omega total (one small ML factor analysis per scale, group and rule, about 5 ms
        each; needs >= 3 items). Pass ``False`` for thousands of schools.

    Returns
    -------
    DataFrame
        by..., ``scale``, ``missing``, ``measure`` (alpha_raw, alpha_std, average_r,
        omega_total), ``n_items``, ``ci_method``, ``note``, ``n_max``, then
        ``est, se, ci_low, ci_high, n`` (``n``/``n_max``: respondents used; for pairwise the
        smallest / largest pairwise count, the smallest also feeding the Feldt CI).

    References
    ----------
    Cronbach (1951); Feldt (1965); McDonald (1999); Revelle, psych::alpha, psych::omega.

    Examples
    --------
    >>> reliability(bfi, {"agree": ["-A1", "A2", "A3", "A4", "A5"]}, item_min=1, item_max=6)
    R: psych::alpha(bfi[, c("A1","A2","A3","A4","A5")], keys = "A1")   # pairwise rows
       psych::alpha(na.omit(...))                                     # listwise rows
       psych::fa(na.omit(...), 1, fm = "ml")                          # omega total
    """
    rules, by = _check_common(missing, by, level, ci, n_boot)
    if school is not None:
        check_columns(data, [school], "data")
    if ci == "bootstrap" and seed is None:
        raise ParameterError("'seed' is required with ci='bootstrap' (results must be "
                             "reproducible); got None")
    parsed, items, x, lo, hi = _prepare(data, keys, item_min, item_max, out_of_range)
    cl_all = data[school].to_numpy() if school is not None else np.arange(len(data))
    if by:
        codes, gkeys = group_codes(data, by)
        n_groups = len(gkeys)
    else:
        codes, gkeys, n_groups = None, pd.DataFrame(index=[0]), 1
    blocks = []
    fa_jobs = []
    for scale in parsed:
        names, signs, xb_all, const = _scale_block(parsed, items, x, lo, hi, scale)
        k = len(names)
        gstats = _key_grouped(_grouped_block_stats(xb_all, codes, n_groups, rules), signs, const)
        for rule in rules:
            cov, nn, _ = gstats[rule]
            st = _alpha_from_cov(cov)
            n_min, n_max, finite, notes = _group_notes(cov, nn, k, rule, n_groups)
            boot = None
            if ci == "bootstrap" and k >= 2:
                boot = {mname: np.full((n_groups, 3), np.nan)
                        for mname in ("alpha_raw", "alpha_std", "average_r")}
                for gi in range(n_groups):
                    rows_g = slice(None) if codes is None else np.flatnonzero(codes == gi)
                    res = _bootstrap(xb_all[rows_g], rule, cl_all[rows_g], n_boot, seed, level,
                                     signs)
                    for mname in boot:
                        boot[mname][gi] = res[mname]
            note_txt = np.array(["; ".join(nt) for nt in notes], dtype=object)
            for measure in ("alpha_raw", "alpha_std", "average_r"):
                est = st[measure] if k >= 2 else np.full(n_groups, np.nan)
                se = np.full(n_groups, np.nan)
                ci_lo = np.full(n_groups, np.nan)
                ci_hi = np.full(n_groups, np.nan)
                method = None
                if ci == "feldt" and measure == "alpha_raw":
                    ci_lo, ci_hi = _feldt_vec(est, n_min, k, level)
                    method = "feldt"
                elif boot is not None:
                    se, ci_lo, ci_hi = boot[measure].T
                    method = "cluster bootstrap" if school else "bootstrap"
                blocks.append(_block_frame(gkeys, scale, rule, k, measure, method, note_txt,
                                           est, se, ci_lo, ci_hi, n_min, n_max))
            if omega:
                _queue_omega(blocks, fa_jobs, gkeys, scale, rule, k, notes, finite, st["r"],
                             n_min, n_max)
    _finish_omega(fa_jobs, blocks)
    out = pd.concat(blocks, ignore_index=True)
    if by:
        out = out.sort_values(by, kind="stable")
    out = tidy(out)
    out["n"] = out["n"].astype(np.int64)
    out["n_max"] = out["n_max"].astype(np.int64)
    return out


def _block_frame(gkeys, scale, rule, k, measure, method, notes, est, se, ci_lo, ci_hi, n_min,
                 n_max):
    g = len(est)
    cols = {c: gkeys[c].to_numpy() for c in gkeys.columns}
    cols.update({"scale": [scale] * g, "missing": [rule] * g, "measure": [measure] * g,
                 "n_items": np.full(g, k), "ci_method": [method] * g, "note": list(notes),
                 "est": np.asarray(est, dtype=float), "se": np.asarray(se, dtype=float),
                 "ci_low": np.asarray(ci_lo, dtype=float), "ci_high": np.asarray(ci_hi, dtype=float),
                 "n": n_min, "n_max": n_max})
    return pd.DataFrame(cols)


@public
def cronbach_alpha(data: pd.DataFrame, items: Sequence[str], *, missing: str = "listwise",
                   standardized: bool = False) -> float:
    """Cronbach's alpha of the given (already keyed) item columns as one number.

    Examples
    --------
    R: psych::alpha(na.omit(x))$total$raw_alpha
    """
    check_option(missing, "missing", _MISSING)
    xb = numeric_matrix(data, list(items))
    if xb.shape[1] < 2:
        raise ParameterError(f"'items' must name >= 2 columns; got {list(items)}")
    cov, _ = _cov_rule(xb, missing)
    st = _alpha_from_cov(cov)
    return float(st["alpha_std" if standardized else "alpha_raw"])


@public
def item_analysis(data: pd.DataFrame, keys: Mapping[str, Sequence[str]], *,
                  item_min: Any = None, item_max: Any = None,
                  missing: str | Sequence[str] = ("listwise", "pairwise"),
                  by: str | Sequence[str] | None = None,
                  out_of_range: str = "error") -> pd.DataFrame:
    """Item statistics per scale: corrected item-total r (r.drop) and alpha if item deleted.

    :math:`r_{drop,i} = (\\sum_j C_{ij} - C_{ii}) / \\sqrt{C_{ii} \\sum_{j,l \\ne i} C_{jl}}`;
    alpha if deleted is alpha (raw and standardised, the same estimator as the scale row,
    pitfall P3) of the covariance matrix without item *i*.

    Returns
    -------
    DataFrame
        by..., ``scale``, ``missing``, ``item``, ``reversed``, ``item_mean``, ``item_sd`` (keyed
        item under the rule), ``r_drop``, ``alpha_if_dropped_raw``, ``alpha_if_dropped_std``, ``n``
        (respondents used for the item: listwise n, or the item's valid count).

    Examples
    --------
    >>> item_analysis(bfi, {"agree": ["-A1", "A2", "A3", "A4", "A5"]}, item_min=1, item_max=6,
    ...               missing="pairwise")
    R: psych::alpha(bfi[, paste0("A", 1:5)], keys = "A1")$item.stats$r.drop ; $alpha.drop
    """
    rules, by = _check_common(missing, by, 0.95, None, 2)
    parsed, items, x, lo, hi = _prepare(data, keys, item_min, item_max, out_of_range)
    frames = []
    if by:
        codes, gkeys = group_codes(data, by)
        n_groups = len(gkeys)
    else:
        codes, gkeys, n_groups = None, pd.DataFrame(index=[0]), 1
    for scale in parsed:
        names, signs, xb_all, const = _scale_block(parsed, items, x, lo, hi, scale)
        k = len(names)
        gstats = _key_grouped(_grouped_block_stats(xb_all, codes, n_groups, rules), signs, const)
        for rule in rules:
            cov, nn, mean = gstats[rule]
            st = _alpha_from_cov(cov)
            with np.errstate(invalid="ignore"):
                sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
            f = gkeys.loc[np.repeat(np.arange(n_groups), k)].reset_index(drop=True) \
                if by else pd.DataFrame(index=range(k))
            f["scale"] = scale
            f["missing"] = rule
            f["item"] = np.tile(names, n_groups)
            f["reversed"] = np.tile(signs < 0, n_groups)
            f["item_mean"] = mean.ravel()
            f["item_sd"] = sd.ravel()
            f["r_drop"] = st["r_drop"].ravel()
            f["alpha_if_dropped_raw"] = st["alpha_if_dropped_raw"].ravel()
            f["alpha_if_dropped_std"] = st["alpha_if_dropped_std"].ravel()
            f["n"] = np.diagonal(nn, axis1=1, axis2=2).ravel().astype(np.int64)
            frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    if by:
        out = out.sort_values(by, kind="stable")
    return tidy(out)
