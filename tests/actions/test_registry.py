"""String-keyed registries agree: actions, forms, slots and responses vs the domain."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from actions.backend import Backend
from actions.confirmation import SUMMARIES
from actions.registry import build_actions
from actions.validation import SlotValidator
from bot.dialogue import TASKS, forms
from bot.settings import BackendSettings

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT.parent / "shared" / "spec" / "nlu-contract.md"
# Rasa's own actions and responses it utters without a rule naming them.
RASA_ACTIONS = {"action_two_stage_fallback"}
RASA_RESPONSES = {"utter_default", "utter_ask_rephrase", "utter_ask_affirmation"}


def _domain() -> dict[str, Any]:
    merged: dict[str, Any] = {
        "intents": [],
        "actions": [],
        "responses": {},
        "forms": {},
        "slots": {},
    }
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text("utf-8"))
        merged["intents"] += part.get("intents", [])
        merged["actions"] += part.get("actions", [])
        for key in ("responses", "forms", "slots"):
            merged[key].update(part.get(key) or {})
    return merged


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return _domain()


@pytest.fixture
async def registered() -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        return build_actions(Backend(BackendSettings(), session))


def _actions_source() -> str:
    return "\n".join(p.read_text("utf-8") for p in (ROOT / "actions").rglob("*.py"))


async def test_every_domain_action_is_registered_and_back(
    domain: dict[str, Any], registered: dict[str, Any]
) -> None:
    assert set(domain["actions"]) - RASA_ACTIONS == set(registered)


async def test_every_form_has_a_validator(
    domain: dict[str, Any], registered: dict[str, Any]
) -> None:
    for form in domain["forms"]:
        assert f"validate_{form}" in registered, form
    assert set(forms()) == set(domain["forms"])


async def test_validate_methods_name_real_form_slots(
    domain: dict[str, Any], registered: dict[str, Any]
) -> None:
    for name, action in registered.items():
        if not isinstance(action, SlotValidator):
            continue
        for attr, _ in inspect.getmembers(type(action), inspect.isfunction):
            if attr.startswith(("validate_", "extract_")) and attr != "validate":
                slot = attr.split("_", 1)[1]
                assert slot in domain["slots"], f"{name}.{attr}"


def test_responses_named_by_actions_exist(domain: dict[str, Any]) -> None:
    named = set(re.findall(r"\"(utter_[a-z0-9_]+)\"", _actions_source()))
    assert named, "the scan found nothing"
    missing = named - set(domain["responses"])
    assert not missing
    for form, (response, _) in SUMMARIES.items():
        assert response in domain["responses"], form
        # Rasa would utter this one itself, unfilled, instead of asking the action.
        assert f"utter_ask_{form}_confirmed" not in domain["responses"], form


def test_every_response_is_used(domain: dict[str, Any]) -> None:
    rules = "\n".join(
        p.read_text("utf-8") for p in (ROOT / "data" / "rules").glob("*.yml")
    )
    source = _actions_source()
    slot_names = set(domain["slots"])
    for response in domain["responses"]:
        if response.startswith("utter_faq/") or response in RASA_RESPONSES:
            continue
        asked = response.removeprefix("utter_ask_")
        form_question = response.startswith("utter_ask_") and (
            asked in slot_names
            or any(
                asked == f"{f}_{s}"
                for f, spec in domain["forms"].items()
                for s in spec["required_slots"]
            )
        )
        assert form_question or response in rules or f'"{response}"' in source, response


def test_task_intents_of_the_contract_all_start_something(
    domain: dict[str, Any],
) -> None:
    if not CONTRACT.exists():
        pytest.skip("shared/ is not beside the repository")
    contract = CONTRACT.read_text("utf-8")
    section = contract.split("## Task intents")[1].split("## Information intent")[0]
    task_intents = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))
    assert len(task_intents) == 14
    started = {t.intent for t in TASKS} | {"rate_service"}
    assert task_intents == started
    assert task_intents <= set(domain["intents"])
