"""The ``shnro`` command line: one subcommand per stage of the study.

Run ``shnro --help`` for the list and ``shnro <stage> --help`` for each stage.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# (subcommand, module, help). Each module provides add_<name>_arguments(parser) and
# cli_<name>(args) -> int; modules are imported only when their subcommand runs.
COMMANDS = [
    ("run", "shnro_research.runner", "run a whole study (study.yaml) stage by stage into its output folder"),
    ("demo", "shnro_research.runner", "generate the demo municipality and run the whole study on it"),
    ("make-demo", "shnro_research.demo", "write the demo municipality's raw files, truth and study.yaml"),
    ("forms", "shnro_research.forms", "render questionnaires (HTML, DOCX) and SPSS codebooks"),
    ("validate", "shnro_research.responses", "read a response file and check it against its instrument"),
    ("score", "shnro_research.scoring", "scale scores and reliability of a response file"),
    ("estimate", "shnro_research.design", "design-based estimates (Taylor SE, CI, deff) of a data file"),
    ("context", "shnro_research.context", "social well-being index of schools from their passports"),
    ("models", "shnro_research.models", "OLS / random-intercept models of results on context"),
    ("dynamics", "shnro_research.dynamics", "change between waves: tests, adjusted p, MDC, classification"),
    ("indicators", "shnro_research.indicators", "programme target indicators and degree of achievement"),
    ("pisa", "shnro_research.realdata", "PISA 2003 Russia: ESCS gradient, between-school variance, resilient schools"),
    ("moscow", "shnro_research.realdata", "Moscow ЕГЭ 2016-2018: high results per school and stability typology"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shnro",
        description="Комплексное социологическое исследование ШНОР/ШФНСУ — "
                    "complex sociological study of schools with low results.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"shnro_research {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for name, module, help_ in COMMANDS:
        p = sub.add_parser(name, help=help_, description=help_)
        fname = name.replace("-", "_")
        p.set_defaults(_module=module, _name=fname)
        mod = importlib.import_module(module)
        getattr(mod, f"add_{fname}_arguments")(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    from ._checks import ShnroError
    mod = importlib.import_module(args._module)
    try:
        return int(getattr(mod, f"cli_{args._name}")(args) or 0)
    except (ShnroError, FileNotFoundError) as exc:
        print(f"shnro {args._name}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
