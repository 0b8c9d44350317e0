"""Is the sandbox's final state exactly what the finished conversations imply?

Compares the sandbox before and after the run through its signed admin
routes. Each change a conversation asked for is matched to the conversation
by the identity it used (learner ID, plate, phone): confirmed ones must exist
exactly once and with the code the citizen was told, ones never asked for
must not exist, ones asked without a clear answer may exist at most once, and
nothing may exist that no conversation explains.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench.load.script import Effect, Errand
from bench.load.transcript import Outcome, Transcript

SessionKey = tuple[str, str, str, str]


class AdminClient(Protocol):
    """Signed sandbox calls (``tests.e2e.conftest.Admin`` has this shape)."""

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One signed request: the status and the decoded body."""
        ...

    def get(self, path: str) -> Any:
        """GET a signed route, asserting 200; the decoded body."""
        ...


@dataclass(frozen=True)
class Snapshot:
    """The parts of the sandbox a run can change."""

    seats: dict[SessionKey, int]
    bookings: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    ratings: list[dict[str, Any]]


def take_snapshot(admin: AdminClient) -> Snapshot:
    """Read seats, exam bookings, tickets, payment orders and ratings."""
    slots = admin.get("/traffic/v1/exam-slots?include_full=true")["slots"]
    return Snapshot(
        seats={_key(slot): int(slot["remaining"]) for slot in slots},
        bookings=list(admin.get("/sandbox/v1/exam-bookings")["bookings"]),
        tickets=list(admin.get("/sandbox/v1/tickets")["tickets"]),
        payments=list(admin.get("/sandbox/v1/payments")["payments"]),
        ratings=list(admin.get("/sandbox/v1/ratings")["ratings"]),
    )


def _key(row: dict[str, Any]) -> SessionKey:
    return (str(row["site"]), str(row["subject"]), str(row["date"]), str(row["period"]))


@dataclass
class StateReport:
    """Problems found (empty when the state is exact) and the counts compared."""

    problems: list[str] = field(default_factory=list)
    figures: Counter[str] = field(default_factory=Counter)


def _new(
    before: list[dict[str, Any]], after: list[dict[str, Any]], key: str
) -> list[dict[str, Any]]:
    seen = {row[key] for row in before}
    return [row for row in after if row[key] not in seen]


def _grouped(
    rows: Iterable[dict[str, Any]], key: str
) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row[key])].append(row)
    return groups


def _expect_once(
    report: StateReport,
    label: str,
    outcome: Outcome,
    found: list[dict[str, Any]],
    who: str,
) -> bool:
    """Count one conversation's change; True when exactly one row is there to inspect."""
    report.figures[f"{label}_{outcome.value}"] += 1
    report.figures[f"{label}_found"] += len(found)
    if outcome is Outcome.CONFIRMED and len(found) != 1:
        report.problems.append(f"{label} of {who}: confirmed, found {len(found)}")
    elif outcome is Outcome.NOT_ASKED and found:
        report.problems.append(f"{label} of {who}: never asked, found {len(found)}")
    elif outcome is Outcome.UNKNOWN and len(found) > 1:
        report.problems.append(f"{label} of {who}: found {len(found)}")
    return outcome is Outcome.CONFIRMED and len(found) == 1


def check_bookings(
    report: StateReport, before: Snapshot, after: Snapshot, talks: list[Transcript]
) -> None:
    """One booking per confirmed booking script, on its session, with its code."""
    new = _new(before.bookings, after.bookings, "booking_code")
    for row in new:
        if row["status"] != "booked":
            report.problems.append(f"booking {row['booking_code']} is {row['status']}")
    by_id = _grouped(new, "id_number")
    for talk in talks:
        if talk.script.errand is not Errand.BOOKING:
            continue
        facts = talk.script.facts
        found = by_id.pop(facts["id_number"], [])
        outcome = talk.effect_outcome(Effect.BOOKING)
        if _expect_once(report, "booking", outcome, found, talk.sender):
            row = found[0]
            wanted = (facts["site"], facts["subject"], facts["date"], facts["period"])
            if _key(row) != wanted:
                report.problems.append(f"booking of {talk.sender} on {_key(row)}")
            if row["booking_code"] != talk.context.get("booking_code"):
                report.problems.append(
                    f"booking of {talk.sender}: told {talk.context.get('booking_code')}, "
                    f"made {row['booking_code']}"
                )
    for id_number, rows in by_id.items():
        report.problems.append(
            f"{len(rows)} booking(s) of {id_number[:4]}… no script made"
        )
    held = Counter(
        (row["id_number"], row["subject"])
        for row in after.bookings
        if row["status"] == "booked"
    )
    doubles = sum(1 for n in held.values() if n > 1)
    report.figures["double_bookings"] = doubles
    if doubles:
        report.problems.append(f"{doubles} ID/subject pairs booked twice")
    taken = Counter(_key(row) for row in new if row["status"] == "booked")
    for key, left in after.seats.items():
        if key in before.seats and before.seats[key] - left != taken.get(key, 0):
            report.problems.append(
                f"seats of {key}: {before.seats[key]} → {left}, {taken.get(key, 0)} booked"
            )


