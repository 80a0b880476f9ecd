"""Helpers of the account tests: the site as mails see it, queued mails, members made by joining."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.accounts.emails import MailSite
from paperstand.accounts.models import Member
from paperstand.accounts.service import join, verify_email
from paperstand.mail.models import OutgoingMail

SITE = MailSite("https://papers.test", "paperstand")
PASSWORD = "correct horse battery staple"


def mails(engine: Engine, kind: str | None = None) -> list[OutgoingMail]:
    """The queued mails (of one kind, e.g. "account-verify"), oldest first."""
    with Session(engine, expire_on_commit=False) as s:
        stmt = select(OutgoingMail).order_by(OutgoingMail.id)
        if kind:
            stmt = stmt.where(OutgoingMail.kind == kind)
        return list(s.scalars(stmt))


def link_token(mail: OutgoingMail) -> str:
    """The token of the one link in a mail."""
    found = re.search(r"token=([A-Za-z0-9_%-]+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


def joined(engine: Engine, name: str = "ada", *, password: str = PASSWORD, verify: bool = True) -> Member:
    """A member made through the join form's service (and its verification link, unless ``verify`` is False)."""
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as s:
        join(s, email=f"{name}@example.org", name=name, password=password, site=SITE, now=now)
    if verify:
        with Session(engine, expire_on_commit=False) as s:
            verify_email(s, secret=link_token(mails(engine, "account-verify")[-1]), now=now)
    with Session(engine, expire_on_commit=False) as s:
        member = s.scalars(select(Member).where(Member.name_key == name.lower())).one()
        s.expunge(member)
        return member
