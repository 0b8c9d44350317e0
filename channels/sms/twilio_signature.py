"""Validate Twilio's ``X-Twilio-Signature`` webhook header.

Twilio signs the full URL it was configured with (scheme, host, port, path,
query) followed by every POST parameter as ``name + value``, sorted by name
(values of a repeated name sorted too), with HMAC-SHA1 keyed by the account's
auth token, base64-encoded. JSON webhooks instead put
``bodySHA256=<hex sha256 of the raw body>`` in the query string and sign the URL
alone.

The URL must be the public one Twilio called (``PUBLIC_BASE_URL`` + path and
query), not what the app sees behind a TLS-terminating proxy. Because Twilio
has signed both with and without the default port (``:443`` / ``:80``), the
default-port and port-less forms of the URL are both accepted, as Twilio's
own helper libraries do. Comparison is constant-time.
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = [
    "body_sha256",
    "compute_signature",
    "validate_json_request",
    "validate_request",
]

Params = Mapping[str, str] | Iterable[tuple[str, str]]
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return list(params.items())
    return list(params)


def compute_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """The base64 HMAC-SHA1 signature Twilio sends for ``url`` and ``params``.

    Args:
        auth_token: The account's auth token (the HMAC key).
        url: The exact URL Twilio requested.
        params: The POST form fields; an iterable of pairs keeps repeated names
            (e.g. ``request.post().items()``).
    """
    signed = url + "".join(name + value for name, value in sorted(_pairs(params)))
    # surrogatepass: a malformed form field must fail validation, not raise.
    key = auth_token.encode("utf-8", "surrogatepass")
    digest = hmac.new(key, signed.encode("utf-8", "surrogatepass"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode("ascii")


def _split_netloc(netloc: str) -> tuple[str, str, int | None]:
    """``(userinfo@, host, port)`` of a netloc, IPv6 brackets kept in host."""
    userinfo, at, hostport = netloc.rpartition("@")
    prefix = userinfo + at
    host, colon, port = hostport.rpartition(":")
    if colon and port.isdigit() and not hostport.endswith("]"):
        return prefix, host, int(port)
    return prefix, hostport, None


def _url_variants(url: str) -> list[str]:
    """``url`` as given, plus its form with / without the scheme's default port."""
    variants = [url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return variants
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    if default is None:
        return variants
    prefix, host, port = _split_netloc(parts.netloc)
    if port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    elif port == default:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}")))
    return variants


def _matches(expected: str, signature: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii"))


def validate_request(
    auth_token: str, url: str, params: Params | None, signature: str | None
) -> bool:
    """Whether ``signature`` is Twilio's for a form-encoded request.

    Args:
        auth_token: The account's auth token.
        url: The public URL Twilio requested, including any query string.
        params: The POST form fields (``None`` or empty for GET).
        signature: The ``X-Twilio-Signature`` header value.
    """
    if not auth_token or not signature or not signature.isascii():
        return False
    pairs = _pairs(params)
    # Evaluate every variant so that timing does not reveal which one matched.
    results = [
        _matches(compute_signature(auth_token, variant, pairs), signature)
        for variant in _url_variants(url)
    ]
    return any(results)


def body_sha256(body: bytes) -> str:
    """Hex SHA-256 of a raw body, as Twilio puts in ``bodySHA256``."""
    return hashlib.sha256(body).hexdigest()


def validate_json_request(
    auth_token: str, url: str, body: bytes, signature: str | None
) -> bool:
    """Whether ``signature`` is Twilio's for a JSON-body request.

    The URL's ``bodySHA256`` query parameter must equal the hash of the raw
    ``body`` (byte for byte), and the signature must cover the URL alone.
    """
    try:
        query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return False
    hashes = [value for name, value in query if name == "bodySHA256"]
    if len(hashes) != 1 or not hashes[0].isascii():
        return False
    body_ok = hmac.compare_digest(body_sha256(body), hashes[0].lower())
    signature_ok = validate_request(auth_token, url, None, signature)
    return body_ok and signature_ok
