"""``shnro run CONFIG`` and ``shnro demo``: the whole study from one config, or on the demo
municipality, stage by stage (unchanged stages are skipped)."""
from __future__ import annotations

import argparse

from ..pipeline import STAGES, demo_config, load_study, run_study, stage_dir
from ..pipeline.runner import DEMO_SEED


def _print_log(results) -> None:
    for r in results:
        print(f"  {r.stage:<12} {r.status:<20} {r.seconds:>7.1f} s  {len(r.outputs):>3} files")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="study config (study.yaml)")
    parser.add_argument("--stages", nargs="+", choices=STAGES, metavar="STAGE",
                        help=f"run only these stages (of {', '.join(STAGES)})")
    parser.add_argument("--out", help="output folder (default: 'output' of the config)")
    parser.add_argument("--force", action="store_true", help="rerun stages even if unchanged")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_run(args: argparse.Namespace) -> int:
    study = load_study(args.config, output=args.out)
    print(f"study {study.id!r}: {study.title} -> {study.output}")
    res = run_study(study, stages=args.stages, force=args.force, progress=not args.no_progress)
    _print_log(res)
    print(f"report: {stage_dir(study, 'report') / 'report.html'}")
    return 0


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="output/demo",
                        help="folder of the demo study (raw files, truth, outputs); default %(default)s")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="seed (default %(default)s)")
    parser.add_argument("--regenerate", action="store_true", help="write the raw files anew")
    parser.add_argument("--force", action="store_true", help="rerun stages even if unchanged")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_demo(args: argparse.Namespace) -> int:
    cfg = demo_config(args.out, seed=args.seed, regenerate=args.regenerate)
    print(f"demo municipality (seed {args.seed}): {cfg}")
    study = load_study(cfg)
    res = run_study(study, force=args.force, progress=not args.no_progress)
    _print_log(res)
    print(f"report: {stage_dir(study, 'report') / 'report.html'}")
    return 0
