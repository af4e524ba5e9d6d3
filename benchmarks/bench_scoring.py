"""Benchmark: scale scoring + reliability of N respondents x 60 items in 6 scales.

Compares shnro_research.scoring (covariance / cross-product matrices with numpy, one pass per
scale) with R psych (``scoreItems`` + ``alpha`` per scale, via Rscript; skipped with a message
when Rscript or psych is absent) and pingouin.cronbach_alpha on the same data. Prints times,
ratios and peak memory (Python: tracemalloc in a separate run; R: gc() "max used").

Usage:  python benchmarks/bench_scoring.py [--n 1000000] [--missing 0.01] [--seed 1]
The data are generated once per (n, missing, seed) and cached as CSV in benchmarks/results/
(git-ignored) for R.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from shnro_research.scoring import item_analysis, reliability, score_scales

N_SCALES, N_PER = 6, 10
ITEMS = [f"s{s + 1}_i{j + 1}" for s in range(N_SCALES) for j in range(N_PER)]
KEYS = {f"scale{s + 1}": [("-" if j in (2, 7) else "") + f"s{s + 1}_i{j + 1}" for j in range(N_PER)]
        for s in range(N_SCALES)}


def make_data(n: int, missing: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    for s in range(N_SCALES):
        lat = rng.standard_normal(n).astype(np.float32)
        for j in range(N_PER):
            sign = -1 if j in (2, 7) else 1
            v = np.clip(np.rint(3 + sign * 0.8 * lat + rng.standard_normal(n, dtype=np.float32)), 1, 5)
            if missing > 0:
                v[rng.random(n, dtype=np.float32) < missing] = np.nan
            cols[f"s{s + 1}_i{j + 1}"] = v.astype(np.float64)
    return pd.DataFrame(cols)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    tbl = pa.Table.from_pandas(df.astype("Int8"), preserve_index=False)
    pacsv.write_csv(tbl, path)


def ours(df: pd.DataFrame):
    sc = score_scales(df, KEYS, item_min=1, item_max=5, min_valid=1)
    rel = reliability(df, KEYS, item_min=1, item_max=5, missing=("listwise", "pairwise"), omega=True)
    ia = item_analysis(df, KEYS, item_min=1, item_max=5, missing="pairwise")
    return sc, rel, ia


def ours_alpha_only(df: pd.DataFrame):
    return reliability(df, KEYS, item_min=1, item_max=5, missing="listwise", ci=None, omega=False)


def timed(fn, *a, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*a)
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_mb(fn, *a) -> float:
    tracemalloc.start()
    fn(*a)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


R_SCRIPT = r"""
suppressMessages(library(psych))
args <- commandArgs(TRUE)
if (requireNamespace("data.table", quietly = TRUE)) {
  x <- as.data.frame(data.table::fread(args[1]))
} else x <- read.csv(args[1])
keys <- jsonlite::fromJSON(args[2])
invisible(gc(reset = TRUE))
t0 <- proc.time()[["elapsed"]]
sk <- make.keys(x, keys)
sc <- scoreItems(sk, x, impute = "none", min = 1, max = 5)
alphas <- list()
for (s in names(keys)) {
  it <- sub("^-", "", keys[[s]])
  rev <- it[grepl("^-", keys[[s]])]
  a <- alpha(x[, it], keys = rev, check.keys = FALSE)
  alphas[[s]] <- a$total$raw_alpha
}
el <- proc.time()[["elapsed"]] - t0
g <- gc()
cat(jsonlite::toJSON(list(seconds = el, max_used_mb = sum(g[, ncol(g)]),
                          alpha = alphas, mean1 = mean(sc$scores[, 1], na.rm = TRUE)),
                     auto_unbox = TRUE, digits = NA), "\n")
