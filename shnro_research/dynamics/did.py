"""Programme effect: difference-in-differences of programme vs other schools at pupil level."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns
from ..errors import DataError, ParameterError

__all__ = ["programme_did"]


def programme_did(data: pd.DataFrame, outcomes: str | Sequence[str], *, programme: Sequence[Any],
                  base: Any, compare: Any, school: str = "school_id", wave: str = "wave",
                  cov: str = "CR2", level: float = 0.95) -> pd.DataFrame:
    r"""Difference-in-differences of programme vs other schools, respondents as rows.

    For each outcome, on the respondents of waves ``base`` and ``compare``:

    ``y_i = b0 + b1 programme_s + b2 post_t + b3 programme_s x post_t + e_i``

    (OLS, :func:`shnro_research.models.ols`) with school-clustered SEs (``cov="CR2"``:
    Bell--McCaffrey, t with G - 1 df; ``"CR1"`` as Stata ``vce(cluster)``). ``b3`` -- the change
    in programme schools minus the change in the other schools -- is the programme effect
    under parallel trends (the other schools show what would have happened without it).

    Parameters
    ----------
    data : DataFrame
        Respondent rows with ``school``, ``wave`` and the outcome columns (repeated
        cross-sections: new pupils in the same schools).
    outcomes : str or list of str
        Outcome columns (missing values dropped per outcome).
    programme : sequence
        School ids of the programme schools; every other school is a comparison school.
    base, compare : wave values
        The waves before and after (usually the first and the last).
    school, wave : str
        Columns of the school (cluster) and wave.
    cov : {"CR2", "CR1"}
        Cluster-robust covariance.

    Returns
    -------
    DataFrame
        One row per outcome: ``variable``, ``term`` ("programme:post"), ``est`` (b3), ``se``,
        ``ci_low``, ``ci_high``, ``df``, ``n`` (respondents), ``statistic``, ``p_value``,
        ``n_schools``, ``n_programme_schools``, ``change_programme`` and ``change_other``
        (raw mean changes, b2 + b3 and b2), ``wave_base``, ``wave_compare``, ``cov`` and
        ``note`` (design, test and what it can show).

    Notes
    -----
    Unweighted pupil-level model: the effect is an average over pupils of the sampled schools,
    not a design-based estimate for the municipality. With few programme schools (e.g. 4 of
    24) the cluster-robust test rests on few clusters on one side; CR2 with G - 1 df is the
    small-sample correction recommended for that case but remains approximate.

    Examples
    --------
    R equivalent::

        m <- lm(y ~ programme * post, d)
        clubSandwich::coef_test(m, vcov = "CR2", cluster = d$school_id, test = "naive-t")
    """
    from .._stats import one_blas_thread as _one_blas_thread
    from ..models import ols
    outcomes = as_list(outcomes)
    check_columns(data, [school, wave] + outcomes, "data")
    if base == compare:
        raise ParameterError(f"'base' and 'compare' must differ; got {base!r}")
    prog = set(programme)
    d = data[data[wave].isin([base, compare])].copy()
    d["_programme"] = d[school].isin(prog).astype(float)
    d["_post"] = (d[wave] == compare).astype(float)
    d["_school"] = d[school].astype(str)
    rows = []
    for y in outcomes:
        dy = d.dropna(subset=[y]).rename(columns={y: "_y"})
        if dy["_programme"].nunique() < 2 or dy["_post"].nunique() < 2:
            raise DataError(f"programme_did: outcome {y!r} needs programme and other schools in "
                            f"both waves {base!r} and {compare!r}")
        with _one_blas_thread():          # CR2: one small eigen-decomposition per school
            m = ols(dy, "_y ~ _programme * _post", cov=cov, school="_school", level=level)
        t = m.tidy()
        r = t[t["term"] == "_programme:_post"].iloc[0]
        other = t[t["term"] == "_post"].iloc[0]["est"]
        rows.append({"variable": y, "term": "programme:post", "est": r["est"], "se": r["se"],
                     "ci_low": r["ci_low"], "ci_high": r["ci_high"], "df": r.get("df", np.nan),
                     "n": len(dy), "statistic": r.get("statistic", np.nan),
                     "p_value": r["p_value"], "n_schools": dy[school].nunique(),
                     "n_programme_schools": dy.loc[dy["_programme"] == 1, school].nunique(),
                     "change_programme": other + r["est"], "change_other": other,
                     "wave_base": base, "wave_compare": compare, "cov": cov,
                     "note": ("difference-in-differences, pupils of waves "
                              f"{base} and {compare}, OLS unweighted, school-clustered {cov} SE, "
                              "t with (schools - 1) df, no multiplicity adjustment; an effect "
                              "only under parallel trends of programme and other schools")})
    return pd.DataFrame(rows)
