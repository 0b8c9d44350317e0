"""The Telegram webhook path as a load target: updates in, ``sendMessage`` out.

Citizens post Bot API updates to the gateway's ``/telegram/webhook`` (with the
secret header, as Telegram does); the gateway acknowledges at once and answers
out of band through the Bot API, here a loopback stand-in in the generator's
own event loop that files every message under its chat.

Telegram never says when a turn's answer is complete, so a turn is closed
when the messages that arrived since it was sent contain what the script
expects and nothing more came for ``SETTLE_S`` (the gateway sends one turn's
messages back to back). Its latency runs to the last of those messages, not to
the end of the settle wait. A turn whose expected answer never comes is closed
after ``QUIET_S`` without a new message, and the checks then report it.
A part that comes after its turn was closed (the gateway slowed down between
two parts) still precedes the citizen's next message in the chat: the runner
takes it with ``take_tail`` and adds it to that turn; such parts are counted
in ``strays``. After the conversation, ``drain`` returns what came later
still (bench/load/runner.py watches for it).

A button is pressed, not typed: when a citizen's next message is the
``callback_data`` of a button the bot showed in that chat, the target sends a
``callback_query`` for the message that carried it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bench.load.replies import Button, Reply
from bench.load.targets import TargetError
from tests.channels.routes.telegram_api_standin import TOKEN, TelegramApiStandIn

SETTLE_S = 0.02
QUIET_S = 3.0
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CHAT_ID = 20_000_000


@dataclass
class Delivered:
    """One message the gateway sent to a chat, as Telegram stored it."""

    at: float
    reply: Reply
    message: dict[str, Any]


def reply_from_message(message: dict[str, Any]) -> Reply:
    """The citizen's view of a sent message: text, choice buttons, link buttons."""
    buttons: list[Button] = []
    links: list[dict[str, str]] = []
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if "url" in button:
                links.append({"title": str(button["text"]), "url": str(button["url"])})
            else:
                buttons.append(
                    Button(str(button["text"]), str(button.get("callback_data", "")))
                )
    custom = (
        json.dumps({"links": links}, ensure_ascii=False, sort_keys=True)
        if links
        else ""
    )
    return Reply(
        text=str(message.get("text") or ""), buttons=tuple(buttons), custom=custom
    )


