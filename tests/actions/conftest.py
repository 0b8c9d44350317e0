"""Fixtures of the action-server tests: one real sandbox, fresh for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.sandbox_process import SandboxProcess, running_sandbox


@pytest.fixture(scope="session")
def sandbox_process(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SandboxProcess]:
    """``python -m sandbox`` on a free port and a throwaway database, per run."""
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as process:
        yield process


@pytest.fixture(autouse=True)
def sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    """The sandbox with the seed world back and faults off, before each test."""
    sandbox_process.fresh()
    return sandbox_process
