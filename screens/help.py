"""帮助: the keys of the page F1 was pressed on first, in plain words, then every other page's.

Read from the bindings themselves, so it never goes stale; what no binding says (moving
through a form, the date forms a field accepts) is added in words beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from screens import format as fmt
from screens import layout, textual_compat
from screens.base import CivScreen
from screens.textual_compat import Footer


@dataclass(frozen=True)
class Section:
    """One page's keys: where (an i18n key), the page's class, and keys said in words."""

    where: str
    page: type[Screen[Any]] | None
    bindings: list[BindingType]
    #: (key as printed, i18n key of what it does) for keys no binding of the page holds.
    words: tuple[tuple[str, str], ...] = ()


#: A form's keys that Textual's fields hold, and the dates a date field accepts.
FORM_WORDS = (
    ("Tab / Shift+Tab", "help.form_tab"),
    ("Space", "help.form_space"),
    ("Enter", "help.form_enter"),
    ("1–9", "form.digit_keys"),
    ("↑ / ↓", "help.form_arrows"),
    ("help.dates", "help.form_dates"),
    ("help.notes", "help.form_note"),
)


def _sections(app: App[object]) -> list[Section]:
    from screens.assessment_form import AssessmentForm
    from screens.confirm import ConfirmModal
    from screens.conflict import ConflictModal
    from screens.dashboard import DashboardScreen
    from screens.drafts import DraftModal
    from screens.followups import FollowUpScreen
    from screens.form import ModelForm
    from screens.pending import PendingScreen
    from screens.person import PersonScreen
    from screens.record import RecordScreen
    from screens.reports import CoverageScreen
    from screens.roster import RosterScreen

    def of(page: type[Screen[Any]]) -> list[BindingType]:
        return list(page.BINDINGS)

    return [
        Section("help.everywhere", None, list(app.BINDINGS)),
        Section(
            "nav.dashboard",
            DashboardScreen,
            of(DashboardScreen),
            (("help.more_mark", "help.more_categories"),),
        ),
        Section("followup.title", FollowUpScreen, of(FollowUpScreen)),
        Section("nav.roster", RosterScreen, of(RosterScreen)),
        Section("person.profile", PersonScreen, of(PersonScreen)),
        Section("help.record", RecordScreen, of(RecordScreen)),
        Section("help.forms", ModelForm, of(ModelForm), FORM_WORDS),
        # The ADL form's digits are scores, the highest first: said apart from any form's.
        Section("help.adl_form", AssessmentForm, [], (("1–4", "form.barthel_keys"),)),
        Section("report.coverage", CoverageScreen, of(CoverageScreen)),
        Section("nav.pending", PendingScreen, of(PendingScreen)),
        Section("help.confirm", ConfirmModal, of(ConfirmModal)),
        Section("conflict.title", ConflictModal, of(ConflictModal)),
        Section("help.draft", DraftModal, of(DraftModal)),
    ]


#: Keys whose Textual names are not what the keyboard says.
#: A Chinese character, and what a phrase holds that no single word does (a sentence's
#: marks, a space between words).
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_A_WORD = set(" ，；。：、")

_NAMED = {
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "tab": "Tab",
    "delete": "Del",
    "home": "Home",
    "end": "End",
}


class HelpScreen(CivScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "back", "nav.back", id="help.back")]

    def __init__(self) -> None:
        super().__init__()
        #: The page F1 was pressed on (its keys come first), as a section's `where`.
        self.page: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(fmt.text(self.civ.t("help.title")), classes="title")
        yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        t = self.civ.t
        table = self.query_one("#keys", DataTable)
        sections = _sections(self.app)
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        # Every section the page is an instance of: a form's keys, then the ADL form's own.
        current = [s for s in sections if s.page is not None and isinstance(below, s.page)]
        if current:
            self.page = current[0].where
            sections = [*current, *(s for s in sections if s not in current)]
        self.rows = [
            (t("help.this_page", page=t(s.where)) if s in current else t(s.where), key, action)
            for s in sections
            for key, action in self._rows(s)
        ]
        self._fill()
        table.focus()

    def _fill(self) -> None:
        """Lay the rows out in the window's width: what a key does gets the width the other
        two columns leave, and wraps rather than running off the edge."""
        t = self.civ.t
        headings = [t("help.where"), t("help.key"), t("help.action")]
        table = self.query_one("#keys", DataTable)
        # Chinese wraps between any two characters, but what a key does is one word where
        # another row says it ("Tab 到下一栏", never 到下一 / 栏); English wraps at its spaces.
        words = {
            word.strip()
            for _, _, action in self.rows
            for word in action.split(" / ")
            if _CJK.search(word) and not _NOT_A_WORD & set(word.strip())
        }
        layout.fill(
            table, headings, self.rows, wraps=2, width=self.app.size.width, least=12, keep=words
        )

    def on_resize(self, _event: events.Resize) -> None:
        if hasattr(self, "rows"):
            self._fill()

    def _rows(self, section: Section) -> list[tuple[str, str]]:
        """(key as printed, what it does in plain words) for each of a section's keys."""
        t = self.civ.t
        keymap = textual_compat.keymap(self.app)
        rows = []
        for binding in section.bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = [k.strip() for k in keymap.get(binding.id or "", binding.key).split(",")]
            # A capital beside its small letter is the same key with Shift: shown once,
            # as it is pressed.
            keys = [k for k in keys if not (k.isupper() and k.lower() in keys)]
            shown = " / ".join(self._key(k) for k in keys)
            # The tooltip says it in full where the footer's word is short (进展, 证号).
            words = binding.tooltip or binding.description
            rows.append((shown, t.maybe(words)))
        rows += [(t.maybe(key), t(action)) for key, action in section.words]
        return rows

    def _key(self, key: str) -> str:
        """A key as printed on the keyboard (Ctrl+S, ?, Esc), not Textual's name for it."""
        *mods, name = key.split("+") if key != "plus" else ["plus"]
        if name in _NAMED:
            name = _NAMED[name]
        elif len(name) > 1:
            name = self.app.get_key_display(Binding(name, "")).capitalize()
        elif mods:
            name = name.upper()  # Ctrl+S, as keyboards and menus print a combination
        return "+".join([*(m.capitalize() for m in mods), name])

    def action_back(self) -> None:
        self.dismiss()
