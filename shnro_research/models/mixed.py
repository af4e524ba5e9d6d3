r"""Random-intercept linear mixed models (two levels, or three nested levels) by REML / ML.

Model (three-level form; the two-level model drops the class term)

.. math::  y_{ijk} = x_{ijk}'\beta + u_j + v_{jk} + e_{ijk},\quad
           u_j\sim N(0,\tau_s),\ v_{jk}\sim N(0,\tau_c),\ e\sim N(0,\sigma^2)

with pupils *i* in classes *k* in schools *j*. As lme4 we profile out :math:`\beta` and
:math:`\sigma^2` and optimise the deviance over the relative standard deviations
:math:`\theta_s=\sqrt{\tau_s}/\sigma`, :math:`\theta_c=\sqrt{\tau_c}/\sigma`
(:math:`\gamma=\theta^2`). For one school the marginal covariance is
:math:`\sigma^2(D_j+\gamma_s 11')` with block-diagonal :math:`D_j=I+\gamma_c\,\mathrm{bdiag}(11')`,
whose inverse and determinant are closed-form by the Sherman--Morrison identity applied twice.
With class means :math:`\bar z_k` of :math:`z=(x, y)`, the within-class cross-product matrix
:math:`W`, :math:`a_k=n_k/(1+\gamma_c n_k)`, :math:`m_j=\sum_k a_k`,
:math:`\tilde z_j=\sum_k a_k\bar z_k/m_j`:

.. math::  \sigma^2\,Z'V^{-1}Z = W + \sum_k a_k(\bar z_k-\tilde z_j)(\bar z_k-\tilde z_j)'
           + \sum_j \frac{m_j}{1+\gamma_s m_j}\tilde z_j\tilde z_j',\qquad
           \log|V/\sigma^2| = \sum_k\log(1+\gamma_c n_k)+\sum_j\log(1+\gamma_s m_j).

``W`` and the class means are computed once (O(n)); each deviance evaluation costs
O(classes * p^2), independent of the number of pupils. The criteria are exactly lme4's:
ML :math:`d=\log|L|^2+n(1+\log(2\pi\,\mathrm{pwrss}/n))`, REML
:math:`d=\log|L|^2+\log|R_X|^2+(n-p)(1+\log(2\pi\,\mathrm{pwrss}/(n-p)))`, ``logLik = -d/2``.

References: Bates, Mächler, Bolker & Walker (2015) "Fitting linear mixed-effects models using
lme4", *J. Stat. Softw.* 67(1), sect. 3; Snijders & Bosker (2012) *Multilevel Analysis*, 2nd ed.,
ch. 4 and 7; Raudenbush & Bryk (2002) *Hierarchical Linear Models*, 2nd ed., ch. 4.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from .._checks import check_option, tidy
from .._summary import Summary, summary_text
from ..errors import ConvergenceWarning, DataError, ParameterError, SingularFitWarning
from .._checks import public
from ._results import (ALPHA_TO_LEVEL, INTERCEPT, ModelFrame, check_level, check_rank, coef_table,
                       model_frame, realign)

__all__ = ["random_intercept", "MixedResult", "icc_null_model", "variance_explained", "lr_test"]

OPTIMIZERS = ("brent", "lbfgsb", "nelder-mead", "powell")
SINGULAR_TOL = 1e-4          # lme4::isSingular default tolerance on theta
_RE_TERM = re.compile(r"\+?\s*\(\s*1\s*\|\s*([A-Za-z_.][\w.]*)(?:\s*/\s*([A-Za-z_.][\w.]*))?\s*\)")


# --------------------------------------------------------------------------------------------
# sufficient statistics and the profiled deviance
# --------------------------------------------------------------------------------------------
class _Suff:
    """Per-class / per-school sufficient statistics of (X, y)."""

    def __init__(self, y: np.ndarray, X: np.ndarray, school: np.ndarray,
                 klass: np.ndarray | None):
        n, p = X.shape
        self.n, self.p = n, p
        s_codes, s_uniq = pd.factorize(pd.Series(school), sort=True)
        self.school_levels = pd.Index(s_uniq)
        self.G = len(s_uniq)
        self.nested = klass is not None
        if self.nested:
            pair = pd.MultiIndex.from_arrays([s_codes, pd.Series(klass).to_numpy()])
            c_codes, c_uniq = pd.factorize(pair, sort=True)
            self.cell_school = np.asarray(c_uniq.get_level_values(0), dtype=np.int64)
            self.cell_levels = pd.Index([f"{self.school_levels[s]}:{k}" for s, k in
                                         zip(c_uniq.get_level_values(0), c_uniq.get_level_values(1))])
            self.C = len(c_uniq)
        else:
            c_codes = s_codes
            self.cell_school = np.arange(self.G)
            self.cell_levels = self.school_levels
            self.C = self.G
        self.cell = np.asarray(c_codes, dtype=np.int64)
        self.school = np.asarray(s_codes, dtype=np.int64)
        # with an intercept, centre y and the other columns of X by their grand means
        # (better conditioning, e.g. a predictor 'year' = 2024); only the intercept changes and
        # it is transformed back exactly (unit-triangular map: the REML criterion is invariant)
        self.int_col = next((j for j in range(p) if np.all(X[:, j] == 1.0)), None)
        if self.int_col is not None:
            self.y_shift = float(np.mean(y))
            self.x_shift = X.mean(axis=0)
            self.x_shift[self.int_col] = 0.0
        else:
            self.y_shift, self.x_shift = 0.0, np.zeros(p)
        Z = np.column_stack([X - self.x_shift, y - self.y_shift])
        self.n_c = np.bincount(self.cell, minlength=self.C).astype(float)
        sums = np.column_stack([np.bincount(self.cell, weights=Z[:, j], minlength=self.C)
                                for j in range(p + 1)])
        self.zbar = sums / self.n_c[:, None]
        Zd = Z - self.zbar[self.cell]
        self.W = Zd.T @ Zd
        self.n_s = np.bincount(self.school, minlength=self.G).astype(float)

    # ---- cross products for given variance ratios
    def cross(self, g_s: float, g_c: float = 0.0):
        if not self.nested:
            f = self.n_c / (1.0 + g_s * self.n_c)
            M = self.W + (self.zbar * f[:, None]).T @ self.zbar
            logdet = float(np.sum(np.log1p(g_s * self.n_c)))
            return M, logdet
        a = self.n_c / (1.0 + g_c * self.n_c)
        m = np.bincount(self.cell_school, weights=a, minlength=self.G)
        t = np.column_stack([np.bincount(self.cell_school, weights=a * self.zbar[:, j],
                                         minlength=self.G) for j in range(self.p + 1)]) / m[:, None]
        dev = self.zbar - t[self.cell_school]
        f = m / (1.0 + g_s * m)
        M = self.W + (dev * a[:, None]).T @ dev + (t * f[:, None]).T @ t
        logdet = float(np.sum(np.log1p(g_c * self.n_c)) + np.sum(np.log1p(g_s * m)))
        return M, logdet

    def solve(self, theta):
        g_s = float(theta[0]) ** 2
        g_c = float(theta[1]) ** 2 if self.nested else 0.0
        M, logdet = self.cross(g_s, g_c)
        p = self.p
        A, b, yy = M[:p, :p], M[:p, p], M[p, p]
        cf = linalg.cho_factor(A, lower=False, check_finite=False)
        beta = linalg.cho_solve(cf, b, check_finite=False)
        pwrss = float(yy - b @ beta)
        logdet_rx = 2.0 * float(np.sum(np.log(np.abs(np.diag(cf[0])))))
        return beta, pwrss, logdet, logdet_rx, cf

    def deviance(self, theta, reml: bool) -> float:
        theta = np.abs(np.atleast_1d(np.asarray(theta, float)))
        try:
            _, pwrss, logdet, logdet_rx, _ = self.solve(theta)
        except (np.linalg.LinAlgError, linalg.LinAlgError, ValueError):
            return np.inf
        if not np.isfinite(pwrss) or pwrss <= 0:
            return np.inf
        n, p = self.n, self.p
        if reml:
            return logdet + logdet_rx + (n - p) * (1 + np.log(2 * np.pi * pwrss / (n - p)))
        return logdet + n * (1 + np.log(2 * np.pi * pwrss / n))

    def start(self) -> np.ndarray:
        """Moment (ANOVA) start for theta from the outcome's between / within variance."""
        ybar = self.zbar[:, -1]
        w_var = self.W[-1, -1] / max(self.n - self.C, 1)
        b_var = np.var(ybar) - w_var * np.mean(1 / self.n_c)
        th = np.sqrt(max(b_var, 0.01 * w_var) / w_var) if w_var > 0 else 1.0
        th = float(np.clip(th, 0.05, 5.0))
        return np.array([th, th]) if self.nested else np.array([th])


