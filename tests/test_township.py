"""The township's view on the server is the sum of what its villages' laptops report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from civtui.cli import main
from civtui.domain.choices import Frequency
from civtui.domain.models import Record, Village
from civtui.excel.export import Ledger, export_ledger
from civtui.services import demo, reports
from db import queries
from tests.conftest import TODAY
from tests.sync_harness import Device, Server, device, server

__all__ = ["server"]

MONTH = TODAY.replace(day=1)


def village_of(record: Record, people: dict[str, str], needs: dict[str, str]) -> str | None:
    data = record.model_dump()
    if record.table == "villages":
        return record.id
    if "village_code" in data:
        return str(data["village_code"])
    if "person_id" in data:
        return people[data["person_id"]]
    if "need_id" in data:
        return needs[data["need_id"]]
    return None  # staff: each laptop has its own


def laptops(srv: Server) -> dict[str, Device]:
    """One laptop per demo village (each in its own township), synced with the server."""
    data = demo.generate(90, seed=7, today=TODAY)
    every = list(data.all())
    people = {r.id: str(r.model_dump()["village_code"]) for r in every if r.table == "persons"}
    needs = {r.id: people[r.model_dump()["person_id"]] for r in every if r.table == "elder_needs"}
    found = {}
    for village in data.villages:
        d = device(srv, f"v{village.id}", villages=[village.id])
        d.store.save_many([r for r in every if village_of(r, people, needs) == village.id])
        d.sync()
        found[village.id] = d
    for d in found.values():
        assert d.sync().rejected == 0 and d.store.pending_count() == 0
    return found


def township_cli(srv: Server, *args: str) -> Any:
    result = CliRunner().invoke(
        main, ["--today", TODAY.isoformat(), "server", *args, "--database", srv.db_url]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in args else result.output


def as_json(rows: list[reports.CoverageRow]) -> list[dict[str, Any]]:
    return [r.as_json() for r in rows]


Line = tuple[str, str | None, str | None]  # rate, group, category


def totals(rows: list[dict[str, Any]]) -> dict[Line, tuple[int, int]]:
    summed: dict[Line, tuple[int, int]] = {}
    for r in rows:
        line = (r["rate_kind"], r["group"], r["category"])
        required, contacted = summed.get(line, (0, 0))
        summed[line] = (required + r["required"], contacted + r["contacted"])
    return summed


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_the_townships_report_is_the_sum_of_its_laptops(
    server: Server, home: Path, tmp_path: Path
) -> None:
    by_village = laptops(server)
    own = {code: as_json(reports.coverage(d.store, MONTH, TODAY)) for code, d in by_village.items()}
    everyone = township_cli(server, "report", "coverage", "--month", "2026-11", "--json")
    assert everyone["month"] == "2026-11"
    for code, rows in own.items():
        assert rows and [r for r in everyone["rows"] if r["village_code"] == code] == rows
    laptops_total = totals([r for rows in own.values() for r in rows])
    assert totals(everyone["total"]) == laptops_total
    monthly = laptops_total[("monthly", None, None)]
    assert monthly[0] > monthly[1] > 0  # someone visited, someone not

    # One township: only its villages, and its total is its laptop's.
    [(code, laptop)] = [(c, d) for c, d in by_village.items() if c == "330902112201"]
    one = township_cli(server, "report", "coverage", "--township", "金塘镇", "--json")
    assert one["rows"] == own[code]
    assert totals(one["total"]) == totals(own[code])
    shown = township_cli(server, "report", "coverage", "--township", "金塘镇")
    assert "金塘镇2026年11月探访覆盖率" in shown and "海星村" in shown and "渔港村" not in shown
    assert "逾期" in township_cli(server, "report", "overdue", "--township", "金塘镇")

    overdue = township_cli(server, "report", "overdue", "--json")
    for code, d in by_village.items():
        expected = reports.month_standings(d.store, MONTH, TODAY)[code]
        rate = expected.rate(Frequency.MONTHLY)
        assert rate is not None
        [row] = [r for r in overdue["rows"] if r["village_code"] == code]
        assert (row["required"], row["contacted"], row["overdue"]) == (
            rate.total.required,
            rate.total.contacted,
            expected.overdue_count,
        )

    # The township's ledger is the laptop's ledger, cell for cell, for a one-village township.
    mine, theirs = tmp_path / "laptop.xlsx", tmp_path / "township.xlsx"
    export_ledger(laptop.store, Ledger.VISITS, mine, month=MONTH, today=TODAY)
    out = township_cli(server, "export", "visits", "--township", "金塘镇", "-o", str(theirs))
    assert str(theirs) in out
    assert cells(theirs) == cells(mine) and len(cells(mine)) > 1


def cells(path: Path) -> list[list[Any]]:
    book = openpyxl.load_workbook(path)
    return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_township_the_server_does_not_know_is_named(server: Server, home: Path) -> None:
    result = CliRunner().invoke(
        main, ["--lang", "en", "server", "report", "coverage", "--database", server.db_url]
    )
    assert result.exit_code == 1 and "holds no village" in result.output
    laptops(server)
    result = CliRunner().invoke(
        main,
        ["--lang", "en", "server", "report", "overdue", "--township", "无此镇",
         "--database", server.db_url],
    )  # fmt: skip
    assert result.exit_code == 1 and "No township “无此镇”" in result.output


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_township_reports_say_what_they_cover_and_whom(
    server: Server, home: Path, tmp_path: Path
) -> None:
    by_village = laptops(server)
    townships = {
        code: d.store.get(Village, code).township  # type: ignore[union-attr]
        for code, d in by_village.items()
    }
    assert len(set(townships.values())) == 3

    # Without --township: titled for every township, each with its own subtotal.
    everyone = township_cli(server, "report", "coverage", "--json")
    assert everyone["covers"] == "全部乡镇"
    assert {t["township"] for t in everyone["townships"]} == set(townships.values())
    for entry in everyone["townships"]:
        codes = [c for c, name in townships.items() if name == entry["township"]]
        own = [r for r in everyone["rows"] if r["village_code"] in codes]
        assert totals(entry["total"]) == totals(own)
    text = township_cli(server, "report", "coverage")
    assert "全部乡镇2026年11月探访覆盖率" in text and "全乡镇2026" not in text
    assert all(name in text for name in townships.values())

    # Overdue: the names, ID numbers masked, as many as the count, village by village.
    overdue = township_cli(server, "report", "overdue", "--json")
    assert overdue["covers"] == "全部乡镇"
    listed = 0
    for row in overdue["rows"]:
        code = row["village_code"]
        assert row["township"] == townships[code]
        assert len(row["people"]) == row["overdue"]
        held = {p.masked_id: p for p in queries.person_rows(by_village[code].store, TODAY)}
        for person in row["people"]:
            assert "*" in person["id_number"]
            assert held[person["id_number"]].name == person["name"]
        listed += len(row["people"])
    assert listed > 0
    text = township_cli(server, "report", "overdue")
    full_ids = [
        p.id_number for d in by_village.values() for p in queries.person_rows(d.store, TODAY)
    ]
    assert not any(number in text for number in full_ids)
    first = next(r for r in overdue["rows"] if r["people"])
    assert first["people"][0]["name"] in text and first["people"][0]["id_number"] in text
    assert f"{first['village']}逾期未访 {first['overdue']} 人" in text

    # One village's ledger from the server is that laptop's own ledger, cell for cell.
    code, laptop = next(iter(by_village.items()))
    mine, theirs = tmp_path / "laptop.xlsx", tmp_path / "village.xlsx"
    export_ledger(laptop.store, Ledger.VISITS, mine, month=MONTH, today=TODAY)
    township_cli(server, "export", "visits", "--village", code, "-o", str(theirs))
    assert cells(theirs) == cells(mine) and len(cells(mine)) > 1
    refused = CliRunner().invoke(
        main,
        ["--lang", "en", "server", "export", "needs", "--village", "330000000000",
         "-o", str(tmp_path / "x.xlsx"), "--database", server.db_url],
    )  # fmt: skip
    assert refused.exit_code == 2 and "--village" in refused.output and code in refused.output
    # The villages it takes, listed in English marks: "330902112201 (海星村)", never （ or 、.
    assert not set("（）、") & set(refused.output), refused.output
