from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from civtui.domain.barthel import ITEMS, level_for
from civtui.domain.choices import (
    Category,
    DependencyLevel,
    NeedStatus,
    NeedType,
    ReferredTo,
    RiskLevel,
)
from civtui.domain.clock import CHINA_TZ
from civtui.domain.errors import explain
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    ElderNeed,
    NeedTransitionError,
    Person,
    Village,
    Visit,
    effective_categories,
)
from tests.conftest import CTX, TODAY, make_person, synthetic_id

NOW = dt.datetime(2026, 11, 22, 10, tzinfo=CHINA_TZ)


def problems(exc: pytest.ExceptionInfo[ValidationError], model: type[Any]) -> dict[str, str]:
    return {p.field: p.message for p in explain(exc.value, model)}


# -- Person ---------------------------------------------------------------


def test_person_derives_birth_sex_and_age_from_the_id() -> None:
    person = make_person(dt.date(1944, 3, 5), seq=102)
    assert person.birth_date == dt.date(1944, 3, 5)
    assert person.sex.zh == "女"
    assert person.age_on(TODAY) == 82
    assert person.masked_id.startswith("330902********")


def test_bad_id_number_is_reported_on_its_field_in_chinese() -> None:
    with pytest.raises(ValidationError) as exc:
        make_person(id_number="33090219500506101")
    assert "18位" in problems(exc, Person)["id_number"]


def test_phone_numbers_are_normalised_and_checked() -> None:
    assert make_person(phone="139 0580 1234").phone == "13905801234"
    assert make_person(phone="+86 13905801234").phone == "13905801234"
    assert make_person(phone="0580-2012345").phone == "0580-2012345"
    assert make_person(phone="(0580)2012345转12").phone == "0580-2012345-12"
    with pytest.raises(ValidationError) as exc:
        make_person(phone="2012345")
    assert "区号" in problems(exc, Person)["phone"]
    with pytest.raises(ValidationError) as exc:
        make_person(phone="1390580123")
    assert "11位" in problems(exc, Person)["phone"]


def test_empty_name_names_the_field() -> None:
    with pytest.raises(ValidationError) as exc:
        make_person(name="  ")
    found = explain(exc.value, Person)
    assert [(p.field, p.label) for p in found] == [("name", "姓名")]
    assert "不能为空" in str(found[0])


def test_problems_are_said_in_english_for_the_english_interface() -> None:
    with pytest.raises(ValidationError) as exc:
        make_person(name=" ", id_number="33090219500506101")
    by_field = {p.field: p for p in explain(exc.value, Person, "en")}
    assert str(by_field["name"]) == "Name: cannot be empty; please fill it in"
    assert "has 18 characters, this one 17" in by_field["id_number"].message
    assert "18位" in problems(exc, Person)["id_number"]  # Chinese stays the default


def test_a_number_typed_into_the_name_is_refused() -> None:
    for typed in ("330902195005061016", "13905801234", "王秀英13905801234"):
        with pytest.raises(ValidationError) as exc:
            make_person(name=typed)
        assert "身份证号或电话号码" in problems(exc, Person)["name"]
    assert make_person(name="测试00001").name == "测试00001"  # a few digits pass
    stored = make_person().model_dump() | {"name": "330902195005061016"}
    assert Person.model_validate(stored, context={"stored": True}).name == stored["name"]


def test_derived_categories_are_not_stored_but_computed() -> None:
    elder = make_person(dt.date(1940, 1, 1), categories=["advanced_age", "living_alone"])
    assert elder.categories == [Category.LIVING_ALONE]
    cats = effective_categories(elder, TODAY, DependencyLevel.SEVERE)
    assert {Category.ADVANCED_AGE, Category.DISABLED, Category.LIVING_ALONE} <= cats
    younger = make_person(dt.date(1950, 1, 1))
    assert Category.ADVANCED_AGE not in effective_categories(younger, TODAY, None)
    assert Category.SEMI_DISABLED in effective_categories(younger, TODAY, DependencyLevel.MODERATE)


