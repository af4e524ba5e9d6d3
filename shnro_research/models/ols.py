"""Ordinary / weighted least squares with classical, HC and cluster-robust covariances."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from .._checks import check_option, tidy
from ..errors import DataError, ParameterError
from .._summary import Summary, summary_text
from .._checks import public
from ._results import (ALPHA_TO_LEVEL, ModelFrame, check_level, check_rank, coef_table,
                       model_frame, realign)

__all__ = ["ols", "OLSResult"]

COV_TYPES = ("classical", "HC0", "HC1", "HC2", "HC3", "cluster", "CR1", "CR2")


@dataclass
class OLSResult:
    """Result of :func:`ols`.

    Attributes
    ----------
    params : pandas.Series
        Coefficients indexed by term (``"(Intercept)"`` for the constant, as in R).
    cov_params : pandas.DataFrame
        Covariance matrix of the coefficients of the requested type.
    residuals, fitted : pandas.Series
        Aligned to the index of the input data; ``NaN`` for the rows dropped listwise.
        Residuals are response residuals ``y - fitted`` (as R ``residuals(lm)``).
    cov : str
        Covariance type actually used; ``df_inference`` the degrees of freedom of the t tests
        (``n - k``, or ``G - 1`` for cluster-robust covariances).
    n_clusters : int or None
        Number of clusters (schools) of a cluster-robust covariance; ``school`` their column.
    level : float
        Confidence level of the intervals of :meth:`tidy` (default of the fit).
    """

    params: pd.Series
    cov_params: pd.DataFrame
    residuals: pd.Series
    fitted: pd.Series
    cov: str
    df_inference: float
    nobs: int
    n_dropped: int
    n_clusters: int | None
    df_resid: int
    rss: float
    r2: float
    adj_r2: float
    sigma: float
    loglik: float
    level: float
    y_name: str
    weighted: bool
    hat: np.ndarray  # leverages of the rows used (positional)
    formula: str | None = None
    school: str | None = None

    @property
    def bse(self) -> pd.Series:
        """Standard errors indexed by term."""
        return pd.Series(np.sqrt(np.diag(self.cov_params.to_numpy())), index=self.params.index)

    @property
    def aic(self) -> float:
        """AIC as R ``AIC(lm)``: ``-2 logLik + 2 (k + 1)`` (the residual variance counts)."""
        return -2 * self.loglik + 2 * (len(self.params) + 1)

    @property
    def bic(self) -> float:
        """BIC as R ``BIC(lm)``: ``-2 logLik + log(n) (k + 1)``."""
        return -2 * self.loglik + np.log(self.nobs) * (len(self.params) + 1)

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """Coefficient table ``[term, est, se, ci_low, ci_high, df, statistic, p_value]``.

        t statistics with ``df_inference`` degrees of freedom (``n - k``; ``G - 1`` for
        cluster-robust covariances, as Stata); intervals at ``level`` (default: the fit's).
        """
        lv = self.level if level is None else check_level(level)
        return coef_table(self.params.index, self.params.to_numpy(), self.bse.to_numpy(),
                          self.df_inference, lv)

    def glance(self) -> pd.DataFrame:
        """One row: n, groups (clusters), k, df, r2, adj_r2, sigma, loglik, aic, bic, se_type."""
        return tidy(pd.DataFrame([{
            "outcome": self.y_name, "n": self.nobs, "n_dropped": self.n_dropped,
            "groups": self.n_clusters, "k": len(self.params), "df": self.df_inference,
            "df_resid": self.df_resid, "r2": self.r2, "adj_r2": self.adj_r2,
            "sigma": self.sigma, "loglik": self.loglik, "aic": self.aic, "bic": self.bic,
            "se_type": self.cov, "weighted": self.weighted,
        }]))

    def summary(self, level: float | None = None) -> Summary:
        """Printable summary: model, data and fit, then the coefficient table (as statsmodels)."""
        lv = self.level if level is None else check_level(level)
        model = f"{'WLS' if self.weighted else 'OLS'} (linear regression)"
        header = [("Model", model), ("Outcome", self.y_name),
                  ("Formula", self.formula), ("Estimator", "least squares"),
                  ("No. observations", self.nobs), ("Rows dropped", self.n_dropped),
                  ("Clusters" + (f" ({self.school})" if self.school else ""), self.n_clusters),
                  ("R-squared", self.r2), ("Adj. R-squared", self.adj_r2),
                  ("Residual SE", self.sigma), ("Log-likelihood", self.loglik),
                  ("AIC", self.aic), ("BIC", self.bic), ("SE type", self.cov),
                  ("Df (t tests)", int(self.df_inference)
                   if float(self.df_inference).is_integer() else self.df_inference)]
        return summary_text(f"{model} results", header,
                            [(None, self.tidy(lv), "term")],
                            [f"confidence intervals at level {lv:g}; t tests with "
                             f"{self.df_inference:g} df"])

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return str(self.summary())

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()._repr_html_()


def _inv_sqrt_sym(M: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(M)
    vals = np.clip(vals, 1e-12, None)
    return (vecs / np.sqrt(vals)) @ vecs.T


@public(renamed={"cluster": "school", "weights": "weight", "alpha": ALPHA_TO_LEVEL})
def ols(data: pd.DataFrame, formula: str | None = None, *, y: str | None = None, x=None,
        cov: str = "classical", school: str | None = None, weight: str | None = None,
        level: float = 0.95) -> OLSResult:
    r"""Linear regression (OLS / WLS) with classical, heteroskedasticity- or cluster-robust SE.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (pupil or school).
    formula : str, optional
        Patsy formula ``"y ~ x1 + x2 + C(type)"``; or give ``y`` and ``x`` column names
        (numeric columns, an intercept is added).
    cov : {"classical", "HC0", "HC1", "HC2", "HC3", "cluster", "CR1", "CR2"}
        ``"cluster"`` = ``"CR1"``: :math:`V = c\,B^{-1}\sum_g u_g u_g' B^{-1}` with
        :math:`u_g = \sum_{i\in g} w_i x_i e_i`, :math:`B = X'WX` and
        :math:`c = \frac{G}{G-1}\frac{N-1}{N-K}` (Stata ``vce(cluster)``; R
        ``sandwich::vcovCL(type = "HC1")``); t tests with :math:`G-1` df.
        ``"CR2"``: Bell--McCaffrey bias-reduced :math:`u_g = X_g'(I-H_{gg})^{-1/2}e_g` (R
        ``clubSandwich::vcovCR(type = "CR2")``; unweighted models only); t with :math:`G-1` df
        (not the Satterthwaite df of clubSandwich -- conservative choice stated here).
        HC types as ``sandwich::vcovHC``; t tests with :math:`N-K` df.
    school : str, optional
        Cluster column (the school id; any cluster, e.g. a district, works the same);
        required for cluster-robust types.
    weight : str, optional
        Precision (analytic) weights as R ``lm(weights=)``; must be > 0. For *sampling* weights
        use the design stage (:mod:`shnro_research.design`).
    level : float
        Confidence level of the intervals (0.95).

    Returns
    -------
    OLSResult
        ``.params``, ``.tidy()`` (coefficients), ``.glance()`` (n, r2, adj_r2, sigma, AIC, BIC),
        ``.summary()`` (printable, with the coefficient table), ``.residuals`` and ``.fitted``
        aligned to ``data.index``.

    Notes
    -----
    Missing data: listwise over the outcome, the predictors, ``school`` and ``weight``, done
    *before* fitting (cluster ids stay aligned; statsmodels #1220). Collinear predictors raise
    :class:`DataError` naming them (R would silently return ``NA`` coefficients).
    R^2 with weights and log-likelihood / AIC follow R ``summary.lm`` / ``logLik.lm``.

    Examples
    --------
    >>> fit = ols(schools, "api00 ~ meals + ell + avg_ed", cov="cluster", school="dnum")
    >>> fit.tidy()        # doctest: +SKIP
    >>> # In R: m <- lm(api00 ~ meals + ell + avg.ed, apipop)
    >>> #       lmtest::coeftest(m, sandwich::vcovCL(m, cluster = ~dnum, type = "HC1"),
    >>> #                        df = G - 1)
    """
    check_option(cov, "cov", COV_TYPES)
    level = check_level(level)
    ctype = "CR1" if cov == "cluster" else cov
    if ctype.startswith("CR") and school is None:
        raise ParameterError(f"cov={cov!r} needs 'school' (the column of cluster ids); got None")
    if school is not None and not ctype.startswith("CR"):
        raise ParameterError(f"'school' is given ({school!r}) but cov={cov!r}; use "
                             "cov='cluster' or 'CR2'")
    if ctype == "CR2" and weight is not None:
        raise ParameterError(f"cov='CR2' is implemented for unweighted models only; got "
                             f"weight={weight!r} (use cov='cluster', CR1, with weights)")
    mf = model_frame(data, formula, y=y, x=x, extra={"school": school, "weight": weight},
                     where="ols data")
    fit = _fit_ols(mf, ctype, level)
    fit.formula = formula if formula is not None else \
        f"{mf.y_name} ~ {' + '.join(t for t in mf.terms if t != '(Intercept)') or '1'}"
    fit.school = school
    return fit


def _fit_ols(mf: ModelFrame, ctype: str, level: float) -> OLSResult:
    X, yv = mf.X, mf.y
    n, k = X.shape
    check_rank(X, mf.terms)
    if n <= k:
        raise DataError(f"data: {n} complete rows for {k} coefficients; need more rows")
    if "weight" in mf.extra:
        w = pd.to_numeric(pd.Series(mf.extra["weight"]), errors="coerce").to_numpy(float)
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            bad = int(np.sum(~np.isfinite(w) | (w <= 0)))
            raise DataError(f"weight: {bad} value(s) are not positive finite numbers")
        weighted = True
    else:
        w = np.ones(n)
        weighted = False
    sw = np.sqrt(w)
    Xw, yw = X * sw[:, None], yv * sw
    Q, R = np.linalg.qr(Xw)
    beta = linalg.solve_triangular(R, Q.T @ yw)
    Rinv = linalg.solve_triangular(R, np.eye(k))
    bread = Rinv @ Rinv.T                     # (X'WX)^-1
    fitted = X @ beta
    resid = yv - fitted
    rss = float(np.sum(w * resid**2))
    df_resid = n - k
    sigma2 = rss / df_resid
    hat = np.sum(Q**2, axis=1)                # leverages of the weighted fit
    n_clusters = None
    df_inf = float(df_resid)
    score = X * (w * resid)[:, None]          # estfun: w_i x_i e_i
    if ctype == "classical":
        V = sigma2 * bread
    elif ctype.startswith("HC"):
        adj = {"HC0": np.ones(n), "HC1": np.full(n, n / df_resid),
               "HC2": 1 / (1 - hat), "HC3": 1 / (1 - hat) ** 2}[ctype]
        meat = (score * adj[:, None]).T @ score
        V = bread @ meat @ bread
    else:
        codes, uniq = pd.factorize(pd.Series(mf.extra["school"]), sort=True)
        G = len(uniq)
        if G < 2:
            raise DataError(f"school: {G} cluster(s) after listwise deletion; need at least 2")
        n_clusters = G
        if ctype == "CR1":
            U = np.zeros((G, k))
            np.add.at(U, codes, score)
            meat = U.T @ U
            V = (G / (G - 1)) * ((n - 1) / (n - k)) * (bread @ meat @ bread)
        else:  # CR2, unweighted
            order = np.argsort(codes, kind="stable")
            bounds = np.flatnonzero(np.diff(codes[order])) + 1
            U = np.zeros((G, k))
            for g, idx in enumerate(np.split(order, bounds)):
                Xg = X[idx]
                Hgg = Xg @ bread @ Xg.T
                Ag = _inv_sqrt_sym(np.eye(len(idx)) - Hgg)
                U[g] = Xg.T @ (Ag @ resid[idx])
            V = bread @ (U.T @ U) @ bread
        df_inf = float(G - 1)
    has_int = mf.has_intercept
    if has_int:
        fbar = np.sum(w * fitted) / np.sum(w)
        mss = float(np.sum(w * (fitted - fbar) ** 2))
    else:
        mss = float(np.sum(w * fitted**2))
    r2 = mss / (mss + rss)
    adj_r2 = 1 - (1 - r2) * ((n - int(has_int)) / df_resid)
    loglik = 0.5 * (np.sum(np.log(w)) - n * (np.log(2 * np.pi) + 1 - np.log(n) + np.log(rss)))
    terms = mf.terms
    return OLSResult(
        params=pd.Series(beta, index=terms, name="est"),
        cov_params=pd.DataFrame(V, index=terms, columns=terms),
        residuals=realign(resid, mf, "residual"), fitted=realign(fitted, mf, "fitted"),
        cov={"CR1": "cluster (CR1)", "CR2": "cluster (CR2)"}.get(ctype, ctype),
        df_inference=df_inf, nobs=n, n_dropped=mf.n_dropped, n_clusters=n_clusters,
        df_resid=df_resid, rss=rss, r2=r2, adj_r2=adj_r2, sigma=float(np.sqrt(sigma2)),
        loglik=float(loglik), level=level, y_name=mf.y_name, weighted=weighted, hat=hat,
    )
