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


# The console's fixtures (settings on the migrated log, one account per role),
# for the queue's pages (test_queue_pages.py).
from tests.review.console.conftest import settings, staff  # noqa: E402, F401
