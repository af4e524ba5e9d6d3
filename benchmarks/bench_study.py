"""Benchmark: the whole study (``make-demo`` + ``run_study``) at growing numbers of schools.

    python benchmarks/bench_study.py                         # 40, 400, 4,000 schools
    python benchmarks/bench_study.py --sizes 40 400          # a quick look
    python benchmarks/bench_study.py --national              # adds 40,000 schools (see below)
    python benchmarks/bench_study.py --format parquet        # big raw files as parquet

Each size runs in its own subprocess (so its peak memory, ``ru_maxrss``, is its own): the demo
municipality of N schools is generated (``generate_demo``) and written (``write_demo``), then
every stage of ``run_study`` runs on it (``force=True``); the per-stage seconds come from
``run_study``'s :class:`StageResult` list. The table prints seconds per step and size, the peak
resident memory of the subprocess, and the growth exponent between consecutive sizes,
``b = log(t2 / t1) / log(n2 / n1)`` (1 = linear; above ~1.2 the step grows faster than the data).
Timings below ~0.5 s are dominated by fixed costs, so their exponents say little.

Sampled schools: ``--sampled-fraction`` of N (default 1.0: every school surveyed, as in the
regional measurement of issue 15; the 40-school row is then 40/40, not the default 24/40 demo).

The measurements (quiet machine, 2026-11-30: 40, 400 and 40,000 schools with
``--classes 4 --waves 2024``, 5.45 million questionnaires) are in README.md (Scaling); an
earlier run under heavy load is in git history.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEPS = ("generate", "write", "instruments", "responses", "scoring", "design", "context",
         "models", "dynamics", "report")


def one_size(n: int, sampled: int, fmt: str, folder: Path, seed: int, waves=None,
             engine: dict | None = None, classes: int = 2) -> dict:
    """Generate and write the study of ``n`` schools in this process, then run it in a fresh
    process (so the stages' memory is the study's, not the generator's), one stage at a time;
    seconds and peak memory (RSS of the process and its children, sampled every 0.2 s) of
    every step."""
    import yaml

    from profile_stages import TreeRSS
    from shnro_research.demo import generate_demo, write_demo

    sec: dict[str, float] = {}
    mem: dict[str, float] = {}
    t0 = time.perf_counter()
    kw = {"waves": tuple(waves)} if waves else {}
    with TreeRSS() as m:
        study = generate_demo(seed, n_schools=n, n_sampled=sampled, classes_per_school=classes,
                              **kw)
    sec["generate"], mem["generate"] = time.perf_counter() - t0, m.peak / 2**20
    rows = {g: len(getattr(study, g)) for g in ("students", "parents", "teachers")}
    t0 = time.perf_counter()
    with TreeRSS() as m:
        write_demo(study, folder, format=fmt)
    sec["write"], mem["write"] = time.perf_counter() - t0, m.peak / 2**20
    del study
    cfg = folder / "study.yaml"
    if engine:
        raw = yaml.safe_load(cfg.read_text(encoding="utf-8"))
        for block, values in engine.items():
            raw.setdefault(block, {}).update(values)
        cfg.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(json.dumps({"partial": sec}), flush=True)
    lines = []
    with subprocess.Popen([sys.executable, __file__, "--run-stages", str(cfg)],
                          stdout=subprocess.PIPE, text=True) as proc:
        for x in proc.stdout:              # passed on: progress lines for --max-minutes
            if x.startswith("{"):
                lines.append(json.loads(x))
                if "run_study" not in lines[-1]:
                    print(x.rstrip(), flush=True)
    run = next(x for x in reversed(lines) if "run_study" in x)
    sec.update(run["seconds"])
    mem.update(run["peak_mb"])
    return {"n": n, "sampled": sampled, "format": fmt, "seconds": sec, "rows": rows,
            "peak_mb": mem, "peak_rss_mb": max(v for k, v in mem.items()
                                               if k not in ("generate", "write")),
            "peak_generate_mb": max(mem["generate"], mem["write"]), "failed": run["failed"]}


def run_stages(cfg: Path) -> dict:
    """Every stage of the study ``cfg``, one at a time (``force=True``), in this process."""
    from profile_stages import TreeRSS
    from shnro_research.pipeline.registry import STAGES as ALL
    from shnro_research.pipeline.runner import run_study

    sec: dict[str, float] = {}
    mem: dict[str, float] = {}
    t_run = time.perf_counter()
    failed = {}
    for s in ALL:
        t0 = time.perf_counter()
        with TreeRSS() as m:
            try:
                run_study(cfg, stages=[s], force=True, progress=False)
            except Exception as exc:  # noqa: BLE001 - a failing stage is reported, not hidden
                failed[s] = f"{type(exc).__name__}: {str(exc)[:300]}"
                print(json.dumps({"stage_failed": s, "error": failed[s]}), flush=True)
        sec[s], mem[s] = time.perf_counter() - t0, m.peak / 2**20
        print(json.dumps({"stage_done": s, "at": time.perf_counter() - t_run}), flush=True)
    sec["run_study"] = time.perf_counter() - t_run
    return {"seconds": sec, "peak_mb": mem, "failed": failed, "run_study": True}


def run_size(n: int, args, workdir: Path) -> dict | None:
    sampled = max(12, min(n, round(n * args.sampled_fraction)))
    fmt = args.format if args.format != "auto" else ("xlsx" if n <= 400 else "parquet")
    folder = workdir / f"study_{n}"
    cmd = [sys.executable, __file__, "--one", str(n), "--sampled", str(sampled),
           "--format", fmt, "--folder", str(folder), "--seed", str(args.seed),
           "--config", json.dumps(config_of(args))]
    if args.waves:
        cmd += ["--waves", *map(str, args.waves)]
    cmd += ["--classes", str(args.classes)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=args.max_minutes * 60)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        done, before, prev = [], {}, 0.0
        for line in out.splitlines():
            if line.startswith("{"):
                msg = json.loads(line)
                if "partial" in msg:
                    before = msg["partial"]
                elif "stage_done" in msg:
                    done.append(f"{msg['stage_done']} {msg['at'] - prev:.0f}")
                    prev = msg["at"]
        print(f"  {n} schools: stopped after {args.max_minutes} min (--max-minutes); "
              + ", ".join(f"{k} {v:.0f}" for k, v in before.items())
              + (", stages finished (s, approximate): " + ", ".join(done) if done else ""),
              flush=True)
        return None
    if proc.returncode != 0:
        print(f"  {n} schools failed:\n{proc.stderr[-3000:]}", flush=True)
        return None
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall"] = time.perf_counter() - t0
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    s = res["seconds"]
    for stage, err in res.get("failed", {}).items():
        print(f"  {n} schools: stage {stage} FAILED: {err}", flush=True)
    print(f"  {n} schools ({sampled} sampled, {fmt}): end to end {s['generate'] + s['write'] + s['run_study']:.1f} s, "
          f"peak RSS {res['peak_rss_mb']:.0f} MB, rows {res['rows']}\n    "
          + ", ".join(f"{k} {v:.1f}" for k, v in s.items() if k != "run_study"), flush=True)
    return res


def config_of(args) -> dict:
    """The study.yaml blocks the benchmark sets: engine and report.cards."""
    chunk = args.chunk_schools if args.chunk_schools == "auto" else int(args.chunk_schools)
    return {"engine": {"backend": args.engine, "chunk_schools": chunk},
            "report": {"cards": args.cards}}


def exponent(t1: float, t2: float, n1: int, n2: int) -> float:
    if t1 <= 0 or t2 <= 0:
        return float("nan")
    return math.log(t2 / t1) / math.log(n2 / n1)


def print_table(runs: list[dict]) -> None:
    sizes = [r["n"] for r in runs]
    head = f"{'step':<12}" + "".join(f"{n:>10,} s" for n in sizes)
    pairs = list(zip(runs[:-1], runs[1:]))
    head += "".join(f"  b({a['n']}->{b['n']})" for a, b in pairs)
    print(head)
    rows = list(STEPS) + ["end_to_end"]
    for step in rows:
        def val(r):
            s = r["seconds"]
            if step == "end_to_end":
                return s["generate"] + s["write"] + s["run_study"]
            return s.get(step, float("nan"))
        line = f"{step:<12}" + "".join(f"{val(r):>12.2f}" for r in runs)
        for a, b in pairs:
            e = exponent(val(a), val(b), a["n"], b["n"])
            flag = " *" if e > 1.2 and val(b) > 1 else "  "
            line += f"{e:>14.2f}{flag}"
        print(line)
    print("peak RSS of the process tree, MB:")
    for step in STEPS:
        line = f"{step:<12}" + "".join(f"{r.get('peak_mb', {}).get(step, float('nan')):>12.0f}"
                                       for r in runs)
        print(line)
    line = f"{'peak RSS MB':<12}" + "".join(f"{r['peak_rss_mb']:>12.0f}" for r in runs)
    line_gen = f"{'(generator)':<12}" + "".join(f"{r.get('peak_generate_mb', float('nan')):>12.0f}"
                                              for r in runs)
    for a, b in pairs:
        line += f"{exponent(a['peak_rss_mb'], b['peak_rss_mb'], a['n'], b['n']):>14.2f}  "
    print(line)
    print(line_gen)
    print("peak RSS MB: the study's stages (run in their own process); (generator): "
          "make-demo's generate + write")
    print("(* grows faster than linearly: exponent > 1.2 on a step taking > 1 s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[40, 400, 4000])
    ap.add_argument("--national", action="store_true", help="add 40,000 schools")
    ap.add_argument("--sampled-fraction", type=float, default=1.0)
    ap.add_argument("--format", default="auto", choices=["auto", "xlsx", "parquet", "csv"],
                    help="raw file format of the big files (auto: xlsx up to 400 schools, "
                         "parquet above)")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the median is shown")
    ap.add_argument("--max-minutes", type=float, default=60.0)
    ap.add_argument("--keep", action="store_true", help="keep the generated study folders")
    ap.add_argument("--json", help="also write the measurements to this JSON file")
    # internal: one size in this process
    ap.add_argument("--waves", type=int, nargs="+",
                    help="survey waves (default the demo's three; the national run: one or two)")
    ap.add_argument("--engine", default="pandas", choices=["pandas", "dask"])
    ap.add_argument("--chunk-schools", default="auto",
                    help="engine.chunk_schools: auto, 0 (never) or schools per chunk")
    ap.add_argument("--cards", default="auto", choices=["all", "auto", "none"],
                    help="report.cards (auto: cards up to 1,000 schools, else the summary)")
    ap.add_argument("--classes", type=int, default=2,
                    help="classes drawn per sampled school (4: ~5.5 M questionnaires a wave "
                         "at 40,000 schools)")
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--run-stages", help=argparse.SUPPRESS)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--sampled", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run_stages:
        print(json.dumps(run_stages(Path(args.run_stages))))
        return
    if args.one is not None:
        res = one_size(args.one, args.sampled, args.format, Path(args.folder), args.seed,
                       args.waves, json.loads(args.config) if args.config else None,
                       args.classes)
        print(json.dumps(res))
        return
    sizes = sorted(set(args.sizes + ([40000] if args.national else [])))
    print(f"bench_study: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{platform.machine()} {platform.processor() or ''}, "
          f"{__import__('os').cpu_count()} cores, python {platform.python_version()}", flush=True)
    runs: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench_study_"))
    try:
        for n in sizes:
            if runs and n >= 10 * runs[-1]["n"] and len(runs) >= 2:
                a, b = runs[-2], runs[-1]
                tot = lambda r: r["seconds"]["generate"] + r["seconds"]["write"] + r["seconds"]["run_study"]  # noqa: E731
                e = exponent(tot(a), tot(b), a["n"], b["n"])
                print(f"  {n} schools: extrapolated from the last two sizes (exponent {e:.2f}): "
                      f"~{tot(b) * (n / b['n']) ** e / 60:.0f} min", flush=True)
            reps = [r for r in (run_size(n, args, workdir) for _ in range(args.repeat)) if r]
            if not reps:
                break
            med = reps[0]
            if len(reps) > 1:
                import statistics
                med = dict(reps[0])
                med["seconds"] = {k: statistics.median(r["seconds"][k] for r in reps)
                                  for k in reps[0]["seconds"]}
                med["peak_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in reps)
            runs.append(med)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if runs:
        print_table(runs)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
