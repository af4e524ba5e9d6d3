"""``shnro indicators --out DIR [--results FILE ...]``: programme indicators and achievement.

Writes ``indicators.csv`` (:func:`shnro_research.indicators.compute_indicators`),
``achievement_table.csv``, ``achievement_summary.csv``, ``region_comparison.csv`` (with
``--results`` and ``--region``) and, unless ``--no-figure``, ``achievement.png`` and
``indicator_trends.png`` (:mod:`shnro_research.report.figures`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .validate import add_input_arguments, read_input


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro indicators``."""
    parser.add_argument("--catalogue", default=None,
                        help="programme catalogue, index or bundled id such as minusinsk "
                             "(default: surveys/indicators.yaml, all five programmes)")
    parser.add_argument("--results", help="school results (ВПР/ОГЭ/ЕГЭ) table")
    parser.add_argument("--passport", help="school social passports table")
    parser.add_argument("--survey", help="design-based survey estimates (school_id, group, wave, variable, est, se)")
    parser.add_argument("--programme-data", dest="programme_data", help="programme monitoring data (school x year)")
    parser.add_argument("--diagnostics", help="regional diagnostic work results (reading / science literacy)")
    parser.add_argument("--region", help="regional values (year, procedure, subject, shares)")
    parser.add_argument("--register", help="register of school statuses (06_models/register.parquet)")
    parser.add_argument("--years", nargs="*", type=int, default=None, help="years to report")
    parser.add_argument("--lang", default="ru", choices=["ru", "en"])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--no-figure", action="store_true", help="do not draw figures")
    add_input_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """``shnro indicators``: indicators.csv, achievement tables, region comparison, figures."""
    from ..errors import DataError  # noqa: PLC0415
    from ..indicators import (  # noqa: PLC0415
        SOURCES, achievement_summary, achievement_table, compute_indicators, load_catalogue,
        region_comparison_table,
    )
    cat = load_catalogue(args.catalogue)
    tables = {}
    for src in SOURCES:
        path = getattr(args, src, None)
        if path:
            tables[src] = read_input(path, args).data
    res = compute_indicators(cat, tables, years=args.years)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res.to_csv(out / "indicators.csv", index=False)
    achievement_table(res, lang=args.lang).to_csv(out / "achievement_table.csv", index=False)
    achievement_summary(res).to_csv(out / "achievement_summary.csv", index=False)
    written = ["indicators.csv", "achievement_table.csv", "achievement_summary.csv"]
    if "results" in tables and "region" in tables:
        try:
            region_comparison_table(tables["results"], tables["region"]).to_csv(
                out / "region_comparison.csv", index=False)
            written.append("region_comparison.csv")
        except DataError as exc:
            print(f"shnro indicators: region comparison skipped: {exc}")
    if not args.no_figure:
        from ..report.figures import plot_achievement, plot_indicator_trends  # noqa: PLC0415
        plot_achievement(res, lang=args.lang).savefig(out / "achievement.png", dpi=120)
        plot_indicator_trends(res, lang=args.lang).savefig(out / "indicator_trends.png", dpi=120)
        written += ["achievement.png", "indicator_trends.png"]
    counts = res["achievement"].value_counts().to_dict()
    print(f"shnro indicators: {res['indicator'].nunique()} indicators, {len(res)} rows ({counts}); "
          f"wrote {', '.join(written)} to {out}")
    return 0
