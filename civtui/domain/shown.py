"""What a person, a file or a server supplied, made safe to show on a terminal.

Names, notes, village names and server words are data. On a terminal a few characters in
them are instructions instead: ESC starts a sequence that can clear the screen or retitle
the window, CR moves back over what was written, the bidi overrides reverse what follows
(`\u202e` turns `exe.txt` into what reads as `txt.exe`). Every place that shows such a
value (the screens through `screens.format.text`, the CLI through `civtui.cli.common`, the
server's plain log) passes it through `visible`, which draws those characters instead of
obeying them. Stored data is never changed: this is only what is shown.
"""

from __future__ import annotations

import re

#: Bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069), the marks
#: that can reorder a line without being seen, and the line and paragraph separators some
#: terminals break a line at.
_INVISIBLE = frozenset(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C, 0x2028, 0x2029]
)


#: The same characters as `needs_showing`, as one pattern: a name is asked about as a whole
#: (a roster keystroke asks for hundreds), and a search in C is ~20× the per-character loop.
_NEEDS_SHOWING = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u2028\u2029]"
)


def _shown(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        # The Control Pictures block draws each C0 character as one cell: ESC as ␛.
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0x80 <= code <= 0x9F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def needs_showing(char: str) -> bool:
    """Whether a terminal would act on `char` (or hide it) rather than draw it."""
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in _INVISIBLE


def visible(value: object, *, lines: bool = False) -> str:
    """`value` as text a terminal shows and never obeys: control characters (C0, DEL, C1),
    bidi overrides and invisible marks are drawn (␛, ␍, `\\u202e`) instead of acted on.

    With `lines`, newlines and tabs are kept (a note has paragraphs; a CR LF from a
    spreadsheet becomes a plain newline); otherwise everything is drawn on one line, as a
    list cell or a title needs. None is shown as nothing.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if lines:
        text = text.replace("\r\n", "\n")
    if not _NEEDS_SHOWING.search(text):
        return text
    kept = "\n\t" if lines else ""
    return "".join(_shown(c) if needs_showing(c) and c not in kept else c for c in text)


def in_place(value: str) -> str:
    """`value` with each character `visible` would draw replaced by a single stand-in (a
    Control Picture, or U+FFFD for the rest), so every other character keeps its position:
    for an input whose cursor moves over the value it is editing."""
    if not _NEEDS_SHOWING.search(value):
        return value
    return "".join(
        (chr(0x2400 + ord(c)) if ord(c) < 0x20 else "\ufffd") if needs_showing(c) else c
        for c in value
    )
