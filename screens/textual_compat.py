"""The few places civtui reaches into Textual's private API, kept in one room.

Checked against Textual 8.2.8 (scripts/constraints.txt pins it). Textual has no public way to
give a node translated copies of its bindings (descriptions and tooltips are read from
`DOMNode._bindings`, a `BindingsMap`) or to read back the keymap set with `App.set_keymap`.
When Textual is upgraded, run the suite: `tests/test_tui_flows.py` checks the translated
footer and the help screen's keys, which go through here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from itertools import zip_longest
from typing import Any

from rich.align import Align
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.command import CommandList, CommandPalette
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.types import CSSLocation
from textual.dom import DOMNode
from textual.widgets import DataTable, Input
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey
from textual.widgets.data_table import DuplicateKey, Row, RowKey
from textual.widgets.option_list import Option

from civtui.domain.shown import in_place
from civtui.i18n import Translator


def localize_bindings(node: DOMNode, t: Translator) -> None:
    """Binding descriptions and tooltips are i18n keys; give this node translated copies.

    Always from the class's own bindings (`_merge_bindings`), never from the node's current
    ones: after a first translation those hold words, not keys, and a second language would
    find nothing to translate (the English footer that still said 退出).
    """
    localized = BindingsMap()
    for _key, binding in type(node)._merge_bindings():
        localized._add_binding(
            dataclasses.replace(
                binding,
                description=t.textual(t.maybe(binding.description)),
                tooltip=t.maybe(binding.tooltip),
            )
        )
    node._bindings = localized


def localize_select_menus(screen: DOMNode, t: Translator) -> None:
    """A drop-down's menu has a binding of Textual's own ("esc Dismiss menu" in the footer);
    say it in the app's language. The menus are private widgets, found by their type name."""
    for overlay in screen.query("SelectOverlay"):
        localize_bindings(overlay, t)


