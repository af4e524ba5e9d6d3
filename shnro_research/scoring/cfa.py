"""Confirmatory factor analysis by maximum likelihood, with lavaan's conventions.

:func:`cfa` fits a measurement model (each item on one declared factor; factor variances and
covariances free; residual variances free and uncorrelated) in one group or several (``by=``:
a mean structure, loadings and intercepts optionally equal, lavaan's ``group.equal``).
``"ML"``: expected-information SEs, ``T = N F_ML`` (``likelihood = "normal"``). ``"MLR"``: the
same estimates, Huber--White sandwich SEs (observed information) and the Yuan--Bentler scaled
test in its Mplus form, for Likert items. Minimised: ``sum_g n_g F_g``,
``F_g = log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p + (m_g - mu_g)' Sigma_g^-1 (m_g - mu_g)``,
``Sigma = Lambda Phi Lambda' + Theta``, ``mu = nu + Lambda alpha``. Fit indices as lavaan's
``fitMeasures``: docs/METHODS.md § 22, "Confirmatory factor analysis and measurement invariance".
"""
from __future__ import annotations

import warnings
from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .._checks import DataError, ParameterError, check_columns, check_option, public
from .._summary import summary_text
from ..errors import ConvergenceWarning
from .reliability import _one_blas_thread

ESTIMATORS = ("ML", "MLR")
EQUAL = ("loadings", "intercepts")


# -- the model ----------------------------------------------------------------------------------

#: one parameter of one group (a row of lavaan's parameter table): matrix (lambda, phi, theta,
#: nu, alpha), row, column, index into the free parameters (-1 fixed), fixed value, lavaan names
_Par = namedtuple("_Par", "group mat row col free fixed lhs op rhs")


@dataclass
class _Model:
    items: list[str]
    factors: list[str]
    members: list[list[int]]
    n_groups: int
    meanstructure: bool
    pars: list[_Par] = field(default_factory=list)
    npar: int = 0

    def __post_init__(self):
        self.p, self.m = len(self.items), len(self.factors)


def _parse_model(model) -> dict[str, list[str]]:
    if isinstance(model, Mapping):
        out = {str(f): [str(i) for i in (v if not isinstance(v, str) else [v])]
               for f, v in model.items()}
    elif isinstance(model, Sequence) and not isinstance(model, str):
        out = {"factor": [str(i) for i in model]}
    else:
        raise ParameterError(f"'model' must be a mapping {{factor: [items]}} or a list of items; "
                             f"got {type(model).__name__}")
    if not out or any(len(v) < 1 for v in out.values()):
        raise ParameterError(f"'model' must name at least one item per factor; got {out}")
    flat = [i for v in out.values() for i in v]
    dup = sorted({i for i in flat if flat.count(i) > 1})
    if dup:
        raise ParameterError(f"'model': item(s) {dup} load on more than one factor; each item "
                             "loads on one factor in this CFA")
    return out


def _build(spec: dict[str, list[str]], n_groups: int, meanstructure: bool, std_lv: bool,
           equal: Sequence[str], independence: bool = False) -> _Model:
    """Parameter table as lavaan's defaults make it (marker or std.lv identification; in groups
    after the first, latent means free when intercepts are equal, latent variances free when
    loadings are equal under std.lv)."""
    items = [i for v in spec.values() for i in v]
    factors = [] if independence else list(spec)
    members = [] if independence else [[items.index(i) for i in spec[f]] for f in factors]
    mod = _Model(items, factors, members, n_groups, meanstructure)
    shared: dict[tuple, int] = {}

    def add(g, mat, r, c, free, fixed, lhs, op, rhs, share_key=None):
        idx = -1
        if free:
            if share_key is not None and share_key in shared:
                idx = shared[share_key]
            else:
                idx = mod.npar
                mod.npar += 1
                if share_key is not None:
                    shared[share_key] = idx
        mod.pars.append(_Par(g, mat, r, c, idx, fixed, lhs, op, rhs))

    eq_load, eq_int = "loadings" in equal, "intercepts" in equal
    for g in range(n_groups):
        for f, mem in enumerate(members):
            for k, i in enumerate(mem):
                marker = k == 0 and not std_lv
                add(g, "lambda", i, f, not marker, 1.0, factors[f], "=~", items[i],
                    ("lambda", i, f) if eq_load else None)
        for i, it in enumerate(items):
            add(g, "theta", i, i, True, 0.0, it, "~~", it)
        for f in range(len(factors)):
            free_var = not std_lv or (g > 0 and eq_load)
            add(g, "phi", f, f, free_var, 1.0, factors[f], "~~", factors[f])
        for f1 in range(len(factors)):
            for f2 in range(f1 + 1, len(factors)):
                add(g, "phi", f1, f2, True, 0.0, factors[f1], "~~", factors[f2])
        if meanstructure:
            for i, it in enumerate(items):
                add(g, "nu", i, 0, True, 0.0, it, "~1", "", ("nu", i) if eq_int else None)
            for f in range(len(factors)):
                add(g, "alpha", f, 0, g > 0 and eq_int, 0.0, factors[f], "~1", "")
    return mod


_MATS = ("lambda", "phi", "theta", "nu", "alpha")


