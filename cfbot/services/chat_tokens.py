"""Chat session tokens: the web chat's session carried in a signed string instead of a
cookie, so the chat works in an iframe on another site where third-party cookies are
blocked. The token names the browser's chat id (``Contact.webchat_id``); it is signed
with ``SECRET_KEY``, so a made-up token is refused rather than opening a new chat."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from cfbot.runtime import Runtime

SALT = "cfbot-chat-token"
# a chat lives at most a few days (surveys expire, the crisis hold keeps it open longer)
MAX_AGE_SECONDS = 14 * 24 * 3600


def _serializer(rt: Runtime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.settings.secret_key, salt=SALT)


def new_chat_id() -> str:
    """A fresh, unguessable web-chat id (the same shape as the page's cookie session)."""
    return secrets.token_urlsafe(18)


def issue_chat_token(rt: Runtime, webchat_id: str) -> str:
    """The token that stands for ``webchat_id`` in API calls."""
    return str(_serializer(rt).dumps(webchat_id))


def read_chat_token(rt: Runtime, token: object) -> str | None:
    """The web-chat id a token stands for, or None (missing, forged, expired)."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        value = _serializer(rt).loads(token, max_age=MAX_AGE_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    return value
