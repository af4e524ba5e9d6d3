"""The whole study on the demo municipality: every stage runs, reruns are identical and cached,
the manifest records provenance, and the analyses recover the demo's documented known truth
(docs/DEMO_TRUTH.md)."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shnro_research.errors import ConfigError, ParameterError
from shnro_research.pipeline import STAGES, load_study, read_table, run_study, stage_dir


@pytest.fixture(scope="module")
def truth(demo_run):
    study, _ = demo_run
    return json.loads(study.truth.read_text(encoding="utf-8"))


def test_every_stage_ran_and_wrote_outputs(demo_run):
    study, results = demo_run
    assert [r.stage for r in results] == list(STAGES)
    assert all(r.status == "ran" and r.outputs for r in results)
    rep = stage_dir(study, "report")
    for name in ("report.html", "report.docx"):
        assert (rep / name).stat().st_size > 10_000
    for fmt in ("docx", "xlsx", "tex", "html", "md"):
        assert (rep / "tables" / f"reliability.{fmt}").exists()
    for fmt in ("png", "svg", "pdf"):
        assert (rep / "figures" / f"results_vs_context.{fmt}").exists()


def test_report_opens_with_tables_and_figures(demo_run):
    import docx
    study, _ = demo_run
    rep = stage_dir(study, "report")
    d = docx.Document(str(rep / "report.docx"))
    assert len(d.tables) >= 20 and len(d.inline_shapes) >= 5
    html = (rep / "report.html").read_text(encoding="utf-8")
    assert html.count("<table") >= 20 and html.count("data:image/png;base64") >= 5
    assert "Социальная напряжённость" in html and "Резильентные школы" in html


def test_manifest_records_inputs_versions_parameters(demo_run):
    study, _ = demo_run
    m = json.loads((study.output / "manifest.json").read_text(encoding="utf-8"))
    assert m["seed"] == study.seed
    assert set(m["inputs"]) >= {"raw/students_2022.sav", "raw/parents_2022.csv",
                                "raw/sample_frame.csv", "raw/results.csv"}
    assert all(len(h) == 64 for h in m["inputs"].values())
    assert {"python", "pandas", "numpy", "shnro_research"} <= set(m["versions"])
    assert set(m["stages"]) == set(STAGES)
    log = pd.read_csv(study.output / "stage_log.csv")
    assert log.stage.tolist() == list(STAGES)


def test_raw_rows_equal_clean_plus_excluded(demo_run, truth):
    study, _ = demo_run
    counts = read_table(study, "responses", "row_counts")
    assert (counts.raw_rows == counts.clean_rows + counts.excluded_rows).all()
    problems = read_table(study, "responses", "problems")
    found = set(problems.problem.astype(str))
    assert {"duplicate_id", "not_in_sample", "out_of_range", "too_few_answers"} <= found
    assert found & {"rank_ties", "rank_gap", "rank_incomplete", "rank_not_permutation"}


def test_rerun_skips_unchanged_stages(demo_run):
    study, _ = demo_run
    again = run_study(study, progress=False)
    assert all(r.status == "skipped (unchanged)" for r in again)


def test_rerun_into_new_folder_gives_byte_identical_tables(demo_run, tmp_path):
    study, _ = demo_run
    second = load_study(study.path, output=tmp_path / "second")
    run_study(second, progress=False)
    first_dir, second_dir = study.output, second.output
    compared = 0
    for p in sorted(first_dir.rglob("*")):
        if p.is_file() and p.suffix in (".csv", ".xlsx", ".docx", ".md", ".tex", ".html", ".parquet",
                                        ".png", ".svg", ".pdf", ".sav"):
            if p.name == "stage_log.csv":
                continue   # holds run times
            q = second_dir / p.relative_to(first_dir)
            assert q.exists(), q
            assert p.read_bytes() == q.read_bytes(), p.relative_to(first_dir)
            compared += 1
    assert compared > 300


def test_changed_parameter_reruns_only_the_stages_that_depend_on_it(demo_run, tmp_path):
    study, _ = demo_run
    import shutil
    import yaml
    cfg = yaml.safe_load(study.path.read_text(encoding="utf-8"))
    cfg["typology"] = {"residual_sd": 1.5}
    new = study.path.parent / "study_changed.yaml"
    new.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    shutil.copytree(study.output, tmp_path / "out")
    changed = load_study(new, output=tmp_path / "out")
    status = {r.stage: r.status for r in run_study(changed, progress=False)}
    assert status["scoring"] == status["design"] == "skipped (unchanged)"
    assert status["models"] == status["report"] == "ran"


def test_bad_config_is_reported_with_the_field(tmp_path):
    p = tmp_path / "study.yaml"
    p.write_text("study: {id: x, lang: de}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="study.lang"):
        load_study(p)
    p.write_text("responses: {students: {2022: {file: missing.sav}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="responses.students.2022.file"):
        load_study(p)
    with pytest.raises(ParameterError, match="not found"):
        load_study(tmp_path / "nope.yaml")


def test_unknown_stage_is_rejected(demo_run):
    study, _ = demo_run
    with pytest.raises(ParameterError, match="'stages'"):
        run_study(study, stages=["nonsense"], progress=False)


def test_school_cards_hide_small_cells_and_names(demo_run):
    study, _ = demo_run
    cards = sorted((stage_dir(study, "report") / "schools").glob("school_*.html"))
    est = read_table(study, "design", "estimates_by_school")
    schools = set(read_table(study, "models", "school_results").school_id) | set(est.school_id)
    assert len(cards) == len(schools)          # every school, surveyed or not
    students = read_table(study, "responses", "students_clean")
    for c in cards:
        text = c.read_text(encoding="utf-8")
        assert "resp_id" not in text
        assert not any(str(r) in text for r in students.resp_id.head(50))
    # a school with a group of fewer than 5 respondents shows "n<5", not its estimate
    from shnro_research.report.document import ReportTable, write_school_card
    small = est[est.school_id == est.school_id.iloc[0]].head(3).copy()
    small.loc[small.index[0], "n"] = 3
    html, _ = write_school_card("T1", [ReportTable("t", small[["group", "wave", "variable", "est", "n"]])],
                                tmp_path_factory_dir(study))
    assert "n&lt;5" in html.read_text(encoding="utf-8")


def tmp_path_factory_dir(study):
    d = study.output / "_card_test"
    d.mkdir(exist_ok=True)
    return d


# ---------------------------------------------------------------- known truth of the demo
def test_resilient_schools_recovered(demo_run, truth):
    study, _ = demo_run
    res = read_table(study, "models", "resilient_schools")
    assert set(res.loc[res.resilient, "school_id"]) == set(truth["results"]["resilient_schools"])


def test_low_result_schools_recovered(demo_run, truth):
    study, _ = demo_run
    low = read_table(study, "models", "low_results")
    years = low[low.flagged].groupby("school_id").year.nunique()
    flagged_2y = set(years[years >= 2].index)
    assert set(truth["results"]["low_result_schools"]) <= flagged_2y
    by_rule = set(truth["results"]["low_result_by_rule"])
    assert len(flagged_2y & by_rule) / len(flagged_2y | by_rule) >= 0.6


def test_context_effect_recovered(demo_run, truth):
    study, _ = demo_run
    fx = read_table(study, "models", "results_model_fixed").set_index("term")
    beta = truth["results"]["beta_context_realised"]
    assert fx.loc["wellbeing_index", "ci_low"] < beta < fx.loc["wellbeing_index", "ci_high"]
    eff = read_table(study, "models", "school_effects").sort_values("est")
    assert set(truth["results"]["low_result_schools"]) <= set(eff.school_id.head(6))


def test_high_tension_schools_and_group_discrepancy(demo_run, truth):
    study, _ = demo_run
    ts = read_table(study, "scoring", "tension_by_school")
    st = ts[ts.group == "students"].groupby("school_id").est.mean().sort_values(ascending=False)
    high = set(truth["tension"]["high_tension_schools"])
    disc = truth["tension"]["discrepancy_school"]
    assert high <= set(st.index[:4]) and disc in set(st.index[:4])
    cmp_ = read_table(study, "scoring", "tension_group_comparison")
    d = cmp_[(cmp_.school_id == disc) & (cmp_.group_a == "students") & (cmp_.group_b == "teachers")]
    # students see the school as more tense than teachers in every wave
    assert (d.est > 0).all() and (d.p_adjusted < 0.05).all()


def test_planted_changes_detected_and_no_false_changes(demo_run, truth):
    study, _ = demo_run
    ch = read_table(study, "dynamics", "change_by_school")
    prog = set(truth["dynamics"]["programme_schools"])
    st = ch[(ch.group == "students") & ch.variable.isin(["tension", "motivation"])]
    planted = st[st.school_id.isin(prog)]
    assert (planted.classification == "positive").all()      # tension down, motivation up
    others = ch[~ch.school_id.isin(prog) & (ch.group != "teachers")]
    # a false change is a significant one; "cannot tell" (underpowered) is not a claim
    false_rate = others.classification.isin(["positive", "negative", "changed"]).mean()
    assert false_rate <= 0.05


def test_teacher_agreement_recovered(demo_run, truth):
    study, _ = demo_run
    ag = read_table(study, "scoring", "teacher_agreement")
    r = ag[ag.scale == "pc_values"].groupby("school_id").est.mean()
    hi, lo = truth["teachers_community"]["consensus_high_schools"], truth["teachers_community"]["consensus_low_schools"]
    assert r[hi].min() > r[lo].max()
    icc = read_table(study, "scoring", "teacher_icc")
    icc1 = icc[(icc.measure == "icc1") & (icc.scale == "pc_values")].est.mean()
    assert abs(icc1 - truth["teachers_community"]["icc1_true"]["pc_values"]) < 0.08


def test_value_hierarchies_recovered(demo_run, truth):
    study, _ = demo_run
    rk = read_table(study, "scoring", "rok_term_hierarchy")
    for g in ("students", "parents", "teachers"):
        order = truth["values"]["rokeach"]["rok_term"][g]["order"]
        got = rk[rk.group == g].groupby("label").mean_rank.mean().sort_values()
        from scipy.stats import spearmanr
        rho = spearmanr([order.index(v) for v in got.index], range(len(got))).statistic
        assert rho > 0.9, (g, rho)
        assert got.index[0] in order[:2]
