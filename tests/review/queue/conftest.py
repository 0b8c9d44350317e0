"""Fixtures of the queue tests: the migrated log (tests/review/conftest.py) filled with a city."""

from __future__ import annotations

import pytest

from review.logdb.database import LogDatabase
from review.queue.vocabulary import Vocabulary, load_vocabulary
from tests.review.queue.queue_world import city, store


@pytest.fixture
async def city_db(db: LogDatabase) -> LogDatabase:
    """The log with a morning of realistic, masked conversations."""
    await store(db, city())
    return db


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    """The labels of the real domain."""
    return load_vocabulary()
