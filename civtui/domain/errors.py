"""Turning validation failures into messages that name the field and the fix.

Chinese first: a message is an `i18n.Said`, a str in Chinese that carries its English twin,
so code that prints it (the CLI, the importer, the server) needs to know nothing about it.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from civtui.domain.choices import Choice
from civtui.i18n import Said, Translator

#: Pydantic's own error types, by the catalogue message that says them the way a village
#: assistant would understand (civtui/i18n/domain.py, the `input.*` keys).
_MESSAGES: dict[str, str] = {
    "missing": "input.missing",
    "string_too_short": "input.empty",
    "string_too_long": "input.too_long",
    "enum": "input.choice",
    "literal_error": "input.choice",
    "date_parsing": "input.date",
    "date_from_datetime_parsing": "input.date",
    "date_type": "input.date",
    "datetime_parsing": "input.time",
    "datetime_from_date_parsing": "input.time",
    "datetime_type": "input.time",
    "int_parsing": "input.int",
    "int_type": "input.int",
    "greater_than_equal": "input.too_small",
    "less_than_equal": "input.too_big",
    "bool_parsing": "input.yes_no",
    "list_type": "input.list",
}


def not_a_date(lang: str = "zh", *, with_time: bool = False) -> str:
    """The one message for a date (or date and time) typed in no form civtui reads."""
    return Translator(lang)("input.time" if with_time else "input.date")


def text(error: BaseException, lang: str = "zh") -> str:
    """What an error raised with a `Said` says, in `lang`; other errors as they are."""
    said = error.args[0] if error.args else None
    return said.in_(lang) if isinstance(said, Said) else str(error)


class FieldError(ValueError):
    """Raised by a whole-record rule to point at the field the user must change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which field (code and label) and what to do."""

    field: str
    label: str
    message: str

    def __str__(self) -> str:
        if not self.label or self.message.startswith(self.label):
            return self.message
        return f"{self.label}{': ' if self.label.isascii() else '：'}{self.message}"


def _choice_class(model: type[BaseModel], field: str) -> type[Choice] | None:
    """The Choice a field holds (itself, in a list, or optional), if it holds one."""
    info = model.model_fields.get(field)
    pending: list[object] = [info.annotation] if info else []
    while pending:
        kind = pending.pop()
        if isinstance(kind, type) and issubclass(kind, Choice):
            return kind
        pending.extend(typing.get_args(kind))
    return None


def _not_a_choice(choice: type[Choice], lang: str) -> str:
    # The message lists what may be written: a form shows a list, a CSV does not.
    say = Translator(lang)
    return say("input.choice_of", choices=say("list.sep").join(m.label(lang) for m in choice))


def _message(error: ErrorDetails, lang: str, choice: type[Choice] | None = None) -> str:
    if error["type"] in ("enum", "literal_error") and choice is not None:
        return _not_a_choice(choice, lang)
    if error["type"] == "value_error":
        # Our own validators already say it as a person would; drop pydantic's prefix.
        cause = error.get("ctx", {}).get("error")
        return text(cause, lang) if isinstance(cause, BaseException) else error["msg"]
    key = _MESSAGES.get(error["type"])
    if key is None:
        return error["msg"]
    template = Translator(lang)(key)
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def explain(error: ValidationError, model: type[BaseModel], lang: str = "zh") -> list[Problem]:
    """Every problem in `error`, with the label of the field it belongs to, in `lang`."""
    label_of = Translator(lang).of
    problems = []
    for detail in error.errors():
        loc = detail["loc"]
        field = str(loc[0]) if loc else ""
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            field = cause.field
        label = label_of(model, field) if field else ""
        message = _message(detail, lang, _choice_class(model, field) if field else None)
        problems.append(Problem(field=field, label=label, message=message))
    return problems


def explain_text(error: ValidationError, model: type[BaseModel], lang: str = "zh") -> str:
    """All problems, one per line, for the CLI, notifications and logs."""
    return "\n".join(str(p) for p in explain(error, model, lang))
