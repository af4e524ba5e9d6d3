"""``shnro pisa`` and ``shnro moscow``: analyses of the real data in ``../shared/data``.

The data files are only read (by :mod:`shnro_research.realdata`), never written.
"""
from __future__ import annotations

import argparse
from pathlib import Path


def _write_tables(tables: dict, out: Path, prefix: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        p = out / f"{prefix}_{name}.csv"
        df.to_csv(p, index=False, encoding="utf-8")
        paths.append(p)
    return paths


def add_pisa_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``shnro pisa``: --data-dir, --out, --year, --outcome, thresholds."""
    parser.add_argument("--data-dir", default=None,
                        help="folder with pisa/ (default: ../shared/data next to the repository)")
    parser.add_argument("--out", default="output/pisa", help="output folder for the CSV tables")
    parser.add_argument("--year", type=int, default=2003, choices=[2000, 2003], help="PISA cycle")
    parser.add_argument("--outcome", default="math", choices=["math", "read", "science"])
    parser.add_argument("--context-quantile", type=float, default=0.25)
    parser.add_argument("--outcome-quantile", type=float, default=0.75)
    parser.add_argument("--residual-sd", type=float, default=1.0)
    return parser


def run_pisa(args: argparse.Namespace) -> int:
    """Run :func:`~shnro_research.realdata.pisa_analysis` on the Russian PISA sample and write
    ``pisa_*.csv`` to ``--out``."""
    import pandas as pd

    from ..realdata import load_pisa_russia, pisa_analysis
    st, _sc = load_pisa_russia(args.data_dir, year=args.year)
    tabs = pisa_analysis(st, outcome=args.outcome, context_quantile=args.context_quantile,
                         outcome_quantile=args.outcome_quantile, residual_sd=args.residual_sd)
    paths = _write_tables(tabs, Path(args.out), "pisa")
    s = tabs["summary"]
    for _, r in s.iterrows():
        pub = ("" if pd.isna(r.get("published")) else
               f"  (published {r['published']:g} ± {r['tolerance']:g})")
        print(f"{r['statistic']:>34s}: {r['est']:.4g}{pub}")
    print(f"wrote {len(paths)} tables to {args.out}")
    return 0


def add_moscow_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``shnro moscow``: --data-dir, --out, --measures, tercile cuts."""
    parser.add_argument("--data-dir", default=None,
                        help="folder with moscow_ege/ (default: ../shared/data next to the "
                             "repository)")
    parser.add_argument("--out", default="output/moscow", help="output folder for the CSV tables")
    parser.add_argument("--measures", nargs="+", default=["count", "ratio"],
                        choices=["count", "ratio"])
    parser.add_argument("--low", type=float, default=1 / 3,
                        help="quantile at or below which a year is 'low'")
    parser.add_argument("--high", type=float, default=2 / 3,
                        help="quantile at or above which a year is 'high'")
    parser.add_argument("--min-n160", type=int, default=5,
                        help="minimum n_160 for the ratio measure")
    return parser


def run_moscow(args: argparse.Namespace) -> int:
    """Run :func:`~shnro_research.realdata.load_moscow_ege` and
    :func:`~shnro_research.realdata.moscow_analysis`; write ``moscow_*.csv`` to ``--out``."""
    from ..realdata import _MOSCOW_NOTES as MOSCOW_NOTES
    from ..realdata import load_moscow_ege, moscow_analysis
    long, matching = load_moscow_ege(args.data_dir)
    tabs = moscow_analysis(long, measures=args.measures, low=args.low, high=args.high,
                           min_n160=args.min_n160)
    tabs = {"matching": matching, **tabs}
    out = Path(args.out)
    paths = _write_tables(tabs, out, "moscow")
    (out / "moscow_NOTES.md").write_text(MOSCOW_NOTES, encoding="utf-8")
    print(tabs["typology_summary"].to_string(index=False))
    print(f"wrote {len(paths)} tables and moscow_NOTES.md to {out}")
    return 0
