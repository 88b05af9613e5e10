from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from civtui.domain import resident_id
from civtui.domain.choices import PersonStatus
from civtui.domain.hlc import Stamp
from civtui.domain.models import Person
from civtui.domain.resident_id import ResidentIdError, check_char, parse
from civtui.i18n import STRINGS, Said
from sync.protocol import Change, Code, compact_json
from sync.server import merge
from tests.conftest import CTX, TODAY, VILLAGE, make_person, synthetic_id

# 11010519491231002X is the worked example printed in GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_with_check_character_x() -> None:
    rid = parse(STANDARD_EXAMPLE, TODAY)
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.sex == "F"
    assert rid.area_code == "110105"
    assert rid.age_on(TODAY) == 76


def test_lower_case_x_is_normalised() -> None:
    assert parse(STANDARD_EXAMPLE.lower(), TODAY).number == STANDARD_EXAMPLE


def test_blanks_and_full_width_spaces_are_ignored() -> None:
    spaced = "110105 19491231\u3000002x"
    assert parse(spaced, TODAY).number == STANDARD_EXAMPLE


def test_wrong_check_character_names_the_right_one() -> None:
    with pytest.raises(ResidentIdError, match="校验位应为“X”"):
        parse("110105194912310021", TODAY)


@pytest.mark.parametrize("length", [17, 19])
def test_wrong_length_is_refused(length: int) -> None:
    number = (STANDARD_EXAMPLE + "1")[:length]
    with pytest.raises(ResidentIdError, match=f"现为{length}位"):
        parse(number, TODAY)


def test_impossible_date_is_refused() -> None:
    first17 = "33090219500230" + "123"  # 30 February
    with pytest.raises(ResidentIdError, match="不是真实日期"):
        parse(first17 + check_char(first17), TODAY)


def test_future_birth_date_is_refused() -> None:
    number = synthetic_id(TODAY + dt.timedelta(days=1))
    with pytest.raises(ResidentIdError, match="晚于今天"):
        parse(number, TODAY)


def test_born_today_is_accepted() -> None:
    assert parse(synthetic_id(TODAY), TODAY).age_on(TODAY) == 0


def test_letters_inside_are_refused() -> None:
    with pytest.raises(ResidentIdError, match="只能是数字"):
        parse("3309021950A5061011", TODAY)


def test_unknown_province_is_refused() -> None:
    first17 = "99090219500506101"
    with pytest.raises(ResidentIdError, match="地区码"):
        parse(first17 + check_char(first17), TODAY)


def test_sex_comes_from_the_seventeenth_digit() -> None:
    assert parse(synthetic_id(dt.date(1950, 1, 1), seq=101), TODAY).sex == "M"
    assert parse(synthetic_id(dt.date(1950, 1, 1), seq=102), TODAY).sex == "F"


def test_age_turns_on_the_birthday() -> None:
    rid = parse(synthetic_id(dt.date(1946, 11, 23)), TODAY)
    assert rid.age_on(TODAY) == 79
    assert rid.age_on(TODAY + dt.timedelta(days=1)) == 80


def test_leap_day_birth() -> None:
    rid = parse(synthetic_id(dt.date(1948, 2, 29)), TODAY)
    assert rid.age_on(dt.date(2028, 2, 28)) == 79
    assert rid.age_on(dt.date(2028, 2, 29)) == 80


def test_mask_keeps_area_and_tail_only() -> None:
    assert resident_id.mask(STANDARD_EXAMPLE) == "110105********002X"


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(1, 999),
)
def test_every_made_number_parses_back(birth: dt.date, seq: int) -> None:
    rid = parse(resident_id.make("330903", birth, seq), TODAY)
    assert rid.birth_date == birth
    assert rid.sex == ("M" if seq % 2 else "F")


@given(position=st.integers(0, 16), delta=st.integers(1, 9))
def test_any_single_digit_typo_is_caught(position: int, delta: int) -> None:
    number = synthetic_id(dt.date(1950, 5, 6))
    digit = (int(number[position]) + delta) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(ResidentIdError):
        parse(typo, TODAY)


def test_pasted_forms_are_cleaned_before_checking() -> None:
    number = resident_id.make("330902", dt.date(1950, 3, 4), 123)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    for pasted in (full_width, "'" + number, "’" + number, number + "\u200b", "\u00a0" + number):
        assert resident_id.parse(pasted, dt.date(2026, 1, 1)).number == number


def test_a_fifteen_digit_id_is_named_as_one_with_its_eighteen_digit_form() -> None:
    number = resident_id.make("330902", dt.date(1950, 3, 4), 123)
    old = number[:6] + number[8:17]
    assert resident_id.upgrade(old) == number
    with pytest.raises(resident_id.ResidentIdError) as caught:
        resident_id.parse(old, dt.date(2026, 1, 1))
    assert "第一代" in str(caught.value) and number in str(caught.value)
    assert "first-generation" in caught.value.args[0].en


@pytest.mark.parametrize("area", ["810000", "820000", "830000"])
def test_residence_permits_of_hk_macao_taiwan_residents_are_valid(area: str) -> None:
    number = resident_id.make(area, dt.date(1990, 1, 1), 11)
    assert resident_id.parse(number, dt.date(2026, 1, 1)).area_code == area


