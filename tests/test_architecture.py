"""The layering rules of DESIGN.md, checked on what Python really imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import importlib, pkgutil, sys
import {package}
for mod in pkgutil.walk_packages({package}.__path__, "{package}."):
    importlib.import_module(mod.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})
print(",".join(bad))
"""


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("db", {"textual", "screens"}),
        ("sync", {"textual", "screens"}),
    ],
)
def test_core_packages_never_import_the_ui(package: str, forbidden: set[str]) -> None:
    code = CHECK.format(package=package, forbidden=forbidden)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"{package} pulled in {out}"


def test_cli_does_not_load_textual_for_plain_commands() -> None:
    code = "import sys, civtui.cli; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
