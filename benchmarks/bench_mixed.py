"""Benchmark: random-intercept model, shnro_research vs lme4 (Rscript) vs statsmodels MixedLM.

Simulated (seeded) data: pupils in schools, ``y ~ x + z + (1 | school)`` with a pupil-level
``x`` and a school-level ``z``, REML. Default size: 1,000,000 pupils in 20,000 schools.
statsmodels MixedLM loops over the groups in Python on every iteration; it runs on a smaller
sample (``--sm-pupils``, default 100,000 pupils in proportionally fewer schools), and ours is
timed again on that same sample for a like-for-like ratio.

Usage::

    python benchmarks/bench_mixed.py [--pupils 1000000] [--schools 20000] [--sm-pupils 100000]
                                     [--seed 1] [--no-r] [--no-statsmodels] [--nested]

Timings: ours = ``random_intercept`` from a DataFrame (model frame + sufficient statistics +
optimisation + EB effects); lme4 = ``system.time(lmer(...))`` inside R (excludes reading the
CSV); statsmodels = ``smf.mixedlm(...).fit(reml=True)``. Peak memory: Python allocations during
the fit by ``tracemalloc`` in a second, untimed run (ours, statsmodels); the R process's maximum
resident set size (includes R itself and the CSV read).
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
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from shnro_research.models import random_intercept  # noqa: E402


def simulate(n: int, G: int, seed: int, nested: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    school = np.sort(rng.integers(0, G, n))
    z = rng.normal(size=G)
    u = rng.normal(0, 0.5, G)
    x = rng.normal(size=n) + 0.5 * z[school]
    y = 1 + 0.5 * x + 0.3 * z[school] + u[school] + rng.normal(size=n)
    d = pd.DataFrame({"school": school, "x": x, "z": z[school], "y": y})
    if nested:
        cls = rng.integers(0, 4, n)
        v = rng.normal(0, 0.3, (G, 4))
        d["class"] = cls
        d["y"] += v[school, cls]
    return d


def _timed(fn):
    """(seconds without tracing, peak traced MB in a second run, result).

    tracemalloc slows allocation-heavy code, so time and memory come from separate runs.
    """
    t = time.perf_counter()
    res = fn()
    el = time.perf_counter() - t
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return el, peak, res


def run_ours(d: pd.DataFrame, nested: bool):
    return _timed(lambda: random_intercept(d, y="y", x=["x", "z"], group="school",
                                           subgroup="class" if nested else None))


def run_r(d: pd.DataFrame, nested: bool):
    if shutil.which("Rscript") is None:
        print("lme4: Rscript not found -- skipped")
        return None
    tmp = Path(tempfile.mkdtemp(prefix="bench_mixed_"))
    csv = tmp / "d.csv"
    d.to_csv(csv, index=False)
    re = "(1 | school/class)" if nested else "(1 | school)"
    script = f"""
suppressPackageStartupMessages(library(lme4)); library(jsonlite)
d <- read.csv("{csv}"); d$school <- factor(d$school)
{"d$class <- factor(d$class)" if nested else ""}
tm <- system.time(m <- lmer(y ~ x + z + {re}, d, REML = TRUE))[["elapsed"]]
vc <- as.data.frame(VarCorr(m))
cat(toJSON(list(time = tm, coef = unname(fixef(m)), se = unname(sqrt(diag(as.matrix(vcov(m))))),
                vc = setNames(as.list(vc$vcov), vc$grp), loglik = as.numeric(logLik(m))),
           digits = 15, auto_unbox = TRUE))
"""
    (tmp / "s.R").write_text(script)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(["Rscript", str(tmp / "s.R")], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    shutil.rmtree(tmp, ignore_errors=True)
    if proc.returncode != 0:
        print("lme4 failed:", proc.stderr[-2000:])
        return None
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["maxrss_mb"] = max(after, before) / 1024 if after > before else float("nan")
    return res


def run_statsmodels(d: pd.DataFrame):
    import statsmodels.formula.api as smf

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return smf.mixedlm("y ~ x + z", d, groups=d["school"]).fit(reml=True)
    return _timed(fit)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pupils", type=int, default=1_000_000)
    ap.add_argument("--schools", type=int, default=20_000)
    ap.add_argument("--sm-pupils", type=int, default=100_000,
                    help="pupils for the statsmodels comparison (schools scaled accordingly)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--no-statsmodels", action="store_true")
    ap.add_argument("--nested", action="store_true",
                    help="three levels: 4 classes per school, (1 | school/class)")
    a = ap.parse_args(argv)
    print(f"random-intercept REML, {a.pupils:,} pupils in {a.schools:,} schools"
          f"{' (4 classes each)' if a.nested else ''}, seed {a.seed}")
    d = simulate(a.pupils, a.schools, a.seed, a.nested)
    run_ours(simulate(2000, 50, a.seed, a.nested), a.nested)      # warm-up (lazy imports)
    t_ours, mem_ours, m = run_ours(d, a.nested)
    print(f"ours       : {t_ours:8.2f} s  peak {mem_ours / 2**20:8.1f} MB (tracemalloc)  "
          f"optimizer={m.optimizer} converged={m.converged}")
    print(f"   fixef {np.round(m.params.to_numpy(), 6)}  var school {m.var_group:.6f} "
          f"resid {m.var_resid:.6f}  logLik {m.loglik:.4f}")
    if not a.no_r:
        r = run_r(d, a.nested)
        if r is not None:
            print(f"lme4 lmer  : {r['time']:8.2f} s  maxrss {r['maxrss_mb']:8.1f} MB (R process)"
                  f"  -> lme4 / ours = {r['time'] / t_ours:.1f}x")
            print(f"   fixef {np.round(r['coef'], 6)}  vc {r['vc']}  logLik {r['loglik']:.4f}")
            print(f"   max rel. diff fixef {np.max(np.abs(m.params.to_numpy() / r['coef'] - 1)):.2e}"
                  f"  logLik diff {m.loglik - r['loglik']:.2e}")
    if not a.no_statsmodels and not a.nested:
        ns = min(a.sm_pupils, a.pupils)
        gs = max(2, int(round(a.schools * ns / a.pupils)))
        ds = simulate(ns, gs, a.seed)
        t_o, mem_o, mo = run_ours(ds, False)
        t_s, mem_s, rs = run_statsmodels(ds)
        print(f"statsmodels MixedLM on {ns:,} pupils / {gs:,} schools (smaller: it loops over "
              f"groups in Python):")
        print(f"   ours {t_o:.2f} s peak {mem_o / 2**20:.1f} MB | statsmodels {t_s:.2f} s "
              f"peak {mem_s / 2**20:.1f} MB -> statsmodels / ours = {t_s / t_o:.1f}x")
        print(f"   fixef ours {np.round(mo.params.to_numpy(), 6)} sm "
              f"{np.round(rs.fe_params.to_numpy(), 6)}; var school ours {mo.var_group:.6f} sm "
              f"{float(rs.cov_re.iloc[0, 0]):.6f}; logLik ours {mo.loglik:.4f} sm {rs.llf:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
