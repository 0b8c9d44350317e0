"""DirectoryAPI: typed calls to the office directory (``/directory/v1``)."""

from __future__ import annotations

from actions.backend.client import BackendClient
from actions.backend.payloads import Office
from actions.backend.statuses import OfficeKind

__all__ = ["DirectoryAPI"]


class DirectoryAPI:
    """Government offices: where, when open, how to call."""

    def __init__(self, client: BackendClient) -> None:
        """Uses the process-wide back-end client."""
        self._client = client

    async def offices(
        self,
        district: str | None = None,
        kind: OfficeKind | str | None = None,
        q: str | None = None,
    ) -> list[Office]:
        """Offices matching every filter given.

        Args:
            district: A district or its short form (``南山``).
            kind: ``dmv``, ``service_centre``, ``exit_entry``, ``housing_fund``
                or ``social_insurance``.
            q: Words of the name or a short name (``车管所``).
        """
        data = await self._client.get(
            "/directory/v1/offices",
            query={"district": district, "kind": kind, "q": q},
        )
        return Office.list_from_json(data, "offices")

    async def office(self, office_id: str) -> Office:
        """One office by id (``dmv-main``…); ``NotFound`` when there is none."""
        data = await self._client.get(
            "/directory/v1/offices/{office_id}", args={"office_id": office_id}
        )
        return Office.from_json(data)
