"""Per-channel overhead of the gateway beside Rasa's REST channel.

Starts the real stack (sandbox, action server, Rasa) and two real gateway
processes (``python -m channels``: one with Telegram, WeChat plaintext mode,
Twilio SMS, the voice relay and the web chat; one with WeChat in safe mode,
as an account is in one mode or the other), with loopback stand-ins for the
Telegram Bot API, Twilio and WeChat's API. Then sends the same FAQ question
(answered by Rasa alone, no custom action) as a new citizen each time,
``ROUNDS`` rounds, each round one turn per channel in a shuffled order, so
machine noise hits every channel alike:

- straight to Rasa's REST channel (the baseline);
- through the gateway, the way each provider sends it (signed where the
  provider signs), timed until the answer reached the provider: the HTTP
  answer for the web chat, the voice relay and WeChat's passive reply; the
  last ``sendMessage`` / ``Messages.json`` call at the stand-in for Telegram
  and Twilio, which are answered out of band.

Overhead is the median of the per-round differences (channel − REST, same
round) and the ratio of the medians.

Run: ``.venv-app/bin/python -m bench.channel_overhead``.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.channels.clients import (
    Channel,
    RestChannel,
    TelegramChannel,
    TwilioChannel,
    VoiceChannel,
    WebChannel,
    WeChatChannel,
)
from bench.channels.providers import TimedTelegram, TimedTwilio, TimedWeChat
from bench.report import write_section
from channels.wechat.crypto import WeChatCrypto
from tests.channels.routes import sms_api_standins as twilio
from tests.channels.routes import telegram_api_standin as telegram
from tests.channels.routes import wechat_api_standin as wechat
from tests.e2e.stack import Process, free_port, start_gateway, start_stack

ROUNDS = 200
WARMUP = 10
QUESTION = "居住证怎么办理"
ANSWER_MARK = "居住证"
SEED = 20261122
TELEGRAM_SECRET = "bench-webhook-secret_0123456789"
WECHAT_TOKEN = "benchtoken"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_ACCOUNT = "gh_0123456789ab"
VOICE_SECRET = "bench-voice-secret"
COMMAND = ".venv-app/bin/python -m bench.channel_overhead"


@dataclass
class StandIns:
    """The provider API stand-ins, served on loopback."""

    telegram: TimedTelegram
    twilio: TimedTwilio
    wechat: TimedWeChat


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def stand_ins() -> AsyncIterator[StandIns]:
    """The three provider APIs, each with its URL set."""
    found = StandIns(TimedTelegram(), TimedTwilio(), TimedWeChat())
    async with (
        serve(found.telegram.app()) as telegram_url,
        serve(found.twilio.app()) as twilio_url,
        serve(found.wechat.app()) as wechat_url,
    ):
        found.telegram.url, found.twilio.url, found.wechat.url = (
            telegram_url,
            twilio_url,
            wechat_url,
        )
        yield found


def gateway_env(apis: StandIns, port: int) -> dict[str, str]:
    """Every channel on, provider APIs pointed at the stand-ins."""
    return {
        "GATEWAY_PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_BOT_TOKEN": telegram.TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE": apis.telegram.url,
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_APP_ID": wechat.APP_ID,
        "WECHAT_APP_SECRET": wechat.APP_SECRET,
        "WECHAT_API_BASE": apis.wechat.url,
        "TWILIO_ACCOUNT_SID": twilio.TWILIO_SID,
        "TWILIO_AUTH_TOKEN": twilio.TWILIO_TOKEN,
        "TWILIO_FROM": twilio.TWILIO_FROM,
        "TWILIO_API_BASE": apis.twilio.url,
        "VOICE_RELAY_SECRET": VOICE_SECRET,
    }


def aes_gateway_env(apis: StandIns, port: int) -> dict[str, str]:
    """WeChat in safe mode (an account is in one mode at a time)."""
    return {
        "GATEWAY_PORT": str(port),
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_ENCODING_AES_KEY": WECHAT_AES_KEY,
        "WECHAT_APP_ID": wechat.APP_ID,
        "WECHAT_APP_SECRET": wechat.APP_SECRET,
        "WECHAT_API_BASE": apis.wechat.url,
        "VOICE_RELAY_SECRET": VOICE_SECRET,
    }


def build_channels(
    rasa_url: str, plain: Process, safe: Process, apis: StandIns
) -> list[Channel]:
    """The baseline and every channel, in table order."""
    crypto = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, wechat.APP_ID)
    return [
        RestChannel(rasa_url),
        WebChannel(plain.url),
        TelegramChannel(plain.url, TELEGRAM_SECRET, apis.telegram.arrivals),
        WeChatChannel(plain.url, WECHAT_TOKEN, WECHAT_ACCOUNT, apis.wechat.arrivals),
        WeChatChannel(
            safe.url,
            WECHAT_TOKEN,
            WECHAT_ACCOUNT,
            apis.wechat.arrivals,
            encrypt=crypto.encrypt,
            decrypt=crypto.decrypt,
            name="WeChat, safe mode (AES)",
        ),
        TwilioChannel(
            plain.url,
            plain.url,
            twilio.TWILIO_TOKEN,
            twilio.TWILIO_SID,
            twilio.TWILIO_FROM,
            apis.twilio.arrivals,
        ),
        VoiceChannel(plain.url, VOICE_SECRET),
    ]


@dataclass
class Samples:
    """Per channel: the milliseconds of each round, and the messages delivered."""

    ms: dict[str, list[float]]
    parts: dict[str, int]
    late_wechat: int


async def settle_parts(channels: Sequence[Channel], apis: StandIns) -> None:
    """After the warm-up: how many messages each out-of-band answer takes."""
    await asyncio.sleep(2.0)  # let every part of the last warm-up answers arrive
    for channel in channels:
        if isinstance(channel, TelegramChannel):
            channel.parts = max(map(len, apis.telegram.arrivals.texts.values()))
        if isinstance(channel, TwilioChannel):
            channel.parts = max(map(len, apis.twilio.arrivals.texts.values()))


async def measure(channels: Sequence[Channel], apis: StandIns) -> Samples:
    """``WARMUP`` + ``ROUNDS`` interleaved rounds; returns the measured rounds."""
    order = random.Random(SEED)
    ms: dict[str, list[float]] = {c.name: [] for c in channels}
    parts: dict[str, int] = {}
    late_before = 0
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for round_no in range(WARMUP + ROUNDS):
            if round_no == WARMUP:
                await settle_parts(channels, apis)
                late_before = len(apis.wechat.sent)
            shuffled = list(channels)
            order.shuffle(shuffled)
            for channel in shuffled:
                timed = await channel.turn(session, QUESTION)
                if ANSWER_MARK not in timed.text:
                    raise RuntimeError(f"{channel.name}: unexpected {timed.text!r}")
                if round_no >= WARMUP:
                    ms[channel.name].append(timed.ms)
                    parts[channel.name] = max(parts.get(channel.name, 0), timed.parts)
            if round_no and round_no % 50 == 0:
                print(f"round {round_no}/{WARMUP + ROUNDS}", file=sys.stderr)
    return Samples(ms, parts, len(apis.wechat.sent) - late_before)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (as ``bench.turn_latency``)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def render(samples: Samples) -> str:
    """The markdown section."""
    names = list(samples.ms)
    base_name = names[0]
    base = samples.ms[base_name]
    lines = [
        "## Channel overhead beside Rasa's REST channel",
        "",
        f"Command: `{COMMAND}`.",
        f"The same FAQ question (“{QUESTION}”, answered by Rasa alone, ≈1.5 KB of "
        f"text) sent {ROUNDS} times per channel after {WARMUP} warm-up rounds, each "
        "time as a new citizen, one turn per channel in every round in a shuffled "
        "order. Real sandbox, action server and Rasa (trained model, in-memory "
        "tracker store); real gateway processes (`python -m channels`, in-memory "
        "gateway store) with loopback stand-ins for the Telegram Bot API, Twilio "
        "and WeChat's API. Timed from the provider's request until the answer "
        "reached the provider: the HTTP answer (web chat, voice relay, WeChat "
        "passive reply) or the last `sendMessage` / `Messages.json` call "
        "(Telegram, Twilio: webhook acknowledged at once, answer sent out of "
        "band). Overhead = median of the per-round differences channel − REST; "
        "ratio = median ÷ REST median.",
        "",
        "| channel | messages out | median ms | p99 ms | overhead ms (median) "
        "| median vs REST |",
        "|---|---|---|---|---|---|",
    ]
    base_median = statistics.median(base)
    for name in names:
        values = samples.ms[name]
        median = statistics.median(values)
        if name == base_name:
            overhead, ratio = "—", "1.00×"
        else:
            diffs = [v - b for v, b in zip(values, base, strict=True)]
            overhead = f"{statistics.median(diffs):+.1f}"
            ratio = f"{median / base_median:.2f}×"
        lines.append(
            f"| {name} | {samples.parts[name]} | {median:.1f} | "
            f"{percentile(values, 0.99):.1f} | {overhead} | {ratio} |"
        )
    lines += [
        "",
        "Messages out: the answer as each channel delivers it (SMS: shortened to "
        "at most 3 single-segment texts; the others in one message). "
        f"WeChat answers that missed the passive-reply window: {samples.late_wechat}.",
    ]
    return "\n".join(lines)


async def run(work: Path) -> Samples:
    """Start everything, measure, stop everything."""
    stack = await asyncio.to_thread(start_stack, work)
    started: list[Process] = []
    try:
        async with stand_ins() as apis:
            plain = await asyncio.to_thread(
                start_gateway, stack.rasa.url, work, gateway_env(apis, free_port())
            )
            started.append(plain)
            safe = await asyncio.to_thread(
                start_gateway,
                stack.rasa.url,
                work,
                aes_gateway_env(apis, free_port()),
                name="gateway-aes",
            )
            started.append(safe)
            try:
                return await measure(
                    build_channels(stack.rasa.url, plain, safe, apis), apis
                )
            finally:
                for process in reversed(started):
                    await asyncio.to_thread(process.stop)
    finally:
        await asyncio.to_thread(stack.stop)


def main() -> int:
    """Measure, print and write the ``bench:channels`` section of docs/benchmarks.md."""
    with tempfile.TemporaryDirectory() as work:
        samples = asyncio.run(run(Path(work)))
    body = render(samples)
    print(body)
    write_section("channels", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
