"""``shnro validate FILE --instrument NAME --out DIR``: read a response file, validate, write.

Writes ``clean.parquet``, ``clean.csv``, ``read_report.csv``, ``problems.csv``,
``exclusions.csv``, ``summary.csv``, ``missing_codes.csv`` into ``--out``; prints a summary.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ParameterError


def add_input_arguments(parser: argparse.ArgumentParser, what: str = "CSV") -> None:
    """``--encoding``, ``--sep``, ``--decimal``, ``--sheet``: how to read the input file."""
    parser.add_argument("--encoding", default=None,
                        help="text encoding, e.g. cp1251 or utf-8 (default: detect)")
    parser.add_argument("--sep", default=None, help=f"{what} separator (default: sniffed)")
    parser.add_argument("--decimal", default=None, choices=[".", ","],
                        help="decimal mark (default: ',' with the separator ';', else '.')")
    parser.add_argument("--sheet", default=None,
                        help="Excel sheet name or 0-based position (default: the first sheet)")


def read_input(path: str | Path, args: argparse.Namespace, **kwargs):
    """:func:`shnro_research.io.read_table` with the input arguments of ``args``."""
    from ..io import read_table
    return read_table(path, encoding=getattr(args, "encoding", None),
                      sep=getattr(args, "sep", None), sheet=getattr(args, "sheet", None),
                      decimal=getattr(args, "decimal", None), **kwargs)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro validate``."""
    parser.add_argument("file", help="response file (.sav, .csv, .xlsx, .parquet)")
    parser.add_argument("--instrument", required=True,
                        help="bundled instrument name (students, parents, teachers, ...) or a "
                             "YAML path")
    add_input_arguments(parser)
    parser.add_argument("--sample", default=None,
                        help="CSV/XLSX of the sampled frame: school_id[, class_id]")
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                        help="map a file column to an instrument column (repeatable)")
    parser.add_argument("--duplicates", choices=["exclude_all", "keep_first"],
                        default="exclude_all")
    parser.add_argument("--straightlining", choices=["flag", "exclude", "off"], default="flag")
    parser.add_argument("--min-answered", type=float, default=0.5,
                        help="minimal share of answered items (default 0.5)")
    parser.add_argument("--lang", choices=["ru", "en"], default="ru")
    parser.add_argument("--out", required=True, help="output folder")


def run(args: argparse.Namespace) -> int:
    """Run ``shnro validate``; returns the exit code."""
    from ..instruments import load_instrument
    from ..io import read_table
    from ..responses import ValidationRules, read_responses, validate_responses
    from ..responses import write_validation_report

    rename = {}
    for pair in args.rename or []:
        if "=" not in pair:
            raise ParameterError(f"'--rename' expects OLD=NEW; got {pair!r}")
        old, new = pair.split("=", 1)
        rename[old] = new
    inst = load_instrument(args.instrument)
    res = read_responses(args.file, inst, encoding=args.encoding, sep=args.sep,
                         sheet=args.sheet, decimal=args.decimal, rename=rename or None)
    sample = read_table(args.sample).data if args.sample else None
    rules = ValidationRules(duplicates=args.duplicates, straightlining=args.straightlining,
                            min_answered=args.min_answered)
    val = validate_responses(res.data, inst, sample=sample, rules=rules, lang=args.lang)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    clean = val.clean.copy()
    for c in clean.columns:
        if clean[c].dtype == object:
            clean[c] = clean[c].astype("string")
    clean.to_parquet(out / "clean.parquet")
    clean.to_csv(out / "clean.csv", index=False, encoding="utf-8-sig")
    res.report.to_frame().to_csv(out / "read_report.csv", index=False, encoding="utf-8-sig")
    write_validation_report(val, out)
    print(res.report.summary())
    print(val.text())
    print(f"-> {out}")
    return 0
