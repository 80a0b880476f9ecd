"""Curators shape a day's list: add, remove, move, mark and unmark picks; every step is one public log row.

The curated order is the positions, and nothing else: the day page's "Curated order" shows exactly what
the curator arranged. Marking a pick moves the paper up to just after the day's other picks, so picks lead
the list in the order they were marked; the curator may move anything anywhere afterwards.

A removed paper keeps its row, hidden (``hidden_at``) with ``REMOVED`` as the reason: a later harvest of
the same day then finds it and does not put it back, and a member cannot submit it again. Each step runs
in one transaction holding the day's lock (``locks.day_key``), renumbers the visible papers 1..n and
writes its ``CurationStep``, so concurrent curators (and submissions) leave one consistent order; a step
that would change nothing (a pick marked twice) writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.accounts.roles import allowed
from paperstand.community.arxiv_lookup import FetchPaper, store_fetched, stored_paper
from paperstand.community.locks import day_key, hold, paper_key
from paperstand.community.models import CurationStep
from paperstand.community.submission_rules import already_on
from paperstand.community.submissions import add_pick, parse_submission, today
from paperstand.errors import BadRequest, DomainError, NotFound
from paperstand.papers.models import DailyPick, Paper

SOURCE = "curation"  # DailyPick.source of a paper a curator added
REMOVED = "Removed from the day's list by a curator."
# How a move names its target: a 1-based position, or one of these.
MOVES = ("up", "down", "first", "last")


@dataclass
class DayEntry:
    """One paper of a day's list as the curate page shows it."""

    pick: DailyPick
    paper: Paper


def day_entries(session: Session, day: date) -> tuple[list[DayEntry], list[DayEntry]]:
    """A day's papers in curated order, and those hidden from it (removed by a curator or a moderator)."""
    rows = session.execute(select(DailyPick, Paper).join(Paper, Paper.id == DailyPick.paper_id)
                           .where(DailyPick.day == day).order_by(DailyPick.position, DailyPick.id)).all()
    entries = [DayEntry(pick, paper) for pick, paper in rows]
    return [e for e in entries if e.pick.hidden_at is None], [e for e in entries if e.pick.hidden_at is not None]


def add(session: Session, *, curator: Member, day: date, text: str, now: datetime,
        fetch_paper: FetchPaper) -> DailyPick:
    """Add the paper ``text`` names to the end of ``day``'s list (fetched from arXiv if not stored); commits.

    A paper a curator removed from that day comes back; one a moderator hid does not.
    """
    arxiv_id = parse_submission(text)
    _check_day(day, now)
    paper = stored_paper(session, arxiv_id)
    session.rollback()  # no transaction stays open while arXiv answers
    record = fetch_paper(arxiv_id) if paper is None else None

    def step(member: Member, picks: list[DailyPick]) -> tuple[DailyPick, str]:
        hold(session, paper_key(arxiv_id))
        found = stored_paper(session, arxiv_id) or (store_fetched(session, record, now=now) if record else None)
        if found is None:
            raise NotFound(f"{arxiv_id} is no longer stored here", hint="Add it again to fetch it from arXiv.")
        return _add_found(session, member, day, found, picks, now)

    pick = _run(session, curator=curator, day=day, now=now, action="add", step=step)
    if pick is None:  # an add always changes the list, or raises
        raise RuntimeError("curation: an add changed nothing")
    return pick


def _add_found(session: Session, member: Member, day: date, paper: Paper, picks: list[DailyPick],
               now: datetime) -> tuple[DailyPick, str]:
    hidden = session.execute(select(DailyPick).where(DailyPick.day == day, DailyPick.paper_id == paper.id)
                             ).scalar_one_or_none()
    if hidden is not None and hidden.hidden_at is None:
        raise already_on(paper.public_id, day)
    if hidden is not None:
        if hidden.hidden_reason != REMOVED:
            raise NotAllowed(f"a moderator hid {paper.public_id} from this day",
                             hint="Only a moderator can put it back (see /moderation).")
        hidden.hidden_at, hidden.hidden_reason = None, None
        picks.append(hidden)
        return hidden, f"put back at {len(picks)}"
    pick = add_pick(session, paper=paper, day=day, member=member, source=SOURCE, now=now)
    if pick is None:  # the day's lock is held: only an import can have added it since we looked
        raise already_on(paper.public_id, day)
    picks.append(pick)
    return pick, f"at {len(picks)}"


def remove(session: Session, *, curator: Member, day: date, pick_id: int, now: datetime) -> DailyPick | None:
    """Take a paper off ``day``'s list (kept, hidden, so a harvest does not bring it back); commits."""

    def step(member: Member, picks: list[DailyPick]) -> tuple[DailyPick, str] | None:
        pick = _find(picks, pick_id)
        if pick is None:
            return None  # removed already (by another curator a moment ago), or never on this day
        place = picks.index(pick) + 1
        picks.remove(pick)
        pick.hidden_at, pick.hidden_reason, pick.curator_pick = now, REMOVED, False
        by = f"; submitted by @{pick.submitted_by}" if pick.member_id and pick.submitted_by else ""
        return pick, f"was {place}{by}"

    return _run(session, curator=curator, day=day, now=now, action="remove", step=step)


