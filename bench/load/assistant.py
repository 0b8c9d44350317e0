"""The full assistant as a citizen on Telegram reaches it, for the load benchmark.

gateway (``python -m channels``, Telegram webhook, gateway store on Redis)
→ Rasa (trackers and the conversation lock on Redis, conversation log on)
→ action server → sandbox; one ``redis-server`` for all of it. The Bot API
is the generator's own stand-in (bench/load/telegram.py) on ``bot_api_port``,
which only has to be listening once the first answer goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.load.telegram import TOKEN
from tests.e2e.stack import Process, Stack, free_port, start_gateway, start_stack
from tests.faults.world import RedisServer, redis_vars

WEBHOOK_SECRET = "load-webhook-secret_0123456789"
REDIS_PREFIX = "govbotload:"


@dataclass
class FullAssistant:
    """The running processes and where to reach them."""

    redis: RedisServer
    stack: Stack
    gateway: Process
    bot_api_port: int
    webhook_secret: str = WEBHOOK_SECRET

    def pids(self) -> dict[str, int]:
        """Process ids by the name the CPU table uses."""
        pids = {
            "rasa": self.stack.rasa.popen.pid,
            "actions": self.stack.actions.popen.pid,
            "sandbox": self.stack.sandbox.popen.pid,
            "gateway": self.gateway.popen.pid,
        }
        if self.redis.popen is not None:
            pids["redis"] = self.redis.popen.pid
        return pids

    def stop(self) -> None:
        """Stop everything, the gateway first (it drains its webhook work)."""
        try:
            self.gateway.stop()
            self.stack.stop()
        finally:
            self.redis.stop()


def start_full_assistant(work: Path) -> FullAssistant:
    """Start Redis, the stack on Redis, and the gateway with Telegram on."""
    redis = RedisServer(free_port(), work / "redis.log")
    redis.start()
    try:
        env, endpoints = redis_vars(redis.url)
        stack = start_stack(work, env, endpoints)
        try:
            bot_api_port = free_port()
            gateway = start_gateway(
                stack.rasa.url,
                work,
                {
                    "REDIS_URL": redis.url,
                    "REDIS_PREFIX": REDIS_PREFIX,
                    "SMS_SANDBOX": "false",
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "TELEGRAM_API_BASE": f"http://127.0.0.1:{bot_api_port}",
                },
            )
        except BaseException:
            stack.stop()
            raise
    except BaseException:
        redis.stop()
        raise
    return FullAssistant(redis, stack, gateway, bot_api_port)
