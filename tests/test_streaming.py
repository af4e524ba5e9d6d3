"""The scoring and design stages in chunks of schools (engine.chunk_schools) give the tables of
the in-memory path: every output table of the reading, scoring and design stages compared at
rtol 1e-10 on a small demo study cut into chunks of 5 schools."""
import numpy as np
import pandas as pd
import pytest

from _engine_compare import compare_outputs, make_study, run_with


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("streaming"))


def test_chunks_give_the_in_memory_tables(study):
    mem = run_with(study, "out_memory", {"chunk_schools": 0})
    chunked = run_with(study, "out_chunks", {"chunk_schools": 5})
    n = compare_outputs(mem, chunked)
    assert n >= 20
    _pooled_columns_give_the_whole_answers_tables(study, mem)


def _pooled_columns_give_the_whole_answers_tables(cfg, out):
    """The scoring stage keeps of the answers only the columns the pooled tables read (and
    gives each table only its item's columns): the tables equal those of the whole answers."""
    from shnro_research.config import load_study
    from shnro_research.engine.stages import (item_columns, pooled_answers, pooled_columns,
                                              score_groups)
    from shnro_research.scoring import instrument as score
    st = load_study(cfg)
    groups, common = st.groups, st.instrument(st.groups[0])
    clean = {g: pd.read_parquet(out / "02_responses" / f"{g}_clean.parquet") for g in groups}
    full = pd.concat([clean[g].assign(group=g) for g in groups], ignore_index=True)
    _, _, allg, _ = score_groups(lambda g: clean[g], groups, st.instrument, {"chunk_schools": 0},
                                 pooled_columns(*map(st.instrument, groups)))
    assert allg.shape[1] < full.shape[1]
    # kept in narrow floats, exactly: every kept answer widens back to the whole answers' value
    narrow = [c for c in allg if allg[c].dtype in (np.float16, np.float32)]
    assert len(narrow) > 50
    wide = pooled_answers(allg, narrow)
    for c in narrow:
        np.testing.assert_array_equal(wide[c].to_numpy(), full[c].to_numpy())
    assert not (set(pooled_answers(allg, narrow).dtypes) & {np.dtype("float16"),
                                                            np.dtype("float32")})
    allg = pooled_answers(allg, narrow)     # the tables read the widened columns
    for item in ("rok_term", "rok_instr"):
        a = score.rokeach_tables(full, common, item, "ru")
        b = score.rokeach_tables(item_columns(allg, common, item), common, item, "ru")
        for k in a:
            pd.testing.assert_frame_equal(a[k], b[k], check_exact=True)
    for item in ("life_success", "success_ways"):
        a = score.multiple_response_tables(full, common, item, "ru")
        b = score.multiple_response_tables(item_columns(allg, common, item), common, item, "ru")
        for x, y in zip(a, b):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
    pd.testing.assert_frame_equal(score.tension_balance(full, common),
                                  score.tension_balance(allg, common), check_exact=True)
    insts = {g: st.instrument(g) for g in groups}
    pd.testing.assert_frame_equal(score.tension_balance(full, insts),
                                  score.tension_balance(allg, insts), check_exact=True)
    pd.testing.assert_frame_equal(
        score.tension_group_comparison(full, insts, by=["school_id", "wave"]),
        score.tension_group_comparison(allg, insts, by=["school_id", "wave"]), check_exact=True)
    pd.testing.assert_frame_equal(score.pvq_values(full, common), score.pvq_values(allg, common),
                                  check_exact=True)
    whole = score.needs_tables(full, common)
    for k, v in score.needs_tables(allg, common).items():
        pd.testing.assert_frame_equal(whole[k], v, check_exact=True)


def test_school_chunks_cover_every_row_once():
    from shnro_research.engine.chunks import school_chunks
    d = pd.DataFrame({"school_id": list("cabcab") + ["d"], "x": range(7)})
    parts = list(school_chunks(d, 2))
    pos = np.concatenate([p for p, _ in parts])
    assert sorted(pos) == list(range(7))
    assert [sorted(set(part.school_id)) for _, part in parts] == [["a", "b"], ["c", "d"]]


def test_chunk_size_setting():
    from shnro_research.engine.chunks import AUTO_CHUNK, chunk_size
    from shnro_research.errors import ParameterError
    assert chunk_size("auto", AUTO_CHUNK) is None
    assert chunk_size("auto", AUTO_CHUNK + 1) == AUTO_CHUNK
    assert chunk_size(0, 10**6) is None and chunk_size(7, 3) == 7
    with pytest.raises(ParameterError, match="chunk_schools"):
        chunk_size(-1, 10)


