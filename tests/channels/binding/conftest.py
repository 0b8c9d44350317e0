"""Binding fixtures: the Rasa stand-in, a real Redis (shared with the route tests)."""

from tests.channels.routes.conftest import rasa, redis_url, store_env

__all__ = ["rasa", "redis_url", "store_env"]
