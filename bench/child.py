"""Run in a fresh process by the benchmarks: open an app headless, wait for its first frame, exit.

civtui is opened through the `civtui` command, as a person opens it. Prints one JSON line:
the wall-clock time of the first complete frame (the app idle after its first screen has
drawn, every worker finished: the dashboard's figures counted), the CPU seconds the process
had used by then, and the peak RSS in MiB at that frame and at the end; and the same time
and CPU at the first paint (the first frame Textual writes to the terminal, whatever screen
it shows: `paint_screen` names it), with `paint_store`, whether the store's modules were
loaded by then. The parent takes the time from when it started the process; shutting the
interpreter down is not part of starting.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("civtui")


FRAME: list[float] = []
CPU: list[float] = []
RSS: list[float] = []
#: The screen on top at that frame.
SETTLED: list[str] = []
#: The first paint: wall time, CPU time, the screen painted, whether the store was loaded.
PAINT: list[tuple[float, float, str, bool]] = []


def _watch_first_paint() -> None:
    """Note the first frame Textual would write: headless, it renders it all the same."""
    real_display = App._display

    def display(app: App[Any], screen: Any, renderable: Any) -> None:
        real_display(app, screen, renderable)
        if not PAINT and renderable is not None and not app._batch_count:
            loaded = "db.store" in sys.modules
            PAINT.append((time.time(), time.process_time(), type(screen).__name__, loaded))

    App._display = display  # type: ignore[assignment,method-assign]


async def first_frame(pilot: Pilot[object]) -> None:
    # The pilot starts once the first screen is mounted; a pause waits until every widget
    # has handled its messages, so the data is in and the frame (footer included) is drawn.
    await pilot.pause()
    # civtui draws its first frame before the profile is opened, and counts the dashboard's
    # coverage in workers after its own first frame: the frame measured here is the first
    # screen of the profile with its figures in. One pause gives up after a second of work
    # (Textual's wait_for_idle), so wait for the screen, then for every worker, explicitly.
    for _ in range(200):
        if type(pilot.app.screen).__name__ != "OpeningScreen":
            break
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    SETTLED.append(type(pilot.app.screen).__name__)
    FRAME.append(time.time())
    CPU.append(time.process_time())  # every thread's, up to the same moment
    # The peak so far: what the frame cost. The peak at the end also holds what the workers
    # started after the frame (the dashboard's counting) used before the app closed.
    RSS.append(peak_rss_mib())
    pilot.app.exit()


def main() -> None:
    mode = sys.argv[1]
    real_run = App.run
    _watch_first_paint()

    def headless(app: App[Any], *args: object, **kwargs: object) -> None:
        real_run(app, headless=True, size=(120, 40), auto_pilot=first_frame)

    if mode == "minimal":
        headless(Minimal())
    else:
        # The way people open it: the `civtui` command, its imports and all.
        App.run = headless  # type: ignore[assignment,method-assign]
        from civtui.cli import main as civtui

        civtui(["--profile", "bench", "--today", sys.argv[2]], standalone_mode=False)
    paint, paint_cpu, paint_screen, paint_store = PAINT[0]
    report = {
        "frame": FRAME[0],
        "cpu": CPU[0],
        "rss_frame_mib": RSS[0],
        "rss_mib": peak_rss_mib(),
        "frame_screen": SETTLED[0],
        "paint": paint,
        "paint_cpu": paint_cpu,
        "paint_screen": paint_screen,
        "paint_store": paint_store,
    }
    print(json.dumps(report))


def peak_rss_mib() -> float:
    """This process's own peak RSS.

    Not getrusage: on Linux its ru_maxrss survives exec, so a child started by a parent
    that had just built the 280 MB profile reported the parent's peak as its own.
    """
    try:
        with Path("/proc/self/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


if __name__ == "__main__":
    main()
