"""Simulated citizens: valid distinct identities, seats never over-sold, scripts the domain can answer."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from bench.load import citizens
from bench.load.identities import (
    citizen_phone,
    learner_id,
    mask_id,
    mask_phone,
    vehicle,
)
from bench.load.replies import Reply
from bench.load.script import Errand, Grab
from bench.load.world import (
    Counter,
    SessionPool,
    TicketBoard,
    TicketRef,
    World,
    vehicles_to_register,
)
from nlu.formats import canonical_plate, is_valid_phone, validate_id_number

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 23)


def slot(
    day: str, remaining: int, site: str = "第一考场", subject: str = "科目一"
) -> dict:
    return {
        "site": site,
        "subject": subject,
        "date": day,
        "period": "morning",
        "remaining": remaining,
    }


def world(slots: list[dict] | None = None, vehicles: int = 5) -> World:
    return World(
        sessions=SessionPool(slots or [slot("2026-12-01", 50)], after=TODAY),
        tickets=TicketBoard([TicketRef("GD202611210017", "13800138000")]),
        licence_ids=citizens.SEEDED_LICENCE_IDS,
        vehicles=vehicles_to_register(vehicles),
        learners=Counter(),
        phones=Counter(),
    )


def test_learner_ids_are_valid_and_their_masks_distinct() -> None:
    ids = [learner_id(n) for n in range(1000)]
    assert all(validate_id_number(i, TODAY) is None for i in ids)
    assert len({mask_id(i) for i in ids}) == 1000
    assert validate_id_number(learner_id(123_456), TODAY) is None


def test_phones_and_plates_are_valid_and_distinct() -> None:
    phones = [citizen_phone(n) for n in range(10_000)]
    assert all(is_valid_phone(p) for p in phones[:50])
    assert len({mask_phone(p) for p in phones}) == 10_000
    assert mask_phone("13570000042") == "135****0042"
    cars = [vehicle(n) for n in range(200)]
    assert all(canonical_plate(c.plate) == c.plate for c in cars)
    assert len({c.plate for c in cars}) == 200
    assert all(len(c.engine_suffix) == 6 for c in cars)


def test_sessions_are_never_handed_out_beyond_their_seats() -> None:
    pool = SessionPool(
        [
            slot("2026-12-01", 2),
            slot("2026-12-02", 1),
            slot("2026-11-23", 9),
            slot("2026-12-03", 0),
        ],
        after=TODAY,
    )
    assert pool.seats_left() == 3  # today's session and the full one are left out
    rng = random.Random(3)
    taken = [pool.claim(rng) for _ in range(5)]
    assert taken[3:] == [None, None]
    days = sorted(s.date for s in taken[:3] if s)
    assert days == ["2026-12-01", "2026-12-01", "2026-12-02"]


def test_an_errand_without_resources_gives_way_to_a_question() -> None:
    w = world(slots=[slot("2026-12-01", 0)], vehicles=0)
    mix = citizens.CitizenMix(w, ((citizens.booking, 0.5), (citizens.violations, 0.5)))
    scripts = [mix.next_script(random.Random(n)) for n in range(10)]
    assert {s.errand for s in scripts} == {Errand.FAQ}
    assert sum(mix.skipped.values()) == 10


def test_every_booking_uses_a_new_learner_and_a_claimed_seat() -> None:
    w = world(slots=[slot("2026-12-01", 3)])
    rng = random.Random(5)
    made = [citizens.booking(w, rng) for _ in range(4)]
    assert made[3] is None
    ids = [s.facts["id_number"] for s in made if s]
    assert len(set(ids)) == 3
    for script in made[:3]:
        assert script is not None
        asked = script.turns[-1] if "score" not in script.facts else script.turns[-2]
        assert asked.expect[0] == "预约成功！"
        said = " ".join(t.say for t in script.turns)
        assert "12月1日上午" in said and script.facts["id_number"] in said


def test_a_filed_ticket_can_be_asked_about_by_the_next_citizens() -> None:
    w = world()
    mix = citizens.CitizenMix(w)
    filed = citizens.complaint(w, random.Random(1))
    mix.learn(filed, {"ticket_id": "GD202611230001"}, True)
    picked = {
        s.facts["ticket_id"]
        for s in (citizens.ticket_status(w, random.Random(n)) for n in range(40))
        if s
    }
    assert picked == {"GD202611210017", "GD202611230001"}


def domain_responses() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        found.update(yaml.safe_load(path.read_text("utf-8")).get("responses") or {})
    return found


def domain_texts() -> str:
    texts = []
    for variants in domain_responses().values():
        for variant in variants:
            texts.append(str(variant.get("text", "")))
            texts += [str(b.get("title", "")) for b in variant.get("buttons") or []]
    return "\n".join(texts)


def rendered(response: str, **values: str) -> list[Reply]:
    """A domain response as the bot would send it, placeholders filled."""
    template = str(domain_responses()[response][0]["text"])
    text = re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), "某某"), template)
    return [Reply(text)]


def every_script() -> list:
    w = world(
        slots=[slot("2026-12-01", 500), slot("2026-12-02", 500, "南山考场", "科目二")],
        vehicles=200,
    )
    built = []
    for n in range(200):
        for builder, _ in citizens.MIX:
            script = builder(w, random.Random(n))
            if script:
                built.append(script)
    return built


@pytest.mark.parametrize("errand", [e for e in Errand if e is not Errand.REFERENCE])
def test_fixed_markers_come_from_the_domain_responses(errand: Errand) -> None:
    """A marker no response can produce would fail every conversation at load time."""
    texts = domain_texts()
    # Office answers come from the sandbox's directory: the city doc's names.
    city = (ROOT / "docs" / "sandbox-city.md").read_text("utf-8")
    scripts = [s for s in every_script() if s.errand is errand]
    assert scripts
    for script in scripts:
        source = texts + city if script.variant == "office" else texts
        for turn in script.turns:
            for marker in turn.expect:
                dynamic = re.search(r"\d|\*|科目|考场|分）|GD|区", marker)
                if not dynamic or script.variant == "office":
                    assert marker in source, (script.variant, marker)


def test_captures_find_the_values_in_the_domain_responses() -> None:
    booked = rendered("utter_exam_booked", booking_code="KS12345678")
    assert Grab("booking_code", r"预约号：(KS\d{8})").apply(booked) == "KS12345678"
    filed = rendered("utter_ticket_filed", ticket_id="GD202611230001")
    assert Grab("ticket_id", r"工单号：(GD\d{12})").apply(filed) == "GD202611230001"
    confirm = rendered(
        "utter_confirm_pay_fine_form", decision_number="4403052690000001"
    )
    assert Grab("d", r"处罚决定书(\d{16})").apply(confirm) == "4403052690000001"
    order = rendered("utter_payment_created", order_id="ZF2026112323744799")
    assert Grab("o", r"(ZF\d{16})").apply(order) == "ZF2026112323744799"
    scripts = every_script()
    grabs = {
        c.pattern
        for s in scripts
        for t in s.turns
        for c in t.capture
        if isinstance(c, Grab)
    }
    assert grabs == {
        r"预约号：(KS\d{8})",
        r"工单号：(GD\d{12})",
        r"处罚决定书(\d{16})",
        r"(ZF\d{16})",
    }
