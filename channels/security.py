r"""Request authenticity primitives: secrets, time windows, replay cache, HMAC, IPs.

Voice relay signing (``POST /voice/turn``)
-----------------------------------------
The IVR relay is ours, so we define its scheme: HMAC-SHA256 over the
timestamp and the exact raw body, keyed with ``VOICE_RELAY_SECRET``::

    X-Timestamp: 1700000000                      (Unix seconds, decimal ASCII)
    X-Signature: hex(HMAC-SHA256(secret, X-Timestamp + "\n" + raw body))

The signature is lower-case hex (upper case is accepted). The gateway accepts a
request only if the timestamp is within ±300 s of its clock and the signature
matches in constant time. Signing the timestamp binds it to the body, so an
old request cannot be replayed with a fresh timestamp; within the window the
relay's own retries carry the same ``call_id`` + ``turn_no`` and are
deduplicated on those (not on the signature, so that a retry still gets the
turn's answer). Relay side, in Python::

    ts = str(int(time.time()))
    sig = hmac.new(secret, ts.encode() + b"\n" + body, hashlib.sha256).hexdigest()
"""

import hashlib
import hmac
import ipaddress
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

__all__ = [
    "DEFAULT_WINDOW_SECONDS",
    "TELEGRAM_WEBHOOK_NETWORKS",
    "SeenCache",
    "Unauthorized",
    "check_voice_request",
    "ip_allowed",
    "is_valid_telegram_secret",
    "parse_networks",
    "secrets_equal",
    "sign_voice_request",
    "timestamp_within",
]

DEFAULT_WINDOW_SECONDS = 300
# Telegram's documented webhook source ranges (defence in depth only: behind a
# proxy the client address is only as trustworthy as X-Forwarded-For handling).
TELEGRAM_WEBHOOK_NETWORKS = ("149.154.160.0/20", "91.108.4.0/22")
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Unauthorized(Exception):
    """A request failed authentication; ``reason`` is safe to log (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


def secrets_equal(provided: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time comparison of a presented secret with the configured one.

    Unlike ``secrets.compare_digest`` on ``str``, this never raises for
    non-ASCII input (aiogram's check turns such a header into HTTP 500); a
    missing value or an empty expected secret never matches.
    """
    if provided is None or not expected:
        return False
    return hmac.compare_digest(_as_bytes(provided), _as_bytes(expected))


def is_valid_telegram_secret(value: str) -> bool:
    """Whether ``value`` is a legal ``secret_token`` for Telegram's setWebhook."""
    return _TELEGRAM_SECRET.fullmatch(value) is not None


def timestamp_within(
    timestamp: str | int | float | None,
    *,
    now: float | None = None,
    window: float = DEFAULT_WINDOW_SECONDS,
) -> bool:
    """Whether a Unix-seconds ``timestamp`` lies within ``window`` s of ``now``.

    String timestamps must be plain decimal digits (no sign, exponent, spaces);
    anything unparsable, non-finite or negative is outside the window.
    """
    if timestamp is None or isinstance(timestamp, bool):
        return False
    if isinstance(timestamp, str):
        if _TIMESTAMP.fullmatch(timestamp) is None:
            return False
        value = float(int(timestamp))
    else:
        value = float(timestamp)
    if not math.isfinite(value) or value < 0:
        return False
    current = time.time() if now is None else now
    return abs(current - value) <= window


class SeenCache:
    """In-memory first-seen set with a TTL and a size bound (dedupe / replay).

    ``add(key)`` returns ``True`` the first time a key is seen within ``ttl``
    seconds and ``False`` for a repeat. When full, the oldest keys are evicted
    first, so a repeat older than the bound's reach is treated as new: size it
    above the peak number of keys expected per ``ttl``. It is per process; with
    several replicas use Redis ``SET NX EX`` instead.
    """

    def __init__(
        self,
        ttl: float,
        max_size: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl <= 0 or max_size <= 0:
            raise ValueError("ttl and max_size must be positive")
        self._ttl = ttl
        self._max_size = max_size
        self._clock = clock
        self._expiry: OrderedDict[Hashable, float] = OrderedDict()

    def _purge(self, now: float) -> None:
        # All entries share one TTL, so insertion order is expiry order.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]

    def add(self, key: Hashable) -> bool:
        """Record ``key``; ``True`` if it was not seen within the TTL."""
        now = self._clock()
        self._purge(now)
        if key in self._expiry:
            return False
        self._expiry[key] = now + self._ttl
        while len(self._expiry) > self._max_size:
            self._expiry.popitem(last=False)
        return True

    def __contains__(self, key: object) -> bool:
        expires = self._expiry.get(key)  # type: ignore[call-overload]
        return expires is not None and expires > self._clock()

    def __len__(self) -> int:
        self._purge(self._clock())
        return len(self._expiry)


def sign_voice_request(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Signature`` hex digest for a voice relay request."""
    message = timestamp.encode("ascii") + b"\n" + body
    return hmac.new(_as_bytes(secret), message, hashlib.sha256).hexdigest()


def check_voice_request(
    secret: str | bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
    window: float = DEFAULT_WINDOW_SECONDS,
) -> None:
    """Verify a voice relay request's ``X-Timestamp`` and ``X-Signature``.

    Raises:
        Unauthorized: ``missing_signature``, ``bad_timestamp``,
            ``stale_timestamp`` or ``bad_signature``.
        ValueError: If ``secret`` is empty (a configuration error).
    """
    if not secret:
        raise ValueError("voice relay secret is empty")
    if not timestamp or not signature:
        raise Unauthorized("missing_signature")
    if _TIMESTAMP.fullmatch(timestamp) is None:
        raise Unauthorized("bad_timestamp")
    if not timestamp_within(timestamp, now=now, window=window):
        raise Unauthorized("stale_timestamp")
    signature = signature.strip()
    if _HEX_SHA256.fullmatch(signature) is None:
        raise Unauthorized("bad_signature")
    expected = sign_voice_request(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise Unauthorized("bad_signature")


def parse_networks(spec: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse an allow-list (``"1.2.3.0/24, 10.0.0.1"`` or an iterable of items).

    Raises:
        ValueError: If an item is not an IP address or network.
    """
    items = spec.replace(";", ",").split(",") if isinstance(spec, str) else spec
    return tuple(
        ipaddress.ip_network(item.strip(), strict=False)
        for item in items
        if item.strip()
    )


def ip_allowed(ip: str | None, networks: Iterable[IPNetwork]) -> bool:
    """Whether the client address ``ip`` is inside one of ``networks``.

    An unparsable or missing address is refused. IPv4-mapped IPv6 addresses
    (``::ffff:1.2.3.4``, as dual-stack sockets report them) match IPv4 networks.
    """
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(
        address.version == network.version and address in network
        for network in networks
    )
