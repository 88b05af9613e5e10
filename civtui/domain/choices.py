"""Every fixed set of values the app records, each with its Chinese and English label.

Values are stored as short ASCII codes so that the database, the sync protocol
and exports never depend on the display language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from civtui.i18n import joined, said


class Choice(StrEnum):
    """A fixed value stored as its ASCII code and shown by its label."""

    zh: str
    en: str

    # Labels are varargs so that a lookup by code, `Category("orphan")`, type-checks.
    def __new__(cls, code: str, *labels: str) -> Self:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.zh, obj.en = labels
        return obj

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        # Lets imports and typed input use the labels people know (`留守儿童`), and the
        # ones ledgers write for them (`低保户`, see SYNONYMS).
        if isinstance(value, str):
            text = value.strip()
            for member in cls:
                if text in (member.zh, member.en):
                    return member
            synonym = SYNONYMS.get(cls, {}).get(text)
            if synonym is not None:
                return cls(synonym)
        return None

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    @classmethod
    def parse(cls, text: str) -> Self:
        """Find a member by code or by either label (used by importers and the CLI)."""
        try:
            return cls(text.strip())
        except ValueError:
            # The list of choices is data in each language, not a sentence.
            choices = joined(list(cls), "list.sep")
            raise ValueError(said("choice.unknown", text=text.strip(), choices=choices)) from None


class Role(Choice):
    ASSISTANT = "assistant", "民政协管员", "Civil-affairs assistant"
    CHILD_DIRECTOR = "child_director", "儿童主任", "Child director"
    SUPERVISOR = "supervisor", "督导员", "Supervisor"


class EconomicStatus(Choice):
    NONE = "none", "无", "None"
    DIBAO = "dibao", "低保", "Minimum living allowance"
    DIBIAN = "dibian", "低边", "Marginal low-income"
    TEKUN = "tekun", "特困", "Extreme poverty support"
    EXPENDITURE_POOR = "expenditure_poor", "支出型贫困", "Expenditure-type poverty"


class PersonStatus(Choice):
    ACTIVE = "active", "在册", "Active"
    MOVED_OUT = "moved_out", "迁出", "Moved out"
    DECEASED = "deceased", "死亡", "Deceased"


class Category(Choice):
    ADVANCED_AGE = "advanced_age", "高龄", "Aged 80+"
    LIVING_ALONE = "living_alone", "独居", "Lives alone"
    EMPTY_NEST = "empty_nest", "空巢", "Empty nest"
    CHILDLESS_WIDOWED = "childless_widowed", "孤寡", "Childless and widowed"
    DISABLED = "disabled", "失能", "Fully dependent"
    SEMI_DISABLED = "semi_disabled", "半失能", "Partly dependent"
    SEVERE_DISABILITY = "severe_disability", "重度残疾", "Severe disability"
    SERIOUS_ILLNESS = "serious_illness", "重病", "Serious illness"
    TEKUN = "tekun", "特困", "Extreme poverty support"
    DIBAO = "dibao", "低保", "Minimum living allowance"
    DIBIAN = "dibian", "低边", "Marginal low-income"
    ORPHAN = "orphan", "孤儿", "Orphan"
    DE_FACTO_UNSUPPORTED = "de_facto_unsupported", "事实无人抚养儿童", "De facto unsupported child"
    CHILD_IN_DISTRESS = "child_in_distress", "困境儿童", "Child in distress"
    LEFT_BEHIND = "left_behind", "留守儿童", "Left-behind child"


#: Categories the app derives (高龄 from the ID number, 失能/半失能 from the latest
#: assessment); they are never stored as typed-in flags.
DERIVED_CATEGORIES = frozenset({Category.ADVANCED_AGE, Category.DISABLED, Category.SEMI_DISABLED})
CHILD_CATEGORIES = frozenset(
    {
        Category.ORPHAN,
        Category.DE_FACTO_UNSUPPORTED,
        Category.CHILD_IN_DISTRESS,
        Category.LEFT_BEHIND,
    }
)


class VisitMode(Choice):
    HOME = "home", "上门", "Home visit"
    PHONE = "phone", "电话", "Phone"
    VIDEO = "video", "视频", "Video"


class Condition(Choice):
    """Living condition and health, rated the way the paper ledgers do."""

    GOOD = "good", "良好", "Good"
    FAIR = "fair", "一般", "Fair"
    POOR = "poor", "较差", "Poor"


class Mood(Choice):
    GOOD = "good", "良好", "Good"
    FAIR = "fair", "一般", "Fair"
    LOW = "low", "低落", "Low"


class SafetyHazard(Choice):
    FIRE = "fire", "用火用电", "Fire or electrical"
    GAS = "gas", "燃气", "Gas"
    FALL = "fall", "跌倒风险", "Fall risk"
    HOUSING = "housing", "房屋安全", "Unsafe housing"
    TYPHOON = "typhoon", "台风防范", "Typhoon exposure"
    OTHER = "other", "其他", "Other"


class GuardianSituation(Choice):
    BOTH_AWAY = "both_away", "父母均外出", "Both parents away"
    ONE_AWAY = "one_away", "父母一方外出", "One parent away"
    KIN = "kin", "亲属监护", "Kin guardian"
    PARENTS = "parents", "父母监护", "Parents"
    NONE = "none", "无人监护", "No guardian"


class SchoolStatus(Choice):
    PRESCHOOL = "preschool", "学龄前", "Pre-school"
    IN_SCHOOL = "in_school", "在校", "In school"
    DROPPED_OUT = "dropped_out", "辍学", "Dropped out"
    SUSPENDED = "suspended", "休学", "Suspended"
    FINISHED = "finished", "已毕业", "Finished school"


class RiskFlag(Choice):
    DROWNING = "drowning", "溺水", "Drowning"
    DOMESTIC_VIOLENCE = "domestic_violence", "家暴", "Domestic violence"
    ABANDONMENT = "abandonment", "遗弃", "Abandonment"
    BULLYING = "bullying", "欺凌", "Bullying"
    MENTAL = "mental", "心理", "Mental health"
    UNATTENDED = "unattended", "无人照料", "Left unattended"
    DROPOUT = "dropout", "辍学", "Dropping out"


class Finding(Choice):
    """A problem found on a visit or a child check (存在问题), beside the note's own words.

    Each kind of contact offers the ones that fit it (`VISIT_FINDINGS`, `CHECK_FINDINGS`)."""

    HIGH_BP = "high_bp", "血压偏高", "High blood pressure"
    ILLNESS = "illness", "病情未控制", "Illness not under control"
    MEDICATION = "medication", "用药不规范", "Medicine not taken right"
    MOBILITY = "mobility", "行动不便", "Limited mobility"
    NO_CARE = "no_care", "无人照料", "No one to care"
    HARDSHIP = "hardship", "生活困难", "Hardship"
    LONELY = "lonely", "情绪低落", "Low spirits"
    BENEFIT = "benefit", "待遇未落实", "Benefit not received"
    STUDY = "study", "学习困难", "Struggling at school"
    BEHAVIOUR = "behaviour", "心理行为问题", "Emotional or behaviour problems"
    GUARDIAN = "guardian", "监护不到位", "Guardian not coping"


VISIT_FINDINGS = (
    Finding.HIGH_BP,
    Finding.ILLNESS,
    Finding.MEDICATION,
    Finding.MOBILITY,
    Finding.NO_CARE,
    Finding.HARDSHIP,
    Finding.LONELY,
    Finding.BENEFIT,
)
CHECK_FINDINGS = (
    Finding.ILLNESS,
    Finding.STUDY,
    Finding.BEHAVIOUR,
    Finding.GUARDIAN,
    Finding.HARDSHIP,
    Finding.BENEFIT,
)


class RiskLevel(Choice):
    LOW = "low", "低", "Low"
    MEDIUM = "medium", "中", "Medium"
    HIGH = "high", "高", "High"


class NeedType(Choice):
    MEALS = "meals", "助餐", "Meals"
    CLEANING = "cleaning", "助洁", "Cleaning"
    BATHING = "bathing", "助浴", "Bathing"
    MEDICAL = "medical", "助医", "Medical help"
    HOME_CARE = "home_care", "上门护理", "Home care"
    HOME_MODIFICATION = "home_modification", "适老化改造", "Home modification"
    EMERGENCY_DEVICE = "emergency_device", "紧急呼叫设备", "Emergency-call device"
    COMPANIONSHIP = "companionship", "精神慰藉", "Companionship"
    ERRANDS = "errands", "代购代办", "Errands"
    REHAB_AIDS = "rehab_aids", "康复辅具", "Rehabilitation aids"
    OTHER = "other", "其他", "Other"


class Urgency(Choice):
    NORMAL = "normal", "一般", "Normal"
    SOON = "soon", "较急", "Soon"
    URGENT = "urgent", "紧急", "Urgent"


class NeedStatus(Choice):
    PENDING = "pending", "待处理", "Pending"
    REFERRED = "referred", "已转介", "Referred"
    IN_PROGRESS = "in_progress", "处理中", "In progress"
    RESOLVED = "resolved", "已解决", "Resolved"
    UNRESOLVABLE = "unresolvable", "无法解决", "Cannot be resolved"


class ReferredTo(Choice):
    HAPPINESS_STATION = "happiness_station", "幸福驿家", "Happiness station"
    CARE_CENTRE = "care_centre", "照料中心", "Day-care centre"
    TOWNSHIP = "township", "乡镇(街道)", "Township office"
    VOLUNTEERS = "volunteers", "志愿者", "Volunteers"
    CLINIC = "clinic", "卫生院(室)", "Clinic"


class DependencyLevel(Choice):
    NONE = "none", "无需依赖", "Independent"
    MILD = "mild", "轻度依赖", "Mild dependency"
    MODERATE = "moderate", "中度依赖", "Moderate dependency"
    SEVERE = "severe", "重度依赖", "Severe dependency"


class Frequency(Choice):
    """How often a category must be visited; the township can change it."""

    MONTHLY = "monthly", "每月", "Monthly"
    QUARTERLY = "quarterly", "每季度", "Quarterly"
    NONE = "none", "不要求", "Not required"


class Sex(Choice):
    MALE = "M", "男", "Male"
    FEMALE = "F", "女", "Female"


#: Other labels for a value, as township ledgers and village rosters write them; the
#: importer and typed input accept them. Label → the value's code.
SYNONYMS: dict[type[Choice], dict[str, str]] = {
    Category: {
        "低保户": "dibao",
        "低保对象": "dibao",
        "低保边缘": "dibian",
        "低保边缘户": "dibian",
        "低边户": "dibian",
        "特困人员": "tekun",
        "特困供养": "tekun",
        "特困供养人员": "tekun",
        "五保户": "tekun",
        "独居老人": "living_alone",
        "空巢老人": "empty_nest",
        "孤寡老人": "childless_widowed",
        "高龄老人": "advanced_age",
        "失能老人": "disabled",
        "半失能老人": "semi_disabled",
        "重度残疾人": "severe_disability",
        "重残": "severe_disability",
        "重病患者": "serious_illness",
        "大病": "serious_illness",
        "事实无人抚养": "de_facto_unsupported",
        "事实无人抚养儿童": "de_facto_unsupported",
        "困境": "child_in_distress",
        "留守": "left_behind",
    },
    # What assistants call their own role, as `init --role` is typed.
    Role: {"协管员": "assistant", "民政助理员": "assistant"},
    PersonStatus: {
        "正常": "active",
        "在籍": "active",
        "户籍在册": "active",
        "已迁出": "moved_out",
        "户籍迁出": "moved_out",
        "已故": "deceased",
        "去世": "deceased",
        "死亡注销": "deceased",
        "注销": "deceased",
    },
}

#: Disability grades as rosters write them (一级, 二, 3级…) → the grade.
DISABILITY_GRADES: dict[str, int] = {
    form.format(label): grade
    for grade, labels in enumerate(
        (("1", "一", "壹"), ("2", "二", "贰"), ("3", "三", "叁"), ("4", "四", "肆")), start=1
    )
    for label in labels
    for form in ("{}", "{}级", "{}等", "{}级残疾")
}
