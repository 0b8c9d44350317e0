"""HotlineAPI: typed calls to the 12345 hotline (``/hotline/v1``): tickets, ratings."""

from __future__ import annotations

from actions.backend.client import BackendClient
from actions.backend.payloads import Rating, Ticket
from actions.backend.statuses import RatingTarget, TicketType

__all__ = ["HotlineAPI"]


class HotlineAPI:
    """Complaints and suggestions as tickets, and satisfaction ratings."""

    def __init__(self, client: BackendClient) -> None:
        """Uses the process-wide back-end client."""
        self._client = client

    async def create_ticket(
        self,
        *,
        type: TicketType | str,
        content: str,
        district: str,
        phone: str,
        idempotency_key: str,
    ) -> Ticket:
        """File a complaint or suggestion; the service picks the department.

        Args:
            type: ``complaint`` or ``suggestion`` (the wire's field name).
            content: What the citizen said, 5 to 2000 characters.
            district: A district, its short form or a street (``南山``, ``西乡``).
            phone: The citizen's mobile number, for the department's call back.
            idempotency_key: Repeat a failed filing with the same key.
        """
        data = await self._client.post(
            "/hotline/v1/tickets",
            {
                "type": type.value if isinstance(type, TicketType) else type,
                "content": content,
                "district": district,
                "phone": phone,
            },
            idempotency_key=idempotency_key,
        )
        return Ticket.from_json(data)

    async def get_ticket(self, ticket_id: str, *, phone: str | None = None) -> Ticket:
        """A ticket's progress; with ``phone``, another filer's is ``Forbidden``."""
        data = await self._client.get(
            "/hotline/v1/tickets/{ticket_id}",
            args={"ticket_id": ticket_id},
            query={"phone": phone},
        )
        return Ticket.from_json(data)

    async def rate(
        self,
        *,
        target_type: RatingTarget | str,
        target_id: str,
        score: int,
        idempotency_key: str,
        comment: str | None = None,
        service: str | None = None,
    ) -> Rating:
        """Store a 1-5 satisfaction rating of a conversation, ticket or service.

        Args:
            target_type: ``conversation``, ``ticket`` (must exist) or ``service``.
            target_id: The sender id, ticket id or service name (≤ 128 characters).
            score: 1 to 5.
            idempotency_key: One rating per key, however often it is sent.
            comment: Optional words, ≤ 500 characters.
            service: Optional service name, ≤ 64 characters.
        """
        kind = (
            target_type.value if isinstance(target_type, RatingTarget) else target_type
        )
        data = await self._client.post(
            "/hotline/v1/ratings",
            {
                "target_type": kind,
                "target_id": target_id,
                "score": score,
                "comment": comment,
                "service": service,
            },
            idempotency_key=idempotency_key,
        )
        return Rating.from_json(data)
