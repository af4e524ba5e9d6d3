"""``shnro forms [INSTRUMENT ...] --out DIR [--lang ru|en] [--format html docx sav xlsx]``."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro forms``."""
    from ..forms import DEFAULT_INSTRUMENTS, FORMATS, LANGS
    parser.add_argument("instruments", nargs="*", metavar="INSTRUMENT",
                        help="bundled names or .yaml paths (default: "
                             + ", ".join(DEFAULT_INSTRUMENTS) + ")")
    parser.add_argument("--out", default="forms", metavar="DIR",
                        help="output folder (default: ./forms)")
    parser.add_argument("--lang", choices=LANGS, default="ru", help="wording language (default ru)")
    parser.add_argument("--format", nargs="+", choices=FORMATS, default=list(FORMATS),
                        dest="formats", metavar="FORMAT",
                        help="any of html docx sav xlsx (default: all)")


def run(args: argparse.Namespace) -> int:
    """Write the questionnaires and codebooks; print the written paths."""
    from ..forms import write_forms
    for p in write_forms(list(args.instruments) or None, args.out, args.lang, args.formats):
        print(p)
    return 0