def check_payments(
    report: StateReport, before: Snapshot, after: Snapshot, talks: list[Transcript]
) -> None:
    """One payment order per confirmed payment script, paid when the page was opened."""
    by_plate = _grouped(_new(before.payments, after.payments, "order_id"), "plate")
    for talk in talks:
        if talk.script.errand is not Errand.VIOLATIONS:
            continue
        found = by_plate.pop(talk.script.facts["plate"], [])
        outcome = talk.effect_outcome(Effect.PAYMENT)
        if _expect_once(report, "payment", outcome, found, talk.sender):
            row = found[0]
            if row["order_id"] != talk.context.get("order_id"):
                report.problems.append(f"payment of {talk.sender}: another order id")
            if row["decision_number"] != talk.context.get("decision"):
                report.problems.append(f"payment of {talk.sender}: another decision")
            paid = talk.context.get("pay_url_status") == "200"
            if paid != (row["status"] == "paid"):
                report.problems.append(
                    f"payment of {talk.sender}: page {talk.context.get('pay_url_status')}, "
                    f"order {row['status']}"
                )
            report.figures["payment_paid"] += row["status"] == "paid"
    for plate, rows in by_plate.items():
        report.problems.append(
            f"{len(rows)} payment order(s) for {plate} no script made"
        )


def check_tickets(
    report: StateReport, before: Snapshot, after: Snapshot, talks: list[Transcript]
) -> None:
    """One 12345 ticket per confirmed complaint script, of its kind, district and phone."""
    by_phone = _grouped(_new(before.tickets, after.tickets, "ticket_id"), "phone")
    for talk in talks:
        if talk.script.errand is not Errand.COMPLAINT:
            continue
        facts = talk.script.facts
        found = by_phone.pop(facts["phone"], [])
        outcome = talk.effect_outcome(Effect.TICKET)
        if _expect_once(report, "ticket", outcome, found, talk.sender):
            row = found[0]
            told = talk.context.get("ticket_id")
            if row["ticket_id"] != told:
                report.problems.append(f"ticket of {talk.sender}: told {told}")
            if (row["type"], row["district"]) != (
                facts["ticket_type"],
                facts["district"],
            ):
                report.problems.append(
                    f"ticket of {talk.sender}: {row['type']} in {row['district']}"
                )
    for phone, rows in by_phone.items():
        report.problems.append(
            f"{len(rows)} ticket(s) from {phone[:3]}… no script filed"
        )


def check_ratings(
    report: StateReport, before: Snapshot, after: Snapshot, talks: list[Transcript]
) -> None:
    """As many ratings as confirmed rating turns (plus at most the unanswered ones)."""
    new = _new(before.ratings, after.ratings, "rating_id")
    outcomes = Counter(
        talk.effect_outcome(Effect.RATING)
        for talk in talks
        if talk.script.effect_turn(Effect.RATING) is not None
    )
    confirmed = outcomes[Outcome.CONFIRMED]
    unknown = outcomes[Outcome.UNKNOWN]
    report.figures["rating_confirmed"] = confirmed
    report.figures["rating_found"] = len(new)
    if not confirmed <= len(new) <= confirmed + unknown:
        report.problems.append(f"ratings: {confirmed} confirmed, {len(new)} stored")
    sent = {str(talk.script.facts.get("score")) for talk in talks} - {"None"}
    odd = [row for row in new if str(row["score"]) not in sent]
    if odd:
        report.problems.append(f"{len(odd)} rating(s) with a score nobody gave")


def check_final_state(
    before: Snapshot, after: Snapshot, transcripts: Iterable[Transcript]
) -> StateReport:
    """Every check of this module over all conversations of the run."""
    talks = list(transcripts)
    report = StateReport()
    for check in (check_bookings, check_payments, check_tickets, check_ratings):
        check(report, before, after, talks)
    return report
