"""Provenance of the instruments: every scale and item block of the bundled questionnaires says
where it comes from (source, adaptation, licence, status of the items, what is known of its
reliability and validity, the basis of printed levels); a block that lacks it is refused with
the file, the scale or section and the field named; nothing claims published items without a
source. Also: the codebook, the SPSS/Excel scales sheet and the paper's methods show it."""
from pathlib import Path

import pytest
import yaml

from shnro_research import forms
from shnro_research.instruments import (ITEM_STATUSES, SURVEYS_DIR, InstrumentError,
                                        check_provenance, load_instrument)
from shnro_research.report.paper import instruments_text, methods_text

GROUPS = ("students", "parents", "teachers")


@pytest.mark.parametrize("name", GROUPS)
def test_every_scale_and_block_has_complete_provenance(name):
    ins = check_provenance(name)
    assert ins.scales
    for sid, sc in ins.scales.items():
        pv = sc.provenance
        assert pv is not None, sid
        assert pv.items in ITEM_STATUSES
        for f in ("basis", "adaptation", "licence", "reliability_validity"):
            assert getattr(pv, f).ru.strip() and getattr(pv, f).en.strip(), (sid, f)
        if pv.items in ("published", "adapted"):
            assert pv.source, sid
        if pv.items == "project_authored":
            assert pv.source is None and "Project-authored, after" in pv.basis.en, sid
            assert "no published norms" in pv.reliability_validity.en.lower(), sid
    # the blocks outside scales: value rankings, life success, needs
    blocks = {s.id for s in ins.sections if s.provenance is not None}
    assert {"values_rokeach", "life_success", "needs_importance", "needs_realisation"} <= blocks
    # printed levels carry their basis
    assert "convention, not a norm" in ins.scales["tension"].provenance.levels_basis.en


def test_honest_statuses_of_the_bundled_scales():
    s = load_instrument("students")
    t = load_instrument("teachers")
    # nothing in the bundle claims the published items (none could be quoted from a source)
    for ins in (s, t, load_instrument("parents")):
        assert all(sc.provenance.items != "published" for sc in ins.scales.values())
    assert s.scales["pvq_power"].provenance.items == "adapted"
    assert "ESS" in s.scales["pvq_power"].provenance.source
    for sid in ("burnout_exhaustion", "burnout_depersonalisation", "burnout_accomplishment"):
        pv = t.scales[sid].provenance
        assert pv.items == "project_authored"
        assert "not the MBI items" in pv.basis.en and "licensed" in pv.basis.en
    # motivation split by self-determination theory; the id `motivation` is the intrinsic one
    assert s.scales["motivation"].label.ru == "Внутренняя учебная мотивация"
    assert set(s.scales["motivation_controlled"].items) == {"mot_04", "mot_08", "mot_09"}
    assert not set(s.scales["motivation"].items) & set(s.scales["motivation_controlled"].items)
    assert not s.item("mot_04").reverse


def _write(tmp_path: Path, prov) -> Path:
    raw = {"instrument": {"id": "bad", "group": "students"},
           "sections": [{"id": "s", "items": [
               {"id": f"a{k}", "type": "likert", "codes": {1: "нет", 2: "да"},
                "scales": ["sc"], "text": "Вопрос"} for k in (1, 2)]}],
           "scales": {"sc": {"label": "Шкала"}}}
    if prov is not None:
        raw["scales"]["sc"]["provenance"] = prov
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


GOOD = {"source": None, "items": "project_authored", "basis": "Авторские пункты, по X",
        "adaptation": "нет", "licence": "свободно", "reliability_validity": "норм нет"}


def test_missing_provenance_is_refused_naming_file_scale_and_field(tmp_path):
    p = _write(tmp_path, None)
    assert load_instrument(p).scales["sc"].provenance is None     # optional for a user's file
    with pytest.raises(InstrumentError, match=r"^bad\.yaml: scale 'sc'\.provenance: expected"):
        check_provenance(p)
    check_provenance(_write(tmp_path, GOOD))


