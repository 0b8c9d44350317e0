"""Gateway-style HMAC request signatures, as the provincial API gateways expect.

The signature covers the request target exactly as it goes on the request
line, so the caller builds the URL once (``targets.request_url``), signs its
``raw_path_qs`` and sends that URL with ``encoded=True``; a client library
re-encoding the path after signing would break the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

__all__ = ["sign", "string_to_sign"]


def string_to_sign(
    method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """The canonical text the signature covers (joined by newlines)."""
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path_with_query, timestamp, nonce, body_hash])


def sign(
    method: str,
    path_with_query: str,
    body: bytes,
    app_key: str,
    secret: str,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four authentication headers of one request.

    Args:
        method: HTTP method, any case.
        path_with_query: The percent-encoded request target as sent, e.g.
            ``/traffic/v1/vehicles/%E7%B2%A4B12345/violations?engine_suffix=123456``.
        body: The exact body bytes (``b""`` for none).
        app_key: Our app key.
        secret: The app key's secret.
        now: Unix time to stamp; the current time when None.
        nonce: A value never used before (8 to 64 of ``A-Z a-z 0-9 _ -``);
            a fresh UUID hex when None.

    Returns:
        ``X-App-Key``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature``.
    """
    timestamp = str(int(time.time() if now is None else now))
    nonce = uuid.uuid4().hex if nonce is None else nonce
    text = string_to_sign(method, path_with_query, timestamp, nonce, body)
    mac = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    return {
        "X-App-Key": app_key,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": mac,
    }