def test_other_zero_county_codes_are_still_refused() -> None:
    with pytest.raises(resident_id.ResidentIdError):
        resident_id.parse(resident_id.make("840000", dt.date(1990, 1, 1), 11), dt.date(2026, 1, 1))
    with pytest.raises(resident_id.ResidentIdError):
        resident_id.parse(resident_id.make("330000", dt.date(1990, 1, 1), 11), dt.date(2026, 1, 1))


# -- numbers stored before the ASCII-digit and sequence-000 rules ----------------------

BIRTH = dt.date(1950, 5, 6)
PERSON_ID = "5b0c3f4e-0000-4000-8000-000000000025"
#: Sequence 000 with a check character that fits: stored before sequence 000 was refused.
ZEROED = resident_id.make("330902", dt.date(1945, 4, 9), 0)
#: The same person's number in Arabic-Indic digits, stored before they were refused.
FOREIGN = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in synthetic_id(BIRTH))


def _stored_person(number: str) -> Person:
    data = make_person().model_dump() | {"id_number": number}
    return Person.model_validate(data, context={"stored": True})


@pytest.mark.parametrize("number", [ZEROED, FOREIGN], ids=["sequence-000", "foreign-digits"])
def test_revise_of_a_person_stored_before_the_new_id_rules_is_not_blocked(number: str) -> None:
    old = _stored_person(number)
    moved = old.revise(context=CTX, address="海滨路3号", status=PersonStatus.DECEASED)
    assert (moved.address, moved.status) == ("海滨路3号", PersonStatus.DECEASED)
    # The form sends every field, the unchanged number too.
    assert old.revise(context=CTX, id_number=old.id_number, phone="13905801234").phone


@pytest.mark.parametrize("number", [ZEROED, FOREIGN], ids=["sequence-000", "foreign-digits"])
def test_revise_that_changes_the_id_applies_the_new_id_rules(number: str) -> None:
    old = make_person()
    with pytest.raises(ValidationError, match=r"顺序码为000|其他文字的数字"):
        old.revise(context=CTX, id_number=number)


def _push(row: merge._Row, fields: dict[str, Any]) -> merge.Plan:
    change = Change(
        seq=1, table="persons", record_id=row.record_id, fields=fields, hlc="1763800000005-0000-a"
    )
    return merge.plan(row, change, Stamp.parse(change.hlc), "a", 2, frozenset({VILLAGE}), {})


def _server_row(data: dict[str, Any] | None) -> merge._Row:
    if data is None:
        return merge._Row("persons", PERSON_ID, None, "{}", "{}", False, False)
    stamps = {name: ["1763800000000-0000-seed", "seed", 1] for name in data}
    return merge._Row(
        "persons", PERSON_ID, VILLAGE, compact_json(data), compact_json(stamps), False, True
    )


@pytest.mark.parametrize("number", [ZEROED, FOREIGN], ids=["sequence-000", "foreign-digits"])
def test_server_refuses_a_pushed_id_that_breaks_the_new_id_rules(number: str) -> None:
    person = make_person(id=PERSON_ID).model_dump(mode="json")
    for row, fields in (
        (_server_row(None), person | {"id_number": number}),  # a new person
        (_server_row(person), {"id_number": number}),  # an edit of the number
    ):
        with pytest.raises(merge.Rejected) as refused:
            _push(row, fields)
        assert refused.value.reason.code is Code.INVALID
        [problem] = refused.value.reason.params["problems"]
        assert problem["field"] == "id_number"
        assert "顺序码为000" in problem["zh"] or "其他文字的数字" in problem["zh"]


@pytest.mark.parametrize("number", [ZEROED, FOREIGN], ids=["sequence-000", "foreign-digits"])
def test_server_accepts_edits_of_a_person_stored_before_the_new_id_rules(number: str) -> None:
    person = make_person(id=PERSON_ID).model_dump(mode="json") | {"id_number": number}
    row = _server_row(person)
    assert _push(row, {"address": "海滨路3号"}).data["address"] == "海滨路3号"
    # A laptop that sends the whole record sends the number unchanged.
    assert _push(row, person | {"phone": "13905801234"}).data["id_number"] == number


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "id.required"),
        ("330902500506101", "id.first_generation"),
        (FOREIGN, "id.foreign_digits"),
        ("3309021950", "id.length"),
        ("33090219500506A01X", "id.shape"),
        ("990902195005061015", "id.area"),
        ("330902195013061015", "id.birth_date"),
        ("330902299901011015", "id.birth_future"),
        ("330902180001011015", "id.birth_year"),
        (ZEROED, "id.sequence_000"),
        (synthetic_id(BIRTH)[:17] + "Y", "id.shape"),
    ],
)
def test_id_messages_are_said_from_the_catalogue_not_written_in_place(
    raw: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(STRINGS, key, ("目录里的话", "the catalogue's words"))
    with pytest.raises(ResidentIdError) as refused:
        parse(raw, TODAY)
    message = refused.value.args[0]
    assert isinstance(message, Said)
    assert (message.in_("zh"), message.in_("en")) == ("目录里的话", "the catalogue's words")


def test_a_wrong_check_character_is_said_from_the_catalogue_with_both_characters() -> None:
    number = synthetic_id(BIRTH)
    wrong = "X" if number[17] != "X" else "0"
    with pytest.raises(ResidentIdError) as refused:
        parse(number[:17] + wrong, TODAY)
    zh, en = STRINGS["id.check_char"]
    message = refused.value.args[0]
    assert isinstance(message, Said)
    assert message == zh.format(expected=number[17], found=wrong)
    assert message.en == en.format(expected=number[17], found=wrong)
