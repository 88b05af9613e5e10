"""A model of the whole sync system: several laptops and one server, as vdirsyncer's `SyncMachine`
(tests/unit/sync/test_sync.py) models its storages (issue #12).

Hypothesis drives three laptops — two of village A, and a supervisor whose token covers A
and B — and one real server in process (`tests.sync_model`). Its rules write every
synced record kind through the store and the services the app uses (a person with more
visits than a pull page, then the person edited; a supervisor's record naming one in the
other village), sync one laptop, cut a sync at any request (before the server sees it, or
after it committed and before the answer arrives; pushes and pulls alike), skew a laptop's
clock, restore a laptop from an older copy of its profile and the server from an older copy
of its database, and copy a laptop's profile onto a new laptop that works beside it. Pull
pages and push batches are a few records long, so paging is exercised at every step.

`settle_and_check` syncs the laptops in turn until each has synced, one after another, with
nothing moving (bounded) and checks what must
then hold: each laptop equals the server for its villages, nothing pending or held, every
cursor at the server's version, each laptop holding exactly the conflicts the server
recorded in its villages, open or resolved as there, deletes stay deleted, every record
on the server valid and naming nothing a laptop of its village could not hold, no record
the laptops never made.

CI runs SYNC_MACHINE_EXAMPLES examples (default 300), derandomized, as three tests of a
third each (`test_the_sync_machine[0]`..`[2]`, each from its own seed), so pytest-xdist's
two workers share them. The long run (one command: the three parts share the 5,000):

    SYNC_MACHINE_EXAMPLES=5000 SYNC_MACHINE_RANDOM=1 SYNC_MACHINE_SHRINK=0 \
        .venv/bin/python -m pytest tests/test_sync_machine.py -q -n 2 -k test_the_sync_machine

(SYNC_MACHINE_RANDOM=1: random examples instead of the derandomized sequence;
SYNC_MACHINE_STEPS: rules per example, default 25; SYNC_MACHINE_LOG=<file>: a line per
example, to follow a long run; SYNC_MACHINE_RESTORE_SERVER=0: never restore the server.)
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
import types
import uuid
from collections.abc import Generator, Iterator
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pydantic import ValidationError
from sqlalchemy import select

from civtui.domain import resident_id
from civtui.domain.barthel import ITEMS
from civtui.domain.choices import (
    Category,
    EconomicStatus,
    GuardianSituation,
    Mood,
    NeedStatus,
    NeedType,
    PersonStatus,
    ReferredTo,
)
from civtui.domain.clock import CHINA_TZ
from civtui.domain.models import (
    SYNCED_TYPES,
    Assessment,
    ChildCheck,
    ElderNeed,
    Household,
    MonthClose,
    Person,
    PersonEvent,
    Record,
    Staff,
    Village,
    Visit,
    sync_spec,
)
from civtui.i18n import Translator
from civtui.services import conflicts as conflict_service
from civtui.services import records as record_service
from civtui.services import reports
from db import connection, outbox
from db import store as store_module
from db.store import open_store
from sync import client, words
from sync.client import SyncError
from sync.protocol import Code
from sync.sealed import BundleError
from sync.server import merge, storage
from tests.conftest import examples
from tests.sync_model import (
    ROLES,
    VILLAGE_A,
    VILLAGE_B,
    Fault,
    Laptop,
    Server,
    Templates,
    World,
    as_row,
    finish,
    make_templates,
    run_inline,
)

#: The numbers the current example's uuid4s are taken from (see SyncMachine.__init__).
IDS: list[Iterator[int]] = [itertools.count(1)]
EXAMPLES = int(os.environ.get("SYNC_MACHINE_EXAMPLES", examples(300, 8)))
#: The examples run as this many tests, each its share of EXAMPLES from a seed of its own
#: (its number): pytest-xdist's two workers take one each rather than one worker the whole.
PARTS = 3
PHASES = (
    list(Phase)
    if os.environ.get("SYNC_MACHINE_SHRINK", "1") == "1"
    else [Phase.explicit, Phase.reuse, Phase.generate]
)
#: Random examples rather than the derandomized sequence CI runs.
RANDOM = os.environ.get("SYNC_MACHINE_RANDOM") == "1"
#: A file to append a line to after every example (for long runs).
LOG = os.environ.get("SYNC_MACHINE_LOG")
STEPS = int(os.environ.get("SYNC_MACHINE_STEPS", "25"))
#: Restoring the server from an older copy (SYNC_MACHINE_RESTORE_SERVER=0 leaves it out,
#: to tell a restore's failures from the rest). The machine found three bugs with it, each
#: fixed and kept by a test below.
RESTORE_SERVER = os.environ.get("SYNC_MACHINE_RESTORE_SERVER", "1") == "1"
#: Rounds of "every laptop syncs" before the system must be quiet: a change reaches every
#: laptop in two (pushed in one, pulled in the next), a restored server's in three.
SETTLE_ROUNDS = 6
#: Laptops made by copying another's profile (`laptop_clone`), at most, in an example.
MAX_CLONES = 2
NAMES = ["张三", "李四", "王五", "赵六", "陈七"]
PHONES = ["13905801111", "13905802222", "13905803333", None]
NOTES = ["", "一切正常", "需要复查", "家中无人"]
#: Rejections a record may get when a rule made it name what lies in another village (or
#: one that was itself refused); any other rejection is a bug.
EXPECTED_REFUSALS = {
    Code.REFERENCE_ELSEWHERE,
    Code.PARENT_MISSING,
    Code.RECORD_MISSING,
    Code.OUTSIDE_VILLAGES,
    Code.VILLAGE_UNKNOWN,
    Code.DELETE_MISSING,
    Code.STAFF_VILLAGES,
    # A visit or check dated by a laptop whose clock runs ahead, after the server's today.
    Code.FUTURE_DATE,
}

laptops = st.integers(0, len(ROLES) - 1)
#: What a person reads (sync.words), in the app's default language.
ZH = Translator("zh")


class SyncMachine(RuleBasedStateMachine):
    def __init__(self, templates: Templates, folder: Path) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(dir=folder))
        self.world = World()
        # Ids and device ids are uuid4s: numbered instead, so that an example runs the same
        # every time (which records a rule picks depends on their order).
        IDS[0] = itertools.count(1)
        merge.now_ms = self.world.now_ms  # the server's clock is the world's
        self.server = Server(self.folder, templates.server)
        self.laptops: list[Laptop] = []
        for role in ROLES:
            (self.folder / role.name).mkdir()
            path = self.folder / role.name / "civtui.db"
            shutil.copyfile(templates.profiles[role.name], path)
            store = open_store(path, self.world.clock(0))
            self.laptops.append(Laptop(role, templates.tokens[role.name], store, self.world))
        self.serial = 100
        #: Records a rule made name one in another village, or one of these: the server may
        #: refuse them (and what names them), and nothing else.
        self.tainted: set[tuple[str, str]] = set()
        #: Every record any laptop made: the server holds nothing else.
        self.made: set[tuple[str, str]] = {(t, i) for lap in self.laptops for (t, i) in lap.rows()}
        #: Deletes the server acknowledged: (table, id) -> the laptop that made it.
        self.deletes: dict[tuple[str, str], int] = {}
        #: For each server copy, how many laptop restores came before it.
        self.copy_after: list[int] = []
        self.laptop_restores = 0
        self.restored_server = False
        #: A server restore not yet followed by a settle: laptops may still have to send
        #: again what it lost.
        self.unsettled_restore = False
        #: Each laptop's bundles as they left it, and the replies the server made it, in
        #: order: a rule may carry any of them, an old one or the same one again.
        self.exported: list[list[bytes]] = [[] for _ in ROLES]
        self.replies: list[list[bytes]] = [[] for _ in ROLES]

    def teardown(self) -> None:
        # Hypothesis ends an example that ran out of data by raising through the rules too;
        # only an error of the rules or checks counts as failed.
        raised = sys.exc_info()[1]
        failed = isinstance(raised, Exception) and not isinstance(raised, HypothesisException)
        try:
            if not failed:  # every example ends settled and checked
                settle_and_check(self)
        except BaseException:
            failed = True
            raise
        finally:
            self.close(failed)

    def close(self, failed: bool = False) -> None:
        if LOG:
            with Path(LOG).open("a") as log:  # a long run's progress, one line an example
                log.write(f"{time.strftime('%H:%M:%S')} {'FAIL' if failed else 'ok'}\n")
        for lap in self.laptops:
            lap.store.close()
        self.server.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- set-up ------------------------------------------------------------------------------

    @initialize(page=st.integers(3, 7), batch=st.integers(3, 7))
    def paging(self, page: int, batch: int) -> None:
        # Restored by the test's monkeypatch; pages of a few records make paging happen often.
        client.PULL_PAGE, client.PUSH_BATCH = page, batch

    @initialize()
    def first_people(self) -> None:
        """An elder and a child in A on the first laptop, an elder in B on the supervisor's:
        the rules that need a person have one from the first step."""
        for i, village, child in (
            (0, VILLAGE_A, False),
            (0, VILLAGE_A, True),
            (2, VILLAGE_B, False),
        ):
            lap = self.lap(i)
            person = self.new_person(lap, village, None, child, NAMES[0])
            lap.store.save(person)
            self.made_now(lap, person)
        # A household in each of the supervisor's villages: a person it adds may live in
        # either, and so in one of the other village (which the server must refuse).
        sup = self.lap(2)
        for village in sup.role.villages:
            household = Household(village_code=village, address=f"{village[-3:]}路1号")
            sup.store.save(household)
            self.made_now(sup, household)

    # -- helpers -----------------------------------------------------------------------------

    def lap(self, i: int) -> Laptop:
        lap = self.laptops[i]
        lap.tick()
        return lap

    def pick(self, lap: Laptop, data: st.DataObject, kind: type[Record], where: str = "") -> Any:
        ids = lap.live(kind, where)
        if not ids:
            return None  # the step does nothing: a valid example all the same
        chosen = data.draw(st.sampled_from(ids), label=f"{kind.table} on {lap.name}")
        record = lap.store.get(kind, chosen)
        assert record is not None
        return record

    def made_now(self, lap: Laptop, *records: Record) -> None:
        for record in records:
            key = (record.table, record.id)
            self.made.add(key)
            if self._names_elsewhere(lap, record) or self._dated_ahead(record):
                self.tainted.add(key)

    def _dated_ahead(self, record: Record) -> bool:
        """Whether a visit or check is dated after the world's today: the server refuses it."""
        field = getattr(type(record), "contact_day", None)
        world_today = dt.datetime.fromtimestamp(self.world.now_ms() / 1000, CHINA_TZ).date()
        return field is not None and getattr(record, field) > world_today

    def _names_elsewhere(self, lap: Laptop, record: Record) -> bool:
        """Whether `record` names a tainted record, or one in another village than its own."""
        spec = sync_spec(type(record))
        named = ((spec.parent,) if spec.parent else ()) + spec.refers
        data = record.row()
        own = self.village_of(lap, record.table, record.id, data)
        for column, table in named:
            value = data.get(column)
            if value is None:
                continue
            if (table, str(value)) in self.tainted:
                return True
            if self.village_of(lap, table, str(value)) != own:
                return True
        return False

    def village_of(
        self, lap: Laptop, table: str, record_id: str, data: dict[str, Any] | None = None
    ) -> str | None:
        """A record's village as the laptop holds it: its own field's, else its parent's."""
        kind = SYNCED_TYPES[table]
        if data is None:
            found = list(lap.store.db.query(f"SELECT * FROM [{table}] WHERE id = ?", [record_id]))
            if not found:
                return None
            data = lap.store.load(kind, found[0]).row()
        spec = sync_spec(kind)
        if spec.village is not None:
            value = data.get(spec.village)
            if isinstance(value, list):
                value = value[0] if value else None
            return str(value) if value else None
        assert spec.parent is not None
        column, parent = spec.parent
        return self.village_of(lap, parent, str(data[column]))

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    # -- writing records ---------------------------------------------------------------------

    @rule(i=laptops, data=st.data(), economic=st.sampled_from(list(EconomicStatus)))
    def add_household(self, i: int, data: st.DataObject, economic: EconomicStatus) -> None:
        lap = self.lap(i)
        village = data.draw(st.sampled_from(lap.role.villages), label="village")
        household = Household(
            village_code=village, address=f"海星路{self.next_serial()}号", economic_status=economic
        )
        lap.store.save(household)
        self.made_now(lap, household)

    @rule(i=laptops, data=st.data(), child=st.booleans(), housed=st.booleans())
    def add_person(self, i: int, data: st.DataObject, child: bool, housed: bool) -> None:
        lap = self.lap(i)
        village = data.draw(st.sampled_from(lap.role.villages), label="village")
        household = None
        if housed:
            # Any household the laptop holds: on the supervisor's laptop it may be in the
            # other village, which the server must refuse.
            found = self.pick(lap, data, Household)
            household = found.id if found is not None else None
        name = data.draw(st.sampled_from(NAMES), label="name")
        person = self.new_person(lap, village, household, child, name)
        lap.store.save(person)
        self.made_now(lap, person)

    def new_person(
        self, lap: Laptop, village: str, household: str | None, child: bool, name: str
    ) -> Person:
        birth = dt.date(2016, 3, 4) if child else dt.date(1940, 5, 6)
        categories = [Category.LEFT_BEHIND] if child else [Category.LIVING_ALONE]
        return Person.model_validate(
            {
                "village_code": village,
                "household_id": household,
                "name": name,
                "id_number": resident_id.make("330902", birth, self.next_serial()),
                "categories": categories,
                "registered_on": dt.date(2025, 1, 1),
            },
            context={"today": lap.today},
        )

    @rule(
        i=laptops,
        data=st.data(),
        change=st.sampled_from(["phone", "address", "notes", "household", "status", "category"]),
    )
    def edit_person(self, i: int, data: st.DataObject, change: str) -> None:
        lap = self.lap(i)
        person: Person | None = self.pick(lap, data, Person)
        if person is None:
            return
        fields: dict[str, Any]
        if change == "phone":
            fields = {"phone": data.draw(st.sampled_from(PHONES), label="phone")}
        elif change == "address":
            fields = {"address": f"新路{self.next_serial()}号"}
        elif change == "notes":
            fields = {"notes": data.draw(st.sampled_from(NOTES), label="notes")}
        elif change == "household":
            ids = [None, *lap.live(Household)]
            fields = {"household_id": data.draw(st.sampled_from(ids), label="household")}
        elif change == "status":
            fields = {"status": data.draw(st.sampled_from(list(PersonStatus)), label="status")}
        else:
            flipped = set(person.categories) ^ {Category.EMPTY_NEST}
            fields = {"categories": sorted(flipped)}
        revised = person.revise(context={"today": lap.today}, **fields)
        lap.store.save(revised)
        self.made_now(lap, revised)
        # A status or category change brings its dated events (PersonEvent) along.
        for event in lap.store.all(PersonEvent, "person_id = ?", [person.id]):
            self.made_now(lap, event)

    @rule(i=laptops, data=st.data(), pages=st.integers(1, 3), extra=st.integers(0, 2))
    def add_visits(self, i: int, data: st.DataObject, pages: int, extra: int) -> None:
        """More visits than a pull page or several: the person edited afterwards gets a
        version after all of them (the first stuck pull of issue #12)."""
        lap = self.lap(i)
        person: Person | None = self.pick(lap, data, Person)
        if person is None:
            return
        count = pages * client.PULL_PAGE + extra
        visits = [
            Visit.model_validate(
                {
                    "person_id": person.id,
                    "visit_date": lap.today - dt.timedelta(days=n % 40),
                    "visitor": "王",
                    "mood": list(Mood)[n % len(Mood)],
                },
                context={"today": lap.today},
            )
            for n in range(count)
        ]
        lap.store.save_many(visits)
        self.made_now(lap, *visits)

    @rule(i=laptops, data=st.data(), follow_up=st.booleans(), mood=st.sampled_from(list(Mood)))
    def edit_visit(self, i: int, data: st.DataObject, follow_up: bool, mood: Mood) -> None:
        lap = self.lap(i)
        visit: Visit | None = self.pick(lap, data, Visit)
        if visit is None:
            return
        changes: dict[str, Any] = {"mood": mood}
        if follow_up:
            changes |= {"follow_up_needed": True, "follow_up_note": "送药"}
        else:
            changes |= {"follow_up_needed": False, "follow_up_note": ""}
        with refused_by_the_form():
            lap.store.save(record_service.correct(lap.store, visit, changes, lap.today))

    @rule(
        i=laptops,
        data=st.data(),
        guardian=st.sampled_from(list(GuardianSituation)),
        high=st.booleans(),
    )
    def add_child_check(
        self, i: int, data: st.DataObject, guardian: GuardianSituation, high: bool
    ) -> None:
        lap = self.lap(i)
        child: Person | None = self.pick(lap, data, Person, "id_number LIKE '______2016%'")
        if child is None:
            return
        fields: dict[str, Any] = {
            "person_id": child.id,
            "check_date": lap.today,
            "checker": "李",
            "guardian_situation": guardian,
        }
        if high:
            fields |= {
                "risk_level": "high",
                "reported_at": lap.store.clock.now().replace(tzinfo=None, microsecond=0),
                "reported_to": "乡镇民政办",
            }
        check = ChildCheck.model_validate(fields, context={"today": lap.today})
        lap.store.save(check)
        self.made_now(lap, check)

    @rule(i=laptops, data=st.data(), school=st.sampled_from(["in_school", "dropped_out"]))
    def edit_child_check(self, i: int, data: st.DataObject, school: str) -> None:
        lap = self.lap(i)
        check: ChildCheck | None = self.pick(lap, data, ChildCheck)
        if check is None:
            return
        changes = {"school_status": school, "notes": f"第{self.next_serial()}次"}
        with refused_by_the_form():
            lap.store.save(record_service.correct(lap.store, check, changes, lap.today))

    @rule(i=laptops, data=st.data(), need=st.sampled_from(list(NeedType)))
    def raise_need(self, i: int, data: st.DataObject, need: NeedType) -> None:
        lap = self.lap(i)
        elder: Person | None = self.pick(lap, data, Person, "id_number LIKE '______1940%'")
        if elder is None:
            return
        raised, step = ElderNeed.raise_new(
            at=lap.store.clock.now().replace(tzinfo=None, microsecond=0),
            staff="王",
            context={"today": lap.today},
            person_id=elder.id,
            need_type=need,
            raised_on=lap.today,
        )
        lap.store.save_many([raised, step])
        self.made_now(lap, raised, step)

    @rule(i=laptops, data=st.data())
    def advance_need(self, i: int, data: st.DataObject) -> None:
        lap = self.lap(i)
        need: ElderNeed | None = self.pick(
            lap, data, ElderNeed, "status NOT IN ('resolved', 'unresolvable')"
        )
        if need is None:
            return
        to = data.draw(st.sampled_from(sorted(outbox_next(need.status))), label="to")
        moved, step = need.advance(
            to,
            at=lap.store.clock.now().replace(tzinfo=None, microsecond=0),
            staff="王",
            note="已办理",
            referred_to=ReferredTo.CARE_CENTRE,
        )
        lap.store.save_many([moved, step])
        self.made_now(lap, step)

    @rule(i=laptops, data=st.data(), scores=st.lists(st.integers(0, 3), min_size=10, max_size=10))
    def assess(self, i: int, data: st.DataObject, scores: list[int]) -> None:
        lap = self.lap(i)
        elder: Person | None = self.pick(lap, data, Person, "id_number LIKE '______1940%'")
        if elder is None:
            return
        items = {
            item.field: item.scores[n % len(item.scores)]
            for item, n in zip(ITEMS, scores, strict=True)
        }
        assessment = Assessment.model_validate(
            {"person_id": elder.id, "assessed_on": lap.today, "assessor": "赵", **items},
            context={"today": lap.today},
        )
        lap.store.save(assessment)
        self.made_now(lap, assessment)

    @rule(i=laptops, data=st.data(), score=st.sampled_from([0, 5, 10]))
    def edit_assessment(self, i: int, data: st.DataObject, score: int) -> None:
        lap = self.lap(i)
        assessment: Assessment | None = self.pick(lap, data, Assessment)
        if assessment is None:
            return
        changes = {"feeding": score}
        with refused_by_the_form():
            lap.store.save(record_service.correct(lap.store, assessment, changes, lap.today))

    @rule(i=laptops, data=st.data())
    def edit_event(self, i: int, data: st.DataObject) -> None:
        lap = self.lap(i)
        event: PersonEvent | None = self.pick(lap, data, PersonEvent)
        if event is None:
            return
        with refused_by_the_form():
            lap.store.save(
                event.revise(context={"today": lap.today}, note=f"核实{self.next_serial()}")
            )

    @rule(i=laptops, back=st.integers(0, 2))
    def close_month(self, i: int, back: int) -> None:
        lap = self.lap(i)
        month = (lap.today.replace(day=1) - dt.timedelta(days=1 + 31 * back)).replace(day=1)
        written = reports.close_month(lap.store, month, lap.today)
        self.made_now(lap, *written)

    @rule(i=laptops, data=st.data())
    def rename(self, i: int, data: st.DataObject) -> None:
        lap = self.lap(i)
        kinds: list[type[Record]] = [Village, Staff]
        kind = data.draw(st.sampled_from(kinds), label="kind")
        record = self.pick(lap, data, kind)
        if record is None:
            return
        lap.store.save(record.revise(context={"today": lap.today}, name=f"名{self.next_serial()}"))
        if isinstance(record, Staff) and set(record.village_codes) - set(lap.role.villages):
            # The supervisor's record, naming a village this laptop's token does not cover.
            self.tainted.add((record.table, record.id))

    @rule(
        i=laptops,
        data=st.data(),
        kind=st.sampled_from(
            [Household, Person, Visit, ChildCheck, ElderNeed, Assessment, PersonEvent, MonthClose]
        ),
    )
    def delete(self, i: int, data: st.DataObject, kind: type[Record]) -> None:
        lap = self.lap(i)
        record = self.pick(lap, data, kind)
        if record is None:
            return
        if kind.table in record_service.OPENABLE:
            # As the app deletes: the reason travels with the tombstone; a need's steps go too.
            # A record dated after this laptop's today (its clock behind the one that made
            # it) is refused: the reason is written through the rules, which check the date.
            with refused_by_the_form():
                record_service.delete(lap.store, record, "录错了", lap.today)
        else:
            lap.store.delete(kind, record.id)

    @rule(data=st.data())
    def race(self, data: st.DataObject) -> None:
        """The two laptops of village A change one person's address, neither having seen the
        other's: the server keeps one and records the other as lost, in a conflict that every
        laptop of A then holds (see check_conflicts), and that a person may resolve."""
        first, second = self.lap(0), self.lap(1)
        on_server = self.server.records()
        both = [
            pid
            for pid in sorted(set(first.live(Person)) & set(second.live(Person)))
            if ("persons", pid) not in self.tainted
            and ("persons", pid) in on_server
            and not on_server[("persons", pid)].deleted
        ]
        if not both:
            return
        pid = data.draw(st.sampled_from(both), label="person")
        values = []
        for lap in (first, second):
            person = lap.store.get(Person, pid)
            assert person is not None
            values.append(f"竞路{self.next_serial()}号")
            lap.store.save(person.revise(context={"today": lap.today}, address=values[-1]))
        for i in (0, 1):
            self.world.ms += 1000
            self.lap(i).sync(self.server)
            self.note_acks(i)
        final = self.server.records()[("persons", pid)]
        if final.deleted:
            return  # deleted meanwhile by the supervisor: both edits lost to the delete
        # Each value that did not stay is recorded as lost: against the other one, or against
        # a value of the other laptop's that this one had not seen yet.
        lost = {
            json.loads(c["lost_value"])
            for c in self.server.conflicts()
            if c["record_id"] == pid and c["field"] == "address"
        }
        for value in values:
            assert value == final.data["address"] or value in lost, f"{value} lost unseen"
        # A race is most of the conflicts the machine makes: a person may settle its conflict
        # at once, on the laptop that holds it (a2, by its sync) or on a1 after it syncs.
        then = data.draw(st.sampled_from([None, 1, 0]), label="resolved on")
        if then is not None:
            if then == 0:
                self.sync(0)
            self.resolve_on(then, data, data.draw(st.booleans(), label="take lost"))

    def holding_open(self) -> list[int]:
        """The laptops that hold an open conflict."""
        return [
            i
            for i, lap in enumerate(self.laptops)
            if lap.store.db.execute("SELECT 1 FROM conflicts WHERE resolved = 0 LIMIT 1").fetchone()
        ]

    # Drawn only while a laptop holds an open conflict: they are rare (see `race`).
    @precondition(lambda self: bool(self.holding_open()))
    @rule(data=st.data(), take_lost=st.booleans())
    def resolve_conflict(self, data: st.DataObject, take_lost: bool) -> None:
        """A person settles an open conflict on any laptop (a clone too), as the dialog does
        (`civtui.services.conflicts`): keeping the current value, or taking the one that
        lost. The next sync tells the server, which closes it everywhere (check_conflicts)."""
        i = data.draw(st.sampled_from(self.holding_open()), label="laptop")
        self.resolve_on(i, data, take_lost)

    def resolve_on(self, i: int, data: st.DataObject, take_lost: bool) -> None:
        lap = self.lap(i)
        opened = outbox.open_conflicts(lap.store)
        if not opened:
            return
        chosen = data.draw(st.sampled_from(opened), label="conflict")
        shown = conflict_service.look(lap.store, chosen.id)
        assert shown is not None and not shown.closed
        before = lap.rows().keys()
        with refused_by_the_form():  # the value that lost no longer fits the record
            conflict_service.resolve(lap.store, shown, take_lost=take_lost, today=lap.today)
        # Taking a lost status or category writes its dated history again: new events.
        for table, record_id in sorted(lap.rows().keys() - before):
            made = lap.store.get(SYNCED_TYPES[table], record_id)
            if made is not None:
                self.made_now(lap, made)
        if take_lost and shown.can_take_lost:
            record = lap.store.get(SYNCED_TYPES[chosen.table], chosen.record_id)
            if record is not None:
                self.made_now(lap, record)

    # -- the world around them -----------------------------------------------------------------

    @rule(
        i=laptops, skew=st.sampled_from([0, -3_600_000, -2 * 86_400_000, 600_000, 2 * 86_400_000])
    )
    def skew_clock(self, i: int, skew: int) -> None:
        self.laptops[i].skew_ms = skew

    @rule(ms=st.sampled_from([1, 1000, 60_000, 3_600_000, 86_400_000, 20 * 86_400_000]))
    def time_passes(self, ms: int) -> None:
        self.world.ms += ms

    @rule(i=laptops)
    def sync(self, i: int) -> None:
        lap = self.lap(i)
        self.world.ms += 1000
        report = lap.sync(self.server)
        self.note_acks(i)
        self.check_refusals(report)
        check_told(lap, report)

    @rule(i=laptops, at=st.integers(1, 8), after=st.booleans(), attempts=st.integers(1, 2))
    def sync_cut(self, i: int, at: int, after: bool, attempts: int) -> None:
        """A sync whose `at`-th request is lost: before the server sees it, or after the
        server committed (its answer lost); with two attempts, the client tries again."""
        lap = self.lap(i)
        self.world.ms += 1000
        try:
            report = lap.sync(self.server, Fault(at, after), attempts)
        except client.OfflineError:
            pass
        else:
            self.check_refusals(report)
        self.note_acks(i)

    # -- sync on a USB stick (sync.bundle): the same pushes and pulls, carried by hand --------

    @rule(i=laptops)
    def bundle_export(self, i: int) -> None:
        lap = self.lap(i)
        self.exported[i].append(lap.export_bundle())

    @precondition(lambda self: any(self.exported))
    @rule(data=st.data())
    def bundle_to_server(self, data: st.DataObject) -> None:
        """The township imports a bundle: the newest, an older one after it, or one again."""
        i = data.draw(st.sampled_from([n for n, made in enumerate(self.exported) if made]))
        carried = data.draw(st.sampled_from(self.exported[i]), label="bundle")
        self.world.ms += 1000
        done = self.server.import_bundle(carried)
        for reason in done.refused:
            # What a sync sets right by itself, the reply's import sets right the same way.
            assert reason.code in (Code.SEQUENCE_REUSED, Code.SERVER_BEHIND), reason
        self.replies[i].append(done.reply)

    @precondition(lambda self: any(self.replies))
    @rule(data=st.data())
    def reply_import(self, data: st.DataObject) -> None:
        """A laptop imports a reply: its newest, an older one, one already imported, or one
        made for another laptop. Each is applied, or refused with nothing written."""
        i = data.draw(laptops, label="laptop")
        j = data.draw(st.sampled_from([n for n, made in enumerate(self.replies) if made]))
        carried = data.draw(st.sampled_from(self.replies[j]), label="reply")
        lap = self.lap(i)
        before = lap.rows(), outbox.cursor(lap.store), lap.store.pending_count()
        try:
            report = lap.import_reply(carried)
        except BundleError as refused:
            assert (lap.rows(), outbox.cursor(lap.store), lap.store.pending_count()) == before
            if i != j:
                assert refused.code is Code.BUNDLE_UNREADABLE  # sealed to the other's key
            else:
                assert refused.code in (
                    Code.BUNDLE_ALREADY, Code.BUNDLE_STALE, Code.BUNDLE_GAP,
                    Code.BUNDLE_OTHER_LAPTOP,  # a new device id since the bundle left
                ), refused.reason  # fmt: skip
        else:
            assert i == j, "a reply for another laptop was applied"
            self.check_refusals(report)
        self.note_acks(i)

    @rule(i=laptops)
    def laptop_copy(self, i: int) -> None:
        self.laptops[i].keep_copy()

    @precondition(lambda self: len(self.laptops) < len(ROLES) + MAX_CLONES)
    @rule(i=laptops)
    def laptop_clone(self, i: int) -> None:
        """Laptop i's profile is copied onto a new laptop (the same device id), which adds a
        household. Both go on working (`clone_works`): every copy after the first to sync must take a new id and
        be told, and none is told of a conflict between its own ids."""
        source = self.lap(i)
        lap = source.clone(f"{source.name}-clone{len(self.laptops)}")
        self.laptops.append(lap)
        self.exported.append([])
        self.replies.append([])
        # Set up to be used: its first record. (A copy that never writes is the same
        # laptop as its original, and may share its id.)
        made = Household(village_code=lap.role.villages[0], address=f"克隆路{self.next_serial()}号")
        lap.store.save(made)
        self.made_now(lap, made)

    @precondition(lambda self: len(self.laptops) > len(ROLES))
    @rule(data=st.data(), household=st.booleans(), sync=st.booleans())
    def clone_works(self, data: st.DataObject, household: bool, sync: bool) -> None:
        """A clone changes a person's address (perhaps one only its original ever wrote,
        which the original may have changed since the copy) or adds a household, and syncs."""
        i = data.draw(st.integers(len(ROLES), len(self.laptops) - 1), label="clone")
        lap = self.lap(i)
        person: Person | None = None if household else self.pick(lap, data, Person)
        if person is not None:
            revised = person.revise(
                context={"today": lap.today}, address=f"克隆路{self.next_serial()}号"
            )
            lap.store.save(revised)
            self.made_now(lap, revised)
        else:
            village = data.draw(st.sampled_from(lap.role.villages), label="village")
            made = Household(village_code=village, address=f"克隆路{self.next_serial()}号")
            lap.store.save(made)
            self.made_now(lap, made)
        if sync:
            self.world.ms += 1000
            report = lap.sync(self.server)
            self.note_acks(i)
            self.check_refusals(report)
            check_told(lap, report)

    # A change lost by both its laptop (set up again from a copy older than the change) and
    # the server (restored from a copy older than its arrival) is gone for good: the two
    # restores are kept from hitting the same change. A laptop is restored only once every
    # laptop has sent again what a restored server lost; the server only from a copy taken
    # after the last laptop restore.

    @precondition(lambda self: not self.unsettled_restore)
    @rule(i=laptops, data=st.data())
    def laptop_restore(self, i: int, data: st.DataObject) -> None:
        lap = self.laptops[i]
        if not lap.copies:
            return
        lap.restore(data.draw(st.integers(0, len(lap.copies) - 1), label="copy"))
        self.laptop_restores += 1

    @precondition(lambda self: not self.unsettled_restore)
    @rule(i=laptops, data=st.data())
    def restored_edits_again(self, i: int, data: st.DataObject) -> None:
        """A laptop restored from its own backup edits again what it edited after the
        backup: a copy is kept, the laptop changes a person's address and syncs, is
        restored from the copy, and changes the same address again before its next sync.
        That sync beats its own older value, left under the id it gives up there: no laptop
        may show the loss open unless that id speaks again (`check_former_losses`)."""
        lap = self.lap(i)
        person: Person | None = self.pick(lap, data, Person)
        if person is None:
            return
        copy = lap.keep_copy()
        self.change_address(lap, person)
        self.world.ms += 1000
        report = lap.sync(self.server)
        self.note_acks(i)
        self.check_refusals(report)
        check_told(lap, report)
        lap.restore(copy)
        self.laptop_restores += 1
        self.world.ms += 1000
        lap = self.lap(i)
        again = lap.store.get(Person, person.id)
        assert again is not None, "the copy was kept after the person was there"
        self.change_address(lap, again)

    def change_address(self, lap: Laptop, person: Person) -> None:
        revised = person.revise(
            context={"today": lap.today}, address=f"复原路{self.next_serial()}号"
        )
        lap.store.save(revised)
        self.made_now(lap, revised)

    @rule()
    def server_copy(self) -> None:
        self.server.keep_copy()
        self.copy_after.append(self.laptop_restores)

    @precondition(lambda self: RESTORE_SERVER)
    @rule(data=st.data())
    def server_restore(self, data: st.DataObject) -> None:
        usable = [n for n, after in enumerate(self.copy_after) if after == self.laptop_restores]
        if not usable:
            return
        number = data.draw(st.sampled_from(usable), label="server copy")
        self.server.restore(number)
        self.world.ms += 60_000  # a restore takes the office a while
        # Deletes it lost come back as their laptops send them again (note_acks).
        kept = self.server.records()
        self.deletes = {k: v for k, v in self.deletes.items() if k in kept and kept[k].deleted}
        self.restored_server = True
        self.unsettled_restore = True

    # -- what must hold ------------------------------------------------------------------------

    def note_acks(self, i: int) -> None:
        """Remember the deletes the server acknowledged: they stay deleted."""
        # Asked in SQL: loading the laptop's whole change log as models after every sync,
        # to keep only these, cost 0.5 s of a part's CPU, the query 0.1 s.
        acknowledged = self.laptops[i].store.db.execute(
            "SELECT table_name, record_id FROM changes "
            "WHERE op = 'delete' AND status = 'accepted' ORDER BY seq"
        )
        for table, record_id in acknowledged:
            self.deletes.setdefault((str(table), str(record_id)), i)

    def check_refusals(self, report: client.SyncReport) -> None:
        for reason in report.rejected_reasons:
            assert reason.code in EXPECTED_REFUSALS, reason

    @rule()
    def settle(self) -> None:
        settle_and_check(self)


