"""Stage 5 — context: the social well-being index of every school and year from the schools'
social passports, with its components and weights.

The index is the weighted mean of the standardised passport shares, each signed by its direction
(+ favourable, − unfavourable); weights are equal or from the first principal component
(``context.weights``); a school-year needs ``context.min_components`` of the components.
"""
from __future__ import annotations

from ..context import PASSPORT_COMPONENTS, wellbeing_index
from ._base import StageContext

INPUTS = ("passport",)
CONFIG = ("context",)
UPSTREAM = ()
OUTPUTS = ("wellbeing_index", "components", "weights", "log", "passport")


def run(ctx: StageContext) -> None:
    passport = ctx.read("passport")
    p = ctx.params("context")
    declared = p.get("components") or PASSPORT_COMPONENTS
    comps = {k: int(v) for k, v in declared.items() if k in passport}
    idx = wellbeing_index(passport, comps, school="school_id", year="year",
                          weights=p.get("weights", "equal"),
                          min_components=p.get("min_components", 0.75))
    ctx.write(idx.scores, "wellbeing_index")
    ctx.write(idx.components, "components")
    ctx.write(idx.weights, "weights")
    ctx.write(idx.log.astype(str) if len(idx.log) else idx.log, "log")
    ctx.write(passport, "passport", csv=False)
