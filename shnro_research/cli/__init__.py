"""The ``shnro`` command line: one subcommand per stage of the study.

Run ``shnro --help`` for the list and ``shnro <command> --help`` for each command.

Registry and protocol
---------------------
:data:`COMMANDS` lists each command with the module of this package that implements it and a
one-line help. Nothing else is imported to build the top-level parser, so ``shnro --help``
imports no pandas, numpy or scipy; a command's module is imported only when that command runs
(or for ``shnro <command> --help``).

A command module ``shnro_research/cli/<module>.py`` defines

* ``add_arguments(parser)`` and ``run(args) -> int`` when it hosts one command;
* ``add_<cmd>_arguments(parser)`` and ``run_<cmd>(args) -> int`` for each command when it
  hosts several (``<cmd>`` with ``-`` written ``_``: ``run_demo``, ``add_pisa_arguments``).

The per-command names are looked up first, then the plain ones. Input files are read with
:func:`shnro_research.io.read_table`. A :class:`~shnro_research.errors.ShnroError` or a missing
file ends the command with ``shnro <command>: error: ...`` on stderr and exit code 2.

These modules are plumbing: they are in no public ``__all__``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import Callable

#: (command, module in shnro_research.cli, one-line help); the order is the order of --help
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("run", "run", "run a whole study (study.yaml) stage by stage into its output folder"),
    ("demo", "run", "generate the demo municipality and run the whole study on it"),
    ("make-demo", "make_demo", "write the demo municipality's raw files, truth and study.yaml"),
    ("forms", "forms", "render questionnaires (HTML, DOCX), SPSS templates, codebooks, Excel "
                       "entry templates and XLSForms (KoBoToolbox/ODK)"),
    ("validate", "validate", "read a response file and check it against its instrument"),
    ("double-entry", "entry", "compare two independent entries of the same forms cell by cell"),
    ("import-form", "entry", "map a Google/Yandex Forms or KoBoToolbox export onto an "
                             "instrument"),
    ("score", "score", "scale scores and reliability of a response file"),
    ("estimate", "estimate", "design-based estimates (Taylor SE, CI, deff) of a data file"),
    ("context", "context", "social well-being index of schools from their passports"),
    ("models", "models", "OLS / random-intercept models of results on context"),
    ("dynamics", "dynamics", "change between waves: tests, adjusted p, MDC, classification"),
    ("indicators", "indicators", "programme target indicators and degree of achievement"),
    ("pisa", "realdata", "PISA 2003 Russia: ESCS gradient, between-school variance, "
                         "resilient schools"),
    ("moscow", "realdata", "Moscow ЕГЭ 2016-2018: high results per school and stability "
                           "typology"),
)
_MODULE = {name: module for name, module, _ in COMMANDS}

_DESCRIPTION = ("Комплексное социологическое исследование ШНОР/ШФНСУ — "
                "complex sociological study of schools with low results.")


def command_module(name: str) -> ModuleType:
    """Import the module of command ``name``."""
    return importlib.import_module(f"{__name__}.{_MODULE[name]}")


def _function(module: ModuleType, name: str, kind: str) -> Callable:
    cmd = name.replace("-", "_")
    specific = f"add_{cmd}_arguments" if kind == "add" else f"run_{cmd}"
    plain = "add_arguments" if kind == "add" else "run"
    fn = getattr(module, specific, None) or getattr(module, plain, None)
    if fn is None:  # pragma: no cover - a broken registry entry
        raise AttributeError(f"{module.__name__} defines neither {specific}() nor {plain}()")
    return fn


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The ``shnro`` parser. Only the command named in ``argv`` (if any) gets its arguments,
    so only its module is imported."""
    from .. import __version__
    parser = argparse.ArgumentParser(prog="shnro", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"shnro_research {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    wanted = _command_in(argv)
    for name, _module, help_ in COMMANDS:
        p = sub.add_parser(name, help=help_, description=help_)
        if name == wanted:
            _function(command_module(name), name, "add")(p)
    return parser


def _command_in(argv: list[str] | None) -> str | None:
    for a in (sys.argv[1:] if argv is None else argv):
        if a in _MODULE:
            return a
        if not a.startswith("-"):
            return None
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``shnro``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    from ..errors import ShnroError
    try:
        run = _function(command_module(args.command), args.command, "run")
        return int(run(args) or 0)
    except (ShnroError, FileNotFoundError) as exc:
        print(f"shnro {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
