"""Bundled questionnaires (surveys/*.yaml) against docs/INSTRUMENTS_CONTRACT.md, and the schema."""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shnro_research._checks import InstrumentError, ParameterError
from shnro_research.instruments import (SURVEYS_DIR, Instrument, list_instruments,
                                        load_instrument, parse_instrument)

ROOT = Path(__file__).resolve().parent.parent
RESPONDENTS = ("students", "parents", "teachers")
ALL = ("students", "parents", "teachers", "school_passport", "results")
ESS_ORDER = ["ipcrtiv", "imprich", "ipeqopt", "ipshabt", "impsafe", "impdiff", "ipfrule",
             "ipudrst", "ipmodst", "ipgdtim", "impfree", "iphlppl", "ipsuces", "ipstrgv",
             "ipadvnt", "ipbhprp", "iprspot", "iplylfr", "impenv", "imptrad", "impfun"]
PVQ_VALUES = ["self_direction", "stimulation", "hedonism", "achievement", "power", "security",
              "conformity", "tradition", "benevolence", "universalism"]


@pytest.fixture(scope="module")
def ins():
    return {n: load_instrument(n) for n in ALL}


def _codes(item):
    return {c: t.ru for c, t in item.codes.items()}, {c: t.ru for c, t in item.missing.items()}


# -- bundled instruments ----------------------------------------------------------------------

def test_all_bundled_instruments_load():
    assert set(ALL) <= set(list_instruments())
    for name in list_instruments():
        i = load_instrument(name)
        assert isinstance(i, Instrument) and i.id == name
        assert len(i.columns) == len(set(i.columns))
        assert i.path.endswith(f"{name}.yaml")


@pytest.mark.parametrize("name, group, ids", [
    ("students", "students", ("resp_id", "school_id", "class_id", "wave")),
    ("parents", "parents", ("resp_id", "school_id", "class_id", "wave")),
    ("teachers", "teachers", ("resp_id", "school_id", "wave")),
    ("school_passport", "school", ("school_id", "year")),
    ("results", "results", ("school_id", "year", "procedure", "subject", "grade")),
])
def test_groups_and_id_columns(ins, name, group, ids):
    assert ins[name].group == group
    assert ins[name].id_columns == ids


def test_tension_block(ins):
    ref = None
    for g in RESPONDENTS:
        items = ins[g].items_of(role="tension")
        ids = [it.id for it in items]
        assert len(ids) >= 8
        assert ids == [f"ten_{k:02d}" for k in range(1, len(ids) + 1)]
        for it in items:
            assert it.type == "likert" and it.response == "agree5" and it.scales == ("tension",)
            codes, missing = _codes(it)
            assert list(codes) == [1, 2, 3, 4, 5] and missing == {9: "Затрудняюсь ответить"}
            assert codes[1].startswith("Совершенно не согласен")
            assert codes[5].startswith("Полностью согласен")
        # positively worded items are reversed; the same ids in every group
        rev = [it.id for it in items if it.reverse]
        assert rev and len(rev) < len(ids)
        sc = ins[g].scales["tension"]
        assert sc.role == "tension" and sc.min_valid == 0.6 and sc.method == "mean"
        if ref is None:
            ref = (ids, rev, codes, missing)
        assert (ids, rev, codes, missing) == ref


def test_rokeach_identical_18_options(ins):
    for item_id, role, first, last in [
            ("rok_term", "rokeach_terminal", "Активная деятельная жизнь", "Уверенность в себе"),
            ("rok_instr", "rokeach_instrumental", "Аккуратность", "Чуткость")]:
        lists = []
        for g in RESPONDENTS:
            it = ins[g].item(item_id)
            assert it.type == "ranking" and it.role == role and not it.scales
            assert len(it.options) == 18 and it.bounds == (1, 18)
            assert it.options[0].ru.startswith(first) and it.options[-1].ru.startswith(last)
            assert all(o.en for o in it.options)
            lists.append([(o.ru, o.en) for o in it.options])
        assert lists[0] == lists[1] == lists[2]
        assert len({ru for ru, _ in lists[0]}) == 18
    # Леонтьев 1992 order is alphabetical in Russian within each list
    it = ins["students"].item("rok_term")
    heads = [o.ru.split(" (")[0].lower().replace("ё", "е") for o in it.options]
    assert heads == sorted(heads)


