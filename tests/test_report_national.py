"""The report at national size: per-school figures turn into readable summary forms above
``MAX_SCHOOL_LABELS`` schools (bounded tick labels and height on 5,000 synthetic schools), the
municipal forms stay as they were, figures saved in the background are the same files, and
the report's per-school helpers are vectorised without changing their output."""
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Annotation

from shnro_research.report import figures as F
from shnro_research.report.labels import RESILIENCE_RULES, rule_names
from shnro_research.report.study_sections import (_flagged_years, _rules_named,
                                                  scale_descriptives)

N = 5000


@pytest.fixture(scope="module")
def national():
    rng = np.random.default_rng(15)
    ids = np.array([f"S{i:05d}" for i in range(N)])
    ctx = rng.normal(size=N)
    res = 0.5 * ctx + rng.normal(size=N)
    schools = pd.DataFrame({"school_id": ids, "wellbeing_index": ctx, "result": res,
                            "resilient": (ctx < -0.4) & (res > 0.8)})
    effects = pd.DataFrame({"school_id": ids, "est": res, "ci_low": res - 0.4,
                            "ci_high": res + 0.4})
    tension = pd.DataFrame({"school_id": np.repeat(ids, 3),
                            "group": np.tile(["students", "parents", "teachers"], N),
                            "est": rng.normal(40, 8, 3 * N), "n": 20})
    return schools, effects, tension


def _labels(axis):
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_tension_by_school_national_is_a_distribution(national):
    _, _, tension = national
    fig = F.tension_by_school(tension, thresholds=(25, 50, 75), lang="ru")
    ax = fig.axes[0]
    labels = _labels(ax.yaxis)
    assert len(labels) == 3                       # one box per group, not one row per school
    assert all(f"n = {N} школ" in t for t in labels)
    assert fig.get_figheight() <= 11.7            # fits an A4 page
    # the boxes show the schools' quartiles
    q1, q3 = np.percentile(tension.loc[tension.group == "students", "est"], [25, 75])
    box = ax.patches[0].get_path().vertices
    assert box[:, 0].min() == pytest.approx(q1, rel=1e-12)
    assert box[:, 0].max() == pytest.approx(q3, rel=1e-12)


def test_caterpillar_national_has_no_per_school_labels(national):
    schools, effects, _ = national
    hl = schools.loc[schools.resilient, "school_id"]
    fig = F.caterpillar(effects, highlight=hl.to_numpy(), lang="en")
    ax = fig.axes[0]
    assert _labels(ax.xaxis) == []
    assert ax.get_xlabel() == f"Schools ranked by effect (n = {N}; in red: {len(hl)})"
    red = [c for c in ax.collections if c.get_offsets().shape[0] == len(hl)
           and not hasattr(c, "get_segments")]
    assert red and red[0].get_offsets().shape[0] == len(hl)
    assert all(c.get_rasterized() for c in ax.collections)      # > 1,000 schools


