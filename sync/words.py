"""Sync's codes in a person's language: the one place the CLI and the screens turn a
`protocol.Reason` (a code and its parameters) into words, through their `Translator`.

The words themselves are in `civtui.i18n.sync`; this module makes the parameters
readable first (a table's name, field labels, lists joined as the language joins them).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from civtui.domain.models import RECORD_TYPES, Record, sync_spec
from civtui.i18n import STRINGS, Translator
from sync.protocol import CONFLICT_SIDES, Code, Reason


def say(reason: Reason, t: Translator) -> str:
    """One reason, in `t`'s language."""
    params = dict(reason.params)
    kind = RECORD_TYPES.get(str(params.get("table", "")))
    listed = t("list.sep").join
    if "table" in params:
        params["table"] = _table(str(params["table"]), t)
    if "fields" in params:
        params["fields"] = listed(_label(kind, str(f), t) for f in _list(params["fields"]))
    if "villages" in params:
        params["villages"] = listed(map(str, _list(params["villages"])))
    if "tables" in params:
        # Kinds this version has no name for: said as the server named them.
        params["tables"] = listed(map(str, _list(params["tables"])))
    if "problems" in params:
        params["problems"] = t("sync.join").join(
            _problem(kind, p, t) for p in _list(params["problems"]) if isinstance(p, dict)
        )
    if "errors" in params:
        # Which parts of the request were wrong, by path: pydantic's messages are English.
        params["errors"] = listed(
            ".".join(map(str, e.get("loc", ()))) or "?"
            for e in _list(params["errors"])
            if isinstance(e, dict)
        )
    if "ahead_s" in params:
        params["ahead"] = _duration(int(params["ahead_s"]), t)
    if "detail" in params:
        params["detail"] = _detail(params["detail"], t)
    if reason.code is Code.SUMMARY:
        # What reached the server, apart from what it refused.
        params["taken"] = _int(params.get("pushed")) - _int(params.get("rejected"))
    if reason.code is Code.FUTURE_DATE:
        params["field"] = _label(kind, str(params.get("field", "")), t)
    if reason.code is Code.CONFLICT_FOUND:
        _conflict_words(params, str(reason.params.get("table", "")), t)
    if reason.code is Code.BUNDLE_NOT_ONE and (params.get("expected"), params.get("found")) == (
        "reply",
        "bundle",
    ):
        return t("bundle.own_not_reply")
    if reason.code is Code.BUNDLE_NOT_ONE and params.get("expected") in ("bundle", "reply"):
        params["expected"] = t(f"sync.code.bundle_kind.{params['expected']}")
    key = f"sync.code.{reason.code}"
    if params.get("count") == 1 and f"{key}.one" in STRINGS:
        key += ".one"  # English says "1 conflict was", not "1 conflicts were"
    try:
        return t(key, **params)
    except (KeyError, IndexError):
        # Parameters missing (a server of another version): the code's words, unfilled.
        return STRINGS[key][1 if t.lang == "en" else 0]


def on_person_page(table: str) -> bool:
    """Whether a person's page lists this table's conflicts (screens.person): the person's
    own, their household's, and those of everything on their timeline."""
    kind = RECORD_TYPES.get(table)
    if kind is None or kind.synced is None:
        return False
    return table in ("persons", "households") or sync_spec(kind).timeline is not None


def conflict_field(table: str, field: str, t: Translator) -> str:
    """The field of a conflict as a person reads it: a person's field by its label, another
    record's with the record's kind (探访记录的备注)."""
    label = _label(RECORD_TYPES.get(table), field, t)
    return label if table == "persons" else t("conflict.what", table=_table(table, t), field=label)


def _conflict_words(params: dict[str, Any], table: str, t: Translator) -> None:
    """A conflict's record, field and this laptop's part in it, as words (`params` has its
    table's name in words already)."""
    params["what"] = conflict_field(table, str(params.get("field", "")), t)
    side = str(params.get("side", ""))
    params["side"] = t(f"conflict.side.{side}") if side in CONFLICT_SIDES else ""
    # A deleted record's page no longer opens: the summary says so and no more. A record no
    # person's page shows is settled from the list of every conflict (待同步, c).
    if side == "deleted":
        params["where"] = ""
    else:
        params["where"] = t("conflict.where" if on_person_page(table) else "conflict.where_list")
    params["who"] = str(params.get("who") or params.get("id") or "")


def say_all(reasons: list[Reason], t: Translator) -> str:
    """Several reasons as one line (a sync's summary)."""
    return t("sync.join").join(say(r, t) for r in reasons)


def stored(text: str | None, t: Translator) -> str:
    """A reason as the profile stores it (the change log's `reason`), in `t`'s language."""
    return say(Reason.stored(text), t) if text else ""


def stored_summary(
    text: str | None, t: Translator, *, legacy_en: str | None = None, short: bool = False
) -> str:
    """The last sync's result as the profile stores it (`outbox.LAST_RESULT`); `short`: its
    counts in a few words (`say_short`), for the one-line status bar.

    Profiles synced before codes hold the words themselves, with the English in
    `outbox.LAST_RESULT_EN` (`legacy_en`)."""
    if not text:
        return ""
    try:
        reasons = [Reason.model_validate(r) for r in _json_list(text)]
    except (ValueError, ValidationError):
        return legacy_en if t.lang == "en" and legacy_en else text
    if short:
        return t("sync.join").join(say_short(r, t) for r in reasons)
    return say_all(reasons, t)


def say_short(reason: Reason, t: Translator) -> str:
    """A reason as `say` says it, but a sync's counts as few words as the status bar needs
    at 80 columns: sent and received always, conflicts and refusals only when there are any
    (the notice at the sync, and the status bar's tooltip, say it in full)."""
    if reason.code is not Code.SUMMARY:
        return say(reason, t)
    params = reason.params
    rejected, conflicts = _int(params.get("rejected")), _int(params.get("conflicts"))
    said = [
        t("status.sync_sent", n=_int(params.get("pushed")) - rejected),
        t("status.sync_got", n=_int(params.get("pulled"))),
    ]
    if conflicts:
        said.append(t("status.sync_conflicts", n=conflicts))
    if rejected:
        said.append(t("status.sync_refused", n=rejected))
    return " ".join(said)


def _json_list(text: str) -> list[Any]:
    from pydantic_core import from_json

    value = from_json(text)
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _duration(seconds: int, t: Translator) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 120:
        return t("sync.minutes", n=minutes)
    if minutes < 48 * 60:
        return t("sync.hours", n=round(minutes / 60))
    return t("sync.days", n=round(minutes / 1440))


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def table_name(table: str, t: Translator) -> str:
    """A record kind's name in `t`'s language (a table this version does not know: as is)."""
    return _table(table, t)


def _table(table: str, t: Translator) -> str:
    key = f"table.{table}"
    return t(key) if key in STRINGS else table


def _label(kind: type[Record] | None, name: str, t: Translator) -> str:
    return t.of(kind, name) if kind is not None else name


def _problem(kind: type[Record] | None, problem: dict[str, Any], t: Translator) -> str:
    message = str(problem.get(t.lang) or problem.get("zh") or "")
    field = str(problem.get("field") or "")
    if not field:
        return message
    return t("sync.label", label=_label(kind, field, t), message=message)


def _detail(detail: Any, t: Translator) -> str:
    """What a refusal said: a reason of the protocol, or the text a proxy answered with."""
    if isinstance(detail, dict):
        try:
            return say(Reason.model_validate(detail), t)
        except ValidationError:
            pass
    return str(detail)
