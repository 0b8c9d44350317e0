"""GET /directory/v1/offices: service halls and vehicle offices of the city."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import city, validation
from sandbox.errors import Invalid, NotFound
from sandbox.wire import json_response

routes = web.RouteTableDef()


def office_json(office: city.Office) -> dict[str, Any]:
    """Wire form of an office."""
    return {
        "id": office.id,
        "kind": office.kind,
        "name": office.name,
        "short_names": list(office.short_names),
        "district": office.district,
        "address": office.address,
        "phone": office.phone,
        "hours": office.hours,
    }


def _matches(office: city.Office, text: str) -> bool:
    return any(
        text in name or name in text for name in (office.name, *office.short_names)
    )


@routes.get("/directory/v1/offices")
async def list_offices(request: web.Request) -> web.Response:
    """Offices filtered by ``district``, ``kind`` and free text ``q`` (all optional)."""
    raw = validation.query_str(request, "district")
    district = None if raw is None else validation.district(raw).name
    kind = validation.query_str(request, "kind")
    if kind is not None and kind not in city.OFFICE_KINDS:
        raise Invalid(
            "invalid_kind", f"kind must be one of {', '.join(city.OFFICE_KINDS)}."
        )
    text = validation.query_str(request, "q")
    offices = [
        office
        for office in city.OFFICES
        if (district is None or office.district == district)
        and (kind is None or office.kind == kind)
        and (text is None or _matches(office, text.strip()))
    ]
    return json_response({"offices": [office_json(office) for office in offices]})


@routes.get("/directory/v1/offices/{office_id}")
async def get_office(request: web.Request) -> web.Response:
    """One office by id."""
    office_id = request.match_info["office_id"]
    for office in city.OFFICES:
        if office.id == office_id:
            return json_response(office_json(office))
    raise NotFound("unknown_office", f"No office {office_id!r}.")
