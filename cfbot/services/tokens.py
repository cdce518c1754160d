"""API bearer tokens: created once, shown once, stored only as a SHA-256 hash.

A token is ``cfbot_`` + 43 URL-safe random characters (256 bits). Because it is random
and long, an unsalted SHA-256 is enough: there is nothing to guess offline, and the hash
lets us look the token up by an indexed equality instead of comparing every row.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.models import ApiToken
from cfbot.runtime import Runtime

TOKEN_PREFIX = "cfbot_"
# updating last_used_at on every call would make every API request a write; once a
# minute is precise enough for "is this token still used?"
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(Exception):
    """Why a bearer token was refused; ``str()`` is safe to show to the caller."""


@dataclass(frozen=True)
class NewToken:
    """A freshly created token: ``secret`` is shown once and never stored."""

    id: int
    name: str
    secret: str
    expires_at: datetime | None


def hash_token(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    rt: Runtime, name: str, expires_in: timedelta | None = None, now: datetime | None = None
) -> NewToken:
    """Create a token called ``name``; returns its secret (the only time it is visible)."""
    now = now or rt.now()
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1 to 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + expires_in if expires_in else None
    with unit_of_work(rt.engine) as session:
        row = ApiToken(
            name=name,
            token_hash=hash_token(secret),
            prefix=secret[: len(TOKEN_PREFIX) + 4],
            created_at=now,
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return NewToken(row.id, name, secret, expires_at)


def verify_token(rt: Runtime, secret: str, now: datetime | None = None) -> ApiToken:
    """The token row for ``secret``; raises :class:`TokenError` if unknown, expired or
    revoked."""
    now = now or rt.now()
    if not secret:
        raise TokenError("missing bearer token")
    digest = hash_token(secret)
    with unit_of_work(rt.engine, immediate=False) as session:
        row = session.exec(select(ApiToken).where(ApiToken.token_hash == digest)).first()
        if row is None or not secrets.compare_digest(row.token_hash, digest):
            raise TokenError("invalid token")
        if row.revoked_at is not None:
            raise TokenError("token revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise TokenError("token expired")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
        # a separate write transaction: upgrading SQLite's read transaction could fail
        with unit_of_work(rt.engine) as session:
            fresh = session.get(ApiToken, row.id)
            if fresh is not None:
                fresh.last_used_at = now
                session.add(fresh)
        row.last_used_at = now
    return row


def revoke_token(rt: Runtime, token_id: int, now: datetime | None = None) -> bool:
    """Revoke a token by id; False if there is no such token."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            return False
        if row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
        return True


def list_tokens(rt: Runtime) -> list[ApiToken]:
    """Every token, newest first (hashes only; secrets are never stored)."""
    with unit_of_work(rt.engine, immediate=False) as session:
        return list(session.exec(select(ApiToken).order_by(col(ApiToken.id).desc())).all())
