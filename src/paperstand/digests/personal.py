"""What a member's digest adds to a subscriber's: recommendations with 👍/👎 links, follows, watch alerts.

A subscription is a member's when its address is the member's verified one (``Subscriber.member_id``);
every other subscriber's digest is built exactly as before.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.config import Settings
from paperstand.digests.ratings import make_rate_key
from paperstand.digests.sections import Section, SectionItem
from paperstand.follows import alerts
from paperstand.follows.matching import PaperFacts, follow_matches, member_rules, paper_facts, reasons_for
from paperstand.mail.headers import header_text
from paperstand.papers.links import paper_path
from paperstand.papers.models import Paper
from paperstand.papers.periods import Period
from paperstand.subscriptions.models import Subscriber

log = logging.getLogger("paperstand.digests")

# Recommended papers a digest shows.
RECOMMENDED = 5
# Papers from the member's follows a digest shows.
FOLLOWED = 5
# arXiv announces a paper a day or more after it is sent in, and a day's featured papers reach back further:
# the personal sections look at papers published this many days before the digest's first day, too.
LOOKBACK = timedelta(days=3)
# The most papers of a span the follow matcher reads (a week of every arXiv category is about 20,000).
MAX_SPAN_PAPERS = 5000


def member_of(session: Session, subscriber: Subscriber) -> int | None:
    """The member whose digest this subscription is: linked, or of the same verified address."""
    if subscriber.member_id is not None:
        return subscriber.member_id
    return session.scalar(select(Member.id).where(Member.email == subscriber.email,
                                                  Member.email_verified_at.is_not(None)))


def member_addresses(session: Session) -> dict[str, int]:
    """Verified members' ids by address, for the subscriptions of those addresses not linked to them yet."""
    rows = session.execute(select(Subscriber.email, Member.id).join(Member, Member.email == Subscriber.email)
                           .where(Subscriber.member_id.is_(None), Member.email_verified_at.is_not(None)))
    return {email: member_id for email, member_id in rows}


def window(days: Period) -> tuple[date, date]:
    """The publication dates ``[start, end)`` the personal sections choose from, for a digest covering ``days``."""
    return days.start - LOOKBACK, days.end


def recommended_for_digest(session: Session, *, member_id: int, start: date, end: date, limit: int,
                           settings: Settings) -> list[tuple[int, list[str]]]:
    """(paper id, reasons) of the member's recommendations, through ``recommend.service.recommendations``.

    A failing recommender costs the digest this section only: the rest is sent, and the failure logged.
    """
    try:
        from paperstand.recommend.service import recommendations

        found = recommendations(session, member_id=member_id, start=start, end=end, limit=limit, settings=settings)
    except Exception:  # noqa: BLE001 - any failure of the model must not stop the member's digest
        log.exception("digest: recommendations for member %s left out", member_id)
        return []
    return [(item.paper_id, list(item.reasons)) for item in found]


def _papers(session: Session, ids: Collection[int]) -> dict[int, Paper]:
    return {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(list(ids))))} if ids else {}


def _rated(base: str, secret: bytes, member_id: int, paper: Paper, reasons: list[str]) -> SectionItem:
    up, down = (f"{base}/rate/{make_rate_key(secret, member_id=member_id, paper_id=paper.id, rating=r)}"
                for r in (1, -1))
    return SectionItem(header_text(paper.title), base + paper_path(paper), tuple(header_text(r) for r in reasons),
                       up, down)


def span_ids(session: Session, start: date, end: date) -> list[int]:
    """The papers published in ``[start, end)``, newest first (at most :data:`MAX_SPAN_PAPERS`)."""
    low, high = (datetime.combine(d, time(), UTC) for d in (start, end))
    return list(session.scalars(select(Paper.id).where(
        Paper.published_at >= low, Paper.published_at < high, Paper.withdrawn.is_(False))
        .order_by(Paper.published_at.desc(), Paper.id.desc()).limit(MAX_SPAN_PAPERS)))


def followed_papers(session: Session, *, member_id: int, facts: Sequence[PaperFacts],
                    exclude: Collection[int]) -> list[tuple[int, list[str]]]:
    """(paper id, reasons) of the first papers of ``facts`` (newest first) the member's follows match."""
    rules = member_rules(session, member_id=member_id)
    found: list[tuple[int, list[str]]] = []
    for paper in facts if rules else ():
        if paper.paper_id not in exclude and (reasons := reasons_for(paper, rules)):
            found.append((paper.paper_id, reasons))
            if len(found) >= FOLLOWED:
                break
    return found


class SpanFacts:
    """The papers of each span read once for a whole send run (every member is matched against the same ones)."""

    def __init__(self) -> None:
        self._spans: dict[tuple[date, date], list[PaperFacts]] = {}

    def get(self, session: Session, start: date, end: date) -> list[PaperFacts]:
        """The span's papers, newest first, read on first use."""
        if (start, end) not in self._spans:
            if len(self._spans) > 8:  # a run covers a day or a week, rarely more: keep memory flat
                self._spans.clear()
            self._spans[(start, end)] = paper_facts(session, span_ids(session, start, end))
        return self._spans[(start, end)]


def member_sections(session: Session, *, settings: Settings, base: str, member_id: int, days: Period,
                    digest_row_id: int | None, now: datetime, shown: Collection[int] = (),
                    spans: SpanFacts | None = None) -> list[Section]:
    """The member's own sections of this digest, in order; empty ones are left out.

    Papers the digest already lists (``shown``) are not repeated; a recommended paper that a follow also
    matches says both why it is recommended and which follow it matches. Without ``digest_row_id`` (a
    preview) the waiting watch alerts are shown but not claimed.
    """
    start, end = window(days)
    secret = settings.effective_secret_key
    found = recommended_for_digest(session, member_id=member_id, start=start, end=end,
                                   limit=RECOMMENDED + len(shown), settings=settings)
    found = [(p, r) for p, r in found if p not in shown][:RECOMMENDED]
    matched = follow_matches(session, member_id=member_id, paper_ids=[p for p, _ in found])
    recs = [(p, list(dict.fromkeys([*r, *matched.get(p, [])]))) for p, r in found]
    facts = (spans or SpanFacts()).get(session, start, end)
    follows = followed_papers(session, member_id=member_id, facts=facts, exclude={p for p, _ in recs} | set(shown))
    papers = _papers(session, {p for p, _ in recs} | {p for p, _ in follows})
    sections = []
    if rec_items := tuple(_rated(base, secret, member_id, papers[p], r) for p, r in recs if p in papers):
        sections.append(Section("recommended", "Recommended for you", rec_items))
    if follow_items := tuple(SectionItem(header_text(papers[p].title), base + paper_path(papers[p]),
                                         tuple(header_text(x) for x in r)) for p, r in follows if p in papers):
        sections.append(Section("follows", "From what you follow", follow_items))
    if alerts.delivery_of(session, member_id=member_id) == "digest":
        folded = (alerts.pending_alerts(session, member_id=member_id) if digest_row_id is None else
                  alerts.fold_into_digest(session, member_id=member_id, digest_row_id=digest_row_id, now=now))
        if folded:
            sections.append(Section("watch", "Papers you watch", tuple(
                SectionItem(header_text(a.paper_title), base + a.paper_path + a.anchor, (header_text(a.sentence),))
                for a in folded)))
    return sections
