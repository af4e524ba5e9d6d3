"""The Dask engine (engine.backend: dask) on a local distributed cluster gives every table of
the reading, scoring and design stages of the pandas engine (rtol 1e-10)."""
import pytest

from _engine_compare import compare_outputs, make_study, run_with

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return make_study(tmp_path_factory.mktemp("dask_engine"))


def test_dask_engine_gives_the_pandas_tables(study):
    mem = run_with(study, "out_pandas", {"chunk_schools": 0})
    on_dask = run_with(study, "out_dask", {"backend": "dask", "scheduler": "local",
                                           "workers": 2, "partition_rows": 500})
    n = compare_outputs(mem, on_dask)
    assert n >= 20


def test_unknown_scheduler_address_is_an_error(study):
    from shnro_research.engine.dask import dask_client
    with pytest.raises(OSError):
        with dask_client({"scheduler": "tcp://127.0.0.1:1", "timeout": 2}):
            pass
