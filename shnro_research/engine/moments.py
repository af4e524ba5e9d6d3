"""Sufficient statistics that add up over chunks of schools (or Dask partitions), and the
statistics finished from them: scale reliability (alpha, standardised alpha, mean inter-item r,
omega total) and design-based municipal means.

Reliability
    Per group (wave or all) and scale and missing-data rule, the sums
    :math:`N = M'M`, :math:`S_x = X_0'M`, :math:`S_{xy} = X_0'X_0` of the item block
    :math:`X_0` shifted by each item's declared midpoint ((min + max) / 2; missing cells 0) and
    its indicator :math:`M` of answered cells (listwise: over the complete rows only). They add
    over any split of the respondents; the pairwise covariance is
    :math:`(S_{xy} - S_x S_x' / N) / (N - 1)` (shift-invariant), as in
    :func:`shnro_research.scoring.reliability`, which finishes alpha, omega and the Feldt CI
    from the covariance with the same functions.

Municipal means (multistage design)
    Per ultimate cluster (class; for teachers each teacher): the weight sum :math:`W_c`, the
    weighted sum :math:`Y_c`, the count :math:`N_c` and the within-cluster weighted sum of
    squares :math:`M2_c` of each variable. Partial moments of one cluster from different parts
    combine exactly (Chan, Golub & LeVeque 1979):
    :math:`M2 = \\sum_i [M2_i + W_i(\\bar y_i - \\bar y)^2]`. The Taylor-linearised variable of a
    ratio mean, summed over a cluster, is :math:`(Y_c - \\bar y W_c)/W`, so the variance of R
    ``svymean`` (``svyrecvar``) follows from the cluster rows alone, with the same design
    stages (strata, fpc, lonely-PSU policy) built on one row per cluster.

References: Lumley T. (2010) *Complex Surveys*, ch. 2–3; Chan T.F., Golub G.H., LeVeque R.J.
(1979) Updating formulae and a pairwise algorithm for computing sample variances.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._checks import tidy
from ..scoring.instrument import bounds
from ..scoring.reliability import (_alpha_from_cov, _block_frame, _cov_from_sums, _feldt_vec,
                                   _finish_omega, _group_notes, _key_grouped, _prepare,
                                   _queue_omega, _scale_block)

RULES = ("listwise", "pairwise")


# ============================================================================ reliability
@dataclass
class ReliabilityMoments:
    """Sums of one respondent group's items, per wave, that add over chunks (``a + b``)."""

    keys: dict                      # scale -> keys list of the instrument
    sums: dict = field(default_factory=dict)   # (wave, scale, rule) -> (nn, sx, sxy)

    def __add__(self, other: "ReliabilityMoments") -> "ReliabilityMoments":
        out = dict(self.sums)
        for k, (a, b, c) in other.sums.items():
            if k in out:
                x, y, z = out[k]
                out[k] = (x + a, y + b, z + c)
            else:
                out[k] = (a, b, c)
        return ReliabilityMoments(self.keys, out)

    __radd__ = __add__


