"""``shnro dynamics --estimates FILE --out DIR``: change between waves of design-based estimates.

Writes ``wave_change.csv`` (:func:`shnro_research.dynamics.wave_change`),
``wave_change_summary.csv`` (:func:`~shnro_research.dynamics.classification_summary`),
``trend_table.csv`` (:func:`~shnro_research.dynamics.trend_table`) and, unless ``--no-figure``,
the forest plot ``wave_change.png`` (:func:`shnro_research.report.figures.plot_change`).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .validate import add_input_arguments, read_input


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro dynamics``."""
    from .._stats import P_ADJUST_METHODS  # noqa: PLC0415
    parser.add_argument("--estimates", required=True,
                        help="tidy design-based estimates (CSV/XLSX/Parquet/SAV) with wave, est, se")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--by", nargs="*", default=["school_id", "group"],
                        help="domain columns (default: school_id group)")
    parser.add_argument("--wave", default="wave", help="wave column (default: wave)")
    parser.add_argument("--base", default=None, help="base wave (default: the earliest)")
    parser.add_argument("--compare", nargs="*", default=None, help="wave(s) compared with the base")
    parser.add_argument("--consecutive", action="store_true", help="contrast each wave with the previous one")
    parser.add_argument("--adjust", default="holm", choices=list(P_ADJUST_METHODS),
                        help="multiple-comparison adjustment (default: holm)")
    parser.add_argument("--family", nargs="*", default=None, help="columns defining test families")
    parser.add_argument("--level", type=float, default=0.95,
                        help="confidence level of the intervals (default: 0.95)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level of the classification (default: 0.05)")
    parser.add_argument("--power", type=float, default=0.8)
    parser.add_argument("--min-change", type=float, default=0.0, help="minimum substantive change")
    parser.add_argument("--lower-better", nargs="*", default=[],
                        help="variables for which a decrease is an improvement (e.g. tension anxiety)")
    parser.add_argument("--lang", default="ru", choices=["ru", "en"])
    parser.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    add_input_arguments(parser)


def _coerce_wave(value: str | None, waves) -> Any:
    import pandas as pd  # noqa: PLC0415
    if value is None:
        return None
    if pd.api.types.is_numeric_dtype(waves):
        try:
            num = float(value)
            return int(num) if num.is_integer() else num
        except ValueError:
            pass
    return value


def run(args: argparse.Namespace) -> int:
    """``shnro dynamics``: wave_change.csv, its summary, the trend table and the forest plot."""
    from ..dynamics import classification_summary, trend_table, wave_change  # noqa: PLC0415
    est = read_input(args.estimates, args).data
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    better = {v: "lower" for v in (args.lower_better or [])}
    better["default"] = "higher"
    base = _coerce_wave(args.base, est[args.wave]) if args.wave in est.columns else args.base
    compare = None
    if args.compare:
        compare = [_coerce_wave(c, est[args.wave]) for c in args.compare]
    res = wave_change(est, by=args.by, wave=args.wave, base=base, compare=compare,
                      consecutive=args.consecutive, adjust=args.adjust, family=args.family,
                      level=args.level, alpha=args.alpha, power=args.power,
                      min_change=args.min_change, better=better)
    res.to_csv(out / "wave_change.csv", index=False)
    summ_by = [c for c in ("variable", "group", "wave_compare") if c in res.columns]
    classification_summary(res, by=summ_by).to_csv(out / "wave_change_summary.csv", index=False)
    trend_table(est, by=args.by, wave=args.wave, level=args.level).to_csv(
        out / "trend_table.csv", index=False)
    written = ["wave_change.csv", "wave_change_summary.csv", "trend_table.csv"]
    if not args.no_figure:
        from ..report.figures import plot_change  # noqa: PLC0415
        fig = plot_change(res, label=[c for c in args.by if c in res.columns], lang=args.lang)
        fig.savefig(out / "wave_change.png", dpi=120)
        written.append("wave_change.png")
    counts = res["classification"].value_counts().to_dict()
    print(f"shnro dynamics: {len(res)} comparisons ({counts}); wrote {', '.join(written)} to {out}")
    return 0
