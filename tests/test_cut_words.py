"""Every screen at 80×24, in Chinese and English, shows whole words.

Each screen is drawn as a village assistant meets it (the demo profile, the keys that open
it) and its rows are searched by `tests.cut_words.Detector`: a visible prefix of a label
or a name running into the edge of a column or of the screen, with no `…`, is a cut word.
Set CUT_WORDS_DUMP to a folder to keep the rows drawn, for reading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.screen import ModalScreen, Screen

from civtui.app import CivtuiApp
from civtui.domain.models import Person, Staff, Village
from civtui.i18n import Translator, said
from civtui.services import people
from civtui.services.drafts import Draft
from civtui.services.keys import open_store
from screens import format as fmt
from screens.assessment_form import AssessmentForm
from screens.child_check_form import ChildCheckForm
from screens.confirm import ConfirmModal, InfoModal
from screens.drafts import DraftModal
from screens.drafts import describe as describe_draft
from screens.lock import LockScreen, ReplacedScreen
from screens.need_form import NeedForm, NeedStatusForm
from screens.person import PersonScreen
from screens.person_form import PersonForm
from screens.record import RecordScreen
from screens.setup import SetupScreen
from screens.visit_form import VisitForm
from sync.protocol import Code, Reason
from sync.words import say
from tests.conftest import TODAY
from tests.cut_words import Detector
from tests.test_snapshots import first_child, first_elder, latest_visit, open_need
from tests.tui_helpers import app_on, demo_profile, steady

Step = Callable[[Pilot[None]], Awaitable[None]]


def rows(app: CivtuiApp) -> list[str]:
    """The terminal's rows as drawn; under a dialog, only the dialog's box (the page around
    it is covered, and its words cut by the box are no cut of the page)."""
    strips = app.screen._compositor.render_strips()
    drawn = [[ch for segment in strip for ch in _cells(segment.text)] for strip in strips]
    if isinstance(app.screen, ModalScreen) and app.screen.children:
        box = app.screen.children[0].region
        drawn = [
            row[box.x : box.right] if box.y <= y < box.bottom else [] for y, row in enumerate(drawn)
        ]
    return ["".join(row) for row in drawn]


def _cells(text: str) -> list[str]:
    """One entry per terminal cell: a wide character, then an empty one for its second cell."""
    cells: list[str] = []
    for ch in text:
        cells += [ch] + [""] * (cell_len(ch) - 1)
    return cells


def push(make: Callable[[CivtuiApp], Screen[Any]]) -> Step:
    async def run(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app, CivtuiApp)
        pilot.app.push_screen(make(pilot.app))

    return run


def keys(*pressed: str) -> Step:
    async def run(pilot: Pilot[None]) -> None:
        await pilot.press(*pressed)

    return run


def action(name: str, *args: Any) -> Step:
    async def run(pilot: Pilot[None]) -> None:
        getattr(pilot.app, name)(*args)

    return run


def most_visited(app: CivtuiApp) -> str:
    """The person with the longest timeline: the page that has most to scroll."""
    from collections import Counter

    from civtui.domain.models import Visit

    return Counter(v.person_id for v in app.store.all(Visit)).most_common(1)[0][0]


def duplicate_question(app: CivtuiApp) -> Screen[Any]:
    """The question a second visit on the same day asks, over the visit form."""
    form = app.screen
    assert isinstance(form, VisitForm)
    visit, _ = latest_visit(app)
    t = app.t
    return ConfirmModal(form.duplicate_question(visit), t("form.save_anyway"), t("form.go_back"))


def draft_modal(app: CivtuiApp) -> Screen[Any]:
    """The offer of a visit left unsaved when the laptop was shut."""
    draft = Draft(1, "visit", {"person_id": first_elder(app).id}, {}, f"{TODAY}T10:00:00")
    return DraftModal(describe_draft(app.store, draft, app.t), draft.saved_at)


def info_modal(app: CivtuiApp) -> Screen[Any]:
    """The box that says where a ledger was written, as an export ends."""
    t = app.t
    what = t("export.visits")
    path = Path("/home/assistant/Documents") / f"{what}-demo-2026-11.xlsx"
    said = t("export.done", what=what, folder=f"{path.parent}/", name=path.name)
    return InfoModal(said + "\n" + t("export.leaves_store"))


SHOWN: dict[str, list[Step]] = {
    "dashboard": [],
    "roster": [keys("r")],
    "person": [push(lambda a: PersonScreen(first_elder(a).id))],
    "child": [push(lambda a: PersonScreen(first_child(a).id))],
    "record": [push(lambda a: RecordScreen(*latest_visit(a)))],
    "record_delete": [push(lambda a: RecordScreen(*latest_visit(a))), keys("d")],
    "visit_form": [push(lambda a: VisitForm(first_elder(a)))],
    "child_check_form": [push(lambda a: ChildCheckForm(first_child(a), None))],
    "need_form": [push(lambda a: NeedForm(first_elder(a)))],
    "need_status_form": [push(lambda a: NeedStatusForm(*open_need(a)))],
    "assessment_form": [push(lambda a: AssessmentForm(first_elder(a)))],
    "person_form": [push(lambda a: PersonForm(None))],
    "help": [keys("f1")],
    "coverage": [action("action_coverage")],
    "eligible": [action("action_eligible")],
    "follow_ups": [keys("f")],
    "pending": [action("action_pending")],
    "export": [action("ask_export", "visits")],
    "conflicts": [action("action_pending"), keys("c")],
    "conflict_dialog": [push(lambda a: PersonScreen(with_conflict(a))), keys("c")],
    "palette": [keys("ctrl+p")],
    # Past the first screenful: what scrolling shows is drawn in the same columns.
    "help_down": [keys("f1"), keys("pagedown", "pagedown")],
    "help_further": [keys("f1"), keys(*["pagedown"] * 4)],
    "help_end": [keys("f1"), keys("ctrl+end")],
    "follow_ups_down": [keys("f"), keys("pagedown", "pagedown")],
    "coverage_down": [action("action_coverage"), keys("pagedown", "pagedown")],
    "person_down": [push(lambda a: PersonScreen(most_visited(a))), keys("pagedown", "pagedown")],
    "follow_up_confirm": [keys("f"), keys("x")],
    "duplicate_visit": [push(lambda a: VisitForm(first_elder(a))), push(duplicate_question)],
    "dirty_form": [push(lambda a: PersonForm(None)), keys(*"Wang"), keys("escape")],
    "draft": [push(draft_modal)],
    "lock_pin": [push(lambda a: LockScreen("pin"))],
    "lock_passphrase": [push(lambda a: LockScreen("passphrase"))],
    "bundle_path": [action("action_pending"), keys("e")],
    "info": [push(info_modal)],
    "setup": [push(lambda a: SetupScreen())],
    "replaced": [push(lambda a: ReplacedScreen(said("owner.replaced").in_(a.lang)))],
}

#: Cuts still drawn, by screen and language: where each is and why it is left. Strict, so
#: the test says so once they are gone.
KNOWN: dict[tuple[str, str], str] = {}


def cases() -> list[Any]:
    return [
        pytest.param(
            name,
            lang,
            id=f"{name}-{lang}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN[name, lang])]
            if (name, lang) in KNOWN
            else [],
        )
        for name in SHOWN
        for lang in ("zh", "en")
    ]


def with_conflict(app: CivtuiApp) -> str:
    """An elder whose note lost to another laptop's: the person page offers `c`."""
    person = next(p for p in app.store.all(Person, order_by="id") if p.age_on(TODAY) >= 75)
    person = person.revise(context={"today": TODAY}, notes="独居，每周电话问候一次")
    app.store.save(person)
    lost = "老人独居，女儿在宁波打工，每月回来一次；腿脚不便，上下楼需要扶"
    app.store.db.execute(
        "INSERT INTO conflicts (id, table_name, record_id, field, kept_value, lost_value, "
        "kept_device, lost_device, lost_hlc) "
        "VALUES (1, 'persons', ?, 'notes', ?, ?, 'laptop-b', 'laptop-a', '0')",
        [person.id, json.dumps(person.notes), json.dumps(lost)],
    )
    return person.id


