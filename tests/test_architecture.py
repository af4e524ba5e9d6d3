"""The package's shape: no import circle, no import of a layer above, modules of a readable size,
one pipeline file per stage with its declaration on top, one notebook per stage, a CLI that
imports nothing heavy for ``--help``."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "shnro_research"

#: the layers, lowest first: a module may import modules of its own unit or of units listed
#: before it, never after (units are top-level modules or subpackages of shnro_research)
LAYERS = [
    "errors", "_checks", "_reproducible", "_stats", "_summary",
    "instruments", "io",
    "report",
    "responses", "forms", "scoring", "design", "models", "typology", "context", "student_ses",
    "results", "climate", "dynamics", "resilience_profile", "indicators", "realdata", "engine",
    "config_schema", "config", "demo", "pipeline", "cli", "__main__",
]
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        parts = p.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = pkg.split(".")
                mod = ".".join(parts[:len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod in modules:
                found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in modules}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
    found.discard(name)
    return found


def _unit(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.fixture(scope="module")
def graph():
    mods = _modules()
    return {m: _imports(m, p, mods) for m, p in mods.items()}


def test_every_unit_has_a_layer(graph):
    units = {_unit(m) for m in graph} - {""}
    assert units <= set(LAYERS), f"place these in LAYERS: {sorted(units - set(LAYERS))}"


def test_no_import_of_a_layer_above(graph):
    rank = {u: i for i, u in enumerate(LAYERS)}
    upward = [(a, b) for a, deps in graph.items() for b in deps
              if _unit(a) and _unit(b) and _unit(a) != _unit(b) and rank[_unit(b)] > rank[_unit(a)]]
    assert not upward, f"imports of a higher layer: {upward}"


def test_no_import_circle(graph):
    # package __init__ files re-export their own submodules; an edge from a submodule to its own
    # package's __init__ would be a circle, as would any longer loop (Tarjan's SCC)
    index, low, stack, on, sccs = {}, {}, [], set(), []
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not sccs, f"import circles: {sccs}"


def test_modules_are_of_a_readable_size():
    big = {str(p.relative_to(ROOT)): n for p in PKG.rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_report_does_not_call_back_into_statistics(graph):
    stats = {"scoring", "design", "models", "typology", "context", "dynamics", "indicators",
             "responses", "config", "pipeline"}
    bad = [(a, b) for a, deps in graph.items() if _unit(a) == "report" for b in deps
           if _unit(b) in stats]
    assert not bad, bad


def test_one_pipeline_file_one_notebook_one_folder_per_stage():
    from shnro_research.pipeline import STAGES, get_stage
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks == [f"{i + 1:02d}_{s}.ipynb" for i, s in enumerate(STAGES)]
    for i, s in enumerate(STAGES):
        stage = get_stage(s)
        assert stage.folder == f"{i + 1:02d}_{s}"
        assert (PKG / "pipeline" / f"{s}.py").exists()
        assert stage.doc.startswith(f"Stage {i + 1} — {s}")


def test_pipeline_files_declare_before_they_run():
    """Each stage file reads top to bottom: docstring, imports, INPUTS, CONFIG, UPSTREAM,
    OUTPUTS, then code; its only public function is ``run``."""
    from shnro_research.pipeline import STAGES
    for s in STAGES:
        tree = ast.parse((PKG / "pipeline" / f"{s}.py").read_text(encoding="utf-8"))
        names = [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                 if isinstance(t, ast.Name)]
        assert names[:4] == ["INPUTS", "CONFIG", "UPSTREAM", "OUTPUTS"], (s, names)
        first_def = next(i for i, n in enumerate(tree.body)
                         if isinstance(n, (ast.FunctionDef, ast.ClassDef)))
        decl = max(i for i, n in enumerate(tree.body) if isinstance(n, ast.Assign)
                   and isinstance(n.targets[0], ast.Name) and n.targets[0].id == "OUTPUTS")
        assert decl < first_def, s
        public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)
                  and not n.name.startswith("_")]
        assert "run" in public, s


def test_help_imports_nothing_heavy():
    code = ("import sys; from shnro_research.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('pandas', 'numpy', 'scipy', 'matplotlib', 'statsmodels') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_errors_and_warnings_are_public():
    import warnings

    from shnro_research import errors
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, (errors.ShnroError, errors.ShnroWarning))
    assert issubclass(errors.IpsativeWarning, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", errors.SingularFitWarning)
        warnings.warn("x", errors.SingularFitWarning)     # filtered by class: no error


def test_no_bare_userwarning_in_the_package():
    bad = []
    for p in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "warn":
                cat = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "category"), None)
                if cat is None or (isinstance(cat, ast.Name) and cat.id == "UserWarning"):
                    bad.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert not bad, f"warnings without a shnro_research.errors class: {bad}"
