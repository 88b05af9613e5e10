"""What every civtui screen shares: typed access to its host, and bindings in the user's language."""

from __future__ import annotations

from typing import Generic, TypeVar, cast

from textual.screen import ModalScreen, Screen

from screens.host import Host
from screens.textual_compat import localize_bindings

ResultT = TypeVar("ResultT")


class CivScreen(Screen[ResultT], Generic[ResultT]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.civ.t)

    @property
    def civ(self) -> Host:
        """The app's services, as the protocol screens may rely on."""
        return cast(Host, self.app)


class CivModal(ModalScreen[ResultT], Generic[ResultT]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.civ.t)

    @property
    def civ(self) -> Host:
        return cast(Host, self.app)
