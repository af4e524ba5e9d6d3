"""The planted truth of the programme monitoring, the regional diagnostic work and the regional
values, and which schools reach the targets the programme catalogues state.

Independence: the targets are read from the catalogue files themselves (``surveys/indicators.yaml``
and the programme catalogues it includes, plain YAML: the catalogues are inputs of the study,
like the instruments) and every school's value, change and degree of achievement is computed here
with pandas, by the definitions in docs/INDICATORS.md; :mod:`shnro_research.indicators` (the code
under test) is not used.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from ..instruments import SURVEYS_DIR
from .parameters import (ANXIETY_DIAG, DIAGNOSTICS, MISSED, PROGRAMME_DATA, PROGRAMME_MISSING,
                         REGION)
from .programme import PROGRAMME_EXTRA

#: the bundled index of the programme catalogues (their targets and definitions)
CATALOGUE = SURVEYS_DIR / "indicators.yaml"
_TARGET_KINDS = ("share", "mean", "share_of_schools_with_change")


def _catalogue_indicators(path=CATALOGUE) -> list[dict]:
    """The indicators of the catalogues an index includes (or of one catalogue) that state a
    target, with the defaults docs/INDICATORS.md states filled in: ``filter`` values as lists,
    ``multiplier`` 100 for shares and 1 otherwise, ``tolerance`` 0, ``compare_with`` previous,
    target years as ints. There is no partial achievement (no programme text defines one)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    files = [path.parent / f for f in raw["include"]] if "include" in raw else [path]
    out = []
    for f in files:
        cat = yaml.safe_load(f.read_text(encoding="utf-8"))
        for ind in cat["indicators"]:
            if not ind.get("targets") or ind["kind"] not in _TARGET_KINDS:
                continue
            p = dict(ind.get("params") or {})
            p["filter"] = {str(k): (list(v) if isinstance(v, (list, tuple)) else [v])
                           for k, v in (p.get("filter") or {}).items()}
            p.setdefault("multiplier", 100.0 if ind["kind"] == "share" else 1.0)
            if ind["kind"] == "share_of_schools_with_change":
                p.setdefault("tolerance", 0.0)
                p.setdefault("compare_with", "previous")
            out.append(dict(id=ind["id"], kind=ind["kind"], source=ind["source"],
                            better=ind["better"], params=p,
                            targets={int(y): float(t) for y, t in ind["targets"].items()}))
    return out


def _degree(value: np.ndarray, target: float, better: str) -> np.ndarray:
    """achieved / not achieved: value >= target (higher is better) or <= target (lower)."""
    v = np.asarray(value, float)
    full = v >= target if better == "higher" else v <= target
    return np.where(full, "achieved", "not achieved")


def _weighted_school_values(df, p):
    """School x year value of a catalogue indicator: multiplier x the (weighted) mean of its
    ``column`` or multiplier x sum(numerator) / sum(denominator); rows with the planted
    "no data" code or a blank are left out."""
    need = [p[k] for k in ("column", "weight", "numerator", "denominator") if k in p]
    d = df
    for col, vals in p["filter"].items():
        d = d[d[col].astype(str).isin([str(v) for v in vals])]
    d = d[~d[need].isin([PROGRAMME_MISSING["code"]]).any(axis=1)].dropna(subset=need)
    if "column" in p:
        wgt = d[p["weight"]].astype(float) if "weight" in p else pd.Series(1.0, index=d.index)
        g = pd.DataFrame({"school_id": d["school_id"], "year": d["year"],
                          "a": wgt * d[p["column"]].astype(float), "b": wgt}) \
            .groupby(["school_id", "year"])[["a", "b"]].sum()
    else:
        g = d.groupby(["school_id", "year"])[[p["numerator"], p["denominator"]]].sum()
        g.columns = ["a", "b"]
    return (float(p["multiplier"]) * g["a"] / g["b"]).unstack("year")