def refused_by_the_form() -> AbstractContextManager[None]:
    """A correction the domain rules refuse, as the form would: nothing is written. (A record
    dated by a laptop whose clock ran ahead is in the future for the others until its day
    comes, and its date must be changed before anything else of it can be.)"""
    return suppress(ValidationError)


def outbox_next(status: NeedStatus) -> set[NeedStatus]:
    from civtui.domain.models import NEED_WORKFLOW

    return set(NEED_WORKFLOW[status])


def settle_and_check(machine: SyncMachine) -> None:
    """Sync every laptop until nothing moves, then check everything that must then hold.

    The laptops sync in turn, round after round, and the system is quiet once each has
    synced, one after another, with nothing moving: the last sync of every laptop moved
    nothing and nothing moved after it. That can end in the middle of a round (a round
    where only the first laptops pulled needs only them again), which a quiet full round
    would have shown at the price of the other laptops' syncs once more."""
    for lap in machine.laptops:
        lap.tick()
    quiet = 0  # syncs in a row that moved nothing
    for step in range(SETTLE_ROUNDS * len(machine.laptops)):
        i = step % len(machine.laptops)
        lap = machine.laptops[i]
        machine.world.ms += 1000
        lap.tick()
        try:
            report = lap.sync(machine.server)
        except SyncError as exc:
            raise AssertionError(f"{lap.name} cannot sync: {exc}") from exc
        machine.note_acks(i)
        machine.check_refusals(report)
        check_told(lap, report)
        moved = bool(
            report.pushed
            or report.pulled
            or report.pulled_conflicts
            or report.resent
            or report.new_device_id
        )
        quiet = 0 if moved else quiet + 1
        if quiet == len(machine.laptops):
            break
    else:
        raise AssertionError(f"still moving after {SETTLE_ROUNDS} rounds of sync")
    machine.unsettled_restore = False
    check_quiet(machine)


