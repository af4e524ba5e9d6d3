"""The Dask engine (``engine: {backend: dask, scheduler: local | <address>}``): reading,
validation, scoring and the design-based estimates on :mod:`dask.dataframe` with the
distributed scheduler, on one machine (a ``distributed.LocalCluster``) or a cluster
(``dask scheduler`` / ``dask worker`` processes sharing the study folder; docs/SCALING.md).

What runs where
    * on the workers, partition by partition: reading the parquet tables, the row checks of
      validation (answers outside the declared codes, per partition; see
      :func:`validate_partitions`), scale scores (row by row), the sums of reliability
      (:func:`~shnro_research.engine.moments.reliability_moments`), the cluster moments of the
      municipal design and the per-school design estimates (partitions shuffled so that each
      school lies in one partition);
    * in the client, on the small sums: alpha, omega, Feldt CI, the municipal variance from the
      cluster totals, the pooled tables (tension balance, Rokeach, PVQ, needs) from the columns
      they read.

The numbers equal the pandas engine's up to the order of floating-point additions
(tests/test_engine_dask.py, rtol 1e-10).
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..scoring import instrument as score
from .moments import (ReliabilityMoments, cluster_moments, combine_cluster_moments,
                      municipal_from_moments, reliability_from_moments, reliability_moments,
                      with_design_df)
from .stages import POOLED_IDS, agreement_columns, compact_answers


def _dd():
    try:
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ParameterError("engine.backend 'dask' needs dask[dataframe] and distributed "
                             "(pip install 'dask[dataframe]' distributed)") from exc
    return dd


@contextlib.contextmanager
def dask_client(engine: dict):
    """A ``distributed.Client`` for the engine block: ``scheduler: local`` starts a
    ``LocalCluster`` of ``workers`` single-threaded workers in this process (threads; closed on
    exit); any other value is the address of a running scheduler (``tcp://host:8786``)."""
    from distributed import Client, LocalCluster
    sched = engine.get("scheduler", "local")
    if sched == "local":
        with LocalCluster(n_workers=int(engine.get("workers", 2)), threads_per_worker=1,
                          processes=False, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client
    else:
        with Client(sched, timeout=engine.get("timeout", 30)) as client:
            yield client


def map_tasks(fn: Callable, jobs: list[tuple], engine: dict) -> list:
    """``[fn(*job) for job in jobs]`` as tasks of the distributed scheduler (one task a job; the
    results come back in the order of ``jobs``). On a cluster ``fn`` must be importable on the
    workers (the package installed there) and the files it reads on the shared storage."""
    with dask_client(engine) as client:
        # arguments bound in a partial: dask would unpack dataclass arguments (files, instruments)
        futures = [client.submit(functools.partial(fn, *job), pure=False) for job in jobs]
        return client.gather(futures)


def read_parquet(path: Path, partition_rows: int | None = None):
    """A parquet table as a dask DataFrame (one partition per row group, or about
    ``partition_rows`` rows a partition)."""
    dd = _dd()
    ddf = dd.read_parquet(str(path))
    if partition_rows:
        n = max(1, -(-len(ddf) // partition_rows))
        ddf = ddf.repartition(npartitions=n)
    return ddf


def _moments_part(part: pd.DataFrame, inst) -> pd.Series:
    """The reliability sums of one partition, as a one-element object Series."""
    return pd.Series([reliability_moments(part, inst)], dtype=object)


def _score_part(part: pd.DataFrame, inst, group: str) -> pd.DataFrame:
    return score.score_respondents(part, inst, group)


def score_groups_dask(paths: dict[str, Path], groups: list[str], instrument: Callable,
                      engine: dict, keep: list[str]):
    """Scores, reliability, pooled answers and the teachers' answers, as
    :func:`~shnro_research.engine.stages.score_groups`, on Dask."""
    import dask
    scores, rel, pooled, whole = [], [], [], {}
    with dask_client(engine):
        for g in groups:
            inst = instrument(g)
            ddf = read_parquet(paths[g], engine.get("partition_rows") or None)
            meta = _score_part(ddf._meta, inst, g)
            sc = ddf.map_partitions(_score_part, inst, g, meta=meta)
            mom = ddf.map_partitions(_moments_part, inst, meta=(None, object))
            cols = [c for c in dict.fromkeys(list(POOLED_IDS) + keep) if c in ddf.columns]
            sub = ddf[cols]
            agree = ddf[[c for c in agreement_columns(inst) if c in ddf.columns]]
            wanted = [sc, mom, sub] + ([agree] if g == "teachers" else [])
            got = dask.compute(*wanted)
            scores.append(got[0].reset_index(drop=True))
            rel.append(reliability_from_moments(sum(got[1], ReliabilityMoments(inst.scale_keys())),
                                                inst, g))
            pooled.append(compact_answers(got[2].reset_index(drop=True)).assign(group=g))
            if g == "teachers":
                whole[g] = got[3].reset_index(drop=True)
    return (pd.concat(scores, ignore_index=True), pd.concat(rel, ignore_index=True),
            pd.concat(pooled, ignore_index=True), whole)


def _school_part(part: pd.DataFrame, variables: list[str], lonely_psu: str) -> pd.DataFrame:
    from ..design import estimate_by, survey_design
    if not len(part):
        return _school_meta(variables)
    part = part.reset_index(drop=True)
    within = survey_design(part, strata="school_id", weight="weight", lonely_psu=lonely_psu)
    return estimate_by(within, variables, by="school_id")


def _school_meta(variables) -> pd.DataFrame:
    return pd.DataFrame({"variable": pd.Series(dtype=object), "category": pd.Series(dtype=object),
                         "school_id": pd.Series(dtype=object),
                         **{c: pd.Series(dtype=float) for c in ("est", "se", "ci_low", "ci_high",
                                                                "df")},
                         "n": pd.Series(dtype="int64"), "n_eff": pd.Series(dtype=float),
                         "deff": pd.Series(dtype=float)})


def design_estimates_dask(parts: list[tuple[str, object, pd.DataFrame, list[str]]], *,
                          lonely_psu: str, engine: dict) -> list[tuple[pd.DataFrame, ...]]:
    """Municipal and per-school estimates of each ``(group, wave, dw, variables)`` on Dask:
    the respondents are partitioned by school (a school in one partition); per partition the
    cluster moments of the municipal design and the per-school estimates are computed on the
    workers; the client finishes the municipal variance from the cluster sums and sets the
    per-school design df (#respondents − #schools of the whole table)."""
    import dask
    dd = _dd()
    out = []
    with dask_client(engine):
        for group, wave, dw, variables in parts:
            nparts = max(1, int(engine.get("workers", 2)) * 2)
            ddf = dd.from_pandas(dw, npartitions=nparts, sort=False)
            ddf = ddf.shuffle("school_id", npartitions=nparts)
            mom_meta = cluster_moments(dw.iloc[:0], variables)
            mom = ddf.map_partitions(cluster_moments, variables, meta=mom_meta)
            est = ddf.map_partitions(_school_part, variables, lonely_psu,
                                     meta=_school_part(dw.iloc[:0], variables, lonely_psu))
            mom_pd, est_pd = dask.compute(mom, est)
            mom_pd = combine_cluster_moments(mom_pd.reset_index(drop=True), variables)
            mun = municipal_from_moments(mom_pd, variables, group, lonely_psu=lonely_psu,
                                         where=f"design, municipal estimates of {group} {wave}")
            est_pd = with_design_df(est_pd.reset_index(drop=True),
                                    len(dw) - dw["school_id"].nunique())
            order = pd.Categorical(est_pd["variable"], categories=list(dict.fromkeys(variables)))
            est_pd = est_pd.assign(_v=order).sort_values(["_v", "school_id"], kind="stable") \
                .drop(columns="_v").reset_index(drop=True)
            est_pd["n"] = est_pd["n"].astype(np.int64)
            out.append((mun, est_pd))
    return out