def _school_targets(tables, waves, programme_ids):
    """Which schools reach the catalogues' stated targets (programme_data / diagnostics
    indicators), in the target years the data cover. A ``schools`` selection of the catalogue
    (e.g. the register's low-result schools) chooses which schools count in the municipal value;
    each school's own value does not depend on it, so every school is listed here."""
    out = {}
    for ind in _catalogue_indicators():
        src, p = ind["source"], ind["params"]
        if src not in tables or ind["kind"] not in _TARGET_KINDS:
            continue
        df = tables[src]
        need = [p[k] for k in ("column", "weight", "numerator", "denominator") if k in p]
        if any(col not in df.columns for col in need + list(p["filter"])):
            continue
        wide = _weighted_school_values(df, p)
        entry = {}
        for y, t in sorted(ind["targets"].items()):
            if y not in wide.columns:
                continue
            if ind["kind"] == "share_of_schools_with_change":
                before = [x for x in wide.columns if x < y]
                cw = p["compare_with"]
                y0 = (before[-1] if before else None) if cw == "previous" else \
                    (min(wide.columns) if cw == "first" else cw)
                if y0 is None or y0 not in wide.columns or y0 >= y:
                    continue
                ch = (wide[y] - wide[y0]).dropna()
                tol = float(p["tolerance"])
                moved = ch > tol if p["direction"] == "increase" else ch < -tol
                entry[str(y)] = dict(
                    compared_with=int(y0),
                    schools_with_positive_dynamics=sorted(ch.index[moved].astype(str)),
                    share_of_schools=round(100 * float(moved.mean()), 2),
                    programme_schools_change={s: round(float(ch.get(s, np.nan)), 2)
                                              for s in programme_ids})
            else:
                v = wide[y].dropna()
                deg = _degree(v.to_numpy(float), t, ind["better"])
                entry[str(y)] = dict(
                    target=t,
                    **{a: sorted(v.index[deg == a].astype(str))
                       for a in ("achieved", "not achieved")},
                    programme_schools_value={s: round(float(v.get(s, np.nan)), 2)
                                             for s in programme_ids})
        if entry:
            out[ind["id"]] = entry
    return out


