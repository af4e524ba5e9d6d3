"""``shnro score`` (shnro_research.cli.score) on the psych bfi data."""
import argparse
import json
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from shnro_research.errors import DataError, ParameterError
from shnro_research.cli.score import add_arguments as add_score_arguments
from shnro_research.cli.score import run as cli_score

REF = Path(__file__).parent / "reference" / "psych_bfi"


def test_cli_score(tmp_path):
    exp = json.loads((REF / "expected.json").read_text())
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(exp["keys"]))
    p = argparse.ArgumentParser()
    add_score_arguments(p)
    args = p.parse_args(["--data", str(REF / "data.csv"), "--keys", str(keys), "--item-min", "1",
                         "--item-max", "6", "--min-valid", "1", "--out", str(tmp_path / "s.csv"),
                         "--reliability", str(tmp_path / "rel.csv")])
    assert cli_score(args) == 0
    s = pd.read_csv(tmp_path / "s.csv")
    assert_allclose(s["agree"].mean(), exp["scales"]["agree"]["score_mean_available_items"]["mean"],
                    rtol=1e-6)
    rel = pd.read_csv(tmp_path / "rel.csv")
    row = rel[(rel.scale == "agree") & (rel.missing == "pairwise") & (rel.measure == "alpha_raw")]
    assert_allclose(row.est.iloc[0], exp["scales"]["agree"]["alpha_pairwise_raw"], rtol=1e-6)
    assert (tmp_path / "rel_items.csv").exists()
    bad = p.parse_args(["--data", str(tmp_path / "x.txt"), "--keys", str(keys), "--item-min", "1",
                        "--item-max", "6", "--out", str(tmp_path / "o.csv")])
    with pytest.raises(ParameterError, match="file not found"):
        cli_score(bad)
    (tmp_path / "x.json").write_text("{}")
    bad = p.parse_args(["--data", str(tmp_path / "x.json"), "--keys", str(keys), "--item-min", "1",
                        "--item-max", "6", "--out", str(tmp_path / "o.csv")])
    with pytest.raises(DataError, match="unsupported file type '.json'"):
        cli_score(bad)