def shown_data(app: CivtuiApp) -> list[str]:
    """The names a screen may show whole: people (and whom they name), villages, staff."""
    store = app.store
    people = store.all(Person)
    return [
        *(name for p in people for name in (p.name, p.guardian_name, p.emergency_contact_name)),
        *(v.name for v in store.all(Village)),
        *(s.name for s in store.all(Staff)),
    ]


#: Screens whose steps write to the profile: each is drawn in an app of its own, so that no
#: other screen is drawn over what it wrote.
WRITES = frozenset({"conflict_dialog"})


@dataclass
class Drawn:
    """One screen as a tour drew it: its rows and the names it may show whole, or what
    went wrong on the way to it."""

    rows: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    error: BaseException | None = None


#: The screens drawn so far in this process, by language: each case reads its own.
TOURS: dict[str, dict[str, Drawn]] = {}


async def tour(home: Path, lang: str) -> dict[str, Drawn]:
    """Every screen of SHOWN drawn in `lang`, in as few app runs as can be.

    An app started, settled and closed is most of what drawing one screen costs, so one app
    draws them in turn: it takes each screen's steps from the dashboard, as a person does,
    reads the rows, and closes what the steps opened, back to the same dashboard. A screen
    whose steps write to the profile has an app of its own (WRITES); a step that fails is
    that screen's error, and the screens after it are drawn in a new app.
    """
    if lang in TOURS:
        return TOURS[lang]
    drawn: dict[str, Drawn] = {}
    shared = [name for name in SHOWN if name not in WRITES]
    runs = [shared] + [[name] for name in SHOWN if name in WRITES]
    while runs:
        left = runs.pop(0)
        app = app_on(demo_profile(home), lang=lang)
        name = ""
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await steady(pilot)
                home_stack = list(app.screen_stack)
                while left:
                    name = left.pop(0)
                    for step in SHOWN[name]:
                        await step(pilot)
                        await steady(pilot)
                    drawn[name] = Drawn(rows(app), shown_data(app))
                    while len(app.screen_stack) > len(home_stack):
                        app.pop_screen()
                    await steady(pilot)
                    assert app.screen_stack == home_stack, app.screen_stack
        except Exception as error:  # the screen's case says so; the rest are drawn anew
            if not name:  # the app did not start: no screen of this run can be drawn
                drawn.update({name: Drawn(error=error) for name in left})
                continue
            drawn[name] = Drawn(rows=drawn.get(name, Drawn()).rows, error=error)
            if left:
                runs.insert(0, left)
    TOURS[lang] = drawn
    return drawn