def check_told(lap: Laptop, report: client.SyncReport) -> None:
    """A laptop is never told of a conflict in which a value of one of its former device ids
    (those it held before a restore or a clone made it start over) lost to one of its own,
    nor that its value lost where the value kept is its current id's. (Its current id's value
    that lost to a former id's is told: a clone that kept that id may have made it.)"""
    if report.new_device_id:
        # A copied or restored profile is told it took a new id and lost nothing.
        said = [words.say(reason, ZH) for reason in client.summary(report)]
        assert ZH("sync.code.new_device") in said, f"{lap.name} not told of its new id: {said}"
    mine = outbox.own_devices(lap.store)
    now = lap.store.device_id
    for reason in report.found:
        p = reason.params
        sides = {
            (str(kept), str(lost))
            for kept, lost in lap.store.db.execute(
                "SELECT kept_device, lost_device FROM conflicts "
                "WHERE table_name = ? AND record_id = ? AND field = ?",
                [p["table"], p["id"], p["field"]],
            )
        }
        assert sides, f"{lap.name} named a conflict it does not hold: {p}"
        if all(kept in mine and lost in mine and lost != now for kept, lost in sides):
            raise AssertionError(f"{lap.name} told of a conflict between its own ids: {p}")
        if p["side"] == "lost_here":
            assert any(kept != now for kept, _ in sides), (
                f"{lap.name} told its value lost where its own was kept: {p}"
            )