def _index(mod: _Model, g: int) -> dict:
    """Per matrix of group ``g``: rows, columns, free index (-1 fixed) and fixed values, as
    arrays (cached on the model): the matrices are filled and differentiated without loops."""
    cache = mod.__dict__.setdefault("_idx", {})
    if g not in cache:
        out = {}
        for mat in _MATS:
            ps = [q for q in mod.pars if q.group == g and q.mat == mat]
            out[mat] = (np.array([q.row for q in ps], int), np.array([q.col for q in ps], int),
                        np.array([q.free for q in ps], int),
                        np.array([q.fixed for q in ps], float))
        cache[g] = out
    return cache[g]


def _values(theta: np.ndarray, free: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    return np.where(free >= 0, theta[np.maximum(free, 0)] if len(theta) else 0.0, fixed)


def _matrices(mod: _Model, theta: np.ndarray, g: int):
    p, m = mod.p, mod.m
    ix = _index(mod, g)
    lam, phi = np.zeros((p, m)), np.zeros((m, m))
    th, nu, al = np.zeros(p), np.zeros(p), np.zeros(m)
    r, c, f, x = ix["lambda"]
    lam[r, c] = _values(theta, f, x)
    r, c, f, x = ix["phi"]
    v = _values(theta, f, x)
    phi[r, c] = v
    phi[c, r] = v
    for arr, mat in ((th, "theta"), (nu, "nu"), (al, "alpha")):
        r, _, f, x = ix[mat]
        arr[r] = _values(theta, f, x)
    return lam, phi, th, nu, al


def _implied(mod: _Model, theta: np.ndarray, g: int):
    lam, phi, th, nu, al = _matrices(mod, theta, g)
    return lam @ phi @ lam.T + np.diag(th), nu + lam @ al


def _derivatives(mod: _Model, theta: np.ndarray, g: int, mats=None):
    """dSigma/dtheta (K x p x p) and dmu/dtheta (K x p) of group ``g`` for every free parameter
    (shared parameters add up); ``mats`` the group's matrices when already at hand."""
    lam, phi, _, _, al = mats if mats is not None else _matrices(mod, theta, g)
    p, k_all = mod.p, mod.npar
    ds, dm = np.zeros((k_all, p, p)), np.zeros((k_all, p))
    lp = lam @ phi
    ix = _index(mod, g)
    r, c, f, _ = ix["lambda"]
    sel = f >= 0
    k, r, c = f[sel], r[sel], c[sel]
    if len(k):
        np.add.at(ds, (k, r), lp[:, c].T)
        np.add.at(ds, (k, slice(None), r), lp[:, c].T)
        np.add.at(dm, (k, r), al[c])
    r, c, f, _ = ix["phi"]
    sel = f >= 0
    k, r, c = f[sel], r[sel], c[sel]
    if len(k):
        d = lam[:, r].T[:, :, None] * lam[:, c].T[:, None, :]
        d = d + np.where((r != c)[:, None, None], d.transpose(0, 2, 1), 0.0)
        np.add.at(ds, k, d)
    r, _, f, _ = ix["theta"]
    sel = f >= 0
    np.add.at(ds, (f[sel], r[sel], r[sel]), 1.0)
    r, _, f, _ = ix["nu"]
    sel = f >= 0
    np.add.at(dm, (f[sel], r[sel]), 1.0)
    r, _, f, _ = ix["alpha"]
    sel = f >= 0
    if sel.any():
        np.add.at(dm, f[sel], lam[:, r[sel]].T)
    return ds, dm


# -- estimation ---------------------------------------------------------------------------------

@dataclass
class _Data:
    S: list[np.ndarray]           # covariance matrices divided by n_g
    mean: list[np.ndarray]
    n: np.ndarray
    raw: list[np.ndarray]         # complete cases of each group (for the robust estimator)

    def __post_init__(self):
        self.logdet = [float(np.linalg.slogdet(S)[1]) for S in self.S]


def _objective(mod: _Model, dat: _Data, theta: np.ndarray, grad: bool = True,
               info: bool = False):
    """sum_g (n_g / N) F_g, its gradient and (``info``) the unit expected information;
    ``(None, None[, None])`` when an implied matrix is not positive definite."""
    w = dat.n / dat.n.sum()
    k = mod.npar
    f, gr, inf = 0.0, np.zeros(k), np.zeros((k, k))
    for g in range(mod.n_groups):
        mats = _matrices(mod, theta, g)
        lam, phi, th, nu, al = mats
        sig = lam @ phi @ lam.T + np.diag(th)
        try:
            c = np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return (None, None, None) if info else (None, None)
        si = np.linalg.inv(sig)
        d = dat.mean[g] - (nu + lam @ al) if mod.meanstructure else np.zeros(mod.p)
        logdet = 2 * np.log(np.diag(c)).sum()
        sid = si @ d
        f += w[g] * (logdet + np.sum(si * dat.S[g]) - dat.logdet[g] - mod.p + d @ sid)
        if grad or info:
            ds, dm = _derivatives(mod, theta, g, mats)
            mmat = si - si @ (dat.S[g] + np.outer(d, d)) @ si
            gr += w[g] * (ds.reshape(k, -1) @ mmat.ravel() - 2 * dm @ sid)
            if info:
                inf += w[g] * _info_group(si, ds, dm, mod.meanstructure)
    return (f, gr, inf) if info else (f, gr)


def _info_group(si, ds, dm, meanstructure: bool) -> np.ndarray:
    """0.5 tr(P dS_a P dS_b) + dmu_a' P dmu_b of one group (P = Sigma^-1)."""
    k = ds.shape[0]
    a = np.matmul(si, ds)                                    # K x p x p: P dSigma_k
    ig = 0.5 * (a.reshape(k, -1) @ a.transpose(0, 2, 1).reshape(k, -1).T)
    if meanstructure:
        ig = ig + dm @ si @ dm.T
    return ig


def _start(mod: _Model, dat: _Data, prev=None) -> np.ndarray:
    """Starting values: the estimates of ``prev`` (a nested model, same data) where it has the
    parameter, else the first principal component of each factor's items scaled to the marker,
    half the item variances, the sample means."""
    theta = np.zeros(mod.npar)
    known = {} if prev is None else {(q.group, q.mat, q.row, q.col): (
        prev.theta[q.free] if q.free >= 0 else q.fixed) for q in prev._mod.pars}
    pcs: dict = {}
    for par in (q for q in mod.pars if q.free >= 0):
        key, S = (par.group, par.mat, par.row, par.col), dat.S[par.group]
        if key in known:
            theta[par.free] = known[key]
        elif par.mat == "theta":
            theta[par.free] = 0.5 * S[par.row, par.row]
        elif par.mat == "nu":
            theta[par.free] = dat.mean[par.group][par.row]
        elif par.mat == "lambda" or (par.mat == "phi" and par.row == par.col):
            f = par.col if par.mat == "lambda" else par.row
            if (par.group, f) not in pcs:
                mem = mod.members[f]
                sd = np.sqrt(np.diag(S))[mem]
                val, vec = np.linalg.eigh(S[np.ix_(mem, mem)] / np.outer(sd, sd))
                raw = np.sqrt(max(val[-1], 1e-3)) * vec[:, -1] * np.sign(vec[:, -1].sum() or 1) * sd
                marker = any(q.group == par.group and q.mat == "lambda" and q.col == f
                             and q.row == mem[0] and q.free < 0 for q in mod.pars)
                pcs[par.group, f] = raw, (raw[0] if marker and abs(raw[0]) > 1e-8 else 1.0)
            raw, scale = pcs[par.group, f]
            theta[par.free] = (raw[mod.members[f].index(par.row)] / scale
                               if par.mat == "lambda" else scale ** 2)
    return theta


def _fit(mod: _Model, dat: _Data, tol: float = 1e-10, max_iter: int = 500, prev=None):
    """Fisher scoring with step halving (trial points cost the discrepancy only)."""
    theta = _start(mod, dat, prev)
    f, gr, info = _objective(mod, dat, theta, info=True)
    if f is None:
        raise DataError("cfa: the starting values give an implied covariance matrix that is not "
                        "positive definite; check the items (constant or duplicated columns?)")
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(2 * info, gr)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(2 * info, gr, rcond=None)[0]
        t = 1.0
        while t > 1e-8:
            new = theta - t * step
            f_new = _objective(mod, dat, new, grad=False)[0]
            if f_new is not None and f_new <= f + 1e-15:
                break
            t /= 2
        else:
            break
        f_old = f
        theta = new
        f, gr, info = _objective(mod, dat, theta, info=True)
        if np.max(np.abs(gr)) < tol or abs(f_old - f) < 1e-16:
            converged = np.max(np.abs(gr)) < 1e-6
            break
    if not converged and np.max(np.abs(gr)) < 1e-6:
        converged = True
    return theta, f, converged, it


# -- robust (MLR) -------------------------------------------------------------------------------

def _casewise_scores(mod: _Model, dat: _Data, theta: np.ndarray, g: int) -> np.ndarray:
    """Scores d l_i / d theta of each respondent of group ``g`` (n_g x K)."""
    sig, mu = _implied(mod, theta, g)
    si = np.linalg.inv(sig)
    ds, dm = _derivatives(mod, theta, g)
    y = dat.raw[g]
    r = y - (mu if mod.meanstructure else dat.mean[g])
    z = r @ si
    tr = np.einsum("ij,kji->k", si, ds)
    ri, ci = np.tril_indices(mod.p)
    mult = np.where(ri == ci, 1.0, 2.0)
    # z' dS_k z = sum over the lower triangle (off-diagonal twice) of z_i z_j dS_k[i, j]
    sc = 0.5 * ((z[:, ri] * z[:, ci]) @ (ds[:, ri, ci] * mult).T) - 0.5 * tr
    if mod.meanstructure:
        sc += z @ dm.T
    return sc


def _observed_info(mod: _Model, dat: _Data, theta: np.ndarray) -> np.ndarray:
    """Hessian of 0.5 sum_g w_g F_g (lavaan's observed information), analytic.

    With P = Sigma^-1, C = S + dd', M = P - PCP, B_k = P dSigma_k, R = PC:
    d2F/dadb = -tr(B_a B_b) + 2 tr(B_a R B_b) + 2 dmu_a'B_b P d + 2 dmu_b'B_a P d
    + 2 dmu_a'P dmu_b + tr(M d2Sigma_ab) - 2 d2mu_ab' P d; the second derivatives of
    Sigma = Lambda Phi Lambda' + Theta and mu = nu + Lambda alpha are non-zero only for
    (loading, loading), (loading, factor (co)variance) and (loading, factor mean) pairs."""
    w = dat.n / dat.n.sum()
    k_all = mod.npar
    hess = np.zeros((k_all, k_all))
    for g in range(mod.n_groups):
        lam, phi, th, nu, al = _matrices(mod, theta, g)
        sig = lam @ phi @ lam.T + np.diag(th)
        P = np.linalg.inv(sig)
        d = dat.mean[g] - (nu + lam @ al) if mod.meanstructure else np.zeros(mod.p)
        C = dat.S[g] + np.outer(d, d)
        M = P - P @ C @ P
        R = P @ C
        pd_ = P @ d
        ds, dm = _derivatives(mod, theta, g)
        B = np.einsum("ij,kjl->kil", P, ds)
        RB = np.einsum("ij,kjl->kil", R, B)
        h = -np.einsum("aij,bji->ab", B, B) + 2 * np.einsum("aij,bji->ab", B, RB)
        if mod.meanstructure:
            u = B @ pd_                                  # K x p: P dSigma_k P d
            x = dm @ u.T
            h += 2 * (x + x.T) + 2 * dm @ P @ dm.T
        # second-derivative terms
        ix = _index(mod, g)
        lr, lc, lf, _ = ix["lambda"]
        sel = lf >= 0
        lk, li, lfac = lf[sel], lr[sel], lc[sel]
        h2 = np.zeros((k_all, k_all))
        if len(lk):
            np.add.at(h2, (lk[:, None], lk[None, :]),
                      2 * phi[np.ix_(lfac, lfac)] * M[np.ix_(li, li)])
            ml = M @ lam                                  # p x m
            pr, pc, pf, _ = ix["phi"]
            ps = pf >= 0
            for k2, f1, f2 in zip(pf[ps], pr[ps], pc[ps]):
                if f1 == f2:
                    v = np.where(lfac == f1, ml[li, f1], 0.0)
                else:
                    v = (np.where(lfac == f1, ml[li, f2], 0.0)
                         + np.where(lfac == f2, ml[li, f1], 0.0))
                np.add.at(h2, (lk, k2), 2 * v)
                np.add.at(h2, (k2, lk), 2 * v)
            ar, _, af, _ = ix["alpha"]
            asel = af >= 0
            for k2, f in zip(af[asel], ar[asel]):
                v = np.where(lfac == f, -2 * pd_[li], 0.0)
                np.add.at(h2, (lk, k2), v)
                np.add.at(h2, (k2, lk), v)
        hess += w[g] * 0.5 * (h + h2)
    return (hess + hess.T) / 2


def _h1_trace(S: np.ndarray, mean: np.ndarray, y: np.ndarray, meanstructure: bool) -> float:
    """tr(A1^-1 B1) of the unrestricted model of one group: A1 the (unstructured) information,
    B1 the first-order information at the sample moments."""
    p = S.shape[0]
    si = np.linalg.inv(S)
    z = (y - mean) @ si
    ri, ci = np.tril_indices(p)
    mult = np.where(ri == ci, 1.0, 2.0)
    sc = 0.5 * mult * (z[:, ri] * z[:, ci] - si[ri, ci])
    # information of vech(Sigma): 0.5 D'(S^-1 x S^-1)D
    a = 0.5 * mult[:, None] * mult[None, :] * 0.5 * (
        si[ri][:, ri] * si[ci][:, ci] + si[ri][:, ci] * si[ci][:, ri])
    if meanstructure:
        sc = np.hstack([z, sc])
        a = np.block([[si, np.zeros((p, len(ri)))], [np.zeros((len(ri), p)), a]])
    b = sc.T @ sc / len(y)
    return float(np.sum(b * np.linalg.inv(a).T))


def _h1_traces(mod: _Model, dat: _Data) -> float:
    """sum_g tr(A1_g^-1 B1_g): the unrestricted model's part of trace(U Gamma)."""
    return sum(_h1_trace(dat.S[g], dat.mean[g], dat.raw[g], mod.meanstructure)
               for g in range(mod.n_groups))


def _robust(mod: _Model, dat: _Data, theta: np.ndarray, h1: float):
    """Sandwich covariance (unit) A^-1 B A^-1 and trace(U Gamma) of the Yuan--Bentler (Mplus)
    scaled test: ``h1 - tr(B0 A0^-1)``, the sum over groups of lavaan's
    ``lav_test_yb_mplus_trace`` (A0 observed, B0 first-order information of the model)."""
    w = dat.n / dat.n.sum()
    a = _observed_info(mod, dat, theta)
    a_inv = np.linalg.inv(a)
    b = np.zeros_like(a)
    for g in range(mod.n_groups):
        sc = _casewise_scores(mod, dat, theta, g)
        b += w[g] * (sc.T @ sc / len(sc))
    trace = h1 - float(np.sum(b * a_inv.T))
    return a_inv @ b @ a_inv, trace


# -- fit indices --------------------------------------------------------------------------------

def _rmsea(x2: float, df: float, n: int, g: int) -> float:
    return float(np.sqrt(max((x2 / n) / df - 1.0 / n, 0.0)) * np.sqrt(g)) if df > 0 else 0.0


def _pchisq(x2: float, df: float, ncp: float) -> float:
    """P(X <= x2), X ~ chi-square(df, ncp) (scipy.special: the same as stats.ncx2, faster)."""
    return float(special.chdtr(df, x2) if ncp <= 0 else special.chndtr(x2, df, ncp))


def _rmsea_ci(x2: float, df: float, n: int, g: int, level: float = 0.90):
    """Browne--Cudeck interval: the non-centrality parameters that put T at the upper and lower
    (1 - level) / 2 quantiles (lavaan ``lav_fit_rmsea_ci``)."""
    if not (np.isfinite(x2) and np.isfinite(df)):
        return float("nan"), float("nan")
    if df < 1:
        return 0.0, 0.0
    up, lo = 1 - (1 - level) / 2, (1 - level) / 2

    def root(target, upper):
        try:
            lam = optimize.brentq(lambda x: _pchisq(x2, df, x) - target, 0, upper, xtol=1e-12)
        except (ValueError, RuntimeError):      # lavaan: a failed uniroot gives NA
            return float("nan")
        return float(np.sqrt(lam / (n * df)) * np.sqrt(g))

    low = 0.0 if _pchisq(x2, df, 0) - up < 0 else root(up, x2)
    n_rmsea = max(n, x2 * 4)
    no_high = _pchisq(x2, df, n_rmsea) - lo > 0 or _pchisq(x2, df, 0) - lo < 0
    return low, (0.0 if no_high else root(lo, n_rmsea))


def _rmsea_pclose(x2: float, df: float, n: int, g: int, h0: float = 0.05) -> float:
    return 1.0 - _pchisq(x2, df, n * df * h0 ** 2 / g) if df > 0 else float("nan")


def _cfi(x2, df, x2b, dfb) -> float:
    t1 = max(x2 - df, 0.0)
    t2 = max(x2 - df, x2b - dfb, 0.0)
    return 1.0 if t1 == 0 and t2 == 0 else float(1 - t1 / t2)


def _tli(x2, df, x2b, dfb) -> float:
    return float((x2b / dfb - x2 / df) / (x2b / dfb - 1)) if df > 0 else 1.0


def _srmr(mod: _Model, dat: _Data, theta: np.ndarray) -> float:
    """Bentler's SRMR (lavaan's ``srmr``): residuals over sqrt(s_ii s_jj), mean residuals over
    sqrt(s_ii) when the model has a mean structure; groups weighted by n_g / N."""
    w = dat.n / dat.n.sum()
    out = 0.0
    ri, ci = np.tril_indices(mod.p)
    for g in range(mod.n_groups):
        sig, mu = _implied(mod, theta, g)
        sd = np.sqrt(np.diag(dat.S[g]))
        res = ((dat.S[g] - sig) / np.outer(sd, sd))[ri, ci]
        ss, e = np.sum(res ** 2), len(ri)
        if mod.meanstructure:
            ss += np.sum(((dat.mean[g] - mu) / sd) ** 2)
            e += mod.p
        out += w[g] * np.sqrt(ss / e)
    return float(out)


def _loglik(mod: _Model, dat: _Data, theta: np.ndarray | None) -> float:
    """Normal log-likelihood of the model (``theta``) or of the unrestricted model (``None``)."""
    ll = 0.0
    for g in range(mod.n_groups):
        n, S = dat.n[g], dat.S[g]
        if theta is None:
            sig, d = S, np.zeros(mod.p)
        else:
            sig, mu = _implied(mod, theta, g)
            d = dat.mean[g] - mu if mod.meanstructure else np.zeros(mod.p)
        si = np.linalg.inv(sig)
        ll += -n / 2 * (mod.p * np.log(2 * np.pi) + np.linalg.slogdet(sig)[1]
                        + np.sum(si * S) + d @ si @ d)
    return float(ll)


# -- public -------------------------------------------------------------------------------------

def _prepare(data, spec, group):
    """Complete answers of each level of ``group`` (order of appearance) as arrays."""
    items = [i for v in spec.values() for i in v]
    check_columns(data, items + ([group] if group else []), "cfa: data")
    sub = data[items + ([group] if group else [])]
    bad = [c for c in items if not pd.api.types.is_numeric_dtype(sub[c])]
    if bad:
        raise DataError(f"cfa: item column(s) {bad} are not numeric (dtype "
                        f"{[str(sub[c].dtype) for c in bad]}); expected numeric answer codes")
    sub = sub.dropna()
    if not group:
        return ["all"], [sub[items].to_numpy(float)]
    levels = list(pd.unique(sub[group]))
    y = sub[items].to_numpy(float)
    g = sub[group].to_numpy()
    return levels, [y[g == lv] for lv in levels]


def _moments(ys: list[np.ndarray], levels, items, where: str) -> _Data:
    S, mean, n = [], [], []
    for lv, y in zip(levels, ys):
        if len(y) <= len(items):
            raise DataError(f"cfa: {len(y)} complete answers in {where} = {lv!r} for "
                            f"{len(items)} items; expected more answers than items")
        mu = y.mean(axis=0)
        c = y - mu
        s = c.T @ c / len(y)
        const = [items[j] for j in np.flatnonzero(np.diag(s) <= 0)]
        if const:
            raise DataError(f"cfa: item(s) {const} do not vary in {where} = {lv!r} "
                            "(variance 0); a CFA needs items that vary")
        S.append(s)
        mean.append(mu)
        n.append(len(y))
    return _Data(S, mean, np.array(n, float), list(ys))


@public
def cfa(data: pd.DataFrame, model, *, by: str | None = None, estimator: str = "ML",
        group_equal: Sequence[str] = (), std_lv: bool = False, level: float = 0.95
        ) -> "CFAResult":
    """Confirmatory factor analysis (maximum likelihood), as lavaan's ``cfa()``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent, numeric item columns; incomplete rows are left out (listwise,
        lavaan's default ``missing = "listwise"``).
    model : dict or list
        ``{factor: [items]}`` (each item on one factor), or a list of items for one factor.
    by : str, optional
        Groups of a multi-group model, lavaan ``group =`` (mean structure: intercepts, latent
        means where identified); levels in order of appearance, as lavaan.
    estimator : {"ML", "MLR"}
        ``"ML"``: expected-information SEs, chi-square ``T = N F_ML``. ``"MLR"``: sandwich SEs
        (observed information) and the Yuan--Bentler scaled chi-square (Mplus form).
    group_equal : sequence of {"loadings", "intercepts"}
        Parameters held equal across groups (lavaan ``group.equal``).
    std_lv : bool
        Identify each factor by fixing its variance to 1 (lavaan ``std.lv = TRUE``) instead of
        fixing its first loading to 1.
    level : float
        Confidence level of the parameter intervals (``est +- z * se``).

    Returns
    -------
    CFAResult
        ``.tidy()`` parameters (est, se, z as ``statistic``, ``p_value``, ``std_all``,
        ``std_lv``), ``.glance()`` fit indices, ``.summary()``.

    Notes
    -----
    Minimises ``sum_g n_g F_g`` (module docstring; ``S`` divided by ``n_g``); fit indices as
    lavaan's ``fitMeasures``, docs/METHODS.md § 22. References: Joreskog (1969); Bollen (1989)
    ch. 7; Hu & Bentler (1999); Yuan & Bentler (2000); Rosseel (2012), lavaan.

    Examples
    --------
    >>> fit = cfa(df, {"visual": ["x1", "x2", "x3"], "text": ["x4", "x5"]})  # doctest: +SKIP
    >>> fit.glance()[["chi2", "df", "cfi", "rmsea", "srmr"]]                # doctest: +SKIP

    R equivalent: ``lavaan::cfa("visual =~ x1 + x2 + x3 ...", data = df, estimator = "ML")``,
    ``parameterEstimates(fit, standardized = TRUE)``, ``fitMeasures(fit)``.
    """
    # small matrices: one BLAS thread is faster, and much faster on a busy machine
    with _one_blas_thread():
        return _cfa(data, model, by, estimator, group_equal, std_lv, level)


def _cfa(data, model, group, estimator, group_equal, std_lv, level) -> "CFAResult":
    """:func:`cfa` without its BLAS-thread context (callers that fit many models hold one)."""
    check_option(estimator, "estimator", ESTIMATORS)
    equal = [check_option(e, "group_equal", EQUAL) for e in group_equal]
    if not 0 < level < 1:
        raise ParameterError(f"'level' must be in (0, 1); got {level!r}")
    spec = _parse_model(model)
    levels, ys = _prepare(data, spec, group)
    return _cfa_arrays(ys, levels, spec, estimator, equal, std_lv, level, group)


def _cfa_arrays(ys, levels, spec, estimator, equal, std_lv=False, level=0.95, group=None,
                prev=None):
    """The fit from complete answers (one array per group, columns in the model's item order);
    ``group`` is the name of the grouping (``None``: one group, no mean structure); ``prev`` a
    nested model of the same data, whose moments, baseline and estimates (as a start) are reused."""
    items = [i for v in spec.values() for i in v]
    ms = group is not None
    dat = prev._dat if prev is not None else _moments(ys, levels, items, group or "data")
    mod = _build(spec, len(levels), ms, std_lv, equal if ms else [])
    theta, f, converged, iters = _fit(mod, dat, prev=prev)
    if not converged:
        warnings.warn(f"cfa: the estimates did not converge in {iters} iterations (largest "
                      f"gradient element {np.max(np.abs(_objective(mod, dat, theta)[1])):.2g});"
                      " treat the fit as unreliable", ConvergenceWarning, stacklevel=4)
    return CFAResult(spec, mod, dat, levels, theta, f, estimator, group, list(equal),
                     std_lv, level, converged, iters, prev)


def _baseline(mod: _Model, dat: _Data, spec, h1: float | None):
    """Independence model (free variances, and free means with a mean structure; lavaan's
    baseline): chi-square, df and, for MLR, its trace(U Gamma)."""
    x2 = float(sum(n * (np.sum(np.log(np.diag(S))) - np.linalg.slogdet(S)[1])
                   for n, S in zip(dat.n, dat.S)))
    df = mod.n_groups * mod.p * (mod.p - 1) // 2
    trace = None
    if h1 is not None:
        base = _build(spec, mod.n_groups, mod.meanstructure, False, [], independence=True)
        th = np.zeros(base.npar)
        for par in base.pars:
            th[par.free] = (dat.S[par.group][par.row, par.row] if par.mat == "theta"
                            else dat.mean[par.group][par.row])
        trace = _robust(base, dat, th, h1)[1]
    return x2, df, trace


class CFAResult:
    """Result of :func:`cfa`: ``.tidy()``, ``.glance()``, ``.summary()``, ``.implied()``."""

    def __init__(self, spec, mod, dat, levels, theta, fmin2, estimator, group, equal, std_lv,
                 level, converged, iterations, prev=None):
        self.model, self._mod, self._dat = spec, mod, dat
        self.levels, self.theta, self.estimator, self.group = levels, theta, estimator, group
        self.group_equal, self.std_lv, self.level = equal, std_lv, level
        self.converged, self.iterations = converged, iterations
        self.n = int(dat.n.sum())
        g, p = mod.n_groups, mod.p
        self.chi2 = max(float(self.n * fmin2), 0.0)   # rounding can leave -1e-13
        self.df = int(g * (p * (p + 1) // 2 + (p if mod.meanstructure else 0)) - mod.npar)
        robust = estimator == "MLR"
        same = prev is not None and prev.estimator == estimator   # same data: reuse
        h1 = (prev._h1 if same else _h1_traces(mod, dat)) if robust else None
        self._h1 = h1
        if robust:
            nvcov, trace = _robust(mod, dat, theta, h1)
            self.vcov = nvcov / self.n
            self.scaling_factor = trace / self.df if self.df > 0 else float("nan")
        else:
            self.vcov = np.linalg.inv(_objective(mod, dat, theta, False, True)[2]) / self.n
            self.scaling_factor = None
        self.baseline_chi2, self.baseline_df, btrace = (
            prev._baseline if same else _baseline(mod, dat, spec, h1))
        self._baseline = self.baseline_chi2, self.baseline_df, btrace
        self.baseline_scaling_factor = (btrace / self.baseline_df if robust else None)
        self.srmr = _srmr(mod, dat, theta)
        self.loglik = _loglik(mod, dat, theta)
        self.loglik_unrestricted = prev.loglik_unrestricted if same else _loglik(mod, dat, None)

    def implied(self, g: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Model-implied covariance matrix and means of group ``g`` (0-based)."""
        return _implied(self._mod, self.theta, g)

    def tidy(self) -> pd.DataFrame:
        """One row per parameter (lavaan ``parameterEstimates(fit, standardized = TRUE)``):
        ``lhs``, ``op``, ``rhs``, ``block`` (the group's level, or "all"), ``free``, ``est``,
        ``se``, ``ci_low``, ``ci_high``, ``statistic`` (z), ``p_value``, ``std_lv``, ``std_all``.
        Fixed parameters have no SE."""
        mod = self._mod
        se = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        z = stats.norm.ppf(1 - (1 - self.level) / 2)
        rows = []
        for g in range(mod.n_groups):
            lam, phi, th, nu, al = _matrices(mod, self.theta, g)
            sig, _ = _implied(mod, self.theta, g)
            sd_ov = np.sqrt(np.diag(sig))
            sd_lv = np.sqrt(np.clip(np.diag(phi), 0, None))
            for par in (q for q in mod.pars if q.group == g):
                r, c = par.row, par.col
                est = self.theta[par.free] if par.free >= 0 else par.fixed
                if par.mat == "lambda":
                    slv = est * sd_lv[c]
                    sall = slv / sd_ov[r]
                elif par.mat == "phi":
                    slv = sall = est / (sd_lv[r] * sd_lv[c])
                elif par.mat == "theta":
                    slv, sall = est, est / sd_ov[r] ** 2
                elif par.mat == "nu":
                    slv, sall = est, est / sd_ov[r]
                else:
                    slv = sall = est / sd_lv[r]
                s = se[par.free] if par.free >= 0 else np.nan
                rows.append((par.lhs, par.op, par.rhs, str(self.levels[g]), par.free >= 0,
                             est, s, slv, sall))
        t = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "block", "free", "est", "se",
                                        "std_lv", "std_all"])
        t["ci_low"] = t["est"] - z * t["se"]
        t["ci_high"] = t["est"] + z * t["se"]
        t["statistic"] = t["est"] / t["se"]
        t["p_value"] = 2 * stats.norm.sf(np.abs(t["statistic"]))
        t["level"] = self.level
        return t[["lhs", "op", "rhs", "block", "free", "std_lv", "std_all", "est", "se",
                  "ci_low", "ci_high", "level", "statistic", "p_value"]]

    def fit_measures(self) -> dict:
        """Fit indices as a dict (names as the columns of :meth:`glance`)."""
        g, n, x2, df = self._mod.n_groups, self.n, self.chi2, self.df
        x2b, dfb = self.baseline_chi2, self.baseline_df
        lo, hi = _rmsea_ci(x2, df, n, g)
        out = {"estimator": self.estimator, "n_groups": g, "npar": self._mod.npar,
               "chi2": x2, "cfi": _cfi(x2, df, x2b, dfb), "tli": _tli(x2, df, x2b, dfb),
               "rmsea": _rmsea(x2, df, n, g), "rmsea_ci_low": lo, "rmsea_ci_high": hi,
               "rmsea_p_close": _rmsea_pclose(x2, df, n, g), "srmr": self.srmr,
               "baseline_chi2": x2b, "baseline_df": dfb, "loglik": self.loglik,
               "aic": -2 * self.loglik + 2 * self._mod.npar,
               "bic": -2 * self.loglik + self._mod.npar * np.log(n),
               "converged": self.converged}
        if self.scaling_factor is not None:
            c, cb = self.scaling_factor, self.baseline_scaling_factor
            x2s, x2bs = x2 / c, x2b / cb
            # lavaan: the interval of the scaled RMSEA refers the unscaled T to a chi-square
            # with df = trace(U Gamma) = c * df (lav_fit_rmsea_lavobject)
            slo, shi = _rmsea_ci(x2, c * df, n, g)
            out.update({"chi2_scaled": x2s, "scaling_factor": c,
                        "p_value_scaled": float(stats.chi2.sf(x2s, df)) if df > 0 else np.nan,
                        "baseline_chi2_scaled": x2bs, "cfi_scaled": _cfi(x2s, df, x2bs, dfb),
                        "tli_scaled": _tli(x2s, df, x2bs, dfb), "rmsea_scaled": _rmsea(
                            x2s, df, n, g), "rmsea_ci_low_scaled": slo,
                        "rmsea_ci_high_scaled": shi,
                        "rmsea_robust": _rmsea(x2s, df, n, g) * np.sqrt(c),
                        # Brosseau-Liard & Savalei (2014): T - c df in place of T - df
                        "cfi_robust": _cfi(x2, c * df, x2b, cb * dfb),
                        "tli_robust": (float(1 - (x2 / df - c) / (x2b / dfb - cb))
                                       if df > 0 else 1.0)})
            if df == 0:     # saturated: no test; the indices of a perfect fit, as ML's
                out.update({"chi2_scaled": 0.0, "scaling_factor": np.nan, "cfi_scaled": 1.0,
                            "tli_scaled": 1.0, "rmsea_scaled": 0.0, "rmsea_ci_low_scaled": 0.0,
                            "rmsea_ci_high_scaled": 0.0, "rmsea_robust": 0.0,
                            "cfi_robust": 1.0, "tli_robust": 1.0})
        out.update({"df": df, "n": n,
                    "p_value": float(stats.chi2.sf(x2, df)) if df > 0 else np.nan})
        return out

    def glance(self) -> pd.DataFrame:
        """One row: estimator, groups, parameters, chi2, CFI, TLI, RMSEA (90 % interval, test of
        close fit), SRMR, baseline, log-likelihood, AIC, BIC; MLR adds the scaled chi-square, its
        scaling factor and the scaled and robust indices; then ``df``, ``n``, ``p_value``."""
        return pd.DataFrame([self.fit_measures()])

    def summary(self):
        """Printable summary: the fit, then the parameter table (statsmodels style)."""
        fm = self.fit_measures()
        head = [("Model", "CFA, " + ", ".join(f"{f}: {len(v)} items"
                                               for f, v in self.model.items())),
                ("Estimator", self.estimator), ("No. observations", self.n),
                ("Groups", self._mod.n_groups), ("Parameters", self._mod.npar),
                ("Chi-square", fm["chi2"]), ("Df", fm["df"]), ("P-value", fm["p_value"]),
                ("CFI", fm["cfi"]), ("TLI", fm["tli"]), ("RMSEA", fm["rmsea"]),
                ("RMSEA 90% CI", f"{fm['rmsea_ci_low']:.4f}-{fm['rmsea_ci_high']:.4f}"),
                ("SRMR", fm["srmr"]),
                ("Std. errors", "sandwich (observed)" if self.estimator == "MLR"
                 else "expected information")]
        if self.estimator == "MLR":
            head += [("Scaled chi-square", fm["chi2_scaled"]),
                     ("Scaling factor", fm["scaling_factor"])]
        t = self.tidy()
        t.insert(0, "parameter", t["lhs"] + " " + t["op"] + " " + t["rhs"])
        cols = ["parameter", "est", "se", "statistic", "p_value", "std_all"]
        blocks = list(t.block.unique())
        tables = [(f"Group: {b}" if len(blocks) > 1 else None, t.loc[t.block == b, cols],
                   "parameter") for b in blocks]
        neg = t[(t.op == "~~") & (t.lhs == t.rhs) & (t.est < 0)]
        notes = (["Fit indices as lavaan's fitMeasures (likelihood = 'normal'; SRMR Bentler)."]
                 + ([] if self.converged else ["The estimates did not converge."])
                 + (["Negative variance (Heywood case): " + ", ".join(neg.parameter)]
                    if len(neg) else []))
        return summary_text("Confirmatory factor analysis", head, tables, notes)
