"""Who may do what: four roles, and every right named; anything not granted here is denied."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperstand.accounts.models import Member

ROLES = ("member", "curator", "moderator", "admin")

# What every verified, unbanned member may do.
MEMBER_RIGHTS = frozenset({"vote", "submit", "comment", "flag", "claim"})
# Curators shape the day's list ("AK"); moderators keep the peace; neither implies the other.
GRANTS: dict[str, frozenset[str]] = {
    "member": MEMBER_RIGHTS,
    "curator": MEMBER_RIGHTS | {"curate"},
    "moderator": MEMBER_RIGHTS | {"moderate"},
    "admin": MEMBER_RIGHTS | {"curate", "moderate", "admin"},
}
RIGHTS = frozenset().union(*GRANTS.values())


def allowed(member: Member | None, right: str) -> bool:
    """Whether ``member`` may use ``right``: nobody anonymous, banned or unverified may change anything."""
    if right not in RIGHTS:
        raise ValueError(f"unknown right {right!r}")  # a typo must not silently deny (or grant)
    if member is None or member.banned_at is not None or member.email_verified_at is None:
        return False
    return right in GRANTS.get(member.role, frozenset())
