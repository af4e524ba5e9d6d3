"""Every stage notebook executes on the demo study (committed without outputs), explains its stage
in at least 400 words of prose and draws at least one figure."""
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
MIN_WORDS = 400      # words of explanation beyond code (issue 14, "notebooks that teach")


def prose_words(markdown: str) -> int:
    """Words of a markdown text, not counting formulas ($...$, $$...$$) and inline code."""
    text = re.sub(r"\$\$.*?\$\$", " ", markdown, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    return len(re.findall(r"[^\W\d_]{2,}", text))


def test_one_notebook_per_stage():
    from shnro_research.pipeline import STAGES
    assert len(NOTEBOOKS) == len(STAGES)
    for nb_path, stage in zip(NOTEBOOKS, STAGES):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        assert f'STAGE = "{stage}"' in "".join(nb["cells"][1]["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


def test_prose_words_skips_formulas_and_code():
    assert prose_words("Индекс $T_i = 100$ растёт, `study.yaml` $$a+b$$ — two words") == 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_explains_its_stage(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path.name
    words = sum(prose_words(c.source) for c in nb.cells if c.cell_type == "markdown")
    assert words >= MIN_WORDS, f"{path.name}: {words} words of explanation, expected >= {MIN_WORDS}"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Что видно" in text and "$$" in text, f"{path.name}: needs a formula and a reading"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_on_the_demo(path, demo_run, monkeypatch):
    study, _ = demo_run
    monkeypatch.setenv("SHNRO_STUDY", str(study.path))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    # it draws at least one figure
    pngs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "image/png" in o.get("data", {})]
    assert pngs, f"{path.name}: no figure (image/png output)"
    # the stage was already run by the session fixture: the notebook reused it
    first = next(c for c in nb.cells if c.cell_type == "code" and "run_study" in c.source)
    text = "".join(o.get("data", {}).get("text/plain", "") for o in first.outputs)
    assert "skipped (unchanged)" in text