def _ess_key() -> dict[str, list[str]]:
    for p in (ROOT / "tests" / "reference" / "scoring_pvq" / "ess_pvq21_keys_ten_values.csv",
              Path("/work/shared/data/values/ess_pvq21_keys_ten_values.csv")):
        if p.exists():
            k = pd.read_csv(p)
            return {v.lower().replace(".", "_"): sorted(g["item"]) for v, g in k.groupby("value")}
    pytest.skip("ESS PVQ-21 key file not available")


def test_pvq21_items_and_ess_key(ins):
    key = _ess_key()
    assert sorted(key) == sorted(PVQ_VALUES)
    texts = None
    for g in RESPONDENTS:
        items = ins[g].items_of(role="pvq")
        assert [it.id for it in items] == [f"pvq_{k:02d}" for k in range(1, 22)]
        for it in items:
            codes, _ = _codes(it)
            assert it.response == "like6" and list(codes) == [1, 2, 3, 4, 5, 6]
            assert codes[1] == "Совсем не похож на меня" and codes[6] == "Очень похож на меня"
        # 10 value scales with the ESS items (ids map to ESS names by position)
        for v in PVQ_VALUES:
            sc = ins[g].scales[f"pvq_{v}"]
            assert sc.role == "pvq_value" and sc.method == "mean" and sc.min_valid == 1
            ess = sorted(ESS_ORDER[int(i[4:]) - 1] for i in sc.items)
            assert ess == key[v], v
        assert sorted(i for v in PVQ_VALUES for i in ins[g].scales[f"pvq_{v}"].items) == \
            [f"pvq_{k:02d}" for k in range(1, 22)]
        t = [(it.text.ru, it.text.en) for it in items]
        texts = texts or t
        assert t == texts
    # the YAML notes name the ESS variable of each item, in the contract's order
    raw = yaml.safe_load((SURVEYS_DIR / "students.yaml").read_text(encoding="utf-8"))
    notes = [it["note"] for s in raw["sections"] for it in s["items"]
             if str(it["id"]).startswith("pvq_")]
    assert notes == [f"ESS {n}" for n in ESS_ORDER]


def test_life_success_and_needs(ins):
    ref = {}
    for g in RESPONDENTS:
        i = ins[g]
        for iid in ("life_success", "success_ways"):
            it = i.item(iid)
            assert it.type == "multiple" and it.role == iid and it.max_choices == 3
            assert 10 <= len(it.options) <= 14
            assert ref.setdefault(iid, it.options) == it.options
        imp = i.items_of(role="need_importance")
        real = i.items_of(role="need_realisation")
        assert [it.id for it in imp] == [f"need_imp_{k:02d}" for k in range(1, 9)]
        assert [it.id for it in real] == [f"need_real_{k:02d}" for k in range(1, 9)]
        assert [it.text for it in imp] == [it.text for it in real]       # paired needs
        assert [it.text for it in imp] == [it.text for it in ref.setdefault("imp", imp)]
        assert {it.response for it in imp} == {"imp5"} and {it.response for it in real} == {"real5"}
        assert _codes(imp[0])[0][1] == "Совсем не важно" and _codes(imp[0])[0][5] == "Очень важно"
        assert _codes(real[0])[0][1] == "Совсем не реализуется"
        assert _codes(real[0])[1] == {9: "Затрудняюсь ответить"}
        rel = i.items_of(role="relationship")
        assert 4 <= len(rel) <= 6
        assert [it.id for it in rel] == [f"rel_{k:02d}" for k in range(1, len(rel) + 1)]
        assert all(it.response == "sat5" and it.scales == ("rel_satisfaction",) for it in rel)
        assert _codes(rel[0])[0][5].startswith("Полностью удовлетворён")


