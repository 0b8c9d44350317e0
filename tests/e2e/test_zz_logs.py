"""After every conversation of the run: no personal data in any process log.

Named to run last in this folder, when the logs hold the whole e2e run.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.stack import Stack

pytestmark = pytest.mark.e2e

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PLATES = ("粤B12345", "粤B6A7C8", "粤BF36912")


def test_no_personal_data_in_process_logs(stack: Stack) -> None:
    for process in (stack.sandbox, stack.actions, stack.rasa):
        text = process.log.read_text("utf-8", errors="replace")
        assert text, process.name
        assert not ID_NUMBER.search(text), (process.name, ID_NUMBER.search(text))
        assert not MOBILE.search(text), process.name
        assert not any(p in text for p in PLATES), process.name
