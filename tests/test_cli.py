"""The ``shnro`` command line: a static registry, lazy command modules, errors as exit code 2."""
from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from shnro_research import cli


def test_top_level_parser_imports_no_pandas():
    code = ("import sys\n"
            "import shnro_research.cli as c\n"
            "c.build_parser([]).format_help()\n"
            "c.build_parser(['--version'])\n"
            "heavy = sorted(m for m in ('pandas', 'numpy', 'scipy', 'statsmodels', 'pyreadstat')"
            " if m in sys.modules)\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_lists_every_command_without_importing_them(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for name, _, _ in cli.COMMANDS:
        assert name in out


def test_registry_follows_the_protocol():
    for name, module, help_ in cli.COMMANDS:
        assert help_ and "\n" not in help_
        mod = importlib.import_module(f"shnro_research.cli.{module}")
        cmd = name.replace("-", "_")
        add = getattr(mod, f"add_{cmd}_arguments", None) or getattr(mod, "add_arguments", None)
        run = getattr(mod, f"run_{cmd}", None) or getattr(mod, "run", None)
        assert callable(add) and callable(run), name


def test_command_help_imports_only_that_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["estimate", "--help"])
    out = capsys.readouterr().out
    assert "--vars" in out and "--decimal" in out


def test_cli_modules_are_not_public():
    import shnro_research.design as design
    import shnro_research.models as models
    import shnro_research.scoring as scoring
    for pkg in (design, models, scoring):
        assert not [n for n in pkg.__all__ if n.startswith("cli_") or n.endswith("_arguments")]


def test_errors_are_exit_code_2(tmp_path, capsys):
    assert cli.main(["estimate", str(tmp_path / "none.csv"), "--vars", "x"]) == 2
    assert "shnro estimate: error:" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_bytes("id;x\n1;Всё\n".encode("cp1251"))
    assert cli.main(["estimate", str(bad), "--vars", "x", "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert "line 2, column 3" in err and "encoding='cp1251'" in err


def test_estimate_reads_through_io(tmp_path, capsys):
    p = tmp_path / "d.csv"
    p.write_text("school_id;x\n1;1,5\n1;2,5\n2;3,5\n2;4,5\n", encoding="cp1251")
    assert cli.main(["estimate", str(p), "--vars", "x", "--ids", "school_id"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("variable") or "est" in out.splitlines()[0]
    assert "3.0" in out


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "shnro_research", "--version"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "shnro_research" in out.stdout
