"""The scoring stage's memory savings change no number: answers kept in narrow floats widen back
exactly, the value tables computed one group / one value / one block of rows at a time equal the
whole-table computation they replaced (check_exact), and the teachers' agreement reads only
its scales' items."""
import numpy as np
import pandas as pd
import pytest

from shnro_research.engine.stages import (agreement_columns, compact_answers, pooled_answers,
                                          POOLED_IDS)
from shnro_research.pipeline import stage_dir
from shnro_research.scoring import values
from shnro_research.scoring import instrument as score


def test_compact_answers_is_lossless_and_narrows_only_what_it_can():
    rng = np.random.default_rng(1)
    n = 1000
    codes = rng.integers(1, 6, n).astype(float)
    codes[::7] = np.nan
    d = pd.DataFrame({"resp_id": [f"r{i}" for i in range(n)], "wave": 2024,
                      "likert": codes,
                      "big": rng.integers(0, 100_000, n).astype(float),   # > 2,048: float32
                      "half": codes / 2,                                  # x.5: float16 holds
                      "real": rng.normal(size=n)})                        # kept float64
    c = compact_answers(d)
    assert c.dtypes.to_dict() == {"resp_id": d.resp_id.dtype, "wave": np.dtype("int64"),
                                  "likert": np.float16, "big": np.float32,
                                  "half": np.float16, "real": np.float64}
    w = pooled_answers(c, ["likert", "big", "half", "real"])
    assert not {np.dtype("float16"), np.dtype("float32")} & set(w.dtypes)
    for col in ("likert", "big", "half", "real"):
        np.testing.assert_array_equal(w[col].to_numpy(), d[col].to_numpy())
    assert list(w.columns) == [c for c in POOLED_IDS if c in d] + ["likert", "big", "half",
                                                                   "real"]
    # a value float32 cannot hold exactly stays float64
    e = compact_answers(pd.DataFrame({"x": [1.0, 2.0 ** 24 + 1]}))
    assert e["x"].dtype == np.float64


def _rankings(n=3000, k=6, seed=2):
    rng = np.random.default_rng(seed)
    x = np.array([rng.permutation(k) + 1 for _ in range(n)], dtype=float)
    x[::11, 2] = np.nan                      # incomplete
    x[5::13, 1] = x[5::13, 0]                # ties
    d = pd.DataFrame(x, columns=[f"v{j}" for j in range(k)])
    d["group"] = rng.choice(["students", "parents", "teachers"], n)
    d["wave"] = rng.choice([2023, 2024], n)
    d["w"] = rng.uniform(0.5, 2.0, n)
    return d, [f"v{j}" for j in range(k)]


def _rank_summary_counts_before(d, items, by, weight):
    """The counts of rank_summary as computed before (one bincount of all values)."""
    from shnro_research.scoring._common import group_codes
    x = d[items].to_numpy(float)
    k = len(items)
    codes, keys = group_codes(d, by)
    ok = values._valid_mask(x) & (codes >= 0)
    xs = x[ok].astype(np.int64) - 1
    cs = codes[ok]
    ws = np.ones(len(cs)) if weight is None else d[weight].to_numpy()[ok]
    flat = (cs[:, None] * k + np.arange(k)[None, :]) * k + xs
    counts = np.bincount(flat.ravel(), weights=np.repeat(ws, k), minlength=len(keys) * k * k)
    return counts.reshape(len(keys), k, k)


@pytest.mark.parametrize("weight", [None, "w"])
def test_rank_summary_one_value_at_a_time_equals_one_bincount(weight):
    d, items = _rankings()
    got = values.rank_summary(d, items, by=["group", "wave"], weight=weight, warn=False)
    counts = _rank_summary_counts_before(d, items, ["group", "wave"], weight)
    k = len(items)
    tot = counts.sum(axis=2)
    mean_rank = ((counts * np.arange(1, k + 1)).sum(axis=2) / tot).ravel()
    share_top = (counts[:, :, :3].sum(axis=2) / tot).ravel()
    np.testing.assert_array_equal(got["mean_rank"].to_numpy(), mean_rank)
    np.testing.assert_array_equal(got["share_top"].to_numpy(), share_top)


def test_valid_mask_in_blocks_equals_whole(monkeypatch):
    d, items = _rankings(n=1001)
    x = d[items].to_numpy(float)
    whole = values._valid_mask(x)
    monkeypatch.setattr(values, "_BLOCK_VALUES", 5 * len(items))   # 5 rows a block
    np.testing.assert_array_equal(values._valid_mask(x), whole)
    assert 0 < whole.sum() < len(x)


def test_kendall_w_sums_equal_the_rank_matrix_sums():
    d, items = _rankings()
    got = values.kendall_w(d, items, by=["group", "wave"], warn=False)
    from shnro_research.scoring._common import group_codes
    x = d[items].to_numpy(float)
    codes, keys = group_codes(d, ["group", "wave"])
    ok = values._valid_mask(x) & (codes >= 0)
    xr, cs = x[ok], codes[ok]
    n = len(items)
    m = np.bincount(cs, minlength=len(keys)).astype(float)
    rsum = np.column_stack([np.bincount(cs, weights=xr[:, j], minlength=len(keys))
                            for j in range(n)])
    s = ((rsum - rsum.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    np.testing.assert_array_equal(got["est"].to_numpy(), 12 * s / (m ** 2 * (n ** 3 - n)))


def test_pvq_values_group_by_group_equal_the_pooled_means(demo_run):
    study, _ = demo_run
    out = stage_dir(study, "responses")
    common = study.instrument(study.groups[0])
    keys = {sid.removeprefix("pvq_"): list(sc.items) for sid, sc in common.scales.items()
            if sc.role == "pvq_value"}
    items = [i for v in keys.values() for i in v]
    data = pd.concat([pd.read_parquet(out / f"{g}_clean.parquet",
                                      columns=["school_id", "wave", *items]).assign(group=g)
                      for g in study.groups], ignore_index=True)
    pv = values.score_pvq(data, keys, centre=True)
    pooled = pd.concat([data[["group", "wave", "school_id"]], pv], axis=1)
    before = pooled.groupby(["group", "wave"]).mean(numeric_only=True).reset_index()
    pd.testing.assert_frame_equal(score.pvq_values(data, common), before, check_exact=True)
    # and on the narrow pooled answers, widened
    narrow = compact_answers(data)
    pd.testing.assert_frame_equal(score.pvq_values(pooled_answers(narrow, items), common),
                                  before, check_exact=True)


def test_teacher_agreement_reads_only_its_columns(demo_run):
    study, _ = demo_run
    inst = study.instrument("teachers")
    whole = pd.read_parquet(stage_dir(study, "responses") / "teachers_clean.parquet")
    cols = agreement_columns(inst)
    assert len(cols) < whole.shape[1] / 3
    pd.testing.assert_frame_equal(score.teacher_agreement(whole[cols], inst),
                                  score.teacher_agreement(whole, inst), check_exact=True)
