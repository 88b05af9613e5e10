"""A field's value in the reader's words: labels for codes, a dash for nothing.

One place for the record page's fields and history, the conflict dialog, the conflicts list
and the person page's conflict lines, so a choice never reads as its stored code on one of
them (健康状况 "一般", never "fair").
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from civtui.domain.choices import Choice
from civtui.domain.models import RECORD_TYPES, Record
from civtui.i18n import Translator


def shown(value: Any, t: Translator) -> str:
    """A field's value as the reader knows it: labels, not codes; a dash for nothing."""
    lang = t.lang
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, Choice):
        return value.label(lang)
    if isinstance(value, bool):
        return t("form.yes") if value else t("form.no")
    if isinstance(value, list):
        return t("list.sep").join(shown(v, t) for v in value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@cache
def _adapter(kind: type[Record], name: str) -> TypeAdapter[Any]:
    annotation = kind.model_fields[name].annotation
    return TypeAdapter(annotation if annotation is not None else Any)


def shown_raw(kind: type[Record], name: str, raw: Any, t: Translator) -> str:
    """A value as the change log holds it (codes, ISO text), shown as `shown` would."""
    if raw is None or raw == "":
        return "—"
    if name not in kind.model_fields:
        return str(raw)
    try:
        return shown(_adapter(kind, name).validate_python(raw), t)
    except ValidationError:
        return str(raw)


def of_table(table: str, name: str, raw: Any, t: Translator) -> str:
    """A value of a synced table's field (a conflict's), as the log holds it, in words."""
    kind = RECORD_TYPES.get(table)
    if kind is None:
        return "—" if raw is None or raw == "" or raw == [] else str(raw)
    return shown_raw(kind, name, raw, t)
