"""``shnro make-demo --out DIR``: write the demo municipality's raw files, truth and study.yaml.

Refuses to write into a folder that already holds a study (``study.yaml``, ``truth.json`` or
files under ``raw/``) unless ``--overwrite`` is given; the demo's own files are then replaced,
other files are left alone.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..config import existing_study_files
from ..errors import ParameterError

DEFAULT_SEED = 20240501


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro make-demo``."""
    parser.add_argument("--out", required=True, help="output folder (created if needed)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed (default {DEFAULT_SEED})")
    parser.add_argument("--schools", type=int, default=40, help="schools (default 40)")
    parser.add_argument("--sampled", type=int, default=24, help="sampled schools (default 24)")
    parser.add_argument("--classes", type=int, default=2,
                        help="classes of grades 8-11 drawn in each sampled school (default 2; "
                             "4 for about 5.5 million questionnaires at 40,000 schools)")
    parser.add_argument("--waves", type=int, nargs="+", default=[2022, 2023, 2024],
                        help="survey years (default 2022 2023 2024)")
    parser.add_argument("--format", choices=["xlsx", "parquet", "csv"], default="xlsx",
                        help="raw files: xlsx (default; the formats schools send: SPSS .sav, "
                             "Windows-1251 CSV, Excel .xlsx), parquet or csv (UTF-8) for the "
                             "answers, passport and programme data of a region or the country")
    parser.add_argument("--overwrite", action="store_true",
                        help="write even if --out already holds a study (its study.yaml, "
                             "truth.json and demo raw files are replaced)")


def run(args: argparse.Namespace) -> int:
    """Run ``shnro make-demo``: generate and write the demo municipality."""
    out = Path(args.out)
    found = existing_study_files(out)
    if found and not getattr(args, "overwrite", False):
        shown = ", ".join(str(p.relative_to(out)) for p in found[:3])
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        raise ParameterError(
            f"'--out' {str(out)!r} already contains a study ({shown}{more}); refusing to "
            f"overwrite it. Choose a new folder, or add --overwrite to replace the demo files "
            f"(shnro make-demo --out {out} --overwrite)")
    from ..demo import generate_demo, write_demo   # lazy: `shnro --help` stays fast

    study = generate_demo(args.seed, n_schools=args.schools, n_sampled=args.sampled,
                          waves=tuple(args.waves), classes_per_school=args.classes)
    fmt = getattr(args, "format", "xlsx")
    if fmt == "xlsx" and args.schools > 400:
        print(f"note: {args.schools} schools as .xlsx/.sav take long to write and to read; "
              "--format parquet is much faster")
    paths = write_demo(study, out, format=fmt)
    print(f"demo municipality (seed {args.seed}) written to {out}:")
    for name, p in paths.items():
        print(f"  {name}: {p}")
    return 0
