"""The retry and breaker settings of the back-end client come from the environment."""

from __future__ import annotations

import pytest

from bot.settings import BackendSettings, SettingsError, load_settings


def test_defaults() -> None:
    backend = load_settings({}).backend
    assert backend == BackendSettings()
    assert (backend.read_retries, backend.read_budget_s) == (2, 6.0)
    assert (backend.breaker_failures, backend.breaker_reset_s) == (5, 30.0)


def test_from_environment() -> None:
    backend = load_settings(
        {
            "BACKEND_READ_RETRIES": "0",
            "BACKEND_READ_BUDGET_S": "2.5",
            "BACKEND_BREAKER_FAILURES": "3",
            "BACKEND_BREAKER_RESET_S": "10",
        }
    ).backend
    assert (backend.read_retries, backend.read_budget_s) == (0, 2.5)
    assert (backend.breaker_failures, backend.breaker_reset_s) == (3, 10.0)


def test_malformed_values_are_refused() -> None:
    with pytest.raises(SettingsError):
        load_settings({"BACKEND_READ_RETRIES": "two"})
    with pytest.raises(SettingsError):
        load_settings({"BACKEND_BREAKER_RESET_S": "soon"})
