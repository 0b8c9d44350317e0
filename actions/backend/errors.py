"""Typed failures of the government back ends, raised at the client seam.

Three families, because the action layer answers each differently:

- ``BackendUnavailable``: the service could not answer now (timeout, refused
  connection, 5xx, garbage, open circuit). The citizen is told to try again.
- ``BackendRejected``: the service answered and said no (422, 403, 404, 409).
  The action explains why, using the stable ``code``.
- ``BackendMisconfigured``: the service refused *us* (401, bad signature or
  app key). Only an operator can fix that.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "BackendError",
    "BackendMisconfigured",
    "BackendRejected",
    "BackendUnavailable",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Reason",
    "RequestInProgress",
]


class Reason(str, Enum):
    """Why a back end was unavailable."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    SERVER_ERROR = "server_error"
    BAD_RESPONSE = "bad_response"
    CIRCUIT_OPEN = "circuit_open"


class BackendError(Exception):
    """Any failure of a back-end call."""


class BackendUnavailable(BackendError):
    """The service could not give an answer; trying again later may work.

    Attributes:
        service: ``traffic``, ``hotline`` or ``directory``.
        reason: What went wrong.
        detail: Extra words for operators; never holds personal data.
    """

    def __init__(self, service: str, reason: Reason, detail: str = "") -> None:
        """Records the service and the reason."""
        text = f"{service} unavailable: {reason.value}"
        super().__init__(f"{text} ({detail})" if detail else text)
        self.service = service
        self.reason = reason
        self.detail = detail


class RequestInProgress(BackendUnavailable):
    """409 ``idempotency_in_progress``: the first try with this key still runs.

    Not a refusal: retrying shortly with the same key returns that first
    result. Nor an outage, so it does not count against the circuit.
    """

    def __init__(self, service: str) -> None:
        """Marks the service as busy with our earlier attempt."""
        super().__init__(service, Reason.SERVER_ERROR, "idempotency_in_progress")


class BackendMisconfigured(BackendError):
    """The service refused our credentials (401): an operator has to act.

    Attributes:
        service: The service that refused us.
        code: The service's error code (``bad_signature``, ``unknown_app_key``…).
    """

    def __init__(self, service: str, code: str) -> None:
        """Records the service and the refusal code."""
        super().__init__(f"{service} refused our credentials: {code}")
        self.service = service
        self.code = code


class BackendRejected(BackendError):
    """The service understood the request and refused it.

    Attributes:
        status: HTTP status of the answer.
        code: Stable error code for programs (``session_full``…).
        message: English text for operators, never shown to citizens.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        """Records the answer's status, code and message."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class InvalidInput(BackendRejected):
    """422: a value was malformed or not acceptable."""


class Forbidden(BackendRejected):
    """403: not allowed (engine suffix, owner or plate mismatch)."""


class NotFound(BackendRejected):
    """404: the resource does not exist."""


class Conflict(BackendRejected):
    """409: the state does not allow it (full, duplicate, already done)."""
