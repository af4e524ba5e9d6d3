"""Stage keys rerun exactly what changed: a stage's own code and the code it imports, the config
keys it declares, its raw files, its upstream stages — and nothing else. A failing stage keeps
its previous outputs; a stage cannot read what it did not declare."""
import shutil

import pytest
import yaml

from shnro_research.errors import ParameterError
from shnro_research.pipeline import STAGES, load_study, plan_study, run_study, stage_dir
from shnro_research.pipeline import runner

ALL = set(STAGES)


@pytest.fixture()
def copy(demo_run, tmp_path, monkeypatch):
    """A copy of the demo study's outputs and of the package source the keys are taken from."""
    study, _ = demo_run
    shutil.copytree(study.output, tmp_path / "out")
    src = tmp_path / "src" / "shnro_research"
    shutil.copytree(runner.PACKAGE_DIR, src, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "PACKAGE_DIR", src)
    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    return study, tmp_path / "out", src, cfg


def _plan(study, out, cfg=None, tmp=None):
    if cfg is not None:
        p = study.path.parent / f"study_{abs(hash(str(tmp)))}.yaml"
        p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        study = load_study(p, output=out)
    else:
        study = load_study(study.path, output=out)
    plan = plan_study(study)
    return set(plan.loc[plan.rerun, "stage"]), plan


def _touch(path, text="\n# a comment\n"):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_nothing_reruns_when_nothing_changed(copy):
    study, out, _, _ = copy
    rerun, plan = _plan(study, out)
    assert rerun == set(), plan


def test_comment_in_one_stage_reruns_it_and_those_after_it(copy):
    study, out, src, _ = copy
    _touch(src / "pipeline" / "context.py")
    rerun, plan = _plan(study, out)
    # dynamics reads the models stage's register (the programme catalogues' bases)
    assert rerun == {"context", "models", "dynamics", "report"}, plan
    assert plan.set_index("stage").loc["context", "reason"] == "code"
    assert plan.set_index("stage").loc["models", "reason"] == "upstream"


def test_changed_writer_reruns_the_stages_that_write_with_it(copy):
    # forms/spss.py writes the SPSS templates (stage 1) and the clean .sav files (stage 2)
    study, out, src, _ = copy
    _touch(src / "forms" / "spss.py")
    rerun, plan = _plan(study, out)
    assert {"instruments", "responses"} <= rerun
    assert "context" not in rerun            # reads passports only: no forms code
    reasons = plan.set_index("stage").reason
    assert reasons["instruments"] == reasons["responses"] == "code"


def test_changed_library_reruns_only_the_stages_importing_it(copy):
    study, out, src, _ = copy
    _touch(src / "results.py")               # school results: used by the models stage only
    rerun, plan = _plan(study, out)
    assert rerun == {"models", "dynamics", "report"}, plan   # dynamics reads the register
    reasons = plan.set_index("stage").reason
    assert reasons["models"] == "code" and reasons["dynamics"] == "upstream"


def test_changed_title_reruns_only_the_report(copy, tmp_path):
    study, out, _, cfg = copy
    cfg["study"]["title"] = cfg["study"]["title"] + " (вторая редакция)"
    rerun, plan = _plan(study, out, cfg, tmp_path)
    assert rerun == {"report"}, plan
    assert plan.set_index("stage").loc["report", "reason"] == "config"


def test_changed_threshold_reruns_the_stage_that_reads_it(copy, tmp_path):
    study, out, _, cfg = copy
    cfg["typology"] = {**(cfg.get("typology") or {}), "residual_sd": 1.5}
    rerun, _ = _plan(study, out, cfg, tmp_path)
    assert rerun == {"models", "dynamics", "report"}     # dynamics reads the register
    cfg["scoring"] = {"tension_thresholds": [20, 40, 60]}
    rerun, _ = _plan(study, out, cfg, tmp_path)
    assert rerun == {"scoring", "design", "models", "dynamics", "report"}


