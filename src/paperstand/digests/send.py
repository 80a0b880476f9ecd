"""Send digests: plan outbox rows (for a period, or what is due now), then claim-deliver-record until none is due."""

from __future__ import annotations

import sys
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.digests.models import OutboxMessage
from paperstand.digests.outbox import (
    LEASE,
    LEASE_MARGIN,
    SendReport,
    claim,
    plan,
    plan_due,
    record_retry,
    record_sent,
    record_skipped,
    record_suppressed,
    release,
    utcnow,
)
from paperstand.digests.render import (
    DigestBody,
    DigestMail,
    DigestPaper,
    author_line,
    digest_bytes,
    excerpt,
    message_id,
    render_body,
)
from paperstand.digests.select import Candidate, Topics, select_digest
from paperstand.mail.backends import MailBackend, RawMessage
from paperstand.mail.errors import PermanentMailError, TransientMailError
from paperstand.mail.templates import mail_env
from paperstand.papers.periods import Period, parse_day, parse_week
from paperstand.papers.queries import featured
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import receivable, suppress

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


def digest_papers(settings: Settings, subscriber: Subscriber, words: str, papers: Papers) -> list[DigestPaper]:
    """The papers this subscriber's digest shows, in order, with reasons and absolute links."""
    base = settings.effective_base_url
    candidates, titles = papers
    items = select_digest(candidates, Topics(tuple(subscriber.categories), tuple(subscriber.keywords)),
                          subscriber.max_papers, words)
    shown = []
    for item in items:
        arxiv_id, authors = titles[item.candidate.paper_id]
        public = arxiv_id or str(item.candidate.paper_id)
        shown.append(DigestPaper(item.candidate.title, author_line(authors), excerpt(item.candidate.abstract),
                                 item.reasons, f"{base}/papers/{public}",
                                 f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None))
    return shown


def _mail(settings: Settings, subscriber: Subscriber, label: str, words: str,
          papers: list[DigestPaper] | tuple[()]) -> DigestMail:
    base = settings.effective_base_url
    key = make_key(settings.effective_secret_key, "unsubscribe", subscriber.id)
    prefs = make_key(settings.effective_secret_key, "preferences", subscriber.id)
    return DigestMail(to=subscriber.email, subscriber_id=subscriber.id, period=label, period_phrase=words,
                      papers=papers, unsubscribe_url=f"{base}/unsubscribe/{key}",
                      preferences_url=f"{base}/preferences/{prefs}")


def digest_mail(settings: Settings, subscriber: Subscriber, label: str, days: Period, papers: Papers) -> DigestMail:
    """What this subscriber's digest ``label`` (covering ``days``) holds."""
    words = phrase(label, days)
    return _mail(settings, subscriber, label, words, digest_papers(settings, subscriber, words, papers))


class _Lru(OrderedDict[tuple[object, ...], Any]):
    """A bounded mapping that forgets the least recently used entry."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_fresh(self, key: tuple[object, ...]) -> Any:
        """The value, marked as just used; KeyError when absent."""
        self.move_to_end(key)
        return self[key]

    def put(self, key: tuple[object, ...], value: Any) -> None:
        """Store, dropping the oldest entry when full."""
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)


class _RunCache:
    """What one run reuses: featured papers per covered span, selections per topics, bodies per selection.

    Subscribers with the same topics, digest size and span get the same papers, and many different
    topics still select the same papers (a keyword that matches nothing this week), so selection runs
    once per distinct topics and rendering (Jinja, css-inline) once per distinct selection. Bounded
    LRUs keep memory flat.
    """

    SELECTIONS = 16384
    BODIES = 4096

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings, self.env = engine, settings, mail_env()
        self.spans: dict[Period, Papers] = {}
        self.selections = _Lru(self.SELECTIONS)
        self.bodies = _Lru(self.BODIES)

    def papers(self, days: Period) -> Papers:
        if days not in self.spans:
            with Session(self.engine) as session:
                self.spans[days] = period_papers(session, days)
        return self.spans[days]

    def body(self, subscriber: Subscriber, label: str, days: Period) -> DigestBody | None:
        """The rendered digest for this subscriber's selection; ``None`` when nothing matched."""
        words = phrase(label, days)
        topics = (days, words, tuple(subscriber.categories), tuple(subscriber.keywords), subscriber.max_papers)
        try:
            chosen, papers = self.selections.get_fresh(topics)
        except KeyError:
            papers = digest_papers(self.settings, subscriber, words, self.papers(days))
            chosen = (words, *((p.url, p.reasons) for p in papers))
            self.selections.put(topics, (chosen, papers))
        if not papers:
            return None
        try:
            return self.bodies.get_fresh(chosen)
        except KeyError:
            body = render_body(self.env, papers, words)
            self.bodies.put(chosen, body)
            return body


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
    """Claim, send and record outbox rows until none is due; safe to run in several processes at once.

    The mail server's round trips are waiting time, so one thread talks SMTP while this one prepares
    the next digest. Each outcome is committed as soon as the server answered, before the next message
    goes out: a crash leaves at most one message sent but unrecorded, which is re-sent (same
    Message-ID) when its lease expires.
    """
    run = _Run(engine, settings, backend, clock, progress)
    # The SMTP thread needs the interpreter only briefly after each reply, but with the default 5 ms
    # switch interval it waits behind the preparing thread, which soon waits for it in turn.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
    try:
        return _deliver(run, engine, clock)
    finally:
        sys.setswitchinterval(switch)


