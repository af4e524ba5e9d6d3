"""Every report table with an inference (p, confidence interval, standard error) says in its
note what design, test and adjustment it used (issue 12: "every new table says in its caption
what design, test and adjustment it used")."""
import re

INFERENTIAL = ("| p |", "| p (скорр.) |", "95% ДИ", "Ст. ошибка", "Нижняя граница ДИ")
#: a note names the design or model ...
DESIGN = re.compile(r"дизайн|выборк|без весов|МНК|REML|перестановочн|респондент|школ",
                    re.IGNORECASE)
#: ... and the test or interval and the adjustment (or that there is none)
ADJUST = re.compile(r"Холм|без поправки|поправк|p —|ДИ|интервал", re.IGNORECASE)


def test_inferential_tables_state_design_test_and_adjustment(demo_run):
    study, _ = demo_run
    tables = sorted((study.output / "08_report" / "tables").glob("*.md"))
    assert len(tables) > 20
    checked, bad = 0, {}
    for path in tables:
        text = path.read_text(encoding="utf-8")
        header = next((ln for ln in text.splitlines() if ln.startswith("|")), "")
        if not any(k in header for k in INFERENTIAL):
            continue
        checked += 1
        note = text.split("Примечание.", 1)[1] if "Примечание." in text else ""
        if not (DESIGN.search(note) and ADJUST.search(note)):
            bad[path.stem] = note[:120] or "(no note)"
    assert checked >= 8
    assert not bad, bad


def test_no_label_is_given_twice():
    """A key written twice in a label dict silently keeps the last one (two sessions labelling
    the same column differently): refuse it."""
    import ast
    import collections
    from pathlib import Path

    import shnro_research.report.labels as L
    tree = ast.parse(Path(L.__file__).read_text(encoding="utf-8"))
    dups = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            dups += [k for k, c in collections.Counter(keys).items() if c > 1]
    assert not dups, dups