def test_moments_add_over_any_split():
    """Reliability from the sums of two halves equals scale_reliability of the whole; a
    cluster split between two parts combines to the cluster's own moments."""
    from shnro_research.engine.moments import (cluster_moments, combine_cluster_moments,
                                               reliability_from_moments, reliability_moments)
    from shnro_research.instruments import load_instrument
    from shnro_research.scoring.instrument import scale_reliability
    inst = load_instrument("students")
    items = sorted({i.lstrip("-") for k in inst.scale_keys().values() for i in k})
    rng = np.random.default_rng(1)
    d = pd.DataFrame(rng.integers(1, 5, size=(300, len(items))).astype(float), columns=items)
    d = d.mask(rng.random(d.shape) < 0.05)
    d["wave"] = np.repeat([2023, 2024], 150)
    whole = scale_reliability(d, inst, "students")
    halves = reliability_moments(d.iloc[:100], inst) + reliability_moments(d.iloc[100:], inst)
    split = reliability_from_moments(halves, inst, "students")
    pd.testing.assert_frame_equal(whole, split, check_exact=False, rtol=1e-10)

    c = pd.DataFrame({"stratum": "s", "school_id": "A", "psu2": ["1"] * 6 + ["2"] * 4,
                      "weight": rng.uniform(1, 3, 10), "y": rng.normal(size=10)})
    one = cluster_moments(c, ["y"])
    two = combine_cluster_moments(pd.concat([cluster_moments(c.iloc[:3], ["y"]),
                                             cluster_moments(c.iloc[3:], ["y"])]), ["y"])
    np.testing.assert_allclose(two["M2__y"], one["M2__y"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(two["Y__y"], one["Y__y"], rtol=1e-12, atol=0)


def test_national_summary_instead_of_cards(demo_run, tmp_path):
    """report.cards: none (or auto above cards_max) writes the summary tables and no card; the
    recommendations log is the one the cards write."""
    from shnro_research.report.cards import cards_wanted, write_cards
    from shnro_research.report.tables import TableStyle
    study, _ = demo_run
    out = study.output
    folder = {"models": "06_models", "scoring": "03_scoring", "design": "04_design",
              "dynamics": "07_dynamics"}
    names = [("models", "school_results"), ("models", "low_results"),
             ("models", "resilient_schools"), ("models", "unfavourable_context"),
             ("models", "typology"), ("scoring", "tension_by_school"),
             ("scoring", "tension_group_comparison"), ("scoring", "teacher_agreement"),
             ("design", "estimates_by_school"), ("design", "estimates_municipality"),
             ("dynamics", "change_by_school")]
    t = {n: pd.read_parquet(out / folder[s] / f"{n}.parquet") for s, n in names}
    kw = dict(style=TableStyle(lang="en"), lang="en", last=max(study.waves), min_cell=5,
              high_threshold=50.0, alpha=0.05, glossary={}, workers=1)
    from shnro_research.report.cards import school_profile, school_profiles
    schools = sorted(set(t["school_results"].school_id.astype(str))
                     | set(t["estimates_by_school"].school_id.astype(str)))
    rule_kw = dict(last=max(study.waves), min_cell=5, high_threshold=50.0, alpha=0.05)
    one_by_one = [school_profile(s, t, **rule_kw) for s in schools]
    assert school_profiles(t, schools, **rule_kw) == one_by_one
    assert any(p["tension_students"] is not None for p in one_by_one)
    log_cards = write_cards(t, tmp_path / "cards", mode="all", **kw)
    log_sum = write_cards(t, tmp_path / "summary", mode="auto", max_schools=10, **kw)
    pd.testing.assert_frame_equal(log_cards, log_sum)
    files = {p.name for p in (tmp_path / "summary").iterdir()}
    assert not any(f.startswith("school_") for f in files)
    assert {"summary.html", "summary.docx", "summary_distributions.csv",
            "summary_top_bottom.parquet", "summary_by_type.csv"} <= files
    n_schools = len(set(t["school_results"].school_id.astype(str))
                    | set(t["estimates_by_school"].school_id.astype(str)))
    assert cards_wanted("auto", n_schools, n_schools) and not cards_wanted("none", 1, 10)
    dist = pd.read_parquet(tmp_path / "summary" / "summary_distributions.parquet")
    e = t["estimates_by_school"]
    e = e[(e.wave == max(study.waves)) & (e.n >= 5) & (e.group == "students")
          & (e.variable == "tension")]
    row = dist[(dist.group == "students") & (dist.variable == "tension")].iloc[0]
    np.testing.assert_allclose([row["median"], row["min"], row["n_schools"]],
                               [e.est.median(), e.est.min(), len(e)], rtol=1e-12, atol=0)
    top = pd.read_parquet(tmp_path / "summary" / "summary_top_bottom.parquet")
    best = top[(top.measure == "result") & (top.end == "top") & (top["rank"] == 1)].iloc[0]
    sr = t["school_results"]
    last = sr[sr.year == sr.year.max()]
    assert best.school_id == str(last.loc[last.result.idxmax(), "school_id"])
