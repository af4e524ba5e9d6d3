"""``shnro forms [INSTRUMENT ...] --out DIR [--lang ru|en] [--format html docx sav xlsx entry
xlsform] [--wave YEAR] [--check-xlsform]``."""
from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro forms``."""
    from ..forms import ALL_FORMATS, DEFAULT_INSTRUMENTS, LANGS
    parser.add_argument("instruments", nargs="*", metavar="INSTRUMENT",
                        help="bundled names or .yaml paths (default: "
                             + ", ".join(DEFAULT_INSTRUMENTS) + ")")
    parser.add_argument("--out", default="forms", metavar="DIR",
                        help="output folder (default: ./forms)")
    parser.add_argument("--lang", choices=LANGS, default="ru", help="wording language (default ru)")
    parser.add_argument("--format", nargs="+", choices=ALL_FORMATS, default=list(ALL_FORMATS),
                        dest="formats", metavar="FORMAT",
                        help="any of html docx sav xlsx entry xlsform (default: all); entry = "
                             "Excel data-entry template (entry/<id>.xlsx), xlsform = form for "
                             "KoBoToolbox/ODK (xlsform/<id>.xlsx)")
    parser.add_argument("--wave", type=int, default=None,
                        help="survey wave written into the XLSForms (default: the form asks it)")
    parser.add_argument("--check-xlsform", action="store_true",
                        help="convert each XLSForm to an XForm with pyxform and run ODK "
                             "Validate (needs Java) before reporting success")


def run(args: argparse.Namespace) -> int:
    """Write the questionnaires and codebooks; print the written paths."""
    from ..forms import write_forms, xlsform_to_xform
    for p in write_forms(list(args.instruments) or None, args.out, args.lang, args.formats,
                         wave=args.wave):
        print(p)
        if args.check_xlsform and p.parent.name == "xlsform":
            xlsform_to_xform(p, validate=True)
            print(f"  {p.name}: converts to an XForm; ODK Validate passed")
    return 0
