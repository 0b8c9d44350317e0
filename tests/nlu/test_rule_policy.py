"""IndexedRulePolicy finds exactly the rules Rasa's RulePolicy finds.

Every dialogue state sequence of the training rules and stories and of the
dialogue test stories, with the last user input as intent and as text, is
looked up in both rule tables of the trained model by Rasa's own
``_get_possible_keys`` and by ours.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.rule_policy import (
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    RulePolicy,
)
from rasa.shared.core.constants import USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.importers.importer import TrainingDataImporter

from bot.rule_policy import IndexedRulePolicy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def policy(agent: Any) -> IndexedRulePolicy:
    nodes = agent.processor.graph_runner._instantiated_nodes
    found = [
        node._component
        for name, node in nodes.items()
        if isinstance(node._component, IndexedRulePolicy)
    ]
    assert len(found) == 1, "config.yml must serve IndexedRulePolicy"
    return found[0]


@pytest.fixture(scope="module")
def state_sequences(agent: Any) -> list[list[State]]:
    from rasa.core.training import load_data

    domain: Domain = agent.domain
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "bot" / "domain"),
        training_data_paths=[str(ROOT / "data"), str(ROOT / "tests" / "stories")],
    )
    trackers = load_data(importer, domain, augmentation_factor=0)
    sequences: list[list[State]] = []
    for tracker in trackers:
        states = tracker.past_states(domain)
        for end in range(1, len(states) + 1):
            prefix = states[:end]
            sequences.append(prefix)
            user = prefix[-1].get(USER)
            if user and "intent" in user:
                as_text = copy.deepcopy(prefix)
                as_text[-1][USER] = {"text": "随便说一句"}
                sequences.append(as_text)
    return sequences


def test_there_is_something_to_compare(
    policy: IndexedRulePolicy, state_sequences: list[list[State]]
) -> None:
    assert len(policy.lookup[RULES]) > 500
    assert len(state_sequences) > 1000


@pytest.mark.parametrize("table", [RULES, RULES_FOR_LOOP_UNHAPPY_PATH])
def test_same_applicable_rules_as_rasa(
    policy: IndexedRulePolicy, state_sequences: list[list[State]], table: str
) -> None:
    lookup = policy.lookup[table]
    matched = 0
    for states in state_sequences:
        ours = policy._get_possible_keys(lookup, states)
        rasas = RulePolicy._get_possible_keys(policy, lookup, states)
        assert ours == rasas, states
        matched += bool(rasas)
    # The comparison covers states where rules apply, not only empty sets.
    assert matched > len(state_sequences) // 4 or table != RULES
