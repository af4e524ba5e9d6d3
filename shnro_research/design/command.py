"""``shnro estimate``: design-based estimates from a CSV/Parquet file of responses."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .._checks import ParameterError
from .estimates import estimate_by
from .spec import survey_design


def add_estimate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro estimate``."""
    parser.add_argument("data", help="responses file (.csv, .csv.gz or .parquet), one row per respondent")
    parser.add_argument("--vars", nargs="+", required=True, help="variables to estimate (numeric: mean; text: proportions)")
    parser.add_argument("--by", nargs="*", default=[], help="domain columns, e.g. school_id group wave")
    parser.add_argument("--ids", nargs="*", default=[], help="cluster columns per stage, e.g. school_id class_id")
    parser.add_argument("--strata", default=None, help="first-stage stratum column")
    parser.add_argument("--weights", default=None, help="final weight column")
    parser.add_argument("--fpc", nargs="*", default=[], help="population count or fraction column per stage ('none' = with replacement)")
    parser.add_argument("--lonely-psu", default="fail", choices=["fail", "remove", "certainty", "adjust", "average"])
    parser.add_argument("--nest", action="store_true", help="cluster ids are numbered within stratum / parent unit")
    parser.add_argument("--ci", default="t", choices=["t", "normal"])
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--out", default="-", help="output CSV (default: standard output)")


def _read(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise ParameterError(f"data file {path!r} does not exist")
    if p.suffix == ".parquet":
        return pd.read_parquet(p)
    return pd.read_csv(p)


def cli_estimate(args: argparse.Namespace) -> int:
    """Run ``shnro estimate``; returns the exit code."""
    data = _read(args.data)
    fpc = [None if f.lower() == "none" else f for f in args.fpc] or None
    design = survey_design(data, ids=args.ids or None, strata=args.strata, weights=args.weights,
                           fpc=fpc, lonely_psu=args.lonely_psu, nest=args.nest)
    table = estimate_by(design, args.vars, by=args.by or None, ci=args.ci, level=args.level)
    if args.out == "-":
        table.to_csv(sys.stdout, index=False)
    else:
        table.to_csv(args.out, index=False)
    return 0
