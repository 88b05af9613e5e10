"""Staff tokens: shown once, stored only as a hash, tied to the villages the server records."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, insert, select, update

from sync.sealed import verify_key_of
from sync.server.storage import now_text, token_villages, tokens


@dataclass(frozen=True)
class Identity:
    """Who a valid token belongs to."""

    token_id: str
    staff: str
    role: str
    villages: frozenset[str]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(engine: Engine, staff: str, role: str, villages: list[str]) -> tuple[str, str]:
    """A new token for `staff`; returns (id, the full token to hand over once)."""
    token_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            insert(tokens).values(
                id=token_id,
                secret_hash=_hash(secret),
                bundle_key=verify_key_of(secret),
                staff=staff,
                role=role,
                created_at=now_text(),
            )
        )
        for code in sorted(set(villages)):
            conn.execute(insert(token_villages).values(token_id=token_id, village_code=code))
    return token_id, f"civ_{token_id}_{secret}"


def revoke(engine: Engine, token_id: str) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(tokens)
            .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now_text())
        )
    return result.rowcount == 1


def listing(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        villages: dict[str, list[str]] = {}
        for row in conn.execute(select(token_villages)):
            villages.setdefault(row.token_id, []).append(row.village_code)
        return [
            {
                "id": r.id,
                "staff": r.staff,
                "role": r.role,
                "villages": villages.get(r.id, []),
                "created_at": r.created_at,
                "revoked_at": r.revoked_at,
            }
            for r in conn.execute(select(tokens).order_by(tokens.c.created_at))
        ]


#: The token's row and its villages, one row per village (a token of none: one row, its
#: village None). Every request presents a token: one statement, built once and bound per
#: call, costs two fifths of the CPU of a query for the token and another for its villages.
_PRESENTED = (
    select(
        tokens.c.secret_hash,
        tokens.c.staff,
        tokens.c.role,
        tokens.c.revoked_at,
        tokens.c.bundle_key,
        token_villages.c.village_code,
    )
    .select_from(tokens.outerjoin(token_villages, token_villages.c.token_id == tokens.c.id))
    .where(tokens.c.id == bindparam("token_id"))
)


def verify(engine: Engine, presented: str) -> Identity | None:
    """The identity behind a presented token, or None if unknown, wrong or revoked."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "civ":
        return None
    _, token_id, secret = parts
    with engine.connect() as conn:
        found = conn.execute(_PRESENTED, {"token_id": token_id}).all()
    if not found:
        return None
    row = found[0]
    if row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    codes = frozenset(r.village_code for r in found if r.village_code is not None)
    who = Identity(token_id, row.staff, row.role, codes)
    if row.bundle_key is None:
        # A token made before bundles: its secret is here now, so its laptops' bundles can
        # be checked from this request on (sync/README.md, "Bundles").
        with engine.begin() as conn:
            conn.execute(
                update(tokens)
                .where(tokens.c.id == token_id)
                .values(bundle_key=verify_key_of(secret))
            )
    return who


def bundle_signer(engine: Engine, token_id: str) -> tuple[Identity, str] | None:
    """A valid token's identity and the public key its laptops sign bundles with (hex);
    None if the token is unknown, revoked, or made before bundles and never presented
    since."""
    with engine.connect() as conn:
        row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
        if row is None or row.revoked_at is not None or row.bundle_key is None:
            return None
        codes = conn.execute(
            select(token_villages.c.village_code).where(token_villages.c.token_id == token_id)
        ).scalars()
        return Identity(token_id, row.staff, row.role, frozenset(codes)), str(row.bundle_key)