# --------------------------------------------------------------------------------------------
# result object
# --------------------------------------------------------------------------------------------
@dataclass
class MixedResult:
    """Result of :func:`random_intercept`.

    Attributes
    ----------
    params : pandas.Series
        Fixed effects (``"(Intercept)"`` as in R).
    cov_params : pandas.DataFrame
        :math:`\\hat\\sigma^2 (X'\\hat V^{-1}X)^{-1}` evaluated at the estimate (lme4 ``vcov``).
    var_school, var_class, var_resid : float
        Variance components (school, class -- ``nan`` for two-level models --, residual).
    school, subgroup : str
        Columns of the school (level 2) and class (level 3, or ``None``) ids.
    theta : numpy.ndarray
        Relative SDs ``sqrt(var)/sigma`` (school, class) -- lme4 ``getME(m, "theta")``.
    loglik : float
        REML or ML log-likelihood exactly as lme4 ``logLik`` (``-deviance/2``).
    singular : bool
        Some theta < 1e-4 (lme4 ``isSingular``): a variance component is (nearly) zero.
    optim : pandas.DataFrame
        Every optimiser tried: deviance, theta, converged, evaluations, chosen.
    residuals, fitted : pandas.Series
        Conditional (``y - X b - Z u``) residuals / fitted values as lme4 ``resid``/``fitted``,
        aligned to the input index (``NaN`` for rows dropped listwise).
    """

    params: pd.Series
    cov_params: pd.DataFrame
    var_school: float
    var_class: float
    var_resid: float
    theta: np.ndarray
    loglik: float
    deviance: float
    reml: bool
    nobs: int
    n_dropped: int
    n_groups: int
    n_subgroups: int | None
    school: str
    subgroup: str | None
    y_name: str
    singular: bool
    converged: bool
    optimizer: str
    optim: pd.DataFrame
    ranef_school: pd.DataFrame
    ranef_class: pd.DataFrame | None
    residuals: pd.Series
    fitted: pd.Series
    level: float
    _suff: _Suff = field(repr=False, default=None)
    _mf: ModelFrame = field(repr=False, default=None)
    formula: str | None = None

    # -- tables --------------------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.cov_params.to_numpy())), index=self.params.index)

    @property
    def n_par(self) -> int:
        """Number of parameters counted by lme4 for AIC: fixed + theta + sigma."""
        return len(self.params) + len(self.theta) + 1

    @property
    def aic(self) -> float:
        """``deviance + 2 * n_par`` (lme4 ``AIC``; uses the REML criterion for REML fits)."""
        return self.deviance + 2 * self.n_par

    @property
    def bic(self) -> float:
        return self.deviance + np.log(self.nobs) * self.n_par

    @property
    def sigma(self) -> float:
        return float(np.sqrt(self.var_resid))

    @property
    def icc(self) -> float:
        """Share of the (remaining) variance between schools: ``tau_s / (tau_s + tau_c + sigma2)``.

        The ICC in the usual sense is this value for the *null* model (:func:`icc_null_model`).
        """
        tot = self.var_school + (0.0 if np.isnan(self.var_class) else self.var_class) \
            + self.var_resid
        return self.var_school / tot

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Fixed effects ``[term, est, se, ci_low, ci_high, df, statistic, p_value]``.

        Wald z statistics, normal p-values and intervals (``df = inf``) at ``level`` (default:
        the fit's); lme4 prints the same t value without p-values, lmerTest would use
        Satterthwaite df (not implemented).
        """
        lv = self.level if level is None else check_level(level)
        return coef_table(self.params.index, self.params.to_numpy(), self.bse.to_numpy(),
                          np.inf, lv)

    def variance_components(self) -> pd.DataFrame:
        """Variance components ``[component, factor, est (variance), sd, share]``.

        ``factor`` is the grouping factor as lme4 names it (``school``, ``class:school``,
        ``Residual``); ``share`` = component / total variance (school share = conditional ICC).
        As lme4 ``as.data.frame(VarCorr(m))`` (``grp`` -> ``factor``, ``vcov`` -> ``est``,
        ``sdcor`` -> ``sd``).
        """
        rows = [("school", self.school, self.var_school)]
        if self.subgroup is not None:
            rows.append(("class", f"{self.subgroup}:{self.school}", self.var_class))
        rows.append(("residual", "Residual", self.var_resid))
        df = pd.DataFrame(rows, columns=["component", "factor", "est"])
        df["sd"] = np.sqrt(df["est"])
        df["share"] = df["est"] / df["est"].sum()
        return df

    def glance(self) -> pd.DataFrame:
        """One row: n, groups, subgroups, estimator, loglik, deviance, aic, bic, sigma, variances,
        icc, singular, converged, optimiser."""
        return tidy(pd.DataFrame([{
            "outcome": self.y_name, "n": self.nobs, "n_dropped": self.n_dropped,
            "groups": self.n_groups, "subgroups": self.n_subgroups,
            "method": "REML" if self.reml else "ML", "loglik": self.loglik,
            "deviance": self.deviance, "aic": self.aic, "bic": self.bic, "sigma": self.sigma,
            "var_school": self.var_school, "var_class": self.var_class,
            "var_resid": self.var_resid, "icc": self.icc, "singular": self.singular,
            "converged": self.converged, "optimizer": self.optimizer,
            "optimizers_agree": self.optimizers_agree,
        }]))

    def summary(self, level: float | None = None) -> Summary:
        """Printable summary: model, data and fit, the fixed effects, then the variance components."""
        lv = self.level if level is None else check_level(level)
        method = "REML" if self.reml else "ML"
        header = [("Model", "linear mixed model"), ("Outcome", self.y_name),
                  ("Formula", self.formula), ("Estimator", method),
                  ("No. observations", self.nobs), ("Rows dropped", self.n_dropped),
                  (f"Groups ({self.school})", self.n_groups),
                  (f"Subgroups ({self.subgroup})" if self.subgroup else "Subgroups",
                   self.n_subgroups),
                  ("Log-likelihood", self.loglik), ("Deviance", self.deviance),
                  ("AIC", self.aic), ("BIC", self.bic), ("Residual SD", self.sigma),
                  ("ICC (school)", self.icc), ("SE type", "model-based (Wald z)"),
                  ("Converged", self.converged), ("Singular fit", self.singular),
                  ("Optimizer", self.optimizer)]
        return summary_text(f"Random-intercept model ({method}) results", header,
                            [(None, self.tidy(lv), "term"),
                             ("Variance components", self.variance_components(), None)],
                            [f"confidence intervals at level {lv:g}; Wald z tests (df = Inf)"])

    @property
    def optimizers_agree(self) -> bool:
        """All converged optimisers reached the chosen deviance (within 1e-6), as lme4 allFit."""
        o = self.optim[(self.optim["optimizer"] != "boundary") & self.optim["converged"]]
        return bool(np.all(np.abs(o["deviance"].astype(float) - self.deviance) < 1e-6))

    def ranef(self, unit: str = "school", level: float | None = None) -> pd.DataFrame:
        """Conditional modes (EB effects) ``[<school column>, est, se, ci_low, ci_high, n]``.

        ``unit`` = ``"school"`` or ``"class"`` (three-level models). ``se`` = sqrt of the
        conditional variance given the estimated parameters (lme4 ``ranef(m, condVar = TRUE)``,
        which ignores the uncertainty of the fixed effects); intervals are ``est +/- z * se`` at
        ``level``. Class labels are ``"school:class"`` (lme4 prints ``class:school``).
        """
        check_option(unit, "unit", ("school", "class") if self.subgroup else ("school",))
        lv = self.level if level is None else check_level(level)
        tab = (self.ranef_school if unit == "school" else self.ranef_class).copy()
        z = stats.norm.ppf(1 - (1 - lv) / 2)
        tab["ci_low"] = tab["est"] - z * tab["se"]
        tab["ci_high"] = tab["est"] + z * tab["se"]
        return tidy(tab[[tab.columns[0], "est", "se", "ci_low", "ci_high", "n"]])

    def refit(self, reml: bool) -> "MixedResult":
        """Same model and rows, other criterion (e.g. ML for a likelihood-ratio test)."""
        res = _fit(self._suff, self._mf, reml=reml, optimizers=None, level=self.level,
                   school=self.school, subgroup=self.subgroup)
        res.formula = self.formula
        return res

    def null_model(self) -> "MixedResult":
        """Empty model ``y ~ 1`` with the same random part on the *same rows*."""
        mf = self._mf
        X0 = np.ones((mf.X.shape[0], 1))
        mf0 = ModelFrame(y=mf.y, X=X0, terms=[INTERCEPT], y_name=mf.y_name, index=mf.index,
                         full_index=mf.full_index, rows=mf.rows, extra=mf.extra,
                         n_dropped=mf.n_dropped)
        suff = _Suff(mf.y, X0, mf.extra["school"], mf.extra.get("subgroup"))
        res = _fit(suff, mf0, reml=self.reml, optimizers=None, level=self.level,
                   school=self.school, subgroup=self.subgroup)
        res.formula = f"{mf.y_name} ~ 1"
        return res

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return str(self.summary())

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()._repr_html_()


# --------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------
def _run_optimizers(suff: _Suff, reml: bool, optimizers) -> tuple[np.ndarray, pd.DataFrame]:
    k = 2 if suff.nested else 1
    if optimizers is None:
        optimizers = ("brent", "nelder-mead") if k == 1 else ("lbfgsb", "nelder-mead")
    optimizers = [optimizers] if isinstance(optimizers, str) else list(optimizers)
    if not optimizers:
        raise ParameterError(f"'optimizers' must name at least one of {list(OPTIMIZERS)}; "
                             f"got {optimizers!r}")
    for o in optimizers:
        check_option(o, "optimizers", OPTIMIZERS)
        if o == "brent" and k != 1:
            raise ParameterError("optimizer 'brent' is one-dimensional; a nested (three-level) "
                                 "model needs 'lbfgsb', 'nelder-mead' or 'powell'")
    x0 = suff.start()

    def f(th):
        return suff.deviance(th, reml)

    rows = []
    for o in optimizers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                if o == "brent":
                    upper = max(100.0, 50 * float(x0[0]))
                    r = optimize.minimize_scalar(lambda t: f([t]), bounds=(0.0, upper),
                                                 method="bounded",
                                                 options={"xatol": 1e-11, "maxiter": 1000})
                    th, ok, nfev, msg = np.array([r.x]), bool(r.success), r.nfev, str(r.message)
                    if th[0] > 0.99 * upper:
                        ok, msg = False, f"theta at the upper search bound {upper}"
                elif o == "nelder-mead":
                    r = optimize.minimize(f, x0, method="Nelder-Mead", bounds=[(0, None)] * k,
                                          options={"xatol": 1e-10, "fatol": 1e-12,
                                                   "maxiter": 4000 * k, "maxfev": 8000 * k})
                    th, ok, nfev, msg = np.abs(r.x), bool(r.success), r.nfev, str(r.message)
                elif o == "lbfgsb":
                    r = optimize.minimize(f, x0, method="L-BFGS-B", bounds=[(0, None)] * k,
                                          options={"ftol": 1e-15, "gtol": 1e-10,
                                                   "maxiter": 2000})
                    th, ok, nfev, msg = np.abs(r.x), bool(r.success), r.nfev, str(r.message)
                else:
                    r = optimize.minimize(f, x0, method="Powell", bounds=[(0, None)] * k,
                                          options={"xtol": 1e-10, "ftol": 1e-14,
                                                   "maxiter": 10000})
                    th, ok, nfev, msg = np.abs(r.x), bool(r.success), r.nfev, str(r.message)
                dev = f(th)
            except Exception as exc:  # an optimiser failing must not stop the others
                th, ok, nfev, msg, dev = np.full(k, np.nan), False, 0, repr(exc), np.inf
        rows.append({"optimizer": o, "deviance": dev, "theta": th, "converged": ok and
                     np.isfinite(dev), "nfev": nfev, "message": msg})
    # boundary candidates: each theta at 0 (lme4 explores the boundary the same way)
    bnd = []
    if k == 1:
        bnd.append(np.zeros(1))
    else:
        for i in range(2):
            j = 1 - i

            def g(t, i=i, j=j):
                th = np.zeros(2)
                th[j] = t
                return f(th)
            r = optimize.minimize_scalar(g, bounds=(0.0, max(100.0, 50 * float(x0[j]))),
                                         method="bounded", options={"xatol": 1e-11})
            th = np.zeros(2)
            th[j] = r.x
            bnd.append(th)
    for th in bnd:
        rows.append({"optimizer": "boundary", "deviance": f(th), "theta": th,
                     "converged": True, "nfev": np.nan, "message": "variance component(s) = 0"})
    tab = pd.DataFrame(rows)
    conv = tab[tab["converged"]]
    if conv.empty:
        conv = tab
    best = int(conv["deviance"].astype(float).idxmin())
    # prefer an interior optimiser result when the boundary is not better by a real margin
    inner = tab[(tab["optimizer"] != "boundary") & tab["converged"]]
    if tab.loc[best, "optimizer"] == "boundary" and not inner.empty:
        ib = int(inner["deviance"].astype(float).idxmin())
        if tab.loc[ib, "deviance"] <= tab.loc[best, "deviance"] + 1e-10:
            best = ib
    tab["chosen"] = False
    tab.loc[best, "chosen"] = True
    theta = np.asarray(tab.loc[best, "theta"], float)
    tab["theta"] = tab["theta"].map(lambda t: np.round(np.asarray(t, float), 10).tolist())
    return theta, tab


def _fit(suff: _Suff, mf: ModelFrame, *, reml: bool, optimizers, level: float, school: str,
         subgroup: str | None) -> MixedResult:
    theta, tab = _run_optimizers(suff, reml, optimizers)
    dev = suff.deviance(theta, reml)
    beta, pwrss, _, _, cf = suff.solve(theta)
    n, p = suff.n, suff.p
    s2 = pwrss / ((n - p) if reml else n)
    g_s = theta[0] ** 2
    g_c = theta[1] ** 2 if suff.nested else 0.0
    Ainv = linalg.cho_solve(cf, np.eye(p), check_finite=False)
    S = np.eye(p)                            # beta = S beta_c (+ y shift) undoes the centring
    if suff.int_col is not None:
        S[suff.int_col] -= suff.x_shift
    beta_out = S @ beta
    V = s2 * (S @ Ainv @ S.T)
    if suff.int_col is not None:
        beta_out[suff.int_col] += suff.y_shift
    # conditional modes and conditional variances (lme4 ranef(condVar = TRUE))
    rbar = suff.zbar[:, -1] - suff.zbar[:, :p] @ beta          # cell mean residual (centred y)
    if suff.nested:
        a = suff.n_c / (1 + g_c * suff.n_c)
        m = np.bincount(suff.cell_school, weights=a, minlength=suff.G)
        t = np.bincount(suff.cell_school, weights=a * rbar, minlength=suff.G)
        b_s = g_s * t / (1 + g_s * m)
        cv_s = s2 * g_s / (1 + g_s * m)
        b_c = g_c * a * (rbar - b_s[suff.cell_school])
        cv_c = s2 * (g_c - g_c**2 * (a - g_s * a**2 / (1 + g_s * m[suff.cell_school])))
        cv_c = np.maximum(cv_c, 0.0)
        ran_c = pd.DataFrame({subgroup: suff.cell_levels, "est": b_c, "se": np.sqrt(cv_c),
                              "n": suff.n_c.astype(int)})
    else:
        b_s = g_s * suff.n_c * rbar / (1 + g_s * suff.n_c)
        cv_s = s2 * g_s / (1 + g_s * suff.n_c)
        b_c = None
        ran_c = None
    ran_s = pd.DataFrame({school: suff.school_levels, "est": b_s, "se": np.sqrt(cv_s),
                          "n": suff.n_s.astype(int)})
    fitted = mf.X @ beta_out + b_s[suff.school]
    if b_c is not None:
        fitted = fitted + b_c[suff.cell]
    resid = mf.y - fitted
    terms = mf.terms
    singular = bool(np.any(theta < SINGULAR_TOL))
    chosen = tab[tab["chosen"]].iloc[0]
    converged = bool(tab.loc[tab["optimizer"] != "boundary", "converged"].any())
    return MixedResult(
        params=pd.Series(beta_out, index=terms, name="est"),
        cov_params=pd.DataFrame(V, index=terms, columns=terms),
        var_school=float(s2 * g_s), var_class=float(s2 * g_c) if suff.nested else np.nan,
        var_resid=float(s2), theta=theta, loglik=float(-dev / 2), deviance=float(dev),
        reml=reml, nobs=n, n_dropped=mf.n_dropped, n_groups=suff.G,
        n_subgroups=suff.C if suff.nested else None, school=school, subgroup=subgroup,
        y_name=mf.y_name, singular=singular, converged=converged,
        optimizer=str(chosen["optimizer"]), optim=tab, ranef_school=ran_s,
        ranef_class=ran_c, residuals=realign(resid, mf, "residual"),
        fitted=realign(fitted, mf, "fitted"), level=level, _suff=suff, _mf=mf,
    )


def _parse_random(formula: str | None, school, subgroup):
    if formula is None:
        return formula, school, subgroup
    if not isinstance(formula, str):
        raise ParameterError(f"'formula' must be a string like 'y ~ x + (1 | school)'; "
                             f"got {formula!r}")
    terms = _RE_TERM.findall(formula)
    if not terms:
        if "|" in formula:
            raise ParameterError(f"formula {formula!r}: random slopes / other random terms are "
                                 "not supported; only '(1 | school)' or '(1 | school/class)'")
        return formula, school, subgroup
    if len(terms) > 1:
        raise ParameterError(f"formula {formula!r}: only one random-intercept term "
                             "'(1 | school)' or '(1 | school/class)' is supported")
    g, sg = terms[0][0], terms[0][1] or None
    if (school is not None and school != g) or (subgroup is not None and subgroup != sg):
        raise ParameterError(f"formula {formula!r} names {g!r}/{sg!r} but school={school!r}, "
                             f"subgroup={subgroup!r} were given")
    fixed = _RE_TERM.sub("", formula).strip()
    if fixed.endswith("~"):
        fixed += " 1"
    if "|" in fixed:
        raise ParameterError(f"formula {formula!r}: random slopes / other random terms are not "
                             "supported; only '(1 | school)' or '(1 | school/class)'")
    return fixed, g, sg


@public(renamed={"group": "school", "alpha": ALPHA_TO_LEVEL})
def random_intercept(data: pd.DataFrame, formula: str | None = None, *, y: str | None = None,
                     x=None, school: str | None = None, subgroup: str | None = None,
                     reml: bool = True, optimizers=None, level: float = 0.95) -> MixedResult:
    r"""Random-intercept linear mixed model: pupils in schools (or in classes in schools).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per pupil (or per respondent).
    formula : str, optional
        Fixed part ``"y ~ x1 + x2"``; an lme4-style random term ``(1 | school)`` or
        ``(1 | school/class)`` may be included instead of ``school`` / ``subgroup``.
        Alternatively give ``y`` and ``x`` column names (numeric; intercept added; ``x=[]``
        gives the empty model).
    school : str
        School (level-2) identifier column.
    subgroup : str, optional
        Class identifier column, nested in ``school`` (a three-level model; class labels may
        repeat across schools -- the pair school:class identifies a class, as lme4
        ``(1 | school/class)``).
    reml : bool
        REML (default, as lme4) or ML (``reml=False``; use ML to compare fixed parts by LR test).
    optimizers : sequence of {"brent", "lbfgsb", "nelder-mead", "powell"}, optional
        All are run (an lme4 ``allFit`` analogue) and the lowest deviance wins; the boundary
        (variance = 0) is always evaluated as well. Default ``("brent", "nelder-mead")`` for two
        levels, ``("lbfgsb", "nelder-mead")`` for three. See ``result.optim``.
    level : float
        Confidence level of fixed-effect and EB intervals (0.95).

    Returns
    -------
    MixedResult
        ``.tidy()`` fixed effects; ``.variance_components()``; ``.glance()``; ``.summary()``
        (printable: fixed effects and variance components); ``.loglik``, ``.aic``, ``.bic``;
        ``.icc``; ``.ranef()`` EB school effects with conditional SE; ``.singular``; ``.optim``.

    Warns
    -----
    SingularFitWarning
        A variance component is estimated at (or near) zero (lme4 ``isSingular``).
    ConvergenceWarning
        No optimiser reported convergence.

    Notes
    -----
    Missing data: listwise over outcome, predictors, ``school`` and ``subgroup``.
    Fixed-effect SEs are :math:`\sqrt{\mathrm{diag}(\hat\sigma^2 (X'\hat V^{-1}X)^{-1})}` at the
    estimate (lme4 ``vcov``); tests are Wald z tests. Sampling weights are not supported (as in
    lme4; use a design-based model of the design stage, or cluster-robust :func:`ols`).
    Cost: one O(n p^2) pass, then O(classes p^2) per deviance evaluation.

    Examples
    --------
    >>> m = random_intercept(exam, "normexam ~ standLRT + schavg", school="school")
    >>> m.tidy(); m.variance_components(); m.loglik        # doctest: +SKIP
    >>> # In R: m <- lme4::lmer(normexam ~ standLRT + schavg + (1 | school), Exam)
    >>> #       fixef(m); sqrt(diag(vcov(m))); VarCorr(m); logLik(m); ranef(m, condVar = TRUE)
    """
    if not isinstance(reml, bool):
        raise ParameterError(f"'reml' must be True or False; got {reml!r}")
    level = check_level(level)
    raw_formula = formula
    formula, school, subgroup = _parse_random(formula, school, subgroup)
    if school is None:
        raise ParameterError("'school' (the school id column) is required, or put "
                             "'(1 | school)' in the formula; got None")
    if subgroup is not None and subgroup == school:
        raise ParameterError(f"'subgroup' must differ from 'school'; both are {school!r}")
    mf = model_frame(data, formula, y=y, x=x, extra={"school": school, "subgroup": subgroup},
                     where="random_intercept data")
    check_rank(mf.X, mf.terms)
    if mf.X.shape[1] == 0:
        raise ParameterError("the model has no fixed effects; add an intercept")
    suff = _Suff(mf.y, mf.X, mf.extra["school"], mf.extra.get("subgroup"))
    if suff.G < 2:
        raise DataError(f"column {school!r}: {suff.G} school(s) after listwise deletion; need >= 2")
    if suff.G >= suff.n or (suff.nested and suff.C >= suff.n):
        raise DataError(f"every {subgroup or school!r} has a single row: the random intercept is "
                        "not identifiable from the residual (lme4 refuses this too)")
    if suff.nested and suff.C == suff.G:
        raise DataError(f"column {subgroup!r}: one class per school; the class and school "
                        "variances cannot be separated -- drop 'subgroup'")
    if suff.n - suff.p <= 0:
        raise DataError(f"{suff.n} complete rows for {suff.p} fixed effects")
    res = _fit(suff, mf, reml=reml, optimizers=optimizers, level=level, school=school,
               subgroup=subgroup)
    if raw_formula is not None and "|" in raw_formula:
        res.formula = raw_formula
    else:
        fixed = formula if formula is not None else \
            f"{mf.y_name} ~ {' + '.join(t for t in mf.terms if t != INTERCEPT) or '1'}"
        res.formula = f"{fixed} + (1 | {school}{'/' + subgroup if subgroup else ''})"
    if res.singular:
        warnings.warn(f"random_intercept: boundary (singular) fit: a variance component is ~0 "
                      f"(theta = {np.round(res.theta, 6).tolist()}); the random intercept is "
                      "not supported by the data (lme4 isSingular)", SingularFitWarning,
                      stacklevel=3)
    if not res.converged:
        warnings.warn("random_intercept: no optimiser reported convergence; see result.optim",
                      ConvergenceWarning, stacklevel=3)
    return res


# --------------------------------------------------------------------------------------------
# ICC, variance explained, LR test
# --------------------------------------------------------------------------------------------
@public(renamed={"group": "school"})
def icc_null_model(data: pd.DataFrame, y: str, school: str, subgroup: str | None = None, *,
                   reml: bool = True) -> pd.DataFrame:
    r"""Intraclass correlation(s) from the empty random-intercept model ``y ~ 1 + (1 | school)``.

    :math:`\mathrm{ICC}=\tau_s/(\tau_s+\sigma^2)`; with classes
    :math:`\tau_s/(\tau_s+\tau_c+\sigma^2)` (school) and :math:`\tau_c/(\cdot)` (class) and
    :math:`(\tau_s+\tau_c)/(\cdot)` (two pupils of the same class).

    Returns
    -------
    pandas.DataFrame
        ``[component, variance, est]`` where ``est`` is the share of the total variance; plus
        a row ``same_class`` for three-level models. ``n`` = rows used.

    Examples
    --------
    >>> icc_null_model(exam, "normexam", "school")            # doctest: +SKIP
    >>> # In R: m0 <- lmer(normexam ~ 1 + (1 | school), Exam)
    >>> #       vc <- as.data.frame(VarCorr(m0)); vc$vcov[1] / sum(vc$vcov)
    """
    m = random_intercept(data, y=y, x=[], school=school, subgroup=subgroup, reml=reml)
    vc = m.variance_components()
    out = pd.DataFrame({"component": vc["component"], "variance": vc["est"], "est": vc["share"]})
    if subgroup is not None:
        out = pd.concat([out, pd.DataFrame([{
            "component": "same_class", "variance": m.var_school + m.var_class,
            "est": (m.var_school + m.var_class) / vc["est"].sum()}])], ignore_index=True)
    out["n"] = m.nobs
    return tidy(out)


@public
def variance_explained(model: MixedResult, null: MixedResult | None = None, *,
                       n_typical: float | None = None) -> pd.DataFrame:
    r"""Proportion of variance explained at each level, relative to the empty model.

    * Raudenbush--Bryk proportional reduction: :math:`(\tau_0-\tau_1)/\tau_0` per level
      (can be negative, e.g. when a pupil-level predictor is added);
    * Snijders--Bosker: level 1 :math:`R^2_1 = 1-(\sigma^2_1+\tau_1)/(\sigma^2_0+\tau_0)`;
      level 2 :math:`R^2_2 = 1-(\sigma^2_1/\tilde n+\tau_1)/(\sigma^2_0/\tilde n+\tau_0)` with
      :math:`\tilde n` = harmonic mean of school sizes (or ``n_typical``). With classes,
      :math:`\tau` is the sum of school and class variances in :math:`R^2_1`, and the school
      mean variance in :math:`R^2_2` is :math:`\tau_s+\tau_c/\tilde K+\sigma^2/\tilde n`
      (:math:`\tilde K` = harmonic mean number of classes per school).

    ``null`` defaults to the empty model refitted on the same rows with the same criterion.

    Returns
    -------
    pandas.DataFrame
        ``[method, component, est]`` (``component`` = ``pupil``, ``school``, ``class``).

    Examples
    --------
    >>> variance_explained(random_intercept(exam, "normexam ~ standLRT", school="school"))
    >>> # In R (by hand): 1 - VarCorr components of m1 / those of m0   # doctest: +SKIP
    """
    if not isinstance(model, MixedResult):
        raise ParameterError(f"'model' must be a MixedResult; got {type(model).__name__}")
    if null is None:
        null = model.null_model()
    elif not isinstance(null, MixedResult):
        raise ParameterError(f"'null' must be a MixedResult; got {type(null).__name__}")
    if null.nobs != model.nobs:
        raise ParameterError(f"'null' uses {null.nobs} rows but 'model' {model.nobs}: fit both "
                             "on the same rows (leave null=None)")
    if n_typical is None:
        n_typical = float(stats.hmean(model._suff.n_s)) if model._suff is not None else np.nan
    nested = model.subgroup is not None
    vc0 = null.var_class if nested else 0.0
    vc1 = model.var_class if nested else 0.0
    rows = [("raudenbush_bryk", "pupil", 1 - model.var_resid / null.var_resid),
            ("raudenbush_bryk", "school", 1 - model.var_school / null.var_school
             if null.var_school > 0 else np.nan)]
    if nested:
        rows.append(("raudenbush_bryk", "class", 1 - vc1 / vc0 if vc0 > 0 else np.nan))
    tot0 = null.var_resid + null.var_school + vc0
    tot1 = model.var_resid + model.var_school + vc1
    rows.append(("snijders_bosker", "pupil", 1 - tot1 / tot0))
    k_cls = _classes_per_school(model)      # 1 for two-level models (vc0 = vc1 = 0)
    school_mean_var1 = model.var_resid / n_typical + vc1 / k_cls + model.var_school
    school_mean_var0 = null.var_resid / n_typical + vc0 / k_cls + null.var_school
    rows.append(("snijders_bosker", "school", 1 - school_mean_var1 / school_mean_var0))
    out = pd.DataFrame(rows, columns=["method", "component", "est"])
    return out


def _classes_per_school(model: MixedResult) -> float:
    s = model._suff
    if s is None or not s.nested:
        return 1.0
    return float(stats.hmean(np.bincount(s.cell_school, minlength=s.G)))


@public
def lr_test(restricted: MixedResult, full: MixedResult) -> pd.DataFrame:
    r"""Likelihood-ratio test of nested mixed models: :math:`\chi^2 = 2(\ell_1-\ell_0)`.

    Models with different fixed parts must be ML fits (``reml=False`` or ``.refit(False)``);
    REML fits are only comparable when the fixed parts are identical (then the test is about
    the random part and the p-value is conservative at the boundary: halve it for one variance,
    Self & Liang 1987). Both models must use the same rows.

    Returns
    -------
    pandas.DataFrame
        One row ``[df, statistic, p_value]`` plus ``loglik0``, ``loglik1``.

    Examples
    --------
    >>> lr_test(m0.refit(reml=False), m1.refit(reml=False))   # doctest: +SKIP
    >>> # In R: anova(m0, m1)   (refits with ML)
    """
    for nm, m in (("restricted", restricted), ("full", full)):
        if not isinstance(m, MixedResult):
            raise ParameterError(f"{nm!r} must be a MixedResult; got {type(m).__name__}")
    if restricted.nobs != full.nobs:
        raise DataError(f"models use different rows ({restricted.nobs} vs {full.nobs})")
    if restricted.reml != full.reml:
        raise ParameterError("both models must use the same criterion (REML or ML)")
    if full.reml and list(restricted.params.index) != list(full.params.index):
        raise ParameterError("REML likelihoods of models with different fixed effects are not "
                             "comparable; refit with reml=False (m.refit(False))")
    df = full.n_par - restricted.n_par
    if df <= 0:
        raise ParameterError(f"'full' must have more parameters than 'restricted'; df = {df}")
    stat = 2 * (full.loglik - restricted.loglik)
    return tidy(pd.DataFrame([{"loglik0": restricted.loglik, "loglik1": full.loglik, "df": df,
                               "statistic": stat, "p_value": stats.chi2.sf(max(stat, 0), df)}]))
