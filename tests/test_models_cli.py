"""The ``shnro models`` subcommand (shnro_research.cli.models)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from shnro_research._checks import ParameterError
from shnro_research.cli.models import add_arguments as add_models_arguments
from shnro_research.cli.models import run as cli_models

REF = Path(__file__).parent / "reference"


def _parse(argv):
    p = argparse.ArgumentParser()
    add_models_arguments(p)
    return p.parse_args(argv)


def test_cli_models_mixed_and_ols(tmp_path, capsys):
    out = tmp_path / "m"
    rc = cli_models(_parse([str(REF / "lme4_exam" / "data.csv"), "--formula",
                            "normexam ~ standLRT + schavg + (1 | school)", "--out", str(out)]))
    assert rc == 0
    coef = pd.read_csv(out / "coefficients.csv")
    assert coef["term"].tolist() == ["(Intercept)", "standLRT", "schavg"]
    assert abs(coef["est"].iloc[1] - 0.559477860535833) < 1e-6
    eff = pd.read_csv(out / "school_effects.csv")
    assert len(eff) == 65 and list(eff.columns[:2]) == ["school", "est"]
    assert "variance_components" in capsys.readouterr().out
    rc = cli_models(_parse([str(REF / "lm_apipop" / "data.csv"), "--formula", "api00 ~ meals",
                            "--cov", "cluster", "--cluster", "dnum"]))
    assert rc == 0


def test_cli_models_bad_options():
    with pytest.raises(ParameterError, match="OLS only"):
        cli_models(_parse([str(REF / "lme4_exam" / "data.csv"), "--formula",
                           "normexam ~ 1 + (1 | school)", "--cov", "HC1"]))
    with pytest.raises(ParameterError, match="file not found"):
        cli_models(_parse(["/nonexistent.csv", "--formula", "y ~ x"]))
