"""Mainland China phone numbers: mobiles and landlines with their area code."""

from __future__ import annotations

import re
import unicodedata

from civtui.i18n import said

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
        raise ValueError(said("phone.short", raw=raw, n=len(text), missing=11 - len(text)))
    if text.isdigit() and len(text) in (7, 8):
        raise ValueError(said("phone.no_area", raw=raw, digits=text))
    if text.isdigit() and text.startswith("1"):
        raise ValueError(said("phone.mobile_length", raw=raw, n=len(text)))
    raise ValueError(said("phone.invalid", raw=raw))
