"""Staff passwords (argon2 via pwdlib) and signed session tokens.

A staff session is a stateless token in an HttpOnly cookie: "staff_id.expires.nonce.signature",
signed with HMAC-SHA256 under settings.secret_key. The nonce is also a row in the database
(`staff_sessions`): a token counts only while its row exists, so logout on any worker ends the
session on every worker, stolen copies included. The CSRF token is an HMAC of the nonce: the page
gets it from the login response (or /api/staff/me) and sends it as X-CSRF-Token; another site can
neither read it nor derive it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from pwdlib import PasswordHash

from assistant.store import Store

COOKIE = "rc_staff"
SESSION_SECONDS = 12 * 3600


@cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant work whether or not the account exists, so timing does not reveal usernames."""
    if not password_hash:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a crash
        return False


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class StaffToken:
    staff_id: int
    expires: int
    nonce: str
    ttl: int = SESSION_SECONDS

    @property
    def issued_at(self) -> int:
        return self.expires - self.ttl


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class TokenSigner:
    def __init__(self, secret: str, ttl: int = SESSION_SECONDS) -> None:
        self._key = hashlib.sha256(b"rongchuang-staff\0" + secret.encode()).digest()
        self.ttl = ttl

    def _mac(self, purpose: str, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}\0{payload}".encode(), hashlib.sha256).digest())

    def issue(self, staff_id: int) -> tuple[str, StaffToken]:
        tok = StaffToken(staff_id, int(time.time()) + self.ttl, secrets.token_urlsafe(16), self.ttl)
        payload = f"{tok.staff_id}.{tok.expires}.{tok.nonce}"
        return f"{payload}.{self._mac('session', payload)}", tok

    def verify(self, raw: str | None) -> StaffToken | None:
        if not raw or raw.count(".") != 3:
            return None
        payload, sig = raw.rsplit(".", 1)
        if not hmac.compare_digest(sig, self._mac("session", payload)):
            return None
        sid, exp, nonce = payload.split(".")
        if not (sid.isdigit() and exp.isdigit()) or int(exp) < time.time():
            return None
        return StaffToken(int(sid), int(exp), nonce, self.ttl)

    def csrf(self, tok: StaffToken) -> str:
        return self._mac("csrf", tok.nonce)

    def csrf_ok(self, tok: StaffToken, sent: str | None) -> bool:
        return sent is not None and bool(sent) and hmac.compare_digest(sent, self.csrf(tok))


def start_session(signer: TokenSigner, store: Store, staff_id: int) -> tuple[str, StaffToken]:
    """A signed token whose session every worker accepts until logout or expiry."""
    raw, tok = signer.issue(staff_id)
    store.open_staff_session(tok.nonce, staff_id, datetime.fromtimestamp(tok.expires, UTC))
    return raw, tok


def session_valid(signer: TokenSigner, store: Store, raw: str | None) -> StaffToken | None:
    tok = signer.verify(raw)
    if tok is None or not store.staff_session_active(tok.nonce, tok.staff_id):
        return None
    return tok
