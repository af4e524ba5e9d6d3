"""Run every benchmark at a moderate size and print the ratios (``make benchmarks``).

Each script times our code against R (via Rscript, when installed) and Python peers on the same
data and prints time ratios and peak memory; pass ``--full`` for the national-scale sizes named
in each script's docstring. ``bench_study.py`` times the whole study (make-demo + run_study) per
stage at 40 and 400 schools (``--full``: also 4,000; the script's ``--national`` adds 40,000).
Benchmarks are never part of the tests.
"""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL = {
    "bench_scoring.py": ["--n", "100000"],
    "bench_design.py": ["--respondents", "200000", "--schools", "4000"],
    "bench_mixed.py": ["--pupils", "200000", "--schools", "4000", "--sm-pupils", "20000"],
    "bench_study.py": ["--sizes", "40", "400"],   # --full: 40, 400, 4,000 schools
}
FULL = {"bench_study.py": ["--sizes", "40", "400", "4000"]}

if __name__ == "__main__":
    full = "--full" in sys.argv
    for script, args in SMALL.items():
        print(f"== {script}", flush=True)
        extra = FULL.get(script, []) if full else args
        subprocess.run([sys.executable, str(HERE / script)] + extra, check=False)