@pytest.mark.tui
@pytest.mark.xdist_group("cut_words_tour")  # one tour a language, on one worker
@pytest.mark.parametrize(("name", "lang"), cases())
async def test_no_word_is_cut(home: Path, name: str, lang: str) -> None:
    shown = (await tour(home, lang))[name]
    if shown.error is not None:
        raise shown.error
    if folder := os.environ.get("CUT_WORDS_DUMP"):
        out = Path(folder) / f"{name}-{lang}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(shown.rows) + "\n", encoding="utf-8")
    cuts = Detector(lang, shown.data).cuts(shown.rows)
    assert not cuts, "\n".join(map(str, cuts)) + "\n" + "\n".join(shown.rows)


DATA = ["[/]王=小明", "欧阳娜娜", "海星村"]


@pytest.mark.parametrize(
    ("lang", "row", "cut"),
    [
        ("en", "   Minimum liv  9/17 53%    ▕ Overdue", "Minimum liv"),
        # A word cut with … is as cut as one the edge cut: … says a label was cut, not which.
        ("en", "   Minimum li…  9/17 53%    ▕ Overdue", "Minimum li…"),
        ("en", "▕ Overdue    何轩    5    09-24      Left-behi…     ", "Left-behi…"),
        ("en", "▕                                    Lives…         ", "Lives…"),
        ("en", "   Aged…  17/28 61%    ▕ Overdue", "Aged…"),
        ("en", " Home visit · home Fa… · health Good", "Fa…"),
        ("zh", " 事实无…、", "事实无…"),
        ("zh", "▕ 逾期    何轩    5     09-24     留守…  ", "留守…"),
        ("en", "   Childless a  3/7 43%     ▕", "Childless a"),
        ("en", " v Record visit  r Roster  f Follo▏^p Commands ", "Follo"),
        ("en", " Open every follow-up (the most ove", "Open every follow-up (the most ove"),
        ("en", " A ▼  A ▼  A ▼  120 people", "A"),
        ("en", "   Aged 80+、Empty nest    ", "+、"),
        ("en", " 1 conflicts were resolved on another device", "1 conflicts"),
        ("zh", " 海星村  月探访率  儿童  事实无人抚", "事实无人抚"),
        ("zh", "▕ 2026-10-26  探访  上门 · 居住良好 · 健", "健"),
        ("zh", " v 记录探访  f 待跟进  ^q 退出  f▏^p 命", "命"),
        ("zh", " 全  ▼  全  ▼  在册 ▼  共 120 人", "全"),
        ("zh", " 姓名  欧阳娜", "欧阳娜"),
        ("en", " Name  [/]王=小", "[/]王=小"),
    ],
)
def test_the_detector_finds_the_cuts_issue_29_names(lang: str, row: str, cut: str) -> None:
    found = Detector(lang, DATA).cuts(["", row])
    assert cut in [c.text for c in found], found
    assert all(c.row == 1 for c in found)


