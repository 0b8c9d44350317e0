"""Remembered past states are Rasa's, and predictions with them are Rasa's.

Trackers come from the project's own stories, rules and dialogue test stories;
every prefix ending before an action is featurized and predicted with the
remembered states and with Rasa's replay.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.constants import PLACEHOLDER_TRACKER
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

import bot.rule_policy  # noqa: F401  (applies the runtime fixes, as Rasa does)
from bot import tracker_states

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
RULE_ONLY = {"slots": ["requested_slot"], "loops": ["booking_form"]}


@pytest.fixture(scope="module")
def prefixes(agent: Any) -> list[DialogueStateTracker]:
    from rasa.core.training import load_data

    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "bot" / "domain"),
        training_data_paths=[str(ROOT / "data"), str(ROOT / "tests" / "stories")],
    )
    stories = load_data(importer, agent.domain, augmentation_factor=0)
    picked = random.Random(7).sample(stories, min(40, len(stories)))
    found = []
    for story in picked:
        events = list(story.events)
        for end, event in enumerate(events):
            if isinstance(event, ActionExecuted) and end:
                found.append(
                    DialogueStateTracker.from_events(
                        story.sender_id, events[:end], agent.domain.slots
                    )
                )
    assert len(found) > 100
    return found


@contextmanager
def replayed() -> Iterator[None]:
    """Rasa's own ``past_states`` for the duration."""
    DialogueStateTracker.past_states = tracker_states._replay  # type: ignore[method-assign]
    try:
        yield
    finally:
        tracker_states.remember_past_states()


def test_rasa_uses_the_remembered_states() -> None:
    assert DialogueStateTracker.past_states is tracker_states.past_states


def test_states_are_rasas_for_every_argument(
    agent: Any, prefixes: list[DialogueStateTracker]
) -> None:
    domain = agent.domain
    arguments = [
        {},
        {"ignore_rule_only_turns": True, "rule_only_data": RULE_ONLY},
        {"omit_unset_slots": True},
        {"rule_only_data": RULE_ONLY},
    ]
    for tracker in prefixes[::5]:
        for kwargs in arguments * 2:  # the second round comes from the table
            ours = tracker.past_states(domain, **kwargs)
            assert ours == tracker_states._replay(tracker, domain, **kwargs)


def test_each_caller_gets_a_copy_it_may_edit(
    agent: Any, prefixes: list[DialogueStateTracker]
) -> None:
    tracker = max(prefixes, key=lambda t: len(t.events))
    first = tracker.past_states(agent.domain)
    expected = tracker_states._replay(tracker, agent.domain)
    for state in first:
        state.clear()  # as featurizers edit the last state in place
    assert tracker.past_states(agent.domain) == expected


def test_new_events_are_seen(agent: Any, prefixes: list[DialogueStateTracker]) -> None:
    tracker = prefixes[0]
    before = tracker.past_states(agent.domain)
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(SlotSet("plate", "粤B12345"))
    after = tracker.past_states(agent.domain)
    assert after == tracker_states._replay(tracker, agent.domain)
    assert len(after) == len(before) + 1


def test_predictions_are_rasas(
    agent: Any, prefixes: list[DialogueStateTracker]
) -> None:
    processor = agent.processor
    target = processor.model_metadata.core_target

    def predict(tracker: DialogueStateTracker) -> Any:
        results = processor.graph_runner.run(
            inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target]
        )
        prediction = results[target]
        return prediction.probabilities, prediction.policy_name, prediction.events

    ours = [predict(tracker) for tracker in prefixes]
    with replayed():
        rasa = [predict(tracker.copy()) for tracker in prefixes]
    assert ours == rasa
    assert {name for _, name, _ in ours} >= {"IndexedRulePolicy"}
