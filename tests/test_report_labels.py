"""Tables for people: no internal snake_case id in any visible cell or caption of the note, the
school cards or the exported tables; captions print the parameters actually used."""
import html
import re
import shutil

import pytest
import yaml

from shnro_research.pipeline import load_study, run_study, stage_dir

ID = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
ALLOWED = {"shnro_research"}          # the package's name in the note's subtitle


def visible_ids(path):
    text = re.sub(r'src="data:[^"]+"', "", path.read_text(encoding="utf-8"))
    parts = (re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", text, re.S)
             + re.findall(r"<caption[^>]*>(.*?)</caption>", text, re.S)
             + re.findall(r"<p>(.*?)</p>", text, re.S)
             + re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S)
             + re.findall(r"<h[1-3]>(.*?)</h[1-3]>", text, re.S))
    return {t for p in parts for t in ID.findall(html.unescape(p))} - ALLOWED


def test_note_shows_no_internal_id(demo_run):
    study, _ = demo_run
    assert visible_ids(stage_dir(study, "report") / "report.html") == set()


def test_cards_and_exported_tables_show_no_internal_id(demo_run):
    study, _ = demo_run
    rep = stage_dir(study, "report")
    found = {}
    for p in sorted((rep / "schools").glob("*.html")) + sorted((rep / "tables").glob("*.html")):
        ids = visible_ids(p)
        if ids:
            found[p.name] = sorted(ids)
    assert not found, found


@pytest.fixture(scope="module")
def other_thresholds(demo_run, tmp_path_factory):
    study, _ = demo_run
    out = tmp_path_factory.mktemp("thresholds") / "out"
    shutil.copytree(study.output, out)
    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    cfg["scoring"] = {"tension_thresholds": [20, 45, 70]}
    cfg["typology"] = {**(cfg.get("typology") or {}), "low_threshold": 0.25, "residual_sd": 1.5}
    p = study.path.parent / "study_thresholds.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    s = load_study(p, output=out)
    run_study(s, progress=False)
    return (stage_dir(s, "report") / "report.html").read_text(encoding="utf-8")


def test_captions_print_the_thresholds_used(other_thresholds):
    text = html.unescape(other_thresholds)
    assert "≥ 45" in text and "< 20 низкий" in text and "≥ 70 критический" in text
    assert "25%" in text.replace("\u00a0", "")          # low-result cut-off
    assert "на 1,5 SD" in text or "более чем на 1,5 SD" in text
