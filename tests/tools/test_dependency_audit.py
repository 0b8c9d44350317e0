"""The audit's verdicts from pip-audit's JSON (pip-audit itself is the seam)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import dependency_audit as audit


def _report(*deps: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(deps), "fixes": []})


def _fake(
    monkeypatch: pytest.MonkeyPatch, answers: dict[str, tuple[int, str, str]]
) -> list[list[str]]:
    calls: list[list[str]] = []

    def run(lock: Path, service: str, ignore: list[str]) -> tuple[int, str, str]:
        calls.append([service, *ignore])
        return answers[service]

    monkeypatch.setattr(audit, "_run", run)
    return calls


def test_no_reachable_service_is_reported_as_not_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    skipped = {
        "name": "aiohttp",
        "version": "3.9.5",
        "skip_reason": "Dependency not found on PyPI",
    }
    _fake(
        monkeypatch,
        {"osv": (1, "", "ConnectionError: osv"), "pypi": (0, _report(skipped), "")},
    )
    assert audit.main([]) == 0
    assert audit.main(["--strict"]) == 3
    out = capsys.readouterr().out
    assert "AUDIT NOT RUN" in out and "ConnectionError: osv" in out


def test_a_finding_fails_and_accepted_ids_are_passed_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted = tmp_path / "accepted.yml"
    accepted.write_text(
        "accepted:\n- id: GHSA-aaaa\n  package: x\n  reason: not reachable\n", "utf-8"
    )
    read = audit.accepted_ids
    monkeypatch.setattr(audit, "accepted_ids", lambda: read(accepted))
    vulnerable = {
        "name": "jinja2",
        "version": "2.4.1",
        "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}],
    }
    calls = _fake(
        monkeypatch, {"osv": (1, _report(vulnerable), ""), "pypi": (0, "", "")}
    )
    assert audit.main([]) == 1
    assert "VULNERABLE jinja2 2.4.1: PYSEC-2019-217" in capsys.readouterr().out
    assert all(call == ["osv", "GHSA-aaaa"] for call in calls)


def test_a_clean_audit_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    clean = {"name": "aiohttp", "version": "3.14.5", "vulns": []}
    _fake(monkeypatch, {"osv": (0, _report(clean), ""), "pypi": (0, "", "")})
    assert audit.main(["--strict"]) == 0


def test_an_accepted_finding_needs_a_reason(tmp_path: Path) -> None:
    listed = tmp_path / "accepted.yml"
    listed.write_text("accepted:\n- id: GHSA-bbbb\n  package: y\n", "utf-8")
    with pytest.raises(SystemExit):
        audit.accepted_ids(listed)
    assert audit.accepted_ids() == []  # the project's list, as committed
