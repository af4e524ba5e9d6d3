"""``shnro context --passport FILE --component COL:±1 ...``: the school social well-being index.

Writes ``context_index.csv`` (one row per school-year: ``est`` = the index, ``n_components``,
``z_*``), ``context_components.csv``, ``context_weights.csv`` and ``context_log.csv``
(:func:`shnro_research.context.wellbeing_index`); with ``--results`` and ``--outcome`` also the
unfavourable-context, resilience (with its threshold sensitivity) and, with 3+ years, the
stability typology tables (:mod:`shnro_research.typology`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .validate import add_input_arguments, read_input


def _parse_component(spec: str) -> tuple[str, int]:
    from ..errors import ParameterError  # noqa: PLC0415
    name, sep, d = spec.rpartition(":")
    if not sep or not name:
        raise ParameterError(f"--component must look like 'column:+1' or 'column:-1'; got {spec!r}")
    try:
        val = int(d)
    except ValueError:
        raise ParameterError(f"--component {spec!r}: direction must be +1 or -1; got {d!r}") from None
    return name, val


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Arguments of ``shnro context`` (index from a passport file; optional typology with results)."""
    parser.add_argument("--passport", required=True, help="social passport table (.csv, .xlsx, .sav)")
    parser.add_argument("--component", action="append", required=True, metavar="COLUMN:±1",
                        help="a passport column and its direction (+1 favourable, -1 unfavourable); repeat")
    parser.add_argument("--school", default="school_id", help="school column (default: school_id)")
    parser.add_argument("--year", default="year", help="year column ('' for a single cross-section)")
    parser.add_argument("--by", action="append", default=None, help="standardise within groups; repeat")
    parser.add_argument("--weights", default="equal", choices=["equal", "pca"])
    parser.add_argument("--min-components", type=float, default=None,
                        help="minimum number (>= 1) or share (< 1) of components present")
    parser.add_argument("--n-groups", type=int, default=None, help="add quantile groups of the index")
    parser.add_argument("--results", default=None, help="school results table to classify (optional)")
    parser.add_argument("--outcome", default=None, help="result column (higher = better)")
    parser.add_argument("--context-quantile", type=float, default=0.25)
    parser.add_argument("--outcome-quantile", type=float, default=0.75)
    parser.add_argument("--residual-sd", type=float, default=1.0)
    parser.add_argument("--out", default="output/context", help="output folder for the CSV tables")
    add_input_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """``shnro context``: write context_index/weights/log.csv and, with --results, the typology tables."""
    import pandas as pd  # noqa: PLC0415

    from .._checks import check_columns  # noqa: PLC0415
    from ..context import wellbeing_index  # noqa: PLC0415
    from ..errors import ParameterError  # noqa: PLC0415

    comps = dict(_parse_component(s) for s in args.component)
    year = args.year or None
    mc = args.min_components
    if mc is not None and mc >= 1:
        mc = int(mc)
    if args.results and not args.outcome:
        raise ParameterError("--results needs --outcome (the result column)")
    passport = read_input(args.passport, args).data
    res = wellbeing_index(passport, comps, school=args.school, year=year, by=args.by, weights=args.weights,
                          min_components=mc, n_groups=args.n_groups)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res.scores.to_csv(out / "context_index.csv", index=False)
    res.components.to_csv(out / "context_components.csv", index=False)
    res.weights.to_csv(out / "context_weights.csv", index=False)
    res.log.to_csv(out / "context_log.csv", index=False)
    print(res.summary())
    if args.results:
        from ..typology import (  # noqa: PLC0415
            resilience_sensitivity,
            resilient_schools,
            result_states,
            stability_typology,
            unfavourable_context,
        )
        keys = [args.school] + ([year] if year else [])
        results = read_input(args.results, args).data
        check_columns(results, [*keys, args.outcome], "results")
        d = results[[*keys, args.outcome]].merge(res.scores[[*keys, "est"]], on=keys, how="inner")
        d = d[d["est"].notna() & d[args.outcome].notna()]
        by = [year] if year else None
        unfavourable_context(d, value="est", school=args.school, year=year,
                             quantile=args.context_quantile).to_csv(out / "unfavourable.csv", index=False)
        rs = resilient_schools(d, outcome=args.outcome, context="est", school=args.school, by=by,
                               rules=["quadrant", "residual"], context_quantile=args.context_quantile,
                               outcome_quantile=args.outcome_quantile, residual_sd=args.residual_sd)
        rs.to_csv(out / "resilient.csv", index=False)
        sens = pd.concat([resilience_sensitivity(d, outcome=args.outcome, context="est", school=args.school,
                                                 by=by, rule=r) for r in ("quadrant", "residual")],
                         ignore_index=True)
        sens.to_csv(out / "resilience_sensitivity.csv", index=False)
        if year and d[year].nunique() >= 3:
            st = result_states(d, value=args.outcome, school=args.school, year=year)
            unf = unfavourable_context(d, value="est", school=args.school, year=year,
                                       quantile=args.context_quantile)
            st = st.merge(unf[[args.school, year, "unfavourable"]], on=[args.school, year], how="left")
            stability_typology(st, school=args.school, year=year, unfavourable="unfavourable").to_csv(
                out / "stability_typology.csv", index=False)
        print(f"resilient schools: {int(rs['resilient'].sum())} of {len(rs)} school-years")
    print(f"wrote tables to {out}")
    return 0
