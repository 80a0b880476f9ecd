"""Bans: rights and logins end at once, one public log row even when two moderators act together."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from conftest import make_member
from paperstand.accounts.bans import set_ban
from paperstand.accounts.models import MemberSession
from paperstand.accounts.roles import allowed
from paperstand.community.models import ModerationAction
from paperstand.errors import BadRequest


def test_ban_ends_logins_and_is_logged_once(engine: Engine) -> None:
    eve = make_member(engine, "eve")
    mod = make_member(engine, "mo", role="moderator")
    now = datetime.now(UTC)
    with Session(engine) as s:
        member = set_ban(s, member_id=eve.id, banned=True, reason="spam", moderator_id=mod.id, now=now)
        assert not allowed(member, "vote")
        set_ban(s, member_id=eve.id, banned=True, reason="spam again", moderator_id=mod.id, now=now)
        assert s.scalar(select(func.count()).select_from(MemberSession)
                        .where(MemberSession.member_id == eve.id)) == 0
        rows = s.scalars(select(ModerationAction)).all()
        assert [(r.action, r.target_kind, r.reason) for r in rows] == [("ban", "member", "spam")]
        set_ban(s, member_id=eve.id, banned=False, reason="appeal upheld", moderator_id=mod.id, now=now)
        assert allowed(s.get(type(member), eve.id), "vote")


def test_ban_needs_a_reason_and_spares_admins(engine: Engine) -> None:
    root = make_member(engine, "root", role="admin")
    with Session(engine) as s:
        with pytest.raises(BadRequest):
            set_ban(s, member_id=root.id, banned=True, reason="  ", moderator_id=None, now=datetime.now(UTC))
        with pytest.raises(BadRequest):
            set_ban(s, member_id=root.id, banned=True, reason="x", moderator_id=None, now=datetime.now(UTC))
