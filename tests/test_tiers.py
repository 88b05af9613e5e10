"""The fast tier stays fast: a test that runs the app is marked `tui`, wherever it is written.

`scripts/dev.py test --fast` leaves out `tui`, `server` and `slow`; tests/conftest.py marks
server and snapshot tests from their fixtures, and this keeps the pilot tests marked.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _marked_tui(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "tui" for n in ast.walk(node))


def unmarked_pilot_tests(source: str) -> list[str]:
    """Names of test functions in `source` that call `run_test` with no `tui` mark in reach."""
    tree = ast.parse(source)
    module_marked = any(
        isinstance(stmt, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets)
        and _marked_tui(stmt.value)
        for stmt in tree.body
    )
    found = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not stmt.name.startswith("test"):
            continue
        runs_app = any(
            isinstance(n, ast.Attribute) and n.attr == "run_test" for n in ast.walk(stmt)
        )
        marked = module_marked or any(_marked_tui(d) for d in stmt.decorator_list)
        if runs_app and not marked:
            found.append(stmt.name)
    return found


def test_every_pilot_test_is_in_the_tui_tier() -> None:
    unmarked = {
        path.name: names
        for path in sorted(TESTS.glob("test_*.py"))
        if (names := unmarked_pilot_tests(path.read_text(encoding="utf-8")))
    }
    assert unmarked == {}, "mark these @pytest.mark.tui (or the module's pytestmark)"


def test_the_check_finds_an_unmarked_pilot_test() -> None:
    source = (
        "import pytest\n"
        "async def test_a(app):\n    async with app.run_test() as pilot: pass\n"
        "@pytest.mark.tui\n"
        "async def test_b(app):\n    async with app.run_test() as pilot: pass\n"
        "def test_c():\n    assert True\n"
    )
    assert unmarked_pilot_tests(source) == ["test_a"]
    assert unmarked_pilot_tests("import pytest\npytestmark = pytest.mark.tui\n" + source) == []
