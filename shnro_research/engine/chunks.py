"""Chunks of schools: the streaming path of the scoring and design stages.

A study above ``engine.chunk_schools`` schools (``auto``: 2,000) is processed a chunk of whole
schools at a time. What is computed per respondent or per school (scale scores, per-school
design estimates) is computed on the chunk and concatenated in the order of the in-memory path;
what pools schools (reliability, municipal estimates) is finished from sums that add over chunks
(:mod:`shnro_research.engine.moments`). The numbers equal the in-memory path's up to the order
of floating-point additions (tests/test_streaming.py, rtol 1e-10).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from .._checks import public
from ..errors import DataError, ParameterError
from .moments import (ReliabilityMoments, cluster_moments, combine_cluster_moments,
                      municipal_from_moments, reliability_from_moments, reliability_moments,
                      with_design_df)

#: schools per chunk when ``engine.chunk_schools`` is ``auto`` and the study is larger
AUTO_CHUNK = 2000


def chunk_size(setting, n_schools: int) -> int | None:
    """Schools per chunk for a study of ``n_schools``: ``None`` (in memory) when the setting is
    ``"auto"`` and the study has at most :data:`AUTO_CHUNK` schools, or ``0`` / ``None``."""
    if setting in (None, 0, "none"):
        return None
    if setting == "auto":
        return AUTO_CHUNK if n_schools > AUTO_CHUNK else None
    if not isinstance(setting, int) or setting < 1:
        raise ParameterError(f"'engine.chunk_schools' must be 'auto', 0 or a positive integer; "
                             f"got {setting!r}")
    return setting


@public
def school_chunks(data: pd.DataFrame, size: int, *, school: str = "school_id"
                  ) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """Split ``data`` into chunks of ``size`` whole schools (in sorted order of the school ids).

    Yields ``(positions, chunk)``: the row positions of the chunk in ``data`` (to put results
    back in the order of ``data``) and the rows themselves.

    Examples
    --------
    >>> for pos, part in school_chunks(clean, 2000): ...     # doctest: +SKIP
    R: split(d, ceiling(match(d$school_id, sort(unique(d$school_id))) / 2000))
    """
    if school not in data:
        raise DataError(f"school_chunks: column {school!r} not found; data has "
                        f"{list(data.columns)[:10]}...")
    codes, _ = pd.factorize(data[school], sort=True)
    block = np.where(codes >= 0, codes // size, -1)
    order = np.argsort(block, kind="stable")
    b_sorted = block[order]
    cuts = np.flatnonzero(np.diff(b_sorted)) + 1
    for pos in np.split(order, cuts):
        if len(pos):
            yield pos, data.iloc[pos]


def _in_order(parts: list[tuple[np.ndarray, pd.DataFrame]], n: int) -> pd.DataFrame:
    pos = np.concatenate([p for p, _ in parts])
    out = pd.concat([d for _, d in parts], ignore_index=True)
    back = np.empty(n, dtype=np.int64)
    back[pos] = np.arange(n)
    return out.iloc[back].reset_index(drop=True)


@public
def score_in_chunks(clean: pd.DataFrame, instrument, group: str, size: int
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scale scores of every respondent and the reliability table of one group, a chunk of
    ``size`` schools at a time; equal to ``score_respondents`` and ``scale_reliability``.

    Examples
    --------
    >>> scores, rel = score_in_chunks(clean, inst, "students", 2000)   # doctest: +SKIP
    R: psych::alpha on the cross-product sums added over chunks
    """
    from ..scoring import instrument as score
    parts, mom = [], ReliabilityMoments(instrument.scale_keys())
    for pos, part in school_chunks(clean, size):
        parts.append((pos, score.score_respondents(part, instrument, group)))
        mom = mom + reliability_moments(part, instrument)
    return _in_order(parts, len(clean)), reliability_from_moments(mom, instrument, group)


@public
def school_estimates_in_chunks(dw: pd.DataFrame, variables: list[str], *, lonely_psu: str,
                               size: int | None) -> pd.DataFrame:
    """Design-based means per school (the school's respondents as units, the school a stratum:
    ``survey_design(dw, strata="school_id", weight="weight")``) a chunk of schools at a time,
    with the design df (#respondents − #schools) of the whole table.

    Examples
    --------
    >>> school_estimates_in_chunks(dw, ["tension"], lonely_psu="certainty", size=2000)  # doctest: +SKIP
    R: svyby(~tension, ~school_id, svydesign(ids = ~1, strata = ~school_id, weights = ~weight,
       data = dw), svymean)
    """
    from ..design import estimate_by, survey_design
    chunks = [(None, dw)] if size is None else school_chunks(dw, size)
    out = []
    for _, part in chunks:
        part = part.reset_index(drop=True)
        within = survey_design(part, strata="school_id", weight="weight", lonely_psu=lonely_psu)
        out.append(estimate_by(within, variables, by="school_id"))
    est = pd.concat(out, ignore_index=True)
    df = len(dw) - dw["school_id"].nunique()
    est = with_design_df(est, df)
    order = pd.Categorical(est["variable"], categories=list(dict.fromkeys(variables)))
    return est.assign(_v=order).sort_values(["_v", "school_id"], kind="stable").drop(
        columns="_v").reset_index(drop=True)


@public
def municipal_estimates_in_chunks(dw: pd.DataFrame, variables: list[str], group: str, *,
                                  lonely_psu: str, size: int, where: str) -> pd.DataFrame:
    """Municipal means of one group and wave on the multistage design, from cluster moments
    added over chunks of schools (:func:`~shnro_research.engine.moments.municipal_from_moments`).

    Examples
    --------
    >>> municipal_estimates_in_chunks(dw, ["tension"], "students", lonely_psu="certainty",
    ...                               size=2000, where="design")            # doctest: +SKIP
    R: svymean(~tension, municipal design, deff = TRUE)
    """
    parts = [cluster_moments(part, variables) for _, part in school_chunks(dw, size)]
    mom = combine_cluster_moments(pd.concat(parts, ignore_index=True), variables)
    return municipal_from_moments(mom, variables, group, lonely_psu=lonely_psu, where=where)