def move(session: Session, *, curator: Member, day: date, pick_id: int, to: str, now: datetime) -> DailyPick | None:
    """Move a paper ``up``, ``down``, ``first``, ``last`` or to a 1-based position on ``day``'s list; commits."""
    target = _target_spec(to)

    def step(member: Member, picks: list[DailyPick]) -> tuple[DailyPick, str] | None:
        pick = _require(picks, pick_id)
        here = picks.index(pick)
        there = max(0, min(len(picks) - 1, _target(target, here, len(picks))))
        if there == here:
            return None
        picks.insert(there, picks.pop(here))
        return pick, f"from {here + 1} to {there + 1}"

    return _run(session, curator=curator, day=day, now=now, action="move", step=step)


def set_pick(session: Session, *, curator: Member, day: date, pick_id: int, picked: bool,
             now: datetime) -> DailyPick | None:
    """Mark (moving it up to just after the other picks) or unmark a curator's pick on ``day``; commits."""

    def step(member: Member, picks: list[DailyPick]) -> tuple[DailyPick, str] | None:
        pick = _require(picks, pick_id)
        if pick.curator_pick == picked:
            return None
        pick.curator_pick = picked
        if not picked:
            return pick, ""
        here = picks.index(pick)
        picks.pop(here)
        # Up to just after the picks, never down: a paper already above them stays where it is.
        there = min(here, sum(1 for p in picks if p.curator_pick))
        picks.insert(there, pick)
        return pick, f"moved from {here + 1} to {there + 1}" if there != here else ""

    return _run(session, curator=curator, day=day, now=now, action="pick" if picked else "unpick", step=step)


Step = Callable[[Member, list[DailyPick]], "tuple[DailyPick, str] | None"]


def _run(session: Session, *, curator: Member, day: date, now: datetime, action: str,
         step: Step) -> DailyPick | None:
    """One curation step in one transaction: the day's lock, the curator checked again, the change, the
    renumbering, the log row, the commit. ``step`` changes the visible list in place; ``None`` means no change."""
    _check_day(day, now)
    try:
        hold(session, day_key(day))
        member = session.get(Member, curator.id, populate_existing=True)
        if member is None or not allowed(member, "curate"):
            raise NotAllowed("only curators and admins curate the day's list")
        picks = [e.pick for e in day_entries(session, day)[0]]
        done = step(member, picks)
        if done is None:
            session.rollback()
            return None
        pick, detail = done
        for position, each in enumerate(picks, start=1):
            if each.position != position:
                each.position = position
        session.add(CurationStep(day=day, paper_id=pick.paper_id, member_id=member.id, action=action,
                                 detail=detail, created_at=now))
        session.commit()
        return pick
    except DomainError:
        session.rollback()
        raise


def _check_day(day: date, now: datetime) -> None:
    if day > today(now):
        raise BadRequest(f"{day.isoformat()} has not begun yet (UTC)", hint="Curate today's list or an earlier one.")


def _find(picks: list[DailyPick], pick_id: int) -> DailyPick | None:
    return next((p for p in picks if p.id == pick_id), None)


def _require(picks: list[DailyPick], pick_id: int) -> DailyPick:
    pick = _find(picks, pick_id)
    if pick is None:
        raise NotFound("that paper is not on this day's list", hint="Reload the page: it may have just changed.")
    return pick


def _target_spec(to: str) -> str | int:
    """``to`` checked: a word of ``MOVES`` or a position from 1."""
    to = to.strip().lower()
    if to in MOVES:
        return to
    if to.isdigit() and 0 < int(to) < 100_000:
        return int(to)
    raise BadRequest(f"cannot move to {to[:20]!r}", hint="Move up, down, first, last or to a position from 1.")


def _target(spec: str | int, here: int, count: int) -> int:
    """The 0-based index a move goes to."""
    if isinstance(spec, int):
        return spec - 1
    return {"up": here - 1, "down": here + 1, "first": 0, "last": count - 1}[spec]


@dataclass
class LogLine:
    """One row of a day's curation log, with who did it and to which paper."""

    step: CurationStep
    curator: str | None
    paper: Paper | None


def day_log(session: Session, day: date) -> list[LogLine]:
    """Every curation step of ``day``, newest first."""
    rows = session.execute(
        select(CurationStep, Member.name, Paper).outerjoin(Member, Member.id == CurationStep.member_id)
        .outerjoin(Paper, Paper.id == CurationStep.paper_id).where(CurationStep.day == day)
        .order_by(CurationStep.created_at.desc(), CurationStep.id.desc())).all()
    return [LogLine(step, name, paper) for step, name, paper in rows]
