"""A tracker's past states worked out once per tracker state (inside Rasa).

To predict one action Rasa asks each policy, and each policy asks the tracker
for its ``past_states``: the tracker is replayed from its first event,
rebuilding a tracker (and copying every slot) at each step. The memoization
policy asks once or more, the rule policy twice (with and without the last
message's text) with the same arguments, so the same replay ran three to four
times per prediction: 8 % of the Rasa event loop's busy time under load
(py-spy during `python -m bench.load --target telegram`).

The states depend only on the tracker's events, its slot definitions (a
replay starts from their initial values), the domain and the arguments. They
are now kept on the tracker with a key of those (the number of events and the
last event itself stand for the events, which Rasa only ever appends to or
replaces wholesale) and every caller gets its own copy, since featurizers edit
the last state in place. Trackers with their own cache (Rasa's training
trackers) are untouched.

Applied by ``bot.rasa_runtime.apply()``.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

from bot.fast_json import canonical

_KEPT = "_govbot_past_states"
_replay = DialogueStateTracker.past_states


def copy_states(states: list[State]) -> list[State]:
    """States a caller may edit: new state and sub-state dicts, shared values.

    A sub-state's values are strings, numbers and tuples, never edited in place.
    """
    return [{name: dict(sub) for name, sub in state.items()} for state in states]


def past_states(
    self: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """Rasa's ``past_states``, replayed once per tracker state and arguments."""
    events = self.events
    last = events[-1] if events else None
    kept = self.__dict__.get(_KEPT)
    if kept is None or kept[0] != len(events) or kept[1] is not last:
        # New events: a new table (a shallow copy of the tracker keeps the old).
        kept = (len(events), last, {})
        self.__dict__[_KEPT] = kept
    table: dict[tuple[Any, ...], tuple[Domain, list[State]]] = kept[2]
    key = (
        id(domain),
        omit_unset_slots,
        ignore_rule_only_turns,
        canonical(rule_only_data),
    )
    found = table.get(key)
    if found is None or found[0] is not domain:
        states = _replay(
            self,
            domain,
            omit_unset_slots=omit_unset_slots,
            ignore_rule_only_turns=ignore_rule_only_turns,
            rule_only_data=rule_only_data,
        )
        found = table[key] = (domain, states)
    return copy_states(found[1])


def remember_past_states() -> None:
    """``DialogueStateTracker.past_states`` keeps its result on the tracker."""
    DialogueStateTracker.past_states = past_states  # type: ignore[method-assign]
