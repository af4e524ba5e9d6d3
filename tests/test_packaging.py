"""Setup: environment.yml mirrors pyproject.toml; the CLI answers --help for every stage."""
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    return req[len(_name(req)):].replace(" ", "")


def test_environment_yml_matches_pyproject():
    pp = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = {_name(r): _spec(r) for r in pp["project"]["dependencies"]
              + pp["project"]["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): _spec(d) for d in env["dependencies"]
             if isinstance(d, str) and _name(d) not in ("python", "pip")}
    assert conda == wanted


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make demo" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_cli_help_for_every_stage():
    from shnro_research.cli import COMMANDS
    out = subprocess.run([sys.executable, "-m", "shnro_research", "--help"], capture_output=True,
                         text=True, check=True).stdout
    for name, _, _ in COMMANDS:
        assert name in out
        sub = subprocess.run([sys.executable, "-m", "shnro_research", name, "--help"],
                             capture_output=True, text=True)
        assert sub.returncode == 0, (name, sub.stderr)
        assert "usage: shnro " + name in sub.stdout
