from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civtui.domain import resident_id
from civtui.domain.resident_id import ResidentIdError, check_char, parse
from tests.conftest import TODAY, synthetic_id

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
