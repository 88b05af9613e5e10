"""Resident identity numbers (居民身份证号码, GB 11643-1999).

Layout: 6-digit area code, 8-digit birth date (YYYYMMDD), 3-digit sequence
(odd for men, even for women) and a check character by ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from civtui.i18n import said

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
    """A resident ID that breaks GB 11643: its message (`id.*` in the catalogue, a `Said`)
    is Chinese, with the English beside it, and says how to fix it."""


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError(first17)
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
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
    # ASCII first: nearly every number is, and asking Unicode of each character is slow.
    return not text.isascii() and any(_foreign(c) for c in text)


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit of any script written as ASCII 0-9."""
    if text.isascii():
        return text
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


@functools.lru_cache(maxsize=256)
def parse(raw: str, today: dt.date, *, new: bool = True) -> ResidentId:
    """Validate `raw` as of `today` and return what it encodes.

    Cached: one person's validation reads the number three times (the number, the age, the
    child categories' limits), and an import does so for thousands of rows in turn.

    Raises ResidentIdError with a Chinese message naming the fault and the fix. `new` is
    False for a number already stored: the checks added since it was written (other
    scripts' digits, sequence 000) must not make a stored person unreadable.
    """
    number = normalize(raw)
    if not number:
        raise ResidentIdError(said("id.required"))
    if is_first_generation(number):
        raise ResidentIdError(said("id.first_generation", upgraded=upgrade(number)))
    if not new:
        number = ascii_digits(number)
    elif has_foreign_digits(number):
        found = "".join(dict.fromkeys(c for c in number if _foreign(c)))
        raise ResidentIdError(said("id.foreign_digits", found=found))
    if len(number) != 18:
        raise ResidentIdError(said("id.length", length=len(number)))
    if not _SHAPE.match(number):
        raise ResidentIdError(said("id.shape"))
    area = number[:6]
    if area not in PERMIT_AREAS and (area[:2] not in _PROVINCES or area[2:] == "0000"):
        raise ResidentIdError(said("id.area", area=area))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ResidentIdError(said("id.birth_date", digits=number[6:14])) from None
    if birth > today:
        raise ResidentIdError(said("id.birth_future", birth=birth.isoformat()))
    if birth.year < 1880:
        raise ResidentIdError(said("id.birth_year", year=birth.year))
    if new and number[14:17] == "000":
        # No office issues sequence 000. Excel's number format "0" shows an 18-digit ID
        # with its last three digits as 0, and a CSV saved from it keeps them so.
        raise ResidentIdError(said("id.sequence_000"))
    expected = check_char(number[:17])
    if number[17] != expected:
        raise ResidentIdError(said("id.check_char", expected=expected, found=number[17]))
    sex: Sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, area_code=area, birth_date=birth, sex=sex)


def make(area_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a checksummed number; used for synthetic (demo and test) people only."""
    first17 = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