def programme_truth(schools, c, waves, ssets, pdata, pmeta, diag, dmeta, region, rmeta,
                     res_raw):
    """Truth of the programme monitoring, diagnostics and regional tables."""
    ids = schools["school_id"].to_numpy()
    prog = list(ssets["programme"])
    prog_ids = [str(ids[s]) for s in prog]
    others = [s for s in range(len(ids)) if s not in set(prog)]
    exp = pmeta["expected"]
    first, last = 0, len(waves) - 1
    measures = {}
    units = {k: "% of pupils" for k in exp}
    units.update(n_teachers_trained="% of teachers", missed_lessons="lessons per pupil",
                 n_anxiety_reduced="% of the pupils assessed", n_teachers_methods="% of teachers",
                 n_teachers_innovation="% of teachers",
                 n_add_edu_tech="% of the pupils in additional education",
                 n_olympiad_winners="% of the olympiad participants")
    for k, e in exp.items():
        direction = "decrease" if k in ("fail_pct", "missed_lessons") else "increase"
        measures[k] = dict(
            unit=units[k], programme_direction=direction,
            programme_schools_expected={str(ids[s]): [round(float(x), 3) for x in e[s]]
                                        for s in prog},
            programme_schools_expected_change={
                str(ids[s]): round(float(e[s, last] - e[s, first]), 3) for s in prog},
            other_schools_expected_mean=round(float(e[others].mean()), 3),
            other_schools_expected_change=0.0)
    model = {k: dict(base_percent=b, logit_slope_context=cs, logit_slope_u_results=us,
                     village_shift=vs, school_sd=sd, programme_shift_last_year=d, year_sd=ys)
             for k, (b, cs, us, vs, sd, d, ys) in {**PROGRAMME_DATA, **PROGRAMME_EXTRA}.items()}
    tables = {"programme_data": pdata, "diagnostics": diag}
    # municipality minus region, participants-weighted over the municipality's rows
    gaps = {}
    r = res_raw.assign(nb=res_raw["below_min_pct"] * res_raw["n_participants"],
                       nh=res_raw["high_pct"] * res_raw["n_participants"],
                       nm=res_raw["mean_score"] * res_raw["n_participants"])
    g = r.groupby(["year", "procedure", "subject"])[["nb", "nh", "nm", "n_participants"]].sum()
    reg = region.set_index(["year", "procedure", "subject"])
    for key in g.index:
        m = g.loc[key]
        row = reg.loc[key]
        gaps.setdefault(f"{key[1]}_{key[2]}", {})[str(key[0])] = dict(
            below_min_pct=round(float(m["nb"] / m["n_participants"] - row["below_min_pct"]), 2),
            high_pct=round(float(m["nh"] / m["n_participants"] - row["high_pct"]), 2),
            mean_score=round(float(m["nm"] / m["n_participants"] - row["mean_score"]), 2))
    P = DIAGNOSTICS
    return {
        "programme": dict(
            programme_schools=prog_ids,
            flag="passport column in_programme (1 = programme school, 0 = other); the same "
                 "4 schools as dynamics.programme_schools",
            path="linear in the year index: 0 at the first year, the full shift at the last; "
                 "0 for every other school (their true change is exactly 0)",
            model="P = logistic(logit(base/100) + c_slope c_s + u_slope u_s + village_shift "
                  "village + eta_s + programme path + eps_sy); counts ~ Binomial(n_students "
                  "(n_teachers for n_teachers_trained), P); fail_pct, marks_45_pct = 100 count / "
                  "n_students, rounded to 0.1",
            parameters=model, anxiety_diagnostics=dict(ANXIETY_DIAG), missed_lessons=dict(MISSED),
            measures=measures, planted_missing=pmeta["missing"],
            school_targets=_school_targets(tables, waves, prog_ids),
            school_targets_note="computed on the generated tables with the bundled catalogues "
                                "(surveys/indicators.yaml): for each indicator with a target the "
                                "programme text states, per target year the data cover, the "
                                "schools whose own value reaches / misses the target (share and "
                                "mean kinds; no partial achievement: no text defines one) or "
                                "counts as positive dynamics (change kinds)"),
        "diagnostics": dict(
            model="z = beta c_s + u_weight u_s + w_s (work effect) + v_sy (year, own noise: the "
                  "results' year effects are NOT shared) + programme path + e (row); "
                  "mean_score = mu + sigma z + pupils' noise sd_within / sqrt(n)",
            works={w: [dict(grade=g, mu=mu, sigma=sb) for g, mu, sb in specs]
                   for w, specs in P["works"].items()},
            parameters={k: v for k, v in P.items() if k != "works"},
            programme_schools=prog_ids,
            programme_expected_change_points={
                w: round(P["programme"] * float(np.mean([sb for _, _, sb in specs])), 3)
                for w, specs in P["works"].items()},
            other_schools_expected_change=0.0,
            corr_school_effect_with_context={
                w: round(float(np.corrcoef(z, c)[0, 1]), 4)
                for w, z in dmeta["school_z"].items()}),
        "region": dict(
            model="pupils' scores in the region ~ N(mu + sigma z_reg, sd_within^2 + sigma^2 "
                  "tau^2), z_reg = zbar (the municipality's participants-weighted mean true z of "
                  "the procedure x subject over the years) + z_shift + a_cell + w_year; shares "
                  "below the minimum / above the high threshold from that normal (the same "
                  "thresholds as the school results); one row per year x procedure x subject",
            z_shift=REGION["z_shift"], cell_sd=REGION["cell_sd"], year_sd=REGION["year_sd"],
            direction="the region is ahead of the municipality: municipal mean scores lower, "
                      "shares below the minimum higher, shares of high results lower",
            municipal_mean_z=rmeta["municipal_mean_z"], cell_effects=rmeta["cell_effects"],
            year_effects=rmeta["year_effects"], tau2=round(rmeta["tau2"], 4),
            municipality_minus_region=gaps,
            municipality_minus_region_note="procedure_subject -> year -> difference of the "
                                           "participants-weighted municipal value and the "
                                           "regional value (p.p. / points), from the generated "
                                           "results"),
    }

