"""Send digests: plan outbox rows (for a period, or what is due now), then claim-deliver-record until none is due."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.digests.models import OutboxMessage
from paperstand.digests.outbox import (
    SendReport,
    claim,
    plan,
    plan_due,
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
from paperstand.papers.periods import Period, parse_day, parse_week
from paperstand.papers.queries import featured
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import may_receive, suppress

# Picks a digest can choose from in one period (a week of busy days).
MAX_CANDIDATES = 500


Titles = dict[int, tuple[str | None, list[str]]]
Papers = tuple[list[Candidate], Titles]


def period_papers(session: Session, period: Period) -> Papers:
    """The period's featured papers, read once: selection candidates, and public id + authors by paper id."""
    cards = [c for c in featured(session, period, limit=MAX_CANDIDATES) if c.pick is not None]
    candidates = [Candidate(c.paper.id, c.paper.title, c.paper.abstract, tuple(c.paper.categories), c.upvotes,
                            c.pick.day, c.pick.position) for c in cards if c.pick is not None]
    titles = {c.paper.id: (c.paper.arxiv_id or c.paper.local_key, list(c.paper.authors)) for c in cards}
    return candidates, titles


def covered_days(label: str, first_day: date | None, last_day: date | None) -> Period:
    """The featured days an outbox row's digest covers (rows planned before ranges were kept: its label)."""
    if first_day is not None and last_day is not None:
        return Period("week" if "-W" in label else "day", first_day, last_day + timedelta(days=1))
    return parse_week(label) if "-W" in label else parse_day(label)


def phrase(label: str, days: Period) -> str:
    """How the digest names its span: "today", "this week" or "since Mar 2"."""
    if "-W" in label:
        return "this week"
    if days.end - days.start <= timedelta(days=1):
        return "today"
    return f"since {days.start.strftime('%b')} {days.start.day}"


def digest_mail(settings: Settings, subscriber: Subscriber, label: str, days: Period, papers: Papers) -> DigestMail:
    """What this subscriber's digest ``label`` (covering ``days``) holds."""
    base = settings.effective_base_url
    candidates, titles = papers
    words = phrase(label, days)
    items = select_digest(candidates, Topics(tuple(subscriber.categories), tuple(subscriber.keywords)),
                          subscriber.max_papers, words)
    shown = []
    for item in items:
        arxiv_id, authors = titles[item.candidate.paper_id]
        public = arxiv_id or str(item.candidate.paper_id)
        shown.append(DigestPaper(item.candidate.title, author_line(authors), excerpt(item.candidate.abstract),
                                 item.reasons, f"{base}/papers/{public}",
                                 f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None))
    key = make_key(settings.effective_secret_key, "unsubscribe", subscriber.id)
    prefs = make_key(settings.effective_secret_key, "preferences", subscriber.id)
    return DigestMail(to=subscriber.email, subscriber_id=subscriber.id, period=label, period_phrase=words,
                      papers=shown, unsubscribe_url=f"{base}/unsubscribe/{key}",
                      preferences_url=f"{base}/preferences/{prefs}")


class _PaperCache:
    """Featured papers per covered span, read once per run (most rows share a handful of spans)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.spans: dict[Period, Papers] = {}

    def get(self, days: Period) -> Papers:
        if days not in self.spans:
            with Session(self.engine) as session:
                self.spans[days] = period_papers(session, days)
        return self.spans[days]


def send_period(engine: Engine, settings: Settings, period: Period, backend: MailBackend, *,
                clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None) -> SendReport:
    """Plan the period's digests for its frequency's subscribers, then deliver everything due."""
    with Session(engine) as session, session.begin():
        planned = plan(session, period, clock())
    report = deliver(engine, settings, backend, clock=clock, progress=progress)
    report.planned = planned
    return report


def send_due(engine: Engine, settings: Settings, backend: MailBackend, *,
             clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None) -> SendReport:
    """Plan what is due now by each subscriber's send hour and time zone, then deliver everything due."""
    with Session(engine) as session, session.begin():
        planned = plan_due(session, clock())
    report = deliver(engine, settings, backend, clock=clock, progress=progress)
    report.planned = planned
    return report


def deliver(engine: Engine, settings: Settings, backend: MailBackend, *,
            clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None) -> SendReport:
    """Claim, send and record outbox rows until none is due; safe to run in several processes at once."""
    owner, report, cache = uuid.uuid4().hex, SendReport(), _PaperCache(engine)
    while True:
        with engine.begin() as conn:
            ids = claim(conn, owner, clock())
        if not ids:
            return report
        for row_id in ids:
            _deliver_one(engine, settings, backend, row_id, owner, cache, clock, report)
            if progress:
                progress(1)


def _deliver_one(engine: Engine, settings: Settings, backend: MailBackend, row_id: int, owner: str,
                 cache: _PaperCache, clock: Callable[[], datetime], report: SendReport) -> None:
    with Session(engine) as session:
        row = session.get(OutboxMessage, row_id)
        subscriber = session.get(Subscriber, row.subscriber_id) if row else None
        if row is None or subscriber is None or not may_receive(session, subscriber):
            with engine.begin() as conn:
                record_suppressed(conn, row_id, owner, "no longer subscribed")
            report.suppressed += 1
            return
        days = covered_days(row.period, row.first_day, row.last_day)
        mail = digest_mail(settings, subscriber, row.period, days, cache.get(days))
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
