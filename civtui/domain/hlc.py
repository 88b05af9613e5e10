"""Hybrid logical clock stamps, so changes from many devices order the same everywhere.

A stamp is `WWWWWWWWWWWWW-CCCC-DEVICE`: wall-clock milliseconds, a counter for
changes in the same millisecond (or while the wall clock runs behind the last
stamp), and the device id, which breaks ties. As text the stamps sort in
causal order, so comparing them needs no parsing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    device: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:04d}-{self.device}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        wall, counter, device = text.split("-", 2)
        return cls(int(wall), int(counter), device)


#: The counter has four digits; past them the stamp moves on by a millisecond instead,
#: which keeps the text form (and so its sort order) intact.
MAX_COUNTER = 9999


def _next(wall: int, counter: int, device: str) -> Stamp:
    if counter > MAX_COUNTER:
        return Stamp(wall + 1, 0, device)
    return Stamp(wall, counter, device)


def tick(last: Stamp | None, now_ms: int, device: str) -> Stamp:
    """The stamp for a local change: never before the last one, even if the clock went back."""
    if last is None or now_ms > last.wall_ms:
        return Stamp(now_ms, 0, device)
    return _next(last.wall_ms, last.counter + 1, device)


def receive(last: Stamp | None, remote: Stamp, now_ms: int, device: str) -> Stamp:
    """Advance past a stamp seen from another device, so later local changes order after it."""
    wall = max(now_ms, remote.wall_ms, last.wall_ms if last else 0)
    counter = 0
    if last is not None and wall == last.wall_ms:
        counter = last.counter + 1
    if wall == remote.wall_ms:
        counter = max(counter, remote.counter + 1)
    return _next(wall, counter, device)


#: A clock that goes back by more than this at once was set right, not merely adjusted
#: (time sync slews by milliseconds): the laptop's own stamps from before are forgotten.
SET_BACK_MS = 60_000


def local(
    last: Stamp | None,
    seen: Stamp | None,
    now_ms: int,
    device: str,
    previous_ms: int | None = None,
) -> Stamp:
    """The stamp for a local change: after `last` (this laptop's own latest) and after
    `seen` (the latest stamp pulled from the server), even if the clock went back a little.

    A clock that read more than `SET_BACK_MS` later at the previous change (`previous_ms`)
    than now was set back at once: it ran ahead before, and the laptop's own stamps from
    then are forgotten, so its next change is stamped by the clock set right, not days
    ahead of it for as long as it had run ahead. A clock that drifts back bit by bit keeps
    its stamps growing as before. Its changes still come after everything it has seen
    from others (`seen`, which the server holds to its own clock); the order of its own
    changes to a record the server keeps (`sync.server.merge._Clamp`)."""
    if previous_ms is not None and previous_ms - now_ms > SET_BACK_MS:
        last = None
    stamp = tick(last, now_ms, device)
    if seen is not None and (seen.wall_ms, seen.counter) >= (stamp.wall_ms, stamp.counter):
        stamp = _next(seen.wall_ms, seen.counter + 1, device)
    return stamp
