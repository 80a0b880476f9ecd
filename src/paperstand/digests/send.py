"""Send digests: plan outbox rows (for a period, or what is due now), then claim-deliver-record until none is due."""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.digests.due import local_time, week_label
from paperstand.digests.outbox import (
    LEASE,
    LEASE_MARGIN,
    OUT,
    SendReport,
    claim,
    plan,
    plan_due,
    record_retry,
    record_sent_many,
    record_skipped,
    record_suppressed,
    release,
    utcnow,
)
from paperstand.digests.pace import Pacer
from paperstand.digests.personal import SpanFacts, member_addresses, member_sections
from paperstand.digests.render import DigestBody, DigestMail, DigestPaper, Renderer, digest_bytes, excerpt, message_id
from paperstand.digests.select import Candidate, Selector, Topics
from paperstand.mail.backends import MailBackend, Outcome, RawMessage, open_stream
from paperstand.mail.errors import PermanentMailError
from paperstand.mail.headers import header_text, sender_address
from paperstand.mail.templates import mail_env
from paperstand.papers.links import arxiv_abs_url, author_line, paper_path
from paperstand.papers.periods import Period, of_words, parse_period, span_words
from paperstand.papers.queries import featured
from paperstand.ranking.queries import stored_scores
from paperstand.site.service import guess_warning, resolve_public_url
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import receivable, suppress

log = logging.getLogger("paperstand.digests")

# Picks a digest can choose from in one period (a week of busy days).
MAX_CANDIDATES = 500


class PaperLinks(NamedTuple):
    """What a digest shows of a paper besides its title: its page (site-relative), arXiv link, authors."""

    path: str
    arxiv_url: str | None
    authors: str


Titles = dict[int, PaperLinks]
Papers = tuple[Selector, Titles]


def period_papers(session: Session, period: Period) -> Papers:
    """The period's featured papers, read once: a selector over them, and their links by paper id."""
    # In trending order, so that a period with more picks than MAX_CANDIDATES keeps its best.
    cards = [c for c in featured(session, period, sort="trending", limit=MAX_CANDIDATES) if c.pick is not None]
    scores = stored_scores(session, [c.paper.id for c in cards])
    candidates = [Candidate(c.paper.id, c.paper.title, c.paper.abstract, tuple(c.paper.categories), c.upvotes,
                            c.pick.day, c.pick.position, scores.get(c.paper.id)) for c in cards if c.pick is not None]
    titles = {c.paper.id: PaperLinks(paper_path(c.paper), arxiv_abs_url(c.paper), author_line(c.paper.authors))
              for c in cards}
    return Selector(candidates), titles


def covered_days(label: str, first_day: date | None, last_day: date | None) -> Period:
    """The featured days an outbox row's digest covers (rows planned before ranges were kept: its label)."""
    if first_day is not None and last_day is not None:
        return Period("week" if "-W" in label else "day", first_day, last_day + timedelta(days=1))
    return parse_period(label, ("day", "week"))


def phrase(label: str, days: Period, today: date) -> str:
    """How the digest names its span, ``today`` being the subscriber's local date when it is sent.

    The current day or week reads "today", "this week" or "since Mar 2" (a catch-up after days
    without a digest); any other is named: "of 11 March 2025", "of the week 2025-W11".
    """
    last = days.end - timedelta(days=1)
    if "-W" in label:
        return "this week" if label == week_label(today) else of_words(parse_period(label, ("week",)))
    if label == today.isoformat():
        return "today" if days.start >= last else f"since {days.start.strftime('%b')} {days.start.day}"
    return f"of {span_words(days.start, last)}" if days.start < last else of_words(parse_period(label, ("day",)))


def local_today(subscriber: Subscriber, now: datetime) -> date:
    """The subscriber's date at ``now``, in their time zone."""
    return local_time(now, subscriber.timezone).date()


def topics_of(subscriber: Subscriber) -> Topics:
    """A subscriber's topics in a canonical order (sorted, no repeats), which is also the order of the reasons."""
    return Topics(tuple(sorted(set(subscriber.categories))), tuple(sorted(set(subscriber.keywords))))


def digest_papers(base: str, subscriber: Subscriber, words: str, papers: Papers) -> list[DigestPaper]:
    """The papers this subscriber's digest shows, in order, with reasons and absolute links on ``base``."""
    selector, titles = papers
    items = selector.select(topics_of(subscriber), subscriber.max_papers, words)
    shown = []
    for item in items:
        links = titles[item.candidate.paper_id]
        # Stored text is never trusted in a mail: a control character in an old row becomes a space.
        shown.append(DigestPaper(header_text(item.candidate.title), header_text(links.authors),
                                 header_text(excerpt(item.candidate.abstract)), item.reasons,
                                 base + links.path, links.arxiv_url, item.candidate.paper_id))
    return shown


