"""Gateway-style HMAC request signatures: signing, verification, replay cache."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import OrderedDict
from urllib.parse import unquote

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox import keys
from sandbox.errors import Unauthorized

_NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
_TIMESTAMP_RE = re.compile(r"^\d{1,12}$")
_SIGNATURE_RE = re.compile(r"^[0-9a-fA-F]{64}$")

# Citizen-facing and liveness paths carry no signature.
# The simulated SMS provider checks its own (Twilio-style) credentials.
PUBLIC_PREFIXES = ("/pay/", "/sms-provider/", "/sms-handset/")
PUBLIC_PATHS = frozenset({"/health"})


def string_to_sign(
    method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """The canonical text the signature covers."""
    body_hash = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{body_hash}"


def signature(secret: str, text: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``text`` under ``secret``."""
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def sign_request(
    method: str,
    path_with_query: str,
    body: bytes,
    app_key: str,
    secret: str,
    timestamp: int | str,
    nonce: str,
) -> dict[str, str]:
    """Return the four authentication headers for one request.

    Args:
        method: HTTP method, any case.
        path_with_query: The request target as sent, e.g.
            ``/traffic/v1/exam-slots?subject=%E7%A7%91%E7%9B%AE%E4%B8%80``.
        body: The exact body bytes (``b""`` for none).
        app_key: The caller's app key.
        secret: The app key's secret.
        timestamp: Unix seconds.
        nonce: A value never used before by this app key (8 to 64 of
            ``A-Z a-z 0-9 _ -``).
    """
    ts = str(int(timestamp))
    text = string_to_sign(method, path_with_query, ts, nonce, body)
    return {
        "X-App-Key": app_key,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": signature(secret, text),
    }


class NonceCache:
    """Nonces seen within the replay window, bounded in size.

    A nonce only needs remembering while its timestamp is still acceptable,
    so entries expire after twice the window (the timestamp may lie up to one
    window in the future). At the size bound the oldest entries go first.
    """

    def __init__(self, ttl_s: float, max_size: int = 100_000) -> None:
        self._ttl = ttl_s
        self._max = max_size
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, app_key: str, nonce: str, now: float | None = None) -> bool:
        """Record a nonce; False when it was already seen (a replay)."""
        now = time.monotonic() if now is None else now
        while self._seen:
            oldest, expiry = next(iter(self._seen.items()))
            if expiry > now and len(self._seen) < self._max:
                break
            del self._seen[oldest]
        key = (app_key, nonce)
        if key in self._seen:
            return False
        self._seen[key] = now + self._ttl
        return True


def is_public(path: str) -> bool:
    """True for paths that need no signature."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _verify_signature(
    secret: str, request: web.Request, ts: str, nonce: str, body: bytes, given: str
) -> bool:
    raw = request.raw_path
    # The target as sent is canonical; its percent-decoded form is accepted
    # too, because some HTTP clients re-encode non-ASCII paths after signing.
    candidates = (raw, unquote(raw))
    given = given.lower()
    results = [
        hmac.compare_digest(
            signature(secret, string_to_sign(request.method, target, ts, nonce, body)),
            given,
        )
        for target in candidates
    ]
    return any(results)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse unsigned, forged, stale or replayed requests with 401."""
    if is_public(request.path):
        return await handler(request)
    settings = request.app[keys.SETTINGS]
    app_key = request.headers.get("X-App-Key", "")
    ts = request.headers.get("X-Timestamp", "")
    nonce = request.headers.get("X-Nonce", "")
    given = request.headers.get("X-Signature", "")
    if not (app_key and ts and nonce and given):
        raise Unauthorized(
            "missing_signature",
            "X-App-Key, X-Timestamp, X-Nonce and X-Signature headers are required.",
        )
    secret = settings.secrets.get(app_key)
    if secret is None:
        raise Unauthorized("unknown_app_key", "Unknown X-App-Key.")
    if not _TIMESTAMP_RE.match(ts):
        raise Unauthorized("bad_timestamp", "X-Timestamp must be Unix seconds.")
    if abs(time.time() - int(ts)) > settings.signature_window_s:
        raise Unauthorized(
            "stale_timestamp",
            f"X-Timestamp is more than {settings.signature_window_s} s away from server time.",
        )
    if not _NONCE_RE.match(nonce):
        raise Unauthorized(
            "bad_nonce", "X-Nonce must be 8 to 64 characters of A-Z a-z 0-9 _ -."
        )
    if not _SIGNATURE_RE.match(given):
        raise Unauthorized("bad_signature", "Signature does not match.")
    body = await request.read()
    if not _verify_signature(secret, request, ts, nonce, body, given):
        raise Unauthorized("bad_signature", "Signature does not match.")
    # Only a correctly signed request may spend a nonce; otherwise anyone
    # could burn a client's future nonces.
    if not request.app[keys.NONCES].add(app_key, nonce):
        raise Unauthorized("nonce_reused", "X-Nonce was already used.")
    request[keys.CALLER] = app_key
    return await handler(request)
