"""The full assistant as a citizen on Telegram reaches it, for the load benchmark.

gateway (``python -m channels``, Telegram webhook, gateway store on Redis)
→ Rasa (trackers and the conversation lock on Redis, conversation log on)
→ action server → sandbox; one ``redis-server`` for all of it. The Bot API
is the generator's own stand-in (bench/load/telegram.py) on ``bot_api_port``,
which only has to be listening once the first answer goes out. With two Rasa
instances the gateway reaches them through nginx (bench/load/nginx.py, the
layout of deploy/nginx/), round-robin, both on the same Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.load.nginx import Nginx, start_nginx
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
    more_rasa: tuple[Process, ...] = ()
    balancer: Nginx | None = None

    def pids(self) -> dict[str, int]:
        """Process ids by the name the CPU table uses."""
        pids = {
            "rasa": self.stack.rasa.popen.pid,
            "actions": self.stack.actions.popen.pid,
            "sandbox": self.stack.sandbox.popen.pid,
            "gateway": self.gateway.popen.pid,
        }
        for number, rasa in enumerate(self.more_rasa, start=2):
            pids[f"rasa{number}"] = rasa.popen.pid
        if self.balancer is not None:
            pids["nginx"] = self.balancer.popen.pid
        if self.redis.popen is not None:
            pids["redis"] = self.redis.popen.pid
        return pids

    def stop(self) -> None:
        """Stop everything, the gateway first (it drains its webhook work)."""
        try:
            self.gateway.stop()
            if self.balancer is not None:
                self.balancer.stop()
            self.stack.stop()
        finally:
            self.redis.stop()


def _hostport(process: Process) -> str:
    return process.url.removeprefix("http://")


def start_full_assistant(work: Path, rasa_instances: int = 1) -> FullAssistant:
    """Start Redis, the stack on Redis (and nginx), the gateway with Telegram on."""
    redis = RedisServer(free_port(), work / "redis.log")
    redis.start()
    try:
        env, endpoints = redis_vars(redis.url)
        stack = start_stack(work, env, endpoints)
        balancer: Nginx | None = None
        try:
            more = tuple(
                stack.start_rasa(f"rasa{n}") for n in range(2, rasa_instances + 1)
            )
            rasa_url = stack.rasa.url
            if more:
                port = free_port()
                servers = [_hostport(r) for r in (stack.rasa, *more)]
                balancer = start_nginx(
                    work / "nginx",
                    {"rasa": (port, servers)},
                    ready=f"http://127.0.0.1:{port}/version",
                )
                rasa_url = f"http://127.0.0.1:{port}"
            bot_api_port = free_port()
            gateway = start_gateway(
                rasa_url,
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
            if balancer is not None:
                balancer.stop()
            stack.stop()
            raise
    except BaseException:
        redis.stop()
        raise
    return FullAssistant(
        redis, stack, gateway, bot_api_port, more_rasa=more, balancer=balancer
    )
