"""A card for every school of the study, with its status, results, survey measures and the
recommendations its own numbers select; each recommendation is checked here against its rule,
recomputed from the tables independently of the card code."""
import pandas as pd
import pytest

from shnro_research.pipeline import read_table, stage_dir
from shnro_research.report.cards import RULES


@pytest.fixture(scope="module")
def recs(demo_run):
    study, _ = demo_run
    return pd.read_csv(stage_dir(study, "report") / "schools" / "recommendations.csv",
                       encoding="utf-8-sig")


def test_every_school_of_the_register_has_a_card(demo_run):
    study, _ = demo_run
    folder = stage_dir(study, "report") / "schools"
    schools = set(read_table(study, "models", "school_results").school_id)
    for s in schools:
        assert (folder / f"school_{s}.html").exists() and (folder / f"school_{s}.docx").exists()
    surveyed = set(read_table(study, "design", "estimates_by_school").school_id)
    assert schools - surveyed, "the demo has schools with results but no survey"


def _expected(study, school, rule):
    """The rule's condition, recomputed from the stage tables."""
    last = max(study.waves)
    min_cell = study.params["report"]["min_cell"]
    high = study.params["scoring"]["tension_thresholds"][1]
    if rule == "tension_high":
        ts = read_table(study, "scoring", "tension_by_school")
        r = ts[(ts.school_id == school) & (ts.group == "students") & (ts.wave == last)]
        return bool(len(r)) and r.n.iloc[0] >= min_cell and r.est.iloc[0] >= high
    if rule in ("low_results", "resilient"):
        low = read_table(study, "models", "low_results")
        res = read_table(study, "models", "resilient_schools")
        resilient = bool(res[res.school_id == school].resilient.any())
        flagged = bool(low[(low.school_id == school) & (low.year == last)].flagged.any())
        return resilient if rule == "resilient" else flagged and not resilient
    if rule == "context":
        unf = read_table(study, "models", "unfavourable_context")
        return bool(unf[(unf.school_id == school) & (unf.year == last)].unfavourable.any())
    if rule == "agreement":
        ag = read_table(study, "scoring", "teacher_agreement")
        a = ag[(ag.school_id == school) & (ag.wave == last) & (ag.scale == "pc_values")].est
        return bool(len(a)) and a.iloc[0] < 0.7
    if rule == "discrepancy":
        c = read_table(study, "scoring", "tension_group_comparison")
        d = c[(c.school_id == school) & (c.wave == last) & (c.group_a == "students")
              & (c.group_b == "teachers") & (c.n_a >= min_cell) & (c.n_b >= min_cell)]
        return bool(((d.p_adjusted < 0.05) & (d.est > 0)).any())
    if rule == "motivation":
        e = read_table(study, "design", "estimates_by_school")
        m = read_table(study, "design", "estimates_municipality")
        s = e[(e.school_id == school) & (e.group == "students") & (e.wave == last)
              & (e.variable == "motivation") & (e.n >= min_cell)]
        mm = m[(m.group == "students") & (m.wave == last) & (m.variable == "motivation")]
        return bool(len(s)) and s.ci_high.iloc[0] < mm.ci_low.iloc[0]
    raise AssertionError(rule)


def test_each_recommendation_follows_from_its_rule(demo_run, recs):
    study, _ = demo_run
    schools = sorted(set(read_table(study, "models", "school_results").school_id))
    given = {(r.school_id, r.rule) for r in recs.itertuples()}
    for school in schools:
        for rule in RULES:
            assert ((school, rule.key) in given) == _expected(study, school, rule.key), \
                (school, rule.key)
    assert len(given) > 10 and len({r for _, r in given}) >= 5   # the rules have work to do


def test_cards_print_the_recommendation_and_its_rule(demo_run, recs):
    study, _ = demo_run
    folder = stage_dir(study, "report") / "schools"
    by_key = {r.key: r for r in RULES}
    for row in recs.drop_duplicates("school_id").itertuples():
        html = (folder / f"school_{row.school_id}.html").read_text(encoding="utf-8")
        rule = by_key[row.rule]
        assert rule.ru[:40] in html
        assert "Статус школы" in html


def test_cards_do_not_depend_on_the_number_of_workers(demo_run, tmp_path):
    import filecmp

    from shnro_research.report.cards import write_cards
    from shnro_research.report.tables import TableStyle
    study, _ = demo_run
    names = [("models", "school_results"), ("models", "low_results"),
             ("models", "resilient_schools"), ("models", "unfavourable_context"),
             ("models", "typology"), ("scoring", "tension_by_school"),
             ("scoring", "tension_group_comparison"), ("scoring", "teacher_agreement"),
             ("design", "estimates_by_school"), ("design", "estimates_municipality"),
             ("dynamics", "change_by_school")]
    t = {n: read_table(study, s, n) for s, n in names}
    logs = []
    for w in (1, 2):
        logs.append(write_cards(t, tmp_path / str(w), style=TableStyle(lang="ru"), lang="ru",
                                last=max(study.waves), min_cell=5, high_threshold=50,
                                alpha=0.05, glossary={}, workers=w))
    files = sorted(p.name for p in (tmp_path / "1").iterdir())
    same, diff, err = filecmp.cmpfiles(tmp_path / "1", tmp_path / "2", files, shallow=False)
    assert not diff and not err and len(same) == len(files) > 0
    pd.testing.assert_frame_equal(logs[0], logs[1])
