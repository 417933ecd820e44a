"""No import inside a function anywhere in the core or the launcher: an import placed there to
dodge a cycle hides a layering mistake that import-linter (`make lint`) would otherwise report."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core_server", "billing_hub")


def _function_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} in {node.name}()")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_are_at_module_level(package: str) -> None:
    sources = [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    assert sources
    assert [hit for path in sources for hit in _function_imports(path)] == []
