""":func:`generate_demo`: the demo municipality, section by section, with its known truth."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .answers import generate_answers
from .climate import climate_truth, tension_z
from .base import DemoStudy, Streams, check_args, resolve_instruments
from .effects import Effects, plant_results_sets, plant_survey_sets
from .frame import make_sample, make_schools
from .parameters import CLASSES_PER_SCHOOL
from .._checks import check_number
from .marks import objectivity_truth
from .programme import make_diagnostics, make_programme_data, make_region
from .respondents import make_respondents, plant_problems
from .schools import make_passport, make_results
from .truth import build_truth, jsonable
from .truth_programme import programme_truth


def generate_demo(seed: int = 20240501, *, n_schools: int = 40, n_sampled: int = 24,
                  waves=(2022, 2023, 2024),
                  instruments: Mapping[str, Any] | None = None,
                  classes_per_school: int = CLASSES_PER_SCHOOL) -> DemoStudy:
    """Generate the demo municipality with its known truth.

    Parameters
    ----------
    seed : int
        Seed; the same seed (and instruments) gives identical frames and files.
    n_schools : int, default 40
        Schools of the municipality, split 40 % / 30 % / 30 % into the strata city / town /
        village (16 / 12 / 12 for 40).
    n_sampled : int, default 24
        Schools sampled (PPS by the number of pupils of grades 8–11, systematic within strata,
        allocation proportional to the strata's numbers of schools).
    waves : sequence of int, default (2022, 2023, 2024)
        Survey years (also the years of the passport and results). New pupils each wave in
        the same sampled classes.
    instruments : mapping, optional
        ``{"students": ..., "parents": ..., "teachers": ..., "school_passport": ...,
        "results": ...}``: :class:`~shnro_research.instruments.Instrument` objects or names /
        paths for :func:`~shnro_research.instruments.load_instrument`; missing keys use the
        bundled ``surveys/*.yaml``.
    classes_per_school : int, default 2
        Classes of grades 8–11 drawn in each sampled school (stage 2). The default keeps the
        demo's data and truth; 4 gives about 5.5 million questionnaires a wave for 40,000
        schools (the national benchmark of docs/SCALING.md).

    Returns
    -------
    DemoStudy

    Notes
    -----
    Sampling: stage 1, randomised systematic PPS without replacement within each stratum,
    ``p_school = n_h M_i / sum_h M`` (certainty units taken first), drawn by the library's
    :func:`shnro_research.design.sampling.pps_systematic`; stage 2, ``k`` (default 2) classes
    of grades 8–11 by simple random sampling, ``p_class = min(1, k / K_s)``; stage 3, every pupil
    (``p_unit = 1``) with ~85 % response. Design weight ``= 1 / (p_school p_class p_unit)``;
    ``weight_nr`` adds the nonresponse adjustment ``n_pupils / n_responded`` of the class.

    Examples
    --------
    >>> study = generate_demo()          # doctest: +SKIP
    >>> study.truth["results"]["resilient_schools"]   # doctest: +SKIP
    >>> # R: no direct equivalent (simulation); compare survey::svydesign(~school_id+class_id,
    >>> #    strata=~stratum, probs=~p_school+p_class, data=...) on the written files.
    """
    waves = check_args(seed, n_schools, n_sampled, waves)
    check_number(classes_per_school, "classes_per_school", low=1, high=12, integer=True)
    inst = resolve_instruments(instruments)
    st = Streams(seed)
    schools, classes, sizes, c, n_students, n_teachers = make_schools(st, n_schools, waves)
    schools, frame = make_sample(st, schools, classes, sizes, n_sampled, waves, n_teachers,
                                  classes_per_school)
    rsets = plant_results_sets(st, c)
    ssets = plant_survey_sets(st, schools, frame)
    eff = Effects(st, c, ssets, len(waves), resilient=rsets["resilient"])
    stu, par, tea, n_par = make_respondents(st, schools, frame, c, waves)
    # respondents per class: parents
    frame = frame.copy()
    key = pd.MultiIndex.from_arrays([frame["class_id"], frame["wave"]])
    got = n_par.reindex(key).fillna(0).to_numpy().astype(np.int64)
    has_class = np.array([bool(cid) for cid in frame["class_id"]])
    frame["n_parents_responded"] = np.where(has_class, got, 0)
    frame.loc[frame["sampled"] == 0, "n_parents_responded"] = 0
    adj = frame["n_pupils"] / frame["n_responded"].where(frame["n_responded"] > 0)
    frame["weight_nr"] = frame["weight"] * adj
    wave_pos = {w: k for k, w in enumerate(waves)}
    answers, params = {}, {}
    for g, resp in (("students", stu), ("parents", par), ("teachers", tea)):
        ins = inst[g]
        df, prm = generate_answers(st, ins, g, resp, eff, resp["wave"].map(wave_pos).to_numpy())
        idc = pd.DataFrame({c_: resp[c_] for c_ in ins.id_columns if c_ in resp.columns},
                           index=resp.index)
        for c_ in ins.id_columns:
            if c_ not in idc:
                idc[c_] = np.nan
        answers[g] = pd.concat([idc[list(ins.id_columns)], df], axis=1).reset_index(drop=True)
        params[g] = prm
        del df, idc           # the frame in answers is the only holder (plant_problems rebuilds it)
    # passport and results for every school
    n_classes_total = schools["n_classes_total"].to_numpy()
    sizes_by_grade = np.zeros((n_schools, len(waves), 11))
    g_idx = classes["grade"].to_numpy() - 1
    for w in range(len(waves)):
        np.add.at(sizes_by_grade[:, w, :], (classes["school"].to_numpy(), g_idx), sizes[:, w])
    lower_rng = st("results", "lower_grades")
    for g in range(7):  # grades 1..7: as many pupils as a typical grade 8..11 +- 8 %
        noise = 1 + lower_rng.normal(0, 0.08, (n_schools, len(waves)))
        sizes_by_grade[:, :, g] = np.rint(sizes_by_grade[:, :, 7:11].mean(2) * noise)
    passport = make_passport(st, inst["school_passport"], schools, c, waves, n_students,
                             n_teachers, n_classes_total)
    climate_t = tension_z(eff)
    results, res_raw, u, v, true_z = make_results(st, inst["results"], schools, c, waves, rsets,
                                                  sizes_by_grade.astype(int), climate_t)
    passport["in_programme"] = np.repeat(
        np.isin(np.arange(n_schools), ssets["programme"]).astype(np.int64), len(waves))
    pdata, pmeta = make_programme_data(st, schools, c, u, waves, ssets, n_students, n_teachers,
                                       passport)
    diag, dmeta = make_diagnostics(st, schools, c, u, waves, ssets, sizes_by_grade.astype(int))
    region, rmeta = make_region(st, waves, res_raw)
    problems = plant_problems(st, inst, answers, frame, waves)
    truth = build_truth(st, seed, inst, schools, c, waves, rsets, ssets, params, res_raw, u, v,
                        true_z, passport, answers, problems)
    truth["results"]["climate_effect"] = climate_truth(
        true_z, c, climate_t, np.flatnonzero(schools["sampled"].to_numpy() == 1))
    truth.update(jsonable(programme_truth(schools, c, waves, ssets, pdata, pmeta, diag, dmeta,
                                          region, rmeta, res_raw)))
    truth["objectivity"] = objectivity_truth(res_raw)     # planted non-objective ВПР (marks.py)
    frame_out = frame[["wave", "unit", "stratum", "school_id", "class_id", "grade", "measure",
                       "n_pupils", "p_school", "p_class", "p_unit", "sampled", "n_responded",
                       "n_parents_responded", "weight", "weight_nr"]].copy()
    frame_out["grade"] = frame_out["grade"].astype("Int64")
    frame_out = frame_out.sort_values(["wave", "school_id", "unit", "class_id"],
                                      kind="mergesort").reset_index(drop=True)
    schools_out = schools.drop(columns=[c_ for c_ in ("school",) if c_ in schools])
    return DemoStudy(seed=int(seed), waves=waves, schools=schools_out.reset_index(drop=True),
                     frame=frame_out,
                     sample=frame_out[frame_out["sampled"] == 1].reset_index(drop=True),
                     students=answers["students"], parents=answers["parents"],
                     teachers=answers["teachers"], passport=passport, results=results,
                     programme_data=pdata, diagnostics=diag, region=region,
                     truth=truth, instruments=inst)