def test_students_specific(ins):
    s = ins["students"]
    assert _codes(s.item("sex"))[0] == {1: "Мужской", 2: "Женский"}
    assert list(_codes(s.item("grade"))[0]) == [8, 9, 10, 11]
    for iid in ("mother_edu", "father_edu"):
        codes, missing = _codes(s.item(iid))
        assert list(codes) == [1, 2, 3, 4, 5] and codes[5] == "Высшее"
        assert missing == {9: "Не знаю"}
    books = _codes(s.item("books_home"))[0]
    assert list(books) == [1, 2, 3, 4, 5] and "0–10" in books[1] and "более 200" in books[5]
    for iid in ("own_room", "own_computer", "internet"):
        assert _codes(s.item(iid))[0] == {1: "Да", 0: "Нет"}
    for scale, prefix in (("motivation", "mot_"), ("anxiety", "anx_")):
        sc = s.scales[scale]
        assert sc.role == scale and 5 <= len(sc.items) <= 8
        assert all(i.startswith(prefix) and s.item(i).role == scale for i in sc.items)
        assert any(s.item(i).reverse for i in sc.items)
        assert all(s.item(i).response == "agree5" for i in sc.items)


def test_parents_specific(ins):
    p = ins["parents"]
    assert p.item("relation").type == "single" and p.item("parent_edu").type == "single"
    assert list(_codes(p.item("family_income"))[0]) == [1, 2, 3, 4, 5]
    inv = p.scales["involvement"]
    assert len(inv.items) >= 4 and any(p.item(i).reverse for i in inv.items)


def test_teachers_specific(ins):
    t = ins["teachers"]
    exp = t.item("experience")
    assert exp.type == "numeric" and exp.bounds == (0, 60)
    assert t.item("qual_category").type == "single" and t.item("subject_area").type == "single"
    assert t.scales["pc_values"].role == "prof_values"
    own = [t.item(f"pc_own_{k:02d}") for k in range(1, 9)]
    ideal = [t.item(f"pc_ideal_{k:02d}") for k in range(1, 9)]
    assert [i.text for i in own] == [i.text for i in ideal]
    assert t.scales["pc_own"].items == tuple(i.id for i in own)
    assert t.scales["pc_ideal"].items == tuple(i.id for i in ideal)
    for scale, prefix in (("pc_values", "pc_val_"), ("leadership", "lead_"),
                          ("high_results", "hr_"), ("demandingness", "dem_")):
        its = t.scales[scale].items
        assert 4 <= len(its) <= 6 and all(i.startswith(prefix) for i in its)
        assert any(t.item(i).reverse for i in its), scale
    bo = t.items_of(role="burnout")
    assert len(bo) == 9
    assert list(_codes(bo[0])[0]) == list(range(7))
    assert _codes(bo[0])[0][0] == "Никогда" and _codes(bo[0])[0][6] == "Каждый день"
    for sc in ("burnout_exhaustion", "burnout_depersonalisation", "burnout_accomplishment"):
        assert len(t.scales[sc].items) == 3
    assert all(t.item(i).reverse for i in t.scales["burnout_accomplishment"].items)
    assert not any(t.item(i).reverse for i in t.scales["burnout_exhaustion"].items)
    assert t.scale_keys(["burnout_accomplishment"]) == {
        "burnout_accomplishment": ["-bo_07", "-bo_08", "-bo_09"]}
    assert t.item_bounds()["bo_07"] == (0, 6)