def _mail(settings: Settings, base: str, subscriber: Subscriber, label: str, words: str,
          papers: list[DigestPaper] | tuple[()]) -> DigestMail:
    key = make_key(settings.effective_secret_key, "unsubscribe", subscriber.id)
    prefs = make_key(settings.effective_secret_key, "preferences", subscriber.id)
    return DigestMail(to=subscriber.email, subscriber_id=subscriber.id, period=label, period_phrase=words,
                      papers=papers, unsubscribe_url=f"{base}/unsubscribe/{key}",
                      preferences_url=f"{base}/preferences/{prefs}")


def digest_mail(settings: Settings, base: str, subscriber: Subscriber, label: str, days: Period, papers: Papers,
                now: datetime) -> DigestMail:
    """What this subscriber's digest ``label`` (covering ``days``) holds when sent at ``now``."""
    words = phrase(label, days, local_today(subscriber, now))
    return _mail(settings, base, subscriber, label, words, digest_papers(base, subscriber, words, papers))


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
    once per distinct topics and a body is put together once per distinct selection (from pieces the
    :class:`Renderer` renders once per paper). Bounded LRUs keep memory flat.
    """

    SELECTIONS = 16384
    BODIES = 4096

    def __init__(self, engine: Engine, base: str) -> None:
        self.engine, self.base, self.renderer = engine, base, Renderer(mail_env())
        self.spans: dict[Period, Papers] = {}
        self.selections = _Lru(self.SELECTIONS)
        self.bodies = _Lru(self.BODIES)

    def papers(self, days: Period) -> Papers:
        if days not in self.spans:
            with Session(self.engine) as session:
                self.spans[days] = period_papers(session, days)
        return self.spans[days]

    def body(self, subscriber: Subscriber, label: str, days: Period, words: str) -> DigestBody | None:
        """The rendered digest (its span called ``words``) for this subscriber's selection; ``None`` if empty."""
        wanted = topics_of(subscriber)
        topics = (days, words, wanted.categories, wanted.keywords, subscriber.max_papers)
        try:
            chosen, papers = self.selections.get_fresh(topics)
        except KeyError:
            papers = digest_papers(self.base, subscriber, words, self.papers(days))
            chosen = (words, *((p.url, p.reasons) for p in papers))
            self.selections.put(topics, (chosen, papers))
        if not papers:
            return None
        try:
            return self.bodies.get_fresh(chosen)
        except KeyError:
            body = self.renderer.body(papers, words)
            self.bodies.put(chosen, body)
            return body


def send_period(engine: Engine, settings: Settings, period: Period, backend: MailBackend, *,
                clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None,
                base_url: str | None = None, pacer: Pacer | None = None) -> SendReport:
    """Plan the period's digests for its frequency's subscribers, then deliver everything due."""
    with Session(engine) as session, session.begin():
        planned = plan(session, period, clock())
    report = deliver(engine, settings, backend, clock=clock, progress=progress, base_url=base_url, pacer=pacer)
    report.planned = planned
    return report


def send_due(engine: Engine, settings: Settings, backend: MailBackend, *,
             clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None,
             base_url: str | None = None, pacer: Pacer | None = None) -> SendReport:
    """Plan what is due now by each subscriber's send hour and time zone, then deliver everything due."""
    with Session(engine) as session, session.begin():
        planned = plan_due(session, clock())
    report = deliver(engine, settings, backend, clock=clock, progress=progress, base_url=base_url, pacer=pacer)
    report.planned = planned
    return report


def links_base(engine: Engine, settings: Settings) -> str:
    """The base URL digests link to (see :mod:`paperstand.site.service`); a guess is logged as a warning."""
    public = resolve_public_url(engine, settings)
    if public.guessed:
        log.warning("%s", guess_warning(public.url))
    return public.url


