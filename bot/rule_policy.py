"""Rasa's RulePolicy with an index over its rules: same predictions, far less work.

Rasa 3.6's ``RulePolicy`` finds the applicable rules by testing every rule
key against the conversation on every prediction, several times per message,
and decodes each key from JSON through an ``lru_cache(maxsize=1000)``. Our
generated dialogue (``bot/dialogue.py``) has just over 1000 rule keys, so the
cache is scanned in order and never hits: profiling showed 68 % of a turn's
CPU in that loop (``docs/benchmarks.md``).

``IndexedRulePolicy`` decodes every key once and first narrows the keys to
those whose last state names the conversation's previous action (or names
none); the exact Rasa check then runs on those candidates only, so the set of
applicable rules — and every prediction — is the one Rasa computes
(``tests/nlu/test_rule_policy.py`` compares both on real conversations).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

from bot import rasa_runtime

# Every model of ours loads this policy: the place to fix Rasa's runtime.
rasa_runtime.apply()

# Buckets of the index: the last rule state's previous action and user intent.
_UNNAMED = "\0unnamed"  # a previous action without a name (action text)
_START = "\0start"  # a conversation start: no previous action
_ANY = ("\0any", None)  # no states at all: applicable everywhere
Bucket = tuple[str, str | None]

_DECODED: dict[str, list[State]] = {}


def _decode(rule_key: str) -> list[State]:
    """The states of a rule key, decoded once per process (keys never change)."""
    states = _DECODED.get(rule_key)
    if states is None:
        states = json.loads(rule_key)
        _DECODED[rule_key] = states
    return states


def _named(value: Any) -> str | None:
    """A value a rule constrains by equality (Rasa ignores falsy ones)."""
    if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET:
        return value
    return None


def _bucket(state: State | None) -> Bucket:
    """Where a rule's last state (or a conversation's current state) belongs."""
    previous = state.get(PREVIOUS_ACTION) if state else None
    if not previous:
        return (_START, None)
    action = _named(previous.get(ACTION_NAME)) or _UNNAMED
    return (action, _named((state or {}).get(USER, {}).get(INTENT)))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class IndexedRulePolicy(RulePolicy):
    """``RulePolicy`` whose rule lookup is indexed by previous action and intent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Same arguments as ``RulePolicy``."""
        super().__init__(*args, **kwargs)
        self._indexes: dict[int, tuple[int, dict[Bucket, list[str]]]] = {}
        self._training = False

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Rasa's training; lookups change meanwhile, so the index stays off."""
        self._training = True
        self._indexes.clear()
        try:
            return super().train(training_trackers, domain, **kwargs)
        finally:
            self._training = False
            self._indexes.clear()

    @staticmethod
    def _rule_key_to_state(rule_key: str) -> list[State]:
        return _decode(rule_key)

    def _index(self, lookup: dict[str, str]) -> dict[Bucket, list[str]]:
        cached = self._indexes.get(id(lookup))
        if cached is not None and cached[0] == len(lookup):
            return cached[1]
        index: dict[Bucket, list[str]] = defaultdict(list)
        for key in lookup:
            states = _decode(key)
            index[_bucket(states[-1]) if states else _ANY].append(key)
        self._indexes[id(lookup)] = (len(lookup), dict(index))
        return self._indexes[id(lookup)][1]

    @staticmethod
    def _candidate_buckets(current: State) -> list[Bucket]:
        action, intent = _bucket(current)
        if action == _START:
            # A conversation start matches only rules that start one too.
            return [_ANY, (_START, None)]
        actions = [action, _UNNAMED] if action != _UNNAMED else [_UNNAMED]
        intents = [intent, None] if intent is not None else [None]
        return [_ANY, *((a, i) for a in actions for i in intents)]

    def _get_possible_keys(
        self, lookup: dict[str, str], states: list[State]
    ) -> set[str]:
        if self._training or not states:
            return super()._get_possible_keys(lookup, states)
        index = self._index(lookup)
        possible: set[str] = set()
        for bucket in self._candidate_buckets(states[-1]):
            possible.update(index.get(bucket, ()))
        for i, state in enumerate(reversed(states)):
            possible = {
                key for key in possible if self._is_rule_applicable(key, i, state)
            }
        return possible
