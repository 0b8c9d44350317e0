"""Fine payments: payment orders for penalty decisions and their settlement."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox import keys, validation
from sandbox.db import rowcount
from sandbox.errors import Conflict, Forbidden, NotFound
from sandbox.models import Payment, Vehicle, Violation
from sandbox.statuses import PaymentStatus, ViolationStatus
from sandbox.wire import iso_time, iso_time_or_none, json_response, money

routes = web.RouteTableDef()

ORDER_TTL = dt.timedelta(minutes=30)


def new_order_id(now: dt.datetime) -> str:
    """ZF + yyyymmdd + 8 random digits."""
    return f"ZF{now:%Y%m%d}{secrets.randbelow(10**8):08d}"


def effective_status(payment: Payment, now: dt.datetime) -> PaymentStatus:
    """A pending order past its expiry counts as expired."""
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.PENDING and now >= payment.expires_at:
        return PaymentStatus.EXPIRED
    return status


def base_url(request: web.Request) -> str:
    """Where citizens reach this sandbox (for pay links)."""
    configured = request.app[keys.SETTINGS].public_url
    return configured or str(request.url.origin())


def payment_json(
    payment: Payment, violation: Violation, plate: str, now: dt.datetime, base: str
) -> dict[str, Any]:
    """Wire form of a payment order."""
    return {
        "order_id": payment.order_id,
        "decision_number": violation.decision_number,
        "plate": plate,
        "amount": money(payment.amount_fen),
        "status": effective_status(payment, now).value,
        "created_at": iso_time(payment.created_at),
        "expires_at": iso_time(payment.expires_at),
        "paid_at": iso_time_or_none(payment.paid_at),
        "pay_url": f"{base}/pay/{payment.order_id}",
    }


async def load_order(
    session: AsyncSession, order_id: str
) -> tuple[Payment, Violation, str] | None:
    """The order with its violation and plate, or None."""
    row = (
        await session.execute(
            select(Payment, Violation, Vehicle.plate)
            .join(Violation, Payment.violation_id == Violation.id)
            .join(Vehicle, Violation.vehicle_id == Vehicle.id)
            .where(Payment.order_id == order_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def settle(
    session: AsyncSession, payment: Payment, now: dt.datetime
) -> PaymentStatus:
    """Mark an order paid and its fine paid; the outcome is the order's status.

    The fine is flipped with a conditional UPDATE, so two orders for the same
    fine can never both be paid: the loser is cancelled.
    """
    status = effective_status(payment, now)
    if status is not PaymentStatus.PENDING:
        if status is PaymentStatus.EXPIRED and payment.status != status.value:
            payment.status = status.value
        return status
    flipped = await session.execute(
        update(Violation)
        .where(Violation.id == payment.violation_id)
        .where(Violation.status == ViolationStatus.UNPAID.value)
        .values(status=ViolationStatus.PAID.value, paid_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(flipped) != 1:
        payment.status = PaymentStatus.CANCELLED.value
        return PaymentStatus.CANCELLED
    payment.status = PaymentStatus.PAID.value
    payment.paid_at = now
    return PaymentStatus.PAID


@routes.post("/traffic/v1/fines/{decision_number}/payments")
async def start_payment(request: web.Request) -> web.Response:
    """Open a payment order for one fine; 409 when it is already paid."""
    number = validation.decision_number(request.match_info["decision_number"])
    data = await validation.json_object(request, allow_empty=True)
    raw_plate = validation.opt_str(data, "plate", 20)
    plate = None if raw_plate is None else validation.plate(raw_plate)
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].write() as session:
        row = (
            await session.execute(
                select(Violation, Vehicle.plate)
                .join(Vehicle, Violation.vehicle_id == Vehicle.id)
                .where(Violation.decision_number == number)
            )
        ).one_or_none()
        if row is None:
            raise NotFound("unknown_decision", f"No penalty decision {number}.")
        violation, vehicle_plate = row[0], row[1]
        if plate is not None and plate != vehicle_plate:
            raise Forbidden(
                "plate_mismatch", "The decision does not belong to this plate."
            )
        if violation.status == ViolationStatus.PAID.value:
            raise Conflict(
                "already_paid", f"The fine of decision {number} is already paid."
            )
        payment = Payment(
            order_id=new_order_id(now),
            violation_id=violation.id,
            amount_fen=violation.fine_fen,
            status=PaymentStatus.PENDING.value,
            created_at=now,
            expires_at=now + ORDER_TTL,
        )
        session.add(payment)
    body = payment_json(payment, violation, vehicle_plate, now, base_url(request))
    return json_response(body, status=201)


@routes.get("/traffic/v1/payments/{order_id}")
async def get_payment(request: web.Request) -> web.Response:
    """State of a payment order."""
    order_id = validation.order_id(request.match_info["order_id"])
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.DB].read() as session:
        found = await load_order(session, order_id)
    if found is None:
        raise NotFound("unknown_order", f"No payment order {order_id}.")
    payment, violation, plate = found
    return json_response(
        payment_json(payment, violation, plate, now, base_url(request))
    )