def test_child_categories_only_for_children() -> None:
    with pytest.raises(ValidationError) as exc:
        make_person(dt.date(1980, 1, 1), categories=["left_behind"])
    assert "未满16周岁" in problems(exc, Person)["categories"]
    child = make_person(dt.date(2016, 1, 1), categories=["留守儿童"])
    assert child.is_child(TODAY)


def test_left_behind_is_under_16_other_child_categories_under_18() -> None:
    """Case 5: 国发〔2016〕13号 defines 留守儿童 as under 16."""
    with pytest.raises(ValidationError) as exc:
        make_person(dt.date(2010, 1, 1), categories=["留守儿童"])  # 16 on TODAY
    assert "未满16周岁" in problems(exc, Person)["categories"]
    assert make_person(dt.date(2010, 1, 1), categories=["困境儿童"]).is_child(TODAY)


# -- Visit ------------------------------------------------------------------


def visit(**fields: object) -> Visit:
    data = {"person_id": "p", "visit_date": TODAY, "visitor": "王协管", **fields}
    return Visit.model_validate(data, context=CTX)


def test_visit_defaults_describe_a_routine_home_visit() -> None:
    v = visit()
    assert (v.mode.zh, v.living_condition.zh, v.health.zh, v.mood.zh) == (
        "上门",
        "良好",
        "良好",
        "良好",
    )


def test_visit_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        visit(visit_date=TODAY + dt.timedelta(days=1))
    assert "晚于今天" in problems(exc, Visit)["visit_date"]


def test_follow_up_must_say_what() -> None:
    with pytest.raises(ValidationError) as exc:
        visit(follow_up_needed=True)
    assert "跟进事项" in problems(exc, Visit)["follow_up_note"]


# -- Child check ------------------------------------------------------------


def check(**fields: object) -> ChildCheck:
    data = {
        "person_id": "c",
        "check_date": TODAY,
        "checker": "李主任",
        "guardian_situation": "both_away",
        **fields,
    }
    return ChildCheck.model_validate(data, context=CTX)


def test_high_risk_without_report_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        check(risk_level="high", risk_flags=["drowning"])
    message = problems(exc, ChildCheck)["reported_at"]
    assert "强制报告时间" in message and "报告对象" in message


def test_high_risk_with_only_the_time_names_the_missing_recipient() -> None:
    with pytest.raises(ValidationError) as exc:
        check(risk_level="high", reported_at=NOW)
    assert "reported_to" in problems(exc, ChildCheck)


def test_high_risk_with_report_is_accepted() -> None:
    c = check(risk_level="high", reported_at=NOW, reported_to="镇民政办")
    assert c.risk_level is RiskLevel.HIGH


def test_report_time_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        check(
            risk_level="high",
            reported_at=NOW + dt.timedelta(days=2),
            reported_to="镇民政办",
        )
    assert "reported_at" in problems(exc, ChildCheck)


def test_medium_risk_needs_no_report() -> None:
    assert check(risk_level="medium").reported_at is None


# -- Elder need workflow ----------------------------------------------------


def new_need() -> ElderNeed:
    need, first = ElderNeed.raise_new(
        at=NOW,
        staff="王协管",
        context=CTX,
        person_id="e",
        need_type=NeedType.MEALS,
        raised_on=TODAY,
    )
    assert first.from_status is None and first.to_status is NeedStatus.PENDING
    return need


