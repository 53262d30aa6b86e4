"""API keys (stored as salted scrypt hashes) and signed, expiring map-link tokens (HMAC).

A key reads ``pk_<id>_<secret>``: the id finds the row, the secret is checked against its
hash. It is shown once, when created. A map-link token reads ``<expires>.<signature>`` where
the signature is HMAC-SHA256 over the plan id, the scope (``command`` or ``line:<id>``) and the
expiry time, so a link opens one map of one plan until it expires.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from api.storage import KeyRow, Storage

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
KEY_PREFIX = "pk"
# verified keys are remembered this long, so that scrypt runs once per key and minute
_VERIFIED_TTL_S = 60.0


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


@dataclass(frozen=True)
class NewKey:
    id: str
    name: str
    key: str  # the full key: shown once, never stored


def create_key(storage: Storage, *, name: str) -> NewKey:
    """Make a key, store its hash, return it (the only time the key itself is seen)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    salt = secrets.token_bytes(16)
    storage.add_key(key_id, name=name, salt=salt, digest=_hash(secret, salt))
    return NewKey(id=key_id, name=name, key=f"{KEY_PREFIX}_{key_id}_{secret}")


class KeyChecker:
    """Checks keys against the database, remembering recent successes for a minute."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._ok: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> KeyRow | None:
        """The key's row if ``key`` is valid and not revoked, else None."""
        fingerprint = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._ok.get(fingerprint)
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        row = self.storage.get_key(parts[1])
        if row is None or row.revoked_at is not None:
            return None
        if hit is not None and hit[0] == row.id and now - hit[1] < _VERIFIED_TTL_S:
            return row
        if not hmac.compare_digest(_hash(parts[2], row.salt), row.hash):
            return None
        with self._lock:
            self._ok[fingerprint] = (row.id, now)
        return row


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class LinkSigner:
    """Signs and checks map-link tokens with one secret."""

    def __init__(self, secret: bytes, *, ttl_s: int) -> None:
        self.secret = secret
        self.ttl_s = ttl_s

    def _signature(self, plan_id: str, scope: str, expires: int) -> str:
        msg = f"{plan_id}\n{scope}\n{expires}".encode()
        return _b64(hmac.new(self.secret, msg, hashlib.sha256).digest())

    def sign(self, plan_id: str, scope: str, *, now: float | None = None) -> tuple[str, int]:
        """A token for ``scope`` of ``plan_id``, and when it expires (Unix seconds)."""
        expires = int((time.time() if now is None else now) + self.ttl_s)
        return f"{expires}.{self._signature(plan_id, scope, expires)}", expires

    def check(self, token: str, plan_id: str, scope: str) -> str | None:
        """None if ``token`` opens ``scope`` of ``plan_id`` now, else why not."""
        head, _, sig = token.partition(".")
        if not head.isdigit() or not sig:
            return "malformed map link token"
        expected = self._signature(plan_id, scope, int(head))
        if not hmac.compare_digest(expected, sig):
            return "invalid map link token"
        if int(head) < time.time():
            return "this map link has expired; ask the command centre for a new one"
        return None


def link_secret(configured: str | None, data_dir: Path) -> bytes:
    """The configured secret, or one generated once and kept in ``data_dir/map_link.secret``."""
    if configured:
        return configured.encode()
    path = data_dir / "map_link.secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        # link, not replace: of processes starting together, the first one's secret stays and
        # every process reads that one (a replace could leave two workers with two secrets)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        tmp.unlink()
    return path.read_text().strip().encode()
