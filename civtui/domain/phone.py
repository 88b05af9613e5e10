"""Mainland China phone numbers: mobiles and landlines with their area code."""

from __future__ import annotations

import re
import unicodedata

from civtui.i18n import Said

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area codes are 010, 02X, or 0 followed by three digits (0580 is Zhoushan);
# local numbers are 7 or 8 digits, an extension may follow.
_LANDLINE = re.compile(r"^(010|02\d|0[3-9]\d{2})(\d{7,8})(?:转|ext|#)?(\d{1,6})?$")


def normalize(raw: str) -> str:
    """Return the canonical form (`13905801234` or `0580-2012345`) or raise ValueError.

    The message is Chinese and says what to change.
    """
    # NFKC turns full-width digits and brackets into ASCII; pasting adds invisible marks.
    text = unicodedata.normalize("NFKC", raw).lstrip("'‘’`")
    text = re.sub(r"[\s()\-—\u200b-\u200d\u2060\ufeff]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if _MOBILE.match(text):
        return text
    landline = _LANDLINE.match(text)
    if landline:
        area, local, ext = landline.groups()
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    if text.isdigit() and text.startswith("1") and len(text) < 11:
        # No local landline number starts with 1: this is a mobile missing digits
        # (a cut-off paste, or a column too narrow when it was copied).
        raise ValueError(
            Said(
                f"手机号“{raw}”只有{len(text)}位，少了{11 - len(text)}位（手机号为1开头的11位数字）；"
                "请向本人核对完整号码",
                f"the mobile number {raw} has {len(text)} digits, {11 - len(text)} too few (a "
                "mobile has 11 digits starting with 1); ask for the whole number",
            )
        )
    if text.isdigit() and len(text) in (7, 8):
        raise ValueError(
            Said(
                f"固定电话“{raw}”缺少区号；请加上区号，如 0580-{text}",
                f"the landline {raw} has no area code; add it, as in 0580-{text}",
            )
        )
    if text.isdigit() and text.startswith("1"):
        raise ValueError(
            Said(
                f"手机号“{raw}”应为1开头的11位数字，现为{len(text)}位；请核对",
                f"a mobile number has 11 digits starting with 1; {raw} has {len(text)}",
            )
        )
    raise ValueError(
        Said(
            f"“{raw}”不是有效的电话号码；手机号为11位（如13905801234），固定电话需带区号（如0580-2012345）",
            f"{raw} is not a phone number; a mobile has 11 digits (13905801234), a landline "
            "its area code (0580-2012345)",
        )
    )
