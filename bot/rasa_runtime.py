"""Performance fixes to Rasa 3.6 itself, applied inside the Rasa process.

``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` for
every action server response, and ``validate`` first re-checks the (constant,
large) response schema against the JSON Schema meta-schema. Under load that
meta-check was 12 % of the Rasa process's CPU, more than half of the time a
turn with custom actions spent in Rasa (py-spy, docs/benchmarks.md). The
replacement builds the validator once and validates each response exactly as
``validate`` does after its schema check: the same best-matching error, with
Rasa's own hint appended, so invalid responses are refused as before
(``tests/nlu/test_rasa_runtime.py``).

Even with the schema checked once, validating a response cost about 0.8 ms
per action call (7 % of the Rasa event loop's busy time under load): each
event is tried against all 23 event schemas of the schema's ``oneOf``. Every
one of those schemas pins the ``event`` name with ``const``, so any schema of
another name fails; the fast check validates each event against only the
schemas of its own name (0.1 ms per call). A response it does not pass goes
to the full validation, so what is refused, and the message, are unchanged.

``Event.resolve_by_type`` walks the whole ``Event`` class tree for every
event it deserialises, and a Redis tracker is deserialised, all its events,
at least twice per message: the walk was about 14 % of a message's CPU in
Rasa on the full assistant under load (py-spy). Each event type is now looked
up once; unknown types still go through Rasa's walk, default and error.

``EndpointConfig.request`` opens a new ``aiohttp.ClientSession``, hence a
new TCP connection, for every call to the action server, and ``json``
encodes the whole tracker into each request body: together about 16 % of the
Rasa event loop's busy time under load (py-spy, ``--gil``), plus an accept
per call in the action server. Each endpoint now keeps one session (its
connection pool, Rasa's headers, auth and timeout) for the running event loop
and encodes bodies with ujson; the session stays open across requests and is
closed when the process exits.

Every tracker Rasa builds copies each domain slot with ``copy.copy``, and
Rasa builds a tracker for every step of a conversation's history when it
featurises it for the policies: with our ~60 slots the generic copy protocol
(``__reduce_ex__``, then ``copyreg`` rebuilding the object) was 6 % of the
Rasa event loop's busy time under load. ``Slot.__copy__`` now makes the same
shallow copy directly (a new instance of the class sharing the attribute
values), for slot classes that do not customise copying or pickling.

The model graph runs in a planned order instead of through dask
(``bot/graph_runner.py``), and a tracker's past states are replayed once per
tracker state, not once per policy (``bot/tracker_states.py``).

Applied by ``apply()``, which ``bot.rule_policy`` (a policy every model of
ours loads) calls on import; it is idempotent.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.core.slots import Slot
from rasa.utils.endpoints import EndpointConfig

from bot import fast_json, graph_runner, tracker_states

_applied = False


def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, not per response
    return cls(schema)


def _event_name(branch: dict[str, Any]) -> Any:
    properties = branch.get("properties")
    event = properties.get("event") if isinstance(properties, dict) else None
    return event.get("const") if isinstance(event, dict) else None


def fast_response_check(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A check that passes only responses ``schema`` passes, events by their name.

    None when the schema is not shaped as Rasa 3.6's (a ``oneOf`` of event
    schemas, each naming its event with ``const``): then only the full
    validation is sound.
    """
    try:
        items = schema["properties"]["events"]["items"]
        branches = items["oneOf"]
    except (KeyError, TypeError):
        return None
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for branch in branches:
        name = _event_name(branch)
        if not isinstance(name, str):
            return None
        by_name[name].append(branch)
    cls = validators.validator_for(schema)
    common = {key: value for key, value in items.items() if key != "oneOf"}
    per_event = {name: cls({**common, "oneOf": own}) for name, own in by_name.items()}
    outer = cls(
        {
            **schema,
            "properties": {
                **schema["properties"],
                "events": {**schema["properties"]["events"], "items": {}},
            },
        }
    )

    def passes(response: Any) -> bool:
        if not outer.is_valid(response):
            return False
        for event in response.get("events") or ():
            name = event.get("event") if isinstance(event, dict) else None
            validator = per_event.get(name) if isinstance(name, str) else None
            if validator is None or not validator.is_valid(event):
                return False
        return True

    return passes