def test_results_vs_context_national_labels_no_school(national):
    schools, _, _ = national
    k = int(schools.resilient.sum())
    assert k > F.MAX_SCHOOL_LABELS
    fig = F.results_vs_context(schools, x="wellbeing_index", y="result", lang="en")
    ax = fig.axes[0]
    assert not [t for t in ax.texts if isinstance(t, Annotation)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"resilient (n = {k})" in legend


def test_municipal_forms_keep_one_label_per_school(national):
    schools, effects, tension = national
    few = schools.school_id.iloc[:F.MAX_SCHOOL_LABELS]
    fig = F.tension_by_school(tension[tension.school_id.isin(few)], lang="en")
    assert sorted(_labels(fig.axes[0].yaxis)) == sorted(few)
    fig = F.caterpillar(effects[effects.school_id.isin(few)], highlight=[few.iloc[0]])
    assert sorted(_labels(fig.axes[0].xaxis)) == sorted(few)
    sub = schools[schools.school_id.isin(few)].assign(resilient=lambda d: d.index < 3)
    fig = F.results_vs_context(sub, x="wellbeing_index", y="result")
    names = sorted(t.get_text() for t in fig.axes[0].texts if isinstance(t, Annotation))
    assert names == sorted(sub.school_id[:3])
    assert not F.many_schools(F.MAX_SCHOOL_LABELS) and F.many_schools(F.MAX_SCHOOL_LABELS + 1)


def test_national_figures_save(tmp_path, national):
    schools, effects, tension = national
    for name, fig in {"t": F.tension_by_school(tension), "c": F.caterpillar(effects),
                      "r": F.results_vs_context(schools, x="wellbeing_index",
                                                y="result")}.items():
        paths = F.save_figure(fig, tmp_path / name)
        assert all(p.stat().st_size > 1000 for p in paths)


def test_background_saver_writes_the_same_files(tmp_path, national):
    schools, effects, _ = national
    few = effects.iloc[:40]
    saver = F.FigureSaver(workers=2)
    assert saver._ctx is not None              # Linux, small process: forks
    a = saver.save(F.caterpillar(few, highlight=["S00001"]), tmp_path / "bg" / "c")
    b = saver.save(F.results_vs_context(schools.iloc[:40], x="wellbeing_index", y="result"),
                   tmp_path / "bg" / "r")
    saver.wait()
    c = F.save_figure(F.caterpillar(few, highlight=["S00001"]), tmp_path / "fg" / "c")
    d = F.save_figure(F.results_vs_context(schools.iloc[:40], x="wellbeing_index", y="result"),
                      tmp_path / "fg" / "r")
    for p, q in zip(a + b, c + d):
        assert p.read_bytes() == q.read_bytes(), p
    inline = F.FigureSaver(background=False)
    assert inline._ctx is None
    e = inline.save(F.caterpillar(few), tmp_path / "in" / "c")
    assert all(p.exists() for p in e)


def test_background_saver_raises_the_error_of_a_failed_figure(tmp_path):
    fig = F.caterpillar(pd.DataFrame({"school_id": ["A", "B"], "est": [0.0, 1.0],
                                      "ci_low": [-1.0, 0.0], "ci_high": [1.0, 2.0]}))

    class Broken(Exception):
        pass

    def boom(*a, **k):
        raise Broken("cannot draw")
    fig.axes[0].draw = boom
    saver = F.FigureSaver(workers=1)
    saver.save(fig, tmp_path / "broken")
    with pytest.raises(Broken, match="cannot draw"):
        saver.wait()
    with pytest.raises(F.ParameterError, match="'formats' must be among"):
        saver.save(fig, tmp_path / "x", formats=("jpg",))


def test_background_saver_ends_a_child_that_hangs(tmp_path):
    import os
    import time
    fig = F.caterpillar(pd.DataFrame({"school_id": ["A", "B"], "est": [0.0, 1.0],
                                      "ci_low": [-1.0, 0.0], "ci_high": [1.0, 2.0]}))
    parent, draw = os.getpid(), fig.axes[0].draw

    def slow_in_child(*a, **k):
        if os.getpid() != parent:
            time.sleep(60)
        return draw(*a, **k)
    fig.axes[0].draw = slow_in_child
    saver = F.FigureSaver(workers=1)
    paths = saver.save(fig, tmp_path / "slow")
    t0 = time.perf_counter()
    saver.wait(timeout=1)
    assert time.perf_counter() - t0 < 30
    assert all(p.stat().st_size > 0 for p in paths)


class _Tables:
    """The two ways the report reads a stage table: a parquet path, or the whole table."""

    def __init__(self, df, path=None):
        self.df, self.path = df, path

    def table(self, stage, name):
        return self.df.copy()

    def __getattr__(self, name):
        if name == "table_path" and self.path is not None:
            return lambda stage, table: self.path
        raise AttributeError(name)


def test_scale_descriptives_equal_the_long_table(tmp_path):
    rng = np.random.default_rng(2)
    n = 3000
    df = pd.DataFrame({"resp_id": np.arange(n).astype(str), "school_id": "S1", "class_id": "c",
                       "wave": rng.choice([2023, 2024], n),
                       "group": rng.choice(["students", "parents", "teachers"], n)})
    for k in range(11):
        v = rng.normal(size=n)
        v[rng.random(n) < 0.2] = np.nan
        df[f"scale_{k:02d}"] = v
        df[f"scale_{k:02d}_n_valid"] = 3
    df.loc[df.group == "parents", "scale_03"] = np.nan          # no answer: no row
    path = tmp_path / "respondent_scores.parquet"
    df.to_parquet(path, index=False)
    sc = df[df.wave == 2024]
    cols = [c for c in sc.columns if c.startswith("scale_") and not c.endswith("_n_valid")]
    long = sc.melt(id_vars=["group"], value_vars=cols, var_name="scale").dropna()
    expected = (long.groupby(["group", "scale"])["value"]
                .agg(mean="mean", sd="std", n="size").reset_index())
    assert len(expected) == 3 * 11 - 1
    for tables in (_Tables(df, path), _Tables(df)):
        got = scale_descriptives(tables, 2024, chunk=4)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=False)
        assert got.n.dtype == np.int64


