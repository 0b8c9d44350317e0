"""Twilio's webhook signature, as the provider computes it.

HMAC-SHA1 over the full URL followed by every POST parameter name and value,
sorted by name, keyed with the auth token, base64-encoded (Twilio's
"Webhooks security" documentation). Written here independently of the
gateway's validator, so the sandbox checks the gateway rather than mirrors it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` of a form POST to ``url``."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