def test_published_items_without_a_source_are_refused(tmp_path):
    with pytest.raises(InstrumentError,
                       match=r"^bad\.yaml: scale 'sc'\.provenance\.source: expected the "
                             r"published source .* of items: published; got None"):
        load_instrument(_write(tmp_path, {**GOOD, "items": "published"}))
    ok = load_instrument(_write(tmp_path, {**GOOD, "items": "published",
                                           "source": "Author A. (2000), Title"}))
    assert ok.scales["sc"].provenance.source == "Author A. (2000), Title"


@pytest.mark.parametrize("field, value, expected", [
    ("licence", None, r"scale 'sc'\.provenance\.licence: expected a value"),
    ("items", "own", r"scale 'sc'\.provenance\.items: expected one of \['published'"),
    ("basis", "", r"scale 'sc'\.provenance\.basis: expected a non-empty string"),
    ("year", 2000, r"scale 'sc'\.provenance: expected fields among"),
])
def test_incomplete_or_unknown_provenance_fields(tmp_path, field, value, expected):
    prov = dict(GOOD)
    if value is None:
        del prov[field]
    else:
        prov[field] = value
    with pytest.raises(InstrumentError, match=r"^bad\.yaml: " + expected):
        load_instrument(_write(tmp_path, prov))


def test_levels_need_their_basis(tmp_path):
    p = _write(tmp_path, GOOD)
    raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    raw["scales"]["sc"]["role"] = "tension"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError,
                       match=r"^bad\.yaml: scale 'sc'\.provenance\.levels_basis: expected"):
        check_provenance(p)


def test_block_outside_scales_needs_provenance(tmp_path):
    raw = yaml.safe_load((SURVEYS_DIR / "students.yaml").read_text(encoding="utf-8"))
    sec = next(s for s in raw["sections"] if s["id"] == "life_success")
    del sec["provenance"]
    p = tmp_path / "students.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError,
                       match=r"^students\.yaml: section 'life_success'\.provenance: expected"):
        check_provenance(p)


def test_codebook_scales_sheet_and_methods_show_provenance():
    t = load_instrument("teachers")
    cb = t.codebook("en").set_index("variable")
    assert cb.loc["bo_01", "provenance"].startswith("Project-authored, after the three MBI")
    assert cb.loc["pvq_01", "provenance"].startswith("adapted items: Schwartz")
    assert cb.loc["rok_term_01", "provenance"].startswith("adapted items: Rokeach")
    assert cb.loc["resp_id", "provenance"] == ""
    sc = forms.scales_table(t, "ru").set_index("scale")
    assert sc.loc["tension", "item_status"] == "project_authored"
    assert "соглашение проекта" in sc.loc["tension", "levels_basis"]
    assert sc.loc["pvq_power", "source"].startswith("Schwartz")
    ru = instruments_text(lang="ru")
    en = instruments_text(lang="en")
    # one line per scale id x provenance; the ten PVQ indices share one line
    assert ru.count("PVQ-21: 10 ценностей") == 1
    assert "Индекс социальной напряжённости (учащиеся, родители, учителя)" in ru
    assert "a project convention, not a norm" in en
    assert "not the MBI items" in en
    m = methods_text(lang="en", groups={"students": 10}, waves=[2024], n_schools=2, min_cell=5,
                     thresholds=(25, 50, 75), typology={"context_quantile": 0.25,
                                                         "residual_sd": 1.0},
                     adjust="holm", alpha=0.05, index_weights="equal")
    assert m.endswith(en)


def test_provenance_doc_lists_every_scale_and_block():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "PROVENANCE.md").read_text(
        encoding="utf-8")
    for name in GROUPS:
        ins = load_instrument(name)
        ids = list(ins.scales) + [s.id for s in ins.sections if s.provenance is not None]
        for sid in ids:
            row = next((ln for ln in doc.splitlines() if f"| `{sid}` |" in ln), None)
            assert row is not None, (name, sid)
            assert name in row.split("|")[4], (name, sid)
