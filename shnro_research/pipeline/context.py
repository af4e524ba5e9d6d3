"""Stage 5 — context: the social well-being index of every school and year from the family and
pupil shares of the schools' social passports, with its components and weights, and the
schools' resources kept apart as covariates.

The index is the weighted mean of the standardised passport shares, each signed by its direction
(+ favourable, − unfavourable); weights are equal or from the first principal component
(``context.weights``); a school-year needs ``context.min_components`` of the components. By
default (``context.standardise: reference_year``) the means, SDs and weights of the reference year
(``context.reference_year``, default the first year) are used for every year and the index is in
reference-year SD units, so it can show change; ``per_year`` standardises within each year (and
the index to mean 0, SD 1 in every year: no change can show).
"""
from __future__ import annotations

from ..context import PASSPORT_COMPONENTS, school_resources, wellbeing_index
from ._base import StageContext

INPUTS = ("passport",)
CONFIG = ("context",)
UPSTREAM = ()
OUTPUTS = ("wellbeing_index", "components", "weights", "school_resources", "log", "passport")


def run(ctx: StageContext) -> None:
    passport = ctx.read("passport")
    p = ctx.params("context")
    declared = p.get("components")
    comps = ({k: int(v) for k, v in declared.items()} if declared
             else {k: v for k, v in PASSPORT_COMPONENTS.items() if k in passport})
    per_year = p.get("standardise", "reference_year") == "per_year"
    idx = wellbeing_index(passport, comps, school="school_id", year="year",
                          standardise="within" if per_year else "reference_year",
                          by="year" if per_year else None,
                          reference_year=None if per_year else p.get("reference_year"),
                          restandardise=True,
                          weights=p.get("weights", "equal"),
                          min_components=p.get("min_components", 0.75))
    ctx.write(idx.scores, "wellbeing_index")
    ctx.write(idx.components, "components")
    ctx.write(idx.weights, "weights")
    ctx.write(school_resources(passport, p.get("resources"), components=comps), "school_resources")
    ctx.write(idx.log.astype(str) if len(idx.log) else idx.log, "log")
    ctx.write(passport, "passport", csv=False)
