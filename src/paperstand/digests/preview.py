"""The digest a subscriber will get next, exactly as it would be sent, without sending or recording it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.digests.due import due_digest, local_time, next_slot
from paperstand.digests.models import OutboxMessage
from paperstand.digests.outbox import schedule_of, utcnow
from paperstand.digests.personal import member_of, member_sections
from paperstand.digests.render import render_digest
from paperstand.digests.send import covered_days, digest_mail, period_papers
from paperstand.mail.headers import sender_address
from paperstand.mail.templates import mail_env
from paperstand.papers.periods import Period
from paperstand.papers.queries import latest_day
from paperstand.subscriptions.models import Subscriber


@dataclass(frozen=True)
class NextDigest:
    """When the next digest is due and, if anything new is featured yet, the message itself."""

    label: str
    due_at: datetime  # in the subscriber's time zone
    days: Period | None  # the featured days it covers; None while nothing new is featured
    message: EmailMessage | None

    @property
    def empty(self) -> bool:
        """True when the digest would not be sent (nothing new, or nothing matched the topics)."""
        return self.message is None


def render_for(session: Session, settings: Settings, subscriber: Subscriber, label: str,
               days: Period, *, base_url: str | None = None, now: datetime | None = None) -> EmailMessage | None:
    """The digest ``label`` covering ``days`` as it would be sent at ``now``; ``None`` when nothing matches.

    ``base_url`` defaults to the setting, which is right inside ``serve`` (the preferences page).
    """
    base = (base_url or settings.effective_base_url).rstrip("/")
    mail = digest_mail(settings, base, subscriber, label, days, period_papers(session, days), now or utcnow())
    member_id = member_of(session, subscriber)
    sections = [] if member_id is None else member_sections(  # a member's own sections, alerts left waiting
        session, settings=settings, base=base, member_id=member_id, days=days, digest_row_id=None,
        now=now or utcnow(), shown={p.paper_id for p in mail.papers if p.paper_id is not None})
    if not mail.papers and not sections:
        return None
    return render_digest(mail_env(), mail, sender=sender_address(settings.mail_from, settings.site_name),
                         base_url=base, site_name=settings.site_name, sections=sections)


def next_digest(session: Session, settings: Settings, subscriber: Subscriber, now: datetime, *,
                base_url: str | None = None) -> NextDigest:
    """The next digest for this subscriber, with the papers featured so far."""
    rows = session.execute(select(OutboxMessage.period, OutboxMessage.last_day).where(
        OutboxMessage.subscriber_id == subscriber.id)).all()
    covered = max((day for _, day in rows if day is not None), default=None)
    schedule = schedule_of(subscriber)
    label, moment = next_slot(schedule, now, {label for label, _ in rows})
    due = due_digest(schedule, moment, last_covered=covered, latest_featured=latest_day(session))
    when = local_time(moment, schedule.timezone)
    if due is None:
        return NextDigest(label, when, None, None)
    days = covered_days(due.label, due.first_day, due.last_day)
    return NextDigest(label, when, days, render_for(session, settings, subscriber, due.label, days,
                                                    base_url=base_url, now=moment))