"""


def run_r(csv: Path, keys_json: Path) -> dict | None:
    if shutil.which("Rscript") is None:
        print("R: skipped (Rscript not found)")
        return None
    script = csv.parent / "bench_scoring.R"
    script.write_text(R_SCRIPT)
    proc = subprocess.run(["Rscript", str(script), str(csv), str(keys_json)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        print("R: skipped (psych failed or is not installed):", proc.stderr.strip()[-300:])
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_pingouin(df: pd.DataFrame):
    try:
        import pingouin as pg
    except ImportError:
        print("pingouin: skipped (not installed)")
        return None
    def key():
        keyed = {}
        for s, its in KEYS.items():
            cols = {}
            for it in its:
                name = it.lstrip("-")
                cols[name] = 6 - df[name] if it.startswith("-") else df[name]
            keyed[s] = pd.DataFrame(cols)
        return keyed

    def alpha(keyed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {s: pg.cronbach_alpha(data=x, nan_policy="listwise")[0] for s, x in keyed.items()}

    def go():
        return alpha(key())
    return go, key, alpha


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="respondents (default 1,000,000)")
    ap.add_argument("--missing", type=float, default=0.01, help="share of missing cells")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-r", action="store_true", help="skip R")
    args = ap.parse_args(argv)
    res_dir = Path(__file__).resolve().parent / "results"
    res_dir.mkdir(exist_ok=True)
    print(f"data: {args.n:,} respondents x {len(ITEMS)} items in {N_SCALES} scales, "
          f"missing share {args.missing}, seed {args.seed}")
    t0 = time.perf_counter()
    df = make_data(args.n, args.missing, args.seed)
    print(f"generated in {time.perf_counter() - t0:.1f} s")
    csv = res_dir / f"scoring_n{args.n}_m{args.missing}_s{args.seed}.csv"
    keys_json = res_dir / "scoring_keys.json"
    keys_json.write_text(json.dumps(KEYS))

    t_ours, (sc, rel, ia) = timed(ours, df)
    t_alpha, rel_l = timed(ours_alpha_only, df, repeat=3)
    mem_ours = peak_mb(ours, df)
    print(f"shnro scoring + reliability (listwise+pairwise, omega, item analysis): {t_ours:.2f} s, "
          f"peak traced {mem_ours:.0f} MiB")
    print(f"shnro alpha only (listwise, 6 scales): {t_alpha:.2f} s")

    pg = run_pingouin(df)
    if pg is not None:
        pg_fn, pg_key, pg_alpha_fn = pg
        t_pg, pg_alpha = timed(pg_fn, repeat=3)
        keyed = pg_key()
        t_pg_call, _ = timed(pg_alpha_fn, keyed, repeat=3)
        mem_pg = peak_mb(pg_fn)
        ours_a = rel_l[rel_l.measure == "alpha_raw"].set_index("scale")["est"]
        diff = max(abs(ours_a[s] - pg_alpha[s]) for s in KEYS)
        print(f"pingouin (reverse keying + cronbach_alpha listwise, 6 scales): {t_pg:.2f} s "
              f"(cronbach_alpha calls alone {t_pg_call:.2f} s), peak traced {mem_pg:.0f} MiB; "
              f"max |alpha diff| {diff:.2e}")
        print(f"  ratio pingouin / shnro (alpha only, both keying + range/type checks): "
              f"{t_pg / t_alpha:.1f}x; vs the bare pingouin calls: {t_pg_call / t_alpha:.1f}x")

    if not args.no_r:
        if not csv.exists():
            t0 = time.perf_counter()
            write_csv(df, csv)
            print(f"wrote {csv.name} for R in {time.perf_counter() - t0:.1f} s")
        r = run_r(csv, keys_json)
        if r is not None:
            ours_p = rel[(rel.missing == "pairwise") & (rel.measure == "alpha_raw")].set_index("scale")["est"]
            diff = max(abs(ours_p[s] - r["alpha"][s]) for s in KEYS)
            print(f"R psych scoreItems + alpha (pairwise, 6 scales): {r['seconds']:.2f} s, "
                  f"gc max used {r['max_used_mb']:.0f} MB; max |alpha diff| {diff:.2e}; "
                  f"|mean score diff| {abs(sc['scale1'].mean() - r['mean1']):.2e}")
            print(f"  ratio R psych / shnro (full scoring + reliability): {r['seconds'] / t_ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
