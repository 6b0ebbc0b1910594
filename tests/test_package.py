"""The package's shape: no import circle, light imports, data inside the installed wheel."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ala"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of ``ala`` that a file imports anywhere, except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ala"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ala")}
    return found


def test_the_import_graph_has_no_circle():
    """Every import counts, function-local ones too (they once held a five-module circle)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name and m != "ala"}
        for name, path in modules.items()
        if name != "ala"  # the lazy top-level namespace imports nothing until asked
    }
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_only_the_ui_imports_streamlit():
    for path in PACKAGE.rglob("*.py"):
        if "ui" not in path.relative_to(PACKAGE).parts:
            assert "import streamlit" not in path.read_text(), path


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(','.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(out.stdout.strip().splitlines()[-1].split(","))


def test_import_ala_and_the_scheduler_stay_light():
    """xgboost, scikit-learn and streamlit load only when something needs them."""
    for code in (
        "import ala",
        "import ala.scheduling",
        "from ala.cli import build_parser; build_parser().parse_args(['schedule', 'x.csv'])",
    ):
        heavy = _loaded_after(code) & {"xgboost", "sklearn", "streamlit"}
        assert not heavy, (code, heavy)
    probe_works = _loaded_after("from ala.baselines import BASELINES; BASELINES['xgboost'](0)")
    assert "xgboost" in probe_works, "the probe sees a heavy import when one happens"


def test_public_names_resolve_lazily():
    import ala

    for name in ala.__all__:
        assert getattr(ala, name) is not None, name
    with pytest.raises(AttributeError):
        ala.no_such_name  # noqa: B018


def test_the_installed_wheel_works_outside_the_source_tree(tmp_path):
    """Build the wheel, install it in a fresh venv, load the bundled sample from elsewhere."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = dist.glob("ala-*.whl")
    env_dir = tmp_path / "venv"
    # The venv sees this machine's numpy, pandas, ... (no network), but not the source tree.
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import ala, pathlib;"
        "assert 'site-packages' in ala.__file__, ala.__file__;"
        "data = ala.load_benchmarks(ala.sample_dataset_path());"
        "trace = ala.sample_trace_path('code');"
        "assert (ala.sample_dataset_path().parent / 'LICENSE').is_file();"
        "print(data.report.rows_kept, trace.is_file(), ala.__version__)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(python), "-I", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    rows, trace_found, version = out.stdout.split()
    assert int(rows) > 4000
    assert trace_found == "True"
    assert version != "0+unknown"


def test_the_readme_library_example_runs(monkeypatch):
    """The five lines at the top of the README's library section work as written."""
    import re

    text = (ROOT / "README.md").read_text()
    [code] = re.findall(r"## Library\n.*?```python\n(.*?)```", text, re.S)
    assert len([line for line in code.splitlines() if line.strip()]) == 5
    import plotly.graph_objects as go

    shown = []
    monkeypatch.setattr(go.Figure, "show", lambda self: shown.append(self))
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    curve = scope["curve"]
    assert {"thpt_lo", "thpt_hi"} <= set(curve.frame.columns)
    assert len(shown) == 1


def test_every_public_function_and_class_has_a_docstring():
    missing = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        stack: list[tuple[list[ast.stmt], str]] = [(tree.body, "")]
        while stack:
            body, prefix = stack.pop()
            for node in body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith(
                    "_"
                ):
                    if not ast.get_docstring(node):
                        missing.append(f"{path.relative_to(ROOT)}: {prefix}{node.name}")
                    if isinstance(node, ast.ClassDef):
                        stack.append((node.body, f"{prefix}{node.name}."))
    assert not missing, missing
