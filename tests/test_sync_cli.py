"""`civtui login` and `civtui sync` as a person runs them, against a real server process."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail as fail_backend

from civtui.cli import main
from civtui.services import keys
from tests.conftest import INIT, TODAY, MemoryKeyring
from tests.sync_harness import Server, free_port, quick_retries, server

__all__ = ["server"]


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], input=stdin)


def files_containing(folder: Path, secret: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_login_keeps_the_token_in_the_keyring_only(
    server: Server, home: Path, vault: MemoryKeyring
) -> None:
    assert run("demo", "--persons", "40").exit_code == 0
    token = server.token("王晓丽", ["330902112201", "330903103202", "330922101203"])
    result = run("login", "--server", server.base, "--token-stdin", stdin=token + "\n")
    assert result.exit_code == 0, result.output
    assert "王晓丽" in result.output and token not in result.output
    tokens = [v for (_, account), v in vault.items.items() if not account.startswith("key:")]
    assert tokens == [token]
    synced = run("sync", "--json")
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.stdout)
    assert report["ok"] and report["pushed"] > 100 and report["pending"] == 0
    status = json.loads(run("status", "--json").stdout)
    assert status["pending_changes"] == 0 and status["last_sync"]
    assert files_containing(home, token) == []


def test_login_without_a_keyring_keeps_the_token_in_the_encrypted_profile(
    server: Server, home: Path, vault: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    passphrase = "a passphrase for the profile key"
    assert run(*INIT, stdin=f"{passphrase}\n{passphrase}\n").exit_code == 0
    token = server.token("王", ["330902112201"])
    keys.forget()
    result = run(
        "login", "--server", server.base, "--token-stdin", stdin=f"{token}\n{passphrase}\n"
    )
    assert result.exit_code == 0, result.output
    assert token not in result.output and files_containing(home, token) == []
    keys.forget()
    synced = run("sync", stdin=f"{passphrase}\n")
    assert synced.exit_code == 0 and "同步完成" in synced.output, synced.output
    assert files_containing(home, token) == []


def test_environment_token_and_server_work_without_login(
    server: Server, home: Path, vault: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(*INIT)
    monkeypatch.setenv("CIVTUI_TOKEN", server.token("王", ["330902112201"]))
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "同步完成" in result.output and "上传 2 条" in result.output


def test_wrong_token_is_refused_at_login(server: Server, home: Path, vault: MemoryKeyring) -> None:
    run(*INIT)
    result = run("login", "--server", server.base, "--token-stdin", stdin="civ_bad_token")
    assert result.exit_code == 1 and "令牌无效" in result.output
    assert [account for _, account in vault.items if not account.startswith("key:")] == []


def test_sync_offline_exits_non_zero_and_loses_nothing(
    home: Path, vault: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(*INIT)
    monkeypatch.setenv("CIVTUI_TOKEN", "civ_x_y")
    quick_retries(monkeypatch)
    result = run("sync", "--server", f"http://127.0.0.1:{free_port()}")
    assert result.exit_code == 1 and "无法连接服务器" in result.output
    assert json.loads(run("status", "--json").stdout)["pending_changes"] == 2


def test_plain_http_to_another_machine_is_refused(home: Path, vault: MemoryKeyring) -> None:
    run(*INIT)
    result = run("login", "--server", "http://192.0.2.1:8765", "--token-stdin", stdin="civ_a_b")
    assert result.exit_code == 2 and "https" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["server", "init"],
        ["server", "token", "create", "--staff", "王", "--role", "assistant", "--village", "1"],
        ["server", "token", "list"],
        ["server", "run"],
    ],
)
def test_server_commands_without_the_server_extra_say_what_to_install(
    args: list[str], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A village laptop set up with `scripts/dev.py demo` has no server libraries.
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "pip install 'civtui[server]'" in result.output
    assert "Traceback" not in result.output


def test_the_township_sets_a_visit_frequency_and_every_village_gets_it(
    server: Server, home: Path
) -> None:
    from civtui.domain.choices import Category, Frequency
    from db import queries
    from tests.sync_harness import OTHER_VILLAGE, device

    here, there = device(server, "here"), device(server, "there", villages=[OTHER_VILLAGE])
    aged = Category.parse("高龄")
    assert queries.visit_policy(here.store)[aged] is Frequency.MONTHLY
    database = ["--database", server.db_url]
    result = run("server", "policy", "set", "高龄", "每季度", *database)
    assert result.exit_code == 0, result.output
    assert "高龄每季度" in result.output
    listed = run("server", "policy", "list", *database).output
    assert "高龄\t每季度\n" in listed and "留守儿童\t每月（默认）" in listed
    for d in (here, there):
        d.sync()
        assert queries.visit_policy(d.store)[aged] is Frequency.QUARTERLY
    run("server", "policy", "set", "高龄", "monthly", *database)  # codes work too
    here.sync()
    assert queries.visit_policy(here.store)[aged] is Frequency.MONTHLY
    bad = run("server", "policy", "set", "老人", "每周", *database)
    assert bad.exit_code != 0 and "类别“老人”不是可选值" in bad.output
    bad = run("server", "policy", "set", "高龄", "每周", *database)
    assert bad.exit_code != 0 and "探访频次“每周”不是可选值" in bad.output


def test_the_township_sets_a_visit_rule_and_every_village_gets_it(
    server: Server, home: Path
) -> None:
    from civtui.domain.choices import Category
    from db import queries
    from tests.sync_harness import device

    here = device(server, "here")
    assert queries.rules(here.store).adl_valid_months == 12
    database = ["--database", server.db_url]
    result = run("server", "policy", "rule", "set", "adl_valid_months", "6", *database)
    assert result.exit_code == 0, result.output
    assert (
        run("server", "policy", "rule", "set", "age_limit.留守儿童", "14", *database).exit_code == 0
    )
    listed = run("server", "policy", "rule", "list", *database).output
    assert "adl_valid_months\t6\n" in listed and "age_limit.left_behind\t14" in listed
    here.sync()
    rules = queries.rules(here.store)
    assert rules.adl_valid_months == 6 and rules.age_limits[Category.LEFT_BEHIND] == 14
    bad = run("server", "policy", "rule", "set", "contact_kinds.低保", "phone", *database)
    assert bad.exit_code != 0 and "visit、check" in bad.output


def test_dated_events_and_closed_months_sync_to_other_laptops(server: Server, home: Path) -> None:
    import datetime as dt

    from civtui.domain.choices import Category, PersonStatus
    from civtui.domain.models import MonthClose, Person, PersonEvent
    from civtui.services import reports
    from tests.conftest import TODAY, make_person
    from tests.sync_harness import device

    here, there = device(server, "here"), device(server, "there")
    elder = make_person(dt.date(1950, 1, 1), categories=[Category.LIVING_ALONE])
    here.store.save(elder)
    here.store.save(elder.model_copy(update={"status": PersonStatus.DECEASED}))
    reports.close_month(here.store, dt.date(2026, 10, 1), TODAY)
    report = here.sync()
    assert report.rejected == 0 and here.store.pending_count() == 0
    there.sync()
    (event,) = there.store.all(PersonEvent)
    assert (event.person_id, event.status) == (elder.id, PersonStatus.DECEASED)
    (closed,) = there.store.all(MonthClose)
    assert closed.id.endswith(":2026-10") and closed.figures
    assert there.store.get(Person, elder.id) is not None


def test_two_laptops_closing_the_same_month_make_one_report_and_no_conflict(
    server: Server, home: Path
) -> None:
    """Both laptops of a village were offline when October ended and both closed it, with
    different figures (one holds a visit the other has not pulled yet). Pushed one after
    the other, the first report to reach the server stands on both, and nobody is asked
    to choose between two 月报."""
    import datetime as dt

    from civtui.domain.choices import Category
    from civtui.domain.models import MonthClose, Visit
    from civtui.services import reports
    from db import outbox
    from tests.conftest import make_person
    from tests.sync_harness import device

    here, there = device(server, "here"), device(server, "there")
    elder = make_person(dt.date(1950, 1, 1), categories=[Category.LIVING_ALONE])
    here.store.save(elder)
    here.sync()
    there.sync()
    here.store.save(Visit(person_id=elder.id, visit_date=dt.date(2026, 10, 9), visitor="王"))
    october = dt.date(2026, 10, 1)
    (mine,) = reports.close_month(here.store, october, TODAY)
    (theirs,) = reports.close_month(there.store, october, TODAY)
    assert mine.id == theirs.id and mine.figures != theirs.figures
    for laptop in (here, there, here, there):
        report = laptop.sync()
        assert report.rejected == 0 and report.conflicts == 0
    for laptop in (here, there):
        assert outbox.open_conflicts(laptop.store, [mine.id]) == []
        (kept,) = laptop.store.all(MonthClose)
        assert kept.figures == mine.figures
        assert reports.close_month(laptop.store, october, TODAY) == []
    assert server.count("conflicts") == 0


def test_sync_closes_the_ended_months_first_so_their_reports_reach_the_server(
    server: Server, home: Path
) -> None:
    from civtui.domain.clock import Clock
    from civtui.services.keys import open_store

    assert run(*INIT).exit_code == 0
    path = Path(json.loads(run("status", "--json").stdout)["path"])
    store = open_store(path, Clock.pinned(TODAY))
    store.set_meta("created_at", "2026-10-02T09:00:00+08:00")  # set up in October
    store.close()
    token = server.token("王", ["330902112201"])
    assert run("login", "--server", server.base, "--token-stdin", stdin=token).exit_code == 0
    synced = run("sync", "--json")
    assert synced.exit_code == 0, synced.output
    kept = [key for key in server.records() if key[0] == "month_reports"]
    assert kept == [("month_reports", "330902112201:2026-10")]


HOSTILE = "[/]王=秀英"


def test_a_sync_refusing_hundreds_sums_them_up_by_reason_and_says_what_waits_for_what(
    server: Server, home: Path, vault: MemoryKeyring
) -> None:
    """The demo profile holds three villages; a token of one refuses the others' records
    and, for lack of them, everything that belongs to them. The sync says how many for
    each reason with three examples each, never that a record waiting for a refused one
    goes again by itself once it arrives, and where every refusal is listed."""
    from civtui.domain.clock import Clock
    from civtui.domain.models import Person, Visit
    from civtui.services.keys import open_store
    from civtui.services.profile import Profile
    from tests.conftest import CTX

    assert run("demo", "--persons", "40").exit_code == 0
    store = open_store(Profile("demo").db_path, Clock.pinned(TODAY))
    outside = [
        p
        for p in store.all(Person, "village_code != ?", ["330902112201"])
        if store.all(Visit, "person_id = ?", [p.id])
    ]
    store.save(outside[0].revise(context=CTX, name=HOSTILE))  # its latest change: refused
    store.close()
    token = server.token("王晓丽", ["330902112201"])
    assert run("login", "--server", server.base, "--token-stdin", stdin=token).exit_code == 0

    result = run("sync")
    assert result.exit_code == 0, result.output
    out = result.output
    lines = out.splitlines()
    summary = json.loads(run("status", "--json").stdout)
    refused = int(out.split("被拒 ")[1].split(" 条")[0])
    assert refused > 100, out
    assert len(lines) < 25, out  # not one line each
    assert f"被拒 {refused} 条，按原因（每种举例 3 条）：" in out
    groups = [int(line.strip().split(" 条")[0]) for line in lines if "条，例如：" in line]
    assert sum(groups) == refused and len(groups) >= 2, out
    assert "该记录属于村(社区)" in out  # the villages outside the token
    assert "也被服务器拒绝了，这一条要等它更正并被服务器接受后才会自动重新上传" in out
    assert "本机会自动重新上传" not in out.replace("才会自动重新上传", "")
    # Of records: the hostile person's insert and its rename were both refused.
    assert f"本机共有 {refused - 1} 条记录被拒、等待更正" in out and "--all-refused" in out
    # 上传 counts what the server took; the refused are apart.
    assert f"，被拒 {refused} 条，下载" in out
    assert summary["pending_changes"] == 0

    again = run("sync", "--all-refused")
    assert again.exit_code == 0, again.output
    listed = [line for line in again.output.splitlines() if line.strip().startswith("被拒：")]
    assert len(listed) == refused - 1, again.output
    [hostile] = [line for line in listed if line.strip().startswith(f"被拒：服务对象 {HOSTILE}")]
    assert hostile.strip() == (
        f"被拒：服务对象 {HOSTILE}：这条服务对象（{HOSTILE}）的新增已被服务器拒绝，"
        "这次修改要等它更正并被服务器接受后才会自动重新上传；请先按新增被拒的原因更正它（或删除）"
    )
    visits = [line for line in listed if line.strip().startswith(f"被拒：探访 {HOSTILE}：")]
    assert visits, again.output
    assert all(f"所属的服务对象（{HOSTILE}）也被服务器拒绝了" in v for v in visits), visits


def test_a_second_laptop_set_up_with_init_without_township_keeps_it_everywhere(
    server: Server, home: Path, vault: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a person does it: the first laptop of a village runs `civtui init
    --township 金塘镇` and syncs; a second one runs `civtui init` without `--township` a day
    later (its village record stamped newer, its township empty) and syncs. The server and
    both laptops keep 金塘镇, and the township's report still finds the village."""
    from civtui.domain.models import Village
    from civtui.services.keys import open_store
    from civtui.services.profile import Profile
    from tests.conftest import VILLAGE

    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    monkeypatch.setenv("CIVTUI_TOKEN", server.token("王", [VILLAGE]))
    day_after = (TODAY + dt.timedelta(days=1)).isoformat()

    def on(profile: str, *args: str, today: str = TODAY.isoformat()) -> Result:
        result = CliRunner().invoke(main, ["--today", today, "--profile", profile, *args])
        assert result.exit_code == 0, result.output
        return result

    on("first", *INIT, "--township", "金塘镇")
    on("first", "sync")
    on("second", *INIT, today=day_after)
    on("second", "sync", today=day_after)
    on("first", "sync", today=day_after)

    def township(profile: str) -> str:
        store = open_store(Profile(profile).db_path)
        try:
            village = store.get(Village, VILLAGE)
            assert village is not None
            return village.township
        finally:
            store.close()

    data, _ = server.records()[("villages", VILLAGE)]
    assert data["township"] == "金塘镇"
    assert township("first") == township("second") == "金塘镇"
    report = run(
        "server",
        "report",
        "coverage",
        "--township",
        "金塘镇",
        "--json",
        "--database",
        server.db_url,
    )
    assert report.exit_code == 0, report.output
    assert {r["village_code"] for r in json.loads(report.stdout)["rows"]} == {VILLAGE}
