"""Every stage notebook executes on the demo study (committed without outputs)."""
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_on_the_demo(path, demo_run, monkeypatch):
    study, _ = demo_run
    monkeypatch.setenv("SHNRO_STUDY", str(study.path))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    # the stage was already run by the session fixture: the notebook reused it
    first = next(c for c in nb.cells if c.cell_type == "code" and "run_study" in c.source)
    text = "".join(o.get("data", {}).get("text/plain", "") for o in first.outputs)
    assert "skipped (unchanged)" in text
