"""What the operator does from the command line: make an admin, list members, change a role."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.accounts.digest_link import link_subscription
from paperstand.accounts.errors import InvalidForm
from paperstand.accounts.models import Member
from paperstand.accounts.names import name_key
from paperstand.accounts.passwords import hash_password
from paperstand.accounts.roles import ROLES
from paperstand.accounts.service import check_join_form
from paperstand.errors import BadRequest, NotFound


def create_member(session: Session, *, name: str, email: str, password: str, role: str, now: datetime) -> Member:
    """Store a member whose address is taken as verified (the operator vouches for it). Commits.

    The same rules as the join form; a taken name or address is an ``InvalidForm`` naming it (the operator
    may know who has an account).
    """
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}", hint=f"Roles: {', '.join(ROLES)}.")
    address, shown, password = check_join_form(email, name, password)
    owner = session.execute(select(Member.name).where(Member.email == address)).scalar_one_or_none()
    if owner is not None:
        raise InvalidForm({"email": f"email: {address} has an account already (@{owner})"})
    if session.execute(select(Member.id).where(Member.name_key == name_key(shown))).first() is not None:
        raise InvalidForm({"name": f"user name: {shown!r} is taken"})
    member = Member(name=shown, name_key=name_key(shown), email=address, display_name="",
                    password_hash=hash_password(password), role=role, email_verified_at=now, created_at=now,
                    show_upvotes=False, notify_mentions=True)
    try:
        with session.begin_nested():
            session.add(member)
    except IntegrityError:
        raise InvalidForm({"name": f"a member called {shown!r} or with the address {address} exists already"}) from None
    link_subscription(session, member_id=member.id, email=address)
    session.commit()
    return member


def members(session: Session) -> list[Member]:
    """Every member, oldest first."""
    return list(session.execute(select(Member).order_by(Member.created_at, Member.id)).scalars())


def member_named(session: Session, name: str) -> Member:
    """The member called ``name`` (any case), or ``NotFound``."""
    member = session.execute(select(Member).where(Member.name_key == name_key(name.strip()))).scalar_one_or_none()
    if member is None:
        raise NotFound(f"no member is called {name!r}", hint="`paperstand users list` shows every member.")
    return member


def set_role(session: Session, *, name: str, role: str) -> Member:
    """Give the member called ``name`` another role. Commits."""
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}", hint=f"Roles: {', '.join(ROLES)}.")
    member = member_named(session, name)
    member.role = role
    session.commit()
    return member
