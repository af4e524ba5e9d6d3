"""Private helpers of :mod:`shnro_research.models`: model-frame preparation and tidy tables.

Missing-data rule (every model): **listwise** deletion over *all* columns the model uses --
outcome, predictors (after formula evaluation), and the grouping / cluster / weight columns --
done *before* fitting, so that cluster and group identifiers stay aligned with the rows actually
used (the statsmodels bug #1220 cannot occur). Dropped rows get ``NaN`` residuals / fitted values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import as_list, check_columns, check_number, tidy
from ..errors import DataError, ParameterError

INTERCEPT = "(Intercept)"


@dataclass
class ModelFrame:
    """Design after listwise deletion (all arrays aligned, positional)."""

    y: np.ndarray
    X: np.ndarray
    terms: list[str]
    y_name: str
    index: pd.Index            # original index labels of the rows used
    full_index: pd.Index       # original index of ``data`` (for re-aligning residuals)
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    n_dropped: int = 0

    @property
    def has_intercept(self) -> bool:
        return bool(np.any(np.all(self.X == 1.0, axis=0))) if self.X.shape[1] else False


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _categorical(data, contrast=None, levels=None):
    """patsy's ``C()``; plain integer or float data become a pandas categorical first (its
    levels: the sorted observed values without NaN, as patsy finds them, coded without a
    per-row loop)."""
    import patsy  # noqa: PLC0415
    if (contrast is None and levels is None and isinstance(data, pd.Series)
            and (pd.api.types.is_integer_dtype(data.dtype) or pd.api.types.is_float_dtype(data.dtype))
            and not isinstance(data.dtype, pd.api.extensions.ExtensionDtype)):
        return data.astype("category")        # unboxed: patsy codes it without a loop
    return patsy.builtins.C(data, contrast, levels)


def model_frame(data: pd.DataFrame, formula: str | None = None, *, y: str | None = None,
                x=None, extra: dict[str, str | None] | None = None,
                intercept: bool = True, where: str = "data") -> ModelFrame:
    """Build (y, X) from a formula *or* ``y``/``x`` column names, with listwise deletion.

    ``extra`` maps a role ("school", "subgroup", "weight", ...) to a column name (or None); those
    columns take part in the listwise deletion and come back aligned in ``ModelFrame.extra``.
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"'data' must be a pandas DataFrame; got {type(data).__name__}")
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    for role, col in extra.items():
        if not isinstance(col, str):
            raise ParameterError(f"{role!r} must be a column name (str); got {col!r}")
    check_columns(data, list(extra.values()), where)
    if len(data) == 0:
        raise DataError(f"{where}: no rows")
    full_index = data.index
    if isinstance(formula, str):
        # only the columns the formula can name (their names appear in its text) and the extra
        # ones: the rest of a wide table is not copied
        used = [c for c in data.columns
                if c in extra.values() or (isinstance(c, str) and c in formula)]
        d = data[used].reset_index(drop=True)
    else:
        d = data.reset_index(drop=True)
    keep = np.ones(len(d), dtype=bool)
    for col in extra.values():
        keep &= d[col].notna().to_numpy()

    if formula is not None:
        if y is not None or x is not None:
            raise ParameterError("give either 'formula' or 'y'/'x', not both")
        if not isinstance(formula, str) or "~" not in formula:
            raise ParameterError(f"'formula' must be a string like 'y ~ x1 + x2'; got {formula!r}")
        import patsy
        sub = d.loc[keep]
        # patsy's C() of integers codes every row in a Python loop; a pandas categorical with
        # the same (sorted, observed) levels takes its vectorised path: same design and names
        env = patsy.EvalEnvironment.capture(0).with_outer_namespace({"C": _categorical})
        # patsy cannot test pandas nullable numbers (Int64, Float64) for NA: make them float
        ext = [c for c in sub.columns if isinstance(sub[c].dtype, pd.api.extensions.ExtensionDtype)
               and _is_numeric(sub[c])]
        if ext:
            sub = sub.assign(**{c: sub[c].to_numpy(dtype=float, na_value=np.nan) for c in ext})
        try:
            Y, Xdf = patsy.dmatrices(formula, sub, NA_action="drop", return_type="dataframe",
                                     eval_env=env)
        except (patsy.PatsyError, TypeError, ValueError, KeyError, NameError) as exc:
            raise DataError(f"{where}: cannot evaluate formula {formula!r}: {exc}".split("\n")[0]
                            ) from None
        if Y.shape[1] != 1:
            raise DataError(f"{where}: the outcome of {formula!r} must be one numeric column; "
                            f"got columns {list(Y.columns)}")
        rows = Xdf.index.to_numpy()
        terms = [INTERCEPT if t == "Intercept" else t for t in Xdf.columns]
        yv = Y.iloc[:, 0].to_numpy(dtype=float)
        Xv = Xdf.to_numpy(dtype=float)
        y_name = str(Y.columns[0])
    else:
        if y is None or x is None:
            raise ParameterError("give a 'formula' or both 'y' (column name) and 'x' (column names)")
        xs = as_list(x)
        if not isinstance(y, str):
            raise ParameterError(f"'y' must be a column name (str); got {y!r}")
        check_columns(data, [y] + xs, where)
        for c in [y] + xs:
            if not _is_numeric(d[c]):
                raise DataError(f"{where}: column {c!r} must be numeric; got dtype {d[c].dtype} "
                                f"(use a formula with C({c}) for a categorical predictor)")
            keep &= d[c].notna().to_numpy()
        rows = np.flatnonzero(keep)
        yv = d[y].to_numpy(dtype=float, na_value=np.nan)[rows]
        cols = [d[c].to_numpy(dtype=float, na_value=np.nan)[rows] for c in xs]
        terms = ([INTERCEPT] if intercept else []) + xs
        if intercept:
            cols = [np.ones(len(rows))] + cols
        Xv = np.column_stack(cols) if cols else np.empty((len(rows), 0))
        y_name = y
    if not np.all(np.isfinite(yv)) or not np.all(np.isfinite(Xv)):
        raise DataError(f"{where}: infinite values in the outcome or predictors")
    ex = {role: d[col].to_numpy()[rows] for role, col in extra.items()}
    if len(rows) == 0:
        raise DataError(f"{where}: no complete rows after listwise deletion over "
                        f"{[y_name] + list(extra.values())} and the predictors")
    return ModelFrame(y=yv, X=Xv, terms=terms, y_name=y_name, index=full_index[rows],
                      full_index=full_index, rows=np.asarray(rows, dtype=int), extra=ex, n_dropped=int(len(d) - len(rows)))


