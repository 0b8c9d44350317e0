"""TrafficAPI: typed calls to the traffic-management platform (``/traffic/v1``).

Values go to the service as the citizen gave them (the service normalises
plates, ID numbers, subjects and sites and answers 422 with a code when it
cannot); answers come back as the dataclasses of ``payloads``.
"""

from __future__ import annotations

import datetime as dt

from actions.backend.client import BackendClient
from actions.backend.payloads import (
    ExamBooking,
    ExamSlot,
    InspectionBooking,
    InspectionSlot,
    InspectionStation,
    License,
    PaymentOrder,
    VehicleInspection,
    ViolationReport,
)
from actions.backend.statuses import Period, ViolationStatus

__all__ = ["TrafficAPI"]

Day = dt.date | str
HalfDay = Period | str


def _day(value: Day | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def _period(value: HalfDay | None) -> str | None:
    return value.value if isinstance(value, Period) else value


class TrafficAPI:
    """Violations and fines, licences, driving tests and vehicle inspections."""

    def __init__(self, client: BackendClient) -> None:
        """Uses the process-wide back-end client."""
        self._client = client

    # Violations and fines

    async def violations(
        self,
        plate: str,
        *,
        engine_suffix: str,
        status: ViolationStatus | str | None = None,
    ) -> ViolationReport:
        """A vehicle's violations; 403 ``Forbidden`` when the suffix does not match.

        Args:
            plate: The plate as given (``粤B12345``; separators are tolerated).
            engine_suffix: Last 6 characters of the engine number or the VIN.
            status: Only ``unpaid`` or ``paid`` violations.
        """
        data = await self._client.get(
            "/traffic/v1/vehicles/{plate}/violations",
            args={"plate": plate},
            query={"engine_suffix": engine_suffix, "status": status},
        )
        return ViolationReport.from_json(data)

    async def create_payment(
        self, decision_number: str, *, idempotency_key: str, plate: str | None = None
    ) -> PaymentOrder:
        """Start paying one fine: an order with the citizen's ``pay_url``.

        ``Conflict(already_paid)`` when the fine is paid; ``Forbidden`` when
        ``plate`` is given and is not the fine's vehicle.
        """
        data = await self._client.post(
            "/traffic/v1/fines/{decision_number}/payments",
            {"plate": plate},
            args={"decision_number": decision_number},
            idempotency_key=idempotency_key,
        )
        return PaymentOrder.from_json(data)

    async def get_payment(self, order_id: str) -> PaymentOrder:
        """A payment order as it stands now (pending, paid, expired…)."""
        data = await self._client.get(
            "/traffic/v1/payments/{order_id}", args={"order_id": order_id}
        )
        return PaymentOrder.from_json(data)

    # Driving licence

    async def license(self, id_number: str) -> License:
        """The driving licence of an ID number; ``NotFound`` if they hold none."""
        data = await self._client.get(
            "/traffic/v1/licenses/{id_number}", args={"id_number": id_number}
        )
        return License.from_json(data)

    # Driving tests

    async def exam_slots(
        self,
        *,
        subject: str | None = None,
        date: Day | None = None,
        site: str | None = None,
        period: HalfDay | None = None,
        include_full: bool = False,
    ) -> list[ExamSlot]:
        """Exam sessions from today on, by date, morning first, then site.

        Args:
            subject: ``科目一``…``科目四`` (short forms accepted).
            date: One day.
            site: An exam site.
            period: ``morning`` or ``afternoon``.
            include_full: Also sessions without seats left.
        """
        data = await self._client.get(
            "/traffic/v1/exam-slots",
            query={
                "subject": subject,
                "date": _day(date),
                "site": site,
                "period": _period(period),
                "include_full": True if include_full else None,
            },
        )
        return ExamSlot.list_from_json(data, "slots")

    async def book_exam(
        self,
        *,
        id_number: str,
        subject: str,
        license_class: str,
        site: str,
        date: Day,
        period: HalfDay,
        idempotency_key: str,
    ) -> ExamBooking:
        """Book a seat; ``Conflict`` ``session_full`` or ``duplicate_subject``."""
        data = await self._client.post(
            "/traffic/v1/exam-bookings",
            {
                "id_number": id_number,
                "subject": subject,
                "license_class": license_class,
                "site": site,
                "date": _day(date),
                "period": _period(period),
            },
            idempotency_key=idempotency_key,
        )
        return ExamBooking.from_json(data)

    async def list_exam_bookings(self, id_number: str) -> list[ExamBooking]:
        """A person's exam bookings, newest first, booked and cancelled."""
        data = await self._client.get(
            "/traffic/v1/exam-bookings", query={"id_number": id_number}
        )
        return ExamBooking.list_from_json(data, "bookings")

    async def get_exam_booking(
        self, booking_code: str, *, id_number: str | None = None
    ) -> ExamBooking:
        """One booking; with ``id_number``, someone else's is ``Forbidden``."""
        data = await self._client.get(
            "/traffic/v1/exam-bookings/{booking_code}",
            args={"booking_code": booking_code},
            query={"id_number": id_number},
        )
        return ExamBooking.from_json(data)

    async def cancel_exam_booking(
        self, booking_code: str, *, idempotency_key: str, id_number: str | None = None
    ) -> ExamBooking:
        """Cancel; ``Conflict`` ``already_cancelled`` or ``session_passed``."""
        data = await self._client.delete(
            "/traffic/v1/exam-bookings/{booking_code}",
            args={"booking_code": booking_code},
            query={"id_number": id_number},
            idempotency_key=idempotency_key,
        )
        return ExamBooking.from_json(data)

    async def reschedule_exam_booking(
        self,
        booking_code: str,
        *,
        date: Day,
        period: HalfDay,
        idempotency_key: str,
        site: str | None = None,
        id_number: str | None = None,
    ) -> ExamBooking:
        """Move to another session atomically (same code; site defaults to the current).

        ``Conflict(session_full)`` leaves the booking unchanged;
        ``InvalidInput(same_session)`` when nothing would move.
        """
        data = await self._client.patch(
            "/traffic/v1/exam-bookings/{booking_code}",
            {"date": _day(date), "period": _period(period), "site": site},
            args={"booking_code": booking_code},
            query={"id_number": id_number},
            idempotency_key=idempotency_key,
        )
        return ExamBooking.from_json(data)

    # Vehicle inspection

    async def inspection(
        self, plate: str, *, engine_suffix: str | None = None
    ) -> VehicleInspection:
        """Inspection due date, standing and live booking of a vehicle."""
        data = await self._client.get(
            "/traffic/v1/vehicles/{plate}/inspection",
            args={"plate": plate},
            query={"engine_suffix": engine_suffix},
        )
        return VehicleInspection.from_json(data)

    async def inspection_stations(
        self, *, district: str | None = None
    ) -> list[InspectionStation]:
        """Inspection stations, optionally of one district (short forms accepted)."""
        data = await self._client.get(
            "/traffic/v1/inspection-stations", query={"district": district}
        )
        return InspectionStation.list_from_json(data, "stations")

    async def inspection_slots(
        self,
        *,
        station: str | None = None,
        date: Day | None = None,
        period: HalfDay | None = None,
    ) -> list[InspectionSlot]:
        """Open station half-days with places left (station by id or name)."""
        data = await self._client.get(
            "/traffic/v1/inspection-slots",
            query={"station": station, "date": _day(date), "period": _period(period)},
        )
        return InspectionSlot.list_from_json(data, "slots")

    async def book_inspection(
        self,
        *,
        plate: str,
        station: str,
        date: Day,
        period: HalfDay,
        idempotency_key: str,
        phone: str | None = None,
    ) -> InspectionBooking:
        """Book an inspection; ``Conflict`` ``session_full`` or ``duplicate_booking``."""
        data = await self._client.post(
            "/traffic/v1/inspection-bookings",
            {
                "plate": plate,
                "station": station,
                "date": _day(date),
                "period": _period(period),
                "phone": phone,
            },
            idempotency_key=idempotency_key,
        )
        return InspectionBooking.from_json(data)

    async def get_inspection_booking(self, booking_code: str) -> InspectionBooking:
        """One inspection booking."""
        data = await self._client.get(
            "/traffic/v1/inspection-bookings/{booking_code}",
            args={"booking_code": booking_code},
        )
        return InspectionBooking.from_json(data)

    async def cancel_inspection_booking(
        self, booking_code: str, *, idempotency_key: str
    ) -> InspectionBooking:
        """Cancel; the place goes back to the station's half-day."""
        data = await self._client.delete(
            "/traffic/v1/inspection-bookings/{booking_code}",
            args={"booking_code": booking_code},
            idempotency_key=idempotency_key,
        )
        return InspectionBooking.from_json(data)
