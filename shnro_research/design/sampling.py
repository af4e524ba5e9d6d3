"""Drawing a reproducible multistage sample (schools → classes) and planning its size.

Stage 1: schools per stratum, either with probability proportional to size by **systematic
PPS on a randomly ordered list** (Madow 1949; Cochran 1977 §9A.7) — units whose
π_i = n M_i / Σ M would reach 1 are taken with certainty first, then π is recomputed
for the rest — or by simple random sampling without replacement.  Stage 2: simple random
sampling of classes within each selected school; every pupil of a selected class is surveyed.
Inclusion probabilities of each stage and the weight 1/(π1 π2) are recorded.

For variance estimation after PPS, use the with-replacement approximation at stage 1
(``survey_design(ids=["school_id", "class_id"], weight="weight")``, no fpc), which is
conservative; after SRS pass ``fpc=["N1", "N2"]``.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_columns, check_number, check_option, tidy
from ..errors import DataError, ParameterError
from .._checks import public


def _pps_probs(size: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """π_i = n M_i / Σ M with certainty units (π ≥ 1) removed iteratively."""
    pi = np.zeros(len(size))
    cert = np.zeros(len(size), bool)
    for _ in range(len(size) + 1):
        rest = ~cert
        n_rest = n - cert.sum()
        if n_rest <= 0:
            break
        pi[rest] = n_rest * size[rest] / size[rest].sum()
        new = rest & (pi >= 1 - 1e-12)
        if not new.any():
            break
        cert |= new
    pi[cert] = 1.0
    return pi, cert


@public(renamed={"rng": "seed"})
def pps_systematic(size: np.ndarray, n: int,
                   seed: int | np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS on a random order: indices selected and their inclusion probabilities.

    ``seed`` is an ``int`` (seed of ``numpy.random.default_rng``) or a ``Generator`` to draw
    from (advanced by the call). Units with π ≥ 1 are taken with certainty first.
    """
    if isinstance(seed, np.random.Generator):
        rng = seed
    else:
        check_number(seed, "seed", integer=True)
        rng = np.random.default_rng(seed)
    size = np.asarray(size, float)
    if (size <= 0).any() or not np.isfinite(size).all():
        raise DataError("PPS size measures must be positive and finite")
    if n > len(size):
        raise ParameterError(f"'n' must not exceed the number of units ({len(size)}); got {n}")
    pi, cert = _pps_probs(size, n)
    chosen = list(np.flatnonzero(cert))
    rest = np.flatnonzero(~cert)
    n_rest = n - len(chosen)
    if n_rest > 0:
        order = rng.permutation(rest)
        cum = np.cumsum(pi[order])
        u = rng.uniform(0, 1)
        points = u + np.arange(n_rest)
        idx = np.searchsorted(cum, points, side="left")
        idx = np.minimum(idx, len(order) - 1)
        chosen.extend(order[idx].tolist())
    chosen = np.array(sorted(chosen), dtype=np.int64)
    return chosen, pi[chosen]


