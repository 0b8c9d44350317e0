"""Pages in the shared layout: ``render(request, "page.html", context)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from review.console import keys
from review.console.sessions import Staff


def layout_context(request: web.Request) -> dict[str, Any]:
    """What the layout needs: the member, their CSRF token, their navigation."""
    staff = request.get(keys.STAFF)
    if not isinstance(staff, Staff):
        return {"staff": None, "csrf_token": "", "nav": [], "path": request.path}
    nav = [item for item in request.app[keys.NAV] if staff.may(item.role)]
    return {
        "staff": staff,
        "csrf_token": staff.csrf_token,
        "nav": nav,
        "path": request.path,
    }


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> web.Response:
    """Render a template that extends ``layout.html`` (autoescaped)."""
    merged = {**layout_context(request), **dict(context or {})}
    return aiohttp_jinja2.render_template(template, request, merged, status=status)
