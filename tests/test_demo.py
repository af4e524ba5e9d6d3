"""Tests of the demo municipality (shnro_research.demo): reproducibility, files, design, truth.

The generator is a simulation, so there is no R reference; instead each planted truth is
checked to be recoverable with simple estimates (correlations, means, rwg, ICC) on the
generated data, and every written file is read back with its usual reader.
"""
from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from shnro_research.demo import DemoStudy, generate_demo, load_demo_truth, write_demo
from shnro_research.errors import ParameterError
from shnro_research.instruments import load_instrument, parse_instrument

GROUPS = ("students", "parents", "teachers")


# ------------------------------------------------------------------------------------------
# A small instrument set (contract ids and roles, different wording and lengths): the
# generator must work from any instrument, not only the bundled surveys/*.yaml.
# ------------------------------------------------------------------------------------------


TERMINAL = ["активная деятельная жизнь", "жизненная мудрость", "здоровье", "интересная работа",
            "красота природы и искусства", "любовь", "материально обеспеченная жизнь",
            "наличие хороших и верных друзей", "общественное признание", "познание",
            "продуктивная жизнь", "развитие", "развлечения", "свобода",
            "счастливая семейная жизнь", "счастье других", "творчество", "уверенность в себе"]
INSTRUMENTAL = ["аккуратность", "воспитанность", "высокие запросы", "жизнерадостность",
                "исполнительность", "независимость", "непримиримость к недостаткам",
                "образованность", "ответственность", "рационализм", "самоконтроль",
                "смелость в отстаивании своего мнения", "твёрдая воля", "терпимость",
                "широта взглядов", "честность", "эффективность в делах", "чуткость"]
LIFE = ["счастливая семья", "богатство, деньги", "интересная работа", "карьера",
        "уважение окружающих", "здоровье", "известность", "хорошие друзья"]
WAYS = ["хорошее образование", "упорный труд", "связи и знакомства", "талант", "удача",
        "честность"]
PVQ_SCALES = ["self_direction", "power", "universalism", "achievement", "security",
              "stimulation", "conformity", "tradition", "hedonism", "benevolence"]
# ESS PVQ-21 item -> value (ipcrtiv, imprich, ipeqopt, ipshabt, impsafe, impdiff, ipfrule, ipudrst,
# ipmodst, ipgdtim, impfree, iphlppl, ipsuces, ipstrgv, ipadvnt, ipbhprp, iprspot, iplylfr,
# impenv, imptrad, impfun)
PVQ_KEY = ["self_direction", "power", "universalism", "achievement", "security", "stimulation",
           "conformity", "universalism", "tradition", "hedonism", "self_direction",
           "benevolence", "achievement", "security", "stimulation", "conformity", "power",
           "benevolence", "universalism", "tradition", "hedonism"]

RS = {
    "agree5": {"type": "likert", "codes": {1: "совсем не согласен", 2: "скорее не согласен",
                                           3: "и да, и нет", 4: "скорее согласен",
                                           5: "полностью согласен"},
               "missing": {9: "затрудняюсь ответить"}},
    "like6": {"type": "likert", "codes": {k: f"{k}" for k in range(1, 7)}},
    "imp5": {"type": "likert", "codes": {k: f"важно {k}" for k in range(1, 6)},
             "missing": {9: "затрудняюсь"}},
    "real5": {"type": "likert", "codes": {k: f"реализуется {k}" for k in range(1, 6)},
              "missing": {9: "затрудняюсь"}},
    "sat5": {"type": "likert", "codes": {k: f"удовлетворён {k}" for k in range(1, 6)},
             "missing": {9: "затрудняюсь"}},
    "freq7": {"type": "likert", "codes": {k: f"частота {k}" for k in range(0, 7)}},
}


def _shared(prefix: str) -> list[dict]:
    ten = [{"id": f"ten_{k:02d}", "text": f"Напряжённость {k} ({prefix})", "response": "agree5",
            "scales": ["tension"], "role": "tension", "reverse": k == 3} for k in range(1, 9)]
    values = [
        {"id": "rok_term", "text": "Терминальные ценности", "type": "ranking",
         "options": TERMINAL, "role": "rokeach_terminal"},
        {"id": "rok_instr", "text": "Инструментальные ценности", "type": "ranking",
         "options": INSTRUMENTAL, "role": "rokeach_instrumental"},
    ]
    pvq = [{"id": f"pvq_{k + 1:02d}", "text": f"Портрет {k + 1}", "response": "like6",
            "scales": [f"pvq_{PVQ_KEY[k]}"], "role": "pvq"} for k in range(21)]
    life = [{"id": "life_success", "text": "Что такое успех?", "type": "multiple",
             "options": LIFE, "max_choices": 3, "role": "life_success"},
            {"id": "success_ways", "text": "Как добиться успеха?", "type": "multiple",
             "options": WAYS, "max_choices": 3, "role": "success_ways"}]
    needs = [{"id": f"need_imp_{k:02d}", "text": f"Потребность {k}: важность", "response": "imp5",
              "role": "need_importance"} for k in range(1, 9)]
    needs += [{"id": f"need_real_{k:02d}", "text": f"Потребность {k}: реализация",
               "response": "real5", "role": "need_realisation"} for k in range(1, 9)]
    rel = [{"id": f"rel_{k:02d}", "text": f"Отношения {k}", "response": "sat5",
            "scales": ["rel_satisfaction"], "role": "relationship"} for k in range(1, 4)]
    return [
        {"id": "tension", "title": "Напряжённость", "items": ten},
        {"id": "values", "title": "Ценности", "items": values},
        {"id": "pvq", "title": "PVQ", "items": pvq},
        {"id": "success", "title": "Успех", "items": life},
        {"id": "needs", "title": "Потребности", "items": needs},
        {"id": "rel", "title": "Отношения", "items": rel},
    ]


def _scales() -> dict:
    sc = {"tension": {"label": "Социальная напряжённость", "min_valid": 0.6, "role": "tension"},
          "rel_satisfaction": {"label": "Удовлетворённость отношениями"}}
    for s in PVQ_SCALES:
        sc[f"pvq_{s}"] = {"label": s, "role": "pvq_value", "min_valid": 1}
    return sc


def students() -> dict:
    own = [
        {"id": "sex", "text": "Пол", "type": "single", "codes": {1: "мужской", 2: "женский"}},
        {"id": "grade", "text": "Класс", "type": "single",
         "codes": {8: "8", 9: "9", 10: "10", 11: "11"}},
        {"id": "mother_edu", "text": "Образование матери", "type": "single",
         "codes": {k: f"уровень {k}" for k in range(1, 6)}, "missing": {9: "не знаю"}},
        {"id": "father_edu", "text": "Образование отца", "type": "single",
         "codes": {k: f"уровень {k}" for k in range(1, 6)}, "missing": {9: "не знаю"}},
        {"id": "books_home", "text": "Книги дома", "type": "single",
         "codes": {k: f"книг {k}" for k in range(1, 6)}},
        {"id": "own_room", "text": "Своя комната", "type": "single", "codes": {1: "да", 0: "нет"}},
        {"id": "internet", "text": "Интернет", "type": "single", "codes": {1: "да", 0: "нет"}},
        {"id": "free_text", "text": "Что бы вы изменили в школе?", "type": "text"},
    ]
    mot = [{"id": f"mot_{k:02d}", "text": f"Мотивация {k}", "response": "agree5",
            "scales": ["motivation"], "role": "motivation", "reverse": k == 4}
           for k in range(1, 6)]
    anx = [{"id": f"anx_{k:02d}", "text": f"Тревожность {k}", "response": "agree5",
            "scales": ["anxiety"], "role": "anxiety"} for k in range(1, 5)]
    scales = _scales()
    scales["motivation"] = {"label": "Мотивация", "role": "motivation"}
    scales["anxiety"] = {"label": "Тревожность", "role": "anxiety"}
    return {"instrument": {"id": "students", "group": "students",
                           "id_columns": ["resp_id", "school_id", "class_id", "wave"]},
            "response_scales": RS,
            "sections": [{"id": "about", "items": own}] + _shared("у")
            + [{"id": "motivation", "items": mot}, {"id": "anxiety", "items": anx}],
            "scales": scales}


