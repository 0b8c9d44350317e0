"""Vehicle look-up and the engine/VIN-suffix check shared by traffic handlers."""

from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sandbox.errors import Forbidden, NotFound
from sandbox.models import Vehicle


async def load_vehicle(session: AsyncSession, plate: str) -> Vehicle:
    """Return the vehicle with canonical ``plate``.

    Raises:
        NotFound: ``unknown_vehicle``.
    """
    vehicle = await session.scalar(select(Vehicle).where(Vehicle.plate == plate))
    if vehicle is None:
        raise NotFound("unknown_vehicle", f"No vehicle registered with plate {plate}.")
    return vehicle


def suffix_matches(vehicle: Vehicle, suffix: str) -> bool:
    """True when ``suffix`` is the last 6 of the engine number or of the VIN."""
    engine = vehicle.engine_number[-6:].upper().encode()
    vin = vehicle.vin[-6:].upper().encode()
    given = suffix.encode()
    # Both compared every time, in constant time: the suffix is a secret.
    return bool(hmac.compare_digest(engine, given) | hmac.compare_digest(vin, given))


def require_suffix(vehicle: Vehicle, suffix: str) -> None:
    """Refuse a caller who does not know the vehicle's engine/VIN suffix.

    Raises:
        Forbidden: ``engine_suffix_mismatch``.
    """
    if not suffix_matches(vehicle, suffix):
        raise Forbidden(
            "engine_suffix_mismatch",
            "engine_suffix does not match the vehicle's engine number or VIN.",
        )
