"""``shnro models DATA --formula F``: an OLS or random-intercept model, printed and as CSV tables."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ParameterError
from .validate import add_input_arguments, read_input


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro models``."""
    parser.add_argument("data", help="data file (.csv, .tsv, .parquet, .sav, .xlsx), one row per "
                                     "pupil or school")
    parser.add_argument("--formula", required=True,
                        help="model formula, e.g. 'score ~ escs + C(urban)'; add '(1 | school)' or "
                             "'(1 | school/class)' for a random-intercept model")
    parser.add_argument("--school", "--group", dest="school", default=None,
                        help="school id column: a random-intercept model (instead of "
                             "'(1 | school)' in the formula)")
    parser.add_argument("--subgroup", help="class id column nested in --school (three levels)")
    parser.add_argument("--ml", action="store_true", help="ML instead of REML (mixed models)")
    parser.add_argument("--cov", default="classical",
                        choices=["classical", "HC0", "HC1", "HC2", "HC3", "cluster", "CR1", "CR2"],
                        help="OLS covariance (default classical)")
    parser.add_argument("--cluster", default=None,
                        help="cluster (school) column for an OLS model with --cov cluster / CR1 / "
                             "CR2")
    parser.add_argument("--weight", "--weights", dest="weight", default=None,
                        help="precision-weight column (OLS only)")
    parser.add_argument("--level", type=float, default=0.95,
                        help="confidence level of the intervals (default 0.95)")
    add_input_arguments(parser)
    parser.add_argument("--out", default=None,
                        help="output folder for coefficients.csv, summary.csv (and "
                             "variance_components.csv, school_effects.csv for mixed models)")


def run(args: argparse.Namespace) -> int:
    """Run ``shnro models``: print the tables; write them as CSV to ``--out`` if given."""
    import pandas as pd

    from ..models import ols, random_intercept, school_effects, variance_explained

    data = read_input(args.data, args).data
    mixed = args.school is not None or "|" in args.formula
    tables: dict[str, pd.DataFrame] = {}
    if mixed:
        if args.weight or args.cluster or args.cov != "classical":
            raise ParameterError("--weight/--cluster/--cov apply to OLS only; a random-intercept "
                                 "model (--school or '(1 | school)') takes none of them")
        m = random_intercept(data, args.formula, school=args.school, subgroup=args.subgroup,
                             reml=not args.ml, level=args.level)
        tables["coefficients"] = m.tidy()
        tables["summary"] = m.glance()
        tables["variance_components"] = m.variance_components()
        tables["variance_explained"] = variance_explained(m)
        tables["school_effects"] = school_effects(m)
        tables["optimizers"] = m.optim
    else:
        if args.subgroup:
            raise ParameterError("--subgroup needs --school")
        fit = ols(data, args.formula, cov=args.cov, school=args.cluster, weight=args.weight,
                  level=args.level)
        tables["coefficients"] = fit.tidy()
        tables["summary"] = fit.glance()
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        for name in ("summary", "coefficients", "variance_components", "variance_explained"):
            if name in tables:
                print(f"== {name}")
                print(tables[name].to_string(index=False))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, tab in tables.items():
            tab.to_csv(out / f"{name}.csv", index=False)
        print(f"tables written to {out}/")
    return 0
