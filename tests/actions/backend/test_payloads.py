"""Payload validation: the documented shapes parse, anything else is bad_response."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.backend.errors import BackendUnavailable, Reason
from actions.backend.payloads import (
    ExamBooking,
    InspectionStation,
    Office,
    PaymentOrder,
    PaymentStatus,
    Period,
    Rating,
    Ticket,
    TicketStatus,
    VehicleInspection,
    ViolationReport,
)

# Shapes copied from docs/sandbox-api.md.
REPORT: dict[str, Any] = {
    "plate": "粤B12345",
    "plate_type": "小型汽车",
    "vehicle_type": "小型普通客车",
    "brand": "丰田卡罗拉",
    "violations": [
        {
            "decision_number": "4403052600000011",
            "plate": "粤B12345",
            "code": "1345",
            "time": "2026-02-20T09:39:00+08:00",
            "location": "宝安区西乡街道路段",
            "description": "违反禁止标线指示",
            "fine": "200.00",
            "points": 1,
            "status": "unpaid",
            "paid_at": None,
        }
    ],
    "summary": {
        "count": 3,
        "unpaid_count": 2,
        "unpaid_fine": "400.00",
        "unpaid_points": 4,
    },
}
ORDER = {
    "order_id": "ZF2026030239824639",
    "decision_number": "4403052600000011",
    "plate": "粤B12345",
    "amount": "200.00",
    "status": "pending",
    "created_at": "2026-03-02T10:00:00+08:00",
    "expires_at": "2026-03-02T10:30:00+08:00",
    "paid_at": None,
    "pay_url": "http://127.0.0.1:8600/pay/ZF2026030239824639",
}
STATION = {
    "id": "insp-nanshan",
    "name": "南山机动车检测站（沙盒）",
    "district": "南山区",
    "address": "南山区北环大道 8002 号",
    "periods": {
        "morning": {"start": "09:00", "end": "12:00"},
        "afternoon": {"start": "14:00", "end": "17:00"},
    },
}
TICKET = {
    "ticket_id": "GD202603020001",
    "type": "complaint",
    "status": "received",
    "department": "市城市管理和综合执法局",
    "district": "南山区",
    "content": "小区门口的路灯坏了一个多月，晚上很黑。",
    "created_at": "2026-03-02T10:00:00+08:00",
    "updated_at": "2026-03-02T10:00:00+08:00",
    "history": [
        {
            "time": "2026-03-02T10:00:00+08:00",
            "status": "received",
            "note": "12345热线已受理您的诉求。",
        }
    ],
    "reply": None,
}
OFFICE = {
    "id": "dmv-nanshan",
    "kind": "dmv",
    "name": "南山车管分所",
    "short_names": ["南山车管所"],
    "district": "南山区",
    "address": "南山区沙河西路 2002 号",
    "phone": "0755-8600 1002",
    "hours": "周一至周五 9:00–12:00、14:00–17:30",
}


def test_documented_shapes_parse_to_typed_values() -> None:
    report = ViolationReport.from_json(REPORT)
    violation = report.violations[0]
    assert violation.fine == Decimal("200.00")
    assert violation.time == dt.datetime(
        2026, 2, 20, 9, 39, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert report.summary.unpaid_fine == Decimal("400.00")

    order = PaymentOrder.from_json(ORDER)
    assert order.status is PaymentStatus.PENDING
    assert order.paid_at is None

    station = InspectionStation.from_json(STATION)
    assert [h.period for h in station.periods] == [Period.MORNING, Period.AFTERNOON]
    afternoon = station.hours(Period.AFTERNOON)
    assert afternoon is not None
    assert afternoon.end == dt.time(17, 0)

    ticket = Ticket.from_json(TICKET)
    assert ticket.history[0].status is TicketStatus.RECEIVED

    assert Office.from_json(OFFICE).short_names == ("南山车管所",)


def test_payloads_are_frozen() -> None:
    order = PaymentOrder.from_json(ORDER)
    with pytest.raises(AttributeError):
        order.amount = Decimal("0.00")  # type: ignore[misc]


def _broken(base: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    target: Any = data
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["plate"], KeyError, "ViolationReport.plate: missing"),
        (["brand"], 7, "ViolationReport.brand"),
        (["violations"], {}, "ViolationReport.violations"),
        (["violations", 0, "fine"], "200", "violations[0].fine"),
        (["violations", 0, "fine"], 200.0, "violations[0].fine"),
        (["violations", 0, "points"], True, "violations[0].points"),
        (["violations", 0, "points"], "1", "violations[0].points"),
        (["violations", 0, "time"], "2026-02-20T09:39:00", "violations[0].time"),
        (["violations", 0, "time"], "yesterday", "violations[0].time"),
        (["violations", 0, "status"], "waived", "violations[0].status"),
        (["violations", 0, "paid_at"], 0, "violations[0].paid_at"),
        (["summary"], None, "ViolationReport.summary"),
        (["summary", "unpaid_count"], None, "summary.unpaid_count"),
    ],
)
def test_malformed_report_is_a_bad_response(
    path: list[Any], value: Any, where: str
) -> None:
    with pytest.raises(BackendUnavailable) as bad:
        ViolationReport.from_json(_broken(REPORT, path, value))
    assert bad.value.service == "traffic"
    assert bad.value.reason is Reason.BAD_RESPONSE
    assert where in bad.value.detail


def test_errors_never_quote_the_values() -> None:
    data = _broken(REPORT, ["violations", 0, "plate"], ["粤B12345"])
    with pytest.raises(BackendUnavailable) as bad:
        ViolationReport.from_json(data)
    assert "粤B" not in str(bad.value)


@pytest.mark.parametrize(
    ("cls", "data", "service"),
    [
        (ExamBooking, {"booking_code": "KS12345678"}, "traffic"),
        (VehicleInspection, [], "traffic"),
        (Ticket, _broken(TICKET, ["history", 0, "status"], "lost"), "hotline"),
        (Rating, None, "hotline"),
        (Office, _broken(OFFICE, ["short_names"], ["ok", 1]), "directory"),
        (InspectionStation, _broken(STATION, ["periods", "night"], {}), "traffic"),
        (
            InspectionStation,
            _broken(STATION, ["periods", "morning", "start"], "9h"),
            "traffic",
        ),
    ],
)
def test_each_service_reports_its_own_bad_responses(
    cls: Any, data: Any, service: str
) -> None:
    with pytest.raises(BackendUnavailable) as bad:
        cls.from_json(data)
    assert (bad.value.service, bad.value.reason) == (service, Reason.BAD_RESPONSE)


def test_lists_are_checked_too() -> None:
    assert (
        Office.list_from_json({"offices": [OFFICE]}, "offices")[0].id == "dmv-nanshan"
    )
    for data in ({"offices": OFFICE}, {"items": []}, {"offices": [OFFICE, 1]}, "x"):
        with pytest.raises(BackendUnavailable) as bad:
            Office.list_from_json(data, "offices")
        assert bad.value.reason is Reason.BAD_RESPONSE


def test_dates_must_be_real_days() -> None:
    booking = {
        "booking_code": "KS48103474",
        "id_number": "440305199812240036",
        "subject": "科目二",
        "license_class": "C1",
        "site": "南山考场",
        "site_district": "南山区",
        "date": "2026-03-10",
        "period": "morning",
        "start_time": "2026-03-10T09:00:00+08:00",
        "end_time": "2026-03-10T11:30:00+08:00",
        "status": "booked",
        "created_at": "2026-03-02T10:00:00+08:00",
        "updated_at": "2026-03-02T10:00:00+08:00",
    }
    assert ExamBooking.from_json(booking).date == dt.date(2026, 3, 10)
    for day in ("2026-02-30", "20260310", "2026-3-10"):
        with pytest.raises(BackendUnavailable):
            ExamBooking.from_json({**booking, "date": day})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=20,
)


@given(JSON)
def test_any_json_parses_or_is_a_bad_response(data: Any) -> None:
    for cls in (ViolationReport, Ticket, Office, InspectionStation):
        try:
            cls.from_json(data)
        except BackendUnavailable as exc:
            assert exc.reason is Reason.BAD_RESPONSE


@given(st.sampled_from(["plate", "violations", "summary", "brand"]), JSON)
def test_any_field_value_parses_or_is_a_bad_response(name: str, value: Any) -> None:
    data = {**REPORT, name: value}
    try:
        ViolationReport.from_json(json.loads(json.dumps(data)))
    except BackendUnavailable as exc:
        assert exc.reason is Reason.BAD_RESPONSE
