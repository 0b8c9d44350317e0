"""End-to-end turn latency: REST → Rasa → action server → sandbox, beside a turn with no action.

Starts the real stack (sandbox, action server, Rasa) on free ports, then
measures in one run, interleaved so machine noise hits both alike:

- a turn that calls no custom action (``你好`` → ``utter_greet``);
- a turn that runs a form, its validation and a back-end query
  (``查驾照记分 <ID>`` → ``license_form`` → ``action_query_license``);
- a form step that only validates (the first message of a booking).

Run: ``.venv-app/bin/python -m bench.turn_latency`` (``make bench`` runs it).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench.report import write_section
from tests.e2e.stack import http, start_stack

ROUNDS = 120
WARMUP = 10
LICENCE_ID = "440304198503122318"


def _turn(rasa_url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    status, body = http(
        "POST", f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}
    )
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200 or not body:
        raise RuntimeError(f"turn failed: {status} {body!r}")
    return elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(rasa_url: str) -> dict[str, list[float]]:
    """Latencies in ms of each kind of turn, fresh conversation per turn."""
    kinds = {
        "no action (utter_greet)": "你好",
        "form + back-end query (licence points)": f"查驾照记分 {LICENCE_ID}",
        "form step, validation only (booking start)": "我要预约科目二",
    }
    results: dict[str, list[float]] = {name: [] for name in kinds}
    for round_no in range(WARMUP + ROUNDS):
        for name, text in kinds.items():
            took = _turn(rasa_url, f"bench-{uuid.uuid4().hex[:10]}", text)
            if round_no >= WARMUP:
                results[name].append(took)
    return results


def render(results: dict[str, list[float]]) -> str:
    """The markdown section."""
    base = statistics.median(results["no action (utter_greet)"])
    lines = [
        "## One turn end to end (REST → Rasa → action server → sandbox)",
        "",
        "Command: `.venv-app/bin/python -m bench.turn_latency` (part of `make bench`).",
        f"{ROUNDS} turns of each kind, interleaved, each in a fresh conversation, "
        "in-memory tracker store, sandbox on SQLite.",
        "",
        "| turn | median ms | p95 ms | p99 ms | median vs no-action |",
        "|---|---|---|---|---|",
    ]
    for name, values in results.items():
        lines.append(
            f"| {name} | {statistics.median(values):.1f} | {_pct(values, 0.95):.1f} | "
            f"{_pct(values, 0.99):.1f} | {statistics.median(values) / base:.2f}× |"
        )
    return "\n".join(lines)


def main() -> int:
    """Start the stack, measure, write docs/benchmarks.md."""
    with tempfile.TemporaryDirectory() as work:
        stack = start_stack(Path(work))
        try:
            results = measure(stack.rasa.url)
        finally:
            stack.stop()
    body = render(results)
    print(body)
    write_section("turn_latency", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
