"""TrafficAPI against the real sandbox and its seed fixtures (today = 2026-03-02)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import aiohttp
import pytest

from actions.backend import Backend
from actions.backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from actions.backend.payloads import (
    BookingStatus,
    InspectionStatus,
    LicenseStatus,
    PaymentStatus,
    Period,
    ViolationStatus,
)
from tests.support.sandbox_process import SandboxProcess

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
LEARNER = "440305199812240036"  # valid ID, no licence, holds KS20000001 (科目一)
TUESDAY = dt.date(2026, 3, 3)  # first working day after the seed day


def key() -> str:
    return uuid.uuid4().hex


# Violations and fines


async def test_violations_of_a_seed_vehicle(backend: Backend) -> None:
    report = await backend.traffic.violations("粤B12345", engine_suffix="123456")
    assert (report.plate, report.plate_type, report.brand) == (
        "粤B12345",
        "小型汽车",
        "丰田卡罗拉",
    )
    assert [v.decision_number for v in report.violations] == [
        "4403052600000011",
        "4403052600000012",
        "4403042600000013",
    ]
    newest = report.violations[0]
    assert newest.fine == Decimal("200.00")
    assert newest.points == 1
    assert newest.status is ViolationStatus.UNPAID
    assert newest.paid_at is None
    assert newest.time.date() == dt.date(2026, 2, 20)
    assert newest.time.utcoffset() == dt.timedelta(hours=8)
    assert report.violations[2].status is ViolationStatus.PAID
    assert report.summary.count == 3
    assert report.summary.unpaid_count == 2
    assert report.summary.unpaid_fine == Decimal("400.00")
    assert report.summary.unpaid_points == 4


async def test_violations_by_vin_suffix_filtered_by_status(backend: Backend) -> None:
    report = await backend.traffic.violations(
        "粤B12345", engine_suffix="100001", status=ViolationStatus.UNPAID
    )
    assert {v.status for v in report.violations} == {ViolationStatus.UNPAID}
    assert len(report.violations) == 2


async def test_new_energy_plate_with_separators(backend: Backend) -> None:
    report = await backend.traffic.violations("粤B·D12345", engine_suffix="a8k92z")
    assert report.plate == "粤BD12345"
    assert report.violations[0].description == "驾驶时拨打接听手持电话"


async def test_pay_a_fine_end_to_end(
    backend: Backend, http: aiohttp.ClientSession
) -> None:
    order = await backend.traffic.create_payment(
        "4403052600000011", idempotency_key=key(), plate="粤B12345"
    )
    assert re.fullmatch(r"ZF\d{16}", order.order_id)
    assert order.amount == Decimal("200.00")
    assert order.status is PaymentStatus.PENDING
    assert order.expires_at - order.created_at == dt.timedelta(minutes=30)
    assert order.pay_url.endswith(f"/pay/{order.order_id}")

    async with http.post(order.pay_url) as page:  # the citizen presses 确认支付
        assert page.status == 200
    paid = await backend.traffic.get_payment(order.order_id)
    assert paid.status is PaymentStatus.PAID
    assert paid.paid_at is not None

    with pytest.raises(Conflict) as caught:
        await backend.traffic.create_payment("4403052600000011", idempotency_key=key())
    assert caught.value.code == "already_paid"


async def test_payment_errors(backend: Backend) -> None:
    with pytest.raises(NotFound) as unknown:
        await backend.traffic.create_payment("4403059999999999", idempotency_key=key())
    assert unknown.value.code == "unknown_decision"
    with pytest.raises(Forbidden) as mismatch:
        await backend.traffic.create_payment(
            "4403052600000011", idempotency_key=key(), plate="粤BD12345"
        )
    assert mismatch.value.code == "plate_mismatch"
    with pytest.raises(NotFound) as order:
        await backend.traffic.get_payment("ZF0000000000000000")
    assert order.value.code == "unknown_order"


# Licences


async def test_licence_suspended_at_twelve_points(backend: Backend) -> None:
    licence = await backend.traffic.license("44030519900101123x")
    assert licence.id_number == "44030519900101123X"
    assert licence.name == "李婉清"
    assert licence.license_class == "C1"
    assert licence.status is LicenseStatus.SUSPENDED
    assert (licence.points_used, licence.points_limit, licence.points_remaining) == (
        12,
        12,
        0,
    )
    assert licence.cycle_start <= dt.date(2026, 3, 2) <= licence.cycle_end
    assert licence.valid_until == dt.date(2026, 3, 2) + dt.timedelta(days=900)


async def test_licence_normal_and_expired(backend: Backend) -> None:
    normal = await backend.traffic.license("440304198503122318")
    assert (normal.status, normal.points_used) == (LicenseStatus.NORMAL, 3)
    expired = await backend.traffic.license("440306199207154021")
    assert expired.status is LicenseStatus.EXPIRED


# Driving tests


async def test_exam_slots_filtered_with_chinese_query(backend: Backend) -> None:
    slots = await backend.traffic.exam_slots(
        subject="科目一", site="第一考场", date=TUESDAY, period=Period.AFTERNOON
    )
    assert len(slots) == 1
    slot = slots[0]
    assert (slot.site, slot.site_district, slot.subject) == (
        "第一考场",
        "福田区",
        "科目一",
    )
    assert (slot.date, slot.period, slot.capacity, slot.remaining) == (
        TUESDAY,
        Period.AFTERNOON,
        60,
        1,
    )
    assert slot.start_time == dt.datetime(2026, 3, 3, 14, 0, tzinfo=SHANGHAI)


async def test_full_sessions_only_with_include_full(backend: Backend) -> None:
    args = {"subject": "科目二", "site": "南山考场", "date": "2026-03-03"}
    assert await backend.traffic.exam_slots(**args) == []
    full = await backend.traffic.exam_slots(**args, include_full=True)
    assert [(s.period, s.remaining) for s in full] == [
        (Period.MORNING, 0),
        (Period.AFTERNOON, 0),
    ]


async def test_exam_slots_without_filters(backend: Backend) -> None:
    slots = await backend.traffic.exam_slots()
    assert slots
    assert all(s.remaining > 0 and s.date >= dt.date(2026, 3, 2) for s in slots)
    assert slots == sorted(slots, key=lambda s: (s.date, s.period != Period.MORNING))


async def test_exam_booking_life_cycle(
    backend: Backend, sandbox: SandboxProcess
) -> None:
    booking = await backend.traffic.book_exam(
        id_number=LEARNER,
        subject="科目二",
        license_class="C1",
        site="南山考场",
        date=dt.date(2026, 3, 10),
        period="morning",
        idempotency_key=key(),
    )
    assert re.fullmatch(r"KS\d{8}", booking.booking_code)
    assert booking.status is BookingStatus.BOOKED
    assert (booking.site, booking.site_district, booking.period) == (
        "南山考场",
        "南山区",
        Period.MORNING,
    )

    held = await backend.traffic.list_exam_bookings(LEARNER)
    assert booking.booking_code in [b.booking_code for b in held]
    assert {"KS20000001", "KS20000002"} <= {b.booking_code for b in held}

    same = await backend.traffic.get_exam_booking(
        booking.booking_code, id_number=LEARNER
    )
    assert same == booking

    moved = await backend.traffic.reschedule_exam_booking(
        booking.booking_code,
        id_number=LEARNER,
        date="2026-03-12",
        period=Period.AFTERNOON,
        idempotency_key=key(),
    )
    assert moved.booking_code == booking.booking_code
    assert (moved.date, moved.period, moved.site) == (
        dt.date(2026, 3, 12),
        Period.AFTERNOON,
        "南山考场",
    )

    cancelled = await backend.traffic.cancel_exam_booking(
        booking.booking_code, id_number=LEARNER, idempotency_key=key()
    )
    assert cancelled.status is BookingStatus.CANCELLED
    with pytest.raises(Conflict) as again:
        await backend.traffic.cancel_exam_booking(
            booking.booking_code, id_number=LEARNER, idempotency_key=key()
        )
    assert again.value.code == "already_cancelled"
    live = sandbox.admin_get(f"exam-bookings?status=booked&id_number={LEARNER}")
    assert booking.booking_code not in str(live)


async def test_exam_booking_refusals(backend: Backend) -> None:
    with pytest.raises(Conflict) as duplicate:
        await backend.traffic.book_exam(
            id_number=LEARNER,
            subject="科目一",
            license_class="C1",
            site="第一考场",
            date="2026-03-10",
            period="morning",
            idempotency_key=key(),
        )
    assert duplicate.value.code == "duplicate_subject"
    with pytest.raises(Conflict) as full:
        await backend.traffic.book_exam(
            id_number=LEARNER,
            subject="科目二",
            license_class="C1",
            site="南山考场",
            date=TUESDAY,
            period="morning",
            idempotency_key=key(),
        )
    assert full.value.code == "session_full"
    with pytest.raises(Forbidden) as other:
        await backend.traffic.get_exam_booking("KS20000003", id_number=LEARNER)
    assert other.value.code == "not_owner"
    with pytest.raises(NotFound) as unknown:
        await backend.traffic.get_exam_booking("KS99999999")
    assert unknown.value.code == "unknown_booking"
    with pytest.raises(InvalidInput) as same:
        await backend.traffic.reschedule_exam_booking(
            "KS20000001",
            id_number=LEARNER,
            date="2026-03-05",
            period="morning",
            idempotency_key=key(),
        )
    assert same.value.code == "same_session"


# Vehicle inspection


async def test_inspection_due_soon_with_booking(backend: Backend) -> None:
    info = await backend.traffic.inspection("粤BF36912")
    assert info.status is InspectionStatus.DUE_SOON
    assert info.days_until_due == 25
    assert info.inspection_due == dt.date(2026, 3, 27)
    assert info.booking is not None
    assert info.booking.booking_code == "JC20000001"
    assert info.booking.station == "南山机动车检测站（沙盒）"
    assert info.booking.status is BookingStatus.BOOKED


async def test_inspection_overdue_and_suffix_check(backend: Backend) -> None:
    info = await backend.traffic.inspection("粤B6A7C8", engine_suffix="068204")
    assert (info.status, info.booking) == (InspectionStatus.OVERDUE, None)
    with pytest.raises(Forbidden):
        await backend.traffic.inspection("粤B6A7C8", engine_suffix="000000")


async def test_inspection_stations_and_slots(backend: Backend) -> None:
    stations = await backend.traffic.inspection_stations(district="南山")
    assert [s.id for s in stations] == ["insp-nanshan"]
    morning = stations[0].hours(Period.MORNING)
    assert morning is not None
    assert (morning.start, morning.end) == (dt.time(9, 0), dt.time(12, 0))
    assert len(await backend.traffic.inspection_stations()) == 5

    full = await backend.traffic.inspection_slots(
        station="insp-futian", date=TUESDAY, period="morning"
    )
    assert full == []
    open_ = await backend.traffic.inspection_slots(
        station="insp-futian", date=TUESDAY, period=Period.AFTERNOON
    )
    assert len(open_) == 1
    assert open_[0].station_id == "insp-futian"
    assert open_[0].capacity == 20
    assert open_[0].remaining >= 3


async def test_inspection_booking_life_cycle(backend: Backend) -> None:
    booking = await backend.traffic.book_inspection(
        plate="粤B6A7C8",
        station="龙华机动车检测站（沙盒）",
        date="2026-03-04",
        period="afternoon",
        phone="13800138000",
        idempotency_key=key(),
    )
    assert re.fullmatch(r"JC\d{8}", booking.booking_code)
    assert (booking.station_id, booking.phone) == ("insp-longhua", "13800138000")
    assert booking.station_address == "龙华区梅龙大道 8005 号"
    assert booking.start_time == dt.datetime(2026, 3, 4, 14, 0, tzinfo=SHANGHAI)

    fetched = await backend.traffic.get_inspection_booking(booking.booking_code)
    assert fetched == booking
    cancelled = await backend.traffic.cancel_inspection_booking(
        booking.booking_code, idempotency_key=key()
    )
    assert cancelled.status is BookingStatus.CANCELLED


async def test_inspection_booking_refusals(backend: Backend) -> None:
    with pytest.raises(Conflict) as duplicate:
        await backend.traffic.book_inspection(
            plate="粤BF36912",
            station="insp-nanshan",
            date="2026-03-10",
            period="morning",
            idempotency_key=key(),
        )
    assert duplicate.value.code == "duplicate_booking"
    with pytest.raises(NotFound) as unknown:
        await backend.traffic.get_inspection_booking("JC99999999")
    assert unknown.value.code == "unknown_booking"
