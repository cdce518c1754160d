"""Staff sign-in and sessions.

* **Requests.** :func:`request_sign_in` does the same work for every address, listed or
  not: one ``LoginRequest`` row holding the address, the SHA-256 of the asking browser's
  nonce and the page to open afterwards. Nothing on the request path depends on whether
  the address has an account, so neither the reply nor its timing tells them apart.
* **Links.** The mail job (:func:`process_sign_in_requests`) turns a request for an
  enabled account into a random single-use token (only its hash is stored), valid for
  :data:`LINK_MINUTES`, and queues the email; requests for unknown or disabled addresses
  are dropped there.
* **Redeeming.** :func:`redeem` accepts a token once, before it expires, and only in the
  browser whose nonce cookie matches the request; it then opens a server-side session.
* **Sessions.** The browser keeps only a random id; :func:`current_identity` looks its
  hash up on every request. Logout, disabling the account or expiry ends it at once.

Every outcome is written to the audit trail.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlmodel import col, select, update

from cfbot.db import unit_of_work
from cfbot.models import LoginRequest, StaffSession, StaffUser
from cfbot.runtime import Runtime
from cfbot.services import accounts, audit
from cfbot.services.accounts import StaffIdentity

log = logging.getLogger(__name__)

LINK_MINUTES = 15
SESSION_HOURS = 12
MAX_EMAIL = 254


class SignInRefused(Exception):
    """A sign-in link that cannot be used; the message is shown to the person."""


def token_hash(token: str) -> str:
    """SHA-256 (hex) of a random token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def safe_next(path: str | None) -> str | None:
    """Only dashboard pages on this site may be opened after sign-in."""
    if not path or len(path) > 200 or not path.startswith("/dashboard/") or "//" in path:
        return None
    if "\\" in path or any(ord(ch) < 32 for ch in path):
        return None
    return path