def parents() -> dict:
    own = [
        {"id": "relation", "text": "Кем вы приходитесь", "type": "single",
         "codes": {1: "мать", 2: "отец", 3: "другое"}},
        {"id": "parent_edu", "text": "Образование", "type": "single",
         "codes": {k: f"уровень {k}" for k in range(1, 6)}},
        {"id": "family_income", "text": "Доход семьи", "type": "single",
         "codes": {k: f"доход {k}" for k in range(1, 6)}},
    ]
    inv = [{"id": f"inv_{k:02d}", "text": f"Вовлечённость {k}", "response": "agree5",
            "scales": ["involvement"]} for k in range(1, 4)]
    scales = _scales()
    scales["involvement"] = {"label": "Вовлечённость"}
    return {"instrument": {"id": "parents", "group": "parents",
                           "id_columns": ["resp_id", "school_id", "class_id", "wave"]},
            "response_scales": RS,
            "sections": [{"id": "about", "items": own}] + _shared("р")
            + [{"id": "involvement", "items": inv}],
            "scales": scales}


def teachers() -> dict:
    own = [
        {"id": "experience", "text": "Стаж", "type": "numeric", "min": 0, "max": 60},
        {"id": "qual_category", "text": "Категория", "type": "single",
         "codes": {1: "нет", 2: "первая", 3: "высшая"}},
    ]
    pc = []
    scales = _scales()
    for sid, prefix, n in [("pc_values", "pc_val", 4), ("pc_own", "pc_own", 4),
                           ("pc_ideal", "pc_ideal", 4), ("leadership", "lead", 3),
                           ("high_results", "hr", 3), ("demandingness", "dem", 3)]:
        pc += [{"id": f"{prefix}_{k:02d}", "text": f"{sid} {k}", "response": "agree5",
                "scales": [sid], "reverse": k == 2 and sid == "pc_values"}
               for k in range(1, n + 1)]
        scales[sid] = {"label": sid, "role": "prof_values" if sid == "pc_values" else sid}
    burn = []
    for sid, prefix in [("burnout_exhaustion", "bex"), ("burnout_depersonalisation", "bdp"),
                        ("burnout_accomplishment", "bac")]:
        burn += [{"id": f"{prefix}_{k:02d}", "text": f"{sid} {k}", "response": "freq7",
                  "scales": [sid]} for k in range(1, 4)]
        scales[sid] = {"label": sid}
    return {"instrument": {"id": "teachers", "group": "teachers",
                           "id_columns": ["resp_id", "school_id", "wave"]},
            "response_scales": RS,
            "sections": [{"id": "about", "items": own}] + _shared("п")
            + [{"id": "pc", "items": pc}, {"id": "burnout", "items": burn}],
            "scales": scales}


def school_passport() -> dict:
    items = [{"id": k, "text": k, "type": "numeric", "min": 0, "max": 100, "unit": "%"}
             for k in ["low_income_pct", "parents_higher_edu_pct", "single_parent_pct",
                       "large_families_pct", "social_risk_pct", "registered_pct", "non_native_pct",
                       "disability_pct"]]
    items += [{"id": "location", "text": "Тип поселения", "type": "single",
               "codes": {1: "город", 2: "пгт", 3: "село"}},
              {"id": "n_students", "text": "Число обучающихся", "type": "numeric",
               "min": 1, "max": 5000},
              {"id": "n_teachers", "text": "Число учителей", "type": "numeric", "min": 1,
               "max": 500},
              {"id": "teacher_vacancies", "text": "Вакансии", "type": "numeric", "min": 0,
               "max": 100},
              {"id": "teachers_higher_cat_pct", "text": "Доля учителей высшей категории",
               "type": "numeric", "min": 0, "max": 100}]
    return {"instrument": {"id": "school_passport", "group": "school",
                           "id_columns": ["school_id", "year"]},
            "sections": [{"id": "passport", "items": items}]}


def results() -> dict:
    items = [{"id": "n_participants", "text": "Участников", "type": "numeric", "min": 0,
              "max": 1000},
             {"id": "mean_score", "text": "Средний балл", "type": "numeric", "min": 0, "max": 100},
             {"id": "below_min_pct", "text": "Доля ниже минимума", "type": "numeric", "min": 0,
              "max": 100},
             {"id": "high_pct", "text": "Доля высоких результатов", "type": "numeric", "min": 0,
              "max": 100}]
    return {"instrument": {"id": "results", "group": "results",
                           "id_columns": ["school_id", "year", "procedure", "subject", "grade"]},
            "sections": [{"id": "results", "items": items}]}


def small_instruments() -> dict:
    """``{"students": Instrument, ...}`` for ``generate_demo(instruments=...)``."""
    return {name: parse_instrument(fn(), source=f"<test {name}>") for name, fn in
            [("students", students), ("parents", parents), ("teachers", teachers),
             ("school_passport", school_passport), ("results", results)]}


# ------------------------------------------------------------------------------------------
# fixtures
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study() -> DemoStudy:
    return generate_demo()