@public
def draw_sample(schools: pd.DataFrame, *, school: str = "school_id", size: str | None = None,
                stratum: str | None = None, n_schools: int | Mapping = 10, method: str = "pps",
                classes: pd.DataFrame | None = None, class_id: str = "class_id",
                n_classes: int = 2, seed: int = 0) -> pd.DataFrame:
    """Draw schools (PPS or SRS within strata) and classes within schools, with weights.

    Parameters
    ----------
    schools : DataFrame
        School frame, one row per school.
    school : str
        School id column (in ``schools`` and ``classes``).
    size : str, optional
        Size measure for PPS (e.g. enrolment); required when ``method="pps"``.
    stratum : str, optional
        Stratum column (e.g. municipality or school type).
    n_schools : int or dict
        Schools to draw per stratum (a dict {stratum: n} allows different sizes).
    method : {"pps", "srs"}
        Systematic PPS with certainty selections, or SRS without replacement.
    classes : DataFrame, optional
        Class frame (school id, ``class_id``, ...); without it only schools are drawn.
    n_classes : int
        Classes per selected school (all classes if the school has fewer).
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same sample.

    Returns
    -------
    DataFrame
        One row per selected class (or school): ids, ``stratum``, ``N1`` (schools in stratum),
        ``n1``, ``pi1``, ``certainty``, ``N2`` (classes in school), ``n2``, ``pi2``, ``weight``.

    Examples
    --------
    >>> s = draw_sample(frame, size="enrolment", stratum="municipality", n_schools=5,
    ...                 classes=class_frame, n_classes=2, seed=1)  # doctest: +SKIP

    R equivalent (stage 1, different algorithm): ``sampling::UPsystematic(inclusionprobabilities(M, n))``.
    """
    check_option(method, "method", ("pps", "srs"))
    check_number(seed, "seed", integer=True)
    check_number(n_classes, "n_classes", low=1, integer=True)
    cols = [school] + ([size] if size else []) + ([stratum] if stratum else [])
    check_columns(schools, cols, "school frame")
    if method == "pps" and size is None:
        raise ParameterError("method='pps' needs 'size' (a size measure column such as "
                             "enrolment); got None")
    if schools[school].duplicated().any():
        dup = schools.loc[schools[school].duplicated(), school].iloc[0]
        raise DataError(f"school frame: school id {dup!r} appears more than once")
    rng = np.random.default_rng(seed)
    frame = schools.reset_index(drop=True)
    strata = frame[stratum] if stratum else pd.Series(["all"] * len(frame))
    picked = []
    for h in sorted(pd.unique(strata), key=str):
        rows = np.flatnonzero((strata == h).to_numpy())
        n_h = n_schools.get(h) if isinstance(n_schools, Mapping) else n_schools
        if n_h is None:
            raise ParameterError(f"'n_schools' has no entry for stratum {h!r}")
        check_number(n_h, f"n_schools[{h!r}]", low=1, integer=True)
        if n_h > len(rows):
            raise ParameterError(f"stratum {h!r} has {len(rows)} schools; cannot draw {n_h}")
        if method == "pps":
            sel, pi = pps_systematic(frame[size].to_numpy(float)[rows], int(n_h), rng)
            cert = pi >= 1
        else:
            sel = np.sort(rng.choice(len(rows), size=int(n_h), replace=False))
            pi = np.full(len(sel), n_h / len(rows))
            cert = np.full(len(sel), n_h == len(rows))
        part = frame.iloc[rows[sel]].copy()
        part["stratum"] = h
        part["N1"] = len(rows)
        part["n1"] = int(n_h)
        part["pi1"] = pi
        part["certainty"] = cert
        picked.append(part)
    out = pd.concat(picked, ignore_index=True)
    if classes is None:
        out["weight"] = 1 / out["pi1"]
        return out
    check_columns(classes, [school, class_id], "class frame")
    cl = classes[classes[school].isin(out[school])]
    missing = set(out[school]) - set(cl[school])
    if missing:
        raise DataError(f"class frame has no classes for selected school(s) {sorted(missing)[:5]}")
    chosen = []
    for sid, grp in cl.groupby(school, sort=True):
        N2 = len(grp)
        n2 = min(n_classes, N2)
        take = np.sort(rng.choice(N2, size=n2, replace=False))
        g = grp.iloc[take].copy()
        g["N2"], g["n2"], g["pi2"] = N2, n2, n2 / N2
        chosen.append(g)
    cls = pd.concat(chosen, ignore_index=True)
    res = out.merge(cls, on=school, how="left", suffixes=("", "_class"))
    res["weight"] = 1 / (res["pi1"] * res["pi2"])
    return res


@public
def design_effect_icc(icc: float, cluster_size: float) -> float:
    """Kish design effect of cluster sampling: deff = 1 + (m − 1) ρ."""
    check_number(icc, "icc", low=0, high=1)
    check_number(cluster_size, "cluster_size", low=1)
    return 1 + (cluster_size - 1) * icc


@public
def plan_sample_size(margin: float, *, icc: float, cluster_size: float, sd: float | None = None,
                     p: float | None = 0.5, level: float = 0.95,
                     population: float | None = None) -> pd.DataFrame:
    """Respondents and clusters needed for a target margin of error (half-width of the CI).

    n_SRS = z² σ² / e² (σ² = p(1 − p) for a proportion, or ``sd``²), optionally with the
    finite-population correction n_SRS / (1 + n_SRS/N); n = n_SRS · deff with
    deff = 1 + (m − 1) ICC; clusters = ⌈n / m⌉ (Kish 1965, §5.4).

    Returns
    -------
    DataFrame with one row: ``margin, deff, n_srs, n, clusters, cluster_size, n_eff``.
    """
    check_number(margin, "margin", low=0, low_inclusive=False)
    check_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    if sd is not None:
        check_number(sd, "sd", low=0, low_inclusive=False)
        var = sd * sd
    else:
        if p is None:
            raise ParameterError("give 'sd' (for a mean) or 'p' (for a proportion); got None for both")
        check_number(p, "p", low=0, high=1)
        var = p * (1 - p)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    n_srs = z * z * var / margin ** 2
    if population is not None:
        check_number(population, "population", low=1)
        n_srs = n_srs / (1 + n_srs / population)
    deff = design_effect_icc(icc, cluster_size)
    n = int(np.ceil(n_srs * deff))
    clusters = int(np.ceil(n / cluster_size))
    return tidy(pd.DataFrame([{"margin": margin, "deff": deff, "n_srs": int(np.ceil(n_srs)), "n": n,
                          "clusters": clusters, "cluster_size": cluster_size,
                          "n_eff": clusters * cluster_size / deff}]))
