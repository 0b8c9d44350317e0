"""One real retraining per session, in a copy of the project, shared by the tests.

The copy holds the training data plus one reviewed example (what staff
annotate), a ``models/`` folder with the served model and an empty
``candidates/``; the real ``data/`` and ``models/`` are never written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.review.training.kit import Trained, project_copy, train


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """The session's candidate, trained through the real service and Rasa."""
    base = tmp_path_factory.mktemp("training")
    paths = project_copy(base)
    yield asyncio.run(train(paths, f"sqlite:///{base / 'log.db'}"))