@dataclass
class ChatInboxes(TelegramApiStandIn):
    """The Bot API stand-in, filing every sent message under its chat."""

    inboxes: dict[int, list[Delivered]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _arrived: dict[int, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )

    def __post_init__(self) -> None:
        """A load run makes tens of thousands of calls: keep none of the test log."""
        self.calls = _Discard()
        self.messages = _Discard()

    async def _sendMessage(self, fields: dict[str, Any]) -> web.Response:
        response = await super()._sendMessage(fields)
        if response.status == 200:
            message = json.loads(response.text or "{}")["result"]
            chat = int(message["chat"]["id"])
            self.inboxes[chat].append(
                Delivered(time.perf_counter(), reply_from_message(message), message)
            )
            self._arrived[chat].set()
        return response

    async def next_arrival(self, chat: int, timeout_s: float) -> bool:
        """Wait until a message arrives for ``chat``; False on timeout."""
        event = self._arrived[chat]
        event.clear()
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except asyncio.TimeoutError:
            return False
        return True


class _Discard(list):  # type: ignore[type-arg]
    """A list that forgets what is appended (the stand-in's call log)."""

    def append(self, item: object) -> None:
        """Drop it."""


@asynccontextmanager
async def serve_bot_api(port: int) -> AsyncIterator[ChatInboxes]:
    """The stand-in on ``127.0.0.1:port`` for as long as the context lasts."""
    api = ChatInboxes()
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api.url = f"http://127.0.0.1:{port}"
    try:
        yield api
    finally:
        await runner.cleanup()


@dataclass
class _Chat:
    id: int
    taken: int = 0  # messages already handed to a turn


class TelegramTarget:
    """Citizens on Telegram, through the gateway's webhook."""

    name = "telegram"
    asynchronous = True

    def __init__(
        self,
        gateway_url: str,
        secret: str,
        api: ChatInboxes,
        timeout_s: float = 60.0,
    ) -> None:
        """Post updates to ``gateway_url``; read answers from ``api``."""
        self.url = f"{gateway_url}{WEBHOOK_PATH}"
        self.secret = secret
        self.api = api
        self.timeout_s = timeout_s
        self.strays = 0
        self._chats: dict[str, _Chat] = {}
        self._chat_ids = itertools.count(FIRST_CHAT_ID)
        self._update_ids = itertools.count(1)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            connector=aiohttp.TCPConnector(limit=0),
        )

    def _chat(self, sender: str) -> _Chat:
        if sender not in self._chats:
            self._chats[sender] = _Chat(next(self._chat_ids))
        return self._chats[sender]

    def _update(self, chat: _Chat, text: str) -> dict[str, Any]:
        update_id = next(self._update_ids)
        user = {"id": chat.id, "is_bot": False, "first_name": "市民"}
        pressed = self._button_message(chat, text)
        if pressed is not None:
            return {
                "update_id": update_id,
                "callback_query": {
                    "id": str(update_id),
                    "from": user,
                    "chat_instance": str(chat.id),
                    "message": pressed,
                    "data": text,
                },
            }
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": chat.id, "type": "private", "first_name": "市民"},
                "from": user,
                "text": text,
            },
        }

    def _button_message(self, chat: _Chat, text: str) -> dict[str, Any] | None:
        """The newest message of this chat with a button whose data is ``text``."""
        for delivered in reversed(self.api.inboxes[chat.id]):
            if any(b.payload == text for b in delivered.reply.buttons):
                return delivered.message
        return None

    async def send(
        self,
        sender: str,
        text: str,
        complete: Callable[[list[Reply]], bool] | None = None,
    ) -> list[Reply]:
        """Post the update, then collect this turn's messages (see the module doc)."""
        chat = self._chat(sender)
        inbox = self.api.inboxes[chat.id]
        self.strays += len(inbox) - chat.taken
        first = chat.taken
        sent_at = time.perf_counter()
        async with self._session.post(
            self.url,
            json=self._update(chat, text),
            headers={SECRET_HEADER: self.secret},
        ) as response:
            await response.read()
            if response.status != 200:
                raise TargetError(f"HTTP {response.status}")
        deadline = sent_at + self.timeout_s
        while True:
            replies = [d.reply for d in inbox[first:]]
            done = complete(replies) if complete is not None else bool(replies)
            left = deadline - time.perf_counter()
            # Settle after the expected answer; give a wrong answer time to
            # grow; wait for a first message as long as the timeout allows.
            wait = SETTLE_S if done else (QUIET_S if replies else left)
            if left <= 0 or not await self.api.next_arrival(chat.id, min(wait, left)):
                if replies:
                    break
                raise asyncio.TimeoutError(f"no message in {self.timeout_s:g} s")
        chat.taken = len(inbox)
        return [d.reply for d in inbox[first:]]

    def take_tail(self, sender: str) -> list[Reply]:
        """Messages for ``sender`` since its last turn was closed."""
        chat = self._chat(sender)
        inbox = self.api.inboxes[chat.id]
        tail = [d.reply for d in inbox[chat.taken :]]
        chat.taken = len(inbox)
        self.strays += len(tail)
        return tail

    def last_arrival(self, sender: str) -> float | None:
        """When the newest message for ``sender`` reached the Bot API (perf_counter)."""
        inbox = self.api.inboxes[self._chat(sender).id]
        return inbox[-1].at if inbox else None

    async def drain(self, sender: str) -> list[Reply]:
        """Messages for ``sender`` after its tail was taken; forgets the chat."""
        chat = self._chat(sender)
        inbox = self.api.inboxes[chat.id]
        late = [d.reply for d in inbox[chat.taken :]]
        chat.taken = len(inbox)
        del self._chats[sender]
        self.api.inboxes.pop(chat.id, None)
        self.api._arrived.pop(chat.id, None)
        return late

    async def close(self) -> None:
        """Close the pooled session."""
        await self._session.close()


@asynccontextmanager
async def telegram_target(
    gateway_url: str, secret: str, bot_api_port: int
) -> AsyncIterator[TelegramTarget]:
    """The Bot API stand-in on ``bot_api_port`` and a target using it."""
    async with serve_bot_api(bot_api_port) as api:
        target = TelegramTarget(gateway_url, secret, api)
        try:
            yield target
        finally:
            await target.close()


__all__ = [
    "TOKEN",
    "ChatInboxes",
    "TelegramTarget",
    "reply_from_message",
    "serve_bot_api",
    "telegram_target",
]
