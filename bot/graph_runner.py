"""Rasa's model graph run in a planned order instead of through dask (inside Rasa).

``DaskGraphRunner.run`` rebuilds the minimal schema and a dask graph for every
call, formats a debug message with the whole tracker in it, and lets dask's
synchronous scheduler order, run and bookkeep about fifteen nodes: under load
that was 27 % of the time the graph took, 8 % of the Rasa event loop's
busy time (py-spy during `python -m bench.load --target telegram`), twice per
message (parse, then predict). Dask runs the nodes one after another here as
well; this runner does the same work without it. The order of the nodes
needed for a set of targets is worked out once and kept; each node receives
the outputs of the nodes it needs, exactly as dask passes them (a node's
``(name, output)`` pair, an input's ``(name, value)``, and, as dask does, the
bare key of a need that is neither); an output is dropped after its last use;
the result is dask's ``{node name: output}`` for the targets. Inputs that
clash with node names, cycles and failures raise what ``DaskGraphRunner.run``
raises, and an input named like a node (which replaces the node in dask's
graph) is left to dask (``tests/nlu/test_graph_runner.py`` runs both on the same graphs).

Applied by ``bot.rasa_runtime.apply()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner


@dataclass(frozen=True)
class Step:
    """One node to run: its name, the keys it needs, the keys it uses last."""

    name: str
    needs: tuple[str, ...]
    done_with: tuple[str, ...]


def plan(needs_of: dict[str, Sequence[str]], targets: Sequence[str]) -> list[Step]:
    """Every node ``targets`` depend on, each after the nodes it needs.

    ``needs_of`` maps node names to the keys they need; keys that are not
    nodes (inputs) are not steps.

    Raises:
        RuntimeError: The nodes depend on each other in a cycle (as dask does).
    """
    order: list[str] = []
    state: dict[str, bool] = {}  # False: being visited, True: placed

    def visit(name: str) -> None:
        seen = state.get(name)
        if seen:
            return
        if seen is False:
            raise RuntimeError(f"Cycle detected in the graph at node '{name}'")
        state[name] = False
        for need in needs_of[name]:
            if need in needs_of:
                visit(need)
        state[name] = True
        order.append(name)

    for target in targets:
        if target in needs_of:
            visit(target)
    last_use: dict[str, int] = {}
    for index, name in enumerate(order):
        for need in needs_of[name]:
            last_use[need] = index
    kept = set(targets)
    steps = []
    for index, name in enumerate(order):
        needs = tuple(needs_of[name])
        done = tuple(
            key
            for key in dict.fromkeys(needs)
            if last_use.get(key) == index and key not in kept
        )
        steps.append(Step(name, needs, done))
    return steps


def _plan_for(runner: DaskGraphRunner, targets: tuple[str, ...]) -> list[Step]:
    plans: dict[tuple[str, ...], list[Step]] = runner.__dict__.setdefault(
        "_govbot_plans", {}
    )
    steps = plans.get(targets)
    if steps is None:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        needs_of: dict[str, Sequence[str]] = {
            name: list(node.needs.values()) for name, node in schema.nodes.items()
        }
        steps = plans[targets] = plan(needs_of, targets)
    return steps


def run(
    runner: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """What ``DaskGraphRunner.run`` returns, without dask."""
    run_targets = tuple(targets if targets else runner._graph_schema.target_names)
    try:
        steps = _plan_for(runner, run_targets)
    except RuntimeError as exc:
        raise GraphRunError("Error running runner.") from exc
    values: dict[str, Any] = {step.name: step for step in steps}
    if inputs:
        if not values.keys().isdisjoint(inputs):
            # An input standing in for a node: dask's graph semantics decide.
            return _dask_run(runner, inputs, targets)
        # Rasa's own check and input format: (name, value) pairs.
        DaskGraphRunner._add_inputs_to_graph(inputs, values)
    nodes = runner._instantiated_nodes
    try:
        for step in steps:
            arguments = [values.get(key, key) for key in step.needs]
            values[step.name] = nodes[step.name](*arguments)
            for key in step.done_with:
                values.pop(key, None)
        return dict(values[target] for target in run_targets)
    except RuntimeError as exc:
        raise GraphRunError("Error running runner.") from exc


_dask_run = DaskGraphRunner.run


def use_for_every_graph() -> None:
    """Every ``DaskGraphRunner`` (prediction and training) runs without dask."""
    DaskGraphRunner.run = run  # type: ignore[method-assign,assignment]