_SESSION_ATTRIBUTE = "_govbot_session"
_kept_sessions: list[aiohttp.ClientSession] = []


class _KeptSession:
    """What ``EndpointConfig.session()`` returns: ``async with`` lends the kept
    session and leaves it open (Rasa closes the one it gets after each call)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: object) -> None:
        return None


def _keep_sessions() -> None:
    make_session = EndpointConfig.session

    def session(self: EndpointConfig) -> _KeptSession:
        loop = asyncio.get_running_loop()
        kept_loop, kept = self.__dict__.get(_SESSION_ATTRIBUTE, (None, None))
        if kept is None or kept.closed or kept_loop is not loop:
            fresh = make_session(self)  # Rasa's headers, auth and timeout
            kept = aiohttp.ClientSession(
                headers=fresh.headers,
                auth=fresh.auth,
                timeout=fresh.timeout,
                json_serialize=fast_json.dumps,
            )
            _close_now(fresh)
            self.__dict__[_SESSION_ATTRIBUTE] = (loop, kept)
            _kept_sessions.append(kept)
        return _KeptSession(kept)

    EndpointConfig.session = session  # type: ignore[assignment,method-assign]
    atexit.register(_close_kept_sessions)


def _close_now(session: aiohttp.ClientSession) -> None:
    # A session that never connected holds no connection: closing its
    # connector synchronously frees it without "Unclosed client session".
    connector = session.connector
    if connector is not None:
        connector._close()


def _close_kept_sessions() -> None:
    for session in _kept_sessions:
        if not session.closed:
            with contextlib.suppress(Exception):
                _close_now(session)
    _kept_sessions.clear()


def _cache_event_types() -> None:
    walk = Event.resolve_by_type
    known: dict[str, type[Event]] = {}

    def resolve_by_type(
        type_name: str, default: type[Event] | None = None
    ) -> type[Event] | None:
        found = known.get(type_name)
        if found is None:
            found = walk(type_name, default)
            if found is not None and found.type_name == type_name:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


_COPY_HOOKS = (
    "__copy__",
    "__reduce__",
    "__reduce_ex__",
    "__getstate__",
    "__setstate__",
)


def _subclasses(cls: type) -> list[type]:
    found = [cls]
    sub: type
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


def shallow_copy(slot: Slot) -> Slot:
    """What ``copy.copy`` makes of a plain object: same class, same attributes."""
    copied: Slot = object.__new__(type(slot))  # no slot class has its own __new__
    copied.__dict__.update(slot.__dict__)
    return copied


def _fast_slot_copies() -> bool:
    """Give ``Slot`` a direct ``__copy__`` unless some slot class customises copying."""
    for cls in _subclasses(Slot):
        own = vars(cls)
        if "__slots__" in own or any(
            own.get(hook) not in (None, shallow_copy) for hook in _COPY_HOOKS
        ):
            return False
    Slot.__copy__ = shallow_copy  # type: ignore[attr-defined]
    return True


def apply() -> None:
    """Swap in the fast response check, event type lookup, kept sessions,
    direct slot copies, the planned graph runner and remembered past states."""
    global _applied
    if _applied:
        return
    _cache_event_types()
    _keep_sessions()
    _fast_slot_copies()
    graph_runner.use_for_every_graph()
    tracker_states.remember_past_states()
    validator = _response_validator()
    fast = fast_response_check(RemoteAction.action_response_format_spec())
    original = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if fast is not None and fast(result):
            return True
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        # Rasa's own message and behaviour for an invalid response.
        return original(self, result)

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _applied = True