def test_school_passport_and_results(ins):
    sp = ins["school_passport"]
    for iid in ("low_income_pct", "parents_higher_edu_pct", "single_parent_pct", "large_families_pct",
                "social_risk_pct", "registered_pct", "non_native_pct", "disability_pct",
                "teachers_higher_cat_pct"):
        it = sp.item(iid)
        assert it.type == "numeric" and it.bounds == (0, 100) and it.unit == "%", iid
        assert -9 in it.missing
    assert _codes(sp.item("location"))[0] == {1: "Город", 2: "Посёлок городского типа",
                                              3: "Село, деревня"}
    assert sp.item("n_students").bounds == (1, 5000)
    assert sp.item("n_teachers").bounds == (1, 500)
    assert sp.item("teacher_vacancies").bounds == (0, 100)
    r = ins["results"]
    assert [it.id for it in r.items][:5] == ["n_participants", "mark2_n", "mark3_n", "mark4_n",
                                             "mark5_n"]
    assert [it.id for it in r.items][-3:] == ["mean_score", "below_min_pct", "high_pct"]
    assert r.item("mean_score").bounds == (0, 100)
    assert {c: t.ru for c, t in r.id_codes["procedure"].items()} == {1: "ВПР", 2: "ОГЭ", 3: "ЕГЭ"}
    assert r.id_codes["subject"][1].ru == "Русский язык" and r.id_codes["subject"][2].ru == "Математика"
    cb = r.codebook()
    assert cb.set_index("variable").loc["procedure", "codes"] == "1=ВПР; 2=ОГЭ; 3=ЕГЭ"


@pytest.mark.parametrize("name", ALL)
def test_every_instrument_has_glosses_missing_and_reverse(ins, name):
    i = ins[name]
    texts = [i.title, i.intro] + [s.title for s in i.sections] + \
        [s.instruction for s in i.sections] + [sc.label for sc in i.scales.values()]
    for it in i.items:
        texts += [it.text, *it.options, *it.codes.values(), *it.missing.values()]
    for t in texts:
        assert t.ru.strip() and t.en.strip(), t
        assert not re.search(r"[А-Яа-яЁё]", t.en), t.en          # the gloss is English
    for it in i.items:
        if it.type == "likert" or (it.type == "numeric" and it.scales):
            assert it.missing, it.id                                  # attitude items
    assert any(i.item(x).reverse for sc in i.scales.values() if len(sc.items) > 1
               for x in sc.items)
    for sec in i.sections:
        assert sec.instruction.ru
    if name in RESPONDENTS:
        assert "анонимн" in i.intro.ru.lower() and "anonymous" in i.intro.en.lower()


def test_instrument_api(ins):
    s = ins["students"]
    cb = s.codebook("ru")
    assert list(cb["variable"]) == list(s.id_columns) + s.columns
    assert cb.set_index("variable").loc["ten_10", "reverse"]
    assert s.column_item()["rok_term_18"].id == "rok_term"
    assert s.item("life_success").columns[-1] == "life_success_13"
    assert s.item_bounds()["ten_01"] == (1, 5)
    assert "rok_term" not in s.item_bounds()
    with pytest.raises(ParameterError, match="no item 'nope'"):
        s.item("nope")
    en = s.codebook("en").set_index("variable")
    assert en.loc["life_success_01", "label"].startswith("What, in your opinion")


