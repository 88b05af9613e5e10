"""The Textual application: one factory builds it for the CLI and for the tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.console import RenderableType
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import Notification, Notify, SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from civtui.domain.clock import SYSTEM_CLOCK, Clock
from civtui.i18n import LANGS, Translator
from civtui.services import ownership
from civtui.services.profile import (
    Profile,
    export_folder,
    load_settings,
    remember_export,
    save_settings,
)
from civtui.services.reader import Reader
from db.connection import create_private
from screens import format as fmt
from screens.base import CivScreen
from screens.confirm import ConfirmModal, InfoModal
from screens.host import Host, Link
from screens.messages import SyncStateChanged
from screens.textual_compat import localize_bindings, share_parsed_css

if TYPE_CHECKING:
    from textual.command import Provider

    from db import Store

#: Seconds between two notices of how far an export has written its ledger.
EXPORT_PROGRESS_S = 2.0
#: Each ledger's i18n key stem (export.visits, cmd.export_visits, ...), by `civtui export` name.
_LEDGER_KEYS = {"visits": "visits", "child-checks": "checks", "needs": "needs"}

#: How often the app looks for the server while it is open.
AUTO_SYNC_SECONDS = 300
#: How long the app may take to close once its terminal has gone, before it is ended.
EXIT_GRACE_SECONDS = 5.0


#: What opening a profile imports (the store, sqlite-utils, pydantic's models, the keys, the
#: dashboard and the lock): loaded after the first frame, off the screen's thread.
STORE_MODULES = (
    "civtui.services.keys",
    "db.store",
    "civtui.domain.models",
    "civtui.guard",
    "civtui.watch",
    "screens.dashboard",
    "screens.lock",
)


def palette_commands() -> type[Provider]:
    """The palette's commands, found by pinyin too; loaded when the palette first opens."""
    from screens.palette import PinyinCommands

    return PinyinCommands


def _login_print(url: str | None, token: str | None) -> int:
    """A server and token told apart from another pair without keeping the token itself."""
    return hash((url, token))


def open_store(path: Path, clock: Clock = SYSTEM_CLOCK) -> Store:
    """The profile's store, its key found (or made for a new one): `keys.open_store`."""
    from civtui.services.keys import open_store as open_keyed

    return open_keyed(path, clock)


#: How many times this process has frozen what it imported: twice at most (`civtui`, then
#: the first app's store modules), so that a process that makes app after app (the tests)
#: does not freeze each one's screens out of collection.
_kept_out = 0


def keep_out_of_collections() -> None:
    """Leave what is alive now out of the cyclic garbage collector's full collections.

    Called where a process has just imported what it runs on (`civtui` before the app
    starts, and the app once the store's modules are in): nearly every object alive then is
    a module, a class, a function or a constant that lives as long as the process. A full
    collection walks every object the collector tracks, so at start-up each one walked the
    whole of Textual, pydantic and the store's modules again: 70–90 ms of CPU of a settled
    start at 50,000 people, and the same in every full collection after it. Objects kept
    out are still freed when nothing refers to them; only a reference cycle among them is
    never collected, which for what is alive at those moments (the app and its opening
    screen) is a few kB once. Twice per process at most: in a process that makes many apps
    (the tests) each app's cycles would otherwise stay.
    """
    global _kept_out
    if _kept_out >= 2:
        return
    _kept_out += 1
    gc.freeze()


class HeldNotice(NamedTuple):
    """A toast kept back while the lock screen is up, with everything it was sent with:
    one sent as plain text (`markup=False`, a person's name, a server's words) stays so."""

    message: str
    title: str
    severity: SeverityLevel
    timeout: float | None
    markup: bool


