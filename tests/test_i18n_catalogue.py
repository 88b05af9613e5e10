"""The catalogue holds each word once, and only words the code says.

Read from the catalogue's source (its dict literals) and from the code's string literals,
not through `civtui.i18n`'s merge, so a merge that silently dropped or overwrote a key
would still be caught here.
"""

from __future__ import annotations

import ast
import sys
import types
from collections import Counter
from pathlib import Path

import pytest

import civtui.i18n as i18n

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "civtui" / "i18n"
CODE = ("civtui", "screens", "db", "sync")
TABLES = ("STRINGS", "HELP_EN", "FIELD_EN", "TEXTUAL_ZH", "CLICK_ZH")


def _declared(table: str) -> list[tuple[str, str]]:
    """(part, key) for every key literal of `table` in every part module, repeats kept."""
    found: list[tuple[str, str]] = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and target.id == table and isinstance(value, ast.Dict):
                found += [
                    (path.stem, k.value)
                    for k in value.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                ]
    return found


@pytest.mark.parametrize("table", TABLES)
def test_no_key_is_declared_twice(table: str) -> None:
    declared = _declared(table)
    twice = {key: n for key, n in Counter(k for _, k in declared).items() if n > 1}
    assert twice == {}, [(part, key) for part, key in declared if key in twice]


def test_every_part_module_is_merged() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(i18n.PARTS)


def test_the_merge_holds_exactly_what_the_parts_declare() -> None:
    assert sorted(i18n.STRINGS) == sorted(k for _, k in _declared("STRINGS"))
    assert sorted(i18n.HELP_EN) == sorted(k for _, k in _declared("HELP_EN"))


def test_the_merge_refuses_a_key_two_parts_declare(monkeypatch: pytest.MonkeyPatch) -> None:
    twin = types.ModuleType("civtui.i18n.twin")
    twin.STRINGS = {"nav.back": ("回去", "Go back")}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "civtui.i18n.twin", twin)
    monkeypatch.setattr(i18n, "PARTS", (*i18n.PARTS, "twin"))
    with pytest.raises(ValueError, match=r"nav\.back.*twin"):
        i18n._merge()
    assert i18n.STRINGS["nav.back"] == ("返回", "Back")


def _literals() -> tuple[set[str], set[str]]:
    """Every string literal of the code outside the catalogue, and every literal head of
    a key built at run time (f"state.{x}", "import." + code)."""
    whole: set[str] = set()
    heads: set[str] = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            if PACKAGE in path.parents:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    whole.add(node.value)
                elif isinstance(node, ast.JoinedStr) and node.values:
                    head = node.values[0]
                    if isinstance(head, ast.Constant) and isinstance(head.value, str):
                        heads.add(head.value)
                elif (
                    isinstance(node, ast.BinOp)
                    and isinstance(node.op, ast.Add)
                    and isinstance(node.left, ast.Constant)
                    and isinstance(node.left.value, str)
                ):
                    heads.add(node.left.value)
    return whole, {h for h in heads if h.endswith((".", "_"))}


def test_every_key_is_said_somewhere() -> None:
    whole, heads = _literals()
    unused = [
        key
        for _, key in _declared("STRINGS")
        if key not in whole and not any(key.startswith(h) for h in heads)
    ]
    assert unused == []
