"""Rules the package keeps so that each concept has one owner and stays readable.

Lint (ruff, including McCabe complexity <= 15) and types (mypy) run in ``make test`` before pytest;
this module checks what those tools do not: function length, import cycles, private reach-ins
across modules and the lazy import of numba.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tsinvest"
MAX_CODE_LINES = 60

# Functions allowed past MAX_CODE_LINES, each with the reason it reads better whole.
KEPT_LONG_FUNCTIONS: dict[str, str] = {}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _code_lines(node: ast.AST, source_lines: list[str]) -> int:
    """Lines of a function that hold code: no blank lines, comments or docstring."""
    docstring = set()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            docstring = set(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for number in range(node.lineno, node.end_lineno + 1):
        text = source_lines[number - 1].strip()
        if text and not text.startswith("#") and number not in docstring:
            count += 1
    return count


def _functions() -> list[tuple[str, int]]:
    found = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        stack: list[tuple[ast.AST, str]] = [(tree, name)]
        while stack:
            parent, prefix = stack.pop()
            for child in ast.iter_child_nodes(parent):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    qualified = f"{prefix}.{child.name}"
                    if not isinstance(child, ast.ClassDef):
                        found.append((qualified, _code_lines(child, lines)))
                    stack.append((child, qualified))
                else:
                    stack.append((child, prefix))
    return found


def test_no_function_is_longer_than_the_limit():
    too_long = sorted(
        f"{name}: {lines} code lines"
        for name, lines in _functions()
        if lines > MAX_CODE_LINES and name not in KEPT_LONG_FUNCTIONS
    )
    assert not too_long, "split these into named steps:\n" + "\n".join(too_long)


def test_kept_long_functions_still_exist_and_are_long():
    lengths = dict(_functions())
    stale = [name for name in KEPT_LONG_FUNCTIONS if lengths.get(name, 0) <= MAX_CODE_LINES]
    assert not stale, f"remove from KEPT_LONG_FUNCTIONS: {stale}"


def _package_exports(package: str) -> dict[str, str]:
    """Which submodule a package's ``__init__`` takes each of its names from."""
    exports: dict[str, str] = {}
    path = MODULES.get(package)
    if path is None or path.name != "__init__.py":
        return exports
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node, package, is_package=True)
            for alias in node.names:
                exports[alias.asname or alias.name] = source
    return exports


def _absolute(node: ast.ImportFrom, importer: str, *, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name) for every import, in functions too, outside ``TYPE_CHECKING``.

    An import moved into a function to dodge a cycle still makes the two modules depend on each
    other, so function-level imports count.
    """
    imports: list[tuple[str, str | None]] = []
    is_package = path.name == "__init__.py"
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
        elif isinstance(node, ast.Import):
            imports.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, name, is_package=is_package)
            imports.extend((module, alias.name) for alias in node.names)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return imports


def _resolve(module: str, imported: str | None) -> str | None:
    """The module an import really loads from, seen through package ``__init__`` re-exports."""
    if not module.startswith("tsinvest"):
        return None
    if imported and f"{module}.{imported}" in MODULES:
        return f"{module}.{imported}"
    if imported and MODULES.get(module, Path()).name == "__init__.py":
        source = _package_exports(module).get(imported)
        if source and source != module:
            return _resolve(source, None) or source
    return module if module in MODULES else None


def test_modules_import_without_cycles():
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        if path.name == "__init__.py":
            continue
        for module, imported in _imports(name, path):
            target = _resolve(module, imported)
            if target and target != name and MODULES[target].name != "__init__.py":
                graph.add_edge(name, target)
    cycles = sorted(sorted(component) for component in nx.strongly_connected_components(graph) if len(component) > 1)
    assert not cycles, f"import cycles: {cycles}"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_reaches_into_another_modules_private_names():
    reach_ins = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = _absolute(node, name, is_package=path.name == "__init__.py")
            if not module.startswith("tsinvest") or module == name:
                continue
            for alias in node.names:
                if _is_private(alias.name) and f"{module}.{alias.name}" not in MODULES:
                    reach_ins.append(f"{name} imports {module}.{alias.name}")
            # A private module (``linking._kernels``) belongs to its package.
            private_parts = [i for i, part in enumerate(module.split(".")) if _is_private(part)]
            if private_parts:
                owner = ".".join(module.split(".")[: private_parts[0]])
                if not name.startswith(owner + ".") and name != owner:
                    reach_ins.append(f"{name} imports private module {module}")
    assert not reach_ins, "\n".join(sorted(reach_ins))


@pytest.mark.parametrize("module", ["tsinvest.linking.coordination", "tsinvest.detection", "tsinvest"])
def test_importing_does_not_load_numba(module):
    code = f"import sys, {module}; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", f"importing {module} loads numba"
