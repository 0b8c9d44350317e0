"""Error answers: a page for browsers, JSON for fetch and API callers."""

from __future__ import annotations

from aiohttp import web

from review.console.render import render


def problem(request: web.Request, status: int, code: str, message: str) -> web.Response:
    """An error answer with a Chinese message staff can act on."""
    if "text/html" in request.headers.get("Accept", ""):
        return render(
            request,
            "error.html",
            {"status": status, "message": message},
            status=status,
        )
    return web.json_response({"error": code, "message": message}, status=status)