def test_readme_example_loads(tmp_path):
    text = (SURVEYS_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Example\n\n```yaml\n(.*?)```", text, re.S).group(1)
    f = tmp_path / "mini.yaml"
    f.write_text(block, encoding="utf-8")
    mini = load_instrument(f)
    assert mini.scale_keys() == {"tension": ["ten_01", "-ten_10"]}
    assert mini.item("rank3").columns == ["rank3_01", "rank3_02", "rank3_03"]


def test_load_errors():
    with pytest.raises(ParameterError, match="must be one of"):
        load_instrument("no_such_questionnaire")
    with pytest.raises(ParameterError, match="not found"):
        load_instrument("/nonexistent/x.yaml")
    with pytest.raises(ParameterError):
        load_instrument(42)


# -- schema errors ----------------------------------------------------------------------------

def _valid() -> dict:
    return {
        "instrument": {"id": "t", "group": "students", "version": 1,
                       "title": {"ru": "Тест", "en": "Test"}},
        "response_scales": {"agree5": {"type": "likert",
                                       "codes": {k: f"код {k}" for k in range(1, 6)},
                                       "missing": {9: "затрудняюсь ответить"}}},
        "sections": [{"id": "s1", "title": "Раздел", "items": [
            {"id": "a1", "text": "Первое утверждение", "response": "agree5", "scales": ["sc"]},
            {"id": "a2", "text": "Второе утверждение", "response": "agree5", "scales": ["sc"],
             "reverse": True},
            {"id": "r1", "type": "ranking", "text": "Ранжируйте", "options": ["x", "y", "z"]},
            {"id": "m1", "type": "multiple", "text": "Выберите", "options": ["x", "y", "z"],
             "max_choices": 2},
            {"id": "n1", "type": "numeric", "text": "Сколько", "min": 0, "max": 10,
             "missing": {99: "нет данных"}},
            {"id": "o1", "type": "text", "text": "Ваше мнение"},
        ]}],
        "scales": {"sc": {"label": "Шкала", "method": "mean", "min_valid": 0.5}},
    }


def _item(d, iid):
    return next(it for it in d["sections"][0]["items"] if it["id"] == iid)


def test_valid_fixture_loads():
    i = parse_instrument(_valid(), source="t.yaml")
    assert i.columns == ["a1", "a2", "r1_01", "r1_02", "r1_03", "m1_01", "m1_02", "m1_03",
                         "n1", "o1"]


def _unknown_type(d): _item(d, "a1").update(type="slider"); _item(d, "a1").pop("response")
def _no_codes(d): _item(d, "a1").pop("response"); _item(d, "a1")["type"] = "likert"
def _dup_id(d): _item(d, "a2")["id"] = "a1"
def _dup_case(d): _item(d, "a2")["id"] = "A1"
def _reverse_ranking(d): _item(d, "r1")["reverse"] = True
def _one_item_scale(d): _item(d, "a2")["scales"] = []
def _unknown_response(d): _item(d, "a1")["response"] = "agree7"
def _min_valid_zero(d): d["scales"]["sc"]["min_valid"] = 0
def _min_valid_share(d): d["scales"]["sc"]["min_valid"] = 1.5
def _min_valid_count(d): d["scales"]["sc"]["min_valid"] = 3
def _min_valid_bool(d): d["scales"]["sc"]["min_valid"] = True
def _min_valid_nan(d): d["scales"]["sc"]["min_valid"] = float("nan")
def _cyrillic_id(d): _item(d, "a1")["id"] = "вопрос1"
def _reserved_id(d): _item(d, "a1")["id"] = "with"
def _unknown_field(d): _item(d, "a1")["wording"] = "x"
def _missing_inside(d): _item(d, "n1")["missing"] = {5: "x"}
def _max_choices(d): _item(d, "m1")["max_choices"] = 4
def _gap_likert(d): d["response_scales"]["agree5"]["codes"] = {1: "a", 2: "b", 4: "c"}
def _missing_overlap(d): d["response_scales"]["agree5"]["missing"] = {5: "x"}
def _nan_bound(d): _item(d, "n1")["max"] = float("inf")
def _undeclared_scale(d): _item(d, "a1")["scales"] = ["other"]
def _bad_method(d): d["scales"]["sc"]["method"] = "median"
def _empty_text(d): _item(d, "a1")["text"] = {"ru": " ", "en": "x"}
def _codes_on_numeric(d): _item(d, "n1")["codes"] = {1: "x", 2: "y"}
def _bad_group(d): d["instrument"]["group"] = "pupils"


@pytest.mark.parametrize("mutate, where, field", [
    (_unknown_type, "item 'a1'", "type"),
    (_no_codes, "item 'a1'", "codes"),
    (_dup_id, "item 'a1'", "id"),
    (_dup_case, "item 'A1'", "id"),
    (_reverse_ranking, "item 'r1'", "reverse"),
    (_one_item_scale, "scale 'sc'", "items"),
    (_unknown_response, "item 'a1'", "response"),
    (_min_valid_zero, "scale 'sc'", "min_valid"),
    (_min_valid_share, "scale 'sc'", "min_valid"),
    (_min_valid_count, "scale 'sc'", "min_valid"),
    (_min_valid_bool, "scale 'sc'", "min_valid"),
    (_min_valid_nan, "scale 'sc'", "min_valid"),
    (_cyrillic_id, "item #1", "id"),
    (_reserved_id, "item #1", "id"),
    (_unknown_field, "item 'a1'", "wording"),
    (_missing_inside, "item 'n1'", "missing"),
    (_max_choices, "item 'm1'", "max_choices"),
    (_gap_likert, "item 'a1'", "codes"),
    (_missing_overlap, "item 'a1'", "missing"),
    (_nan_bound, "item 'n1'", "max"),
    (_undeclared_scale, "item 'a1'", "scales"),
    (_bad_method, "scale 'sc'", "method"),
    (_empty_text, "item 'a1'", "text"),
    (_codes_on_numeric, "item 'n1'", "codes"),
    (_bad_group, "instrument", "group"),
])
def test_schema_errors_name_file_item_field(mutate, where, field):
    d = _valid()
    mutate(d)
    with pytest.raises(InstrumentError) as exc:
        parse_instrument(d, source="bad.yaml")
    msg = str(exc.value)
    assert msg.startswith("bad.yaml: ") and where in msg and field in msg, msg
    assert "expected" in msg


def test_yaml_file_errors(tmp_path):
    good = yaml.safe_dump(_valid(), allow_unicode=True, sort_keys=False)
    f = tmp_path / "ok.yaml"
    f.write_text(good, encoding="utf-8")
    assert load_instrument(f).id == "t"

    bad = tmp_path / "syntax.yaml"
    bad.write_text("instrument: {id: t, group: students\nsections: [", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"^syntax\.yaml: not valid YAML"):
        load_instrument(bad)

    cp = tmp_path / "cp1251.yaml"
    cp.write_bytes(good.encode("cp1251"))
    with pytest.raises(InstrumentError, match=r"^cp1251\.yaml: .*UTF-8"):
        load_instrument(cp)

    dup = tmp_path / "dupkey.yaml"
    dup.write_text(good.replace("missing:\n", "codes:\n      1: x\n    missing:\n", 1),
                   encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"(?s)^dupkey\.yaml: .*duplicate key 'codes'.*line 17"):
        load_instrument(dup)

    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"^empty\.yaml: top level"):
        load_instrument(empty)


