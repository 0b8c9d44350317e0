"""Security headers on every answer (pages, errors, static files)."""

from __future__ import annotations

from aiohttp import web

# No inline script anywhere: scripts and styles come from /static only. SVG
# charts use presentation attributes, which CSP does not treat as inline style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


async def add_security_headers(
    request: web.Request, response: web.StreamResponse
) -> None:
    """``on_response_prepare`` hook; pages that show staff data are never cached."""
    response.headers.update(HEADERS)
    if request.secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not isinstance(request.match_info.route.resource, web.StaticResource):
        response.headers["Cache-Control"] = "no-store"