@pytest.mark.parametrize(
    ("lang", "row"),
    [
        # … after a label of its own: what is shown is whole.
        ("en", " Counting…"),
        ("zh", " 计算中…"),
        ("en", "   Aged 80+ +2    "),
        ("en", "   Minimum living allowance  9/17 53%"),
        ("en", " Categories  Aged 80+*, Lives alone"),
        ("en", " esc Back  x Follow-up done  z Undo  / Search  ^q Quit  f1 Help"),
        ("en", " 2 conflicts were resolved on another device · 1 conflict was"),
        ("en", " Name  [/]王=小明  欧阳娜娜"),
        ("zh", " 海星村  月探访率  儿童  事实无人抚养儿童  3  1  33%"),
        ("zh", " 高龄、空巢、失能  · 风险高 · 父母均外出 · 在校"),
        ("zh", " 注意：导出的文件不加密，离开了加密档案；请妥善保管，用"),
        ("zh", " 姓名  [/]王=小明  欧阳娜娜  v 探访  f1 帮助"),
    ],
)
def test_the_detector_passes_whole_words_and_an_honest_ellipsis(lang: str, row: str) -> None:
    assert Detector(lang, DATA).cuts([row]) == []


#: English help text as F1 wraps it: "in a" ends a line, its phrase goes on below.
TICK = "Tick or untick a box; in a multi-choice field, pick the item under the cursor"


@pytest.mark.parametrize(
    ("rows", "cuts"),
    [
        # Wrapped at a space, the phrase going on in the same column: no cut of "in all".
        (["   Space  Tick or untick a box; in a", "          multi-choice field, pick"], []),
        (["   Space  Tick or untick a box; in a  ▃▃", "          multi-choice field  "], []),
        # The same words over a line that does not go on with them: cut.
        (["   Space  Tick or untick a box; in a", "          Tekun"], ["in a"]),
        # Below, but in another column: cut.
        (["   Space  Tick or untick a box; in a", "   multi-choice field, pick"], ["in a"]),
        # A column cut over the next row's own words is no wrap: cut.
        (["   Childless a  3/7 43%", "   Tekun        4/6 67%"], ["Childless a"]),
        (["   Minimum liv  9/17 53%", "   ving allowance"], ["Minimum liv"]),
    ],
)
def test_the_detector_tells_a_wrap_at_a_space_from_a_cut(rows: list[str], cuts: list[str]) -> None:
    assert [c.text for c in Detector("en", [TICK]).cuts(rows)] == cuts


def test_one_conflict_is_said_in_the_singular() -> None:
    en = Translator("en")
    one = say(Reason.of(Code.CONFLICTS_CLOSED, count=1), en)
    assert one.startswith("1 conflict was resolved")
    assert say(Reason.of(Code.CONFLICTS_CLOSED, count=2), en).startswith("2 conflicts were")
    assert say(Reason.of(Code.CONFLICTS_MORE, count=1), en) == "1 more conflict"
    assert "1 处冲突" in say(Reason.of(Code.CONFLICTS_CLOSED, count=1), Translator("zh"))


@pytest.mark.parametrize(
    ("labels", "lang", "width", "whole", "lines"),
    [
        # A list breaks between two categories, never inside one.
        (["独居", "孤寡", "失能", "低保"], "zh", 12, False, ["独居、孤寡、", "失能、低保"]),
        # The last label needs no room for a mark after it: "Left-behind" whole in 11 cells.
        (["Aged 80+", "Left-behind"], "en", 11, False, ["Aged 80+,", "Left-behind"]),
        (["高龄", "无人抚养儿童"], "zh", 12, False, ["高龄、", "无人抚养儿童"]),
        # Whole labels (the roster): an English label goes on between its words; only a
        # word, or a Chinese label, wider than the line is clipped, where the cut shows.
        (
            ["Lives alone", "Minimum living allowance"],
            "en",
            16,
            True,
            ["Lives alone,", "Minimum living", "allowance"],
        ),
        (
            ["Extreme poverty support", "Orphan"],
            "en",
            9,
            True,
            ["Extreme", "poverty", "support,", "Orphan"],
        ),
        # Text a person typed is kept as text: markup and = are characters like any other.
        (["[b]王[/b]", "=1+1"], "zh", 20, False, ["[b]王[/b]、=1+1"]),
    ],
)
def test_a_list_wraps_between_its_labels(
    labels: list[str], lang: str, width: int, whole: bool, lines: list[str]
) -> None:
    shown = fmt.fit_list(labels, lang, width, whole=whole)
    assert shown.split("\n") == lines
    assert all(cell_len(line) <= width for line in shown.split("\n"))
    assert Detector(lang, labels).cuts(shown.split("\n")) == []


