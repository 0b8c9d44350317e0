"""Helpers of the console tests: log in through the real form, read CSRF tokens."""

from __future__ import annotations

import re

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

PASSWORDS = {
    "chief": "Head-of-Office-2026",
    "rita": "reviews-every-day-26",
    "tom": "trains-models-daily-9",
    "ada": "administers-users-77",
}
HTML = {"Accept": "text/html"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(page: str) -> str:
    """The first CSRF token of a page's forms."""
    found = _TOKEN.search(page)
    assert found, "page has no csrf_token field"
    return found.group(1)


async def post_login(
    client: TestClient, username: str, password: str, next_path: str = "/"
) -> ClientResponse:
    """Open the login page, then submit its form as a browser would."""
    page = await client.get("/login", headers=HTML)
    token = csrf_in(await page.text())
    return await client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": username,
            "password": password,
            "next": next_path,
        },
        headers=HTML,
        allow_redirects=False,
    )


async def login(client: TestClient, username: str) -> str:
    """Sign in with the test password; returns the session's CSRF token."""
    response = await post_login(client, username, PASSWORDS[username])
    assert response.status == 303, await response.text()
    page = await client.get("/", headers=HTML)
    assert page.status == 200
    return csrf_in(await page.text())
