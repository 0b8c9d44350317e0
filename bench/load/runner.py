"""Runs many simulated conversations at once against one target.

Each of ``concurrency`` citizens runs conversations one after another until
the phase's time (or its number of conversations) is used up; the
conversation in progress at the deadline is finished, so that every
conversation can be checked, but only messages answered inside the window
count towards the rate (bench/load/stats.py).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Protocol

import aiohttp

from bench.load.replies import Reply
from bench.load.script import Script
from bench.load.targets import Target, TargetError
from bench.load.transcript import Transcript, TurnRecord

# Out-of-band channels: a reply part up to TAIL_S after its turn closed is a
# slow last part of that turn; anything in the LATE_WATCH_S after that is late.
TAIL_S = 0.5
LATE_WATCH_S = 1.5


@dataclass(frozen=True)
class ThinkTime:
    """Seconds a citizen pauses before each message, drawn uniformly."""

    low_s: float = 0.0
    high_s: float = 0.0

    def draw(self, rng: random.Random) -> float:
        """One pause."""
        return rng.uniform(self.low_s, self.high_s) if self.high_s > 0 else 0.0

    def describe(self) -> str:
        """``none`` or ``0.5–1.5 s``."""
        return "none" if self.high_s <= 0 else f"{self.low_s:g}–{self.high_s:g} s"


@dataclass(frozen=True)
class Phase:
    """One measurement: how many citizens at once, for how long, how they pace."""

    name: str
    concurrency: int
    duration_s: float | None = None
    conversations: int | None = None
    think: ThinkTime = field(default_factory=ThinkTime)

    def __post_init__(self) -> None:
        """Exactly one of duration and number of conversations bounds the phase."""
        if (self.duration_s is None) == (self.conversations is None):
            raise ValueError("give either duration_s or conversations")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


@dataclass
class PhaseResult:
    """Every conversation of a phase, with the clock readings that frame it."""

    phase: Phase
    started: float
    window_end: float
    ended: float
    transcripts: list[Transcript]
    cpu_s: dict[str, float] = field(default_factory=dict)
    strays: int = 0


class ScriptSource(Protocol):
    """Where conversations come from (bench/load/citizens.py ``CitizenMix``)."""

    def next_script(self, rng: random.Random) -> Script:
        """The next conversation to run."""
        ...

    def learn(self, script: Script, context: dict[str, str], completed: bool) -> None:
        """What a finished conversation left behind (a ticket others can ask about)."""
        ...


class Browser:
    """The citizen's browser: opens a page the bot linked to (the pay page) with a POST."""

    def __init__(self, timeout_s: float = 30.0) -> None:
        """One pooled session."""
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            connector=aiohttp.TCPConnector(limit=0),
        )

    async def post(self, url: str) -> str:
        """The HTTP status as text, or the error's name."""
        try:
            async with self._session.post(url) as response:
                await response.read()
                return str(response.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return type(exc).__name__

    async def close(self) -> None:
        """Close the session."""
        await self._session.close()


async def converse(
    target: Target,
    script: Script,
    sender: str,
    think: ThinkTime,
    rng: random.Random,
    browser: Browser | None = None,
) -> Transcript:
    """Run one conversation; the citizen gives up at the first wrong or missing answer."""
    transcript = Transcript(sender=sender, script=script)
    for index, turn in enumerate(script.turns):
        if index:
            await asyncio.sleep(think.draw(rng))
            _add_tail(target, transcript)
        try:
            text = turn.render(transcript.context)
        except KeyError as exc:
            transcript.abandoned = f"nothing captured for {exc}"
            break
        replies: list[Reply] = []
        error: str | None = None
        sent_at = time.perf_counter()
        try:
            replies = await target.send(sender, text, turn.answered)
        except (TargetError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        done_at = time.perf_counter()
        last = target.last_arrival(sender) if replies else None
        if last is not None and sent_at < last < done_at:
            done_at = last
        transcript.turns.append(
            TurnRecord(text, tuple(replies), sent_at, done_at, error)
        )
        if error is not None or not turn.matches(replies):
            break
        for capture in turn.capture:
            value = capture.apply(replies)
            if value is not None:
                transcript.context[capture.name] = value
        if turn.opens and turn.opens in transcript.context and browser is not None:
            status = await browser.post(transcript.context[turn.opens])
            transcript.context[f"{turn.opens}_status"] = status
    if not target.asynchronous:
        transcript.late = await target.drain(sender)
    return transcript


def _add_tail(target: Target, transcript: Transcript) -> None:
    """Replies that came after the last turn closed join that turn's answer."""
    tail = target.take_tail(transcript.sender)
    if not tail or not transcript.turns:
        return
    record = transcript.turns[-1]
    last = target.last_arrival(transcript.sender)
    done_at = last if last is not None and last > record.done_at else record.done_at
    transcript.turns[-1] = replace(
        record, replies=record.replies + tuple(tail), done_at=done_at
    )


async def watch_for_late(
    target: Target,
    transcript: Transcript,
    tail_s: float = TAIL_S,
    late_s: float = LATE_WATCH_S,
) -> None:
    """After an out-of-band conversation: take its tail, then anything later is late.

    Runs beside the citizen's next conversation, so watching costs no load.
    """
    await asyncio.sleep(tail_s)
    _add_tail(target, transcript)
    await asyncio.sleep(late_s)
    transcript.late = await target.drain(transcript.sender)


async def run_phase(
    target: Target,
    source: ScriptSource,
    phase: Phase,
    seed: int,
    browser: Browser | None = None,
) -> PhaseResult:
    """Run ``phase.concurrency`` citizens until the phase is over."""
    transcripts: list[Transcript] = []
    budget = [phase.conversations]
    started = time.perf_counter()
    deadline = started + phase.duration_s if phase.duration_s is not None else None

    def may_start() -> bool:
        if deadline is not None:
            return time.perf_counter() < deadline
        if budget[0] is None or budget[0] <= 0:
            return False
        budget[0] -= 1
        return True

    watches: list[asyncio.Task[None]] = []

    async def citizen(worker: int) -> None:
        rng = random.Random(f"{seed}:{phase.name}:{worker}")
        # Citizens arrive spread over one think time, not all in the same instant.
        await asyncio.sleep(rng.uniform(0, phase.think.high_s))
        number = 0
        while may_start():
            script = source.next_script(rng)
            sender = f"load-{phase.name}-{worker}-{number}-{uuid.uuid4().hex[:6]}"
            transcript = await converse(
                target, script, sender, phase.think, rng, browser
            )
            transcripts.append(transcript)
            if target.asynchronous:
                watches.append(asyncio.create_task(watch_for_late(target, transcript)))
            done = (
                len(transcript.turns) == len(script.turns)
                and transcript.abandoned is None
            )
            source.learn(script, transcript.context, done)
            number += 1
            await asyncio.sleep(phase.think.draw(rng))

    await asyncio.gather(*(citizen(n) for n in range(phase.concurrency)))
    ended = time.perf_counter()
    await asyncio.gather(*watches)
    window_end = deadline if deadline is not None else ended
    return PhaseResult(phase, started, window_end, ended, transcripts)
