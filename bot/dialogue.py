"""Dialogue map: which form serves which task, and the generated form rules.

Every form needs the same unhappy paths (a faq question in the middle, "算了",
转人工, switching to another task, an answer that fills nothing). Written by
hand that is hundreds of near-identical rules, so they are generated from the
tables below into ``data/rules/tasks.yml``; a test checks the file is fresh.

Run ``python -m bot.dialogue render`` after changing the tables.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES_PATH = ROOT / "data" / "rules" / "tasks.yml"


@dataclass(frozen=True)
class Task:
    """A task intent and how it is served.

    Attributes:
        intent: The NLU contract intent that starts the task.
        form: The form collecting its slots (``None``: answered at once).
        submit: The action that calls the back end once the form is complete.
    """

    intent: str
    form: str | None
    submit: str


TASKS: tuple[Task, ...] = (
    Task("query_violation", "violation_form", "action_query_violations"),
    Task("pay_fine", "pay_fine_form", "action_pay_fine"),
    Task("query_license_points", "license_form", "action_query_license"),
    Task("book_exam", "exam_booking_form", "action_book_exam"),
    Task("query_exam_booking", "exam_query_form", "action_query_exam_booking"),
    Task("cancel_exam_booking", "exam_cancel_form", "action_cancel_exam_booking"),
    Task(
        "reschedule_exam_booking",
        "exam_reschedule_form",
        "action_reschedule_exam_booking",
    ),
    Task("query_inspection", "inspection_query_form", "action_query_inspection"),
    Task("book_inspection", "inspection_booking_form", "action_book_inspection"),
    Task("file_complaint", "ticket_form", "action_file_ticket"),
    Task("give_suggestion", "ticket_form", "action_file_ticket"),
    Task("query_ticket", "ticket_query_form", "action_query_ticket"),
    Task("query_office", None, "action_query_office"),
)

# Forms that are not started by a task intent, with their submit action.
EXTRA_FORMS: dict[str, str] = {"feedback_form": "action_submit_feedback"}

# Inside a form: what answers a digression before the form asks again.
DIGRESSIONS: dict[str, str] = {
    "faq": "utter_faq",
    "help": "utter_help",
    "bot_challenge": "utter_bot_challenge",
    "out_of_scope": "utter_out_of_scope",
    "query_office": "action_query_office",
    # Said something, but nothing the form asked for: say so, then re-ask.
    "inform": "utter_form_not_understood",
    "affirm": "utter_form_not_understood",
    "deny": "utter_form_not_understood",
    "thank": "utter_form_not_understood",
    "rate_service": "utter_form_not_understood",
    "nlu_fallback": "utter_form_not_understood",
}

# Inside a form: intents that simply repeat the question (the form re-asks).
REASK = ("greet",)


def forms() -> dict[str, str]:
    """Every form with its submit action."""
    mapping = {t.form: t.submit for t in TASKS if t.form}
    mapping.update(EXTRA_FORMS)
    return mapping


def _start(task: Task) -> list[dict[str, Any]]:
    if task.form is None:
        return [{"action": task.submit}]
    return [{"action": task.form}, {"active_loop": task.form}]


def _in_form(name: str, form: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"rule": name, "condition": [{"active_loop": form}], "steps": steps}


def build_rules() -> list[dict[str, Any]]:
    """All task rules: starts, submits, and every form's unhappy paths."""
    rules: list[dict[str, Any]] = []
    for task in TASKS:
        rules.append(
            {
                "rule": f"start {task.intent}",
                "steps": [{"intent": task.intent}, *_start(task)],
            }
        )
    for form, submit in forms().items():
        rules.append(
            _in_form(
                f"submit {form}",
                form,
                [
                    {"action": form},
                    {"active_loop": None},
                    {"slot_was_set": [{"requested_slot": None}]},
                    {"action": submit},
                ],
            )
        )
    for form in forms():
        back = [{"action": form}, {"active_loop": form}]
        for intent, answer in DIGRESSIONS.items():
            rules.append(
                _in_form(
                    f"{form}: {intent} in the middle",
                    form,
                    [{"intent": intent}, {"action": answer}, *back],
                )
            )
        for intent in REASK:
            rules.append(
                _in_form(f"{form}: {intent} re-asks", form, [{"intent": intent}, *back])
            )
        rules.append(
            _in_form(
                f"{form}: stop",
                form,
                [
                    {"intent": "stop"},
                    {"action": "action_stop_task"},
                    {"active_loop": None},
                ],
            )
        )
        rules.append(
            _in_form(
                f"{form}: human handoff",
                form,
                [
                    {"intent": "human_handoff"},
                    {"action": "action_human_handoff"},
                    {"active_loop": None},
                ],
            )
        )
        rules.append(
            _in_form(
                f"{form}: goodbye",
                form,
                [
                    {"intent": "goodbye"},
                    {"action": "action_stop_task"},
                    {"active_loop": None},
                    {"action": "utter_goodbye"},
                ],
            )
        )
        for task in TASKS:
            if task.intent in DIGRESSIONS:
                continue
            if task.form == form:
                # Restating the same request without new details: ask again.
                rules.append(
                    _in_form(
                        f"{form}: {task.intent} again",
                        form,
                        [{"intent": task.intent}, *back],
                    )
                )
                continue
            rules.append(
                _in_form(
                    f"{form}: switch to {task.intent}",
                    form,
                    [
                        {"intent": task.intent},
                        {"action": "action_switch_task"},
                        {"active_loop": None},
                        *_start(task),
                    ],
                )
            )
    return rules


def render() -> str:
    """The YAML text of ``data/rules/tasks.yml``."""
    header = (
        "# Generated by `python -m bot.dialogue render` from bot/dialogue.py.\n"
        "# Do not edit by hand: tests check that this file equals a fresh render.\n"
    )
    body = yaml.safe_dump(
        {"version": "3.1", "rules": build_rules()},
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    return header + body


def main(argv: list[str]) -> int:
    """``render`` writes the rules file; ``check`` fails if it is stale."""
    command = argv[0] if argv else "render"
    if command == "render":
        RULES_PATH.write_text(render(), encoding="utf-8")
        return 0
    if command == "check":
        fresh = RULES_PATH.exists() and RULES_PATH.read_text("utf-8") == render()
        print("up to date" if fresh else f"{RULES_PATH} is stale: run render")
        return 0 if fresh else 1
    print("usage: python -m bot.dialogue [render|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
