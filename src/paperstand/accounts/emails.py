"""The account mails: each is a context plus ``email/account/<kind>/{subject,body}.txt``, queued in the outbox.

Queued in the transaction that needs them (a new member and their verification mail commit together), and
delivered by the worker's ``send_mail`` job; nothing here talks to a mail server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from paperstand.accounts.tokens import TTL
from paperstand.config import Settings
from paperstand.mail.outbox import enqueue
from paperstand.mail.templates import mail_env

KINDS = ("verify", "exists", "reset", "email_change", "email_changed")
# "Someone tried to join with your address" and a repeated request for a link go out at most once per
# window per member: fifty posts of the join form must not flood the address's owner.
NOTICE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class MailSite:
    """What mails need to know of the site: its public address (for links) and its name."""

    base_url: str
    name: str

    @classmethod
    def of(cls, settings: Settings) -> MailSite:
        """The site as the settings describe it."""
        return cls(settings.effective_base_url.rstrip("/"), settings.site_name)


def window(now: datetime) -> int:
    """The number of the ``NOTICE_WINDOW`` that ``now`` falls in (part of a dedupe key)."""
    return int(now.timestamp() // NOTICE_WINDOW.total_seconds())


def _hours(purpose: str) -> int:
    return int(TTL[purpose].total_seconds() // 3600)


def _queue(session: Session, site: MailSite, kind: str, to: str, now: datetime, dedupe_key: str,
           **context: Any) -> None:
    assert kind in KINDS
    env = mail_env()
    context = {"site": site.base_url, "site_name": site.name, **context}
    subject = env.get_template(f"email/account/{kind}/subject.txt").render(context).strip()
    text = env.get_template(f"email/account/{kind}/body.txt").render(context)
    enqueue(session, kind=f"account-{kind}", to=to, subject=subject, text=text, now=now, dedupe_key=dedupe_key)


def queue_verify(session: Session, *, site: MailSite, to: str, name: str, token_id: int, secret: str,
                 now: datetime, dedupe_key: str | None = None) -> None:
    """The "confirm your address" mail with its link (one per token unless ``dedupe_key`` says otherwise)."""
    link = f"{site.base_url}/verify?{urlencode({'token': secret})}"
    _queue(session, site, "verify", to, now, dedupe_key or f"verify:{token_id}", name=name, link=link,
           hours=_hours("verify"))


def queue_exists(session: Session, *, site: MailSite, to: str, name: str, member_id: int, now: datetime) -> None:
    """Tell an address's owner that someone tried to join with it (instead of telling the visitor)."""
    _queue(session, site, "exists", to, now, f"exists:{member_id}:{window(now)}", name=name,
           login=f"{site.base_url}/login", reset=f"{site.base_url}/reset")


def queue_reset(session: Session, *, site: MailSite, to: str, name: str, member_id: int, secret: str,
                now: datetime) -> None:
    """The password reset link; one per member per window, however often the form is sent."""
    link = f"{site.base_url}/reset/confirm?{urlencode({'token': secret})}"
    _queue(session, site, "reset", to, now, f"reset:{member_id}:{window(now)}", name=name, link=link,
           minutes=int(TTL["reset"].total_seconds() // 60))


def queue_email_change(session: Session, *, site: MailSite, to: str, name: str, token_id: int, secret: str,
                       now: datetime) -> None:
    """The link that moves an account to a new address, sent to that new address."""
    link = f"{site.base_url}/settings/email/confirm?{urlencode({'token': secret})}"
    _queue(session, site, "email_change", to, now, f"email:{token_id}", name=name, link=link,
           hours=_hours("email"))


def queue_email_changed(session: Session, *, site: MailSite, to: str, name: str, new_email: str, token_id: int,
                        now: datetime) -> None:
    """Tell the old address that the account moved away from it (so a hijack does not go unnoticed)."""
    _queue(session, site, "email_changed", to, now, f"email-changed:{token_id}", name=name, new_email=new_email)