# -- property test: any mutation either loads or raises InstrumentError -------------------------

def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for k, v in enumerate(obj):
            yield from _paths(v, prefix + (k,))


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["likert", "single", "numeric", "multiple", "ranking", "text", "agree5",
                     "sc", "a1", "students", "mean", "sum", "ru", "en", "ten_01", "ALL"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=6), st.integers(-3, 12), st.booleans()), inner,
                    max_size=3)), max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutations_load_or_raise_instrument_error(data):
    d = _valid()
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(d))[1:]
        path = data.draw(st.sampled_from(paths))
        parent = d
        for k in path[:-1]:
            parent = parent[k]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = data.draw(_values)
        elif action == "delete":
            del parent[path[-1]]
        else:
            target = parent[path[-1]]
            if isinstance(target, dict):
                target[data.draw(st.one_of(st.text(max_size=6), st.integers(-3, 12)))] = \
                    data.draw(_values)
            elif isinstance(target, list):
                target.append(data.draw(_values))
    try:
        out = parse_instrument(copy.deepcopy(d), source="m.yaml")
    except InstrumentError as exc:
        assert str(exc).startswith("m.yaml: ")
        return
    # what loads is usable
    assert isinstance(out, Instrument)
    out.codebook("ru")
    out.scale_keys()
    for lo, hi in out.item_bounds().values():
        assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
