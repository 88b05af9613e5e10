"""Every sync outcome in the person's language: English says no Chinese, Chinese says Chinese.

Through the real CLI against a real server process where an outcome can be brought about
that way; the rest (outcomes `sync` settles by itself, refusals only a broken server or
proxy gives) by rendering the typed exception or the code directly.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from civtui.cli import main
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Village
from civtui.i18n import STRINGS, Translator
from civtui.services.keys import open_store
from civtui.services.profile import Profile
from sync import client, words
from sync.protocol import PARAMS, Code, Health, Reason
from tests.conftest import CTX, INIT, TODAY, VILLAGE, MemoryKeyring, make_person
from tests.sync_harness import OTHER_VILLAGE, Server, device, free_port, quick_retries, server

__all__ = ["server"]  # the fixture

CHINESE = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
EN, ZH = Translator("en"), Translator("zh")

#: A made-up instance of every code's parameters, as the server or client would send them.
SAMPLES: dict[Code, dict[str, Any]] = {
    Code.PARENT_MISSING: {"table": "persons", "id": "p-1"},
    Code.OUTSIDE_VILLAGES: {"village": OTHER_VILLAGE},
    Code.REFERENCE_ELSEWHERE: {"table": "households", "id": "h-1", "village": OTHER_VILLAGE},
    Code.VILLAGE_UNKNOWN: {},
    Code.STAFF_VILLAGES: {"villages": [OTHER_VILLAGE, "330903103203"]},
    Code.UNKNOWN_FIELDS: {"table": "persons", "fields": ["shoe_size", "hat"]},
    Code.INVALID: {
        "table": "visits",
        "problems": [
            {"field": "visitor", "zh": "必须填写；请补上", "en": "is required; please fill it in"}
        ],
    },
    Code.DELETE_MISSING: {},
    Code.RECORD_MISSING: {"table": "persons", "id": "p1"},
    Code.ID_MISMATCH: {},
    Code.EDIT_OF_DELETED: {},
    Code.FUTURE_DATE: {
        "table": "visits",
        "field": "visit_date",
        "date": "2026-11-24",
        "today": "2026-11-22",
    },
    Code.CONFLICT: {"table": "persons", "fields": ["phone", "address"]},
    Code.OTHER: {"text": "an older server's words"},
    Code.CLOCK_AHEAD: {"ahead_s": 3 * 24 * 3600},
    Code.TOKEN_INVALID: {},
    Code.BODY_TOO_LARGE: {"limit": 2 * 1024 * 1024},
    Code.BAD_GZIP: {},
    Code.BAD_REQUEST: {"errors": [{"loc": ["changes", 0, "seq"], "msg": "x", "type": "y"}]},
    Code.DEVICE_TAKEN: {},
    Code.SEQUENCE_REUSED: {"seq": 7},
    Code.SERVER_BEHIND: {"applied_through": 12},
    Code.OFFLINE: {"url": "https://mz.example.gov.cn", "cause": "ConnectError"},
    Code.SERVER_FAILING: {"url": "https://mz.example.gov.cn", "status": 500},
    Code.REFUSED: {"status": 422, "detail": {"code": "bad_gzip", "params": {}}},
    Code.BAD_ANSWER: {},
    Code.URL_INVALID: {"url": "ftp://x"},
    Code.URL_INSECURE: {"url": "http://192.0.2.1:8765"},
    Code.DISK_FULL: {},
    Code.SUMMARY: {"pushed": 3, "conflicts": 1, "rejected": 1, "pulled": 5},
    Code.NEW_DEVICE: {},
    Code.RESENT: {"count": 2},
    Code.SENT_AGAIN: {"count": 1},
    Code.HELD: {"count": 500},
    Code.CONFLICT_FOUND: {
        "table": "visits",
        "id": "v-1",
        "field": "notes",
        "who": "Wang Xiuying",  # a name is data, shown as stored (English has no Chinese here)
        "side": "lost_here",
    },
    Code.CONFLICTS_MORE: {"count": 3},
    Code.CONFLICTS_CLOSED: {"count": 2},
    Code.BUNDLE_NOT_ONE: {"expected": "reply"},
    Code.BUNDLE_UNREADABLE: {},
    Code.BUNDLE_BAD_SIGNATURE: {},
    Code.BUNDLE_TOKEN_UNKNOWN: {"token": "3f9a01bc"},
    Code.BUNDLE_TOO_LARGE: {"limit": 64 * 1024 * 1024},
    Code.BUNDLE_NO_SERVER_KEY: {},
    Code.BUNDLE_NO_KEY_PAIR: {},
    Code.BUNDLE_KEY_INVALID: {},
    Code.BUNDLE_KEY_CHANGED: {"fingerprint": "1a2b 3c4d 5e6f 7a8b"},
    Code.BUNDLE_OTHER_LAPTOP: {},
    Code.BUNDLE_ALREADY: {},
    Code.BUNDLE_STALE: {},
    Code.BUNDLE_GAP: {},
    Code.ANSWER_TOO_LARGE: {"limit": 16 * 1024 * 1024},
    Code.PAGE_TOO_LARGE: {"asked": 500, "got": 100_000},
    Code.PULLED_ELSEWHERE: {"count": 3, "villages": [OTHER_VILLAGE, "330903103203"]},
    Code.UNKNOWN_KINDS: {"count": 2, "tables": ["pets", "boats"]},
}

#: Every typed exception the client raises, made as the client makes it.
RAISED: dict[type[client.SyncError], Callable[[], client.SyncError]] = {
    client.OfflineError: lambda: client.OfflineError("https://mz.example.gov.cn", "HTTP 429"),
    client.ServerFailingError: lambda: client.ServerFailingError("https://mz.example.gov.cn", 503),
    client.TokenRefusedError: client.TokenRefusedError,
    client.DeviceTakenError: client.DeviceTakenError,
    client.SequenceReusedError: lambda: client.SequenceReusedError(7),
    client.ServerBehindError: lambda: client.ServerBehindError(12),
    client.RequestRefusedError: lambda: client.RequestRefusedError(418, "I'm a teapot"),
    client.BadAnswerError: client.BadAnswerError,
    client.DiskFullError: client.DiskFullError,
    client.BadServerUrlError: lambda: client.BadServerUrlError(
        Reason.of(Code.URL_INVALID, url="x")
    ),
    client.AnswerTooLargeError: lambda: client.AnswerTooLargeError(1024),
    client.PageTooLargeError: lambda: client.PageTooLargeError(500, 100_000),
}


def assert_english(text: str) -> None:
    assert text.strip() and not CHINESE.search(text), text


def assert_chinese(text: str) -> None:
    assert CHINESE.search(text), text


def subclasses(cls: type[client.SyncError]) -> set[type[client.SyncError]]:
    found = set(cls.__subclasses__())
    return found.union(*(subclasses(c) for c in found)) if found else found


# -- every code and every exception, rendered ----------------------------------------


def test_every_code_has_words_in_both_languages_using_exactly_its_parameters() -> None:
    assert set(SAMPLES) == set(Code) == set(PARAMS)
    for code, params in SAMPLES.items():
        assert set(params) == set(PARAMS[code]), code
        zh, en = STRINGS[f"sync.code.{code}"]
        used = {name for text in (zh, en) for _, name, _, _ in string.Formatter().parse(text)}
        shown = {"ahead" if p == "ahead_s" else p for p in PARAMS[code]}
        if code is Code.CONFLICT_FOUND:
            # The table and field are said together ("what"), the table also says whether
            # the person's page lists it ("where"); the record's id is for the program.
            shown = {"who", "what", "side", "where"}
        if code is Code.SUMMARY:
            # What the server took is said apart from what it refused: pushed - rejected.
            shown = {"taken", "conflicts", "rejected", "pulled"}
        assert used - {None} == shown, code
        reason = Reason.of(code, **params)
        assert_english(words.say(reason, EN))
        assert_chinese(words.say(reason, ZH))


def test_a_code_survives_the_wire_and_the_store() -> None:
    for code, params in SAMPLES.items():
        reason = Reason.of(code, **params)
        assert Reason.model_validate_json(reason.model_dump_json()) == reason
        assert Reason.stored(reason.stored_text()) == reason
        assert words.stored(reason.stored_text(), EN) == words.say(reason, EN)


def test_words_of_a_version_before_codes_are_still_shown() -> None:
    # A profile or server from before codes stored the sentences themselves.
    assert (
        words.stored("与其他设备的修改冲突：phone", ZH) == "服务器说：与其他设备的修改冲突：phone"
    )
    old = "上传 1 条（冲突 0，被拒 0），下载 0 条"
    assert words.stored_summary(old, ZH, legacy_en="1 sent") == old
    assert words.stored_summary(old, EN, legacy_en="1 sent") == "1 sent"
    said = client.stored_summary(client.summary(client.SyncReport(pushed=2, resent=1)))
    assert_english(words.stored_summary(said, EN))
    assert "重新上传" in words.stored_summary(said, ZH)


def test_every_typed_exception_speaks_both_languages() -> None:
    assert set(RAISED) == subclasses(client.SyncError)
    for cls, make in RAISED.items():
        error = make()
        assert isinstance(error, cls) and error.code in PARAMS
        assert_english(words.say(error.reason, EN))
        assert_chinese(words.say(error.reason, ZH))


def test_the_summary_with_everything_in_it() -> None:
    report = client.SyncReport(
        pushed=9,
        conflicts=2,
        rejected=1,
        pulled=4,
        new_device_id="d2",
        resent=3,
        sent_again=2,
        warnings=[Reason.of(Code.CLOCK_AHEAD, ahead_s=600)],
    )
    said = client.summary(report)
    assert [r.code for r in said] == [
        Code.SUMMARY,
        Code.NEW_DEVICE,
        Code.RESENT,
        Code.SENT_AGAIN,
        Code.CLOCK_AHEAD,
    ]
    english = words.say_all(said, EN)
    assert_english(english)
    # Sent counts what the server took; the refused did not reach it and are counted apart.
    assert "8 sent (2 in conflict), 1 refused, 4 received" in english and "10 minutes" in english
    chinese = words.say_all(said, ZH)
    assert "上传 8 条（冲突 2），被拒 1 条，下载 4 条" in chinese and "时钟" in chinese
    assert "2 changes refused for lack of a record they name were sent again" in english
    assert "2 条此前因缺少所属记录被拒的修改" in chinese


def answering(status: int, body: bytes) -> client.Connection:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    return client.Connection(
        "http://127.0.0.1:9",
        "t",
        attempts=1,
        transport=httpx.MockTransport(handler),
        sleep=lambda s: None,
    )


@pytest.mark.parametrize(
    ("status", "body", "raised", "english"),
    [
        (401, b'{"detail": {"code": "token_invalid", "params": {}}}', client.TokenRefusedError,
         "token is wrong"),
        (403, b'{"detail": {"code": "device_taken", "params": {}}}', client.DeviceTakenError,
         "another staff member"),
        (409, b'{"detail": {"code": "sequence_reused", "params": {"seq": 4}}}',
         client.SequenceReusedError, "change no. 4"),
        (412, b'{"detail": {"code": "server_behind", "params": {"applied_through": 3}}}',
         client.ServerBehindError, "up to no. 3"),
        (413, b'{"detail": {"code": "body_too_large", "params": {"limit": 10}}}',
         client.RequestRefusedError, "(HTTP 413): the request is too large (at most 10 bytes)"),
        (422, b'{"detail": {"code": "bad_request", "params": {"errors": [{"loc": ["cursor"]}]}}}',
         client.RequestRefusedError, "not right: cursor"),
        # Another web server at the address: its page is not shown, the address is named.
        (404, b"<html>not here</html>", client.BadAnswerError, "check the address"),
        (404, b'{"detail": "Not Found"}', client.BadAnswerError, "check the address"),
        (200, b"<html>a login page</html>", client.BadAnswerError, "makes no sense"),
        (503, b"busy", client.ServerFailingError, "failed (HTTP 503)"),
        (429, b"busy", client.OfflineError, "HTTP 429"),
    ],
)  # fmt: skip
def test_each_answer_of_the_server_is_its_own_exception(
    status: int, body: bytes, raised: type[client.SyncError], english: str
) -> None:
    conn = answering(status, body)
    with pytest.raises(raised) as failure:
        conn.call("GET", "/v1/health", None, Health)
    said = words.say(failure.value.reason, EN)
    assert english in said
    assert_english(said)
    assert_chinese(words.say(failure.value.reason, ZH))


# -- through the real CLI against the real server ------------------------------------------


def cli(lang: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main,
        ["--today", TODAY.isoformat(), "--lang", lang, "--profile", "main", *args],
        input=stdin,
    )


def said_in(lang: str, result: Result) -> str:
    """Everything the command printed; English must hold no Chinese, Chinese must have some."""
    text = result.output
    (assert_english if lang == "en" else assert_chinese)(text)
    return text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_sync_with_conflicts_rejections_and_a_clock_warning_in_each_language(
    lang: str,
    server: Server,
    home: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cli(lang, *INIT).exit_code == 0
    token = server.token("Wang", [VILLAGE])  # names are data: not translated
    login = cli(lang, "login", "--server", server.base, "--token-stdin", stdin=token)
    assert login.exit_code == 0, login.output
    assert said_in(lang, login)

    other = device(server, "other")
    # Names are data, shown as stored: Latin ones here, so English output holds no Chinese.
    shared, gone = make_person(name="Lin Apo"), make_person(seq=103, name="Zhang San")
    other.store.save(shared)
    other.store.save(gone)
    other.sync()
    first = cli(lang, "sync")
    assert first.exit_code == 0, first.output

    # The laptop's clock now runs months ahead; what it writes meets the other laptop's edits.
    ahead = Clock.pinned(TODAY.replace(year=TODAY.year + 1))
    store = open_store(Profile("main").db_path, ahead)
    store.save(shared.revise(context=CTX, phone="13905801111"))
    store.save(gone.revise(context=CTX, address="新地址"))
    store.save(Village(id=OTHER_VILLAGE, name="Yugang"))  # outside the token
    # A visit of a person on no server (written by hand: the profile's own keys forbid it).
    orphan = {"person_id": "nobody", "visit_date": TODAY.isoformat(), "visitor": "Li"}
    store.db.execute(
        "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, created_at) "
        "VALUES ('visits', 'v-orphan', 'upsert', ?, ?, ?, '2026-11-22')",
        [json.dumps(orphan), store.changes()[-1].hlc, store.device_id],
    )
    store.close()
    other.store.save(shared.revise(context=CTX, phone="13905802222"))
    other.store.delete(Person, gone.id)
    other.sync()

    result = cli(lang, "sync")
    assert result.exit_code == 0, result.output
    text = said_in(lang, result)
    if lang == "en":
        assert "2 sent (2 in conflict), 2 refused" in text
        assert "Refused: Village Yugang: the record belongs to village 330903103202" in text
        assert ": the record it belongs to (Person nobody) is not on the server" in text
        assert (
            "Conflict: Lin Apo · Phone (this laptop's value was kept over another device's; "
            "press c on the person's page to choose)" in text
        )
        assert "Conflict: Zhang San · Address (the record was deleted" in text
        assert re.search(r"clock is about \d{3} days ahead", text)
    else:
        assert "上传 2 条（冲突 2），被拒 2 条" in text
        assert "被拒：村(社区) Yugang：该记录属于村(社区) 330903103202" in text
        assert (
            "冲突：Lin Apo · 联系电话（本机的值已保留，另一设备的值未被采用，可在人员页按 c 处理）"
            in text
        )
        assert "冲突：Zhang San · 住址（记录已被删除，修改未生效）" in text
        assert re.search(r"时钟比服务器快了约 \d{3} 天", text)
    as_json = cli(lang, "sync", "--json")
    assert as_json.exit_code == 0
    summary = json.loads(as_json.stdout)["summary"]
    (assert_english if lang == "en" else assert_chinese)(summary)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_way_a_sync_or_login_stops_in_each_language(
    lang: str,
    server: Server,
    home: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cli(lang, *INIT).exit_code == 0
    quick_retries(monkeypatch)
    outcomes: list[tuple[int, Result]] = [
        (2, cli(lang, "sync")),  # no server known yet
        (1, cli(lang, "sync", "--server", server.base)),  # not logged in
        (2, cli(lang, "sync", "--server", "ftp://x")),
        (2, cli(lang, "sync", "--server", "http://192.0.2.1:8765")),
        (2, cli(lang, "login", "--server", server.base, "--token-stdin", stdin="\n")),
        (1, cli(lang, "login", "--server", server.base, "--token-stdin", stdin="civ_bad_x")),
        (2, cli(lang, "login", "--server", "http://192.0.2.1", "--token-stdin", stdin="t")),
    ]
    monkeypatch.setenv("CIVTUI_TOKEN", "civ_bad_token")
    outcomes.append((3, cli(lang, "sync", "--server", server.base)))  # token refused
    outcomes.append((1, cli(lang, "sync", "--server", f"http://127.0.0.1:{free_port()}")))
    monkeypatch.setenv("CIVTUI_TOKEN", server.token("Wang", [VILLAGE]))
    assert cli(lang, "sync", "--server", server.base).exit_code == 0
    # Another staff member's valid token on this laptop: its device id is taken.
    monkeypatch.setenv("CIVTUI_TOKEN", server.token("Li", [VILLAGE]))
    store = open_store(Profile("main").db_path, Clock.pinned(TODAY))
    store.save(make_person())
    store.close()
    outcomes.append((3, cli(lang, "sync", "--server", server.base)))
    failed_json = cli(lang, "sync", "--server", server.base, "--json")
    for code, result in outcomes:
        assert result.exit_code == code, result.output
        said_in(lang, result)
    failure = json.loads(failed_json.stdout)
    assert failure["code"] == "device_taken" and not failure["ok"]
    (assert_english if lang == "en" else assert_chinese)(failure["error"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_server_commands_speak_the_language_asked_for(lang: str, tmp_path: Path) -> None:
    database = ["--database", f"sqlite:///{tmp_path / 'server.db'}"]

    def server_cli(*args: str) -> Result:
        return CliRunner().invoke(main, ["--lang", lang, "server", *args, *database])

    outcomes = [
        (1, server_cli("token", "list")),  # not set up yet
        (0, server_cli("init")),
        (0, server_cli("init")),
        (1, server_cli("token", "create", "--staff", "Li", "--role", "assistant", "--village", "9")),
        (0, server_cli("token", "create", "--staff", "Li", "--role", "assistant",
                       "--village", VILLAGE)),
        (1, server_cli("token", "revoke", "nope")),
        (0, server_cli("policy", "set", "advanced_age", "quarterly")),
        (1, server_cli("policy", "set", "old", "quarterly")),
        (1, server_cli("policy", "set", "advanced_age", "weekly")),
        (0, server_cli("policy", "list")),
    ]  # fmt: skip
    token_id = re.split("[:：] *", outcomes[4][1].stderr.splitlines()[0])[-1]
    outcomes.append((0, server_cli("token", "revoke", token_id)))
    outcomes.append((0, server_cli("token", "list")))
    for code, result in outcomes:
        assert result.exit_code == code, result.output
        said_in(lang, result)


def test_a_token_s_village_typed_full_width_is_stored_as_the_village(tmp_path: Path) -> None:
    """A code typed in a Chinese input method's full-width mode is the same village, not a
    second one that looks like it; a code of other digits is refused with the code named."""
    database = ["--database", f"sqlite:///{tmp_path / 'server.db'}"]
    runner = CliRunner()
    assert runner.invoke(main, ["server", "init", *database]).exit_code == 0
    make = ["server", "token", "create", "--staff", "王[/b]=1", "--role", "assistant"]
    made = runner.invoke(main, [*make, "--village", "３３０９０２１１２２０１", *database])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(main, ["server", "token", "list", *database]).output
    assert VILLAGE in listed and "３" not in listed
    refused = runner.invoke(main, [*make, "--village", "33090211220١", *database])
    assert refused.exit_code == 1 and "33090211220١" in refused.output