@pytest.mark.parametrize(
    ("labels", "lang", "width", "whole", "lines", "cut"),
    [
        (
            ["Lives alone", "Minimum living allowance"],
            "en",
            16,
            False,
            ["Lives alone,", "Minimum living…"],
            "Minimum living…",
        ),
        (["Childless and widowed"], "en", 7, True, ["Childl…", "and", "widowed"], "Childl…"),
        (["事实无人抚养儿童", "孤儿"], "zh", 9, True, ["事实无…、", "孤儿"], "事实无…"),
    ],
)
def test_a_label_wider_than_the_line_is_clipped_and_the_clip_is_a_cut(
    labels: list[str], lang: str, width: int, whole: bool, lines: list[str], cut: str
) -> None:
    """What a line cannot hold is clipped where the cut shows; the detector still counts
    it, so a screen that leaves a column this narrow fails its test."""
    shown = fmt.fit_list(labels, lang, width, whole=whole).split("\n")
    assert shown == lines
    assert [found.text for found in Detector(lang, labels).cuts(shown)] == [cut]


def _more(n: int) -> str:
    return f"+{n}"


@pytest.mark.parametrize(
    ("labels", "lang", "width", "lines"),
    [
        # Two lines at most; what does not fit is counted at the end, every label whole.
        (["Aged 80+", "Lives alone"], "en", 12, ["Aged 80+,", "Lives alone"]),
        (["Aged 80+", "Empty nest", "Partly dep."], "en", 13, ["Aged 80+,", "Empty nest +1"]),
        (["Aged 80+", "Empty nest", "Partly dep."], "en", 12, ["Aged 80+ +2"]),
        (["高龄", "空巢", "半失能", "低保", "特困"], "zh", 15, ["高龄、空巢、", "半失能、低保 +1"]),
        (["高龄", "独居"], "zh", 15, ["高龄、独居"]),
        # Typed text is text: a "label" that looks like markup is counted like any other.
        (["[b]x[/b]", "=1+1", "\\e"], "en", 9, ["[b]x[/b],", "=1+1, \\e"]),
        (["[b]x[/b]", "=1+1", "\\e", "[/]"], "en", 9, ["[b]x[/b],", "=1+1 +2"]),
    ],
)
def test_a_list_in_two_lines_counts_what_it_leaves_out(
    labels: list[str], lang: str, width: int, lines: list[str]
) -> None:
    shown = fmt.fit_list(labels, lang, width, most=2, more=_more).split("\n")
    assert shown == lines
    assert all(cell_len(line) <= width for line in shown)
    assert Detector(lang, labels).cuts(shown) == []


@pytest.mark.parametrize(
    ("labels", "lang", "taken", "lines"),
    [
        # Beside a heading: the list starts there, and breaks between categories only.
        (["Aged 80+*", "Lives alone"], "en", 12, ["Aged 80+*,", "Lives alone"]),
        (["Lives alone", "Empty nest"], "en", 12, ["Lives alone,", "Empty nest"]),
        # A first category too wide to sit beside the heading starts the next line, whole.
        (["Minimum living allowance"], "en", 12, ["", "Minimum living allowance"]),
        (
            ["高龄*", "独居", "空巢", "失能", "低保", "特困"],
            "zh",
            6,
            ["高龄*、独居、空巢、失能、", "低保、特困"],
        ),
    ],
)
def test_a_list_beside_a_heading_starts_after_it(
    labels: list[str], lang: str, taken: int, lines: list[str]
) -> None:
    shown = fmt.fit_list(labels, lang, 31, whole=True, taken=taken).split("\n")
    assert shown == lines
    assert cell_len(shown[0]) <= 31 - taken
    assert all(cell_len(line) <= 31 for line in shown)


