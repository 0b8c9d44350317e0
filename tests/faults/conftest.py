"""One production-shaped stack for the fault tests (module ``world.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Admin
from tests.e2e.stack import start_gateway, start_stack
from tests.faults.world import LEASE_S, RedisServer, World, free_redis_port, redis_vars


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    work = tmp_path_factory.mktemp("faults")
    server = RedisServer(free_redis_port(), work / "redis.log")
    server.start()
    env, endpoints = redis_vars(server.url)
    try:
        # A SIGKILLed instance's conversation leases expire after this (Rasa's
        # TICKET_LOCK_LIFETIME, default 60 s): short, so the kill test is quick.
        lease = {"TICKET_LOCK_LIFETIME": str(LEASE_S)}
        stack = start_stack(work, {**env, **lease}, endpoints)
        try:
            gateway = start_gateway(
                stack.rasa.url,
                work,
                {
                    "REDIS_URL": server.url,
                    "REDIS_PREFIX": "govbotfaults:",
                    "SMS_SANDBOX": "false",
                    "GATEWAY_RATE_LIMIT_PER_MINUTE": "1000",
                    "GATEWAY_RASA_TIMEOUT_S": "15",
                },
            )
            stack.processes.append(gateway)
            yield World(stack, gateway, server, Admin(stack.sandbox.url), work)
        finally:
            stack.stop()
    finally:
        server.stop()


@pytest.fixture
def admin(world: World) -> Admin:
    world.admin.reset()
    return world.admin