@pytest.fixture(scope="module")
def written(study, tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    return folder, write_demo(study, folder)


def _instr(study, name):
    return study.instruments[name]


def _planted(study, problem=None):
    return [p for p in study.truth["planted_problems"] if problem is None or p["problem"] == problem]


def _score(df, inst, scale):
    cols = []
    for iid in inst.scales[scale].items:
        it = inst.item(iid)
        x = df[iid].astype(float).where(df[iid].isin(list(it.codes)))
        cols.append(min(it.codes) + max(it.codes) - x if it.reverse else x)
    return pd.concat(cols, axis=1).mean(axis=1)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------
# reproducibility
# ------------------------------------------------------------------------------------------
def test_same_seed_identical_frames_different_seed_differs(study):
    again = generate_demo()
    for name in ("schools", "frame", "sample", "students", "parents", "teachers", "passport",
                 "results", "programme_data", "diagnostics", "region"):
        pd.testing.assert_frame_equal(getattr(study, name), getattr(again, name))
    assert json.dumps(study.truth, sort_keys=True) == json.dumps(again.truth, sort_keys=True)
    other = generate_demo(7, n_schools=20, n_sampled=12, waves=(2022,),
                          instruments=small_instruments())
    same = generate_demo(7, n_schools=20, n_sampled=12, waves=(2022,),
                         instruments=small_instruments())
    pd.testing.assert_frame_equal(other.students, same.students)
    other8 = generate_demo(8, n_schools=20, n_sampled=12, waves=(2022,),
                           instruments=small_instruments())
    assert other8.truth["schools"] != other.truth["schools"]
    assert not other8.results["mean_score"].equals(other.results["mean_score"])
    assert study.truth["schools"][:20] != other.truth["schools"]


def test_same_seed_identical_files(study, written, tmp_path):
    folder, paths = written
    paths2 = write_demo(generate_demo(), tmp_path / "again")   # regenerated, same seed
    assert set(paths) == set(paths2)
    assert {"programme_data", "diagnostics", "region"} <= set(paths)
    for name in paths:
        assert _sha(paths[name]) == _sha(paths2[name]), name


def test_truth_is_json_and_roundtrips(study, written):
    folder, paths = written
    truth = load_demo_truth(folder)
    assert truth == json.loads(json.dumps(study.truth))
    assert load_demo_truth(paths["truth"]) == truth
    with pytest.raises(ParameterError, match="truth.json"):
        load_demo_truth(folder / "raw")


# ------------------------------------------------------------------------------------------
# files read back with their usual readers
# ------------------------------------------------------------------------------------------
def test_files_read_back(study, written):
    import pyreadstat
    folder, paths = written
    for w in study.waves:
        sav, meta = pyreadstat.read_sav(str(paths[f"students_{w}"]), user_missing=True)
        inst = _instr(study, "students")
        assert list(sav.columns) == list(inst.id_columns) + inst.columns
        assert meta.creation_time.year == 2000 and meta.creation_time.month == 1   # fixed stamp
        ten = inst.item("ten_01")
        assert meta.column_names_to_labels["ten_01"] == ten.text.ru
        assert meta.variable_value_labels["ten_01"][max(ten.codes)] == ten.codes[max(ten.codes)].ru
        exp = study.students[study.students["wave"] == w].reset_index(drop=True)
        num = [c for c in inst.columns if inst.column_item()[c].type != "text"]
        np.testing.assert_allclose(sav[num].to_numpy(float), exp[num].to_numpy(float),
                                   rtol=0, atol=0, equal_nan=True)
        assert sav["resp_id"].tolist() == exp["resp_id"].tolist()

        par = pd.read_csv(paths[f"parents_{w}"], sep=";", decimal=",", encoding="cp1251")
        inst = _instr(study, "parents")
        assert list(par.columns) == list(inst.id_columns) + inst.columns
        exp = study.parents[study.parents["wave"] == w].reset_index(drop=True)
        num = [c for c in inst.columns if inst.column_item()[c].type != "text"]
        np.testing.assert_allclose(par[num].to_numpy(float), exp[num].to_numpy(float),
                                   rtol=0, atol=0, equal_nan=True)
        texts = [it.id for it in inst.items_of(type="text")]
        if texts:   # Cyrillic comments survive the cp1251 round trip
            assert par[texts[0]].fillna("").tolist() == exp[texts[0]].fillna("").tolist()

        if w != study.waves[0]:    # reading .xlsx is slow: one wave is enough
            continue
        tea = pd.read_excel(paths[f"teachers_{w}"])
        inst = _instr(study, "teachers")
        assert list(tea.columns) == list(inst.id_columns) + inst.columns
        exp = study.teachers[study.teachers["wave"] == w].reset_index(drop=True)
        num = [c for c in inst.columns if inst.column_item()[c].type != "text"]
        np.testing.assert_allclose(tea[num].to_numpy(float), exp[num].to_numpy(float),
                                   rtol=0, atol=0, equal_nan=True)

    pas = pd.read_excel(paths["school_passport"], sheet_name=None)
    assert list(pas) == ["passport", "codebook"]
    inst = _instr(study, "school_passport")
    # the instrument's columns, then the programme flag (not part of the passport form)
    assert list(pas["passport"].columns) == list(inst.id_columns) + inst.columns + ["in_programme"]
    assert "in_programme" in set(pas["codebook"]["variable"])
    np.testing.assert_allclose(pas["passport"][inst.columns].to_numpy(float),
                               study.passport[inst.columns].to_numpy(float), rtol=1e-12)
    res = pd.read_csv(paths["results"], encoding="utf-8")
    inst = _instr(study, "results")
    assert list(res.columns) == list(inst.id_columns) + inst.columns
    np.testing.assert_allclose(res[inst.columns].to_numpy(float),
                               study.results[inst.columns].to_numpy(float), rtol=1e-12)
    frame = pd.read_csv(paths["sample_frame"])
    assert len(frame) == len(study.frame)
    np.testing.assert_allclose(frame["weight"].to_numpy(float),
                               study.frame["weight"].to_numpy(float), rtol=1e-9, equal_nan=True)


def test_study_yaml_lists_the_files(written):
    import yaml
    folder, paths = written
    cfg = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    assert set(cfg) >= {"study", "instruments", "responses", "design", "context", "output"}
    files = [v["file"] for g in cfg["responses"].values() for v in g.values()]
    files += [cfg["design"]["frame"]["file"], cfg["context"]["passport"]["file"],
              cfg["context"]["results"]["file"]]
    for f in files:
        assert (folder / f).exists(), f
    assert cfg["responses"]["parents"][2022]["encoding"] == "cp1251"
    assert cfg["design"]["weight"] == "weight"
    for name in cfg["instruments"].values():
        load_instrument(name)


# ------------------------------------------------------------------------------------------
# codes, rankings, multiple choice
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("group", GROUPS)
def test_codes_within_instrument_except_planted(study, group):
    inst = _instr(study, group)
    df = study.answers(group)
    planted = {(p["resp_id"], p["column"]) for p in _planted(study, "out_of_range")
               if p["group"] == group}
    assert len(planted) == 1
    bad = set()
    for it in inst.items:
        if it.type in ("single", "likert"):
            ok = set(it.codes) | set(it.missing)
            x = df[it.id]
            rows = df.loc[x.notna() & ~x.isin(ok), "resp_id"]
            bad |= {(r, it.id) for r in rows}
        elif it.type == "numeric":
            x = df[it.id]
            assert ((x >= it.min) & (x <= it.max) | x.isna()).all(), it.id
        elif it.type == "multiple":
            vals = df[it.columns]
            assert vals.isin([0, 1]).where(vals.notna(), True).all().all()
            assert (vals.sum(axis=1) <= (it.max_choices or len(it.options))).all()
    assert bad == planted


@pytest.mark.parametrize("group", GROUPS)
def test_rankings_are_permutations_except_planted(study, group):
    inst = _instr(study, group)
    df = study.answers(group)
    planted = {p["resp_id"] for p in _planted(study) if p["problem"].startswith("invalid_ranking")
               and p["group"] == group}
    almost_empty = {p["resp_id"] for p in _planted(study, "almost_empty")}
    for it in inst.items_of(type="ranking"):
        r = df[it.columns]
        answered = r.notna().all(axis=1)
        perm = answered & (np.sort(r.fillna(0).to_numpy(), axis=1)
                           == np.arange(1, len(it.columns) + 1)).all(axis=1)
        partial = ~answered & r.notna().any(axis=1)
        invalid = set(df.loc[(answered & ~perm) | partial, "resp_id"])
        if it.id == inst.items_of(type="ranking")[0].id:
            assert invalid == planted
        else:
            assert invalid == set()
        # about 1 % skip the whole ranking
        skipped = (r.isna().all(axis=1) & ~df["resp_id"].isin(almost_empty)).mean()
        assert 0.002 < skipped < 0.03


def test_planted_problems_are_in_the_data(study):
    s = study.students
    problems = study.truth["planted_problems"]
    kinds = pd.Series([p["problem"] for p in problems]).value_counts().to_dict()
    assert kinds == {"duplicate_id": 2, "out_of_range": 3, "invalid_ranking_tie": 1,
                     "invalid_ranking_gap": 1, "straightliner": 2, "non_sampled_class": 1,
                     "almost_empty": 1}
    dup = s[s.duplicated(["wave", "resp_id"], keep=False)]["resp_id"].unique()
    assert sorted(dup) == sorted(p["resp_id"] for p in _planted(study, "duplicate_id"))
    for df in (study.parents, study.teachers):
        assert not df.duplicated(["wave", "resp_id"]).any()
    likert = [it.id for it in _instr(study, "students").items_of(type="likert")]
    for p in _planted(study, "straightliner"):
        row = s.loc[s["resp_id"] == p["resp_id"], likert]
        assert row.nunique(axis=1).iloc[0] <= 2      # one position (codes differ by scale)
    sampled = set(study.sample.loc[study.sample["unit"] == "class", "class_id"])
    outside = set(s.loc[~s["class_id"].isin(sampled), "resp_id"])
    assert outside == {p["resp_id"] for p in _planted(study, "non_sampled_class")}
    cols = _instr(study, "students").columns
    n_answered = s[cols].notna().sum(axis=1)
    empty = set(s.loc[n_answered <= 3, "resp_id"])
    assert empty == {p["resp_id"] for p in _planted(study, "almost_empty")}


def test_missing_codes_about_two_percent(study):
    inst = _instr(study, "students")
    items = [it for it in inst.items_of(type="likert") if it.missing]
    x = study.students[[it.id for it in items]]
    share = np.mean([x[it.id].isin(list(it.missing)).mean() for it in items])
    assert 0.012 < share < 0.03


# ------------------------------------------------------------------------------------------
# sample design
# ------------------------------------------------------------------------------------------
def test_sample_probabilities_and_weights(study):
    f = study.frame
    for col in ("p_school", "p_class", "p_unit"):
        assert ((f[col] > 0) & (f[col] <= 1)).all(), col
    s = study.sample
    np.testing.assert_allclose(s["weight"], 1 / (s["p_school"] * s["p_class"] * s["p_unit"]),
                               rtol=1e-12)
    np.testing.assert_allclose(s["weight_nr"], s["weight"] * s["n_pupils"] / s["n_responded"],
                               rtol=1e-12)
    sch = study.schools
    assert sch["sampled"].sum() == 24
    assert sch.groupby("stratum").size().to_dict() == {"city": 16, "town": 12, "village": 12}
    # PPS: the inclusion probabilities of a stratum add up to its sample size
    got = sch.groupby("stratum")["p_school"].sum()
    np.testing.assert_allclose(got.to_numpy(), sch.groupby("stratum")["sampled"].sum().to_numpy(),
                               rtol=1e-12)
    # 2 classes per sampled school, SRS probability 2 / K
    cls = s[(s["unit"] == "class") & (s["wave"] == study.waves[0])]
    assert (cls.groupby("school_id").size() == 2).all()
    k = f[(f["unit"] == "class") & (f["wave"] == study.waves[0])].groupby("school_id").size()
    np.testing.assert_allclose(cls["p_class"], 2 / cls["school_id"].map(k), rtol=1e-12)
    # response rates near the design values
    assert 0.80 < s.loc[s["unit"] == "class", "n_responded"].sum() / \
        s.loc[s["unit"] == "class", "n_pupils"].sum() < 0.90
    rate_par = s["n_parents_responded"].sum() / s.loc[s["unit"] == "class", "n_responded"].sum()
    assert 0.58 < rate_par < 0.72
    t = s[s["unit"] == "teachers"]
    assert t["n_pupils"].between(15, 40).all()
    assert 0.74 < t["n_responded"].sum() / t["n_pupils"].sum() < 0.86
    # answers: respondents per class-wave match the frame (planted rows aside)
    planted = {p["resp_id"] for p in study.truth["planted_problems"]}
    stu = study.students[~study.students["resp_id"].isin(planted)]
    n = stu.groupby(["wave", "class_id"]).size()
    m = s[s["unit"] == "class"].set_index(["wave", "class_id"])["n_responded"]
    assert (n.reindex(m.index).fillna(0) <= m).all() and (m - n.reindex(m.index)).sum() < 12


def test_ids_are_pseudonymous(study):
    assert study.students["resp_id"].str.fullmatch(r"W\d\d-S\d\d-C\d+-\d{3}").all()
    assert study.parents["resp_id"].str.fullmatch(r"W\d\d-S\d\d-C\d+-\d{3}-P").all()
    assert study.teachers["resp_id"].str.fullmatch(r"W\d\d-S\d\d-T\d{3}").all()


# ------------------------------------------------------------------------------------------
# planted truth is recoverable with simple estimates
# ------------------------------------------------------------------------------------------
def _context(study):
    return pd.Series({d["school_id"]: d["context"] for d in study.truth["schools"]})


def test_results_context_effect_and_school_types(study):
    r = study.results.copy()
    keys = ["year", "procedure", "subject", "grade"]
    r["z"] = r.groupby(keys)["mean_score"].transform(lambda x: (x - x.mean()) / x.std())
    m = r.groupby("school_id")["z"].mean()
    c = _context(study)[m.index]
    assert np.corrcoef(m, c)[0, 1] > 0.5
    T = study.truth["results"]
    b = np.polyfit(c, m, 1)
    resid = m - np.polyval(b, c)
    third = c.quantile(1 / 3)
    low_context = resid[c <= third + 1e-12]
    assert set(T["resilient_schools"]) == set(low_context.sort_values().index[-3:])
    assert set(T["low_result_schools"]) <= set(resid.sort_values().index[:4])
    assert set(T["low_result_schools"]) <= set(T["low_result_by_rule"])
    assert len(T["low_result_by_rule"]) <= 6
    assert (c[T["resilient_schools"]] <= third + 1e-12).all()
    # unstable schools have the largest year-to-year swings of the residual
    y = r.groupby(["school_id", "year"])["z"].mean().unstack()
    swing = y.diff(axis=1).abs().mean(axis=1)
    assert set(T["unstable_schools"]) <= set(swing.sort_values().index[-5:])
    # shares consistent with the mean
    assert np.corrcoef(r["mean_score"], r["below_min_pct"])[0, 1] < -0.5
    assert np.corrcoef(r["mean_score"], r["high_pct"])[0, 1] > 0.5
    assert ((r[["below_min_pct", "high_pct"]] >= 0) & (r[["below_min_pct", "high_pct"]] <= 100)).all().all()


def test_passport_directions(study):
    p = study.passport.groupby("school_id").mean(numeric_only=True)
    c = _context(study)[p.index]
    for k, spec in study.truth["context"]["passport"].items():
        if k in p and abs(spec["logit_slope"]) >= 0.3:
            r = np.corrcoef(p[k], c)[0, 1]
            assert np.sign(r) == np.sign(spec["logit_slope"]), k
            if abs(spec["logit_slope"]) >= 0.5:
                assert abs(r) > 0.6, k


def test_tension_high_schools_and_discrepancy(study):
    T = study.truth["tension"]
    means = {}
    for g in GROUPS:
        df = study.answers(g)
        means[g] = df.assign(t=_score(df, _instr(study, g), "tension")).groupby("school_id")["t"].mean()
    high, disc = T["high_tension_schools"], T["discrepancy_school"]
    for g in ("students", "parents"):
        others = means[g].drop(high + [disc])
        assert means[g][high].min() > others.max(), g
        assert means[g][high].mean() - others.mean() > 0.6
    # students see high tension in the discrepancy school, teachers do not
    assert means["students"][disc] > means["students"].drop(high + [disc]).max()
    t_others = means["teachers"].drop(high + [disc])
    assert means["teachers"][disc] < t_others.quantile(0.75)
    # expected values in the truth agree with the data
    exp = pd.Series({k: np.mean(v) for k, v in T["expected_scale_mean"]["students"].items()})
    assert np.corrcoef(exp[means["students"].index], means["students"])[0, 1] > 0.9


def test_programme_schools_change_others_do_not(study):
    D = study.truth["dynamics"]
    prog = D["programme_schools"]
    first, last = study.waves[0], study.waves[-1]
    df = study.students
    inst = _instr(study, "students")
    df = df.assign(t=_score(df, inst, "tension"), m=_score(df, inst, "motivation"))
    g = df.groupby(["school_id", "wave"])[["t", "m"]].agg(["mean", "var", "count"])
    d_t = g[("t", "mean")].unstack()[last] - g[("t", "mean")].unstack()[first]
    se = np.sqrt((g[("t", "var")] / g[("t", "count")]).unstack()[[first, last]].sum(axis=1))
    z = d_t / se
    assert (z[prog] < -2).all()
    others = z.drop(prog)
    assert (others.abs() > 2.576).sum() <= 2          # false positives at 1 %: about 0.2 expected
    d_m = g[("m", "mean")].unstack()[last] - g[("m", "mean")].unstack()[first]
    assert (d_m[prog] > 0.1).all() and d_m[prog].mean() > 0.3
    exp = D["expected_change_first_to_last"]["students"]["tension"]
    np.testing.assert_allclose(d_t[prog].mean(), np.mean(list(exp.values())), atol=0.2)


def test_values_hierarchies(study):
    V = study.truth["values"]
    for g in GROUPS:
        df = study.answers(g)
        for item, by_group in V["rokeach"].items():
            tr = by_group[g]
            obs = df[tr["order_columns"]].mean()
            exp = pd.Series(tr["expected_mean_rank"])[tr["order_columns"]]
            assert np.corrcoef(obs, exp)[0, 1] > 0.95, (g, item)
            assert set(obs.sort_values().index[:3]) & set(tr["order_columns"][:3])
    term = V["rokeach"]["rok_term"]
    top = {g: term[g]["order"][:4] for g in GROUPS}
    assert any("Интересная работа" in o for o in top["students"])
    assert any("Здоровье" in o for o in top["parents"][:2])
    assert any("Познание" in o for o in top["teachers"])
    for g in GROUPS:
        inst = _instr(study, g)
        exp = V["pvq"][g]["expected_scale_mean"]
        obs = {s: _score(study.answers(g), inst, s).mean() for s in exp}
        assert np.corrcoef(list(exp.values()), [obs[s] for s in exp])[0, 1] > 0.95


def test_life_success_probabilities(study):
    L = study.truth["life_success"]["items"]
    for item, by_group in L.items():
        for g, tr in by_group.items():
            df = study.answers(g)
            cols = list(tr["probability"])
            obs = df[cols].dropna().mean()
            np.testing.assert_allclose(obs.to_numpy(), np.array(list(tr["probability"].values())),
                                       atol=0.06)
    s = L["life_success"]
    assert s["students"]["probability"] != s["parents"]["probability"]


def test_needs_gap(study):
    for g, rows in study.truth["needs"]["by_group"].items():
        df = study.answers(g)
        gaps = {}
        for r in rows:
            imp = df[r["importance"]].where(df[r["importance"]].between(1, 5)).mean()
            real = df[r["realisation"]].where(df[r["realisation"]].between(1, 5)).mean()
            gaps[r["realisation"]] = imp - real
            assert abs((imp - real) - r["expected_gap"]) < 0.25
        large = [r["realisation"] for r in rows if r["planted_large_gap"]]
        small = [r["realisation"] for r in rows if not r["planted_large_gap"]]
        assert min(gaps[k] for k in large) > max(gaps[k] for k in small)


def test_teachers_consensus_and_icc(study):
    C = study.truth["teachers_community"]
    for s in C["scales"]:
        assert 0.12 <= C["icc1_true"][s] <= 0.30, s
        assert abs(C["icc1_observed"][s] - C["icc1_true"][s]) < 0.1, s
    rwg = pd.Series(C["rwg_j_pc_values_observed"])
    assert rwg[C["consensus_high_schools"]].min() > 0.95
    assert rwg[C["consensus_low_schools"]].max() < 0.6
    others = rwg.drop(C["consensus_high_schools"] + C["consensus_low_schools"])
    assert rwg[C["consensus_low_schools"]].max() < others.min()


# ------------------------------------------------------------------------------------------
# programme monitoring, regional diagnostic work, regional values, the indicator catalogue
# ------------------------------------------------------------------------------------------
PROGRAMME_COLUMNS = ["school_id", "year", "n_students", "n_iom", "n_add_edu", "n_add_edu_tech",
                     "n_projects", "n_olympiad", "n_olympiad_winners", "n_individual_progress",
                     "n_anxiety_assessed", "n_anxiety_reduced", "missed_lessons", "fail_pct",
                     "marks_45_pct", "n_teachers", "n_teachers_trained", "n_teachers_methods",
                     "n_teachers_innovation", "has_school_programme"]


def _programme_measures(study) -> pd.DataFrame:
    """School x year values of the programme measures (oriented: higher = better) and the
    participants-weighted diagnostic means."""
    d = study.programme_data.replace(-9, np.nan).set_index(["school_id", "year"])
    out = pd.DataFrame({k: 100 * d[k] / d["n_students"] for k in
                        ("n_iom", "n_add_edu", "n_projects", "n_individual_progress")})
    out["anxiety_reduced"] = 100 * d["n_anxiety_reduced"] / d["n_anxiety_assessed"]
    out["teachers_trained"] = 100 * d["n_teachers_trained"] / d["n_teachers"]
    out["teachers_methods"] = 100 * d["n_teachers_methods"] / d["n_teachers"]
    out["less_missed"] = -d["missed_lessons"] / d["n_students"]
    out["marks_45_pct"] = d["marks_45_pct"]
    out["less_fail"] = -d["fail_pct"]
    g = study.diagnostics.assign(w=lambda x: x["mean_score"] * x["n_participants"]) \
        .groupby(["school_id", "year", "work"])[["w", "n_participants"]].sum()
    return out.join((g["w"] / g["n_participants"]).unstack("work"))


def _survey_estimates(study) -> pd.DataFrame:
    """Simple per school x wave estimates (mean, SE = SD / sqrt(n)) of the students' scales:
    the ``survey`` table of compute_indicators."""
    inst = _instr(study, "students")
    df = study.students.drop_duplicates(["wave", "resp_id"], keep=False)
    rows = []
    for v in ("tension", "motivation", "anxiety"):
        g = df.assign(x=_score(df, inst, v)).groupby(["school_id", "wave"])["x"]
        est = g.agg(["mean", "std", "count"]).reset_index()
        rows.append(pd.DataFrame({"school_id": est["school_id"], "group": "students",
                                  "wave": est["wave"], "variable": v, "est": est["mean"],
                                  "se": est["std"] / np.sqrt(est["count"])}))
    return pd.concat(rows, ignore_index=True)


def test_indicator_files_written_and_read_back(study, written):
    import yaml
    from shnro_research.responses import read_responses, validate_responses
    from shnro_research.config import load_study
    from shnro_research.io import read_table
    folder, paths = written
    cfg = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
    assert cfg["indicators"] == {"programme_data": {"file": "raw/programme_data.xlsx"},
                                 "diagnostics": {"file": "raw/diagnostics.csv"},
                                 "region": {"file": "raw/region.csv"},
                                 "programme_results": {"file": "raw/programme_results.csv"},
                                 "action_plan": {"file": "raw/action_plan.csv"}}
    files = load_study(folder / "study.yaml").tables
    for name in ("programme_data", "diagnostics", "region"):
        assert files[name].file == paths[name].resolve()
        # as the pipeline reads them (pipeline/_base.read_file: io.read_table with the options)
        got = read_table(files[name].file, **files[name].options()).data
        exp = getattr(study, name)
        assert list(got.columns) == list(exp.columns), name
        assert len(got) == len(exp), name
        for col in exp.columns:
            if not pd.api.types.is_numeric_dtype(exp[col]):
                assert got[col].astype(str).tolist() == exp[col].tolist(), (name, col)
            else:
                np.testing.assert_allclose(got[col].to_numpy(float), exp[col].to_numpy(float),
                                           rtol=0, atol=1e-9, err_msg=f"{name}.{col}")
    assert list(study.programme_data.columns) == PROGRAMME_COLUMNS
    assert list(study.diagnostics.columns) == ["school_id", "year", "work", "grade",
                                               "n_participants", "mean_score"]
    assert list(study.region.columns) == ["year", "procedure", "subject", "below_min_pct",
                                          "high_pct", "mean_score", "pass_pct", "quality_pct",
                                          "mean_mark"]
    # the passport's extra column is tolerated by the reader and the validator
    inst = _instr(study, "school_passport")
    res = read_responses(paths["school_passport"], inst)
    assert res.report.unknown_columns == ["in_programme"]
    assert (res.data["in_programme"].to_numpy() == study.passport["in_programme"].to_numpy()).all()
    # a column not in the instrument is dropped unless kept (responses: rules.keep_columns)
    val = validate_responses(res, inst)
    assert "in_programme" not in val.clean.columns and len(val.clean) == len(study.passport)
    val = validate_responses(res, inst, rules={"keep_columns": ("in_programme",)})
    assert "in_programme" in val.clean.columns and len(val.clean) == len(study.passport)


def test_programme_data_consistent_with_the_schools(study):
    pd_, pas = study.programme_data, study.passport
    n, W = len(study.schools), len(study.waves)
    assert len(pd_) == n * W and not pd_.duplicated(["school_id", "year"]).any()
    assert set(pd_["year"]) == set(study.waves)
    key = ["school_id", "year"]
    m = pd_.merge(pas[key + ["n_students", "n_teachers", "in_programme"]], on=key,
                  suffixes=("", "_passport"))
    assert (m["n_students"] == m["n_students_passport"]).all()
    assert (m["n_teachers"] == m["n_teachers_passport"]).all()
    # the planted "no data" code and nothing else below 0
    miss = study.truth["programme"]["planted_missing"]
    assert len(miss) == 1
    neg = pd_.set_index(key).lt(0).stack()
    assert neg[neg].index.tolist() == [(miss[0]["school_id"], miss[0]["year"],
                                        miss[0]["column"])]
    d = pd_.replace(-9, np.nan)
    for col in ("n_iom", "n_add_edu", "n_projects", "n_individual_progress",
                "n_anxiety_assessed", "n_olympiad"):
        assert (d[col] <= d["n_students"]).all(), col
    assert (d["n_anxiety_reduced"] <= d["n_anxiety_assessed"]).all()
    assert (d["n_add_edu_tech"] <= d["n_add_edu"]).all()
    assert (d["n_olympiad_winners"] <= d["n_olympiad"]).all()
    for col in ("n_teachers_trained", "n_teachers_methods", "n_teachers_innovation"):
        assert (d[col] <= d["n_teachers"]).all(), col
    # a school programme in every programme school from the second year
    hp = d.set_index(["school_id", "year"])["has_school_programme"]
    assert set(hp.unique()) == {0, 1}
    prog_ = study.truth["programme"]["programme_schools"]
    assert (hp.loc[prog_].xs(study.waves[-1], level="year") == 1).all()
    assert d[["fail_pct", "marks_45_pct"]].stack().between(0, 100).all()
    # the programme flag: the truth's programme schools, constant over the years
    prog = study.truth["programme"]["programme_schools"]
    assert prog == study.truth["dynamics"]["programme_schools"] and len(prog) == 4
    flag = pas.groupby("school_id")["in_programme"].agg(["min", "max"])
    assert (flag["min"] == flag["max"]).all()
    assert sorted(flag.index[flag["max"] == 1]) == sorted(prog)
    # related to context and to the school's results
    c = _context(study)
    r = study.results.copy()
    r["z"] = r.groupby(["year", "procedure", "subject", "grade"])["mean_score"] \
        .transform(lambda x: (x - x.mean()) / x.std())
    res = r.groupby("school_id")["z"].mean()
    sm = d.groupby("school_id").mean()
    assert np.corrcoef(sm["marks_45_pct"], c[sm.index])[0, 1] > 0.3
    assert np.corrcoef(sm["marks_45_pct"], res[sm.index])[0, 1] > 0.7
    assert np.corrcoef(sm["fail_pct"], c[sm.index])[0, 1] < -0.2
    assert np.corrcoef(sm["fail_pct"], res[sm.index])[0, 1] < -0.6
    missed = sm["missed_lessons"] / sm["n_students"]
    assert missed.between(20, 100).all()
    assert np.corrcoef(missed, c[sm.index])[0, 1] < -0.2


def test_diagnostics_related_to_context_and_results(study):
    d = study.diagnostics
    assert set(d["work"]) == {"reading", "science"}
    assert set(d.loc[d["work"] == "reading", "grade"]) == {4, 6}
    assert set(d.loc[d["work"] == "science", "grade"]) == {8}
    assert len(d) == len(study.schools) * len(study.waves) * 3
    assert d["mean_score"].between(0, 100).all() and (d["n_participants"] >= 1).all()
    d = d.assign(z=d.groupby(["year", "work", "grade"])["mean_score"]
                 .transform(lambda x: (x - x.mean()) / x.std()))
    dz = d.groupby(["school_id", "work"])["z"].mean().unstack()
    c = _context(study)[dz.index]
    r = study.results.copy()
    r["z"] = r.groupby(["year", "procedure", "subject", "grade"])["mean_score"] \
        .transform(lambda x: (x - x.mean()) / x.std())
    res = r.groupby("school_id")["z"].mean()[dz.index]
    for work in ("reading", "science"):
        assert np.corrcoef(dz[work], c)[0, 1] > 0.4, work
        assert np.corrcoef(dz[work], res)[0, 1] > 0.7, work
    T = study.truth["diagnostics"]
    assert all(v > 0.4 for v in T["corr_school_effect_with_context"].values())


def test_programme_schools_improve_others_do_not(study):
    prog = study.truth["programme"]["programme_schools"]
    x = _programme_measures(study)
    first, last = study.waves[0], study.waves[-1]
    ch = x.xs(last, level="year") - x.xs(first, level="year")
    others = ch.drop(prog)
    # every programme school improves on the programme's direct measures ...
    direct = ["n_iom", "n_add_edu", "n_projects", "n_individual_progress", "anxiety_reduced",
              "teachers_trained", "less_missed", "teachers_methods"]
    assert (ch.loc[prog, direct] > 0).all().all()
    # ... and on average on every measure, by more than the other schools' spread
    gap = ch.loc[prog].mean() - others.mean()
    assert (gap > 0.3 * others.std()).all(), gap / others.std()
    assert (gap[direct] > 1.0 * others.std()[direct]).all()
    assert gap["reading"] > 2 and gap["science"] > 2          # points
    # the other schools have no trend (true change 0): their mean change is small
    assert (others.mean().abs() < 0.8 * others.std()).all()
    # the truth: directions and expected changes
    M = study.truth["programme"]["measures"]
    for k, m in M.items():
        sign = 1 if m["programme_direction"] == "increase" else -1
        assert all(sign * v > 0 for v in m["programme_schools_expected_change"].values()), k
        assert m["other_schools_expected_change"] == 0.0
    assert study.truth["diagnostics"]["programme_expected_change_points"]["reading"] > 4


def test_region_table_and_gap(study):
    from shnro_research.indicators import region_comparison_table
    reg = study.region
    assert not reg.duplicated(["year", "procedure", "subject"]).any()
    assert len(reg) == len(study.waves) * 6
    assert reg[["below_min_pct", "high_pct"]].stack().between(0, 100).all()
    cmp_ = region_comparison_table(study.results, reg)
    gaps = study.truth["region"]["municipality_minus_region"]
    for row in cmp_.itertuples():
        exp = gaps[f"{row.procedure}_{row.subject}"][str(row.year)][row.measure]
        np.testing.assert_allclose(row.difference, exp, atol=0.006)
    # the region is ahead of the municipality (z_shift > 0): lower scores, more below minimum
    mean_gap = cmp_.loc[cmp_["measure"] == "mean_score", "difference"].mean()
    below_gap = cmp_.loc[cmp_["measure"] == "below_min_pct", "difference"].mean()
    assert mean_gap < 0 and below_gap > 0


def test_every_catalogue_indicator_has_data(study):
    """Every computed indicator of the five catalogues gets a value from the demo's tables, except
    those that read the register (models stage: tested on the pipeline run) and the ones the
    texts define so that no data can give them (qualitative, not computable)."""
    from shnro_research.indicators import compute_indicators, load_catalogue
    cat = load_catalogue(None)
    tables = study.indicator_tables(_survey_estimates(study))
    r = compute_indicators(cat, tables)
    assert set(r["indicator"]) == set(cat.ids)
    uses_register = {i["id"] for i in cat.indicators
                     if i.get("source") == "register"
                     or (i.get("params") or {}).get("schools", {}).get("source") == "register"
                     # _survey_estimates gives the students' scales only
                     or (i.get("source") == "survey"
                         and i["params"]["filter"].get("group") != ["students"])}
    computed = r[r["kind"].isin(["share", "mean", "share_of_schools", "difference_vs_region",
                                 "share_of_schools_with_change"])
                 & ~r["indicator"].isin(uses_register)
                 & r["year"].isin(study.waves)]
    got = computed.groupby("indicator")["est"].apply(lambda x: x.notna().any())
    assert got.all(), got[~got]
    # targets are only those the texts state; in the demo's years only Minusinsk's 2022 target
    graded = r[r["achievement"].isin(["achieved", "partly achieved", "not achieved"])]
    assert set(graded["indicator"]) <= {"minusinsk_result_4"}
    assert r.loc[r["target"].isna(), "achievement"].isin(["no target", "no data"]).all()
    # the planted "no data" code is excluded and said so
    note = r.loc[(r["indicator"] == "smolensk_se_3")
                 & (r["year"] == study.truth["programme"]["planted_missing"][0]["year"]), "note"]
    planted = study.truth["programme"]["planted_missing"][0]["school_id"]
    prog = study.truth["programme"]["programme_schools"]
    if planted in prog:
        assert note.str.contains("1 rows with missing values excluded").all()
    # the programme schools (passport flag in_programme) improve on the shares of pupils and
    # teachers the Smolensk expected results name; the municipality as a whole does not
    first, last = study.waves[0], study.waves[-1]
    w = r[r["indicator"].isin(["smolensk_or_1_1", "smolensk_or_1_3", "smolensk_or_1_4",
                               "smolensk_or_7", "smolensk_or_10"])].pivot(
        index="indicator", columns="year", values="est")
    assert (w[last] > w[first]).all(), w
    assert (r.loc[r["indicator"].str.startswith("smolensk_or_1_1"), "n"].dropna() <= 4).all()
    # truth: the programme schools' own values per stated target (Minusinsk ОКР 4, 2022)
    st = study.truth["programme"]["school_targets"]["minusinsk_result_4"][str(first)]
    d = study.programme_data.set_index(["school_id", "year"])
    for sid, v in st["programme_schools_value"].items():
        np.testing.assert_allclose(v, 100 * d.loc[(sid, first), "n_teachers_trained"]
                                   / d.loc[(sid, first), "n_teachers"], atol=0.006)
    assert sorted(st["achieved"] + st["not achieved"]) == sorted(study.schools["school_id"])


# ------------------------------------------------------------------------------------------
# other instruments and sizes; bad input; CLI
# ------------------------------------------------------------------------------------------
def test_works_from_other_instruments_and_sizes(tmp_path):
    inst = small_instruments()
    st = generate_demo(11, n_schools=20, n_sampled=12, waves=(2021, 2023), instruments=inst)
    assert st.schools["sampled"].sum() == 12 and len(st.schools) == 20
    for g in GROUPS:
        df = st.answers(g)
        assert list(df.columns) == list(inst[g].id_columns) + inst[g].columns
        assert set(df["wave"]) == {2021, 2023}
    assert st.truth["values"]["rokeach"]["rok_term"]["students"]["order"][0] == "интересная работа"
    one = generate_demo(3, waves=(2024,), instruments=inst)
    assert set(one.students["wave"]) == {2024}
    paths = write_demo(one, tmp_path / "one")
    assert paths["students_2024"].exists()
    import yaml
    cfg = yaml.safe_load(paths["study"].read_text(encoding="utf-8"))
    assert cfg["instruments"]["students"] == "students"     # bundled name when from surveys/
    custom = dict(inst)
    custom["students"] = parse_instrument(students(), source="x", path=str(tmp_path / "s.yaml"))
    st2 = generate_demo(3, waves=(2024,), instruments=custom)
    cfg2 = yaml.safe_load(write_demo(st2, tmp_path / "two")["study"].read_text(encoding="utf-8"))
    assert cfg2["instruments"]["students"].endswith("s.yaml")


@pytest.mark.parametrize("kwargs, match", [
    (dict(seed=-1), "seed"),
    (dict(seed=1.5), "seed"),
    (dict(n_schools=10), "n_schools"),
    (dict(n_sampled=41), "n_sampled"),
    (dict(waves=2022), "waves"),
    (dict(waves=(2023, 2022)), "waves"),
    (dict(waves=()), "waves"),
    (dict(instruments={"pupils": None}), "instruments"),
    (dict(classes_per_school=0), "classes_per_school"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        generate_demo(**kwargs)


def test_classes_per_school_draws_more_classes():
    """More classes per sampled school: more students, the same schools and teachers; the
    default (2) leaves the demo unchanged."""
    two = generate_demo(5, n_schools=40, n_sampled=24, waves=(2024,))
    four = generate_demo(5, n_schools=40, n_sampled=24, waves=(2024,), classes_per_school=4)
    fr2, fr4 = two.frame[two.frame["unit"] == "class"], four.frame[four.frame["unit"] == "class"]
    assert fr4["sampled"].sum() > fr2["sampled"].sum()
    assert (fr4.groupby("school_id")["sampled"].sum() <= 4).all()
    assert len(four.students) > len(two.students)
    assert len(four.teachers) == len(two.teachers)
    k = fr4.groupby("school_id")["class_id"].transform("size")
    assert np.allclose(fr4["p_class"], np.minimum(1, 4 / k))


def test_bad_instrument_group():
    inst = small_instruments()
    inst["students"] = inst["parents"]
    with pytest.raises(ParameterError, match="group"):
        generate_demo(instruments=inst)


def test_indicator_tables_rejects_bad_survey(study):
    with pytest.raises(ParameterError, match="'survey' must be a DataFrame"):
        study.indicator_tables(survey="estimates.csv")
    assert set(study.indicator_tables()) == {"results", "passport", "programme_data",
                                             "diagnostics", "region"}


def test_write_demo_rejects_non_study(tmp_path):
    with pytest.raises(ParameterError, match="DemoStudy"):
        write_demo({"students": None}, tmp_path)


def _make_demo_cli(argv):
    from shnro_research.cli import make_demo
    parser = argparse.ArgumentParser()
    make_demo.add_arguments(parser)
    return make_demo.run(parser.parse_args(argv))


def test_cli_make_demo(tmp_path, capsys):
    argv = ["--out", str(tmp_path / "cli"), "--seed", "5", "--schools", "20", "--sampled", "12",
            "--waves", "2024"]
    assert _make_demo_cli(argv) == 0
    assert (tmp_path / "cli" / "study.yaml").exists()
    assert (tmp_path / "cli" / "raw" / "students_2024.sav").exists()
    assert load_demo_truth(tmp_path / "cli")["seed"] == 5
    assert "written" in capsys.readouterr().out


def test_cli_make_demo_refuses_to_overwrite_a_study(tmp_path, capsys):
    small = ["--schools", "20", "--sampled", "12", "--waves", "2024"]
    # a folder with a study.yaml (any study, not only a demo) is refused ...
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "study.yaml").write_text("study: {id: mine}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"already contains a study.*--overwrite"):
        _make_demo_cli(["--out", str(tmp_path / "a")] + small)
    assert (tmp_path / "a" / "study.yaml").read_text(encoding="utf-8") == "study: {id: mine}\n"
    assert not (tmp_path / "a" / "raw").exists()
    # ... and so is one with raw files only
    (tmp_path / "b" / "raw").mkdir(parents=True)
    (tmp_path / "b" / "raw" / "students_2024.sav").write_bytes(b"x")
    with pytest.raises(ParameterError, match="raw"):
        _make_demo_cli(["--out", str(tmp_path / "b")] + small)
    assert (tmp_path / "b" / "raw" / "students_2024.sav").read_bytes() == b"x"
    # an empty existing folder is fine; --overwrite replaces the demo files
    (tmp_path / "c").mkdir()
    assert _make_demo_cli(["--out", str(tmp_path / "c"), "--seed", "5"] + small) == 0
    with pytest.raises(ParameterError, match="already contains a study"):
        _make_demo_cli(["--out", str(tmp_path / "c"), "--seed", "6"] + small)
    assert load_demo_truth(tmp_path / "c")["seed"] == 5
    assert _make_demo_cli(["--out", str(tmp_path / "c"), "--seed", "6", "--overwrite"]
                          + small) == 0
    assert load_demo_truth(tmp_path / "c")["seed"] == 6
    assert _make_demo_cli(["--out", str(tmp_path / "a"), "--overwrite"] + small) == 0
    assert "demo" in (tmp_path / "a" / "study.yaml").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------
# the truth is computed independently of the code it checks
# ------------------------------------------------------------------------------------------
#: what the demo package may import from shnro_research (everything else of the package, and
#: in particular scoring, design.estimates, context, models, typology, dynamics, indicators,
#: is the code under test)
DEMO_MAY_IMPORT = ("shnro_research.instruments", "shnro_research.design.sampling",
                   "shnro_research.errors", "shnro_research._checks",
                   "shnro_research._reproducible", "shnro_research.demo")
UNDER_TEST = ("scoring", "design.estimates", "context", "models", "typology", "dynamics",
              "indicators")


def _package_imports(folder, package):
    """(file, module, names) for every import statement of the package's files, relative
    imports resolved (``from .. import x`` gives module ``shnro_research``, names ``["x"]``)."""
    import ast
    out = []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder)
        pkg = package.split(".") + list(rel.parts[:-1])     # the package the module is in
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out += [(path.name, a.name, []) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = pkg[:len(pkg) - node.level + 1] if node.level else []
                mod = ".".join(base + ([node.module] if node.module else []))
                out.append((path.name, mod, [a.name for a in node.names]))
    return out


def test_demo_imports_none_of_the_code_under_test():
    from pathlib import Path

    import shnro_research.demo as demo_pkg
    folder = Path(demo_pkg.__file__).parent
    assert folder.name == "demo" and (folder / "__init__.py").exists()
    assert not (folder.parent / "demo.py").exists()
    imports = _package_imports(folder, "shnro_research.demo")
    mods = {(f, m) for f, m, _ in imports}
    assert ("generate.py", "shnro_research.demo.truth") in mods        # the resolver works
    assert ("write.py", "shnro_research.errors") in mods
    assert ("frame.py", "shnro_research.design.sampling") in mods      # the library sampler
    ours = [(f, m, names) for f, m, names in imports if m.split(".")[0] == "shnro_research"]
    assert ours

    def within(m, prefixes):
        return any(m == p or m.startswith(p + ".") for p in prefixes)

    under_test = [f"shnro_research.{u}" for u in UNDER_TEST]
    for f, m, names in ours:
        for target in [m] + [f"{m}.{n}" for n in names]:
            assert not within(target, under_test), f"demo/{f} imports {target} (code under test)"
        # only the whitelisted modules (a `from X import n` counts as X, or as X.n for a package)
        ok = within(m, DEMO_MAY_IMPORT) or (names and all(within(f"{m}.{n}", DEMO_MAY_IMPORT)
                                                          for n in names))
        assert ok, f"demo/{f}: import of {m} {names} is not in DEMO_MAY_IMPORT"
    # no XLSX writer or PPS sampler of its own
    src = "\n".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.py"))
    assert "zipfile" not in src and "<worksheet" not in src
    assert "def _pps" not in src and "searchsorted" not in src


# ------------------------------------------------------------------------------------------
# formats for a region or the country (write_demo(format=...), make-demo --format)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_study():
    return generate_demo(11, n_schools=20, n_sampled=12, waves=(2023, 2024))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_formats_same_data_and_truth(small_study, fmt, tmp_path):
    import yaml

    from shnro_research.io import read_table
    xl = write_demo(small_study, tmp_path / "xlsx")
    other = write_demo(small_study, tmp_path / fmt, format=fmt)
    assert set(xl) | {"school_passport_codebook"} == set(other)
    assert _sha(xl["truth"]) == _sha(other["truth"])
    for name in ("results", "sample_frame", "diagnostics", "region"):
        assert _sha(xl[name]) == _sha(other[name]), name
    cfg = yaml.safe_load(other["study"].read_text(encoding="utf-8"))
    assert cfg["responses"]["teachers"][2024]["file"] == f"raw/teachers_2024.{fmt}"
    assert cfg["context"]["passport"]["format"] == fmt
    assert cfg["indicators"]["programme_data"]["file"] == f"raw/programme_data.{fmt}"
    for g in GROUPS:
        for w in small_study.waves:
            entry = cfg["responses"][g][w]
            got = read_table(tmp_path / fmt / entry["file"], encoding=entry.get("encoding"),
                             sep=entry.get("sep"), decimal=entry.get("decimal")).data
            src = getattr(small_study, g)
            want = src[src["wave"] == w].reset_index(drop=True)
            num = [c for c in want.columns if want[c].dtype.kind in "fi"]
            np.testing.assert_allclose(got[num].to_numpy(float), want[num].to_numpy(float),
                                       rtol=1e-12, atol=0)
            assert got["resp_id"].tolist() == want["resp_id"].tolist()
    got = read_table(other["school_passport"]).data
    np.testing.assert_allclose(got["n_students"].to_numpy(float),
                               small_study.passport["n_students"].to_numpy(float), rtol=1e-12)


def test_big_sheets_streamed_to_the_same_values(study, tmp_path, monkeypatch):
    from shnro_research.demo import write as demo_write
    df = demo_write._as_int_where_possible(study.teachers[study.teachers["wave"] == 2022])
    demo_write.write_xlsx({"t": df}, tmp_path / "small.xlsx")        # DataFrame.to_excel path
    monkeypatch.setattr(demo_write, "STREAM_CELLS", 0)
    demo_write.write_xlsx({"t": df}, tmp_path / "stream.xlsx")       # write-only openpyxl
    monkeypatch.undo()
    assert _sha(tmp_path / "small.xlsx") != _sha(tmp_path / "stream.xlsx")
    for engine in ("openpyxl", "calamine"):
        a = pd.read_excel(tmp_path / "small.xlsx", engine=engine)
        b = pd.read_excel(tmp_path / "stream.xlsx", engine=engine)
        pd.testing.assert_frame_equal(a, b)
    # the same file twice: byte-identical
    monkeypatch.setattr(demo_write, "STREAM_CELLS", 0)
    demo_write.write_xlsx({"t": df}, tmp_path / "stream2.xlsx")
    assert _sha(tmp_path / "stream.xlsx") == _sha(tmp_path / "stream2.xlsx")


def test_cli_make_demo_format(tmp_path, capsys):
    argv = ["--out", str(tmp_path / "pq"), "--seed", "5", "--schools", "20", "--sampled", "12",
            "--waves", "2024", "--format", "parquet"]
    assert _make_demo_cli(argv) == 0
    raw = tmp_path / "pq" / "raw"
    assert {p.name for p in raw.glob("*.parquet")} >= {
        "students_2024.parquet", "parents_2024.parquet", "teachers_2024.parquet",
        "school_passport.parquet", "programme_data.parquet"}
    assert not list(raw.glob("*.xlsx")) and not list(raw.glob("*.sav"))
    with pytest.raises(ParameterError, match="format"):
        write_demo(generate_demo(5, n_schools=20, n_sampled=12, waves=(2024,)),
                   tmp_path / "x", format="xls")


def test_parquet_written_in_row_groups_equals_the_whole_table(tmp_path, monkeypatch):
    """The demo's parquet is written a chunk of rows at a time (a national group is GBs); the
    file reads back equal to the whole wave written at once, with one schema."""
    import pyarrow.parquet as pq
    from shnro_research.demo import write as W
    st = generate_demo(3, n_schools=40, n_sampled=24, waves=(2023, 2024))
    monkeypatch.setattr(W, "PARQUET_ROWS", 300)
    for g in ("students", "teachers"):
        fr = getattr(st, g)
        for w in st.waves:
            whole = W._as_int_where_possible(fr[fr["wave"] == w]).reset_index(drop=True)
            W._write_parquet_rows(fr, w, tmp_path / "x.parquet")
            assert pq.ParquetFile(tmp_path / "x.parquet").num_row_groups > 1
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "x.parquet"), whole)


def test_rebuild_appends_sorts_and_gives_back_the_columns():
    """The generator rebuilds each group's answers into one float block a column at a time (and
    appends and sorts the planted duplicate students so): the same frame as concat + stable
    sort, without a fragmented frame, every source column given back."""
    import warnings
    from shnro_research.demo.respondents import _rebuild
    rng = np.random.default_rng(3)
    n = 500
    cols = {"wave": rng.choice([2023, 2024], n),
            "school_id": rng.choice(["S01", "S02", "S10"], n),
            "class_id": rng.choice(["a", "b", None], n),
            "resp_id": [f"r{i % 97}" for i in range(n)],     # ties: the sort must be stable
            "t": rng.choice(["u", None], n)}
    cols.update({f"x{j}": rng.normal(size=n) for j in range(120)})
    df = pd.DataFrame(cols, copy=False)                     # a block per column
    rows = df.iloc[[3, 7]].assign(resp_id="r5")
    keys = ["wave", "school_id", "class_id", "resp_id"]
    want = pd.concat([df, rows], ignore_index=True).sort_values(
        keys, kind="mergesort").reset_index(drop=True)
    order = pd.concat([df[keys], rows[keys]], ignore_index=True).sort_values(
        keys, kind="mergesort").index.to_numpy()
    same = df.copy()
    got = _rebuild(df, lambda c, s: pd.concat([s, rows[c]], ignore_index=True).take(order)
                   .reset_index(drop=True))
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert df.shape[1] == 0                   # every column given back
    plain = _rebuild(same)
    pd.testing.assert_frame_equal(plain.reset_index(drop=True),
                                  pd.DataFrame(cols).reset_index(drop=True), check_exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        got.assign(y=1.0)                      # not fragmented: no PerformanceWarning