#: The dashboard's coverage column at 80 columns: what a category's name must fit.
COVERAGE_LABEL_CELLS = 12


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_category_too_long_for_its_column_is_its_short_name_in_whole_words(lang: str) -> None:
    from civtui.domain.choices import Category

    for category in Category:
        full = category.label(lang)
        # Whole where it fits: the short name is only for a narrow column.
        assert fmt.category_label(category, lang, cell_len(full)) == full
        short = fmt.category_label(category, lang, COVERAGE_LABEL_CELLS)
        assert cell_len(short) <= COVERAGE_LABEL_CELLS, short
        assert "…" not in short
        # Each short name says one category: two never read alike.
    shorts = [fmt.category_label(c, lang, 1) for c in Category]
    assert len(set(shorts)) == len(shorts)


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_roster_wraps_many_categories_beside_a_long_name(home: Path, lang: str) -> None:
    """A long name that looks like markup, a formula and an escape, with every adult
    category: the categories wrap between labels inside 80 columns, each one whole."""
    from civtui.domain.choices import CHILD_CATEGORIES, DERIVED_CATEGORIES, Category
    from civtui.services import reads
    from screens.roster import RosterScreen

    app = app_on(demo_profile(home), lang=lang)
    name = "=1+1 [b]x[/b] \\e"
    typed = [c for c in Category if c not in CHILD_CATEGORIES | DERIVED_CATEGORIES]
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        elder = first_elder(app)
        app.store.save(elder.model_copy(update={"name": name, "categories": typed}))
        await pilot.press("r")
        await steady(pilot)
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        await pilot.press(*"=1+1")
        await steady(pilot)
        assert [r.name for r in roster.shown] == [name]
        drawn = rows(app)
        assert all(cell_len(row) <= 80 for row in drawn)
        assert any(name in row for row in drawn), "\n".join(drawn)
        assert Detector(lang, [*shown_data(app), name]).cuts(drawn) == [], "\n".join(drawn)
        # Every category is listed whole, over as many lines as it takes: the rows from the
        # person's to the next person's, right of the village column.
        first = next(i for i, row in enumerate(drawn) if name in row)
        end = next(i for i in range(first + 1, len(drawn)) if drawn[i][:3].strip())
        village = fmt.plain(next(iter(reads.village_names(app.store).values())))
        at = _cells_of(drawn[first]).index(_cells_of(village)) + cell_len(village)
        listed = " ".join(_cells_of(row)[at:].replace("\0", "") for row in drawn[first:end])
        for category in typed:
            assert category.label(lang) in " ".join(listed.split()), listed


def _cells_of(row: str) -> str:
    """`row` from its cells' point of view: a wide character takes two."""
    return "".join(ch + "\0" * (cell_len(ch) - 1) for ch in row)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cli_coverage_report_prints_whole_words_in_80_columns(home: Path, lang: str) -> None:
    """`civtui report coverage` in an 80-column terminal: 事实无人抚养儿童 and 'De facto
    unsupported child' whole (rich cut them to 事实无人抚 …), every row inside 80 columns,
    with a village named like markup and a formula."""
    from click.testing import CliRunner

    from civtui.cli import main
    from civtui.domain.choices import Category

    profile = demo_profile(home)
    store = open_store(profile.db_path)
    try:
        village = store.all(Village)[0]
        store.save(village.model_copy(update={"name": "=1+1[b]村[/b]"}))
        child = next(p for p in store.all(Person, order_by="id") if p.is_child(TODAY))
        unsupported = [Category.DE_FACTO_UNSUPPORTED, Category.CHILD_IN_DISTRESS]
        changed = child.model_copy(update={"categories": unsupported})
        people.save(store, child, changed, TODAY.replace(day=1), TODAY)
        names = [v.name for v in store.all(Village)]
    finally:
        store.close()
    args = ["--lang", lang, "--today", TODAY.isoformat(), "--profile", profile.name]
    result = CliRunner().invoke(
        main, [*args, "report", "coverage"], env={"COLUMNS": "80"}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), result.output
    assert "…" not in result.output
    assert Detector(lang, names).cuts(lines) == [], result.output
    assert any("=1+1[b]村[/b]" in line for line in lines)
    label = Category.DE_FACTO_UNSUPPORTED.label(lang)
    if lang == "zh":
        assert label in result.output
    else:
        # A long English category goes on between its words, each word whole.
        assert all(word in result.output for word in label.split())


