"""``shnro score --data FILE --keys KEYS.json``: scale scores (and optionally reliability)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .validate import add_input_arguments, read_input


def _number(text: str) -> int | float:
    v = float(text)
    return int(v) if v.is_integer() and "." not in text else v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro score``."""
    parser.add_argument("--data", required=True, type=Path,
                        help="respondent file (.csv .parquet .xlsx .sav)")
    parser.add_argument("--keys", required=True, type=Path,
                        help='JSON file {"scale": ["-item1", "item2", ...]} (- = reverse keyed)')
    parser.add_argument("--item-min", required=True, type=float, help="declared minimum code")
    parser.add_argument("--item-max", required=True, type=float, help="declared maximum code")
    parser.add_argument("--method", choices=["mean", "sum"], default="mean")
    parser.add_argument("--min-valid", type=_number, default=None,
                        help="answered items needed: a count (3) or a share (0.5); default all")
    parser.add_argument("--prorate", action="store_true",
                        help="with --method sum: prorate missing items")
    parser.add_argument("--id", default=None, help="respondent id column copied to the output")
    parser.add_argument("--by", nargs="*", default=None, help="group columns for reliability")
    add_input_arguments(parser)
    parser.add_argument("--out", required=True, type=Path, help="output CSV of scale scores")
    parser.add_argument("--reliability", type=Path, default=None,
                        help="also write reliability (alpha, omega) to this CSV and item analysis "
                             "next to it (*_items.csv)")


def run(args: argparse.Namespace) -> int:
    """Run ``shnro score``; returns the exit code."""
    from ..scoring import item_analysis, reliability, score_scales

    data = read_input(args.data, args).data
    keys = json.loads(Path(args.keys).read_text(encoding="utf-8"))
    lo, hi = args.item_min, args.item_max
    scores = score_scales(data, keys, item_min=lo, item_max=hi, method=args.method,
                          min_valid=args.min_valid, prorate=args.prorate)
    if args.id:
        scores.insert(0, args.id, data[args.id].to_numpy())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    scores.to_csv(args.out, index=False)
    print(f"scores: {len(scores)} respondents x {len(keys)} scales -> {args.out}")
    if args.reliability is not None:
        rel = reliability(data, keys, item_min=lo, item_max=hi, by=args.by)
        items = item_analysis(data, keys, item_min=lo, item_max=hi, by=args.by)
        args.reliability.parent.mkdir(parents=True, exist_ok=True)
        rel.to_csv(args.reliability, index=False)
        items_path = args.reliability.with_name(args.reliability.stem + "_items.csv")
        items.to_csv(items_path, index=False)
        print(f"reliability -> {args.reliability}; item analysis -> {items_path}")
    return 0
