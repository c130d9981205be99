"""The structure rules of docs/ARCHITECTURE.md, checked: imports run one way, files stay
small, no import hides inside a function, and one call's path stays short."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import numpy as np

import lucid
import lucid.nn as nn

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "python" / "lucid"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
EXTENSIONS = {"lucid._C"}  # compiled: it imports nothing of the package


def _target(name: str) -> str | None:
    """The Python module of ours that importing ``name`` runs (``a.b`` where b is a
    name in module a: a), or None for the extension and for other packages."""
    while name and name not in MODULES:
        if name in EXTENSIONS:
            return None
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str, path: Path) -> set[str]:
    """The modules of ours that ``module`` imports at its top level."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from a import b`` imports a.b when b is a module, else a itself.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            target = _target(name)
            if target is not None and target != module:
                found.add(target)
    return found


def test_no_import_cycle_among_the_modules_of_the_package():
    graph = {m: _imports(m, p) for m, p in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            assert state.get(n) != 1, "import cycle: " + " -> ".join([*path, m, n])
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    assert len(state) == len(MODULES) > 40


def test_no_import_inside_a_function_or_class():
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for top in tree.body:
            if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for node in ast.walk(top):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lucid"):
                    raise AssertionError(f"{module} imports {node.module} inside {top.name}")
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names if a.name.startswith("lucid")]
                    assert not names, f"{module} imports {names} inside {top.name}"


def test_no_source_file_exceeds_400_lines():
    dirs = ["python", "src", "tests", "rust-tests", "benches", "scripts", "fuzz", "examples"]
    sources = [p for d in dirs for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".rs")]
    assert len(sources) > 150
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, long


def test_alpha_dropout_forward_and_backward_cross_at_most_six_python_files():
    installed = str(Path(lucid.__file__).resolve().parent)  # the source tree or site-packages
    x = lucid.Tensor(np.ones((8, 16), dtype=np.float32), requires_grad=True)
    layer = nn.AlphaDropout(0.2)
    layer(x).backward()  # the first call may set things up once
    x.grad = None
    crossed: dict[str, set[str]] = {}

    def profile(frame, event, arg):
        if event == "call":
            name = frame.f_code.co_filename
            if name.startswith(installed + os.sep):
                crossed.setdefault(str(Path(name).relative_to(installed)), set()).add(
                    frame.f_code.co_name
                )

    sys.setprofile(profile)
    try:
        layer(x).backward()
    finally:
        sys.setprofile(None)
    assert x.grad is not None and layer.mask is not None
    assert len(crossed) <= 6, crossed
    assert "nn/functional/dropout.py" in crossed and "autograd/graph.py" in crossed
