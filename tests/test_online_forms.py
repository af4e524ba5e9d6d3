"""Online-form import: a Google-Forms-style export of the demo students' answers reads back to
the same clean data as the demo's .sav; question texts, grid rows, joined checkbox answers and
option texts are matched; personal data never reaches the data; unmatched questions and answers
are listed with row, line, column and value."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shnro_research._checks import ParameterError
from shnro_research.errors import DataError
from shnro_research.instruments import _ID_LABELS, load_instrument
from shnro_research.responses import norm_text, read_online_form, validate_responses


def google_export(clean: pd.DataFrame, ins, path, seed: int = 1, email: bool = True):
    """Write coded answers as Google Forms writes its responses CSV: «Отметка времени» first
    (the Russian interface), optionally «Адрес электронной почты», question titles as headers,
    option texts as answers, runs of likert statements of one section as a grid
    ``"<section title> [<statement>]"``, checkbox answers joined by ", ", a ranking as a grid of
    ranks ``"<question> [<option>]"``; UTF-8 with a byte-order mark, comma-separated."""
    rng = np.random.default_rng(seed)
    secs = {s.id: s for s in ins.sections}
    n = len(clean)
    cols: dict[str, object] = {}
    ts = pd.Timestamp("2023-04-10 09:00:00") + pd.to_timedelta(
        np.sort(rng.integers(0, 86400 * 5, n)), unit="s")
    cols["Отметка времени"] = ts.strftime("%d.%m.%Y %H:%M:%S")
    if email:
        cols["Адрес электронной почты"] = [f"pupil{i:04d}@example.org" for i in range(n)]
    for c in ins.id_columns:
        if c not in ("resp_id", "wave"):
            cols[_ID_LABELS[c].ru] = clean[c].astype(str).to_numpy()

    def label(v, it):
        if pd.isna(v):
            return ""
        return (it.codes.get(int(v)) or it.missing[int(v)]).ru

    items = ins.items
    for i, it in enumerate(items):
        same = lambda j: (0 <= j < len(items) and items[j].type == "likert"        # noqa: E731
                          and items[j].section == it.section)
        if it.type in ("single", "likert"):
            grid = it.type == "likert" and (same(i - 1) or same(i + 1))
            head = f"{secs[it.section].title.ru} [{it.text.ru}]" if grid else it.text.ru
            cols[head] = [label(v, it) for v in clean[it.id]]
        elif it.type == "numeric":
            cols[it.text.ru] = [("" if pd.isna(v) else f"{v:g}") for v in clean[it.id]]
        elif it.type == "text":
            cols[it.text.ru] = clean[it.id].fillna("").to_numpy()
        elif it.type == "multiple":
            block = clean[it.columns].to_numpy(dtype=float)
            cols[it.text.ru] = ["" if np.isnan(r).all() else
                                ", ".join(it.options[k].ru for k in np.flatnonzero(r == 1))
                                for r in block]
        else:   # ranking
            for k, c in enumerate(it.columns):
                cols[f"{it.text.ru} [{it.options[k].ru}]"] = [
                    "" if pd.isna(v) else str(int(v)) for v in clean[c]]
    df = pd.DataFrame(cols)
    df.to_csv(path, index=False, encoding="utf-8-sig")
    return df


@pytest.mark.parametrize("group", ["students", "parents", "teachers"])
def test_google_export_of_demo_answers_reads_back_to_the_clean_sav(demo_run, tmp_path, group):
    import pyreadstat
    from shnro_research.pipeline.runner import stage_dir
    study, _ = demo_run
    ins = load_instrument(group)
    sav, _meta = pyreadstat.read_sav(stage_dir(study, "responses") / f"{group}_clean.sav")
    assert len(sav) > (1000 if group == "students" else 300)
    parts = []
    for w in sorted(sav["wave"].unique()):
        clean_w = sav[sav["wave"] == w].reset_index(drop=True)
        path = tmp_path / f"{group}_{int(w)}_google.csv"
        google_export(clean_w, ins, path, seed=int(w))
        assert path.read_bytes()[:3] == b"\xef\xbb\xbf"          # BOM, as Google writes
        imp = read_online_form(path, ins, fixed={"wave": int(w)})
        assert imp.source == "google"
        assert imp.missing_columns == []
        st = imp.questions.set_index("header")["status"]
        assert st["Отметка времени"] == "form column"
        assert st["Адрес электронной почты"] == "personal data"
        assert (st.drop(["Отметка времени", "Адрес электронной почты"])
                .isin(["matched", "id"])).all()
        assert imp.problems.empty, imp.problems.head()
        assert not any("example.org" in str(v) for v in imp.data.to_numpy().ravel())
        parts.append(imp.data)
    data = pd.concat(parts, ignore_index=True)
    assert data["resp_id"].is_unique
    res = validate_responses(data, ins)
    assert len(res.exclusions) == 0 and len(res.clean) == len(sav)
    got = res.clean.reset_index(drop=True)
    for c in ("school_id", "class_id"):
        if c in ins.id_columns:
            assert got[c].astype(str).tolist() == sav[c].astype(str).tolist(), c
    np.testing.assert_array_equal(got["wave"].to_numpy(float), sav["wave"].to_numpy(float))
    for c in ins.columns:
        if ins.column_item()[c].type == "text":
            assert got[c].fillna("").astype(str).tolist() == sav[c].fillna("").tolist(), c
        else:
            np.testing.assert_allclose(got[c].to_numpy(float), sav[c].to_numpy(float),
                                       rtol=0, atol=0, equal_nan=True, err_msg=c)


@pytest.fixture(scope="module")
def students():
    return load_instrument("students")


def _small(ins, n=6, seed=5) -> pd.DataFrame:
    """Coded clean-like answers for a few students (valid codes, some blanks)."""
    rng = np.random.default_rng(seed)
    d = {"resp_id": [f"r{k}" for k in range(n)], "school_id": ["S01"] * n,
         "class_id": ["9А"] * n, "wave": [2024] * n}
    for it in ins.items:
        if it.type in ("single", "likert"):
            d[it.id] = rng.choice(list(it.codes), n).astype(float)
        elif it.type == "numeric":
            d[it.id] = rng.integers(int(it.min), int(it.max) + 1, n).astype(float)
        elif it.type == "multiple":
            m = np.zeros((n, len(it.options)))
            for i in range(n):
                m[i, rng.choice(len(it.options), 2, replace=False)] = 1
            for j, c in enumerate(it.columns):
                d[c] = m[:, j]
        elif it.type == "ranking":
            p = np.array([rng.permutation(len(it.options)) + 1 for _ in range(n)], dtype=float)
            for j, c in enumerate(it.columns):
                d[c] = p[:, j]
        else:
            d[it.id] = [""] * n
    return pd.DataFrame(d)


def test_unmatched_questions_answers_and_normalised_texts(students, tmp_path):
    ins = students
    clean = _small(ins)
    path = tmp_path / "g.csv"
    df = google_export(clean, ins, path, email=False)
    # a respondent-typed "other" option, a Likert text in other case/ё/quotes, an unknown label,
    # an extra question and a name column
    ls = ins.item("life_success")
    head_ls = ls.text.ru
    df.loc[0, head_ls] = df.loc[0, head_ls] + ", Другое: стать блогером"
    ten = ins.item("ten_01")
    head_ten = [h for h in df.columns if h.endswith(f"[{ten.text.ru}]")][0]
    df.loc[1, head_ten] = " «" + ten.codes[4].ru.upper().replace("Е", "Ё") + "» "
    df.loc[2, head_ten] = "Не знаю, что ответить"
    df.loc[3, head_ten] = ten.missing[9].ru            # the missing-code label -> 9
    df["Как тебя зовут?"] = "Иван"
    df["Любимый предмет"] = "физика"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    imp = read_online_form(path, ins, fixed={"wave": 2024}, id_prefix="g24-")
    q = imp.questions.set_index("header")
    assert q.loc["Как тебя зовут?", "status"] == "personal data"
    assert q.loc["Любимый предмет", "status"] == "unmatched"
    assert "Иван" not in imp.data.to_numpy().ravel().tolist()
    assert imp.data.loc[1, "ten_01"] == 4
    assert imp.data.loc[3, "ten_01"] == 9
    assert np.isnan(imp.data.loc[2, "ten_01"])
    # the chosen options of row 0 are kept, the typed-in one is listed
    np.testing.assert_array_equal(imp.data.loc[0, ls.columns].to_numpy(float),
                                  clean.loc[0, ls.columns].to_numpy(float))
    p = imp.problems
    assert p[["row", "line", "header", "column", "value", "problem"]].values.tolist() == [
        [1, 2, head_ls, f"{ls.columns[0]}..{ls.columns[-1]}", "другое: стать блогером",
         "unknown_option"],
        [3, 4, head_ten, "ten_01", "Не знаю, что ответить", "unknown_answer"]]
    assert p["action"].tolist() == ["ignored, other options kept", "set to missing"]
    assert imp.data["resp_id"].tolist()[:2] == ["g24-00001", "g24-00002"]
    s = imp.summary().set_index(["section", "key"])["n"]
    assert s[("questions", "unmatched")] == 1 and s[("questions", "personal data")] == 1


def test_comma_inside_options_and_yandex_separators(students):
    ins = students
    ls = ins.item("life_success")
    with_comma = [k for k, o in enumerate(ls.options) if "," in o.ru][:2]
    assert len(with_comma) == 2
    txt_google = ", ".join(ls.options[k].ru for k in with_comma)
    txt_yandex = "; ".join(ls.options[k].ru for k in with_comma)
    raw = pd.DataFrame({"ID": [101, 102, 103], "Время создания": ["2024-04-01 10:00"] * 3,
                        "Код школы": ["S01"] * 3, "Код класса": ["9А"] * 3,
                        ls.text.ru: [txt_google, txt_yandex, ""]})
    imp = read_online_form(raw, ins, fixed={"wave": 2024})
    assert imp.source == "yandex"
    want = np.zeros(len(ls.options))
    want[with_comma] = 1
    for r in (0, 1):
        np.testing.assert_array_equal(imp.data.loc[r, ls.columns].to_numpy(float), want)
    assert np.isnan(imp.data.loc[2, ls.columns].to_numpy(float)).all()   # blank = no answer
    assert imp.problems.empty
    assert "life_success_01" in imp.data and "ten_01" in imp.missing_columns


def test_kobo_export_by_names(students):
    """A KoBoToolbox / ODK export of the XLSForm: XML names as headers (with group paths),
    codes as values, a split select_multiple, a rank as the order of choice names."""
    ins = students
    ls = ins.item("life_success")
    rk = ins.items_of(type="ranking")[0]
    k = len(rk.options)
    order = " ".join(f"{j:02d}" for j in [2, 1] + list(range(3, k + 1)))
    raw = pd.DataFrame({"start": ["2024-04-01"], "sec_about/school_id": ["S01"],
                        "class_id": ["9А"], "wave": [2024], "sec_tension/ten_01": [4],
                        f"{ls.id}/01": [1], f"{ls.id}/02": [0], f"{ls.id}/03": [1],
                        rk.id: [order], "_uuid": ["abc"]})
    imp = read_online_form(raw, ins)
    d = imp.data.iloc[0]
    assert d["school_id"] == "S01" and d["ten_01"] == 4
    assert (d[ls.columns[0]], d[ls.columns[1]], d[ls.columns[2]]) == (1, 0, 1)
    ranks = d[rk.columns].to_numpy(float)
    np.testing.assert_array_equal(ranks[:3], [2, 1, 3])
    assert sorted(ranks) == list(range(1, k + 1))
    q = imp.questions.set_index("header")["status"]
    assert q["start"] == "unmatched" and q["_uuid"] == "unmatched"


def test_ambiguous_texts_need_their_section(students, tmp_path):
    ins = load_instrument("teachers")
    # the same statement appears in two sections (own practice vs the ideal)
    by_text: dict[str, list] = {}
    for it in ins.items:
        by_text.setdefault(norm_text(it.text.ru), []).append(it)
    twins = next(v for v in by_text.values() if len(v) == 2)
    a, b = twins
    secs = {s.id: s for s in ins.sections}
    raw = pd.DataFrame({"Отметка времени": ["1"], "Код школы": ["S01"],
                        a.text.ru: [a.codes[min(a.codes)].ru],
                        f"{secs[a.section].title.ru} [{a.text.ru}]": [a.codes[max(a.codes)].ru],
                        f"{secs[b.section].title.ru} [{b.text.ru}]": [b.codes[min(b.codes)].ru]})
    imp = read_online_form(raw, ins, fixed={"wave": 2024})
    st = imp.questions.set_index("header")["status"]
    assert st[a.text.ru] == "ambiguous"
    assert imp.data.loc[0, a.id] == max(a.codes) and imp.data.loc[0, b.id] == min(b.codes)


def test_refusals(students):
    raw = pd.DataFrame({"Отметка времени": ["1"], "Код класса": ["9А"]})
    with pytest.raises(DataError, match="school_id"):
        read_online_form(raw, students, fixed={"wave": 2024})
    with pytest.raises(ParameterError, match="read_online_form: 'fixed': 'grade' is not an id"):
        read_online_form(raw, students, fixed={"grade": 9})
    with pytest.raises(ParameterError, match="also a column of the export"):
        read_online_form(raw.assign(**{"Код школы": "S1"}), students,
                         fixed={"wave": 2024, "class_id": "9Б"})
    with pytest.raises(ParameterError, match="'data' must be"):
        read_online_form(42, students)


def test_cli_import_form(students, tmp_path, capsys):
    from shnro_research.cli import main
    path = tmp_path / "export.csv"
    google_export(_small(students), students, path)
    out = tmp_path / "imp"
    assert main(["import-form", str(path), "--instrument", "students", "--wave", "2024",
                 "--validate", "--out", str(out)]) == 0
    data = pd.read_csv(out / "data.csv", encoding="utf-8-sig")
    assert len(data) == 6 and "ten_01" in data and "Отметка времени" not in data
    q = pd.read_csv(out / "form_questions.csv", encoding="utf-8-sig")
    assert (q["status"] == "personal data").sum() == 1
    assert (out / "clean.csv").exists() and (out / "problems.csv").exists()


def test_question_numbers_and_linear_scale_numbers(students):
    ins = students
    sex, ten = ins.items[0], ins.item("ten_02")
    female = [c for c, t in sex.codes.items() if t.ru.lower().startswith("жен")][0]
    raw = pd.DataFrame({"Код школы": ["S01", "S01", "S01"], "Код класса": ["9А"] * 3,
                        f"1. {sex.text.ru}": [sex.codes[female].ru, "", "женский "],
                        f"12) {ten.text.ru}": ["4", 9, "7"]})
    imp = read_online_form(raw, ins, fixed={"wave": 2024})
    assert imp.questions["status"].tolist() == ["id", "id", "matched", "matched"]
    np.testing.assert_array_equal(imp.data[sex.id].to_numpy(float), [female, np.nan, female])
    np.testing.assert_array_equal(imp.data["ten_02"].to_numpy(float), [4, 9, np.nan])
    p = imp.problems
    assert p[["row", "column", "value", "problem"]].values.tolist() == [
        [3, "ten_02", "7", "unknown_answer"]]
