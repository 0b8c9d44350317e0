"""A throwaway PostgreSQL cluster for the log tests (stdlib only: both venvs use it).

Uses ``CONVERSATION_LOG_TEST_PG_URL`` when set (a server where the user may
create databases); otherwise starts a cluster with the local ``initdb`` /
``pg_ctl`` (as the ``postgres`` user when running as root). Tests skip when
neither is available.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

USER = "govbot"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; the distribution's postgres user can.
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser") is None:
        pytest.skip("running as root without runuser")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and no postgres user for initdb")
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields ``postgresql://user@host:port/postgres`` of a server to use."""
    configured = os.environ.get("CONVERSATION_LOG_TEST_PG_URL")
    if configured:
        yield configured
        return
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL: set CONVERSATION_LOG_TEST_PG_URL or install initdb")
    root = Path(tempfile.mkdtemp(prefix="logdb-pg-"))
    data, port = root / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    create = [initdb, "-D", str(data), "-U", USER, "--auth=trust", "--locale=C"]
    init = subprocess.run(
        _as_postgres_user([*create, "-E", "UTF8"]),
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr[-300:]}")
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w"]
    started = subprocess.run(
        _as_postgres_user([*start, "start"]), capture_output=True, text=True
    )
    if started.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"pg_ctl start failed: {started.stderr[-300:]}")
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
