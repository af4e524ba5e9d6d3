"""``shnro models``: fit an OLS or random-intercept model from a data file and write tidy CSVs."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from .._checks import DataError, ParameterError


def _read_table(path: str, sep: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"data file not found: {path}")
    suf = p.suffix.lower()
    if suf in (".csv", ".txt", ".tsv"):
        return pd.read_csv(p, sep="\t" if suf == ".tsv" else sep)
    if suf == ".parquet":
        return pd.read_parquet(p)
    if suf == ".sav":
        import pyreadstat
        df, _ = pyreadstat.read_sav(str(p))
        return df
    if suf in (".xlsx", ".xls"):
        return pd.read_excel(p)
    raise DataError(f"{path}: unsupported file type {suf!r}; use .csv, .tsv, .parquet, .sav, .xlsx")


def add_models_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``shnro models``."""
    parser.add_argument("data", help="data file (.csv, .tsv, .parquet, .sav, .xlsx), one row per pupil "
                                     "or school")
    parser.add_argument("--formula", required=True,
                        help="model formula, e.g. 'score ~ escs + C(urban)'; add '(1 | school)' or "
                             "'(1 | school/class)' for a random-intercept model")
    parser.add_argument("--group", help="school id column -> random-intercept model (instead of "
                                        "'(1 | school)' in the formula)")
    parser.add_argument("--subgroup", help="class id column nested in --group (three levels)")
    parser.add_argument("--ml", action="store_true", help="ML instead of REML (mixed models)")
    parser.add_argument("--cov", default="classical",
                        choices=["classical", "HC0", "HC1", "HC2", "HC3", "cluster", "CR1", "CR2"],
                        help="OLS covariance (default classical)")
    parser.add_argument("--cluster", help="cluster column for --cov cluster / CR2")
    parser.add_argument("--weights", help="precision-weight column (OLS only)")
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level")
    parser.add_argument("--sep", default=",", help="CSV separator (default ',')")
    parser.add_argument("--out", default=None,
                        help="output folder for coefficients.csv, summary.csv (and "
                             "variance_components.csv, school_effects.csv for mixed models)")


def cli_models(args: argparse.Namespace) -> int:
    """Run ``shnro models``: print the tables; write them as CSV to ``--out`` if given."""
    from .mixed import random_intercept, variance_explained
    from .ols import ols
    from .effects import school_effects

    data = _read_table(args.data, args.sep)
    mixed = args.group is not None or "|" in args.formula
    tables: dict[str, pd.DataFrame] = {}
    if mixed:
        if args.weights or args.cluster or args.cov != "classical":
            raise ParameterError("--weights/--cluster/--cov apply to OLS only; a random-intercept "
                                 "model (--group or '(1 | school)') takes none of them")
        m = random_intercept(data, args.formula, group=args.group, subgroup=args.subgroup,
                             reml=not args.ml, alpha=args.alpha)
        tables["coefficients"] = m.tidy()
        tables["summary"] = m.glance()
        tables["variance_components"] = m.variance_components()
        tables["variance_explained"] = variance_explained(m)
        tables["school_effects"] = school_effects(m)
        tables["optimizers"] = m.optim
    else:
        if args.subgroup:
            raise ParameterError("--subgroup needs --group")
        fit = ols(data, args.formula, cov=args.cov, cluster=args.cluster, weights=args.weights,
                  alpha=args.alpha)
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
