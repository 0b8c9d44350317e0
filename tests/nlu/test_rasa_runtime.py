"""The runtime fixes: the cached response check accepts and refuses what Rasa's
does; the cached event type lookup finds what Rasa's finds."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import ValidationError, validate, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot, ListSlot, Slot, TextSlot
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

import bot.rule_policy  # noqa: F401  (applies the runtime fixes, as Rasa does)
from bot import rasa_runtime

VALID: list[dict[str, Any]] = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "plate_number", "value": "粤B12345"},
            {"event": "active_loop", "name": None},
            {"event": "pause"},
        ],
        "responses": [{"text": "好的", "buttons": [{"title": "是", "payload": "是"}]}],
    },
]
INVALID: list[dict[str, Any]] = [
    {"events": {"event": "slot"}},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "no_such_event"}]},
    {"responses": "好的"},
    {"responses": ["好的"]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_query_points", EndpointConfig("http://127.0.0.1:1"))


def test_the_fix_is_applied_once_on_loading_our_policy() -> None:
    patched = RemoteAction._validate_action_result
    assert patched.__module__ == rasa_runtime.__name__
    rasa_runtime.apply()
    assert RemoteAction._validate_action_result is patched


@pytest.mark.parametrize("response", VALID)
def test_valid_responses_pass_as_with_jsonschema(
    action: RemoteAction, response: dict[str, Any]
) -> None:
    validate(response, RemoteAction.action_response_format_spec())
    assert action._validate_action_result(response) is True


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_fail_with_rasas_message(
    action: RemoteAction, response: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as expected:
        validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as raised:
        action._validate_action_result(response)
    assert raised.value.message.startswith(expected.value.message)
    assert "Failed to validate Action server response" in raised.value.message


def test_event_types_resolve_as_rasa_resolves_them() -> None:
    assert Event.resolve_by_type.__module__ == rasa_runtime.__name__
    for cls in all_subclasses(Event):
        first = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is first
        assert Event.resolve_by_type(cls.type_name) is first  # from the cache
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("no_such_event", ActionExecuted) is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    restored = Event.from_parameters(
        {"event": "slot", "name": "plate", "value": "粤B1"}
    )
    assert restored == SlotSet("plate", "粤B1")


def _real_events() -> list[dict[str, Any]]:
    """One serialised event of every kind an action server may return."""
    from datetime import datetime

    from rasa.shared.core import events as ev

    return [
        e.as_dict()
        for e in (
            ev.UserUttered(
                "我要查违章", {"name": "query_violations", "confidence": 0.9}
            ),
            ev.BotUttered("好的", {"buttons": [{"title": "是", "payload": "是"}]}),
            ev.SlotSet("plate_number", "粤B12345"),
            ev.SlotSet("exam_date", None),
            ev.ActiveLoop("exam_booking_form"),
            ev.ActiveLoop(None),
            ev.ActionExecuted("action_listen"),
            ev.ActionExecutionRejected("exam_booking_form"),
            ev.Restarted(),
            ev.AllSlotsReset(),
            ev.SessionStarted(),
            ev.ConversationPaused(),
            ev.ConversationResumed(),
            ev.FollowupAction("action_listen"),
            ev.UserUtteranceReverted(),
            ev.ActionReverted(),
            ev.StoryExported(),
            ev.LoopInterrupted(True),
            ev.ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 1, 9)),
            ev.ReminderCancelled(name="reminder"),
            ev.AgentUttered("hi"),
            ev.EntitiesAdded([{"entity": "plate_number", "value": "粤B12345"}]),
        )
    ]


def _variants() -> list[dict[str, Any]]:
    """Real events, then each with one field replaced by a value of another type."""
    odd: list[Any] = [None, 7, 1.5, True, "x", [], {}, ["x"]]
    found: list[dict[str, Any]] = []
    for event in _real_events():
        found.append({"events": [event]})
        for key in event:
            for value in odd:
                found.append({"events": [{**event, key: value}]})
        found.append({"events": [{k: v for k, v in event.items() if k != "event"}]})
    found += [{"events": [1]}, {"events": [[]]}, {"events": None}, [], "x"]
    return found


def test_the_fast_check_passes_only_what_jsonschema_passes() -> None:
    schema = RemoteAction.action_response_format_spec()
    fast = rasa_runtime.fast_response_check(schema)
    assert fast is not None
    full_validator = validators.validator_for(schema)(schema)
    cases = VALID + INVALID + _variants()
    passed = refused = 0
    for response in cases:
        valid = full_validator.is_valid(response)
        assert fast(response) is valid, response
        passed += valid
        refused += not valid
    # Both kinds occur, so agreement is not trivial.
    assert passed > 20 and refused > 100


def test_a_schema_of_another_shape_gets_no_fast_check() -> None:
    assert rasa_runtime.fast_response_check({"type": "object"}) is None
    unnamed = {"properties": {"events": {"items": {"oneOf": [{"properties": {}}]}}}}
    assert rasa_runtime.fast_response_check(unnamed) is None


async def _serve_echo(port: int, seen: list[dict[str, Any]]) -> Any:
    from aiohttp import web

    async def echo(request: web.Request) -> web.Response:
        seen.append(
            {
                "peer": request.transport.get_extra_info("peername"),
                "body": await request.json(),
                "auth": request.headers.get("Authorization"),
                "custom": request.headers.get("X-Custom"),
                "token": request.query.get("token"),
            }
        )
        if request.query.get("fail"):
            return web.json_response({"error": "不行"}, status=422)
        return web.json_response((await request.json())["text"])

    app = web.Application()
    app.router.add_post("/webhook", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_endpoint_requests_share_one_connection_with_rasas_settings() -> None:
    import asyncio

    from aiohttp.test_utils import unused_port
    from rasa.utils.endpoints import ClientResponseError

    port = unused_port()
    seen: list[dict[str, Any]] = []
    endpoint = EndpointConfig(
        f"http://127.0.0.1:{port}/webhook",
        headers={"X-Custom": "govbot"},
        basic_auth={"username": "rasa", "password": "secret"},
        token="t0k",
    )

    async def calls() -> list[Any]:
        runner = await _serve_echo(port, seen)
        try:
            answers = [
                await endpoint.request(json={"text": f"粤B/{i} 預約"}) for i in range(3)
            ]
            with pytest.raises(ClientResponseError) as failed:
                await endpoint.request(json={"text": "x"}, params={"fail": "1"})
            answers.append(failed.value.status)
            return answers
        finally:
            await runner.cleanup()

    assert asyncio.run(calls()) == ["粤B/0 預約", "粤B/1 預約", "粤B/2 預約", 422]
    assert len({call["peer"] for call in seen}) == 1  # one kept connection
    assert {call["auth"] for call in seen} == {"Basic cmFzYTpzZWNyZXQ="}
    assert {(call["custom"], call["token"]) for call in seen} == {("govbot", "t0k")}
    # A later event loop (Rasa restarted in-process, tests) gets its own session.
    seen.clear()
    assert asyncio.run(calls())[0] == "粤B/0 預約"
    assert len(seen) == 4


def test_slot_copies_are_what_the_copy_protocol_makes(agent: Any) -> None:
    assert Slot.__copy__ is rasa_runtime.shallow_copy
    slots = agent.processor.domain.slots
    assert {type(slot) for slot in slots} >= {TextSlot, AnySlot}
    for slot in slots:
        slot.value = ["可变", slot.name] if isinstance(slot, ListSlot) else slot.value
        ours = copy.copy(slot)
        # What copy.copy does without __copy__: reduce, then rebuild.
        generic = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # type: ignore[attr-defined]
        assert type(ours) is type(generic) is type(slot) and ours is not slot
        assert vars(ours) == vars(generic) == vars(slot)
        before = slot.value
        ours.value = "改了"  # a copy's own value, not the domain's
        assert slot.value == before == generic.value
        slot.reset()


def test_slot_copies_step_aside_for_classes_that_customise_copying() -> None:
    class Custom(TextSlot):
        def __getstate__(self) -> dict[str, Any]:
            return dict(vars(self))

    try:
        assert rasa_runtime._fast_slot_copies() is False
    finally:
        del Custom
        import gc

        gc.collect()
    assert rasa_runtime._fast_slot_copies() is True
