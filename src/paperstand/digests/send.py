"""Send a period's digests: plan, then claim-deliver-record in small steps until nothing is due."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.digests.models import OutboxMessage
from paperstand.digests.outbox import (
    SendReport,
    claim,
    plan,
    record_retry,
    record_sent,
    record_skipped,
    record_suppressed,
    utcnow,
)
from paperstand.digests.render import DigestMail, DigestPaper, author_line, excerpt, render_digest
from paperstand.digests.select import Candidate, Topics, select_digest
from paperstand.mail.backends import MailBackend
from paperstand.mail.errors import PermanentMailError, TransientMailError
from paperstand.mail.templates import mail_env
from paperstand.papers.periods import Period
from paperstand.papers.queries import featured
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import may_receive, suppress

# Picks a digest can choose from in one period (a week of busy days).
MAX_CANDIDATES = 500


Titles = dict[int, tuple[str | None, list[str]]]


def period_papers(session: Session, period: Period) -> tuple[list[Candidate], Titles]:
    """The period's featured papers, read once: selection candidates, and public id + authors by paper id."""
    cards = [c for c in featured(session, period, limit=MAX_CANDIDATES) if c.pick is not None]
    candidates = [Candidate(c.paper.id, c.paper.title, c.paper.abstract, tuple(c.paper.categories), c.upvotes,
                            c.pick.day, c.pick.position) for c in cards if c.pick is not None]
    titles = {c.paper.id: (c.paper.arxiv_id or c.paper.local_key, list(c.paper.authors)) for c in cards}
    return candidates, titles


def digest_mail(settings: Settings, subscriber: Subscriber, period: Period,
                candidates: list[Candidate], titles: Titles) -> DigestMail:
    """What this subscriber's digest for ``period`` holds."""
    base = settings.effective_base_url
    items = select_digest(candidates, Topics(tuple(subscriber.categories), tuple(subscriber.keywords)),
                          subscriber.max_papers, "today" if period.kind == "day" else "this week")
    papers = []
    for item in items:
        arxiv_id, authors = titles[item.candidate.paper_id]
        public = arxiv_id or str(item.candidate.paper_id)
        papers.append(DigestPaper(item.candidate.title, author_line(authors), excerpt(item.candidate.abstract),
                                  item.reasons, f"{base}/papers/{public}",
                                  f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None))
    key = make_key(settings.effective_secret_key, "unsubscribe", subscriber.id)
    prefs = make_key(settings.effective_secret_key, "preferences", subscriber.id)
    return DigestMail(to=subscriber.email, subscriber_id=subscriber.id, period=period.label,
                      period_phrase="today" if period.kind == "day" else "this week", papers=papers,
                      unsubscribe_url=f"{base}/unsubscribe/{key}", preferences_url=f"{base}/preferences/{prefs}")


def send_period(engine: Engine, settings: Settings, period: Period, backend: MailBackend, *,
                clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None) -> SendReport:
    """Plan the period's digests and deliver every one that is due; returns the counts."""
    owner, report = uuid.uuid4().hex, SendReport()
    with Session(engine) as session, session.begin():
        report.planned = plan(session, period, clock())
        candidates, titles = period_papers(session, period)
    while True:
        with engine.begin() as conn:
            ids = claim(conn, owner, clock())
        if not ids:
            return report
        for row_id in ids:
            _deliver_one(engine, settings, period, backend, row_id, owner, candidates, titles, clock, report)
            if progress:
                progress(1)


def _deliver_one(engine: Engine, settings: Settings, period: Period, backend: MailBackend, row_id: int,
                 owner: str, candidates: list[Candidate], titles: Titles,
                 clock: Callable[[], datetime], report: SendReport) -> None:
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        subscriber = session.get(Subscriber, row.subscriber_id) if row else None
        if row is None or subscriber is None or not may_receive(session, subscriber):
            with engine.begin() as conn:
                record_suppressed(conn, row_id, owner, "no longer subscribed")
            report.suppressed += 1
            return
        mail = digest_mail(settings, subscriber, period, candidates, titles)
        if not mail.papers:  # an empty digest is noise: close the row, send nothing
            with engine.begin() as conn:
                record_skipped(conn, row_id, owner, "nothing matched")
            report.skipped += 1
            return
        message = render_digest(mail_env(), mail, sender=settings.mail_from, base_url=settings.effective_base_url)
        email = subscriber.email
    try:
        backend.send(message)  # no database lock is held while the mail server thinks
    except PermanentMailError as exc:
        with Session(engine) as session, session.begin():
            record_suppressed(session.connection(), row_id, owner, str(exc))
            suppress(session, email, "hard-bounce", now=clock())
        report.suppressed += 1
    except TransientMailError as exc:
        with Session(engine) as session, session.begin():
            if not record_retry(session.connection(), row_id, owner, clock(), str(exc)):
                suppress(session, email, "soft-bounces", now=clock())
                report.suppressed += 1
                return
        report.retried += 1
    else:
        with engine.begin() as conn:
            record_sent(conn, row_id, owner, clock())
        report.sent += 1
