"""The planned graph runner gives what Rasa's dask runner gives, on the real model."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.rule_policy  # noqa: F401  (applies the runtime fixes, as Rasa does)
from bot import graph_runner
from bot.graph_runner import Step, plan

pytestmark = pytest.mark.engine

TEXTS = [
    "我想预约科目三，C1，下周三上午",
    "粤B12345有没有违章",
    "居住证要带什么材料",
    "謝謝你",
    "asdfgh",
]


def test_plan_orders_needed_nodes_and_frees_outputs_after_last_use() -> None:
    needs_of = {
        "a": ["__in__"],
        "b": ["a"],
        "c": ["a", "b"],
        "unused": ["a"],
        "d": ["c", "__in__"],
    }
    steps = plan(needs_of, ["d", "b"])
    assert [step.name for step in steps] == ["a", "b", "c", "d"]
    assert steps[2] == Step("c", ("a", "b"), ("a",))  # b is a target: kept
    assert steps[3] == Step("d", ("c", "__in__"), ("c", "__in__"))
    with pytest.raises(RuntimeError, match="Cycle"):
        plan({"a": ["b"], "b": ["a"]}, ["a"])


def _both(runner: DaskGraphRunner, **kwargs: Any) -> tuple[Any, Any]:
    return graph_runner._dask_run(runner, **kwargs), runner.run(**kwargs)


def test_rasa_runs_the_planned_runner(agent: Any) -> None:
    assert DaskGraphRunner.run is graph_runner.run
    assert agent.processor.graph_runner.run.__func__ is graph_runner.run


def test_parsing_gives_what_dask_gives(agent: Any) -> None:
    processor = agent.processor
    runner = processor.graph_runner
    target = processor.model_metadata.nlu_target
    tracker = DialogueStateTracker("c", processor.domain.slots)
    for text in TEXTS:
        inputs = {
            PLACEHOLDER_MESSAGE: [UserMessage(text)],
            PLACEHOLDER_TRACKER: tracker,
        }
        dask, planned = _both(runner, inputs=inputs, targets=[target])
        assert list(dask) == list(planned) == [target]
        assert [m.as_dict() for m in planned[target]] == [
            m.as_dict() for m in dask[target]
        ]
        assert planned[target][0].get("intent")  # the model really ran


def test_predicting_gives_what_dask_gives(agent: Any) -> None:
    processor = agent.processor
    runner = processor.graph_runner
    target = processor.model_metadata.core_target
    for text in TEXTS:
        tracker = DialogueStateTracker.from_events(
            "c",
            [
                ActionExecuted("action_session_start"),
                SessionStarted(),
                ActionExecuted("action_listen"),
                UserUttered(text, {"name": "query_violations", "confidence": 0.9}),
            ],
            processor.domain.slots,
        )
        dask, planned = _both(
            runner, inputs={PLACEHOLDER_TRACKER: tracker}, targets=[target]
        )
        assert planned[target].probabilities == dask[target].probabilities
        assert planned[target].policy_name == dask[target].policy_name
        assert max(planned[target].probabilities) > 0


def test_failures_are_raised_as_dask_raises_them(agent: Any) -> None:
    processor = agent.processor
    runner = processor.graph_runner
    target = processor.model_metadata.nlu_target
    clash = next(iter(runner._instantiated_nodes))
    for kwargs, error in [
        # An input value that names a node: Rasa refuses it.
        ({"inputs": {PLACEHOLDER_MESSAGE: clash}, "targets": [target]}, GraphRunError),
        # A component that cannot take its input.
        (
            {"inputs": {PLACEHOLDER_MESSAGE: [None]}, "targets": [target]},
            GraphComponentException,
        ),
    ]:
        for run in (graph_runner._dask_run, graph_runner.run):
            with pytest.raises(error):
                run(runner, **kwargs)


def test_an_input_replacing_a_node_is_left_to_dask(agent: Any) -> None:
    processor = agent.processor
    runner = processor.graph_runner
    target = processor.model_metadata.nlu_target
    tracker = DialogueStateTracker("c", processor.domain.slots)
    inputs = {PLACEHOLDER_MESSAGE: [UserMessage("谢谢")], PLACEHOLDER_TRACKER: tracker}
    parsed = runner.run(inputs=inputs, targets=[target])[target]
    # The target itself given as an input: dask returns the input instead.
    replacing = {**inputs, target: ["不运行"]}
    replaced = runner.run(inputs=replacing, targets=[target])
    assert replaced == graph_runner._dask_run(
        runner, inputs=replacing, targets=[target]
    )
    assert replaced[target] == ["不运行"] != parsed
