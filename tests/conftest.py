"""Shared fixtures: the demo study, generated and run once per test session."""
import pytest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """(Study, list of StageResult) of the whole study run on the default demo municipality."""
    from shnro_research.pipeline import demo_config, load_study, run_study
    folder = tmp_path_factory.mktemp("demo_study")
    study = load_study(demo_config(folder))
    results = run_study(study, progress=False)
    return study, results