def check_quiet(machine: SyncMachine) -> None:
    server = machine.server
    top = server.version()
    on_server = server.records()
    check_server(machine, on_server)
    ids = [lap.store.device_id for lap in machine.laptops]
    # Each copy of a profile that wrote after the copy was made has an id of its own: the
    # first to sync keeps the original, every other took a new one at its first sync.
    assert len(set(ids)) == len(ids), f"laptops share a device id: {ids}"
    conflicts = server.conflicts()
    for lap in machine.laptops:
        store = lap.store
        assert store.pending_count() == 0, f"{lap.name}: changes still pending"
        assert outbox.held_count(store) == 0, f"{lap.name} holds {outbox.held_records(store)}"
        assert outbox.cursor(store) == top, f"{lap.name}: cursor {outbox.cursor(store)} < {top}"
        refused = {(c.table_name, c.record_id) for c in store.changes(status="rejected")}
        assert refused <= machine.tainted, f"{lap.name}: refused {refused - machine.tainted}"
        mine = {
            key: (as_row(key[0], r.data), r.deleted)
            for key, r in on_server.items()
            if r.village in lap.role.villages
        }
        held = {key: value for key, value in lap.rows().items() if key not in refused}
        for key in mine.keys() - refused:
            assert key in held, f"{lap.name} lacks {key}: {mine[key]}"
            assert held[key] == mine[key], f"{lap.name} differs on {key}:\n{held[key]}\n{mine[key]}"
        extra = held.keys() - mine.keys()
        assert not extra, f"{lap.name} holds what the server lacks: {sorted(extra)}"
        check_conflicts(lap, conflicts)
    check_former_losses(machine, conflicts)
    for key, i in machine.deletes.items():
        if key in on_server:
            assert on_server[key].deleted, f"{key} deleted by {machine.laptops[i].name} lives again"
        else:
            # Only a server restored from a copy before the delete can lack it, and then only
            # until the laptop sends it again, which it does unless it too went back to a copy.
            assert machine.restored_server, f"{key} deleted on the server is gone"


def check_server(machine: SyncMachine, on_server: dict[tuple[str, str], Any]) -> None:
    """Every record on the server is one a laptop made, is valid, and names nothing a laptop of
    its village cannot hold."""
    phantom = on_server.keys() - machine.made
    assert not phantom, f"the server holds records no laptop made: {sorted(phantom)}"
    for (table, record_id), record in on_server.items():
        as_row(table, record.data)  # valid as its model, or this raises
        spec = sync_spec(SYNCED_TYPES[table])
        named = ((spec.parent,) if spec.parent else ()) + spec.refers
        for column, other in named:
            value = record.data.get(column)
            if value is None:
                continue
            there = on_server.get((other, str(value)))
            assert there is not None, f"{table} {record_id} names {other} {value}: not there"
            assert there.village == record.village, (
                f"{table} {record_id} of {record.village} names {other} {value} of {there.village}"
            )


def check_conflicts(lap: Laptop, on_server: list[dict[str, Any]]) -> None:
    """The laptop holds exactly the conflicts the server recorded in its villages, each as it
    was recorded and open or resolved as on the server: a resolution made on any laptop (or
    a conflict a restored server lost and got back, or a resolution it lost) has reached
    every laptop, and no laptop holds one the server does not."""
    mine = {
        c["id"]: (
            c["table_name"],
            c["record_id"],
            c["field"],
            c["kept_device"],
            c["lost_device"],
            c["resolved_version"] is not None,
        )
        for c in on_server
        if c["village_code"] in lap.role.villages
    }
    held = {
        int(r[0]): (*r[1:6], bool(r[6]))
        for r in lap.store.db.execute(
            "SELECT id, table_name, record_id, field, kept_device, lost_device, resolved "
            "FROM conflicts"
        )
    }
    missing = {k: (v, held.get(k)) for k, v in mine.items() if held.get(k) != v}
    assert not missing, f"{lap.name} differs on conflicts (server's, laptop's): {missing}"
    extra = {k: v for k, v in held.items() if k not in mine}
    assert not extra, f"{lap.name} holds conflicts the server lacks: {extra}"


def check_former_losses(machine: SyncMachine, on_server: list[dict[str, Any]]) -> None:
    """No laptop shows open a loss of an id a laptop gave up to that laptop's later id,
    unless the given-up id spoke again since (a copy kept it: a clone); and each loss
    closed so whose id spoke again is open again, as another conflict of the same loss
    (`merge.FormerIds`). Which id replaced which is the server's record. Not after a
    server restore: the server may then have forgotten that an id spoke, and a laptop
    hands back the loss as it holds it."""
    if machine.restored_server:
        return
    with machine.server.engine.connect() as conn:
        named = conn.execute(select(storage.former_ids)).all()
    heard = {str(r.former_id) for r in named if r.heard is not None}
    replaced = {(str(r.former_id), str(r.device_id)) for r in named}
    for lap in machine.laptops:
        for shown in outbox.open_conflicts(lap.store):
            if (
                shown.lost_device,
                shown.kept_device,
            ) in replaced and shown.lost_device not in heard:
                raise AssertionError(
                    f"{lap.name} shows open a loss of {shown.lost_device} to the laptop that "
                    f"gave that id up: {shown}"
                )

    def loss(c: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("table_name", "record_id", "field", "lost_device")
        return (*(c[k] for k in keys), c["lost_made"] or c["lost_hlc"])

    opened = {loss(c) for c in on_server if not c["closed_as_former"]}
    for c in on_server:
        if c["closed_as_former"] and c["lost_device"] in heard:
            assert loss(c) in opened, f"a loss of {c['lost_device']} not opened again: {c}"


#: Session-wide, not per module: a module fixture keeps the module's tests on one xdist
#: worker (tests/conftest.py), and the machine's parts are to run on both.
@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return make_templates(tmp_path_factory.mktemp("templates"))


def machine_settings(count: int = EXAMPLES) -> settings:
    return settings(
        max_examples=count,
        stateful_step_count=STEPS,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        # SYNC_MACHINE_SHRINK=0: report the first failing example as found, unshrunk.
        phases=PHASES,
    )


@pytest.fixture
def in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """What the machine changes around the code it runs, undone after the test; yields the
    folder its examples live in."""
    monkeypatch.setattr(client, "PULL_PAGE", client.PULL_PAGE)
    monkeypatch.setattr(client, "PUSH_BATCH", client.PUSH_BATCH)
    monkeypatch.setattr(merge, "now_ms", merge.now_ms)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(IDS[0])))
    run_inline(monkeypatch)
    # No fsync on the laptops either (see tests.sync_model.Server).
    monkeypatch.setattr(connection, "SYNCHRONOUS", "OFF")
    monkeypatch.setattr(store_module, "SYNCHRONOUS", "OFF")
    # In memory where the system has a tmpfs: thousands of small files come and go.
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="sync-machine-", dir=shm)) if shm.is_dir() else tmp_path
    try:
        yield base
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


def share(part: int) -> int:
    """The examples part `part` runs: EXAMPLES in PARTS shares as equal as they go."""
    return EXAMPLES // PARTS + (part < EXAMPLES % PARTS)


@pytest.mark.parametrize("part", range(PARTS))
def test_the_sync_machine(templates: Templates, in_process: Path, part: int) -> None:
    def factory() -> SyncMachine:
        return SyncMachine(templates, in_process)

    # Derandomized, each part draws from its own seed: the parts are different examples,
    # the same on every run. SYNC_MACHINE_RANDOM=1: fresh random examples in every part.
    run_state_machine_as_test(
        # A factory is what hypothesis calls; its stubs name only the class.
        factory if RANDOM else seed(part)(factory),  # type: ignore[arg-type]
        settings=machine_settings(share(part)),
    )


