"""Design-based linear and logistic regression (R ``svyglm``, gaussian and quasibinomial).

Coefficients solve the weighted score equations Σ w_i x_i (y_i − μ_i) = 0 (IRLS).  The
covariance is Binder's (1983) sandwich A⁻¹ V A⁻¹ where A = Σ w v(μ) x xᵀ and V is the design
variance of the PSU totals of the scores (Taylor designs), or the replicate variance of the
re-fitted coefficients (replicate designs).  Residual degrees of freedom:
``degf(design) − p + 1`` (R ``svyglm``); t statistics and p-values use them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_number, check_option, tidy
from ..errors import DataError, ParameterError
from .._checks import public
from .._summary import Summary, summary_text
from .spec import ReplicateDesign, SurveyDesign, _present, _taylor_cov

FAMILIES = ("gaussian", "quasibinomial")


@dataclass(frozen=True)
class SvyGLMResult:
    """Result of :func:`svy_glm`: ``coef``, ``vcov``, ``df_resid``; ``.tidy()`` (coefficients),
    ``.glance()`` (one row), ``.summary()`` (printable, with the coefficient table)."""

    names: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    df_resid: int
    family: str
    n: int
    formula: str
    level: float = 0.95
    design: str = "Taylor linearisation"
    n_psu: int | None = None
    n_strata: int | None = None

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def tidy(self, level: float | None = None) -> pd.DataFrame:
        """``term, est, se, ci_low, ci_high, df, n, statistic (t), p_value``; intervals at
        ``level`` (default: the fit's)."""
        return tidy(pd.DataFrame({"term": self.names, **self._coef_table(level)}))

    def _coef_table(self, level: float | None = None) -> dict:
        """The columns of :meth:`tidy` after ``term``, as arrays (and scalars)."""
        lv = self.level if level is None else \
            check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
        se = self.se
        t = self.coef / se
        df = self.df_resid
        p = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(len(t), np.nan)
        q = stats.t.ppf(1 - (1 - lv) / 2, df) if df > 0 else np.nan
        return {"est": self.coef, "se": se, "ci_low": self.coef - q * se,
                "ci_high": self.coef + q * se, "df": df, "n": self.n, "statistic": t,
                "p_value": p}

    def glance(self) -> pd.DataFrame:
        """One row: ``formula, family, n, groups`` (first-stage units), ``strata, k, df``
        (residual design df), ``se_type``."""
        return tidy(pd.DataFrame([{"formula": self.formula, "family": self.family, "n": self.n,
                              "groups": self.n_psu, "strata": self.n_strata,
                              "k": len(self.names), "df": self.df_resid,
                              "se_type": f"design-based ({self.design})"}]))

    def summary(self, level: float | None = None) -> Summary:
        """Printable summary: model, design and fit, then the coefficient table (as statsmodels)."""
        tab = self.tidy(level).drop(columns=["n"])
        lv = self.level if level is None else level
        link = "identity" if self.family == "gaussian" else "logit"
        header = [("Model", f"design-based GLM ({self.family}, {link} link)"),
                  ("Formula", self.formula), ("Estimator", "weighted score equations (IRLS)"),
                  ("No. observations", self.n), ("First-stage units", self.n_psu),
                  ("Strata", self.n_strata), ("Residual df", self.df_resid),
                  ("SE type", f"design-based ({self.design})")]
        return summary_text("Survey-weighted regression (svyglm) results", header,
                            [(None, tab, "term")],
                            [f"confidence intervals at level {lv:g}; t tests with "
                             f"{self.df_resid} df (design df - k + 1, as R svyglm)"])

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return str(self.summary())

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        return self.summary()._repr_html_()


def _design_matrix(data: pd.DataFrame, formula: str | None, y: str | None, x: Sequence[str] | None):
    if formula is not None:
        import patsy
        try:
            yd, Xd = patsy.dmatrices(formula, data, NA_action="drop", return_type="dataframe")
        except Exception as exc:  # patsy raises several kinds
            raise ParameterError(f"cannot read formula {formula!r}: {exc}") from None
        rows = Xd.index.to_numpy()
        if yd.shape[1] != 1:
            raise ParameterError(f"formula {formula!r} must have one response column; got {list(yd.columns)}")
        names = ["(Intercept)" if c == "Intercept" else str(c) for c in Xd.columns]   # as R
        return yd.iloc[:, 0].to_numpy(float), Xd.to_numpy(float), names, rows
    if y is None or not x:
        raise ParameterError("give 'formula' or both 'y' and 'x'")
    cols = [y] + list(x)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(f"column(s) {missing} not found in the design data")
    sub = data[cols]
    for c in cols:
        if not pd.api.types.is_numeric_dtype(sub[c]) and sub[c].dtype != bool:
            raise DataError(f"column {c!r} must be numeric (dummy-code categories or use a formula)")
    keep = ~sub.isna().any(axis=1).to_numpy()
    rows = np.flatnonzero(keep)
    X = np.column_stack([np.ones(len(rows)), sub[list(x)].to_numpy(float)[rows]])
    return sub[y].to_numpy(float)[rows], X, ["(Intercept)"] + list(x), rows


def _binom_dev(y, mu, w):
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return 2 * np.sum(w * (a + b))


def _fit(X, y, w, family, start=None, epsilon=1e-8, maxit=25):
    """Weighted GLM by IRLS following R ``glm.fit`` step by step.

    Returns beta, mu and the working weights of the last iteration (computed, as in R, from
    the fitted values *before* the last update: R's ``cov.unscaled`` and ``weights``).
    """
    if family == "gaussian":
        sw = np.sqrt(w)
        beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
        return beta, X @ beta, w
    if start is None:
        mu = (w * y + 0.5) / (w + 1)
        eta = np.log(mu / (1 - mu))
    else:
        eta = X @ start
        mu = 1 / (1 + np.exp(-eta))
    devold = _binom_dev(y, mu, w)
    ww = w * mu * (1 - mu)
    beta = start
    for _ in range(maxit):
        v = mu * (1 - mu)
        z = eta + (y - mu) / v
        ww = w * v
        sw = np.sqrt(ww)
        beta, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        eta = X @ beta
        mu = 1 / (1 + np.exp(-eta))
        dev = _binom_dev(y, mu, w)
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            break
        devold = dev
    return beta, mu, ww


@public
def svy_glm(design: SurveyDesign | ReplicateDesign, formula: str | None = None, *,
            y: str | None = None, x: Sequence[str] | None = None, family: str = "gaussian",
            level: float = 0.95) -> SvyGLMResult:
    """Design-based regression (R ``svyglm``): linear (gaussian) or logistic (quasibinomial).

    Parameters
    ----------
    design : SurveyDesign or ReplicateDesign
    formula : str, optional
        patsy formula, e.g. ``"api00 ~ ell + meals + mobility"`` (column names must be valid
        Python identifiers or quoted with ``Q("sch.wide")``).
    y, x : str, list of str, optional
        Alternative to ``formula``: response and numeric predictors (an intercept is added).
    family : {"gaussian", "quasibinomial"}
        quasibinomial: logit link, y in [0, 1].
    level : float
        Confidence level of ``.tidy()`` intervals.

    Missing data: rows with a missing response or predictor are dropped from the fit and
    contribute zero scores (their PSUs stay in the design), and the degrees of freedom count
    the PSUs and strata that keep at least one row (R ``design[-nas, ]``).

    Examples
    --------
    R equivalent::

        summary(svyglm(api00 ~ ell + meals + mobility, dstrat))
        svyglm(I(sch.wide == "Yes") ~ ell + meals, dclus2, family = quasibinomial())
    """
    if not isinstance(design, (SurveyDesign, ReplicateDesign)):
        raise ParameterError(f"'design' must be a SurveyDesign or ReplicateDesign; got {type(design).__name__}")
    check_option(family, "family", FAMILIES)
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    yv, X, names, rows = _design_matrix(design.data, formula, y, as_list(x) if x is not None else None)
    fstr = formula if formula is not None else f"{y} ~ {' + '.join(as_list(x))}"
    return _svy_glm_arrays(design, yv, X, names, rows, family, fstr, level)


def _svy_glm_arrays(design: SurveyDesign | ReplicateDesign, yv: np.ndarray, X: np.ndarray,
                    names: list[str], rows: np.ndarray, family: str, fstr: str,
                    level: float, full_rank: bool = False) -> SvyGLMResult:
    """:func:`svy_glm` on its model matrix: response ``yv`` and ``X`` of the complete ``rows``;
    ``full_rank=True`` when the caller knows ``X`` has full column rank (an intercept and a 0/1
    column holding both values): the rank check (an SVD of ``X``) is then skipped."""
    if family == "quasibinomial" and ((yv < 0) | (yv > 1)).any():
        raise DataError("quasibinomial response must lie in [0, 1]")
    if len(rows) <= X.shape[1]:
        raise DataError(f"only {len(rows)} complete rows for {X.shape[1]} coefficients")
    if not full_rank and np.linalg.matrix_rank(X) < X.shape[1]:
        raise DataError(f"predictors are collinear (rank {np.linalg.matrix_rank(X)} < {X.shape[1]}): {names}")
    w_all = design.weights[rows]
    w = w_all / w_all.mean()
    beta, mu, ww = _fit(X, yv, w, family)
    p = X.shape[1]
    if isinstance(design, SurveyDesign):
        Ainv = np.linalg.inv(X.T @ (X * ww[:, None]))
        # R: estfun = X * working residual * working weight (weights from the previous step)
        v_final = mu * (1 - mu) if family == "quasibinomial" else np.ones(len(mu))
        est = X * (ww * (yv - mu) / v_final)[:, None]
        U = np.zeros((design.n, p))
        U[rows] = est @ Ainv
        V = _taylor_cov(design, U)
        degf = design.degf(rows)
    else:
        Rw = design.repweights[rows]
        betas = np.empty((Rw.shape[1], p))
        for r in range(Rw.shape[1]):
            wr = Rw[:, r]
            betas[r] = _fit(X, yv, wr / wr.sum(), family, start=beta)[0]
        V = design.rep_cov(betas, beta)
        degf = design.degf()
    if isinstance(design, SurveyDesign):
        st = design.stages[0]
        psu = _present(st.clus[rows], st.n_clusters)
        kind, n_psu, n_str = "Taylor linearisation", len(psu), len(np.unique(st.clus_stratum[psu]))
    else:
        kind, n_psu, n_str = f"replicate weights, {design.type}", None, None
    return SvyGLMResult(names, beta, V, int(degf - p + 1), family, len(rows), fstr, level,
                        kind, n_psu, n_str)
