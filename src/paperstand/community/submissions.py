"""A member submits a paper by arXiv id or arXiv link; an accepted one is on today's list, "Submitted by @name".

The page form and the write API both call ``submit``. A paper not stored yet is fetched from arXiv's API
by id (``arxiv_lookup``) before any transaction opens, then stored and featured in one transaction: a
refusal or a failure leaves nothing behind.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.arxiv_lookup import FetchPaper, store_fetched, stored_paper
from paperstand.community.locks import day_key, hold, member_key, paper_key
from paperstand.community.submission_rules import SOURCE, Rules, already_on, check_member, check_paper
from paperstand.config import Settings
from paperstand.dialect import insert_or_ignore
from paperstand.errors import BadRequest, DomainError, NotFound
from paperstand.ingest.record import PaperRecord
from paperstand.papers.ids import ACCEPTED_REFERENCES, parse_arxiv_reference
from paperstand.papers.models import DailyPick, Paper
from paperstand.search.sync import keyword_index_dir, sync_fast_index

log = logging.getLogger("paperstand.submissions")
# Longest text the submission box takes: the longest arXiv link with a query string fits many times.
MAX_TEXT = 300
# A harvest storing the same new paper at the same moment wins the papers' unique key; one retry then
# finds its row and merges into it.
CONFLICT_RETRIES = 1


def parse_submission(text: str) -> str:
    """The arXiv id (without version) in what a member typed; a 400 naming the accepted forms otherwise."""
    parsed = parse_arxiv_reference(text[:MAX_TEXT]) if len(text) <= MAX_TEXT else None
    if parsed is None:
        typed = text.strip()
        message = f"{typed[:60]!r} is not an arXiv id or arXiv link" if typed else "type an arXiv id or arXiv link"
        raise BadRequest(message, hint=f"Submit {ACCEPTED_REFERENCES}.")
    return parsed[0]


def today(now: datetime) -> date:
    """The day a submission made at ``now`` lands on: the UTC day (the site has no time zone of its own)."""
    return now.astimezone(UTC).date()


def submit(session: Session, *, member: Member, text: str, now: datetime, settings: Settings,
           fetch_paper: FetchPaper) -> DailyPick:
    """Put the paper ``text`` names on today's list for ``member``, if the rules allow; the new pick. Commits."""
    rules, day = Rules.of(settings), today(now)
    # Checked once without locks, so that a refused submission never costs arXiv a request (and before
    # the text is read: whoever may not submit is told so, whatever they typed) ...
    check_member(session, _member(session, member.id), day, rules)
    arxiv_id = parse_submission(text)
    paper = stored_paper(session, arxiv_id)
    if paper is not None:
        check_paper(session, paper, day, rules)
    session.rollback()  # ... and no transaction stays open while arXiv answers.
    record = fetch_paper(arxiv_id) if paper is None else None
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            pick = _submit_locked(session, member_id=member.id, arxiv_id=arxiv_id, record=record, day=day,
                                  now=now, rules=rules)
            break
        except IntegrityError:
            session.rollback()
            if attempt == CONFLICT_RETRIES:
                raise
        except DomainError:
            session.rollback()  # let the locks go now, not when the request's session closes
            raise
    if record is not None:
        _index_for_search(session, settings)
    return pick


def _submit_locked(session: Session, *, member_id: int, arxiv_id: str, record: PaperRecord | None, day: date,
                   now: datetime, rules: Rules) -> DailyPick:
    """The checks again, then the store and the pick, holding the member's, the paper's and the day's locks.

    Why locks and not only the unique key: ``uq_daily_picks_day_paper`` makes fifty identical submissions
    leave one pick for one day, but "no duplicates" means on *any* day, and a submission at 23:59:59 and
    one at 00:00:01 name two days the key cannot connect. Holding the paper's lock (by arXiv id, so it
    holds before the paper is stored) while reading "is it on any day?" and inserting makes the second
    of them read the first one's pick. The member's lock does the same for the daily limit, the day's
    for positions. The insert still ignores a conflict on the key, for writers that take no lock (an import).
    """
    hold(session, member_key(member_id), paper_key(arxiv_id), day_key(day))
    member = _member(session, member_id)
    check_member(session, member, day, rules)
    paper = stored_paper(session, arxiv_id)
    if paper is None and record is not None:
        paper = store_fetched(session, record, now=now)
    if paper is None:
        raise NotFound(f"{arxiv_id} is no longer stored here", hint="Submit it again to fetch it from arXiv.")
    check_paper(session, paper, day, rules)
    pick = add_pick(session, paper=paper, day=day, member=member, source=SOURCE, now=now)
    if pick is None:
        raise already_on(arxiv_id, day)
    session.commit()
    return pick


def _member(session: Session, member_id: int) -> Member:
    """The member as stored now (banned or verified since their page loaded?)."""
    member = session.execute(select(Member).where(Member.id == member_id)
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    if member is None:
        raise NotFound("this account no longer exists")
    return member


def add_pick(session: Session, *, paper: Paper, day: date, member: Member, source: str,
             now: datetime) -> DailyPick | None:
    """Feature ``paper`` on ``day`` last, by ``member``, in the caller's transaction (holding the day's lock);
    ``None`` when it is on that day already."""
    last = session.execute(select(func.max(DailyPick.position)).where(DailyPick.day == day)).scalar_one()
    values: dict[str, Any] = {
        "day": day, "paper_id": paper.id, "position": (last or 0) + 1, "source": source, "member_id": member.id,
        "submitted_by": member.name, "submitted_by_name": member.display_name or member.name,
        "submitted_at": now, "curator_pick": False}
    result = session.execute(insert_or_ignore(session, DailyPick, keys=("day", "paper_id")).values(**values))
    if not cast(CursorResult[Any], result).rowcount:
        return None
    # A page, feed or API answer about the paper changed: its Last-Modified moves (as imports do, store._touch).
    session.execute(update(Paper).where(Paper.id == paper.id).values(last_changed_at=now))
    return session.execute(select(DailyPick).where(DailyPick.day == day, DailyPick.paper_id == paper.id)).scalar_one()


def _index_for_search(session: Session, settings: Settings) -> None:
    """Add a newly stored paper to the tantivy keyword index, when one is built (the next import would too)."""
    try:
        sync_fast_index(session.get_bind().engine, (), keyword_index_dir(settings.data_dir))
    except Exception:  # the pick is committed; search catches up with the next import or reindex
        log.exception("submissions: could not add the new paper to the keyword index")