class CivtuiApp(App[None]):
    """civtui's terminal app: the shell that opens the store and hosts the screens (`screens.host.Host`)."""

    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {palette_commands}
    BINDINGS = [
        # Keys that mean the same on every page: none is one a text field uses (Ctrl+U
        # clears an input, Ctrl+D deletes a character, `?` is typed), or it would act only
        # where no field has focus (tests/test_keys.py walks them against Input and TextArea).
        Binding("f1", "help", "nav.help", id="app.help", tooltip="cmd.help"),
        Binding("ctrl+o", "dashboard", "nav.dashboard", id="app.dashboard", show=False),
        Binding("ctrl+r", "roster", "nav.roster", id="app.roster", show=False),
        Binding("ctrl+t", "pending", "nav.pending", id="app.pending", show=False),
        # Not in the footer: at 80 columns a page's own keys need the room (F1 lists it).
        Binding("ctrl+q", "quit", "nav.quit", id="app.quit", priority=True, show=False),
        Binding(
            "ctrl+p",
            "command_palette",
            "nav.palette",
            id="app.palette",
            priority=True,
            tooltip="help.palette",
            show=False,
        ),
    ]

    def __init__(self, profile: Profile, lang: str = "zh", clock: Clock = SYSTEM_CLOCK) -> None:
        share_parsed_css()
        super().__init__()
        self.profile = profile
        self.clock = clock
        self.t = Translator(lang)
        self._store: Store | None = None
        self._reader: Reader | None = None
        #: The open file's (device, inode): another one under the same name means it was
        #: replaced (a restore from elsewhere), and this window must stop writing.
        self._file_id: tuple[int, int] | None = None
        #: Held while the app is open: restore, encrypt, key import and a second app refuse.
        self.owner = ownership.ProfileLock(profile.db_path, "app")
        #: Toasts held back while the lock screen is up, shown once it is unlocked.
        self.held_notices: list[HeldNotice] = []
        self._staff_name: str | None = None
        #: What the status bar says of the server: unknown until the first try.
        self.link: Link = "unknown"
        #: The login the last sync found (`_login_print`): a new one ends "signed_out".
        self._login_tried: int | None = None
        self.sync_activity: str | None = None
        #: Follow-ups marked done while the app is open, newest last: what undo reopens.
        self.follow_ups_done: list[tuple[str, str]] = []
        #: Held while past months are closed: at start-up and before a sync, in two workers.
        self._month_lock = threading.Lock()
        #: Set at start-up with auto sync on: the first sync closes the months that have ended.
        self._close_after_first_sync = False
        #: Set once the app has let its store go: a callback queued before must not use it.
        self._unmounted = False
        #: The error that is closing the app, for the crash report.
        self._crashed_with: Exception | None = None
        self.title = self.t("app.title")
        localize_bindings(self, self.t)
        self.set_keymap(load_settings().keymap)

    # -- shared services ------------------------------------------------------

    @property
    def store(self) -> Store:
        """The profile's store, opened on first use on the UI thread."""
        if self._store is None:
            self._store = open_store(self.profile.db_path, self.clock)
            self._file_id = _file_id(self.profile.db_path)
        elif self._file_id is not None and _file_id(self.profile.db_path) != self._file_id:
            self.file_replaced()
        return self._store

    @property
    def reader(self) -> Reader:
        """The dashboard's counting connection, opened on its own thread on first use."""
        if self._reader is None:
            self._reader = Reader(self.profile.db_path, self.clock)
        return self._reader

    def file_replaced(self) -> None:
        """The profile's file is another one now: stop writing to the old, and say so."""
        from civtui.i18n import said
        from screens.lock import ReplacedScreen

        if self._file_id is None or self._store is None:
            return
        self._file_id = None
        # Reads may go on (the screens under the notice redraw); a write fails at once.
        self._store.db.execute("PRAGMA query_only = ON")
        self.guard.replaced = True
        self.push_screen(ReplacedScreen(said("owner.replaced").in_(self.lang)))

    @property
    def staff_name(self) -> str:
        """Who is using this laptop's profile; recorded as visitor, checker, assessor."""
        if self._staff_name is None:
            from civtui.domain.models import Staff

            staff_id = self.store.get_meta("staff_id")
            staff = self.store.get(Staff, staff_id) if staff_id else None
            self._staff_name = staff.name if staff else ""
        return self._staff_name

    @property
    def today(self) -> dt.date:
        return self.clock.today()

    @property
    def lang(self) -> str:
        return self.t.lang

    def on_mount(self) -> None:
        try:
            # Before anything is drawn: a second app on the same profile shows no frame.
            self.owner.acquire()
        except ownership.ProfileBusyError as exc:
            from civtui.domain.errors import text

            self.exit(return_code=1, message=text(exc, self.lang))
            return
        settings = load_settings()
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._watch_for_hangup()
        if all(name in sys.modules for name in STORE_MODULES):
            self._open_profile()
            return
        # The first frame says the profile is opening, and shows nothing of it: importing
        # what opens it (the store, pydantic's models, the keys: most of start-up) runs
        # after that frame, and the lock, if any, is up before the profile's first figure.
        from screens.opening import OpeningScreen

        self.push_screen(OpeningScreen(self.t("app.opening")))
        self.call_after_refresh(self._load_store_modules)

    @work(thread=True, group="start")
    def _load_store_modules(self) -> None:
        for name in STORE_MODULES:
            importlib.import_module(name)
        keep_out_of_collections()
        from civtui.services import keys

        if self.profile.exists():
            try:
                # The key from the keyring (a passphrase was asked before the app started).
                keys.unlock(self.profile.db_path)
            except keys.KeyUnavailableError as exc:
                self.call_from_thread(self._cannot_open, exc)
                return
        self.call_from_thread(self._open_profile)

    def _cannot_open(self, error: Exception) -> None:
        """The profile's key cannot be had: say why, as `civtui` says it, and close."""
        from civtui.domain.errors import text

        self.exit(return_code=1, message=text(error, self.lang))

    def _open_profile(self) -> None:
        """The profile's screens, under its lock; the month close, drafts and sync after."""
        from civtui.guard import Guard
        from civtui.watch import StoreWatch
        from screens.opening import OpeningScreen

        if self._unmounted:
            return
        self.guard = Guard(self)
        self.store_watch = StoreWatch(self)  # another process's writes (a CLI sync) are shown
        if isinstance(self.screen, OpeningScreen):
            self.pop_screen()
        self._show_home()
        auto_sync = load_settings().auto_sync
        if self.profile.exists():
            # A restart shows nothing before the PIN: the lock is up before the first frame
            # that holds anything of the profile.
            self.guard.lock_at_start()
            if auto_sync:
                # The first sync closes the months that have ended after its pull, under the
                # policy the township set meanwhile; only if it cannot are they closed here.
                self._close_after_first_sync = True
            else:
                self.call_after_refresh(self._close_if_ended)
            self.call_after_refresh(self.offer_drafts)
        if auto_sync:
            # "When a connection appears": look for the server now and then, sync when it answers.
            self.set_interval(AUTO_SYNC_SECONDS, self.auto_sync)
            self.call_after_refresh(self.auto_sync)

    # -- the app lock (screens/lock.py): input keeps it open; while locked nothing runs ----

    async def on_event(self, event: events.Event) -> None:
        if (
            isinstance(event, events.InputEvent)
            and not event.is_forwarded
            and hasattr(self, "guard")
        ):
            self.guard.touched()
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not hasattr(self, "guard"):
            # Still opening (the first frame): no page may open before the store and the lock.
            return action == "quit"
        if not self.guard.allows(action):
            return False
        return super().check_action(action, parameters)

    # -- closing months (月报) -----------------------------------------------------

    def _close_if_ended(self) -> None:
        """After the first frame: if a month has ended unclosed, close it in a worker (its
        figures take a while to work out); asking costs two small queries."""
        from civtui.services import reports

        if reports.months_to_close(self.store, self.today):
            self.close_past_months()

    @work(thread=True, group="close", exit_on_error=False)
    def close_past_months(self) -> None:
        """Close every month that has ended (its 月报), on the worker's own connection."""
        store = open_store(self.profile.db_path, self.clock)
        try:
            self._close_months(store)
        finally:
            store.close()

    def _close_months(self, store: Store) -> None:
        from civtui.services import syncing

        syncing.close_months(store, self.today, self._month_lock)

    # -- sync ---------------------------------------------------------------------

    def auto_sync(self) -> None:
        if self.profile.exists() and load_settings().auto_sync:
            self.run_sync(automatic=True)

    def action_sync(self) -> None:
        if self.profile.exists():
            self.run_sync(automatic=False)

    # One sync at a time; a failure is shown, never allowed to close the app.
    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def run_sync(self, automatic: bool) -> None:
        """Push and pull in a worker thread, on its own connection to the profile's file;
        the first one after start-up closes the ended months, here if it could not sync."""
        closed = False
        try:
            closed = self._sync(automatic)
        finally:
            if self._close_after_first_sync:
                self._close_after_first_sync = False
                if not closed:
                    self.call_from_thread(self._close_if_ended)

    def _sync(self, automatic: bool) -> bool:
        """Sync once; whether it did (and so closed the months that have ended)."""
        # Imported here, off the start-up path: the HTTP stack is not needed to open the app.
        from civtui.services import credentials, syncing
        from sync import words
        from sync.client import (
            Connection,
            DeviceTakenError,
            OfflineError,
            ServerFailingError,
            SyncError,
            TokenRefusedError,
            summary,
        )

        store = open_store(self.profile.db_path, self.clock)
        try:
            url, token = credentials.target(self.profile.name, store)
            self._login_tried = _login_print(url, token)
            if url is None or token is None:
                self.call_from_thread(self._sync_state, "signed_out", None)
                if not automatic:
                    self.call_from_thread(
                        self.notify, self.t("sync.not_logged_in"), severity="warning", timeout=10
                    )
                return False
            conn = Connection(url, token, attempts=1 if automatic else 4)
            try:
                if automatic:
                    conn.health()
                self.call_from_thread(self._sync_state, "online", self.t("sync.running"))
                # Pull, then close the months that have ended (月报), then push them.
                report = syncing.sync_and_close(
                    store, conn, self.today, self._sync_progress, self._month_lock
                )
            finally:
                conn.close()
        except SyncError as exc:
            link: Link = "online"
            if isinstance(exc, OfflineError):
                link = "offline"
            elif isinstance(exc, TokenRefusedError | DeviceTakenError):
                link = "signed_out"
            self.call_from_thread(self._sync_state, link, None)
            if not automatic or not isinstance(exc, OfflineError):
                # Offline is said plainly: the transport's exception class (ConnectError)
                # means nothing to the person at the keyboard.
                offline = isinstance(exc, OfflineError) and not isinstance(exc, ServerFailingError)
                said = self.t("sync.offline_toast") if offline else words.say(exc.reason, self.t)
                self.call_from_thread(self.notify, said, severity="error", timeout=15)
            return False
        finally:
            store.close()
        if report.new_device_id:
            self.call_from_thread(self._reopen_store)
        self.call_from_thread(self._sync_state, "online", None)
        # A conflict is named in the summary on both laptops; it wants someone's choice.
        notable = report.rejected or report.warnings or report.found
        severity = "warning" if notable else "information"
        said = words.say_all(summary(report), self.t)
        self.call_from_thread(self.notify, said, severity=severity, timeout=10)
        return True

    def look_for_login(self) -> None:
        """While the status bar says 未登录, see whether a login has appeared since the last
        sync tried (`civtui login` in another terminal): the watch asks after another
        process wrote the profile, as a login does."""
        if self.link == "signed_out" and self.profile.exists():
            self._look_for_login()

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _look_for_login(self) -> None:
        # Off the screen's thread: a keyring may wait on its desktop service.
        from civtui.services import credentials

        store = open_store(self.profile.db_path, self.clock)
        try:
            url, token = credentials.target(self.profile.name, store)
        finally:
            store.close()
        if url and token and _login_print(url, token) != self._login_tried:
            self.call_from_thread(self._logged_in)

    def _logged_in(self) -> None:
        if self.link != "signed_out":
            return  # a sync has said more since
        # Not yet tried: the status bar says so, and with auto sync on the app tries now.
        self._sync_state("unknown", None)
        self.auto_sync()

    def _sync_progress(self, stage: str, done: int, total: int) -> None:
        text = self.t(f"sync.{stage}", done=done, total=total)
        self.call_from_thread(self._sync_state, "online", text)

    def _reopen_store(self) -> None:
        """Open the profile again: sync gave it a new device id, which new changes must carry."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def _sync_state(self, link: Link, activity: str | None) -> None:
        """Record what the status bar should say and let every screen show fresh figures."""
        self.link = link
        self.sync_activity = activity
        self.refresh_screens()

    def refresh_screens(self) -> None:
        """Let every screen on the stack show fresh figures."""
        for screen in self.screen_stack:
            screen.post_message(SyncStateChanged())

    def action_toggle_auto_sync(self) -> None:
        settings = load_settings()
        save_settings(settings.model_copy(update={"auto_sync": not settings.auto_sync}))
        key = "sync.auto_off" if settings.auto_sync else "sync.auto_on"
        self.notify(self.t(key))

    def _show_home(self) -> None:
        """The dashboard, or the setup screen while there is no profile."""
        if self.profile.exists():
            from screens.dashboard import DashboardScreen

            self.push_screen(DashboardScreen())
        else:
            from screens.setup import SetupScreen

            self.push_screen(SetupScreen())

    def _remember_theme(self, theme: Theme) -> None:
        settings = load_settings()
        if settings.theme != theme.name:
            save_settings(settings.model_copy(update={"theme": theme.name}))

    def on_unmount(self) -> None:
        self._unmounted = True
        self._stop_watching_for_hangup()
        if self._reader is not None:
            self._reader.close()  # before the profile is let go: no reads after that
        if self._store is not None:
            self._store.close()
        self.owner.release()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice, from every screen and worker, as text: a notice carries names,
        paths and a server's words, so it is never read as markup, whatever `markup` says."""
        # Nothing draws over the lock screen: a sync's or a backup's toast may name a person.
        if self._locked():
            self.held_notices.append(HeldNotice(message, title, severity, timeout, markup))
            return
        super().notify(
            fmt.plain(message, lines=True),
            title=fmt.plain(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _on_notify(self, event: Notify) -> None:
        # notify() only posts a message: one sent just before the lock arrives after it.
        if self._locked():
            self.hold(event.notification)
            return
        super()._on_notify(event)

    def _locked(self) -> bool:
        return hasattr(self, "guard") and self.guard.locked

    def hold(self, notification: Notification) -> None:
        """Keep `notification` back until the lock is gone."""
        n = notification
        self.held_notices.append(HeldNotice(n.message, n.title, n.severity, n.timeout, n.markup))

    def hold_shown_notices(self) -> None:
        """Take the toasts on screen off it, to be shown again once unlocked: Textual draws
        the current notifications on every screen pushed, the lock screen too."""
        for notification in list(self._notifications):
            self.hold(notification)
        self.clear_notifications()

    def show_held_notices(self) -> None:
        held, self.held_notices = self.held_notices, []
        for notice in held:
            self.notify(
                notice.message,
                title=notice.title,
                severity=notice.severity,
                timeout=notice.timeout,
                markup=notice.markup,
            )

    # -- the terminal going away: drafts ----------------------------------------------

    def _watch_for_hangup(self) -> None:
        # Only with a real terminal: a headless test app must not take its process's signals.
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for sig in hangup_signals():
            loop.add_signal_handler(sig, self._terminal_gone)

    def _stop_watching_for_hangup(self) -> None:
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for sig in hangup_signals():
            loop.remove_signal_handler(sig)

    def keep_drafts(self) -> int:
        """Keep every open form's unsaved input as a draft in the profile; how many were kept.

        For when there is no one to ask: the terminal went away, or the app is failing."""
        if not self.profile.exists():
            return 0
        kept = 0
        for screen in self.screen_stack:
            if isinstance(screen, CivScreen):
                try:
                    kept += screen.keep_draft()
                except Exception:
                    continue
        return kept

    def _terminal_gone(self) -> None:
        self.keep_drafts()
        # The drafts are committed; the rest is tidying up. Textual's shutdown writes to the
        # terminal, and on one that has hung up it can wait forever (seen: every thread in a
        # futex wait after the pty's other end closed): a process left like that would hold
        # the profile open, so it is ended if it has not ended by itself.
        self._end_soon(1)
        self.exit(return_code=1)

    def panic(self, *renderables: RenderableType) -> None:
        # Textual panics when the terminal's input ends under it (EIO once the terminal is
        # gone) or on an error nobody caught: keep what was typed before it shuts the app.
        self.keep_drafts()
        self._end_soon(1)
        super().panic(*renderables)

    # -- an error nobody caught ---------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        # Kept for `_fatal_error`, which Textual calls with no argument.
        self._crashed_with = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's crash report (`App._fatal_error`, checked against Textual 8.2.8) prints
        every frame's local variables, a record with its ID number among them, and has no
        setting to stop it. civtui's says what happened, that typed input was kept, and
        where the traceback went: a 0600 file without locals (`civtui.services.crash`)."""
        from civtui.services import crash

        error = self._crashed_with
        kept = self.keep_drafts()
        self._end_soon(1)
        try:
            where: object = crash.record(error) if error is not None else "—"
        except OSError as exc:
            where = f"({type(exc).__name__})"
        said = self.t("crash.message", error=type(error).__name__, path=where, drafts=kept)
        self.bell()
        super().panic(fmt.text(said, lines=True))  # drafts kept above, not twice

    def _end_soon(self, code: int) -> None:
        if self.is_headless:  # a test's app: its process is the test run
            return
        timer = threading.Timer(EXIT_GRACE_SECONDS, os._exit, args=(code,))
        timer.daemon = True
        timer.start()

    def offer_drafts(self) -> None:
        """At start: offer back the newest input kept when the terminal last went away."""
        from db import drafts

        if self._unmounted:
            # Asked for after the first frame; an app closed that fast has let its store go.
            return
        if self.guard.locked:
            self.set_timer(0.5, self.offer_drafts)
            return
        waiting = drafts.waiting(self.store)
        if not waiting:
            return
        # The forms a draft reopens load only when there is one to offer.
        from screens.drafts import DISCARD, RESUME, DraftModal, describe, reopen

        draft = waiting[0]

        def answered(answer: str | None) -> None:
            if answer == RESUME:
                form = reopen(self.store, draft)
                if form is None:
                    drafts.discard(self.store, draft.id)
                    self.notify(self.t("draft.gone"), severity="warning")
                    self.offer_drafts()
                    return
                self.push_screen(form)
            elif answer == DISCARD:
                drafts.discard(self.store, draft.id)
                self.notify(self.t("draft.discarded"))
                self.offer_drafts()

        self.push_screen(DraftModal(describe(self.store, draft, self.t), draft.saved_at), answered)

    # -- navigation -----------------------------------------------------------

    def _unsaved(self, screens: Iterable[Screen[object]]) -> bool:
        return any(isinstance(s, CivScreen) and s.unsaved_input() for s in screens)

    def _ask_then(self, question: str, yes: str, then: Callable[[], object]) -> None:
        """Run `then` once the user agrees to lose what they typed."""

        def answered(agreed: bool | None) -> None:
            if agreed:
                then()

        self.push_screen(ConfirmModal(question, yes, self.t("form.discard_no")), answered)

    async def action_quit(self) -> None:
        """Quit, asking first when a form holds unsaved input (Ctrl+Q, the palette's 退出)."""
        if isinstance(self.screen, ConfirmModal):
            return
        if self._unsaved(self.screen_stack):
            self._ask_then(self.t("quit.unsaved"), self.t("quit.yes"), self.exit)
            return
        self.exit()

    def _go(self, screen_type: type[Screen[None]]) -> None:
        """Show `screen_type`, reusing it if it is already on the stack; a form with unsaved
        input that would be closed on the way asks first."""
        for index, screen in enumerate(self.screen_stack):
            if isinstance(screen, screen_type):
                above = self.screen_stack[index + 1 :]
                if not above:
                    return

                def pop(keep: int = index + 1) -> None:
                    while len(self.screen_stack) > keep:
                        self.pop_screen()

                if self._unsaved(above):
                    self._ask_then(self.t("leave.unsaved"), self.t("leave.yes"), pop)
                else:
                    pop()
                return
        self.push_screen(screen_type())

    def action_dashboard(self) -> None:
        from screens.dashboard import DashboardScreen

        if self.profile.exists():
            self._go(DashboardScreen)

    def action_roster(self) -> None:
        from screens.roster import RosterScreen

        if self.profile.exists():
            self._go(RosterScreen)

    def action_pending(self) -> None:
        from screens.pending import PendingScreen

        if self.profile.exists():
            self._go(PendingScreen)

    def action_follow_ups(self) -> None:
        from screens.followups import FollowUpScreen

        if self.profile.exists():
            self._go(FollowUpScreen)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_switch_language(self) -> None:
        if self._unsaved(self.screen_stack):
            t = self.t
            self._ask_then(t("leave.unsaved"), t("leave.yes"), self._switch_language)
            return
        self._switch_language()

    def _switch_language(self) -> None:
        lang = "en" if self.lang == "zh" else "zh"
        self.t = Translator(lang)
        localize_bindings(self, self.t)
        settings = load_settings()
        save_settings(settings.model_copy(update={"lang": lang}))
        self.title = self.t("app.title")
        # Screens build their labels once, from the translator: start afresh on the dashboard.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._show_home()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        t = self.t
        for command in super().get_system_commands(screen):
            yield command._replace(title=t.textual(command.title), help=t.textual(command.help))
        yield from self._own_commands(t)

    def command_names(self, screen: Screen[object]) -> dict[str, tuple[str, ...]]:
        """Each palette command's title as shown now, with its titles in every UI language:
        what the palette matches typing against (screens/palette.py)."""
        t = self.t
        names: dict[str, tuple[str, ...]] = {}
        translators = [Translator(lang) for lang in LANGS]
        for command in super().get_system_commands(screen):
            said = tuple(each.textual(command.title) for each in translators)
            names[t.textual(command.title)] = said
        in_each = [self._own_commands(each) for each in translators]
        for shown, *said_in in zip(self._own_commands(t), *in_each, strict=True):
            names[shown.title] = tuple(command.title for command in said_in)
        return names

    def _own_commands(self, t: Translator) -> Iterable[SystemCommand]:
        """civtui's palette commands, titled by `t`."""
        if not self.profile.exists():
            return
        yield SystemCommand(t("nav.dashboard"), t("cmd.dashboard"), self.action_dashboard)
        yield SystemCommand(t("nav.roster"), t("cmd.roster"), self.action_roster)
        yield SystemCommand(t("nav.pending"), t("cmd.pending"), self.action_pending)
        yield SystemCommand(t("followup.title"), t("cmd.followups"), self.action_follow_ups)
        yield SystemCommand(t("roster.new"), t("cmd.new_person"), self.action_new_person)
        yield SystemCommand(t("dash.visit"), t("cmd.visit_first"), self.action_visit_first)
        yield SystemCommand(t("nav.sync"), t("cmd.sync"), self.action_sync)
        yield SystemCommand(t("sync.auto"), t("cmd.auto_sync"), self.action_toggle_auto_sync)
        yield SystemCommand(t("report.coverage"), t("cmd.coverage"), self.action_coverage)
        yield SystemCommand(t("report.eligible"), t("cmd.eligible"), self.action_eligible)
        for kind, key in _LEDGER_KEYS.items():
            # Named by what a person types to find it: 导出 finds every ledger.
            title = t("cmd.export_ledger", what=t(f"export.{key}"))
            yield SystemCommand(title, t(f"cmd.export_{key}"), partial(self.ask_export, kind))
        yield SystemCommand(t("nav.help"), t("cmd.help"), self.action_help)
        yield SystemCommand(t("nav.lang"), t("cmd.lang"), self.action_switch_language)

    def action_command_palette(self) -> None:
        # Textual's own palette, with its search prompt and "no matches" in the app's language.
        from textual.command import CommandPalette

        from screens.textual_compat import CommandPaletteIn

        open_already = any(isinstance(s, CommandPalette) for s in self.screen_stack)
        if self.use_command_palette and not open_already:
            prompt = self.t.textual("Search for commands…")
            no_matches = self.t.textual("No matches found")
            self.push_screen(CommandPaletteIn(no_matches, prompt, id="--command-palette"))

    def action_coverage(self) -> None:
        from screens.reports import CoverageScreen

        self.push_screen(CoverageScreen())

    def action_eligible(self) -> None:
        from screens.reports import EligibleScreen

        self.push_screen(EligibleScreen())

    def ask_export(self, kind: str) -> None:
        """Ask where a ledger goes (the documents folder unless changed), saying first that
        it leaves the encrypted store; then write it there."""
        from civtui.excel.export import Ledger
        from screens.path_dialog import PathModal

        what = self.t(f"export.{_LEDGER_KEYS[Ledger(kind)]}")
        question = self.t("export.where", what=what) + "\n" + self.t("export.leaves_store")
        # Outside the profile's home: a plain file with names in it does not belong beside
        # the encrypted store, and people look for their files in their documents folder.
        start = export_folder(load_settings())
        # A monthly ledger asks its month (this one unless changed); the needs ledger is
        # of today's state and has none.
        monthly = Ledger(kind) is not Ledger.NEEDS
        modal = PathModal(
            question, start, must_exist=False, month=self.today.replace(day=1) if monthly else None
        )

        def chosen(where: Path | None) -> None:
            if where is not None:
                self.export_ledger(kind, where, modal.chosen_month)

        self.push_screen(modal, chosen)

    # A failed export is reported, never allowed to take the app (and unsaved input) down.
    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_ledger(
        self, kind: str, where: Path | None = None, month: dt.date | None = None
    ) -> Path | None:
        """Write a ledger in a worker thread (with its own connection) and say where it went.

        `where`: a folder (the file is named there) or a file; the export folder if None.
        `month`: the month of a monthly ledger, this one if None."""
        from civtui.excel.export import Ledger, export

        ledger = Ledger(kind)
        what = self.t(f"export.{_LEDGER_KEYS[ledger]}")
        self.call_from_thread(self.notify, self.t("export.running", what=what))
        today = self.today
        month = (month or today).replace(day=1)
        name = f"{what}-{self.profile.name}-{month:%Y-%m}.xlsx"
        if where is None or where.is_dir():
            folder = where or export_folder(load_settings())
            path = folder / name
        else:
            path = (
                where if where.suffix.lower() in (".xlsx", ".csv") else where.with_suffix(".xlsx")
            )
            folder = path.parent
        create_private(path)
        store = open_store(self.profile.db_path, self.clock)
        try:
            # The use case `civtui export` runs: ended months closed, then the ledger.
            export(
                store,
                ledger,
                path,
                month=month,
                today=today,
                guard=self._month_lock,
                progress=self._export_progress(what),
            )
        except (OSError, ValueError) as exc:
            self.call_from_thread(self.notify, self.t("export.failed", error=exc), severity="error")
            raise
        finally:
            store.close()
        path.chmod(0o600)
        remember_export(path)
        # Said in a box that stays until read: a notice fades before the path is copied down.
        # The file's name on a line of its own, whole, where a long folder would wrap it.
        done = self.t("export.done", what=what, folder=f"{path.parent}{os.sep}", name=path.name)
        said = done + "\n" + self.t("export.leaves_store")
        self.call_from_thread(self._tell, said, partial(self._offer_old_exports, folder, path))
        return path

    def _export_progress(self, what: str) -> Callable[[int, int], None]:
        """How far a ledger is written, said every `EXPORT_PROGRESS_S` seconds: a month of
        50,000 people takes a minute, and a notice that said only 正在导出 would seem stuck.
        Each notice fades as the next comes, so they do not pile up."""
        said_at = time.monotonic()

        def progress(done: int, total: int) -> None:
            nonlocal said_at
            now = time.monotonic()
            if not total or done >= total or now - said_at < EXPORT_PROGRESS_S:
                return
            said_at = now
            percent = done * 100 // total
            text = self.t("export.progress", what=what, percent=percent, done=done, total=total)
            self.call_from_thread(self.notify, text, timeout=EXPORT_PROGRESS_S + 0.5, markup=False)

        return progress

    def _offer_old_exports(self, folder: Path, just_made: Path) -> None:
        """Offer to delete ledgers older than the setting in the export folder: plain copies
        of personal data should not pile up on a laptop."""
        import time

        from civtui.services.profile import forget_exports, old_exports

        settings = load_settings()
        days = settings.exports_kept_days
        written = settings.exports_written
        old = [p for p in old_exports(folder, days, time.time(), written) if p != just_made]
        if not old:
            return

        def delete() -> None:
            for item in old:
                item.unlink(missing_ok=True)
            forget_exports(old)
            self.notify(self.t("export.old_deleted", n=len(old)))

        question = self.t("export.old_offer", n=len(old), days=days, folder=folder)
        self._ask_then(question, self.t("export.old_delete"), delete)

    def _tell(self, said: str, then: Callable[[], object] | None = None) -> None:
        """Show `said` in a box that stays until read, once the palette that started the
        work has closed (closing, it would take the box with it); `then` once it is read."""
        from textual.command import CommandPalette

        locked = hasattr(self, "guard") and self.guard.locked
        if isinstance(self.screen, CommandPalette) or locked:
            self.set_timer(0.2, partial(self._tell, said, then))
            return

        def read(_answer: None) -> None:
            if then is not None:
                then()

        self.push_screen(InfoModal(said), read)

    def action_new_person(self) -> None:
        from screens.person_form import PersonForm

        self.push_screen(PersonForm(None))

    def action_visit_first(self) -> None:
        from screens.dashboard import DashboardScreen

        self.action_dashboard()
        if isinstance(self.screen, DashboardScreen):
            self.screen.action_visit(first=True)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def hangup_signals(platform: str | None = None) -> tuple[signal.Signals, ...]:
    """The signals that mean the terminal is going away, on which open forms are kept as drafts.

    SIGHUP: the terminal window was closed or the SSH connection dropped; SIGTERM: the system
    is shutting down or someone ended the process. Textual 8 handles neither (by default both
    end the process on the spot), so every open form's input would be lost. On Windows there
    are none: it has no SIGHUP, a closed console window is a console event rather than a
    signal, and its asyncio loop has no add_signal_handler (docs/windows.md).
    """
    if (platform or sys.platform) == "win32":
        return ()
    return (signal.SIGHUP, signal.SIGTERM)


def make_app(
    profile: Profile,
    *,
    lang: str = "zh",
    clock: Clock = SYSTEM_CLOCK,
) -> CivtuiApp:
    """Build the app; the CLI and every test call this and nothing else."""
    app = CivtuiApp(profile, lang=lang, clock=clock)
    _host: Host = app  # mypy proves here that the app gives screens all that Host promises
    return app