def test_changed_raw_file_reruns_its_readers(copy, tmp_path):
    study, out, _, cfg = copy
    raw = study.path.parent / cfg["context"]["passport"]["file"]
    moved = tmp_path / ("passport_copy" + raw.suffix)
    shutil.copy(raw, moved)
    cfg["context"]["passport"]["file"] = str(moved)
    rerun, _ = _plan(study, out, cfg, tmp_path)    # same bytes elsewhere: only the path differs
    assert rerun == {"context", "models", "report", "dynamics"}


def test_changed_instrument_of_an_input_table_reruns_its_readers(copy, tmp_path):
    # the passport is validated against its instrument when read: the instrument file is part
    # of the key of the stages reading the passport (context has no other way to see it)
    from shnro_research.instruments import SURVEYS_DIR
    study, out, _, cfg = copy
    own = tmp_path / "school_passport.yaml"
    own.write_text((SURVEYS_DIR / "school_passport.yaml").read_text(encoding="utf-8")
                   + "\n# the study's own copy\n", encoding="utf-8")
    cfg["instruments"]["school"] = str(own)
    rerun, plan = _plan(study, out, cfg, tmp_path)
    assert {"context", "models", "dynamics", "report"} <= rerun, plan
    assert plan.set_index("stage").loc["context", "reason"] == "files"


def test_run_reruns_exactly_the_planned_stages(copy, tmp_path):
    study, out, _, cfg = copy
    cfg["study"]["title"] = "Другое название"
    p = study.path.parent / "study_title.yaml"
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    changed = load_study(p, output=out)
    status = {r.stage: r.status for r in run_study(changed, progress=False)}
    assert {s for s, v in status.items() if v == "ran"} == {"report"}
    html = (stage_dir(changed, "report") / "report.html").read_text(encoding="utf-8")
    assert "Другое название" in html


def test_failing_stage_keeps_its_previous_outputs(copy, monkeypatch):
    study, out, _, _ = copy
    s = load_study(study.path, output=out)
    folder = stage_dir(s, "context")
    before = sorted(p.name for p in folder.iterdir())
    from shnro_research.pipeline import context as ctx_stage

    def boom(ctx):
        ctx.write(ctx.read("passport").head(1), "wellbeing_index")
        raise RuntimeError("planted failure")
    monkeypatch.setattr(ctx_stage, "run", boom)
    from shnro_research.pipeline import registry
    registry.get_stage.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="planted"):
            run_study(s, stages=["context"], force=True, progress=False)
    finally:
        registry.get_stage.cache_clear()
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not folder.with_name(folder.name + ".tmp").exists()


def test_a_stage_cannot_read_what_it_did_not_declare(demo_run, tmp_path):
    from shnro_research.pipeline import get_stage
    from shnro_research.pipeline._base import StageContext
    study, _ = demo_run
    stage = get_stage("context")
    folders = {s: study.output / get_stage(s).folder for s in STAGES}
    ctx = StageContext(study, stage, tmp_path, folders)
    with pytest.raises(ParameterError, match="does not declare it in CONFIG"):
        ctx.params("typology")
    with pytest.raises(ParameterError, match="study.title"):
        _ = ctx.title
    with pytest.raises(ParameterError, match="INPUTS"):
        ctx.read("results")
    with pytest.raises(ParameterError, match="UPSTREAM"):
        ctx.table("scoring", "respondent_scores")


def test_changed_language_reruns_the_readers_of_input_tables(copy, tmp_path):
    # the problems of an input table are written in the study's language: a reader of the
    # passport reruns (context does not declare study.lang, its passport logs depend on it)
    study, out, _, cfg = copy
    cfg["study"]["lang"] = "en"
    rerun, plan = _plan(study, out, cfg, tmp_path)
    assert "context" in rerun and plan.set_index("stage").loc["context", "reason"] == "files"
