"""The few places civtui reaches into Textual's private API, kept in one room.

Checked against Textual 8.2.8 (scripts/constraints.txt pins it). Textual has no public way to
give a node translated copies of its bindings (descriptions and tooltips are read from
`DOMNode._bindings`, a `BindingsMap`) or to read back the keymap set with `App.set_keymap`.
When Textual is upgraded, run the suite: `tests/test_tui_flows.py` checks the translated
footer and the help screen's keys, which go through here.
"""

from __future__ import annotations

import dataclasses

from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from civtui.i18n import Translator


def localize_bindings(node: DOMNode, t: Translator) -> None:
    """Binding descriptions and tooltips are i18n keys; give this node translated copies."""
    localized = BindingsMap()
    for _key, binding in node._bindings:
        localized._add_binding(
            dataclasses.replace(
                binding, description=t.maybe(binding.description), tooltip=t.maybe(binding.tooltip)
            )
        )
    node._bindings = localized


def bindings_of(node: DOMNode) -> list[Binding]:
    """The bindings a node has now (after `localize_bindings`, in the user's language)."""
    return [binding for _key, binding in node._bindings]


def keymap(app: App[object]) -> dict[str, str]:
    """The key overrides by binding id that `App.set_keymap` was given."""
    return dict(app._keymap)
