"""The navigation bar: console pages plus those of mounted features."""

from __future__ import annotations

from dataclasses import dataclass

from review.console.models import Role


@dataclass(frozen=True)
class NavItem:
    """One link of the navigation, shown to staff whose role includes ``role``."""

    href: str
    label: str
    role: Role
    testid: str


CONSOLE_NAV = (NavItem("/", "工作台", Role.REVIEWER, "nav-dashboard"),)
ADMIN_NAV = (
    NavItem("/users", "用户管理", Role.ADMIN, "nav-users"),
    NavItem("/audit", "审计日志", Role.ADMIN, "nav-audit"),
)
FEATURE_NAV = {
    "queue": NavItem("/queue", "审核队列", Role.REVIEWER, "nav-queue"),
    "inbox": NavItem("/inbox", "人工帮办", Role.REVIEWER, "nav-inbox"),
    "training": NavItem("/training", "训练与发布", Role.TRAINER, "nav-training"),
}
"""The entry page of each feature, linked once the feature is mounted."""
