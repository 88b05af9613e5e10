"""What every civtui screen shares: typed access to its host, and bindings in the user's language."""

from __future__ import annotations

from typing import Generic, TypeVar, cast

from textual.screen import ModalScreen, Screen

from screens.host import Host
from screens.textual_compat import localize_bindings, localize_select_menus

ResultT = TypeVar("ResultT")


class CivScreen(Screen[ResultT], Generic[ResultT]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.civ.t)

    @property
    def civ(self) -> Host:
        """The app's services, as the protocol screens may rely on."""
        return cast(Host, self.app)

    _shown = False

    def back_again(self) -> bool:
        """Whether this ScreenResume brings the screen back, rather than showing it first.

        Textual sends ScreenResume as a screen is first shown too, right after `on_mount`: a
        screen that reads its rows on mount and again on every resume read them twice on
        opening (the 待同步 list of a month offline, the roster of a township).
        """
        shown, self._shown = self._shown, True
        return shown

    def on_mount(self) -> None:
        localize_select_menus(self, self.civ.t)

    def unsaved_input(self) -> bool:
        """Whether leaving this screen would throw away something typed (forms say so)."""
        return False

    def keep_draft(self) -> bool:
        """Keep unsaved input in the profile, there being no one to ask (the terminal went
        away); False when there is nothing to keep (forms keep theirs)."""
        return False


class CivModal(ModalScreen[ResultT], Generic[ResultT]):
    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.civ.t)

    @property
    def civ(self) -> Host:
        return cast(Host, self.app)
