"""Benchmark: domain means by school with Taylor SE, shnro_research.design vs R survey.

    python benchmarks/bench_design.py                      # 2,000,000 pupils, 40,000 schools
    python benchmarks/bench_design.py --respondents 200000 --schools 4000
    python benchmarks/bench_design.py --r-sizes 10000:200,40000:800 --r-timeout 600

Design: 40 strata (municipalities), schools as PSUs (a third of each stratum sampled), 2 of 4
classes per school as SSUs, weights, fpc at both stages (so a school's SE comes from its classes);
estimate: mean of a score in every school (svyby(~y, ~school, design, svymean)).

R's svyby loops over domains and each domain recomputes the design variance over all rows,
so its cost grows faster than the data; R is therefore run on two smaller files (``--r-sizes``,
same pupils per school) under a time limit, its growth exponent is measured from them, and the
full-size R time is extrapolated with it — printed as an extrapolation, not a measurement.
Our results on the small files are compared with R's.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shnro_research import design as sd  # noqa: E402


def make_data(n: int, n_schools: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = np.sort(rng.integers(0, n_schools, n))
    school = np.unique(school, return_inverse=True)[1]  # every school code used, 0..S-1
    n_s = school.max() + 1
    cls = rng.integers(0, 2, n)
    eff = rng.normal(0, 8, n_s)
    stratum = school % 40
    n_in_stratum = np.bincount(stratum[np.unique(school, return_index=True)[1]], minlength=40)
    return pd.DataFrame({
        "stratum": stratum,
        "N1": 3 * n_in_stratum[stratum],   # a third of the schools of each stratum sampled
        "N2": 4,                           # 2 of the 4 classes of each school sampled
        "school": school,
        "class": school * 2 + cls,
        "w": rng.uniform(20, 80, n_s)[school] * rng.uniform(0.9, 1.1, n),
        "y": 500 + eff[school] + rng.normal(0, 90, n),
    })


def run_ours(df: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    d = sd.survey_design(df, ids=["school", "class"], strata="stratum", weights="w",
                         fpc=["N1", "N2"], lonely_psu="adjust")
    res = sd.svy_mean(d, "y", by="school")
    return res, time.perf_counter() - t0


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
args <- commandArgs(TRUE)
df <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
d <- svydesign(ids = ~school + class, strata = ~stratum, weights = ~w, fpc = ~N1 + N2, data = df)
b <- svyby(~y, ~school, d, svymean)
el <- proc.time()[["elapsed"]] - t0
write.csv(data.frame(school = b$school, est = coef(b), se = SE(b)), args[2], row.names = FALSE)
cat(el, "\n")
"""


def run_r(df: pd.DataFrame, timeout: float) -> tuple[pd.DataFrame | None, float | None, str]:
    if shutil.which("Rscript") is None:
        return None, None, "Rscript not found: R comparison skipped"
    with tempfile.TemporaryDirectory() as tmp:
        data, out, script = Path(tmp, "d.csv"), Path(tmp, "o.csv"), Path(tmp, "b.R")
        df.to_csv(data, index=False)
        script.write_text(R_SCRIPT)
        try:
            p = subprocess.run(["Rscript", str(script), str(data), str(out)], capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, None, f"R did not finish within {timeout:.0f} s"
        if p.returncode != 0:
            return None, None, "R failed: " + p.stderr[-500:]
        return pd.read_csv(out), float(p.stdout.strip().split()[-1]), "ok"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--respondents", type=int, default=2_000_000)
    ap.add_argument("--schools", type=int, default=40_000)
    ap.add_argument("--r-sizes", default="10000:200,40000:800",
                    help="sizes for R as pupils:schools, comma-separated (two sizes give the growth exponent)")
    ap.add_argument("--r-timeout", type=float, default=600)
    ap.add_argument("--json", default=None, help="also write the measurements to this JSON file")
    a = ap.parse_args(argv)

    res = {"r_runs": []}
    r_points = []
    for spec in a.r_sizes.split(","):
        n_r, s_r = (int(v) for v in spec.split(":"))
        small = make_data(n_r, s_r, seed=2)
        ours_small, t_small = run_ours(small)
        r_small, tr_small, msg = run_r(small, a.r_timeout)
        rec = {"n": n_r, "schools": s_r, "ours_s": t_small, "r_s": tr_small, "r": msg}
        print(f"{n_r:,} pupils / {s_r:,} schools: ours {t_small:.3f} s; "
              f"R {'%.2f s' % tr_small if tr_small else msg}")
        if r_small is not None:
            m = ours_small.merge(r_small, on="school", suffixes=("", "_r"))
            rel_est = float(np.max(np.abs(m.est / m.est_r - 1)))
            rel_se = float(np.nanmax(np.abs(m.se / m.se_r - 1)))
            rec.update(max_rel_diff_est=rel_est, max_rel_diff_se=rel_se, ratio=tr_small / t_small)
            r_points.append((n_r, tr_small))
            print(f"  agreement with R: max relative difference est {rel_est:.1e}, se {rel_se:.1e}; "
                  f"measured time ratio R/ours {tr_small / t_small:,.0f}x")
        res["r_runs"].append(rec)

    big = make_data(a.respondents, a.schools, seed=1)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ours_big, t_big = run_ours(big)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res["full"] = {"n": a.respondents, "schools": int(big.school.nunique()), "ours_s": t_big,
                   "peak_rss_mb": rss1 / 1024, "rss_growth_mb": (rss1 - rss0) / 1024}
    print(f"full: {a.respondents:,} pupils / {big.school.nunique():,} schools: ours {t_big:.2f} s, "
          f"peak RSS {rss1 / 1024:.0f} MB (grew {(rss1 - rss0) / 1024:.0f} MB during the estimate)")
    if r_points:
        (n1, t1), (n2, t2) = (r_points[0], r_points[-1])
        alpha = float(np.log(t2 / t1) / np.log(n2 / n1)) if n2 != n1 else 2.0
        tr_big = t2 * (a.respondents / n2) ** alpha
        res["full"].update(r_growth_exponent=alpha, r_extrapolated_s=tr_big)
        print(f"  R extrapolated from its own growth (time ~ size^{alpha:.2f}, pupils per school fixed): "
              f"~{tr_big:,.0f} s (~{tr_big / 3600:,.1f} h) -> ratio R/ours ~{tr_big / t_big:,.0f}x "
              "(EXTRAPOLATED, not measured)")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
