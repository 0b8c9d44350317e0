"""`rasa data validate` with one warning class judged by our own registry test.

Rasa warns about every response that no rule or story utters, although
responses uttered by custom actions are used. Those warnings are accepted
only for responses the actions package names (tests/actions/test_registry.py
checks the opposite direction); every other warning fails the check.

Usage: ``python -m bot.validate_data <rasa> data validate …`` (the command to run).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(utter_[\w/]+)' is not used in any story or rule")
WARNING = re.compile(r"(UserWarning|WARNING)")
# Rasa counts the retrieval intent once per utter_faq/… response file and warns.
ACCEPTED = ("duplicated intents have been found across multiple domain files: faq",)


def used_by_actions() -> set[str]:
    """Response names that appear in the actions package source."""
    names: set[str] = set()
    for path in (ROOT / "actions").rglob("*.py"):
        names.update(re.findall(r"\"(utter_[a-z0-9_]+)\"", path.read_text("utf-8")))
    return names


def main(command: list[str]) -> int:
    """Run the validation, print its output, judge the warnings."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    print(output)
    if result.returncode != 0:
        return result.returncode
    allowed = used_by_actions()
    problems = []
    for line in output.splitlines():
        if not WARNING.search(line) or any(a in line for a in ACCEPTED):
            continue
        unused = UNUSED.search(line)
        # Forms utter their questions (utter_ask_…) without any rule naming them.
        if unused and (
            unused.group(1) in allowed or unused.group(1).startswith("utter_ask_")
        ):
            continue
        problems.append(line.strip())
    for line in problems:
        print(f"validate_data: unexpected warning: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
