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

``Event.resolve_by_type`` walks the whole ``Event`` class tree for every
event it deserialises, and a Redis tracker is deserialised, all its events,
at least twice per message: the walk was about 14 % of a message's CPU in
Rasa on the full assistant under load (py-spy). Each event type is now looked
up once; unknown types still go through Rasa's walk, default and error.

Applied by ``apply()``, which ``bot.rule_policy`` (a policy every model of
ours loads) calls on import; it is idempotent.
"""

from __future__ import annotations

from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

_applied = False


def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, not per response
    return cls(schema)


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


def apply() -> None:
    """Swap in the cached-validator check and the event type lookup."""
    global _applied
    if _applied:
        return
    _cache_event_types()
    validator = _response_validator()
    original = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is None:
            return True
        # Rasa's own message and behaviour for an invalid response.
        return original(self, result)

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    _applied = True