# Seconds between the interpreter's thread switches while delivering.
SWITCH_INTERVAL = 0.0005


def _deliver(run: _Run, engine: Engine, clock: Callable[[], datetime]) -> SendReport:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp") as wire:
        while True:
            claimed_at = clock()
            with engine.begin() as conn:
                ids = claim(conn, run.owner, claimed_at)
            if not ids:
                return run.report
            batch = _load(engine, ids)
            with engine.connect() as conn:  # one connection for the batch's bookkeeping
                for position, (row, subscriber, allowed) in enumerate(batch):
                    if clock() > claimed_at + LEASE - LEASE_MARGIN:
                        # The lease is about to run out (a slow mail server): hand the rest back
                        # rather than risk another sender taking them over while this one sends.
                        run.finish(conn)
                        release(conn, [r.id for r, _, _ in batch[position:]], run.owner)
                        conn.commit()
                        break
                    message = run.prepare(conn, row, subscriber, allowed)
                    run.finish(conn)  # the previous message's outcome, recorded before the next goes out
                    if message is not None:
                        run.in_flight = (wire.submit(run.backend.send, message), row.id, message.rcpt_to[0])
                run.finish(conn)


class _Run:
    """One delivery run's state: its lease owner, caches, counts, and the message on the wire."""

    def __init__(self, engine: Engine, settings: Settings, backend: MailBackend, clock: Callable[[], datetime],
                 progress: Callable[[int], None] | None) -> None:
        self.engine, self.settings, self.backend, self.clock, self.progress = engine, settings, backend, clock, progress
        self.owner, self.report, self.cache = uuid.uuid4().hex, SendReport(), _RunCache(engine, settings)
        self.envelope_from = parseaddr(settings.mail_from)[1] or settings.mail_from
        self.in_flight: tuple[Future[None], int, str] | None = None

    def _done(self) -> None:
        if self.progress:
            self.progress(1)

    def prepare(self, conn: Connection, row: OutboxMessage, subscriber: Subscriber | None,
                allowed: bool) -> RawMessage | None:
        """The row's message, or ``None`` when the row was closed without mail (unsubscribed, nothing matched)."""
        if subscriber is None or not allowed:
            record_suppressed(conn, row.id, self.owner, "no longer subscribed")
            conn.commit()
            self.report.suppressed += 1
            self._done()
            return None
        days = covered_days(row.period, row.first_day, row.last_day)
        body = self.cache.body(subscriber, row.period, days)
        if body is None:  # an empty digest is noise: close the row, send nothing
            record_skipped(conn, row.id, self.owner, "nothing matched")
            conn.commit()
            self.report.skipped += 1
            self._done()
            return None
        mail = _mail(self.settings, subscriber, row.period, phrase(row.period, days), ())
        base = self.settings.effective_base_url
        return RawMessage(self.envelope_from, (subscriber.email,),
                          digest_bytes(body, mail, sender=self.settings.mail_from, base_url=base),
                          message_id(subscriber.id, row.period, base))

    def finish(self, conn: Connection) -> None:
        """Wait for the message on the wire, if any, and record what the server said."""
        if self.in_flight is None:
            return
        future, row_id, email = self.in_flight
        self.in_flight = None
        try:
            future.result()  # no database lock is held while the mail server thinks
        except PermanentMailError as exc:
            with Session(self.engine) as session, session.begin():
                record_suppressed(session.connection(), row_id, self.owner, str(exc))
                suppress(session, email, "hard-bounce", now=self.clock())
            self.report.suppressed += 1
        except TransientMailError as exc:
            with Session(self.engine) as session, session.begin():
                if record_retry(session.connection(), row_id, self.owner, self.clock(), str(exc)):
                    self.report.retried += 1
                else:
                    suppress(session, email, "soft-bounces", now=self.clock())
                    self.report.suppressed += 1
        else:
            record_sent(conn, row_id, self.owner, self.clock())
            conn.commit()
            self.report.sent += 1
        self._done()


def _load(engine: Engine, ids: list[int]) -> list[tuple[OutboxMessage, Subscriber | None, bool]]:
    """The claimed rows with their subscribers and whether each may still receive mail, in three queries."""
    with Session(engine) as session:
        rows = session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                               .order_by(OutboxMessage.id)).scalars().all()
        subs = {s.id: s for s in session.execute(select(Subscriber).where(
            Subscriber.id.in_({r.subscriber_id for r in rows}))).scalars()}
        allowed = receivable(session, list(subs.values()))
        return [(r, subs.get(r.subscriber_id), r.subscriber_id in allowed) for r in rows]
