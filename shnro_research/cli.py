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
    ("forms", "shnro_research.forms", "render questionnaires (HTML, DOCX) and SPSS codebooks"),
    ("validate", "shnro_research.responses", "read a response file and check it against its instrument"),
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
        p.set_defaults(_module=module, _name=name)
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        getattr(mod, f"add_{name}_arguments")(p)
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
