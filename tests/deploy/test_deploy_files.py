"""The deployment files stay consistent with the code, and nginx accepts them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bench.load.nginx import balancer_config, check_config, nginx_binary
from bot.settings import ROOT, load_settings

DEPLOY = ROOT / "deploy"
# Read by Rasa itself rather than our settings.
RASA_VARIABLES = {"TICKET_LOCK_LIFETIME", "RASA_TELEMETRY_ENABLED"}
SETTINGS_SOURCES = (ROOT / "bot" / "settings.py", ROOT / "sandbox" / "settings.py")
needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx not installed")


def _env_names(text: str) -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_every_variable_the_deployment_sets_is_read_somewhere() -> None:
    known = "\n".join(p.read_text("utf-8") for p in SETTINGS_SOURCES)
    template = (DEPLOY / "govbot.env.example").read_text("utf-8")
    names = _env_names(template)
    assert names, "empty template"
    unknown = {n for n in names - RASA_VARIABLES if f'"{n}"' not in known}
    assert unknown == set()
    documented = (ROOT / "README.md").read_text("utf-8") + (
        ROOT / ".env.example"
    ).read_text("utf-8")
    assert {n for n in names - RASA_VARIABLES if n not in documented} == set()


def test_the_template_loads_as_production_settings() -> None:
    template = (DEPLOY / "govbot.env.example").read_text("utf-8")
    env = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", template, re.MULTILINE))
    settings = load_settings(env)
    assert not settings.sandbox_enabled and settings.redis_url
    assert len(settings.console.rasa_urls) == 2
    assert (
        settings.channels.sms.twilio_auth_token is None
    )  # no sandbox SMS in production


def test_units_start_modules_that_exist_on_the_default_ports() -> None:
    units = {
        p.name: p.read_text("utf-8") for p in (DEPLOY / "systemd").glob("*.service")
    }
    assert {
        "govbot-rasa@.service",
        "govbot-actions@.service",
        "govbot-gateway.service",
        "govbot-console.service",
        "govbot-migrate.service",
    } <= set(units)
    for name, text in units.items():
        for module in re.findall(r"python -m ([a-z_.]+)", text):
            path = ROOT / module.replace(".", "/")
            assert (
                path.with_suffix(".py").exists() or (path / "__main__.py").exists()
            ), (
                name,
                module,
            )
        assert "EnvironmentFile=/etc/govbot/govbot.env" in text, name
    defaults = load_settings({}).ports
    assert f"govbot-rasa@{defaults.rasa}" in units["govbot-rasa@.service"]
    assert f"govbot-actions@{defaults.actions}" in units["govbot-actions@.service"]
    site = (DEPLOY / "nginx" / "govbot.conf").read_text("utf-8")
    assert f"127.0.0.1:{defaults.gateway}" in site
    assert (
        f"127.0.0.1:{defaults.rasa}" in site and f"127.0.0.1:{defaults.actions}" in site
    )


def test_compose_runs_the_same_processes() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert {
        "redis",
        "postgres",
        "rasa1",
        "rasa2",
        "actions1",
        "actions2",
        "balancer",
        "gateway",
        "console",
        "migrate",
    } <= set(services)
    for name in ("actions1", "gateway", "console", "migrate"):
        command = services[name]["command"]
        module = command[command.index("-m") + 1]
        assert (ROOT / module.replace(".", "/")).exists(), module
    assert "--endpoints bot/endpoints.redis.yml" in services["rasa1"]["command"]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=govbot.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _wrapped(prefix: Path, site: str) -> Path:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(site, "utf-8")
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"pid {prefix}/nginx.pid; error_log {prefix}/error.log;\n"
        "events {}\n"
        f"http {{ client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;"
        f" fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi;"
        f" scgi_temp_path {prefix}/scgi; include {prefix}/site.conf; }}\n",
        "utf-8",
    )
    return conf


@needs_nginx
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "govbot.conf").read_text("utf-8")
    site = site.replace("/etc/govbot/tls/fullchain.pem", str(cert))
    site = site.replace("/etc/govbot/tls/privkey.pem", str(key))
    checked = check_config(_wrapped(tmp_path, site))
    assert checked.returncode == 0, checked.stderr


@needs_nginx
def test_nginx_accepts_the_compose_and_benchmark_balancers(tmp_path: Path) -> None:
    compose = (DEPLOY / "nginx" / "compose-balancer.conf").read_text("utf-8")
    for service in ("rasa1", "rasa2", "actions1", "actions2"):
        compose = compose.replace(
            f"{service}:", "127.0.0.1:"
        )  # names resolve in compose only
    checked = check_config(_wrapped(tmp_path / "compose", compose))
    assert checked.returncode == 0, checked.stderr
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "nginx.conf").write_text(
        balancer_config(bench, {"rasa": (18005, ["127.0.0.1:5005", "127.0.0.1:5006"])}),
        "utf-8",
    )
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (bench / sub).mkdir()
    checked = check_config(bench / "nginx.conf")
    assert checked.returncode == 0, checked.stderr
