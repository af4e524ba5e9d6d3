"""Clusters of schools on standardised profiles, with the silhouette and the gap statistic."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import as_list, check_columns, check_number, check_option
from ..errors import DataError, ParameterError
from ._common import _check_unique, _numeric

__all__ = ["ClusterResult", "cluster_schools"]


@dataclass
class ClusterResult:
    """Result of :func:`cluster_schools`.

    Attributes
    ----------
    criteria : DataFrame
        Per k (k = 1 included for the gap rule): ``within_ss``, ``log_w``, ``silhouette``,
        ``calinski_harabasz``, ``gap``, ``gap_se``, ``gap_n`` (rows used for the gap), ``chosen``.
    k : int
        Chosen number of clusters; ``k_silhouette`` and ``k_gap`` the choice of each criterion.
    labels : DataFrame
        School key(s) and ``type``: the cluster, 1..k (1 = lowest mean standardised profile);
        typology classes are ``type`` throughout the package.
    profiles : DataFrame
        Per cluster (``type``) and variable: ``est`` (raw mean), ``sd``, ``n``, ``z_mean``
        (standardised mean).
    excluded : DataFrame
        Schools left out (missing profile values), with the reason.
    """

    criteria: pd.DataFrame
    k: int
    k_silhouette: int | None
    k_gap: int | None
    labels: pd.DataFrame
    profiles: pd.DataFrame
    excluded: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """One row per cluster and profile variable: the parameters of the clustering
        (``type`` = the cluster, ``variable``, ``est`` = raw mean, ``sd``, ``n``, ``z_mean``)."""
        return self.profiles

    def glance(self) -> pd.DataFrame:
        """One row: ``method``, ``k``, ``k_silhouette``, ``k_gap``, ``criterion``, ``n`` (schools
        clustered), ``n_excluded``, ``n_variables``, and the silhouette, Calinski-Harabasz,
        gap and within sum of squares at the chosen k."""
        s = self.settings
        row = self.criteria.loc[self.criteria["k"] == self.k]
        at = (lambda c: float(row[c].iloc[0]) if len(row) else np.nan)
        return pd.DataFrame([{
            "method": s.get("method"), "k": self.k, "k_silhouette": self.k_silhouette,
            "k_gap": self.k_gap, "criterion": s.get("criterion"), "n": len(self.labels),
            "n_excluded": len(self.excluded), "n_variables": len(s.get("columns", [])),
            "silhouette": at("silhouette"), "calinski_harabasz": at("calinski_harabasz"),
            "gap": at("gap"), "within_ss": at("within_ss"), "seed": s.get("seed")}])

    def summary(self) -> str:
        """Printable text: the fit header, the cluster profiles (parameter table) and the
        criteria per k."""
        from .._summary import summary_text  # noqa: PLC0415
        g = self.glance().iloc[0]
        s = self.settings
        prof = self.profiles.pivot(index="variable", columns="type", values="est")
        prof.columns = [f"cluster {c}" for c in prof.columns]
        prof = prof.reindex(s.get("columns", list(prof.index))).reset_index()
        sizes = self.labels["type"].value_counts().sort_index()
        header = [("Method", s.get("method")), ("No. schools", int(g["n"])),
                  ("Chosen k", self.k), ("Chosen by", s.get("criterion")),
                  ("k (silhouette)", self.k_silhouette), ("k (gap)", self.k_gap),
                  ("Excluded", int(g["n_excluded"])), ("Standardised", s.get("standardise")),
                  ("Silhouette", g["silhouette"]), ("Seed", s.get("seed"))]
        crit = self.criteria[["k", "within_ss", "silhouette", "calinski_harabasz", "gap", "gap_se",
                              "chosen"]]
        return summary_text("Cluster analysis of schools", header,
                            [(None, prof, "variable"), ("Criteria by k", crit, None)],
                            notes=["profile table: raw means of the variables per cluster "
                                   "(1 = lowest mean standardised profile)",
                                   "cluster sizes: " + ", ".join(f"{c}: {n}" for c, n in sizes.items())])


def _fit_labels(X: np.ndarray, k: int, method: str, seed: int, n_init: int,
                ward_tree=None) -> np.ndarray:
    if k == 1:
        return np.zeros(len(X), int)
    if method == "kmeans":
        from sklearn.cluster import KMeans  # noqa: PLC0415
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X).labels_
    from scipy.cluster.hierarchy import fcluster  # noqa: PLC0415
    return fcluster(ward_tree, t=k, criterion="maxclust") - 1


def _one_thread():
    from threadpoolctl import threadpool_limits  # noqa: PLC0415
    return threadpool_limits(limits=1, user_api="openmp")


def _ward_tree(X: np.ndarray):
    from scipy.cluster.hierarchy import linkage  # noqa: PLC0415
    return linkage(X, method="ward")


def _within_ss(X: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for c in np.unique(labels):
        xc = X[labels == c]
        total += float(((xc - xc.mean(axis=0)) ** 2).sum())
    return total


def cluster_schools(profiles: pd.DataFrame, columns: Sequence[str], *, school: str | Sequence[str] = "school_id",
                    method: str = "kmeans", k_range: Sequence[int] = range(2, 9), k: int | None = None,
                    criterion: str = "silhouette", standardise: bool = True, seed: int = 0,
                    n_init: int = 5, n_refs: int = 20, silhouette_sample: int | None = 5000,
                    gap_sample: int | None = 5000, max_ward_n: int = 15000) -> ClusterResult:
    """Cluster schools on standardised profiles (k-means or Ward) and justify the number of clusters.

    For every k in ``k_range`` the function reports the within-cluster sum of squares ``W_k``, the
    mean silhouette width and the gap statistic (Tibshirani et al. 2001):

    .. math:: \\mathrm{Gap}(k) = \\overline{\\log W^*_k} - \\log W_k, \\qquad
              s_k = \\mathrm{sd}(\\log W^*_k) \\sqrt{1 + 1/B}

    with ``B = n_refs`` reference data sets drawn uniformly in the box aligned with the principal
    components of the data (R ``cluster::clusGap`` default ``spaceH0 = "scaledPCA"``) and ``W_k``
    the pooled within-cluster sum of *squared* Euclidean distances to the centroids
    (``clusGap(d.power = 2)``). ``k_gap`` = the smallest k with
    ``Gap(k) >= Gap(k+1) - s_{k+1}`` (``method = "Tibs2001SEmax"``); ``k_silhouette`` = the k with
    the largest mean silhouette. ``k`` (if given) overrides both. For speed the reference data sets
    are clustered with a single k-means start (their W*_k are averaged over B sets anyway) and,
    with more than ``gap_sample`` schools, the gap statistic is computed on a random subsample of
    that size (column ``gap_n``). scikit-learn's k-means runs on one OpenMP thread here
    (``threadpoolctl``): the ~150 fits are small, and their thread start-up cost far more
    than the arithmetic on a shared machine.

    Parameters
    ----------
    profiles : DataFrame
        One row per school.
    columns : list of str
        Profile variables (numeric). Rows with any missing value are excluded and listed.
    method : {"kmeans", "ward"}
        ``kmeans``: scikit-learn ``KMeans(n_init, random_state=seed)``; ``ward``: Ward's minimum-variance
        hierarchical clustering (scipy ``linkage(method="ward")``, the same criterion as
        scikit-learn ``AgglomerativeClustering(linkage="ward")``; O(n²) memory, so at most
        ``max_ward_n`` schools).
    criterion : {"silhouette", "gap"}
    standardise : bool
        z-standardise every column (ddof=1) before clustering (recommended: profiles mix units).
    seed : int
        Seed of k-means, of the reference data and of the silhouette subsample.
    silhouette_sample : int, optional
        Silhouette on a random subsample of this size when there are more schools (O(n²)).
    gap_sample : int, optional
        Gap statistic on a random subsample of this size when there are more schools.
    n_init : int
        k-means starts for the data (R ``kmeans(nstart=)``).

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> res = cluster_schools(schools, ["index", "mean_ege", "share_2"], method="kmeans")  # doctest: +SKIP
    >>> res.criteria; res.profiles                                                        # doctest: +SKIP

    R equivalent::

        X <- scale(schools[, cols]); km <- kmeans(X, k, nstart = 5)
        cluster::clusGap(X, kmeans, K.max = 8, B = 20, d.power = 2)
        mean(cluster::silhouette(km$cluster, dist(X))[, 3])
    """
    check_option(method, "method", ("kmeans", "ward"))
    check_option(criterion, "criterion", ("silhouette", "gap"))
    check_number(seed, "seed", low=0, integer=True)
    check_number(n_init, "n_init", low=1, integer=True)
    check_number(n_refs, "n_refs", low=2, integer=True)
    cols = list(columns)
    if not cols:
        raise ParameterError("'columns' must name at least one profile variable")
    keys = as_list(school)
    check_columns(profiles, [*keys, *cols], "profiles")
    _check_unique(profiles, keys, "profiles")
    ks = sorted({int(check_number(v, "k_range", low=2, integer=True)) for v in k_range})
    if not ks:
        raise ParameterError("'k_range' must contain at least one k >= 2")
    if k is not None:
        check_number(k, "k", low=2, integer=True)
        if k not in ks:
            ks = sorted(set(ks) | {k})
    vals = pd.DataFrame({c: _numeric(profiles, c, "profiles") for c in cols})
    ok = vals.notna().all(axis=1)
    excluded = profiles.loc[~ok, keys].copy()
    excluded["reason"] = ["missing " + ",".join(c for c in cols if pd.isna(vals.loc[i, c])) for i in excluded.index]
    X_raw = vals[ok].to_numpy(float)
    n = len(X_raw)
    if n < max(ks) + 1:
        raise DataError(f"profiles: {n} complete rows; at least {max(ks) + 1} needed for k up to {max(ks)}")
    if method == "ward" and n > max_ward_n:
        raise ParameterError(f"method='ward' needs O(n^2) memory; {n} schools > max_ward_n={max_ward_n} "
                             "(use method='kmeans' or raise max_ward_n)")
    if standardise:
        sd = X_raw.std(axis=0, ddof=1)
        if np.any(sd == 0):
            raise DataError(f"profiles: column(s) {[c for c, s in zip(cols, sd) if s == 0]} are constant")
        X = (X_raw - X_raw.mean(axis=0)) / sd
    else:
        X = X_raw
    from sklearn.metrics import calinski_harabasz_score, silhouette_score  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    # one OpenMP thread for scikit-learn's k-means: ~150 fits of small data, where the thread
    # start-up and spin-wait cost 100x the arithmetic on a loaded machine (same labels)
    with _one_thread():
        tree = _ward_tree(X) if method == "ward" else None
        all_k = sorted({1, *ks, max(ks) + 1})
        labels_k = {kk: _fit_labels(X, kk, method, seed, n_init, tree) for kk in all_k}
        logw = {kk: np.log(_within_ss(X, labels_k[kk])) for kk in all_k}
        # gap statistic (on a subsample for large n), reference data: scaledPCA box
        if gap_sample is not None and n > gap_sample:
            check_number(gap_sample, "gap_sample", low=10, integer=True)
            Xg = X[np.sort(rng.choice(n, gap_sample, replace=False))]
            tree_g = _ward_tree(Xg) if method == "ward" else None
            logw_g = {kk: np.log(_within_ss(Xg, _fit_labels(Xg, kk, method, seed, n_init, tree_g)))
                      for kk in all_k}
        else:
            Xg, logw_g = X, logw
        mu = Xg.mean(axis=0)
        Xc = Xg - mu
        _, _, vt = np.linalg.svd(Xc, full_matrices=False)
        Xr = Xc @ vt.T
        lo, hi = Xr.min(axis=0), Xr.max(axis=0)
        logw_ref = np.empty((n_refs, len(all_k)))
        for b in range(n_refs):
            Z = rng.uniform(lo, hi, size=Xr.shape) @ vt + mu
            tz = _ward_tree(Z) if method == "ward" else None
            for j, kk in enumerate(all_k):
                lab = _fit_labels(Z, kk, method, seed + b + 1, 1, tz)
                logw_ref[b, j] = np.log(_within_ss(Z, lab))
    gap = logw_ref.mean(axis=0) - np.array([logw_g[kk] for kk in all_k])
    se = logw_ref.std(axis=0, ddof=1) * np.sqrt(1 + 1 / n_refs)
    gap_d = dict(zip(all_k, gap))
    se_d = dict(zip(all_k, se))
    rows = []
    samp = silhouette_sample if (silhouette_sample is not None and n > silhouette_sample) else None
    for kk in [1, *ks]:
        lab = labels_k[kk]
        nlab = len(np.unique(lab))
        sil = (float(silhouette_score(X, lab, sample_size=samp, random_state=seed))
               if kk > 1 and 1 < nlab < n else np.nan)
        ch = float(calinski_harabasz_score(X, lab)) if kk > 1 and nlab > 1 else np.nan
        rows.append({"k": kk, "within_ss": float(np.exp(logw[kk])), "log_w": logw[kk], "silhouette": sil,
                     "calinski_harabasz": ch, "gap": gap_d[kk], "gap_se": se_d[kk], "gap_n": len(Xg)})
    crit = pd.DataFrame(rows)
    k_sil = int(crit.loc[crit["silhouette"].idxmax(), "k"]) if crit["silhouette"].notna().any() else None
    k_gap = None
    for kk in [1, *ks]:
        nxt = kk + 1
        if nxt in gap_d and gap_d[kk] >= gap_d[nxt] - se_d[nxt]:
            k_gap = kk
            break
    if k is not None:
        chosen, how = k, "user"
    elif criterion == "gap":
        if k_gap is None or k_gap == 1:
            chosen = k_sil if k_sil is not None else ks[0]
            how = f"gap (gap chose k={k_gap}; fell back to silhouette)"
        else:
            chosen, how = k_gap, "gap"
    else:
        chosen, how = k_sil, "silhouette"
    crit["chosen"] = crit["k"] == chosen
    lab = labels_k[chosen]
    # relabel: 1 = lowest mean standardised profile
    order = sorted(np.unique(lab), key=lambda c: X[lab == c].mean())
    remap = {c: i + 1 for i, c in enumerate(order)}
    lab = np.array([remap[c] for c in lab])
    labels = profiles.loc[ok, keys].reset_index(drop=True)
    labels["type"] = lab
    prof_rows = []
    for c in sorted(np.unique(lab)):
        m = lab == c
        for j, col in enumerate(cols):
            prof_rows.append({"type": c, "variable": col, "est": float(X_raw[m, j].mean()),
                              "sd": float(X_raw[m, j].std(ddof=1)) if m.sum() > 1 else np.nan,
                              "n": int(m.sum()), "z_mean": float(X[m, j].mean())})
    settings = dict(method=method, columns=cols, criterion=how, standardise=standardise,
                    seed=seed, n_init=n_init, n_refs=n_refs, k_range=ks)
    return ClusterResult(criteria=crit, k=int(chosen), k_silhouette=k_sil, k_gap=k_gap, labels=labels,
                         profiles=pd.DataFrame(prof_rows), excluded=excluded.reset_index(drop=True),
                         settings=settings)