def test_need_walks_its_workflow_and_keeps_every_step() -> None:
    need = new_need()
    need, _ = need.advance(
        NeedStatus.REFERRED, at=NOW, staff="王协管", referred_to=ReferredTo.CARE_CENTRE
    )
    need, _ = need.advance(NeedStatus.IN_PROGRESS, at=NOW, staff="照料中心")
    need, last = need.advance(NeedStatus.RESOLVED, at=NOW, staff="王协管", note="已送餐")
    assert need.status is NeedStatus.RESOLVED
    assert [h.to_status for h in need.history] == [
        NeedStatus.PENDING,
        NeedStatus.REFERRED,
        NeedStatus.IN_PROGRESS,
        NeedStatus.RESOLVED,
    ]
    assert (last.from_status, last.staff, last.changed_at) == (
        NeedStatus.IN_PROGRESS,
        "王协管",
        NOW,
    )
    assert need.resolution_note == "已送餐"
    assert need.referred_to is ReferredTo.CARE_CENTRE


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ((), NeedStatus.RESOLVED),  # 待处理 cannot jump to 已解决
        ((NeedStatus.IN_PROGRESS,), NeedStatus.REFERRED),  # no going back
        ((NeedStatus.IN_PROGRESS, NeedStatus.RESOLVED), NeedStatus.IN_PROGRESS),  # closed
    ],
)
def test_need_refuses_steps_off_the_workflow(path: tuple[NeedStatus, ...], bad: NeedStatus) -> None:
    need = new_need()
    for step in path:
        need, _ = need.advance(step, at=NOW, staff="王")
    with pytest.raises(NeedTransitionError, match=f"不能从“{need.status.zh}”改为“{bad.zh}”"):
        need.advance(bad, at=NOW, staff="王")


def test_referral_needs_a_destination_and_unresolvable_a_reason() -> None:
    need = new_need()
    with pytest.raises(NeedTransitionError, match="转介至"):
        need.advance(NeedStatus.REFERRED, at=NOW, staff="王")
    with pytest.raises(NeedTransitionError, match="原因"):
        need.advance(NeedStatus.UNRESOLVABLE, at=NOW, staff="王")
    closed, _ = need.advance(NeedStatus.UNRESOLVABLE, at=NOW, staff="王", note="老人拒绝")
    assert closed.resolution_note == "老人拒绝"


# -- Barthel ---------------------------------------------------------------

ALL_FULL = {item.field: item.scores[-1] for item in ITEMS}


def assessment(**scores: int) -> Assessment:
    data = {"person_id": "e", "assessed_on": TODAY, "assessor": "王", **ALL_FULL, **scores}
    return Assessment.model_validate(data, context=CTX)


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (100, "无需依赖"),
        (99, "轻度依赖"),
        (95, "轻度依赖"),
        (61, "轻度依赖"),
        (60, "中度依赖"),
        (41, "中度依赖"),
        (40, "重度依赖"),
        (0, "重度依赖"),
    ],
)
def test_barthel_level_boundaries(total: int, level: str) -> None:
    assert level_for(total).zh == level


def test_assessment_derives_total_and_level() -> None:
    full = assessment()
    assert (full.total, full.level) == (100, DependencyLevel.NONE)
    zero = assessment(**{item.field: 0 for item in ITEMS})
    assert (zero.total, zero.level) == (0, DependencyLevel.SEVERE)
    sixty = assessment(transfer=0, mobility=0, stairs=0, bathing=0, feeding=5)
    assert (sixty.total, sixty.level.zh) == (50, "中度依赖")
    assert assessment(bathing=0).row()["total"] == 95


@pytest.mark.parametrize(
    ("field", "score"),
    [("feeding", 15), ("bathing", 10), ("grooming", 3), ("transfer", 20), ("stairs", -5)],
)
def test_barthel_refuses_scores_an_item_does_not_have(field: str, score: int) -> None:
    with pytest.raises(ValidationError) as exc:
        assessment(**{field: score})
    message = problems(exc, Assessment)[field]
    assert f"不能评{score}分" in message


def test_barthel_item_scores_match_the_index() -> None:
    assert sum(item.scores[-1] for item in ITEMS) == 100
    assert {i.field: i.scores for i in ITEMS}["transfer"] == (0, 5, 10, 15)


def test_person_id_number_check_uses_the_pinned_day() -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    data = {"village_code": "330902112201", "name": "新生儿", "id_number": synthetic_id(tomorrow)}
    with pytest.raises(ValidationError):
        Person.model_validate(data, context=CTX)
    assert Person.model_validate(data, context={"today": tomorrow}).age_on(tomorrow) == 0


# -- the rules' messages come from the catalogue, in both languages -----------------------


def both(error: ValidationError, model: type[Any]) -> tuple[str, str]:
    """What the error says, every problem on its line, in Chinese and in English."""
    zh, en = ("\n".join(str(p) for p in explain(error, model, lang)) for lang in ("zh", "en"))
    return zh, en


