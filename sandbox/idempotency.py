"""Idempotency-Key support: a repeated request gets the first answer, once."""

from __future__ import annotations

import hashlib
import re

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from sandbox import keys
from sandbox.errors import ApiError, Conflict, Invalid, api_error_response
from sandbox.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
_METHODS = frozenset({"POST", "PATCH", "DELETE", "PUT"})


def fingerprint(method: str, path_with_query: str, body: bytes) -> str:
    """What must be identical for a repeat to count as the same request."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path_with_query.encode(), body):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


async def _claim(
    request: web.Request, caller: str, key: str, print_: str
) -> web.Response | None:
    """Insert a pending record; return the stored answer when the key exists."""
    db = request.app[keys.DB]
    now = request.app[keys.CLOCK].now()
    try:
        async with db.write() as session:
            session.add(
                IdempotencyRecord(
                    app_key=caller, key=key, fingerprint=print_, created_at=now
                )
            )
    except IntegrityError:
        pass
    else:
        return None
    async with db.read() as session:
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.app_key == caller, IdempotencyRecord.key == key
                )
            )
        ).scalar_one()
    if record.fingerprint != print_:
        raise Invalid(
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request.",
        )
    if record.status_code is None or record.body is None:
        raise Conflict(
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still running.",
        )
    response = web.Response(
        text=record.body,
        status=record.status_code,
        content_type="application/json",
        charset="utf-8",
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


@web.middleware
async def idempotency_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Store the first answer per (app key, Idempotency-Key) and replay it."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in _METHODS or keys.CALLER not in request:
        return await handler(request)
    if not _KEY_RE.match(key):
        raise Invalid(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 128 visible ASCII characters.",
        )
    caller = request[keys.CALLER]
    body = await request.read()
    print_ = fingerprint(request.method, request.raw_path, body)
    stored = await _claim(request, caller, key, print_)
    if stored is not None:
        return stored
    db = request.app[keys.DB]
    where = (IdempotencyRecord.app_key == caller, IdempotencyRecord.key == key)
    try:
        try:
            response = await handler(request)
        except ApiError as exc:
            response = api_error_response(exc)
    except BaseException:
        # Unexpected failure or cancellation: forget the key so a retry can run.
        async with db.write() as session:
            await session.execute(delete(IdempotencyRecord).where(*where))
        raise
    body_out = response.body if isinstance(response, web.Response) else None
    if response.status >= 500 or not isinstance(body_out, bytes):
        async with db.write() as session:
            await session.execute(delete(IdempotencyRecord).where(*where))
        return response
    async with db.write() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(*where)
            .values(status_code=response.status, body=body_out.decode("utf-8"))
        )
    return response