def _sums(xb: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = np.isfinite(xb)
    mf = m.astype(float)
    x0 = np.where(m, xb - shift, 0.0)
    return mf.T @ mf, x0.T @ mf, x0.T @ x0


def reliability_moments(data: pd.DataFrame, instrument) -> ReliabilityMoments:
    """The sums of every scale of ``instrument`` in ``data`` (one group), per wave.

    Answers outside the declared codes count as missing (as
    :func:`~shnro_research.scoring.instrument.scale_reliability`).
    """
    keys = instrument.scale_keys()
    items = sorted({i.lstrip("-") for k in keys.values() for i in k})
    lo, hi = bounds(instrument, items)
    parsed, items, x, lo_a, hi_a = _prepare(data, keys, lo, hi, "missing")
    waves = data["wave"].to_numpy()
    out = ReliabilityMoments(keys)
    for scale in parsed:
        _, _, xb, const = _scale_block(parsed, items, x, lo_a, hi_a, scale)
        shift = const / 2 if const is not None else np.zeros(xb.shape[1])
        complete = np.isfinite(xb).all(axis=1)
        for w in pd.unique(waves):
            rows = waves == w
            out.sums[(w, scale, "pairwise")] = _sums(xb[rows], shift)
            out.sums[(w, scale, "listwise")] = _sums(xb[rows & complete], shift)
    return out


def _finish_groups(gkeys: pd.DataFrame, scale: str, k: int, signs, const, shift,
                   per_rule: dict, blocks: list, fa_jobs: list) -> None:
    """Alpha, std alpha, mean r, Feldt CI and omega per group, as
    :func:`shnro_research.scoring.reliability` does from its covariance stack."""
    n_groups = len(gkeys)
    for rule in RULES:
        nn, sx, sxy = per_rule[rule]
        cov = _cov_from_sums(nn, sx, sxy)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = shift + np.diagonal(sx, axis1=1, axis2=2) / np.diagonal(nn, axis1=1, axis2=2)
        cov, nn, _ = _key_grouped({rule: (cov, nn, mean)}, signs, const)[rule]
        if rule == "listwise":       # fewer than 2 complete rows: no covariance (as in-memory)
            cov = np.where((nn < 2), np.nan, cov)
        st = _alpha_from_cov(cov)
        n_min, n_max, finite, notes = _group_notes(cov, nn, k, rule, n_groups)
        note_txt = np.array(["; ".join(nt) for nt in notes], dtype=object)
        nan = np.full(n_groups, np.nan)
        for measure in ("alpha_raw", "alpha_std", "average_r"):
            est = st[measure] if k >= 2 else nan
            ci_lo, ci_hi, method = nan, nan, None
            if measure == "alpha_raw":
                ci_lo, ci_hi = _feldt_vec(est, n_min, k, 0.95)
                method = "feldt"
            blocks.append(_block_frame(gkeys, scale, rule, k, measure, method, note_txt, est,
                                       nan, ci_lo, ci_hi, n_min, n_max))
        _queue_omega(blocks, fa_jobs, gkeys, scale, rule, k, notes, finite, st["r"], n_min,
                     n_max)


def reliability_from_moments(mom: ReliabilityMoments, instrument, group: str) -> pd.DataFrame:
    """The table of :func:`~shnro_research.scoring.instrument.scale_reliability` (all waves as
    ``wave == "all"``, then by wave) from the added-up sums of every chunk."""
    keys = mom.keys
    from ..scoring._common import keys_items, parse_keys
    parsed = parse_keys(keys)
    items = keys_items(parsed)
    lo, hi = bounds(instrument, items)
    waves = sorted({w for (w, _, _) in mom.sums})
    parts = []
    for by in (None, "wave"):
        gkeys = pd.DataFrame({"wave": waves}) if by else pd.DataFrame(index=[0])
        blocks, fa_jobs = [], []
        for scale in parsed:
            idx = [items.index(n) for n, _ in parsed[scale]]
            signs = np.array([s for _, s in parsed[scale]])
            const = np.array([lo[items[i]] + hi[items[i]] for i in idx], dtype=float)
            per_rule = {}
            for rule in RULES:
                arr = [mom.sums[(w, scale, rule)] for w in waves]
                if by:
                    per_rule[rule] = tuple(np.stack([a[j] for a in arr]) for j in range(3))
                else:
                    per_rule[rule] = tuple(sum(a[j] for a in arr)[None] for j in range(3))
            _finish_groups(gkeys, scale, len(idx), signs, const, const / 2, per_rule, blocks,
                           fa_jobs)
        _finish_omega(fa_jobs, blocks)
        out = pd.concat(blocks, ignore_index=True)
        if by:
            out = out.sort_values([by], kind="stable")
        out = tidy(out)
        out["n"] = out["n"].astype(np.int64)
        out["n_max"] = out["n_max"].astype(np.int64)
        parts.append(out.assign(group=group, **({} if by else {"wave": "all"})))
    rel = pd.concat(parts, ignore_index=True)
    rel["wave"] = rel["wave"].astype(str)
    return rel


# ============================================================================ design
#: columns that identify an ultimate cluster of the municipal design (and its fpc)
CLUSTER = ["stratum", "school_id", "psu2"]
FPC = ["fpc_schools", "fpc_units"]


def cluster_moments(data: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Per ultimate cluster (``stratum, school_id, psu2`` with the fpc columns; data from
    :func:`~shnro_research.design.frame.attach_design`): ``w_all`` (weight sum of all rows) and
    per variable ``W__v, Y__v, N__v, M2__v`` (weight sum, weighted sum, count of rows with a
    value, weighted sum of squares about the cluster mean)."""
    keys = CLUSTER + [c for c in FPC if c in data.columns]
    d = data[keys + ["weight"] + list(variables)].copy()
    w = d["weight"].to_numpy(dtype=float)
    cols = {"w_all": w}
    for v in variables:
        y = d[v].to_numpy(dtype=float)
        ok = np.isfinite(y)
        cols[f"W__{v}"] = np.where(ok, w, 0.0)
        cols[f"Y__{v}"] = np.where(ok, w * y, 0.0)
        cols[f"N__{v}"] = ok.astype(float)
    g = pd.concat([d[keys].reset_index(drop=True), pd.DataFrame(cols)], axis=1)
    grp = g.groupby(keys, sort=True, dropna=False)
    sums = grp.sum()
    inv = grp.ngroup().to_numpy()
    for v in variables:
        y = d[v].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_c = (sums[f"Y__{v}"] / sums[f"W__{v}"]).to_numpy()
        dev = np.where(np.isfinite(y), y - mean_c[inv], 0.0)
        sums[f"M2__{v}"] = np.bincount(inv, weights=cols[f"W__{v}"] * dev * dev,
                                       minlength=len(sums))
    return sums.reset_index()


def combine_cluster_moments(parts: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Add up partial cluster moments (rows of the same cluster from different chunks or
    partitions) with the pairwise update of the sums of squares."""
    keys = [c for c in CLUSTER + FPC if c in parts.columns]
    grp = parts.groupby(keys, sort=True, dropna=False)
    if grp.ngroups == len(parts):
        return parts.sort_values(keys, kind="stable").reset_index(drop=True)
    sums = grp[[c for c in parts.columns if c not in keys and not c.startswith("M2__")]].sum()
    inv = grp.ngroup().to_numpy()
    for v in variables:
        W_i, Y_i = parts[f"W__{v}"].to_numpy(), parts[f"Y__{v}"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            m_i = np.where(W_i > 0, Y_i / W_i, 0.0)
            m = (sums[f"Y__{v}"] / sums[f"W__{v}"]).to_numpy()[inv]
        extra = np.where(W_i > 0, W_i * (m_i - m) ** 2, 0.0)
        sums[f"M2__{v}"] = np.bincount(inv, weights=parts[f"M2__{v}"].to_numpy() + extra,
                                       minlength=len(sums))
    return sums.reset_index()


def municipal_from_moments(mom: pd.DataFrame, variables: list[str], group: str, *,
                           lonely_psu: str, where: str) -> pd.DataFrame:
    """Municipal means of ``variables`` (one group and wave) from its cluster moments: the
    table of :func:`~shnro_research.design.estimate_by` on
    :func:`~shnro_research.design.frame.municipal_design` of the respondents.

    The design is built on one row per cluster with the same stages, fpc and lonely-PSU policy
    (the weights do not enter the stages); the linearised variable summed per cluster,
    :math:`(Y_c - \\bar y W_c)/W`, gives the variance of ``svymean``; the deff uses
    :math:`s^2_w = \\sum M2 / W \\cdot n/(n-1)` against SRS without replacement.

    R: ``svymean(~v, svydesign(ids = ~school_id + psu2, strata = ~stratum, fpc = ~fpc_schools +
    fpc_units, weights = ~weight, data = d), deff = TRUE)``.
    """
    from ..design.estimates import _finish
    from ..design.frame import municipal_design
    from ..design.spec import _taylor_var
    red = mom.rename(columns={"w_all": "weight"}).reset_index(drop=True)
    des = municipal_design(red, group, lonely_psu=lonely_psu, where=where)
    frames = []
    for v in variables:
        Wc, Yc, Nc = (red[f"{p}__{v}"].to_numpy() for p in ("W", "Y", "N"))
        rows = np.flatnonzero(Nc > 0)
        W, Y, N = Wc[rows].sum(), Yc[rows].sum(), Nc[rows].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = Y / W
            val = (Yc[rows] - mean * Wc[rows]) / W
            mc = Yc[rows] / Wc[rows]
            ss = (red[f"M2__{v}"].to_numpy()[rows] + Wc[rows] * (mc - mean) ** 2).sum()
            svyvar = ss / W * N / (N - 1)
        var = _taylor_var(des, rows, np.zeros(len(rows), np.int64), val, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            vsrs = svyvar * (W - N) / (W * N)
            deff = np.where(W >= N, var / vsrs, np.nan)
        t = pd.DataFrame({"variable": [v]})
        t = _finish(des, t, np.array([mean]), np.sqrt(var), np.array([N]), deff, "t", 0.95)
        t.insert(1, "category", None)
        frames.append(t)
    return tidy(pd.concat(frames, ignore_index=True))


def with_design_df(table: pd.DataFrame, df: float, level: float = 0.95) -> pd.DataFrame:
    """Set the design degrees of freedom of a table of estimates computed on a part of the
    design (a chunk of schools) to those of the whole design, with its t intervals
    ``est ∓ t_{df} se`` (as ``estimate_by``: R ``confint(est, df = degf(design))``)."""
    from scipy import stats
    out = table.copy()
    q = stats.t.ppf(1 - (1 - level) / 2, np.full(len(out), df, dtype=float))
    out["ci_low"] = out["est"] - q * out["se"]
    out["ci_high"] = out["est"] + q * out["se"]
    out["df"] = df
    return out
