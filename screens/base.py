"""What every civtui screen shares: typed access to the app, and bindings in the user's language."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual.binding import BindingsMap
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from civtui.i18n import Translator

if TYPE_CHECKING:
    from civtui.app import CivtuiApp

ResultT = TypeVar("ResultT")


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


class CivScreen(Screen[ResultT], Generic[ResultT]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.civ.t)

    @property
    def civ(self) -> CivtuiApp:
        return cast("CivtuiApp", self.app)


class CivModal(ModalScreen[ResultT], Generic[ResultT]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.civ.t)

    @property
    def civ(self) -> CivtuiApp:
        return cast("CivtuiApp", self.app)
