"""Turning validation failures into Chinese messages that name the field and the fix."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

# Pydantic's own error types, said the way a village assistant would understand.
_MESSAGES: dict[str, str] = {
    "missing": "必须填写；请补上",
    "string_too_short": "不能为空；请填写",
    "string_too_long": "太长了（最多{max_length}个字）；请精简",
    "enum": "不是可选的值；请从列表中选择",
    "literal_error": "不是可选的值；请从列表中选择",
    "date_parsing": "不是有效日期；请按 2026-03-05 的格式填写",
    "date_from_datetime_parsing": "不是有效日期；请按 2026-03-05 的格式填写",
    "date_type": "不是有效日期；请按 2026-03-05 的格式填写",
    "datetime_parsing": "不是有效时间；请按 2026-03-05 14:30 的格式填写",
    "datetime_from_date_parsing": "不是有效时间；请按 2026-03-05 14:30 的格式填写",
    "datetime_type": "不是有效时间；请按 2026-03-05 14:30 的格式填写",
    "int_parsing": "应为整数；请只填数字",
    "int_type": "应为整数；请只填数字",
    "greater_than_equal": "不能小于{ge}；请核对",
    "less_than_equal": "不能大于{le}；请核对",
    "bool_parsing": "应为“是”或“否”",
    "list_type": "格式不对；请从列表中选择",
}


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
        return f"{self.label}：{self.message}"


def _label(model: type[BaseModel], field: str) -> str:
    info = model.model_fields.get(field)
    return (info.title or field) if info is not None else field


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error":
        # Our own validators already speak Chinese; drop pydantic's prefix.
        cause = error.get("ctx", {}).get("error")
        return str(cause) if cause is not None else error["msg"]
    template = _MESSAGES.get(error["type"])
    if template is None:
        return error["msg"]
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def explain(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Every problem in `error`, with the Chinese label of the field it belongs to."""
    problems = []
    for detail in error.errors():
        loc = detail["loc"]
        field = str(loc[0]) if loc else ""
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            field = cause.field
        label = _label(model, field) if field else ""
        problems.append(Problem(field=field, label=label, message=_message(detail)))
    return problems


def explain_text(error: ValidationError, model: type[BaseModel]) -> str:
    """All problems, one per line, for the CLI and logs."""
    return "\n".join(str(p) for p in explain(error, model))