def request_sign_in(
    rt: Runtime,
    email: str,
    nonce: str,
    *,
    ip: str = "",
    next_path: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record a sign-in request: the same work whether or not the address has an account.
    Returns the request's id (used by the demo to show the link at once)."""
    now = now or rt.now()
    address = (email or "").strip().lower()[:MAX_EMAIL]
    with unit_of_work(rt.engine) as session:
        row = LoginRequest(
            email=address,
            nonce_hash=token_hash(nonce),
            next_path=safe_next(next_path),
            ip=ip[:64],
            requested_at=now,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
        session.add(row)
        audit.add(session, address or "(empty)", "signin_requested", now, ip=ip)
        session.flush()
        assert row.id is not None
        return row.id


def process_sign_in_requests(
    rt: Runtime, now: datetime | None = None, only_id: int | None = None
) -> dict[int, str]:
    """Turn pending requests into emailed links (enabled accounts) or drop them (everyone
    else). Returns {request id: link} for the links created (the demo shows them)."""
    from cfbot.services.alerts.links import base_url
    from cfbot.services.alerts.render import render_login_mail
    from cfbot.services.mail_queue import queue_mail

    now = now or rt.now()
    links: dict[int, str] = {}
    with unit_of_work(rt.engine) as session:
        stmt = select(LoginRequest).where(LoginRequest.status == "requested")
        if only_id is not None:
            stmt = stmt.where(LoginRequest.id == only_id)
        for row in session.exec(stmt.order_by(col(LoginRequest.id)).limit(200)).all():
            assert row.id is not None
            user = accounts.find_active(session, row.email)
            if user is None or row.expires_at <= now:
                row.status = "dropped"
                session.add(row)
                continue
            token = new_token()
            row.token_hash = token_hash(token)
            row.user_id = user.id
            row.status = "sent"
            session.add(row)
            link = f"{base_url(rt)}/dashboard/login/{token}"
            rendered = render_login_mail(rt, link)
            queue_mail(
                session,
                purpose="login",
                recipients=[user.email],
                subject=rendered.subject,
                text=rendered.text,
                html_body=rendered.html,
                now=now,
                dedupe_key=f"login:{row.id}",
            )
            links[row.id] = link
    return links


def issue_link(rt: Runtime, email: str, now: datetime | None = None) -> str | None:
    """A single-use link for an enabled account, made by an operator on the server
    (``cfbot alerts login-link``): not bound to a browser, but usable once, for
    :data:`LINK_MINUTES`. None when the address has no enabled account."""
    from cfbot.services.alerts.links import base_url

    now = now or rt.now()
    address = (email or "").strip().lower()
    with unit_of_work(rt.engine) as session:
        user = accounts.find_active(session, address)
        if user is None:
            return None
        token = new_token()
        session.add(
            LoginRequest(
                email=address,
                nonce_hash=None,
                status="sent",
                token_hash=token_hash(token),
                user_id=user.id,
                requested_at=now,
                expires_at=now + timedelta(minutes=LINK_MINUTES),
            )
        )
        audit.add(session, "cli", "signin_link_issued", now, target=f"user:{address}")
    return f"{base_url(rt)}/dashboard/login/{token}"


def redeem(
    rt: Runtime, token: str, nonce: str | None, *, ip: str = "", now: datetime | None = None
) -> tuple[str, str | None]:
    """Use a sign-in token: once, in time, in the browser that asked for it, for an
    enabled account. Returns (session id for the cookie, page to open next)."""
    now = now or rt.now()
    digest = token_hash(token[:200])
    reason: str | None = None
    who = "(unknown)"
    with unit_of_work(rt.engine) as session:
        row = session.exec(select(LoginRequest).where(LoginRequest.token_hash == digest)).first()
        user = session.get(StaffUser, row.user_id) if row is not None and row.user_id else None
        if row is None or user is None:
            reason = "This sign-in link is not valid. Ask for a new one."
        else:
            who = user.email
            if row.used_at is not None:
                reason = "This sign-in link has already been used. Ask for a new one."
            elif row.expires_at <= now:
                reason = "This sign-in link has expired. Ask for a new one."
            elif row.nonce_hash is not None and (
                not nonce or not secrets.compare_digest(row.nonce_hash, token_hash(nonce))
            ):
                reason = (
                    "Open the sign-in link in the same browser where you asked for it, "
                    "or ask for a new one here."
                )
            elif user.disabled_at is not None:
                reason = "This account is disabled."
        if reason is None:
            assert row is not None and user is not None and user.id is not None
            # single use even when two tabs race: only one UPDATE finds used_at empty
            claimed = session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
                update(LoginRequest)
                .where(col(LoginRequest.id) == row.id, col(LoginRequest.used_at).is_(None))
                .values(used_at=now, status="used")
            ).rowcount
            if claimed != 1:
                reason = "This sign-in link has already been used. Ask for a new one."
            else:
                sid = new_token()
                session.add(
                    StaffSession(
                        token_hash=token_hash(sid),
                        user_id=user.id,
                        created_at=now,
                        expires_at=now + timedelta(hours=SESSION_HOURS),
                        ip=ip[:64],
                    )
                )
                audit.add(session, user.email, "signin", now, ip=ip)
                return sid, row.next_path
    audit.record(rt, who, "signin_refused", detail=reason, ip=ip, now=now)
    raise SignInRefused(reason)


def current_identity(
    rt: Runtime, sid: str | None, now: datetime | None = None
) -> StaffIdentity | None:
    """The account of a live session id (None: no session, ended, expired or disabled)."""
    if not sid or len(sid) > 200:
        return None
    now = now or rt.now()
    with unit_of_work(rt.engine, immediate=False) as session:
        found = session.exec(
            select(StaffSession, StaffUser)
            .join(StaffUser, col(StaffUser.id) == col(StaffSession.user_id))
            .where(StaffSession.token_hash == token_hash(sid))
        ).first()
        if found is None:
            return None
        staff_session, user = found
        if (
            staff_session.revoked_at is not None
            or staff_session.expires_at <= now
            or user.disabled_at is not None
        ):
            return None
        return accounts.identity_of(user)


def sign_out(rt: Runtime, sid: str | None, *, ip: str = "", now: datetime | None = None) -> None:
    """End one session on the server (the cookie alone no longer opens anything)."""
    if not sid:
        return
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        row = session.exec(
            select(StaffSession).where(StaffSession.token_hash == token_hash(sid[:200]))
        ).first()
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = now
        session.add(row)
        user = session.get(StaffUser, row.user_id)
        audit.add(session, user.email if user else "(unknown)", "signout", now, ip=ip)
