"""The village code: the 12 ASCII digits of the statistical division code (county 6,
township 3, village 3). One rule for the laptop's records and the server's tokens."""

from __future__ import annotations

import re
import unicodedata

#: ASCII only: `\d` takes any script's digits, and a code typed in a Chinese input method's
#: full-width mode would be stored as a second village that looks like the first.
_CODE = re.compile(r"[0-9]{12}")


def normalize(raw: str) -> str:
    """The code as typed, with full-width digits made ASCII (NFKC) and blanks around it
    taken off: what people type in full-width mode is the same village."""
    return unicodedata.normalize("NFKC", raw).strip()


def is_code(value: str) -> bool:
    """Whether `value` is a village code as stored: exactly 12 ASCII digits."""
    return _CODE.fullmatch(value) is not None