def test_a_rules_message_carries_hostile_text_as_it_was_typed() -> None:
    """A value put into a message stays the value: braces are not a template, markup is
    not markup, in either language."""
    with pytest.raises(ValidationError) as exc:
        make_person(name="王{name}[/]=1234567")
    zh, en = both(exc.value, Person)
    assert zh.startswith("姓名“王{name}[/]=1234567”里有一长串数字")
    assert en.startswith("Name: 王{name}[/]=1234567 looks like an ID or phone number")


def test_a_day_after_today_is_named_by_its_field_in_chinese_only() -> None:
    late = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        Visit.model_validate(
            {"person_id": "p", "visit_date": late, "visitor": "王"}, context={"today": TODAY}
        )
    zh, en = both(exc.value, Visit)
    assert zh == f"探访日期{late.isoformat()}晚于今天；请填写今天或之前的日期"
    assert en == f"Date: {late.isoformat()} is after today; use today or an earlier day"


def test_a_need_names_where_it_may_go_in_the_statuses_order() -> None:
    need = ElderNeed.model_validate(
        {"person_id": "p", "need_type": NeedType.MEALS, "raised_on": TODAY, "raised_by": "王"},
        context=CTX,
    )
    with pytest.raises(NeedTransitionError) as caught:
        need.advance(NeedStatus.RESOLVED, at=NOW, staff="王")
    said = caught.value.args[0]
    assert said == "需求状态不能从“待处理”改为“已解决”；可改为：已转介、处理中、无法解决"
    assert said.en == (
        "a need cannot go from Pending to Resolved; it can go to: "
        "Referred, In progress, Cannot be resolved"
    )


def test_a_barthel_score_is_refused_under_its_items_label() -> None:
    scores = {item.field: item.scores[0] for item in ITEMS}
    with pytest.raises(ValidationError) as exc:
        Assessment.model_validate(
            {"person_id": "p", "assessed_on": TODAY, "assessor": "王", **scores, "transfer": 7},
            context=CTX,
        )
    zh, en = both(exc.value, Assessment)
    assert zh == "床椅转移：“床椅转移”只能评0/5/10/15分，不能评7分；请重新选择"
    assert en == "Transfer scores 0/5/10/15, not 7; choose again"


def test_a_high_risk_check_names_what_is_missing_in_each_language() -> None:
    with pytest.raises(ValidationError) as exc:
        ChildCheck.model_validate(
            {
                "person_id": "p",
                "check_date": TODAY,
                "checker": "李",
                "guardian_situation": "kin",
                "risk_level": RiskLevel.HIGH,
                "reported_at": NOW,
            },
            context=CTX,
        )
    zh, en = both(exc.value, ChildCheck)
    assert "请填写报告对象（" in zh and zh.startswith("报告对象：")
    assert en.startswith("Reported to: a high-risk child must be reported: fill in to whom (")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("３３０９０２１１２２０１", "330902112201"),  # a Chinese input method's full-width mode
        (" 330902112201\u3000", "330902112201"),
    ],
)
def test_a_village_code_typed_full_width_is_the_same_village(typed: str, stored: str) -> None:
    assert Village(id=typed, name="海星村").id == stored


@pytest.mark.parametrize(
    "typed",
    [
        "33090211220١",  # Arabic-Indic one: a digit to `\d`, and not the same village
        "33090211220[/b]",
        "=330902112201",
        "3309021122011",
    ],
)
def test_a_village_code_of_anything_but_12_ascii_digits_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError, match="12"):
        Village(id=typed, name="海星村")


def test_a_person_s_village_typed_full_width_is_the_village_s_code() -> None:
    """A form, a command or an imported roster names the village as typed: the record
    holds the code the village is stored under."""
    data = {
        "village_code": "３３０９０２１１２２０１",
        "name": "王[/b]=1",
        "id_number": synthetic_id(dt.date(1950, 3, 1)),
    }
    assert Person.model_validate(data, context=CTX).village_code == "330902112201"
