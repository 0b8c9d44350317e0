"""No secret reaches a page or a log line (OWASP basics for the staff console).

Every page an admin can open, the login error pages and the console's log
output are searched for the configured secrets and the passwords typed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings, load_settings
from review.console.app import create_app
from review.console.models import Role
from tests.review.console.kit import HTML, PASSWORDS, login, post_login

SECRETS = {
    "CONSOLE_SECRET_KEY": "console-secret-key-for-the-test-0123456789",
    "INTERNAL_API_TOKEN": "internal-token-for-the-test-0123456789",
    "RASA_API_TOKEN": "rasa-token-for-the-test-0123456789",
    "CONVERSATION_LOG_PSEUDONYM_KEY": "log-pseudonym-key-for-the-test-01234",
    "GATEWAY_PSEUDONYM_KEY": "gateway-pseudonym-key-for-the-test-012",
}


@pytest.fixture
def secret_settings(db_path: Path, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "VAR_DIR": str(tmp_path / "var"),
            "CONVERSATION_LOG_URL": f"sqlite:///{db_path}",
            "CONSOLE_ADMIN_USER": "chief",
            "CONSOLE_ADMIN_PASSWORD": PASSWORDS["chief"],
            **SECRETS,
        }
    )


async def test_pages_and_logs_hold_no_secret(
    aiohttp_client, secret_settings: Settings, staff: dict[str, Role], capsys
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = await aiohttp_client(create_app(secret_settings))
    typed_wrong = "typed-Wrong-password-42"
    await post_login(client, "ada", typed_wrong)
    await login(client, "ada")
    pages = [
        "/",
        "/users",
        "/audit",
        "/queue",
        "/inbox",
        "/training",
        "/login",
        "/nope",
    ]
    seen: list[str] = []
    for path in pages:
        response = await client.get(path, headers=HTML)
        assert response.status != 500, path  # 503: the gateway is not running here
        seen.append(await response.text())
        seen.append(str(dict(response.headers)))
    seen.append(capsys.readouterr().out)
    everything = "\n".join(seen)
    for name, value in {
        **SECRETS,
        "password": PASSWORDS["ada"],
        "typed": typed_wrong,
    }.items():
        assert value not in everything, name
    assert "argon2" not in everything  # no password hash either