class CommandPaletteIn(CommandPalette):
    """Textual's command palette, with its "No matches found" line in the app's language.

    Textual writes that line in a private timer callback; this repeats the callback with the
    line given. Checked against Textual 8.2.8 (`CommandPalette._start_no_matches_countdown`).
    """

    def __init__(self, no_matches: str, placeholder: str, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self.no_matches = no_matches

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(self.no_matches, style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


#: Rules parsed in this process, by source and by the theme's variables they were parsed with.
_PARSED: dict[tuple[object, ...], list[RuleSet]] = {}
#: Sources × themes a process may meet: more means a source that keeps changing (a CSS file
#: edited under the dev server's watch), and the oldest go.
_PARSED_MAX = 1024


def share_parsed_css() -> None:
    """Parse each CSS source once per theme in this process, not once per stylesheet.

    The first time a screen with CSS of its own is pushed, Textual reparses the app's whole
    stylesheet in a new `Stylesheet` whose cache is empty (`App._load_screen_css`,
    `Stylesheet.reparse`): every source the app has read is tokenized again, for each screen
    class the first time it opens, and for each new app in one process. Rules depend only on
    the source and the variables (the theme's colours) they are parsed with, and are not
    changed once parsed (Textual's own cache hands the same ones out), so they are kept
    here by both. Checked against Textual 8.2.8 (`Stylesheet._parse_rules`, `.reparse`).
    """
    parse = Stylesheet._parse_rules
    if getattr(parse, "shared", False):
        return

    def parse_once(
        self: Stylesheet,
        css: str,
        read_from: CSSLocation,
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        key = (css, read_from, is_default_rules, tie_breaker, scope, *self._variables.items())
        rules = _PARSED.get(key)
        if rules is None:
            rules = parse(self, css, read_from, is_default_rules, tie_breaker, scope)
            if len(_PARSED) >= _PARSED_MAX:
                del _PARSED[next(iter(_PARSED))]
            _PARSED[key] = rules
        return rules

    parse_once.shared = True  # type: ignore[attr-defined]
    Stylesheet._parse_rules = parse_once  # type: ignore[method-assign]


def bindings_of(node: DOMNode) -> list[Binding]:
    """The bindings a node has now (after `localize_bindings`, in the user's language)."""
    return [binding for _key, binding in node._bindings]


def keymap(app: App[object]) -> dict[str, str]:
    """The key overrides by binding id that `App.set_keymap` was given."""
    return dict(app._keymap)


class TextInput(Input):
    """An input that draws the control characters of the value it edits instead of sending
    them to the terminal (a saved note holding ESC, opened to be corrected). The value itself
    is left as it is: what is saved is what was there. Textual draws an input's value from
    the private `Input._value` (checked against Textual 8.2.8); one stand-in character each,
    so the cursor stays over the character it is on."""

    @property
    def _value(self) -> Text:
        text = super()._value
        if self.password:
            return text
        shown = in_place(text.plain)
        if shown == text.plain:
            return text
        return Text(shown, no_wrap=True, overflow="ignore", end="")


class Footer(TextualFooter):
    """Textual's footer, its keys made in the footer's style rather than switched to it.

    A `FooterKey` starts compact and is data-bound to the footer's own `compact`: each key
    of a (not compact) footer had its styles worked out twice, once as it mounted compact
    and once on being switched back, every time the footer composed its keys (each screen,
    each change of focus). On the dashboard that was 45 style updates, ~25 ms of CPU of its
    first frame. Here each key is given the footer's value before it mounts, so the binding
    finds nothing to change. Checked against Textual 8.2.8 (`Footer.compose`,
    `FooterKey.compact`, `DOMNode._reactive_connect`, where `data_bind` notes a binding);
    tests/test_roster_search_speed.py checks the keys end as Textual's footer leaves them.
    """

    #: What the keys now shown were made from (`_keys_from`), None before the first keys.
    _composed: tuple[object, ...] | None = None

    def _keys_from(self) -> tuple[object, ...] | None:
        """Everything `Footer.compose` makes the keys from, or None before the bindings are
        ready (when it makes none)."""
        if not self._bindings_ready:
            return None
        app = self.app
        return (
            self.compact,
            self.show_command_palette,
            self.combine_groups,
            app.ENABLE_COMMAND_PALETTE,
            app.COMMAND_PALETTE_BINDING,
            *(
                (
                    key,
                    binding,
                    app.get_key_display(binding),
                    enabled,
                    tooltip,
                )
                for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            ),
        )

    async def recompose(self) -> None:
        """Make the keys again only if what they are made from has changed.

        Textual's footer makes all its keys again whenever the screen's bindings may have
        changed: on every change of focus (each Tab through a form), though the keys shown
        are mostly the same; opening a person's page and a record from it made the footer's
        keys four times over. Checked against Textual 8.2.8 (`Footer.bindings_changed`,
        `Footer.compose`, `Screen.active_bindings`).
        """
        if not self.is_attached or self._pruning:  # as Widget.recompose: gone, or going
            return
        made_from = self._keys_from()
        if made_from is not None and made_from == self._composed and self.children:
            return
        self._composed = made_from
        await super().recompose()

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Only the keys bound to the footer's style: the command palette's key is not,
            # and stays compact in any footer.
            if isinstance(widget, FooterKey) and "compact" in (widget._reactive_connect or {}):
                widget.set_reactive(FooterKey.compact, self.compact)
                # The binding still calls the key's watcher once as it mounts, which puts
                # the class on: put there before, the watcher finds nothing to change
                # rather than working the key's styles out again (a compact footer's ten
                # keys were a tenth of opening a person's page).
                widget.set_class(self.compact, "-compact", update=False)
            yield widget


def add_rows_at_once(
    table: DataTable[Any],
    rows: Iterable[tuple[str, Sequence[object]]],
    heights: Mapping[str, int] | None = None,
    *,
    measure: bool = True,
) -> None:
    """`DataTable.add_row(*cells, key=key, height=heights[key])` for each (key, cells), as
    one change to the table; a row not in `heights` is one line high.

    `measure=False` where every column has a fixed width: Textual measures every cell of a
    new row, on the next idle, only to widen the columns sized to their content, and for
    a table of 200 rows that measuring was a tenth of a save's wait on the dashboard.

    `add_row` sets the cursor (a reactive, validated and watched), sorts the columns and asks
    for an idle check once per row: for the roster's 100 rows on each keystroke that was half
    of the keystroke. This does `add_row`'s bookkeeping for every row and those three once.
    Checked against Textual 8.2.8 (`DataTable.add_row`); tests/test_roster_search_speed.py compares the
    table it leaves with the one `add_row` leaves.
    """
    columns = table.ordered_columns
    had_rows = table.row_count > 0
    for key, cells in rows:
        row_key = RowKey(key)
        if row_key in table._row_locations:
            raise DuplicateKey(f"The row key {row_key!r} already exists.")
        if len(cells) > len(columns):
            raise ValueError("More values provided than there are columns.")
        table._row_locations[row_key] = table.row_count
        table._data[row_key] = {column.key: cell for column, cell in zip_longest(columns, cells)}
        table.rows[row_key] = Row(row_key, heights.get(key, 1) if heights else 1, None, False)
        if measure:
            table._new_rows.add(row_key)
    table._require_update_dimensions = True
    table.cursor_coordinate = table.cursor_coordinate
    # As add_row: a cursor that could not be shown on an empty table is highlighted now.
    shows_cursor = table.show_cursor and table.cursor_type != "none"
    if not had_rows and table.row_count and table.columns and shows_cursor:
        table._highlight_cursor()
    table._update_count += 1
    table.check_idle()
