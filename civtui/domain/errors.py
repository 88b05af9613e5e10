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

_DATE = (
    "不是有效日期；可填 2026-11-20、2026/11/20、2026.11.20、20261120，或 11-20（今年）",
    "is not a date; write 2026-11-20, 2026/11/20, 2026.11.20, 20261120, or 11-20 (this year)",
)
_TIME = (
    "不是有效时间；请填日期和时间，如 2026-11-20 14:30 或 11-20 14:30",
    "is not a time; write a date and a time, such as 2026-11-20 14:30 or 11-20 14:30",
)
_CHOICE = ("不是可选的值；请从列表中选择", "is not one of the choices; pick one from the list")
_INT = ("应为整数；请只填数字", "should be a whole number; use digits only")

# Pydantic's own error types, said the way a village assistant would understand.
_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必须填写；请补上", "is required; please fill it in"),
    "string_too_short": ("不能为空；请填写", "cannot be empty; please fill it in"),
    "string_too_long": (
        "太长了（最多{max_length}个字）；请精简",
        "is too long (at most {max_length} characters); please shorten it",
    ),
    "enum": _CHOICE,
    "literal_error": _CHOICE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_type": _DATE,
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "datetime_type": _TIME,
    "int_parsing": _INT,
    "int_type": _INT,
    "greater_than_equal": ("不能小于{ge}；请核对", "cannot be less than {ge}; please check"),
    "less_than_equal": ("不能大于{le}；请核对", "cannot be more than {le}; please check"),
    "bool_parsing": ("应为“是”或“否”", "should be yes or no"),
    "list_type": ("格式不对；请从列表中选择", "is not in the right form; pick from the list"),
}


def not_a_date(lang: str = "zh", *, with_time: bool = False) -> str:
    """The one message for a date (or date and time) typed in no form civtui reads."""
    zh, en = _TIME if with_time else _DATE
    return en if lang == "en" else zh


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
    labels = [m.label(lang) for m in choice]
    if lang == "en":
        return "is not one of the choices; write one of: " + ", ".join(labels)
    return "不是可选的值；可选：" + "、".join(labels)


def _message(error: ErrorDetails, lang: str, choice: type[Choice] | None = None) -> str:
    if error["type"] in ("enum", "literal_error") and choice is not None:
        return _not_a_choice(choice, lang)
    if error["type"] == "value_error":
        # Our own validators already say it as a person would; drop pydantic's prefix.
        cause = error.get("ctx", {}).get("error")
        return text(cause, lang) if isinstance(cause, BaseException) else error["msg"]
    templates = _MESSAGES.get(error["type"])
    if templates is None:
        return error["msg"]
    template = templates[1] if lang == "en" else templates[0]
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