def check_rank(X: np.ndarray, terms: list[str], where: str = "data") -> None:
    """Raise :class:`DataError` naming the terms that make ``X`` rank deficient."""
    n, p = X.shape
    if p == 0:
        return
    if n < p:
        raise DataError(f"{where}: {n} complete rows for {p} coefficients")
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        # find the first columns that do not add rank
        bad, kept = [], []
        for j in range(p):
            if np.linalg.matrix_rank(X[:, kept + [j]]) == len(kept) + 1:
                kept.append(j)
            else:
                bad.append(terms[j])
        raise DataError(f"{where}: predictors are collinear (rank {rank} < {p}); "
                        f"drop or recode: {bad}")


def coef_table(terms, est, se, df, level: float) -> pd.DataFrame:
    """Tidy coefficient table with t (finite ``df``) or z (``df`` = inf / NaN) inference."""
    alpha = 1 - level
    est = np.asarray(est, float)
    se = np.asarray(se, float)
    df_arr = np.broadcast_to(np.asarray(df, float), est.shape)
    normal = ~np.isfinite(df_arr)
    stat = est / se
    p = np.where(normal, 2 * stats.norm.sf(np.abs(stat)),
                 2 * stats.t.sf(np.abs(stat), np.where(normal, 1.0, df_arr)))
    q = np.where(normal, stats.norm.ppf(1 - alpha / 2),
                 stats.t.ppf(1 - alpha / 2, np.where(normal, 1.0, df_arr)))
    out = pd.DataFrame({"term": list(terms), "est": est, "se": se,
                        "ci_low": est - q * se, "ci_high": est + q * se,
                        "df": np.where(normal, np.inf, df_arr), "statistic": stat, "p_value": p})
    return tidy(out)


def check_level(level) -> float:
    """The confidence level of intervals, in (0, 1)."""
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    return float(level)


#: old keyword ``alpha`` (1 - confidence level) of the models functions -> ``level``
ALPHA_TO_LEVEL = ("level", lambda a: 1 - a)


def realign(values: np.ndarray, mf: ModelFrame, name: str) -> pd.Series:
    """Series on the original index of the data, NaN for the rows dropped listwise."""
    out = np.full(len(mf.full_index), np.nan)
    out[mf.rows] = values
    return pd.Series(out, index=mf.full_index, name=name)
