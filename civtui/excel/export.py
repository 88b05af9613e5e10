"""Exporting a ledger (台账): the one use case behind `civtui export` and the app's palette."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

from civtui.domain.choices import NeedStatus
from civtui.excel import ledgers
from db import Store


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
) -> int:
    """Write `ledger` for `month` to `path` (.xlsx or .csv); returns how many rows it lists.

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
    ledgers.write(path, sheets, ledger.heading(month))
    return len(sheets[0].rows)
