"""Reading moderation: the public log (who, what, which, when, why) and the moderators' queue of reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim, Comment, CommentFlag, ModerationAction
from paperstand.errors import NotFound
from paperstand.papers.links import paper_path
from paperstand.papers.models import DailyPick, Paper
from paperstand.papers.queries import find_paper

# What the log says each action did, as a verb phrase before its target.
ACTION_WORDS = {
    "hide_comment": "hid", "unhide_comment": "restored", "dismiss_flags": "dismissed the reports on",
    "hide_submission": "hid", "unhide_submission": "restored", "ban": "banned", "unban": "unbanned",
    "approve_claim": "approved", "reject_claim": "rejected",
}
# Rows per page of /moderation.
LOG_PAGE = 50
# Reported comments the queue shows at once (oldest report first); the rest follow as these are handled.
QUEUE_SIZE = 50


@dataclass
class LogEntry:
    """One row of the public log, ready to show: the target as words and, when it still exists, a link."""

    action: ModerationAction
    moderator: str  # a member's name, or "" for an operator at the command line
    verb: str
    target: str
    url: str | None


@dataclass
class Report:
    """One member's report of a comment."""

    member: str
    reason: str
    created_at: datetime


@dataclass
class QueueItem:
    """A reported comment with its paper, its author and every open report on it."""

    comment: Comment
    paper: Paper
    author: str
    reports: list[Report] = field(default_factory=list)


def log_page(session: Session, *, page: int = 1, per_page: int = LOG_PAGE) -> list[LogEntry]:
    """Page ``page`` of the log, newest first."""
    moderator, target_member = aliased(Member), aliased(Member)
    rows = session.execute(
        select(ModerationAction, moderator.name, target_member.name)
        .outerjoin(moderator, moderator.id == ModerationAction.moderator_id)
        .outerjoin(target_member, target_member.id == ModerationAction.target_member_id)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .offset((page - 1) * per_page).limit(per_page)).all()
    targets = _targets(session, [r[0] for r in rows])
    out = []
    for action, moderator_name, member_name in rows:
        label, url = targets.get((action.target_kind, action.target_id), _member_target(action, member_name))
        out.append(LogEntry(action, moderator_name or "", ACTION_WORDS.get(action.action,
                                                                           action.action.replace("_", " ")),
                            label, url))
    return out


def count_log(session: Session) -> int:
    """How many rows the log holds."""
    return int(session.execute(select(func.count()).select_from(ModerationAction)).scalar_one())


def _member_target(action: ModerationAction, name: str | None) -> tuple[str, str | None]:
    if action.target_kind == "member" and name:
        return f"@{name}", f"/u/{name}"
    return f"{action.target_kind} #{action.target_id}", None


def _targets(session: Session, actions: Sequence[ModerationAction]) -> dict[tuple[str, int], tuple[str, str | None]]:
    """Words and links for the comments, submissions and claims ``actions`` name: one query per kind present."""
    ids: dict[str, list[int]] = {}
    for a in actions:
        ids.setdefault(a.target_kind, []).append(a.target_id)
    out: dict[tuple[str, int], tuple[str, str | None]] = {}
    if ids.get("comment"):
        for cid, paper in session.execute(select(Comment.id, Paper).join(Paper, Paper.id == Comment.paper_id)
                                          .where(Comment.id.in_(ids["comment"]))):
            out["comment", cid] = (f"comment #{cid} on “{paper.title}”", f"{paper_path(paper)}#comment-{cid}")
    if ids.get("submission"):
        for pid, day, paper in session.execute(select(DailyPick.id, DailyPick.day, Paper)
                                               .join(Paper, Paper.id == DailyPick.paper_id)
                                               .where(DailyPick.id.in_(ids["submission"]))):
            out["submission", pid] = (f"the submission of “{paper.title}” on {_day(day)}", f"/papers/date/{day}")
    if ids.get("claim"):
        for kid, paper in session.execute(select(AuthorClaim.id, Paper).join(Paper, Paper.id == AuthorClaim.paper_id)
                                          .where(AuthorClaim.id.in_(ids["claim"]))):
            out["claim", kid] = (f"an authorship claim on “{paper.title}”", paper_path(paper))
    return out


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def queue(session: Session, *, limit: int = QUEUE_SIZE) -> list[QueueItem]:
    """Comments with open reports, the longest-waiting first, with their reports (one query)."""
    reporter, author = aliased(Member), aliased(Member)
    rows = session.execute(
        select(CommentFlag, Comment, Paper, reporter.name, author.name)
        .join(Comment, Comment.id == CommentFlag.comment_id).join(Paper, Paper.id == Comment.paper_id)
        .join(reporter, reporter.id == CommentFlag.member_id).join(author, author.id == Comment.member_id)
        .where(CommentFlag.resolved_at.is_(None)).order_by(CommentFlag.created_at, CommentFlag.id)
        .limit(limit * 20))
    items: dict[int, QueueItem] = {}
    for report, comment, paper, reporter_name, author_name in rows:
        item = items.get(comment.id)
        if item is None:
            if len(items) == limit:
                continue
            item = items[comment.id] = QueueItem(comment, paper, author_name)
        item.reports.append(Report(reporter_name, report.reason, report.created_at))
    return list(items.values())


def count_open_reports(session: Session) -> int:
    """How many comments have open reports."""
    stmt = select(func.count(func.distinct(CommentFlag.comment_id))).where(CommentFlag.resolved_at.is_(None))
    return int(session.execute(stmt).scalar_one())


def recent_submissions(session: Session, *, limit: int = 20) -> list[tuple[DailyPick, Paper, str]]:
    """The latest papers members submitted to a day's list, with the submitter's name, hidden ones included."""
    rows = session.execute(select(DailyPick, Paper, Member.name).join(Paper, Paper.id == DailyPick.paper_id)
                           .join(Member, Member.id == DailyPick.member_id)
                           .order_by(DailyPick.id.desc()).limit(limit))
    return [(pick, paper, name) for pick, paper, name in rows]


def find_pick(session: Session, *, paper_id: str, day: date) -> DailyPick:
    """The place on ``day``'s list of the paper ``paper_id`` names, or NotFound."""
    paper = find_paper(session, paper_id)
    pick = None if paper is None else session.scalars(
        select(DailyPick).where(DailyPick.paper_id == paper.id, DailyPick.day == day)).one_or_none()
    if pick is None:
        raise NotFound(f"moderation: {paper_id!r} is not on the list of {_day(day)}",
                       hint="Give the paper's id (e.g. 2403.01234) and the day it is listed on.")
    return pick
