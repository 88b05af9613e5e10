"""Resident identity numbers (居民身份证号码, GB 11643-1999).

Layout: 6-digit area code, 8-digit birth date (YYYYMMDD), 3-digit sequence
(odd for men, even for women) and a check character by ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from civtui.i18n import Said

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# ASCII only: `\d` alone also matches the digits of other scripts (٣, ३).
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# GB/T 2260 province-level prefixes; an area code must name a county under one of them.
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)

#: Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证) follow
#: GB 11643 with these area codes in place of a county's.
PERMIT_AREAS = frozenset({"810000", "820000", "830000"})
#: What pasting from web pages, WeChat and Excel brings along: zero-width characters,
#: the byte-order mark, and Excel's text marker (a leading apostrophe, sometimes curled).
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]")
_TEXT_MARKS = "'‘’`"

Sex = Literal["M", "F"]


class ResidentIdError(ValueError):
    """A resident ID that breaks GB 11643; the message is Chinese and says how to fix it."""


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID and what it tells about its holder."""

    number: str
    area_code: str
    birth_date: dt.date
    sex: Sex

    def age_on(self, day: dt.date) -> int:
        """Full years of age on `day`."""
        return age(self.birth_date, day)

    @property
    def masked(self) -> str:
        """The form shown in lists: area code and the last four characters only."""
        return mask(self.number)


def age(birth: dt.date, day: dt.date) -> int:
    """Full years between `birth` and `day`."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def birth_date_of(number: str) -> dt.date:
    """The birth date of an already validated number (no checks: use `parse` for input)."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask(number: str) -> str:
    """Hide the birth date and most of the sequence: `330902********123X`."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def normalize(raw: str) -> str:
    """The number as typed, without what pasting adds.

    Full-width digits and `Ｘ` become ASCII (NFKC), blanks of every kind and zero-width
    characters go, a leading apostrophe (Excel's "this is text") goes, `x` becomes `X`.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", raw))
    return text.lstrip(_TEXT_MARKS).upper()


def _foreign(char: str) -> bool:
    # Full-width digits are left to NFKC (`normalize`); these are the other scripts'.
    return (
        unicodedata.decimal(char, None) is not None
        and not unicodedata.normalize("NFKC", char).isascii()
    )


def has_foreign_digits(text: str) -> bool:
    """Whether `text` holds decimal digits of a script other than ASCII (Arabic-Indic …)."""
    return any(_foreign(c) for c in text)


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit of any script written as ASCII 0-9."""
    return "".join(str(unicodedata.decimal(c)) if _foreign(c) else c for c in text)


def upgrade(first_generation: str) -> str:
    """The 18-digit form of a 15-digit first-generation ID (GB 11643-1999, appendix).

    The 15-digit number has a two-digit year and no check character: insert `19` before
    the year and compute the check character.
    """
    first17 = first_generation[:6] + "19" + first_generation[6:]
    return first17 + check_char(first17)


def is_first_generation(number: str) -> bool:
    """A normalized number that is a 15-digit first-generation ID by its shape."""
    return len(number) == 15 and number.isdigit()


def parse(raw: str, today: dt.date, *, new: bool = True) -> ResidentId:
    """Validate `raw` as of `today` and return what it encodes.

    Raises ResidentIdError with a Chinese message naming the fault and the fix. `new` is
    False for a number already stored: the checks added since it was written (other
    scripts' digits, sequence 000) must not make a stored person unreadable.
    """
    number = normalize(raw)
    if not number:
        raise ResidentIdError(
            Said(
                "身份证号不能为空；请填写18位身份证号",
                "the ID number is required; fill in its 18 characters",
            )
        )
    if is_first_generation(number):
        raise ResidentIdError(
            Said(
                f"这是15位的第一代身份证号；请填写18位号码（应为{upgrade(number)}，请与本人证件核对）",
                f"this is a 15-digit first-generation ID; write the 18-character number (it "
                f"should be {upgrade(number)}: check it against the card)",
            )
        )
    if not new:
        number = ascii_digits(number)
    elif has_foreign_digits(number):
        found = "".join(dict.fromkeys(c for c in number if _foreign(c)))
        raise ResidentIdError(
            Said(
                f"身份证号里有“{found}”这样的其他文字的数字；请用半角数字0-9重新输入",
                f"the ID number holds digits of another script ({found}); type it again "
                "with the digits 0-9",
            )
        )
    if len(number) != 18:
        raise ResidentIdError(
            Said(
                f"身份证号应为18位，现为{len(number)}位；请核对是否多输或漏输了数字",
                f"an ID number has 18 characters, this one {len(number)}; check for a digit "
                "too many or too few",
            )
        )
    if not _SHAPE.match(number):
        raise ResidentIdError(
            Said(
                "身份证号前17位只能是数字，最后一位是数字或X；请删除其他字符",
                "the first 17 characters are digits and the last a digit or X; remove the rest",
            )
        )
    area = number[:6]
    if area not in PERMIT_AREAS and (area[:2] not in _PROVINCES or area[2:] == "0000"):
        raise ResidentIdError(
            Said(
                f"身份证号前6位地区码“{area}”不是有效的县级行政区划代码；请核对",
                f"the area code {area} (first 6 digits) is not a county code; please check",
            )
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ResidentIdError(
            Said(
                f"身份证号第7-14位出生日期“{number[6:14]}”不是真实日期；请核对出生年月日",
                f"the birth date {number[6:14]} (digits 7-14) is not a real date; check it",
            )
        ) from None
    if birth > today:
        raise ResidentIdError(
            Said(
                f"身份证号中的出生日期{birth.isoformat()}晚于今天；请核对出生年份",
                f"the birth date {birth.isoformat()} in the ID is after today; check the year",
            )
        )
    if birth.year < 1880:
        raise ResidentIdError(
            Said(
                f"身份证号中的出生年份{birth.year}不合理；请核对出生年份",
                f"the birth year {birth.year} in the ID cannot be right; check the year",
            )
        )
    if new and number[14:17] == "000":
        # No office issues sequence 000. Excel's number format "0" shows an 18-digit ID
        # with its last three digits as 0, and a CSV saved from it keeps them so.
        raise ResidentIdError(
            Said(
                "身份证号第15-17位顺序码为000，没有这样的号码；多半是 Excel 把这一列设成了数字格式“0”，"
                "末几位被改成了0。请把该列设为“文本”格式后重新输入身份证号",
                "digits 15-17 (the sequence code) are 000, which is never issued: most likely "
                'Excel held the column in its number format "0" and set the last digits to 0. '
                "Set the column's format to Text and type the ID numbers again",
            )
        )
    expected = check_char(number[:17])
    if number[17] != expected:
        raise ResidentIdError(
            Said(
                f"身份证号校验位应为“{expected}”而不是“{number[17]}”，号码中有数字录错；请逐位核对",
                f"the check character should be {expected}, not {number[17]}: a digit was "
                "typed wrong; check each one",
            )
        )
    sex: Sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, area_code=area, birth_date=birth, sex=sex)


def make(area_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a checksummed number; used for synthetic (demo and test) people only."""
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
