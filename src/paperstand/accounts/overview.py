"""Everything /settings shows of a member, read in one call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from paperstand.accounts.api_tokens import live_tokens
from paperstand.accounts.digest_link import member_subscription
from paperstand.accounts.models import ApiToken, Member
from paperstand.errors import NotFound
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber


@dataclass(frozen=True)
class SettingsView:
    """The member, their API tokens, and their digest (with its preferences link) if they have one."""

    member: Member
    tokens: list[ApiToken]
    subscription: Subscriber | None
    preferences_url: str | None


def settings_view(session: Session, *, member_id: int, secret_key: bytes) -> SettingsView:
    """What the settings page shows for ``member_id``."""
    member = session.get(Member, member_id, populate_existing=True)
    if member is None:
        raise NotFound("no such member")
    subscription = member_subscription(session, member=member)
    url = (f"/preferences/{make_key(secret_key, 'preferences', subscription.id)}"
           if subscription is not None else None)
    return SettingsView(member, live_tokens(session, member_id=member_id), subscription, url)
