"""Exporting a ledger (台账): the one use case behind `civtui export` and the app's palette.

`export` is the use case; `export_ledger` writes the file alone, for a township's store,
which closes no months of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from enum import StrEnum
from pathlib import Path

from civtui.domain.choices import NeedStatus
from civtui.excel import ledgers
from civtui.services.reports import close_months
from db import Store
from db.connection import PRIVATE_FILE


class Ledger(StrEnum):
    """The ledgers an office prints; the value is the `civtui export` subcommand."""

    VISITS = "visits"
    CHILD_CHECKS = "child-checks"
    NEEDS = "needs"

    def heading(self, month: dt.date) -> str:
        """The printed title: the ledger is a Chinese document whatever the interface language."""
        if self is Ledger.VISITS:
            return f"{month:%Y年%m月}探访台账"
        if self is Ledger.CHILD_CHECKS:
            return f"{month:%Y年%m月}儿童随访台账"
        return "老人需求台账"


def export_ledger(
    store: Store,
    ledger: Ledger,
    path: Path,
    *,
    month: dt.date,
    today: dt.date,
    statuses: set[NeedStatus] | None = None,
    full_ids: bool = False,
    village: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write `ledger` for `month` to `path` (.xlsx or .csv); returns how many rows it lists.

    `progress(done, total)`: rows written, as `ledgers.write` says them.

    ID numbers are masked unless `full_ids`: the file leaves the encrypted store. `village`:
    that village's rows alone (a code the store holds), else every village's.
    Raises OSError when the file cannot be written, ValueError for an unknown file type.
    """
    if ledger is Ledger.VISITS:
        sheets = ledgers.visits(store, month, today, full_ids=full_ids, village=village)
    elif ledger is Ledger.CHILD_CHECKS:
        sheets = ledgers.child_checks(store, month, today, full_ids=full_ids, village=village)
    else:
        sheets = ledgers.needs(store, today, statuses, full_ids=full_ids, village=village)
    ledgers.write(path, sheets, ledger.heading(month), progress)
    return len(sheets[0].rows)


def export(
    store: Store,
    ledger: Ledger,
    path: Path,
    *,
    month: dt.date,
    today: dt.date,
    statuses: set[NeedStatus] | None = None,
    full_ids: bool = False,
    village: str | None = None,
    guard: AbstractContextManager[object] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Export as `civtui export` and the app do: close the months that have ended (their
    figures are kept as 月报, which a closed month's ledger shows), write `ledger` as
    `export_ledger` does, and leave the file readable by its owner only. Returns its rows.

    The months close as before a sync (`reports.close_months`): a file busy with an import
    leaves them open and the export goes on. `guard` is the app's lock over closing."""
    if ledger is not Ledger.NEEDS:
        close_months(store, today, guard)
    rows = export_ledger(
        store,
        ledger,
        path,
        month=month,
        today=today,
        statuses=statuses,
        full_ids=full_ids,
        village=village,
        progress=progress,
    )
    # Personal data in plain: its owner's alone (a USB stick's FAT has no modes to set).
    with suppress(OSError):
        path.chmod(PRIVATE_FILE)
    return rows
