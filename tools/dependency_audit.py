"""`python -m tools.dependency_audit`: pip-audit over both pinned lock files.

Each lock (``requirements/app.lock``, ``requirements/engine.lock``) is
audited as pinned (``--no-deps``), against OSV and then PyPI's advisory
data. Findings listed in ``tools/audit_accepted.yml`` (each with its reason,
see ``docs/security.md``) are ignored; any other finding fails (exit 1).

If no vulnerability service can be reached from this machine — every
service errors, or every package is reported "not found" (a mirror without
advisory data) — the audit cannot say anything: it prints that plainly,
names what failed, and exits 0 (``--strict`` makes that exit 3), so CI on a
closed network does not pretend to have checked.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LOCKS = (ROOT / "requirements" / "app.lock", ROOT / "requirements" / "engine.lock")
ACCEPTED = ROOT / "tools" / "audit_accepted.yml"
SERVICES = ("osv", "pypi")
TIMEOUT_S = 600


@dataclass
class Outcome:
    """What one lock's audit found, or why it could not run."""

    lock: Path
    service: str | None = None
    audited: int = 0
    skipped: int = 0
    findings: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def accepted_ids(path: Path = ACCEPTED) -> list[str]:
    """Vulnerability ids accepted with a reason."""
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    entries = data.get("accepted") or []
    for entry in entries:
        if not entry.get("reason"):
            raise SystemExit(f"{path}: {entry.get('id')} has no reason")
    return [str(entry["id"]) for entry in entries]


def _run(lock: Path, service: str, ignore: list[str]) -> tuple[int, str, str]:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "-r",
        str(lock),
        "-s",
        service,
        "-f",
        "json",
    ]
    for vuln in ignore:
        command += ["--ignore-vuln", vuln]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    return done.returncode, done.stdout, done.stderr


def audit_lock(lock: Path, ignore: list[str]) -> Outcome:
    """Tries each service until one can answer for this lock."""
    outcome = Outcome(lock)
    for service in SERVICES:
        _code, out, err = _run(lock, service, ignore)
        try:
            report = json.loads(out)
        except ValueError:
            last = (err.strip().splitlines() or ["no output"])[-1]
            outcome.unreachable.append(f"{service}: {last[:300]}")
            continue
        dependencies = report.get("dependencies", [])
        audited = [d for d in dependencies if "skip_reason" not in d]
        if not audited:
            reason = dependencies[0].get("skip_reason", "") if dependencies else ""
            outcome.unreachable.append(f"{service}: every package skipped ({reason})")
            continue
        outcome.service = service
        outcome.audited = len(audited)
        outcome.skipped = len(dependencies) - len(audited)
        outcome.findings = [
            f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v.get('fix_versions') or ['-'])})"
            for d in audited
            for v in d.get("vulns", [])
        ]
        return outcome
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Audits both locks; prints a summary; the exit status says what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--strict", action="store_true", help="exit 3 if no service answers"
    )
    args = parser.parse_args(argv)
    ignore = accepted_ids()
    outcomes = [audit_lock(lock, ignore) for lock in LOCKS]
    failed = False
    not_run = False
    for outcome in outcomes:
        name = outcome.lock.relative_to(ROOT)
        if outcome.service is None:
            not_run = True
            print(f"AUDIT NOT RUN for {name}: no vulnerability service answered")
            for line in outcome.unreachable:
                print(f"  {line}")
            continue
        print(
            f"{name}: {outcome.audited} packages audited via {outcome.service}"
            f" ({outcome.skipped} skipped, {len(ignore)} accepted finding(s) ignored)"
        )
        for finding in outcome.findings:
            print(f"  VULNERABLE {finding}")
        failed = failed or bool(outcome.findings)
    if failed:
        return 1
    if not_run:
        print(
            "dependency audit: not run here (see docs/security.md); nothing was checked"
        )
        return 3 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
