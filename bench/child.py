"""Run in a fresh process by the benchmarks: open an app headless, wait for its first frame, exit.

Prints one JSON line: peak RSS in MiB. The parent times the whole process.
"""

from __future__ import annotations

import json
import resource
import sys

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("civtui")


async def first_frame(pilot: Pilot[object]) -> None:
    # The pilot starts once the first screen is mounted; one pause lets its data load
    # and the first complete frame render.
    await pilot.pause()
    pilot.app.exit()


def main() -> None:
    mode = sys.argv[1]
    if mode == "minimal":
        app: App[None] = Minimal()
    else:
        import datetime as dt

        from civtui.app import make_app
        from civtui.clock import Clock
        from civtui.profile import Profile

        app = make_app(Profile("bench"), clock=Clock.pinned(dt.date.fromisoformat(sys.argv[2])))
    app.run(headless=True, size=(120, 40), auto_pilot=first_frame)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_mib": peak_kib / 1024}))


if __name__ == "__main__":
    main()