def test_the_loopless_transport_refuses_an_await_that_would_wait() -> None:
    """`finish` runs the app with no loop under it: an await that would wait (a lock, an
    event, a thread's answer) is an error naming it, never a hang nor a result made up."""

    async def body() -> str:
        return "答复[/]"

    async def answers() -> str:
        return await body()  # an await that does not wait runs through

    assert finish(answers()) == "答复[/]"

    @types.coroutine
    def pending() -> Generator[str, None, None]:
        yield "a future not done"  # what a loop's await hands its loop to wait on

    async def waits() -> str:
        await pending()
        return "never"

    with pytest.raises(RuntimeError, match="waited on 'a future not done'"):
        finish(waits())


def test_a_laptop_past_a_restored_server_gets_what_came_after(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine. The server, restored from a copy, numbered new changes from the
    copy's version on; a laptop whose cursor had passed it pulled from min(cursor, top)
    (`merge.pull`) and never got what others wrote in between. Versions are now at least
    the server's wall clock (`merge._after`), so what is written after a restore lies past
    every cursor."""
    machine = SyncMachine(templates, in_process)
    try:
        machine.server_copy()
        settle_and_check(machine)  # everyone's cursor is now past the copy's version
        machine.server.restore(0)
        machine.world.ms += 60_000
        second = machine.lap(1)
        person = machine.new_person(second, VILLAGE_A, None, False, NAMES[1])
        second.store.save(person)
        machine.made_now(second, person)
        second.sync(machine.server)  # sends again what the server lost, and the person
        settle_and_check(machine)  # the first laptop never pulls the person
    finally:
        machine.close()


def test_an_ahead_laptop_s_pushes_in_one_server_millisecond_keep_their_order(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine's long run (example 1,002). The server holds back a stamp from
    a clock that runs ahead to its own time, numbering the held-back stamps of one push on;
    a second push in the same server millisecond numbered from 1 again, tied with the first
    push's stamp on the same record, and the later edit was dropped as the older one while
    the laptop was told it was accepted. A held-back stamp now comes after the device's own
    latest stamp on the record (`merge._Clamp`)."""
    machine = SyncMachine(templates, in_process)
    try:
        ahead = machine.lap(0)
        ahead.skew_ms = 3_600_000  # an hour ahead; the world's clock stands still
        ahead.tick()
        person = machine.new_person(ahead, VILLAGE_A, None, False, NAMES[1])
        ahead.store.save(person)
        machine.made_now(ahead, person)
        ahead.sync(machine.server)
        ahead.store.save(person.revise(context={"today": ahead.today}, phone=PHONES[1]))
        ahead.sync(machine.server)
        assert machine.server.records()[("persons", person.id)].data["phone"] == PHONES[1]
        settle_and_check(machine)
    finally:
        machine.close()


def test_a_record_refused_for_a_parent_a_restored_server_lost_goes_again_once_it_is_back(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine with server restores on. A server restored from a copy lost a
    person and a visit of it made on another laptop; the visit's laptop synced first, sent
    the visit again and was refused (parent_missing), for good. Now the refusal waits for
    the person: when the person's own laptop has sent it again and a pull brings it, the
    visit goes again (`outbox.send_refused_again`)."""
    machine = SyncMachine(templates, in_process)
    try:
        maker, other = machine.lap(0), machine.lap(1)
        settle_and_check(machine)
        machine.server_copy()  # the server's copy: before the person
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[2])
        maker.store.save(person)
        machine.made_now(maker, person)
        maker.sync(machine.server)
        other.sync(machine.server)
        visit = Visit.model_validate(
            {"person_id": person.id, "visit_date": other.today, "visitor": "王", "mood": Mood.GOOD},
            context={"today": other.today},
        )
        other.store.save(visit)
        machine.made_now(other, visit)
        other.sync(machine.server)
        machine.server.restore(0)
        machine.world.ms += 60_000
        first = machine.lap(1).sync(machine.server)  # the visit again, before its person
        assert [r.code for r in first.rejected_reasons] == [Code.PARENT_MISSING]
        machine.lap(0).sync(machine.server)  # the person again
        again = machine.lap(1).sync(machine.server)
        assert again.sent_again == 1
        assert ("visits", visit.id) in machine.server.records()
        assert other.store.changes(status="rejected") == []
        settle_and_check(machine)
    finally:
        machine.close()


def test_an_acknowledged_edit_does_not_count_as_having_seen_the_record(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine (the race rule, with pushes of three changes a batch). The
    second laptop's phone edit was acknowledged at a version after the first laptop's new
    address; the laptop took that version as the one it had seen, so its own address edit,
    older and sent in the next batch, was not concurrent to the server and lost without a
    conflict. Only a pull now says what a laptop has seen (`outbox.record_acks`)."""
    machine = SyncMachine(templates, in_process)
    try:
        first, second = machine.lap(0), machine.lap(1)
        person = machine.new_person(first, VILLAGE_A, None, False, NAMES[3])
        first.store.save(person)
        machine.made_now(first, person)
        settle_and_check(machine)
        client.PUSH_BATCH = 1  # the phone edit acknowledged before the address is sent
        second = machine.lap(1)
        held = second.store.get(Person, person.id)
        assert held is not None
        second.store.save(held.revise(context={"today": second.today}, phone=PHONES[2]))
        second.store.save(
            held.revise(context={"today": second.today}, phone=PHONES[2], address="竞路1号")
        )
        machine.world.ms += 1000
        first = machine.lap(0)  # later: its address wins
        first.store.save(person.revise(context={"today": first.today}, address="竞路2号"))
        first.sync(machine.server)
        machine.world.ms += 1000
        machine.lap(1).sync(machine.server)
        record = machine.server.records()[("persons", person.id)]
        assert record.data["address"] == "竞路2号"
        lost = [
            json.loads(c["lost_value"])
            for c in machine.server.conflicts()
            if c["record_id"] == person.id and c["field"] == "address"
        ]
        assert lost == ["竞路1号"]
        settle_and_check(machine)
    finally:
        machine.close()


def race_on_address(machine: SyncMachine, person: Person, serial: int) -> None:
    """The two laptops of A set the person's address without seeing each other's."""
    for i in (0, 1):
        lap = machine.lap(i)
        held = lap.store.get(Person, person.id)
        assert held is not None
        lap.store.save(held.revise(context={"today": lap.today}, address=f"竞路{serial + i}号"))
    for i in (0, 1):
        machine.world.ms += 1000
        machine.lap(i).sync(machine.server)


def test_conflicts_after_a_server_restore_get_ids_of_their_own(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine's long run (example 1,312). Conflict ids were a dense count: a
    server restored from a copy gave the next conflict the id a laptop already held for one
    the restore lost; the laptop stored it over that one, and its cursor was past the
    conflicts the copy still held, so it never had them again. Conflicts are now numbered
    as versions are (`merge._WorkingSet.flush`)."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[4])
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        machine.server_copy()
        race_on_address(machine, person, 10)
        settle_and_check(machine)
        (before,) = machine.server.conflicts()
        machine.server.restore(0)
        machine.world.ms += 60_000
        settle_and_check(machine)
        race_on_address(machine, person, 20)
        settle_and_check(machine)
        # The one the restore lost is back (its laptops sent it), beside the new one, and
        # once: the losing laptop's edit, sent again, makes the same loss again, which the
        # server holds already (`merge._loss`).
        conflicts = machine.server.conflicts()
        after = {c["id"] for c in conflicts}
        assert len(after) == 2 and before["id"] in after
        for lap in machine.laptops[:2]:
            held = {r[0] for r in lap.store.db.execute("SELECT id FROM conflicts")}
            assert held == after
    finally:
        machine.close()


def test_an_edit_of_a_record_a_restored_server_lost_goes_again_once_it_is_back(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine's long run (example 1,507). The server, restored from a copy
    made before any sync, lacked the second laptop's staff record; the first laptop renamed
    it and synced first, and the edit (a name only) was refused for good (village_unknown).
    The server now says the record is missing (`record_missing`), and the edit waits for
    the record as a refused child waits for its parent."""
    machine = SyncMachine(templates, in_process)
    try:
        machine.server_copy()
        settle_and_check(machine)
        machine.server.restore(0)
        machine.world.ms += 60_000
        first = machine.lap(0)
        theirs = next(
            s for s in first.store.all(Staff) if s.name == f"员工{machine.laptops[1].name}"
        )
        first.store.save(theirs.revise(context={"today": first.today}, name="新名字"))
        report = first.sync(machine.server)
        assert Code.RECORD_MISSING in [r.code for r in report.rejected_reasons]
        settle_and_check(machine)
        assert machine.server.records()[("staff", theirs.id)].data["name"] == "新名字"
    finally:
        machine.close()


def test_a_tombstone_gets_an_edit_a_restored_server_lost_before_the_delete(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine in random mode. Server copy taken; the supervisor wrote a
    person's notes; a1 pulled them and deleted the person; the server came back from the
    copy. a1 sent its delete again, the supervisor its notes: the server refused the notes
    as an edit of a deleted record, so its tombstone kept the copy's notes while a1's held
    the supervisor's. A tombstone's fields now merge by their stamps like a live record's."""
    machine = SyncMachine(templates, in_process)
    try:
        maker, sup = machine.lap(0), machine.lap(2)
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[1])
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        machine.server_copy()
        held = sup.store.get(Person, person.id)
        assert held is not None
        sup.store.save(held.revise(context={"today": sup.today}, notes="家中无人"))
        machine.world.ms += 1000
        sup.sync(machine.server)
        machine.world.ms += 1000
        maker = machine.lap(0)
        maker.sync(machine.server)
        maker.store.delete(Person, person.id)
        machine.world.ms += 1000
        maker.sync(machine.server)
        machine.note_acks(0)
        machine.server.restore(0)
        machine.world.ms += 60_000
        settle_and_check(machine)
        on_server = machine.server.records()[("persons", person.id)]
        assert on_server.deleted and on_server.data["notes"] == "家中无人"
    finally:
        machine.close()


def test_a_record_refused_for_its_own_laptops_record_goes_again_once_that_is_taken(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine (300 examples). The server, restored from a copy, lacked a
    household of the supervisor's; a1 sent again its new person living there and an
    assessment of that person: both refused (parent_missing). The person went again once
    the household arrived, but the assessment waited for the person to arrive by pull,
    and a pull never brings a laptop a record only it wrote. The server taking the person
    now ends the wait (`outbox._note_taken`)."""
    client.PULL_PAGE, client.PUSH_BATCH = 3, 3
    machine = SyncMachine(templates, in_process)
    try:
        machine.first_people()
        machine.server_copy()
        settle_and_check(machine)
        first = machine.lap(0)
        household = next(h for h in first.store.all(Household) if h.village_code == VILLAGE_A)
        person = machine.new_person(first, VILLAGE_A, household.id, False, NAMES[0])
        first.store.save(person)
        items = {item.field: item.scores[-1] for item in ITEMS}
        assessment = Assessment.model_validate(
            {"person_id": person.id, "assessed_on": first.today, "assessor": "赵", **items},
            context={"today": first.today},
        )
        first.store.save(assessment)
        machine.made_now(first, person, assessment)
        machine.server.restore(0)
        machine.world.ms += 60_000
        settle_and_check(machine)
        assert ("assessments", assessment.id) in machine.server.records()
    finally:
        machine.close()


@pytest.mark.parametrize("resolved_before_returned", [False, True], ids=["returned", "resolved"])
def test_a_conflict_a_restored_server_lost_closes_everywhere(
    templates: Templates, in_process: Path, resolved_before_returned: bool
) -> None:
    """Issue #32: a conflict made after the server's copy was gone from the restored server,
    open on both laptops; resolving it on one left it open on the other, for good. Laptops
    now send back the conflicts they hold when they find the server restored, and each
    conflict they resolve whole (`merge._take_back`)."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[4])
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        machine.server_copy()
        race_on_address(machine, person, 10)
        settle_and_check(machine)
        (made,) = machine.server.conflicts()
        machine.server.restore(0)
        machine.world.ms += 60_000
        first = machine.lap(0)
        if resolved_before_returned:
            outbox.resolve_conflict(first.store, made["id"])
        settle_and_check(machine)
        back = {c["id"]: c for c in machine.server.conflicts()}
        assert made["id"] in back
        if not resolved_before_returned:
            for lap in machine.laptops[:2]:
                held = {c.id for c in outbox.open_conflicts(lap.store)}
                opened = {i for i, c in back.items() if c["resolved_version"] is None}
                assert held == opened, lap.name  # the server and both laptops agree
            outbox.resolve_conflict(first.store, made["id"])
            settle_and_check(machine)
        for lap in machine.laptops[:2]:
            assert made["id"] not in {c.id for c in outbox.open_conflicts(lap.store)}, lap.name
        closed = {c["id"]: c["resolved_version"] for c in machine.server.conflicts()}
        assert closed[made["id"]] is not None
    finally:
        machine.close()


@pytest.mark.parametrize("loser_first", [True, False], ids=["loser-first", "winner-first"])
def test_a_conflict_a_restored_server_lost_is_one_conflict_again(
    templates: Templates, in_process: Path, loser_first: bool
) -> None:
    """Issue #32: after a server restore, the conflict it lost came back twice, both open:
    put back by the laptops that held it, and made anew by the losing edit sent again. A
    conflict is now the loss it records (`merge._loss`): the server makes the same loss
    once, whichever laptop syncs first, every laptop holds it as the server does, and a
    person resolving it on the laptop that did not lose closes it everywhere."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, "[/]王=秀英")
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        machine.server_copy()
        race_on_address(machine, person, 10)  # a1's address lost to a2's
        settle_and_check(machine)
        (made,) = machine.server.conflicts()
        machine.server.restore(0)
        machine.world.ms += 60_000
        for i in (0, 1) if loser_first else (1, 0):
            machine.sync(i)
        settle_and_check(machine)
        same = [
            c
            for c in machine.server.conflicts()
            if (c["record_id"], c["lost_hlc"]) == (person.id, made["lost_hlc"])
            and c["resolved_version"] is None
        ]
        assert len(same) == 1, same
        (open_id,) = [c["id"] for c in same]
        for lap in machine.laptops:
            assert [c.id for c in outbox.open_conflicts(lap.store)] == [open_id], lap.name
        outbox.resolve_conflict(machine.lap(1).store, open_id)
        settle_and_check(machine)
        assert all(c["resolved_version"] for c in machine.server.conflicts())
        for lap in machine.laptops:
            assert outbox.open_conflicts(lap.store) == [], lap.name
    finally:
        machine.close()


def resolved_then_restored(machine: SyncMachine) -> tuple[dict[str, Any], Laptop]:
    """a1 and a2 race on a person's address (a conflict, open), the server's copy is taken,
    a1 resolves it and every laptop settles (closed everywhere), then the server is restored
    from the copy (open again there). Gives the conflict as the server held it, and a1."""
    maker = machine.lap(0)
    person = machine.new_person(maker, VILLAGE_A, None, False, "[/]王=秀英")
    maker.store.save(person)
    machine.made_now(maker, person)
    settle_and_check(machine)
    race_on_address(machine, person, 10)
    settle_and_check(machine)
    (made,) = machine.server.conflicts()
    machine.server_copy()
    outbox.resolve_conflict(maker.store, made["id"])
    settle_and_check(machine)
    machine.server.restore(0)
    return made, maker


def test_a_resolution_a_restored_server_lost_closes_the_conflict_there_again(
    templates: Templates, in_process: Path
) -> None:
    """Issue #32: a1 resolved a conflict (keeping the value, which writes nothing) and told
    the server, then the server came back from a copy taken before: it held the conflict
    open again, and so did every laptop that pulled from it, while a1 held it resolved and
    never sent the resolution again (nothing of a1's was lost, so it found nothing to send).
    A laptop that learns of a restore (its epoch question) now sends its resolutions again,
    and the server closes the conflict: resolved on the server and on every laptop."""
    machine = SyncMachine(templates, in_process)
    try:
        made, _first = resolved_then_restored(machine)
        machine.world.ms += 60_000
        settle_and_check(machine)  # the laptops and the server hold it alike (check_conflicts)
        (back,) = machine.server.conflicts()
        assert back["id"] == made["id"] and back["resolved_version"] is not None
        for lap in machine.laptops:
            assert outbox.open_conflicts(lap.store) == [], lap.name
    finally:
        machine.close()


def test_a_resolution_sent_again_closes_the_conflict_the_lost_edit_made_again(
    templates: Templates, in_process: Path
) -> None:
    """Issue #32: a1's address (sent before the server's copy was taken) lost to a2's (sent
    after), a1 kept a2's and told the server, and the server came back from the copy. a2
    sent its edit again first: it lost nothing of a1's again, so the server made the same
    loss anew under a new id, open, and put back the conflict a2 held beside it, closed.
    a1's resolution never went again, and the new conflict stayed open on every laptop,
    a decision lost. Sent again, a resolution closes every open conflict of its loss
    (`merge._resolve`)."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, "[/]王=秀英")
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        for i in (0, 1):
            lap = machine.lap(i)
            held = lap.store.get(Person, person.id)
            assert held is not None
            lap.store.save(held.revise(context={"today": lap.today}, address=f"竞路=[{i}]号"))
            machine.world.ms += 1000
        machine.sync(0)
        machine.server_copy()  # a1's address, no conflict yet
        machine.sync(1)  # a1's address loses to a2's later one
        machine.sync(0)
        (made,) = machine.server.conflicts()
        outbox.resolve_conflict(machine.lap(0).store, made["id"])
        machine.sync(0)
        machine.server.restore(0)
        machine.world.ms += 60_000
        machine.sync(1)  # a2's edit goes again and loses a1's again
        settle_and_check(machine)
        assert [c for c in machine.server.conflicts() if c["resolved_version"] is None] == []
        for lap in machine.laptops:
            assert outbox.open_conflicts(lap.store) == [], lap.name
    finally:
        machine.close()


def test_a_resolution_is_sent_again_after_a_restore_by_a_sync_cut_before_its_push(
    templates: Templates, in_process: Path
) -> None:
    """The sync that learns of a server restore (its epoch question) counts its cursor in
    the server's epoch now, so the next sync finds nothing to learn: what the restore is to
    send again is noted in the same transaction (`outbox.server_restored`), and a sync cut
    at its push, before the server sees it, leaves the next one to send it."""
    machine = SyncMachine(templates, in_process)
    try:
        made, first = resolved_then_restored(machine)
        machine.world.ms += 60_000
        seen = len(machine.server.transport.seen)
        with pytest.raises(client.OfflineError):
            first.sync(machine.server, Fault(3, False))  # /v1/applied, /v1/epoch, the push
        paths = [path for _method, path, _status in machine.server.transport.seen[seen:]]
        assert paths[-1].endswith("/epoch"), paths  # learnt of, and cut before the push
        assert machine.server.conflicts()[0]["resolved_version"] is None
        assert outbox.unsent_resolutions(first.store, 10) == [made["id"]]
        settle_and_check(machine)
        (back,) = machine.server.conflicts()
        assert back["resolved_version"] is not None
    finally:
        machine.close()


def test_a_conflict_resolved_on_a_record_a_restored_server_lost_closes_once_it_is_back(
    templates: Templates, in_process: Path
) -> None:
    """Issue #32: a person a2 added after the server's copy was taken, a race on its address
    (a1's value lost), and a1 resolved the conflict and told the server; then the server
    came back from the copy. a1 sent back its edit and the conflict first, and the server,
    lacking the person, refused the edit (it waits) and could not put the conflict back;
    a2 then sent the person and its edit, and put back the conflict as a2 held it, open.
    a1 held it resolved and never said so again, so the server and a2 kept it open for
    good. The server now closes a conflict it holds open when a laptop returns it resolved,
    and a laptop returns its conflicts again while it has changes waiting for a record the
    restored server lacks, after sending them."""
    machine = SyncMachine(templates, in_process)
    try:
        machine.server_copy()  # before the person
        second = machine.lap(1)
        person = machine.new_person(second, VILLAGE_A, None, False, "[/]王=秀英")
        second.store.save(person)
        machine.made_now(second, person)
        settle_and_check(machine)
        race_on_address(machine, person, 10)  # a1 and a2 hold it open
        machine.sync(0)
        (made,) = machine.server.conflicts()
        first = machine.lap(0)
        outbox.resolve_conflict(first.store, made["id"])
        machine.sync(0)  # closed on the server; a2 has not pulled that
        machine.server.restore(0)
        machine.world.ms += 60_000
        settle_and_check(machine)
        (back,) = [c for c in machine.server.conflicts() if c["record_id"] == person.id]
        assert back["id"] == made["id"] and back["resolved_version"] is not None
        for lap in machine.laptops:
            assert outbox.open_conflicts(lap.store) == [], lap.name
    finally:
        machine.close()


@pytest.mark.parametrize("loser_first", [True, False], ids=["loser-first", "winner-first"])
def test_a_loss_read_back_otherwise_when_sent_again_is_one_conflict(
    templates: Templates, in_process: Path, loser_first: bool
) -> None:
    """The server reads an ahead laptop's stamps back by how far its clock runs ahead as
    each push leaves (`merge._Clamp`). a1's clock ran an hour ahead when its address lost to
    a2's; the server came back from a copy before the race, and a1, its clock now two hours
    ahead, sent the same edit again, read back by two hours this time. It lost again, and
    the loss was recorded under the other read-back stamp beside the conflict the laptops
    put back: two open conflicts for one lost edit. A loss is now named by the stamp as its
    laptop made it (`merge._as_made`), the same at every send, which the wire's conflict
    carries beside the stamp read back (the time a history shows)."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, "[/]王=秀英")
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        machine.server_copy()
        ahead = machine.lap(0)
        ahead.skew_ms = 3_600_000
        for i, address in ((0, "竞路[/]1号"), (1, "竞路=2号")):  # a2's later in real time
            machine.world.ms += 1000
            lap = machine.lap(i)
            lap.sync(machine.server)  # the clock as the laptop now reads it
            held = lap.store.get(Person, person.id)
            assert held is not None
            lap.store.save(held.revise(context={"today": lap.today}, address=address))
        for i in (0, 1):
            machine.world.ms += 1000
            machine.lap(i).sync(machine.server)
        settle_and_check(machine)
        (made,) = machine.server.conflicts()
        assert made["lost_device"] == ahead.store.device_id
        machine.server.restore(0)
        machine.world.ms += 60_000
        ahead.skew_ms = 7_200_000  # further ahead: the same edit is read back otherwise
        for i in (0, 1) if loser_first else (1, 0):
            machine.sync(i)
        settle_and_check(machine)
        open_ = [c for c in machine.server.conflicts() if c["resolved_version"] is None]
        assert [(c["record_id"], c["lost_hlc"]) for c in open_] == [
            (person.id, made["lost_hlc"])
        ], open_
        for lap in machine.laptops:
            assert [c.id for c in outbox.open_conflicts(lap.store)] == [open_[0]["id"]], lap.name
    finally:
        machine.close()


def test_a_clone_whose_changes_a_restored_server_lost_is_told_apart_from_its_original(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine's random run (issue #32, about 1,000 examples). a1's profile was
    copied onto another laptop, which synced two households under a1's device id; the server,
    restored from a copy, lost them, and a1 then pushed its month report under the first of
    the same numbers. The clone, told the server held its changes up to that number, sent
    only the later one: its first household was lost, and it never pulled the month report
    (a record only its own device id wrote). It now sends the change at that number again
    too, which the server refuses as a reused number, and it starts over as a new device."""
    machine = SyncMachine(templates, in_process)
    try:
        settle_and_check(machine)
        machine.server_copy()
        machine.laptop_clone(0)  # its first household
        clone_at = len(machine.laptops) - 1
        clone = machine.lap(clone_at)
        second = Household(village_code=VILLAGE_A, address=f"克隆路{machine.next_serial()}号")
        clone.store.save(second)
        machine.made_now(clone, second)
        clone.sync(machine.server)
        machine.server.restore(0)
        machine.world.ms += 60_000
        machine.close_month(0, 0)
        machine.sync(0)  # a1's month report, under the number of the clone's first household
        settle_and_check(machine)
        assert clone.store.device_id != machine.laptops[0].store.device_id
    finally:
        machine.close()


def test_a_clone_that_pushed_no_more_than_its_original_is_told_apart(
    templates: Templates, in_process: Path
) -> None:
    """The case the fix above leaves: the clone synced one household, the restored server
    lost it, and a1 pushed one month report under the same number. The server holds as many
    of the id's changes as the clone was acknowledged, so the clone sends nothing again: its
    household is lost, it never pulls the month report, and it keeps a1's id (the settle's
    check of shared ids fails first)."""
    machine = SyncMachine(templates, in_process)
    try:
        settle_and_check(machine)
        machine.server_copy()
        machine.laptop_clone(0)
        clone_at = len(machine.laptops) - 1
        machine.lap(clone_at).sync(machine.server)
        machine.server.restore(0)
        machine.world.ms += 60_000
        machine.close_month(0, 0)
        machine.sync(0)
        settle_and_check(machine)
    finally:
        machine.close()


def test_a_clone_whose_run_of_changes_holds_a_number_of_its_original_keeps_every_change(
    templates: Templates, in_process: Path
) -> None:
    """Issue #32, the other shape random mode found. The clone synced three households
    under a1's id; the server, restored from a copy, lost them, and a1 pushed two changes
    under the first two of the same numbers. Told the server held its changes up to the
    second, the clone sent again from there: the reused number made it a new device, but
    its first household, under a number the server held as a1's, was lost. The server's
    fingerprints now say where the clone's own changes end there (`check_own_history`),
    and all three go again under its new id."""
    machine = SyncMachine(templates, in_process)
    try:
        settle_and_check(machine)
        machine.server_copy()
        machine.laptop_clone(0)  # its first household
        clone = machine.lap(len(machine.laptops) - 1)
        for _ in range(2):
            more = Household(village_code=VILLAGE_A, address=f"克隆路{machine.next_serial()}号")
            clone.store.save(more)
            machine.made_now(clone, more)
        clone.sync(machine.server)
        machine.server.restore(0)
        machine.world.ms += 60_000
        first = machine.lap(0)
        for _ in range(2):
            made = Household(village_code=VILLAGE_A, address=f"原路{machine.next_serial()}号")
            first.store.save(made)
            machine.made_now(first, made)
        machine.sync(0)
        report = clone.sync(machine.server)
        assert report.new_device_id and report.resent == 3
        settle_and_check(machine)
        on_server = machine.server.records()
        assert {h.id for h in clone.store.all(Household)} <= {k[1] for k in on_server}
    finally:
        machine.close()


def test_two_clones_and_two_server_restores_lose_nothing(
    templates: Templates, in_process: Path
) -> None:
    """Issue #32: two clones of a1 and two server restores. The first clone's household
    was lost by the first restore and its number taken by a1's month report; the second
    clone then took a new id, which the second restore forgot. Each copy's changes reach
    the server, every copy ends with an id of its own, and all hold the same."""
    machine = SyncMachine(templates, in_process)
    try:
        settle_and_check(machine)
        machine.server_copy()
        machine.laptop_clone(0)  # the first clone's household
        machine.laptop_clone(0)  # the second's
        first_clone, second_clone = machine.lap(3), machine.lap(4)
        machine.world.ms += 1000
        first_clone.sync(machine.server)
        machine.server.restore(0)
        machine.world.ms += 60_000
        machine.close_month(0, 0)
        machine.sync(0)  # under the number of the first clone's household
        machine.server_copy()
        machine.world.ms += 1000
        assert second_clone.sync(machine.server).new_device_id
        machine.server.restore(1)
        machine.world.ms += 60_000
        settle_and_check(machine)
        ids = {lap.store.device_id for lap in machine.laptops}
        assert len(ids) == len(machine.laptops)
    finally:
        machine.close()


def _household_in_a_newer_copy(machine: SyncMachine, street: str) -> Household:
    """The shape both restore tests start from: server copy 0 without a household of a2's,
    copy 1 with it, and the server back on copy 0 a minute before the test goes on."""
    settle_and_check(machine)
    machine.server_copy()  # 0: without the household
    second = machine.lap(1)
    made = Household(village_code=VILLAGE_A, address=f"{street}{machine.next_serial()}号")
    second.store.save(made)
    machine.made_now(second, made)
    machine.sync(1)
    machine.server_copy()  # 1: with it
    machine.server.restore(0)
    machine.world.ms += 60_000
    return made


def test_a_laptop_past_a_server_restored_to_a_newer_copy_gets_what_that_copy_holds(
    templates: Templates, in_process: Path
) -> None:
    """Found by the random long run on the final commit of 2026-12-06 (no clone in it): the
    server came back from an older copy, a1 synced past it, and the server then came back
    from a newer copy, holding a2's household at a version below a1's cursor. A pull starts
    at min(cursor, top), so a1 never gets the household."""
    machine = SyncMachine(templates, in_process)
    try:
        _household_in_a_newer_copy(machine, "新路")
        first = machine.lap(0)
        mine = Household(village_code=VILLAGE_A, address=f"新路{machine.next_serial()}号")
        first.store.save(mine)
        machine.made_now(first, mine)
        machine.sync(0)  # a1's cursor: past every version of copy 1
        machine.server.restore(1)
        machine.world.ms += 60_000
        settle_and_check(machine)
    finally:
        machine.close()


def test_a_record_whose_rival_value_lost_after_a_restore_is_pulled_by_its_writer(
    templates: Templates, in_process: Path
) -> None:
    """Found by the machine in random mode (issue #32). a1 made a person; the two laptops
    of A raced on its address and a2's, later, won; then a2's clock ran two days ahead and
    the server came back from a copy before the race. a1 sent its address again (taken),
    a2 its own, read back two days by its clock (`merge._Clamp`), and lost. Every stamp
    on the record was then a1's, so a pull left it out for a1 ("no echo"), which kept
    a2's address while the server and a2 held a1's. A record on which another device's
    value lost is now pulled by every laptop (`merge._sole_writer`)."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[1])
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        machine.server_copy()
        for i, address in ((0, "竞路30号"), (1, "竞路31号")):  # a2's the later: it wins
            machine.world.ms += 1000
            lap = machine.lap(i)
            held = lap.store.get(Person, person.id)
            assert held is not None
            lap.store.save(held.revise(context={"today": lap.today}, address=address))
        for i in (0, 1):
            machine.world.ms += 1000
            machine.lap(i).sync(machine.server)
        settle_and_check(machine)
        assert machine.server.records()[("persons", person.id)].data["address"] == "竞路31号"
        machine.skew_clock(1, 2 * 86_400_000)
        machine.server.restore(0)
        machine.world.ms += 60_000
        settle_and_check(machine)  # a1 must take its own 竞路30号 back over a2's
        # a2's address, read back two days, lost to a1's, and both laptops hold the winner.
        assert machine.server.records()[("persons", person.id)].data["address"] == "竞路30号"
        for lap in machine.laptops[:2]:
            held = lap.store.get(Person, person.id)
            assert held is not None and held.address == "竞路30号", lap.name
        lost = [
            (json.loads(c["kept_value"]), json.loads(c["lost_value"]))
            for c in machine.server.conflicts()
            if c["record_id"] == person.id
        ]
        assert ("竞路30号", "竞路31号") in lost
    finally:
        machine.close()


def _ahead_edit_loses(machine: SyncMachine) -> tuple[Person, dict[str, Any]]:
    """a1's clock runs an hour ahead; a1 and a2 edit a person's address, a2 later in real
    time, and a1's edit loses: the server read its stamp back, so the conflict carries the
    stamp as made beside it. Returns the person and the server's conflict."""
    maker = machine.lap(0)
    person = machine.new_person(maker, VILLAGE_A, None, False, "王[/b]=1")
    maker.store.save(person)
    machine.made_now(maker, person)
    settle_and_check(machine)
    machine.server_copy()
    machine.laptops[0].skew_ms = 3_600_000
    for i, address in ((0, "竞路[/]1号"), (1, "竞路=2号")):
        machine.world.ms += 1000
        lap = machine.lap(i)
        lap.sync(machine.server)
        held = lap.store.get(Person, person.id)
        assert held is not None
        lap.store.save(held.revise(context={"today": lap.today}, address=address))
    for i in (0, 1):
        machine.world.ms += 1000
        machine.lap(i).sync(machine.server)
    settle_and_check(machine)
    (made,) = machine.server.conflicts()
    assert made["lost_made"] and made["lost_made"] != made["lost_hlc"]
    return person, made


def _pull_as(machine: SyncMachine, lap: Laptop, said: str | None, cursor: int = 0) -> bytes:
    """A pull's answer as a laptop gets it that says `said` in its protocol header (None:
    an older laptop, which says nothing): the body, inflated (by httpx)."""
    import httpx

    from sync import protocol

    headers = {"Authorization": f"Bearer {lap.token}", "Content-Encoding": "gzip"}
    if said is not None:
        headers[protocol.PROTOCOL_HEADER] = said
    body = protocol.encode(protocol.PullRequest(cursor=cursor, limit=100))
    request = httpx.Request("POST", f"http://x{protocol.PATH_PULL}", headers=headers, content=body)
    answer = machine.server.transport.handle_request(request)
    assert answer.status_code == 200
    assert protocol.features_said(answer.headers.get(protocol.PROTOCOL_HEADER)) == (
        protocol.FEATURES
    )
    return answer.read()


def test_an_older_laptop_is_sent_no_field_it_does_not_read(
    templates: Templates, in_process: Path
) -> None:
    """An older laptop's models refuse a field they do not know, so a pull answer to a
    laptop that did not say it reads the lost stamp as made (or the devices' staff labels)
    leaves it out: its page is read as before. One that said so gets it. And the server
    takes an older laptop's push of conflicts without it."""
    from sync import protocol

    machine = SyncMachine(templates, in_process)
    try:
        person, made = _ahead_edit_loses(machine)
        lap = machine.lap(1)
        for said in (None, "1", "2 some_later_feature"):
            page = json.loads(_pull_as(machine, lap, said))
            assert "staff" not in page, said
            (conflict,) = page["conflicts"]
            # The fields an older laptop's `Conflict` knows, and no other.
            assert set(conflict) <= {
                "id", "table", "record_id", "field", "kept_value", "lost_value",
                "kept_device", "lost_device", "lost_hlc", "resolved", "version",
            }, said  # fmt: skip
            assert conflict["lost_hlc"] == made["lost_hlc"]
        page = json.loads(_pull_as(machine, lap, protocol.protocol_said()))
        # Each device the page names, by its token's staff label.
        assert page["staff"][machine.laptops[0].store.device_id] == "员工a1"
        (conflict,) = page["conflicts"]
        assert (conflict["lost_hlc"], conflict["lost_made"]) == (
            made["lost_hlc"],
            made["lost_made"],
        )
        # An older laptop's push of a conflict it holds, as it sends it: no lost_made.
        machine.server.restore(0)
        older = {k: v for k, v in conflict.items() if k not in ("version", "lost_made")}
        body = {"device_id": lap.store.device_id, "changes": [], "conflicts": [older]}
        import gzip

        import httpx

        answer = machine.server.transport.handle_request(
            httpx.Request(
                "POST",
                f"http://x{protocol.PATH_PUSH}",
                headers={"Authorization": f"Bearer {lap.token}", "Content-Encoding": "gzip"},
                content=gzip.compress(json.dumps(body).encode()),
            )
        )
        assert answer.status_code == 200, answer.read()
        (back,) = machine.server.conflicts()
        assert (back["record_id"], back["lost_hlc"], back["lost_made"]) == (
            person.id,
            made["lost_hlc"],
            None,
        )
    finally:
        machine.close()


def _edited_apart(machine: SyncMachine) -> tuple[Person, list[str]]:
    """a1 makes a person; then a2 corrects the phone and sup the address and notes, each
    syncing, while a1 does not. Returns the person and the three devices in that order."""
    maker = machine.lap(0)
    person = machine.new_person(maker, VILLAGE_A, None, False, "王[/b]=1")
    maker.store.save(person)
    machine.made_now(maker, person)
    settle_and_check(machine)
    for i, fields in (
        (1, {"phone": "13905800003"}),
        (2, {"address": "西路[/]=2号", "notes": "=1"}),
    ):
        machine.world.ms += 60_000
        lap = machine.lap(i)
        held = lap.store.get(Person, person.id)
        assert held is not None
        lap.store.save(held.revise(context={"today": lap.today}, **fields))
        lap.sync(machine.server)
    return person, [lap.store.device_id for lap in machine.laptops]


#: The fields an older laptop's `PulledRecord` knows, and no other.
_OLDER_RECORD = {"table", "record_id", "fields", "deleted", "hlc", "device_id", "version"}


def test_field_stamps_go_only_to_a_laptop_that_says_it_reads_them(
    templates: Templates, in_process: Path
) -> None:
    """A pulled record carries the stamps of its fields that are not its own (each stamp
    once, with its fields) only for a laptop whose header names `field_stamps`: an older
    laptop's `PulledRecord` refuses a field it does not know, and one that names every
    other feature is no different. One that names it is told which fields a1 made and
    which a2 set, beside the record's stamp (sup's, the latest)."""
    from sync import protocol

    machine = SyncMachine(templates, in_process)
    try:
        person, (a1, a2, sup) = _edited_apart(machine)
        lap = machine.lap(0)
        others = " ".join(sorted(protocol.FEATURES - {protocol.Feature.FIELD_STAMPS}))
        for said in (None, "1", "2 some_later_feature", f"2 {others}"):
            page = json.loads(_pull_as(machine, lap, said))
            assert page["records"], said
            for record in page["records"]:
                assert set(record) <= _OLDER_RECORD, (said, record)
        page = json.loads(_pull_as(machine, lap, protocol.protocol_said()))
        (record,) = [r for r in page["records"] if r["record_id"] == person.id]
        assert record["device_id"] == sup
        groups = [protocol.FieldStamps.model_validate(g) for g in record["stamps"]]
        # Oldest first: what a1 made it with, then a2's phone; the device is left out,
        # being the stamp's own.
        assert [(g.writer, g.device_id) for g in groups] == [(a1, None), (a2, None)]
        assert groups[1].fields == ["phone"]
        assert {"name", "id_number", "village_code"} <= set(groups[0].fields)
        assert not {"phone", "address", "notes"} & set(groups[0].fields)
        # A record one change made says nothing more.
        assert all(not r.get("stamps") for r in page["records"] if r["record_id"] != person.id)
        # A page of the person alone names a1 and a2 by their staff labels, though only
        # its field stamps name them.
        said = protocol.protocol_said()
        page = json.loads(_pull_as(machine, lap, said, cursor=record["version"] - 1))
        assert [r["record_id"] for r in page["records"]] == [person.id]
        assert (page["staff"][a1], page["staff"][a2]) == ("员工a1", "员工a2")
    finally:
        machine.close()


def test_a_laptop_pulling_from_an_older_server_credits_the_record_stamp_as_before(
    templates: Templates, in_process: Path
) -> None:
    """A server from before field stamps reads no header and sends none: the laptop
    stores the page as before, one step under the record's stamp (its latest writer)."""
    from db.history import record_history

    machine = SyncMachine(templates, in_process)
    try:
        person, (_a1, _a2, sup) = _edited_apart(machine)
        lap = machine.lap(0)
        older = _OlderServer(machine.server.transport, reads_header=False)
        conn = client.Connection(
            "http://127.0.0.1:8811",
            lap.token,
            attempts=1,
            transport=older,  # type: ignore[arg-type]
        )
        try:
            client.sync(lap.store, conn)
        finally:
            conn.close()
        (step,) = [s for s in record_history(lap.store, "persons", person.id) if s.pulled]
        assert step.device_id == sup
        assert set(step.fields) == {"phone", "address", "notes"}
    finally:
        machine.close()


class _OlderServer:
    """The machine's server as an older release answers: its answers say no protocol (it
    had no header), and its models refuse a field they do not know (`lost_made`), as every
    message refuses an unknown field. `reads_header=False`: nor does it read the laptop's
    header, so its answers carry no field of a later feature (a pull's field stamps)."""

    def __init__(self, inner: Any, reads_header: bool = True) -> None:
        self.inner = inner
        self.reads_header = reads_header
        self.pushed: list[dict[str, Any]] = []

    def handle_request(self, request: Any) -> Any:
        import gzip

        import httpx

        from sync import protocol

        if request.url.path == protocol.PATH_PUSH:
            body = json.loads(gzip.decompress(request.read()))
            self.pushed.append(body)
            if any("lost_made" in c for c in body.get("conflicts", [])):
                detail = {"detail": {"code": "bad_request", "params": {"errors": []}}}
                return httpx.Response(422, json=detail)
        if not self.reads_header:
            request.headers.pop(protocol.PROTOCOL_HEADER, None)
        answer = self.inner.handle_request(request)
        said = answer.headers.get(protocol.PROTOCOL_HEADER)
        assert protocol.features_said(said) == protocol.FEATURES
        # As it came (its body unread, still gzip), less the header.
        headers = [(k, v) for k, v in answer.headers.raw if k.lower() != b"civtui-protocol"]
        return httpx.Response(answer.status_code, headers=headers, stream=answer.stream)

    def close(self) -> None:
        pass


def test_a_laptop_sends_an_older_server_no_field_it_does_not_read(
    templates: Templates, in_process: Path
) -> None:
    """A laptop holding a conflict whose lost stamp was read back sends it again after a
    server restore (it may have lost it). To a server that did not say it reads the stamp
    as made (an older one), it goes without it, or the server would refuse the push."""
    machine = SyncMachine(templates, in_process)
    try:
        _person, made = _ahead_edit_loses(machine)
        machine.server.restore(0)
        machine.world.ms += 60_000
        older = _OlderServer(machine.server.transport)
        lap = machine.lap(1)
        conn = client.Connection(
            "http://127.0.0.1:8811",
            lap.token,
            attempts=1,
            transport=older,  # type: ignore[arg-type]
        )
        try:
            client.sync(lap.store, conn)
        finally:
            conn.close()
        assert conn.server_reads == frozenset()
        # Every push that carried it (the first, before the changes the server lost, was
        # answered that the server is behind) carried it without the field.
        returned = [c for body in older.pushed for c in body.get("conflicts", [])]
        assert returned
        assert {(c["lost_hlc"], "lost_made" in c) for c in returned} == {(made["lost_hlc"], False)}
        # What it left out it holds, and sends to a server that says it reads it.
        (held,) = outbox.held_conflicts(lap.store, None, 10)
        assert held.lost_made == made["lost_made"]
    finally:
        machine.close()


def test_an_island_laptop_learns_of_a_server_restore_from_a_bundle_reply(
    templates: Templates, in_process: Path
) -> None:
    """The shape of `test_a_laptop_past_a_server_restored_to_a_newer_copy_gets_what_that_copy_holds`
    with a1 on an island after its last sync: its bundle says the epoch its cursor counts
    in, and the reply's pages start where the histories still agree (from 0: the restored
    server never had a1's epoch), so a1 gets a2's household. By its cursor alone, the
    reply's pages ended below that cursor, and every reply was refused as stale. A bundle
    for a server that has not said it reads epochs carries none, and a reply to a bundle
    without them carries none."""
    import gzip

    from sqlalchemy import select

    from sync import protocol
    from sync.sealed import LAPTOP, REPLY, LaptopBundle, laptop_box_key, token_parts, unseal
    from sync.server import bundle as server_bundle
    from sync.server import storage

    machine = SyncMachine(templates, in_process)
    try:
        made = _household_in_a_newer_copy(machine, "岛路[/]")
        second = machine.lap(1)
        later = Household(village_code=VILLAGE_A, address=f"岛路={machine.next_serial()}号")
        machine.lap(1).store.save(later)
        machine.made_now(second, later)
        machine.sync(1)
        first = machine.lap(0)
        machine.sync(0)  # a1's last sync: its cursor past every version of copy 1
        assert client.server_reads(first.store) == protocol.FEATURES
        machine.server.restore(1)
        machine.world.ms += 60_000
        with machine.server.engine.connect() as conn:
            rows = storage.records.c
            at = conn.execute(select(rows.version).where(rows.record_id == made.id)).scalar()
        assert at is not None and at < outbox.cursor(first.store)  # a cursor alone skips it
        first = machine.lap(0)
        said = first.export_bundle()
        pair = server_bundle.keys(machine.server.engine)
        assert pair is not None
        opened = unseal(said, LAPTOP, pair.box).read(LaptopBundle)
        assert opened.epoch == first.store.get_meta(outbox.SERVER_EPOCH)
        assert opened.epoch is not None and opened.cursor > 0
        reply = machine.server.import_bundle(said).reply
        first.import_reply(reply)
        assert first.store.get(Household, made.id) == second.store.get(Household, made.id)
        assert outbox.cursor(first.store) == machine.server.version()
        settle_and_check(machine)

        # An older server: what the laptop kept from its last sync says nothing of epochs.
        with first.store.transaction():
            first.store.set_meta(outbox.SERVER_READS, "")
        older = first.export_bundle()
        payload = json.loads(gzip.decompress(unseal(older, LAPTOP, pair.box).body))
        assert "epoch" not in payload and "reads" not in payload
        # So it is an older laptop's bundle too: its reply has no field such a laptop
        # would refuse; the one above has.
        secret = laptop_box_key(token_parts(first.token)[1])
        for data, epoch in ((reply, True), (machine.server.import_bundle(older).reply, False)):
            said = json.loads(gzip.decompress(unseal(data, REPLY, secret).body))
            assert ("epoch" in said) is epoch
    finally:
        machine.close()


def test_a_given_up_id_speaking_with_no_loss_to_reopen_gives_out_no_version(
    templates: Templates, in_process: Path
) -> None:
    """Found by a long random run. The id a copy gave up speaks again (the clone kept it):
    the server marks it heard, and with no loss of it to open again, nothing a pull sends
    was written. It moved the version counter all the same, past every row, and a laptop
    that had synced just before kept a cursor below the top (the settle's check failed)."""
    machine = SyncMachine(templates, in_process)
    try:
        settle_and_check(machine)
        machine.laptop_clone(0)
        clone_at = len(machine.laptops) - 1
        machine.lap(clone_at).sync(machine.server)  # first to sync: keeps a1's id
        machine.world.ms += 60_000
        machine.close_month(0, 0)
        machine.sync(0)  # a1 takes a new id and names the old one as given up
        top = machine.server.version()
        machine.world.ms += 1_000
        machine.lap(clone_at).sync(machine.server)  # the old id speaks, with nothing new
        assert machine.server.version() == top
        settle_and_check(machine)
    finally:
        machine.close()
