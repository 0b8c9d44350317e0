"""Request targets: percent-encoded paths and queries, built once and sent as is.

Routes are templates such as ``/traffic/v1/vehicles/{plate}/violations``.
Each ``{name}`` segment is filled with one percent-encoded value, so a value
holding ``/``, ``?`` or ``..`` can never reach another route. The template
(not the filled path) is what logs show: it names the call without any
personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum
from urllib.parse import quote

from yarl import URL

__all__ = ["SERVICES", "QueryValue", "request_url", "service_of"]

SERVICES = ("traffic", "hotline", "directory")

QueryValue = str | int | bool | dt.date | Enum | None


def service_of(route: str) -> str:
    """The service a route belongs to, from its first path segment.

    Raises:
        ValueError: The route is not under a known service.
    """
    service = route.lstrip("/").split("/", 1)[0]
    if service not in SERVICES:
        raise ValueError(f"route {route!r} is not under {', '.join(SERVICES)}")
    return service


def _segment(value: str) -> str:
    encoded = quote(value, safe="")
    # "." and ".." are path navigation, not names: encode them too.
    return encoded.replace(".", "%2E") if set(encoded) == {"."} else encoded


def _query_text(value: str | int | bool | dt.date | Enum) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def request_url(
    base_url: str,
    route: str,
    args: Mapping[str, str] | None = None,
    query: Mapping[str, QueryValue] | None = None,
) -> URL:
    """The full, already encoded URL of one call.

    Args:
        base_url: The back end's base URL; a path prefix is kept.
        route: Path template under the base, e.g. ``/traffic/v1/licenses/{id_number}``.
        args: Values of the template's ``{name}`` segments.
        query: Query parameters; None values are left out.

    Returns:
        A URL whose ``raw_path_qs`` is the exact request target to sign.

    Raises:
        ValueError: An argument is missing, empty or not in the template.
    """
    args = dict(args or {})
    parts: list[str] = []
    for part in route.strip("/").split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            value = args.pop(name, None)
            if not value:
                raise ValueError(f"route {route!r} needs a non-empty {name!r}")
            parts.append(_segment(value))
        else:
            parts.append(part)
    if args:
        raise ValueError(f"route {route!r} has no {', '.join(sorted(args))}")
    base = URL(base_url)
    path = base.raw_path.rstrip("/") + "/" + "/".join(parts)
    url = base.with_path(path, encoded=True)
    pairs = {
        name: _query_text(value)
        for name, value in (query or {}).items()
        if value is not None
    }
    return url.with_query(pairs) if pairs else url
