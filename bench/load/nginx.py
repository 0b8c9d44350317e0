"""nginx as the load balancer of Rasa instances and action servers, run unprivileged.

``balancer_config`` renders the same upstream layout as ``deploy/nginx/``:
one listener per upstream, round-robin (Rasa's lock store serialises each
conversation across instances, so any instance may take any message),
HTTP/1.1 keep-alive to the upstreams, and a failed instance skipped for the
next request (``max_fails``/``fail_timeout``; only connection errors and
timeouts are retried elsewhere, never a request that may have been processed).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.stack import http


def _upstream(name: str, servers: Sequence[str]) -> str:
    lines = [f"  upstream {name} {{"]
    lines += [f"    server {s} max_fails=1 fail_timeout=5s;" for s in servers]
    lines += ["    keepalive 32;", "  }"]
    return "\n".join(lines)


def _server(port: int, upstream: str) -> str:
    return f"""  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://{upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_read_timeout 60s;
      # A message may have been processed when the connection broke: never
      # replay it elsewhere (no double bookings); connection refusals only.
      proxy_next_upstream error;
    }}
  }}"""


def balancer_config(
    prefix: Path, balanced: Mapping[str, tuple[int, Sequence[str]]]
) -> str:
    """nginx.conf for ``{name: (listen port, ["host:port", …])}`` under ``prefix``."""
    blocks = []
    for name, (port, servers) in balanced.items():
        blocks += [_upstream(name, servers), _server(port, name)]
    body = "\n".join(blocks)
    return f"""worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  # Rasa posts whole trackers to the action server: keep bodies in memory.
  client_body_buffer_size 4m;
  client_max_body_size 16m;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
{body}
}}
"""


@dataclass
class Nginx:
    """A foreground nginx started from a generated config."""

    popen: subprocess.Popen[bytes]
    conf: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(10)


def nginx_binary() -> str | None:
    """Debian's nginx (``apt-get install nginx``), if installed."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def check_config(conf: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on a generated config."""
    binary = nginx_binary()
    assert binary, "nginx is not installed"
    return subprocess.run(
        [binary, "-t", "-c", str(conf), "-p", str(conf.parent)],
        capture_output=True,
        text=True,
        check=False,
    )


def start_nginx(
    prefix: Path, balanced: Mapping[str, tuple[int, Sequence[str]]], ready: str
) -> Nginx:
    """Write the config, start nginx in the foreground, wait until ``ready`` answers."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(balancer_config(prefix, balanced), "utf-8")
    popen = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
        stdout=(prefix / "stdout.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError((prefix / "stdout.log").read_text("utf-8"))
        try:
            if http("GET", ready)[0] == 200:
                return Nginx(popen, conf)
        except OSError:
            pass
        time.sleep(0.2)
    popen.terminate()
    raise RuntimeError("nginx did not answer")