def deliver(engine: Engine, settings: Settings, backend: MailBackend, *,
            clock: Callable[[], datetime] = utcnow, progress: Callable[[int], None] | None = None,
            base_url: str | None = None, pacer: Pacer | None = None) -> SendReport:
    """Claim, send and record outbox rows until none is due; safe to run in several processes at once.

    Messages go out through the backend's stream: over SMTP each message costs one round trip, and the
    server works on one message while this process prepares the next. ``PAPERSTAND_MAIL_RATE`` caps how
    many go out a second (see :mod:`paperstand.digests.pace`). Outcomes are written in small
    groups (:data:`RECORD_EVERY`), each in one short transaction: a crash can leave that many messages
    sent but unrecorded, all of them under this sender's lease, and they are re-sent (same Message-ID)
    when the lease expires. Links go to ``base_url``, by default :func:`links_base`; ``pacer`` (by
    default one at ``PAPERSTAND_MAIL_RATE`` on the real clock) spaces the messages.
    """
    run = _Run(engine, settings, backend, clock, progress, base_url or links_base(engine, settings))
    stream = open_stream(backend)
    pacer = pacer or Pacer(settings.mail_rate)
    claim_size = pacer.batch_size(LEASE.total_seconds(), CLAIM_SIZE)
    while True:
        claimed_at = clock()
        with engine.begin() as conn:
            ids = claim(conn, run.owner, claimed_at, limit=claim_size)
        if not ids:
            return run.report
        batch = _load(engine, ids)
        with engine.connect() as conn:  # one connection for the batch's bookkeeping
            for position, (row, subscriber, allowed) in enumerate(batch):
                if clock() > claimed_at + LEASE - LEASE_MARGIN:
                    # The lease is about to run out (a slow mail server): hand the rest back
                    # rather than risk another sender taking them over while this one sends.
                    run.settle(conn, stream.flush(), final=True)
                    release(conn, [r.id for r, _, _ in batch[position:]], run.owner)
                    conn.commit()
                    break
                message = run.prepare(row, subscriber, allowed)
                if message is not None:
                    pacer.wait()
                    run.settle(conn, stream.push(message, (row.id, message.rcpt_to[0])))
            run.settle(conn, stream.flush(), final=True)


# Outcomes written per transaction: one commit per message cost as much as rendering the message.
RECORD_EVERY = 32
# ... or after this many seconds, whichever comes first (a rate cap can make 32 messages take a while).
RECORD_INTERVAL_S = 1.0
# Rows claimed at once (fewer under a rate cap: see Pacer.batch_size).
CLAIM_SIZE = 100


