"""``shnro estimate DATA --vars ...``: design-based estimates (Taylor SE, CI, deff) as CSV."""
from __future__ import annotations

import argparse
import sys

from .validate import add_input_arguments, read_input


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro estimate``."""
    parser.add_argument("data", help="responses file (.csv, .parquet, .sav, .xlsx), one row per "
                                     "respondent")
    parser.add_argument("--vars", nargs="+", required=True,
                        help="variables to estimate (numeric: mean; text: proportions)")
    parser.add_argument("--by", nargs="*", default=[],
                        help="domain columns, e.g. school_id group wave")
    parser.add_argument("--ids", nargs="*", default=[],
                        help="cluster columns per stage, e.g. school_id class_id")
    parser.add_argument("--strata", default=None, help="first-stage stratum column")
    parser.add_argument("--weight", "--weights", dest="weight", default=None,
                        help="final weight column")
    parser.add_argument("--fpc", nargs="*", default=[],
                        help="population count or fraction column per stage ('none' = with "
                             "replacement)")
    parser.add_argument("--lonely-psu", default="fail",
                        choices=["fail", "remove", "certainty", "adjust", "average"])
    parser.add_argument("--nest", action="store_true",
                        help="cluster ids are numbered within stratum / parent unit")
    parser.add_argument("--ci", default="t", choices=["t", "normal"])
    parser.add_argument("--level", type=float, default=0.95)
    add_input_arguments(parser)
    parser.add_argument("--out", default="-", help="output CSV (default: standard output)")


def run(args: argparse.Namespace) -> int:
    """Run ``shnro estimate``; returns the exit code."""
    from ..design import estimate_by, survey_design

    data = read_input(args.data, args).data
    fpc = [None if f.lower() == "none" else f for f in args.fpc] or None
    design = survey_design(data, ids=args.ids or None, strata=args.strata, weight=args.weight,
                           fpc=fpc, lonely_psu=args.lonely_psu, nest=args.nest)
    table = estimate_by(design, args.vars, by=args.by or None, ci=args.ci, level=args.level)
    if args.out == "-":
        table.to_csv(sys.stdout, index=False)
    else:
        table.to_csv(args.out, index=False)
    return 0
