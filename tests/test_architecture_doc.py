"""docs/architecture.md names files, functions, tables and triggers: they must exist.

A rename that leaves the design page behind fails here, the way sqlite-utils' test_docs
keeps its documentation honest about its commands.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from db.store import Store

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
README = ROOT / "README.md"

#: A backticked repository path: a file the page cites, or a folder (ending in /).
PATH = re.compile(r"`((?:[\w.*-]+/)+(?:[\w.*-]+\.(?:py|tcss|md|toml))?)`")
NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
STEP = re.compile(r"^(\d+)\. `([\w./-]+\.py)` — (.*)$")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body under a heading (any level) up to the next heading of the same or higher level."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip("#").strip() == heading and line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body = []
            for rest in lines[i + 1 :]:
                if rest.startswith("#") and len(rest) - len(rest.lstrip("#")) <= level:
                    break
                body.append(rest)
            return "\n".join(body)
    raise AssertionError(f"no heading {heading!r}")


@dataclass(frozen=True)
class Step:
    flow: str
    number: int
    path: str
    names: tuple[str, ...]


def chain(text: str) -> list[str]:
    """The names of a step's chain: `a` (an aside, maybe with `code`) → `b` → `c`: ..."""
    names: list[str] = []
    i = 0
    while True:
        match = re.match(r"\s*`([^`]+)`", text[i:])
        if match is None or not NAME.fullmatch(match.group(1)):
            return names
        names.append(match.group(1))
        i += match.end()
        rest = text[i:].lstrip()
        if rest.startswith("("):
            depth = 0
            for j, char in enumerate(rest):
                depth += {"(": 1, ")": -1}.get(char, 0)
                if depth == 0:
                    rest = rest[j + 1 :].lstrip()
                    break
        if not rest.startswith("→"):
            return names
        i = len(text) - len(rest) + 1


def steps(text: str) -> list[Step]:
    """Every numbered step of the three flows, its continuation lines joined."""
    flows = section(text, "2. The three main flows")
    found: list[Step] = []
    flow = ""
    current: list[str] = []

    def close() -> None:
        if current:
            match = STEP.match(" ".join(current))
            assert match, current[0]
            number, path, rest = match.groups()
            found.append(Step(flow, int(number), path, tuple(chain(rest))))
            current.clear()

    for line in flows.splitlines():
        if line.startswith("### "):
            close()
            flow = line[4:]
        elif STEP.match(line):
            close()
            current.append(line)
        elif current and line.startswith("   "):
            current.append(line.strip())
        else:
            close()
    close()
    return found


@cache
def tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"))


def defined(body: list[ast.stmt], name: str) -> list[ast.stmt] | None:
    """The body of `name` defined in `body` ([] for a plain assignment), or None."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return node.body
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return []
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            return []
    return None


def has(path: str, dotted: str) -> bool:
    """Whether `path` defines `dotted`: a function, class or constant, `Class.method`,
    `Class.attribute`, or a function nested in a function (`create_app.push`)."""
    body: list[ast.stmt] | None = tree(path).body
    for part in dotted.split("."):
        body = defined(body, part) if body is not None else None
    return body is not None


def test_the_flows_are_found() -> None:
    # A parser that finds nothing would make every check below pass on any page.
    found = steps(doc_text())
    flows = {s.flow for s in found}
    assert len(flows) == 3, flows
    assert len(found) >= 15
    assert all(s.names for s in found), [s for s in found if not s.names]


def test_every_cited_path_exists() -> None:
    cited = set(PATH.findall(doc_text()))
    assert len(cited) > 30
    missing = [p for p in sorted(cited) if not any(ROOT.glob(p.rstrip("/")))]
    assert missing == []


@pytest.mark.parametrize("step", steps(doc_text()), ids=lambda s: f"{s.flow[:3]}{s.number}")
def test_every_function_in_a_flow_is_in_its_file(step: Step) -> None:
    missing = [name for name in step.names if not has(step.path, name)]
    assert missing == [], f"{step.path} has no {missing}"


def test_a_flow_never_sends_the_reader_back_to_a_file() -> None:
    by_flow: dict[str, list[str]] = {}
    for s in steps(doc_text()):
        by_flow.setdefault(s.flow, []).append(s.path)
    for flow, paths in by_flow.items():
        assert len(paths) == len(set(paths)), f"{flow}: {paths}"


def test_flow_steps_are_numbered_in_order() -> None:
    by_flow: dict[str, list[int]] = {}
    for s in steps(doc_text()):
        by_flow.setdefault(s.flow, []).append(s.number)
    for flow, numbers in by_flow.items():
        assert numbers == list(range(1, len(numbers) + 1)), flow


def first_column(table_text: str) -> list[set[str]]:
    """The backticked names in the first cell of each row of a markdown table."""
    rows = []
    for line in table_text.splitlines():
        if line.startswith("| ") and not line.startswith("|--") and "---" not in line:
            cell = line.split("|")[1]
            rows.append(set(re.findall(r"`(\w+)`", cell)))
    return rows


def test_the_tables_listed_are_the_stores_tables(store: Store) -> None:
    listed = set().union(*first_column(section(doc_text(), "Tables")))
    actual = {
        name
        for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name not in ("sqlite_sequence", "_sqlite_migrations")
    }
    assert listed == actual


def test_every_trigger_named_exists(store: Store) -> None:
    named = set(re.findall(r"`([a-z]\w*)`", section(doc_text(), "Triggers")))
    actual = {
        name
        for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    tables = {
        name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    triggers = {n for n in named if n not in tables and n.endswith(TRIGGER_ENDS)}
    assert len(triggers) >= 10
    assert triggers - actual == set()


TRIGGER_ENDS = ("_insert", "_update", "_delete", "_moved", "_day")


def test_the_policy_facts_columns_are_all_explained(store: Store) -> None:
    explained = set().union(*first_column(section(doc_text(), "`policy_facts`")))
    actual = {row[1] for row in store.db.execute("PRAGMA table_info(policy_facts)")}
    assert explained == actual


def test_the_readme_links_the_design_from_its_code_layout() -> None:
    layout = section(README.read_text(encoding="utf-8"), "Code layout")
    assert "](docs/architecture.md)" in layout


def test_no_file_points_to_a_design_outside_the_repo() -> None:
    """A clone has no DESIGN.md: the code and its contract cite docs/architecture.md."""
    pointing = [
        str(path.relative_to(ROOT))
        for pattern in ("*.py", "*.toml", "*.md")
        for path in ROOT.rglob(pattern)
        if ".venv" not in path.parts
        and path != Path(__file__).resolve()
        and "DESIGN.md" in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert pointing == []
