"""The app's first frame: its title and a word that the profile is being opened.

Drawn before the store, its models and the lock screen are imported (`civtui/app.py`
`CivtuiApp.on_mount`), so it imports nothing of them and shows nothing of the profile: the
lock, if the profile has one, covers the app before the first figure is drawn.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, Static


class OpeningScreen(Screen[None]):
    """Shown until the profile's own screens are ready; replaced by them."""

    DEFAULT_CSS = """
    OpeningScreen {
        align: center middle;
    }
    #opening {
        width: auto;
        color: $text-muted;
    }
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Header()
        # A word of the catalogue, but drawn as text all the same (`markup=False`).
        yield Static(self.message, id="opening", markup=False)
