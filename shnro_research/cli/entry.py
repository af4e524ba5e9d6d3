"""``shnro double-entry`` and ``shnro import-form``: getting answers in.

* ``shnro double-entry FIRST SECOND --instrument NAME [--keys resp_id wave] --out DIR`` —
  compare two independent entries of the same forms; writes ``double_entry_differences.csv``
  and ``double_entry_by_column.csv``; prints the summary. Exit code 0 when the entries agree,
  1 when they differ.
* ``shnro import-form EXPORT --instrument NAME [--wave 2025] [--school S07] --out DIR`` — map a
  Google Forms / Yandex Forms / KoBoToolbox export onto the instrument; writes ``data.csv``
  (coded, instrument names), ``form_questions.csv`` and ``form_problems.csv``; with
  ``--validate`` also the validator's ``clean.csv``, ``problems.csv`` and ``exclusions.csv``.

Entry templates and XLSForms are written by ``shnro forms --format entry xlsform``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .validate import add_input_arguments, read_input


def add_double_entry_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro double-entry``."""
    parser.add_argument("first", help="first entry (.xlsx, .csv, .sav, .parquet)")
    parser.add_argument("second", help="second entry of the same forms")
    parser.add_argument("--instrument", default=None,
                        help="bundled instrument name or YAML path (maps and orders columns)")
    parser.add_argument("--keys", nargs="+", default=None, metavar="COLUMN",
                        help="columns identifying a form (default: resp_id [+ wave])")
    add_input_arguments(parser)
    parser.add_argument("--out", default="double_entry", metavar="DIR",
                        help="output folder (default: ./double_entry)")


def run_double_entry(args: argparse.Namespace) -> int:
    """Compare two entries; write the differences; exit 1 if they differ."""
    from ..responses import compare_entries, write_double_entry_report
    a = read_input(args.first, args)
    b = read_input(args.second, args)
    res = compare_entries(a, b, args.instrument, keys=args.keys)
    for p in write_double_entry_report(res, args.out):
        print(p)
    print(res.summary())
    return 0 if len(res.differences) == 0 else 1


def add_import_form_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro import-form``."""
    parser.add_argument("file", help="export of the online form (.csv or .xlsx)")
    parser.add_argument("--instrument", required=True,
                        help="bundled instrument name or YAML path the form was built from")
    parser.add_argument("--wave", type=int, default=None,
                        help="survey wave (year) of the export, if the form does not ask it")
    parser.add_argument("--school", default=None, metavar="SCHOOL_ID",
                        help="school_id of every row, if the form was sent to one school")
    parser.add_argument("--id-prefix", default=None,
                        help="prefix of the generated resp_id (default <instrument>-<wave>-)")
    parser.add_argument("--validate", action="store_true",
                        help="also validate the coded data (clean.csv, problems.csv, ...)")
    add_input_arguments(parser)
    parser.add_argument("--out", default="form_import", metavar="DIR",
                        help="output folder (default: ./form_import)")


def run_import_form(args: argparse.Namespace) -> int:
    """Import the export; write the coded data and the reports; print the summary."""
    from ..responses import (read_online_form, validate_responses, write_form_report,
                             write_validation_report)
    fixed = {}
    if args.wave is not None:
        fixed["wave"] = args.wave
    if args.school is not None:
        fixed["school_id"] = args.school
    raw = read_input(args.file, args)
    imp = read_online_form(raw, args.instrument, fixed=fixed, id_prefix=args.id_prefix)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    imp.data.to_csv(out / "data.csv", index=False, encoding="utf-8-sig")
    print(out / "data.csv")
    for p in write_form_report(imp, out, "form"):
        print(p)
    print(imp.summary().to_string(index=False))
    if args.validate:
        res = validate_responses(imp.data, args.instrument)
        res.clean.to_csv(out / "clean.csv", index=False, encoding="utf-8-sig")
        print(out / "clean.csv")
        for p in write_validation_report(res, out).values():
            print(p)
    return 0