def test_flagged_years_and_rule_names_as_per_school():
    rng = np.random.default_rng(4)
    low = pd.DataFrame({"school_id": rng.choice([f"S{i:03d}" for i in range(300)], 2000),
                        "year": rng.choice([2022, 2023, 2024], 2000),
                        "flagged": rng.random(2000) < 0.3})
    old = (low[low.flagged].groupby("school_id")["year"]
           .apply(lambda s: ", ".join(map(str, sorted(s)))).rename("years").reset_index())
    pd.testing.assert_frame_equal(_flagged_years(low), old, check_dtype=False)
    res = pd.DataFrame({"school_id": [f"S{i}" for i in range(500)]})
    for k in RESILIENCE_RULES:
        res[f"resilient_{k}"] = rng.random(500) < 0.5
    for lang in ("ru", "en"):
        per_school = [rule_names([k for k in RESILIENCE_RULES if bool(r[f"resilient_{k}"])], lang)
                      for _, r in res.iterrows()]
        assert _rules_named(res, lang).rules.tolist() == per_school
    assert _rules_named(res.iloc[:0], "ru").rules.tolist() == []


def test_the_resilient_finding_lists_at_most_twenty_ids_at_national_size():
    """A national study has thousands of resilient schools: the sentence names the first 20
    and says how many more the table lists; the quoted count is all of them."""
    import pandas as pd

    from shnro_research.report import findings as F

    class Tables:
        def __init__(self, t):
            self.t = t

        def has_table(self, stage, name):
            return name in self.t

        def table(self, stage, name):
            return self.t[name]

    n = 2500
    res = pd.DataFrame({"school_id": [f"S{i:05d}" for i in range(n)],
                        "low_context": True, "resilient": [i % 2 == 0 for i in range(n)],
                        "context_cutoff": -0.43})
    typ = {"resilience_rules": ["quadrant"], "context_quantile": 1 / 3}
    for lang, more in (("ru", "и ещё 1230"), ("en", "and 1230 more")):
        f = F._resilient(F._Writer(Tables({"resilient_schools": res}), lang, 0.05), typ)
        assert more in f.text and "S00038" in f.text and "S00040" not in f.text
        assert f.numbers["resilient"][0] == 1250


def test_a_typology_cell_lists_at_most_sixty_schools():
    """A national type holds thousands of schools: beyond the 32,767 characters of an Excel
    cell; the cell names 60 and counts the rest."""
    import pandas as pd

    from shnro_research.report.study_report import _ids_cell
    ids = pd.Series([f"S{i:05d}" for i in range(5000)])
    cell = _ids_cell(ids, "ru")
    assert cell.endswith("и ещё 4940") and "S00059" in cell and "S00060" not in cell
    assert len(cell) < 32_767
    assert _ids_cell(ids[:3], "en") == "S00000, S00001, S00002"


def test_a_report_table_shows_at_most_a_thousand_rows_and_says_where_the_rest_is():
    import pandas as pd

    from shnro_research.report.study_sections import REPORT_MAX_ROWS, first_rows
    df = pd.DataFrame({"school_id": [f"S{i}" for i in range(18_749)]})
    shown, note = first_rows(df, "Связь, а не влияние.", "tension_discrepancies", "ru")
    assert len(shown) == REPORT_MAX_ROWS == 1000
    assert note.startswith("Связь, а не влияние. Показаны первые 1000 из 18749 строк")
    assert "tables/tension_discrepancies.xlsx" in note
    small, same = first_rows(df.head(40), "n", "x", "en")
    assert len(small) == 40 and same == "n"