class _Run:
    """One delivery run's state: its lease owner, caches, counts, and outcomes not yet written."""

    def __init__(self, engine: Engine, settings: Settings, backend: MailBackend, clock: Callable[[], datetime],
                 progress: Callable[[int], None] | None, base: str) -> None:
        self.engine, self.settings, self.backend, self.clock, self.progress = engine, settings, backend, clock, progress
        self.base = base.rstrip("/")
        self.owner, self.report, self.cache = uuid.uuid4().hex, SendReport(), _RunCache(engine, self.base)
        self.envelope_from = parseaddr(settings.mail_from)[1] or settings.mail_from
        self.sender = sender_address(settings.mail_from, settings.site_name)
        self.sent: list[dict[str, object]] = []
        self.closed: list[tuple[int, str, str]] = []  # (row id, status, reason): rows closed without mail
        self.written_at = time.monotonic()
        self._member_ids: dict[str, int] | None = None
        self.spans = SpanFacts()  # the papers members' follows are matched against, read once per run

    def _done(self, count: int = 1) -> None:
        if self.progress and count:
            self.progress(count)

    def prepare(self, row: _Row, subscriber: Subscriber | None, allowed: bool) -> RawMessage | None:
        """The row's message, or ``None`` when the row is closed without mail (unsubscribed, nothing matched)."""
        if subscriber is None or not allowed:
            self.closed.append((row.id, "suppressed", "no longer subscribed"))
            return None
        try:
            return self._message(row, subscriber)
        except ValueError as exc:
            # One digest that cannot be built (an address stored with a control character) is closed and
            # reported; the run goes on to every other subscriber rather than stopping for it.
            log.warning("digest %s for subscriber %s left out: %s", row.period, subscriber.id, exc)
            self.closed.append((row.id, "skipped", f"could not be built: {exc}"[:200]))
            return None

    def _message(self, row: _Row, subscriber: Subscriber) -> RawMessage | None:
        days = covered_days(row.period, row.first_day, row.last_day)
        words = phrase(row.period, days, local_today(subscriber, self.clock()))
        member_id = subscriber.member_id or self.member_ids().get(subscriber.email)
        if member_id is not None:  # a member's digest adds their own sections (digests.personal)
            body = self._member_body(row, subscriber, days, words, member_id)
        else:
            body = self.cache.body(subscriber, row.period, days, words)
        if body is None:  # an empty digest is noise: close the row, send nothing
            self.closed.append((row.id, "skipped", "nothing matched"))
            return None
        mail = _mail(self.settings, self.base, subscriber, row.period, words, ())
        return RawMessage(self.envelope_from, (subscriber.email,),
                          digest_bytes(body, mail, sender=self.sender, base_url=self.base,
                                       site_name=self.settings.site_name),
                          message_id(subscriber.id, row.period, self.base))

    def member_ids(self) -> dict[str, int]:
        """Members by the address of a subscription made after they verified it (so not linked yet); read once."""
        if self._member_ids is None:
            with Session(self.engine) as session:
                self._member_ids = member_addresses(session)
        return self._member_ids

    def _member_body(self, row: _Row, subscriber: Subscriber, days: Period, words: str,
                     member_id: int) -> DigestBody | None:
        """The subscriber's digest plus the member's recommendations, follows and watch alerts; never shared."""
        papers = digest_papers(self.base, subscriber, words, self.cache.papers(days))
        with Session(self.engine) as session:
            sections = member_sections(session, settings=self.settings, base=self.base, member_id=member_id,
                                       days=days, digest_row_id=row.id, now=self.clock(),
                                       shown={p.paper_id for p in papers if p.paper_id is not None},
                                       spans=self.spans)
        if not papers and not sections:
            return None
        return self.cache.renderer.body(papers, words, sections=sections)

    def settle(self, conn: Connection, outcomes: list[Outcome], final: bool = False) -> None:
        """Take in the mail server's answers; write them when enough have gathered (or ``final``)."""
        now = None
        for (row_id, email), error in outcomes:
            if error is None:
                now = now or self.clock()
                self.sent.append({"row_id": row_id, "owner": self.owner, "now": now})
            else:
                self._failed(row_id, email, error)
        if (final or len(self.sent) + len(self.closed) >= RECORD_EVERY
                or time.monotonic() - self.written_at >= RECORD_INTERVAL_S):
            self._write(conn)

    def _write(self, conn: Connection) -> None:
        """Record the gathered outcomes in one short transaction (no lock is held between groups)."""
        if not self.sent and not self.closed:
            return
        if self.sent:
            record_sent_many(conn, self.sent)
        for row_id, status, reason in self.closed:
            (record_skipped if status == "skipped" else record_suppressed)(conn, row_id, self.owner, reason)
        conn.commit()
        self.written_at = time.monotonic()
        skipped = sum(1 for _, status, _ in self.closed if status == "skipped")
        self.report.sent += len(self.sent)
        self.report.skipped += skipped
        self.report.suppressed += len(self.closed) - skipped
        self._done(len(self.sent) + len(self.closed))
        self.sent, self.closed = [], []

    def _failed(self, row_id: int, email: str, error: Exception) -> None:
        """A refusal or a temporary failure, recorded at once (they are few)."""
        with Session(self.engine) as session, session.begin():
            if isinstance(error, PermanentMailError):
                record_suppressed(session.connection(), row_id, self.owner, str(error))
                suppress(session, email, "hard-bounce", now=self.clock(), journal=self.settings)
                self.report.suppressed += 1
            elif record_retry(session.connection(), row_id, self.owner, self.clock(), str(error)):
                self.report.retried += 1
            else:
                suppress(session, email, "soft-bounces", now=self.clock(), journal=self.settings)
                self.report.suppressed += 1
        self._done()


class _Row(NamedTuple):
    """What sending needs of an outbox row."""

    id: int
    subscriber_id: int
    period: str
    first_day: date | None
    last_day: date | None


def _load(engine: Engine, ids: list[int]) -> list[tuple[_Row, Subscriber | None, bool]]:
    """The claimed rows with their subscribers and whether each may still receive mail, in three queries."""
    with Session(engine) as session:
        rows = [_Row(*r) for r in session.execute(select(OUT.c.id, OUT.c.subscriber_id, OUT.c.period, OUT.c.first_day,
                                                         OUT.c.last_day).where(OUT.c.id.in_(ids)).order_by(OUT.c.id))]
        subs = {s.id: s for s in session.execute(select(Subscriber).where(
            Subscriber.id.in_({r.subscriber_id for r in rows}))).scalars()}
        allowed = receivable(session, list(subs.values()))
        return [(r, subs.get(r.subscriber_id), r.subscriber_id in allowed) for r in rows]
