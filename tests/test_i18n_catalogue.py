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
from pydantic import BaseModel

import civtui.i18n as i18n
from civtui.domain.models import RECORD_TYPES, Person
from civtui.i18n import Translator, label

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "civtui" / "i18n"
CODE = ("civtui", "screens", "db", "sync")
TABLES = ("STRINGS", "HELP_EN", "TEXTUAL_ZH", "CLICK_ZH")


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


# -- the labels of the records' fields -------------------------------------------------------


def _every_field() -> list[tuple[type[BaseModel], str, str | None]]:
    """(model, field, its title) for every field a record kind has, computed ones too."""
    found: list[tuple[type[BaseModel], str, str | None]] = []
    for kind in RECORD_TYPES.values():
        found += [(kind, name, info.title) for name, info in kind.model_fields.items()]
        found += [(kind, name, info.title) for name, info in kind.model_computed_fields.items()]
    return found


def test_every_field_of_every_record_has_a_label_in_both_languages() -> None:
    """Forms, record pages, Excel headers and validation messages name a field by its
    label: none may fall back to the bare field name, in either language."""
    zh, en = Translator("zh"), Translator("en")
    unlabelled = [
        f"{kind.__name__}.{name}"
        for kind, name, title in _every_field()
        if title not in i18n.FIELD_KEYS or en.of(kind, name) in ("", name)
    ]
    assert unlabelled == []
    for kind, name, title in _every_field():
        assert zh.of(kind, name) == title  # the Chinese is the title pydantic knows
        assert en.of(kind, name) == i18n.STRINGS[i18n.FIELD_KEYS[str(title)]][1]


def test_no_two_fields_of_one_record_read_alike() -> None:
    for kind in RECORD_TYPES.values():
        for lang in i18n.LANGS:
            labels = [Translator(lang).of(kind, name) for name in kind.model_fields]
            twice = [label for label, n in Counter(labels).items() if n > 1]
            assert twice == [], (kind.__name__, lang)


def test_no_field_label_is_declared_twice() -> None:
    labels = [
        (key, pair[0])
        for path in sorted(PACKAGE.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict)
        for k, v in zip(node.value.keys, node.value.values, strict=True)
        if isinstance(k, ast.Constant)
        and str(k.value).startswith(i18n.FIELD)
        and isinstance(v, ast.Tuple)
        for key, pair in [(str(k.value), ast.literal_eval(v))]
    ]
    assert len(labels) == len(i18n.FIELD_KEYS)
    twice = {zh: n for zh, n in Counter(zh for _, zh in labels).items() if n > 1}
    assert twice == {}


def test_the_merge_refuses_one_chinese_label_for_two_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    twin = types.ModuleType("civtui.i18n.twin")
    twin.STRINGS = {"field.name_again": ("姓名", "Full name [/]")}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "civtui.i18n.twin", twin)
    parts = i18n.PARTS
    monkeypatch.setattr(i18n, "PARTS", (*parts, "twin"))
    try:
        with pytest.raises(ValueError, match=r"姓名.*field\.name.*field\.name_again"):
            i18n._merge()
    finally:
        # The refused merge got as far as the labels: merge the real parts again.
        monkeypatch.setattr(i18n, "PARTS", parts)
        i18n.STRINGS.pop("field.name_again", None)
        i18n._merge()
    assert Translator("en").of(Person, "name") == "Name"


def test_models_take_their_titles_from_the_catalogue() -> None:
    """A title written in the model would be a second copy of the word: each is `label(key)`."""
    source = (ROOT / "civtui" / "domain" / "models.py").read_text(encoding="utf-8")
    titles = [
        kw.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "title"
    ]
    assert titles
    written = [ast.unparse(t) for t in titles if not _is_label_call(t)]
    assert written == []


def _is_label_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "label"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
    )


def test_label_takes_only_a_field_label() -> None:
    assert label("field.name") == "姓名"
    with pytest.raises(KeyError):
        label("nav.back")
