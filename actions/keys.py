"""Typed application keys of the action server."""

from __future__ import annotations

from aiohttp import web
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

from actions.backend import Backend

BACKEND = web.AppKey("backend", Backend)
EXECUTOR = web.AppKey("executor", ActionExecutor)
ACTIONS: web.AppKey[dict[str, Action]] = web.AppKey("actions")