@pytest.mark.parametrize(
    ("value", "width", "lines"),
    [
        # A date is one word: never 2 / 026年; 、 never starts a line.
        (
            "可写 2026-11-20、2026/11/20、2026年11月20日",
            16,
            ["可写", "2026-11-20、", "2026/11/20、2026", "年11月20日"],
        ),
        # Chinese breaks between any two characters, but （ stays with what it opens.
        ("每项按数字键选（1 为最高分）", 12, ["每项按数字键", "选（1 为最高", "分）"]),
        ("Open every follow-up (the first)", 14, ["Open every", "follow-up (the", "first)"]),
        # Typed text stays text; only a word wider than the line is cut.
        ("=1+1 [b]x[/b] \\e", 8, ["=1+1", "[b]x[/b]", "\\e"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
    ],
)
def test_wrap_breaks_where_a_reader_does(value: str, width: int, lines: list[str]) -> None:
    assert fmt.wrap(value, width) == lines
    assert all(cell_len(line) <= width for line in fmt.wrap(value, width))


#: A name that looks like markup, a formula and an escape: what a long typed name does to
#: the work list's columns.
HOSTILE = "=1+1 [/]王\\e"


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_work_list_shows_whole_categories_in_two_lines_at_most(
    home: Path, lang: str
) -> None:
    """At 80×24 a row of the work list takes two lines at most, its categories' names whole
    (Left-behind, Lives alone, never Left-behi… or Lives…), and what does not fit counted
    (+N); a long typed name gives way to them rather than squeezing them into cuts."""
    from civtui.domain.choices import CHILD_CATEGORIES, Category
    from screens.panels import CATEGORY_LINES, WorkListPanel
    from tests.tui_helpers import counted

    app = app_on(demo_profile(home), lang=lang)
    typed = [c for c in Category if c not in CHILD_CATEGORIES]
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        panel = app.screen.query_one(WorkListPanel)
        work = panel.query_one("#worklist")
        elder = next(
            p
            for item in panel.work
            if (p := app.store.get(Person, item.person_id)) and p.age_on(TODAY) >= 80
        )
        app.store.save(elder.model_copy(update={"name": HOSTILE, "categories": typed}))
        panel.reload()
        await counted(pilot)
        drawn = rows(app)
        assert all(cell_len(row) <= 80 for row in drawn)
        assert Detector(lang, [*shown_data(app), HOSTILE]).cuts(drawn) == [], "\n".join(drawn)
        from textual.widgets import DataTable

        assert isinstance(work, DataTable)
        heights = [row.height for row in work.rows.values()]
        assert max(heights) <= CATEGORY_LINES, heights
        # The person with every category: two lines, the rest counted; its name whole.
        at = next(i for i, row in enumerate(drawn) if "=1+1" in row)
        shown = " ".join(drawn[at : at + CATEGORY_LINES])
        assert "[/]王\\e" in shown, "\n".join(drawn)
        more = [word for word in shown.split() if word.startswith("+") and word[1:].isdigit()]
        assert more, shown
        listed = [c for c in typed if fmt.category_label(c, lang, 0) in shown]
        assert listed and len(listed) + int(more[0][1:]) == len(typed), shown


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_person_page_keeps_each_category_on_one_line(home: Path, lang: str) -> None:
    """The profile lists every category by its full name, each one whole on a line
    ("Lives alone", never Lives / alone; 事实无人抚养儿童 never broken inside)."""
    from civtui.domain.choices import CHILD_CATEGORIES, DERIVED_CATEGORIES, Category

    app = app_on(demo_profile(home), lang=lang)
    typed = [c for c in Category if c not in CHILD_CATEGORIES | DERIVED_CATEGORIES]
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        elder = first_elder(app)
        app.store.save(elder.model_copy(update={"name": HOSTILE, "categories": typed}))
        app.push_screen(PersonScreen(elder.id))
        await steady(pilot)
        # The profile's column, as drawn.
        lines = [_cells_of(row)[:36].replace("\0", "") for row in rows(app)]
        for category in typed:
            label = category.label(lang)
            assert any(label in line for line in lines), (label, "\n".join(lines))
        assert Detector(lang, [HOSTILE]).cuts(rows(app)) == [], "\n".join(rows(app))


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_history_line_keeps_old_and_new_together(home: Path, lang: str) -> None:
    """Corrections whose old value ends anywhere along the line: "old → new" is never
    broken, and no line starts with →."""
    from civtui.domain.models import Visit
    from civtui.services import records

    app = app_on(demo_profile(home), lang=lang)
    # 80 columns, and rows enough to draw the whole history on the screen.
    async with app.run_test(size=(80, 200)) as pilot:
        await steady(pilot)
        visit, person = latest_visit(app)
        pairs = []
        for length in range(1, 41):
            old, new = f"[/]={'x' * length}", f"=\\e{length}"
            before = app.store.get(Visit, visit.id)
            assert before is not None
            records.save(app.store, [records.correct(app.store, before, {"notes": old}, TODAY)])
            before = app.store.get(Visit, visit.id)
            assert before is not None
            records.save(app.store, [records.correct(app.store, before, {"notes": new}, TODAY)])
            pairs.append(f"{old} → {new}")
        stored = app.store.get(Visit, visit.id)
        assert stored is not None
        app.push_screen(RecordScreen(stored, person))
        await steady(pilot)
        lines = [row.strip() for row in rows(app)]
        assert not [line for line in lines if line.startswith("→")], "\n".join(lines)
        for pair in pairs:
            assert any(pair in line for line in lines), (pair, "\n".join(lines))


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_coverage_names_stay_whole_beside_wide_figures(home: Path, lang: str) -> None:
    """A village of a few hundred people has figures like 174/282 62%: the categories give
    up their indent before their words (Left-behind, Lives alone, never Left-behi…)."""
    from dataclasses import replace

    from textual.widgets import DataTable

    from civtui.domain.policy import Tally
    from screens.panels import CoveragePanel

    def wider(tally: Tally) -> Tally:
        return Tally(required=tally.required * 3, contacted=tally.contacted * 3)

    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        panel = app.screen.query_one(CoveragePanel)
        wide = {
            frequency: replace(
                report,
                groups={group: wider(tally) for group, tally in report.groups.items()},
                by_category={key: wider(tally) for key, tally in report.by_category.items()},
            )
            for frequency, report in panel.rates.items()
        }
        panel.show(wide)
        await pilot.pause()
        drawn = rows(app)
        assert any("174/282" in row for row in drawn), "\n".join(drawn)
        assert Detector(lang, shown_data(app)).cuts(drawn) == [], "\n".join(drawn)
        # Every category's row, those scrolled out of sight too: its short name, whole.
        table = panel.query_one(DataTable)
        cells = [str(table.get_row_at(i)[0]).strip() for i in range(table.row_count)]
        for (_, category), tally in next(iter(wide.values())).by_category.items():
            if tally.required:
                assert fmt.category_label(category, lang, 0) in cells, cells


def _chinese_marks_by_english(line: str) -> list[str]:
    """Chinese punctuation standing against an English word: 'follow-up：', 'Name、Notes'."""
    from tests.cut_words import ZH_PUNCT_BY_ASCII

    return ZH_PUNCT_BY_ASCII.findall(line)


def test_an_english_list_of_values_is_joined_with_a_comma() -> None:
    from civtui.domain.choices import Category
    from screens.values import shown

    listed = [Category.ADVANCED_AGE, Category.LIVING_ALONE]
    assert shown(listed, Translator("en")) == "Aged 80+, Lives alone"
    assert shown(listed, Translator("zh")) == "高龄、独居"
    assert shown(["[/]王=小明", "=1+1"], Translator("en")) == "[/]王=小明, =1+1"


@pytest.mark.tui
async def test_english_lines_of_english_words_carry_no_chinese_punctuation(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follow-up question, the changes waiting to be sent and an empty follow-up list,
    in English: 'Visit follow-up: …', 'Phone, Notes', 'Follow-ups: None'."""
    from textual.widgets import DataTable, Static

    from civtui.services import reads
    from screens.panels import FollowUpPanel

    app = app_on(demo_profile(home), lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        await pilot.press("f", "x")
        await steady(pilot)
        question = " ".join(" ".join(rows(app)).split())
        assert "Visit follow-up: " in question, question
        assert not _chinese_marks_by_english(question), question
        await pilot.press("n", "escape")
        await steady(pilot)

        elder = first_elder(app)
        app.store.save(
            elder.revise(context={"today": TODAY}, phone="13800000000", notes="[/]=1+1 \\e")
        )
        app.action_pending()
        await steady(pilot)
        table = app.screen.query_one("#changes", DataTable)
        fields = str(table.get_row_at(0)[4])
        assert fields == "Phone, Notes", fields
        await pilot.press("escape")
        await steady(pilot)

        monkeypatch.setattr(reads, "follow_up_head", lambda *args, **kwargs: ([], 0))
        panel = app.screen.query_one(FollowUpPanel)
        panel.reload()
        await pilot.pause()
        title = str(panel.query_one("#followups-title", Static).render())
        assert title == "Follow-ups: None", title


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_work_list_row_of_three_categories_shows_two_and_counts_one(
    home: Path, lang: str
) -> None:
    """Aged 80+, Empty nest and Dibao at 80 columns: "Aged 80+," then "Empty nest +1" (the
    column holds a label and its count), never "Aged 80+ +2" while two would fit."""
    from civtui.domain.choices import Category
    from screens.panels import CATEGORY_LINES, WorkListPanel
    from tests.tui_helpers import counted

    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        panel = app.screen.query_one(WorkListPanel)
        elder = next(
            p
            for item in panel.work
            if (p := app.store.get(Person, item.person_id)) and p.age_on(TODAY) >= 80
        )
        # The demo's own short name: a long one takes the last contact's room itself.
        name = elder.name
        three = [Category.EMPTY_NEST, Category.DIBAO]
        app.store.save(elder.model_copy(update={"categories": three}))
        panel.reload()
        await counted(pilot)
        drawn = rows(app)
        at = next(i for i, row in enumerate(drawn) if name in row)
        shown = " ".join(drawn[at : at + CATEGORY_LINES])
        aged = fmt.category_label(Category.ADVANCED_AGE, lang, 0)
        nest = fmt.category_label(Category.EMPTY_NEST, lang, 0)
        assert aged in shown and nest in shown, "\n".join(drawn)
        assert Detector(lang, [*shown_data(app), name]).cuts(drawn) == [], "\n".join(drawn)
