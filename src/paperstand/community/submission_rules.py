"""The rules a submission must pass, each one a setting, and the sentences that explain them on the form.

On by default, as on Hugging Face: papers at most 7 days old, a per-member daily limit, no duplicates and
a verified email address. Off by default (Hugging Face has them): an approved authorship claim, and no
submissions on weekends. Days are UTC days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.accounts.roles import GRANTS
from paperstand.community.models import AuthorClaim
from paperstand.config import Settings
from paperstand.errors import BadRequest, DomainError
from paperstand.papers.models import DailyPick, Paper
from paperstand.papers.published import id_month

SOURCE = "submission"  # DailyPick.source of a member's submission
SATURDAY = 5  # date.weekday(): Saturday and Sunday are 5 and 6


class AlreadySubmitted(DomainError):
    """The paper is on a day's list already; ``day`` says which."""

    status = 409
    title = "Already submitted"

    def __init__(self, message: str, *, day: date, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.day = day


class SubmissionRefused(NotAllowed):
    """A rule about the member or the day refuses the submission (limit, claim, weekend)."""


@dataclass(frozen=True)
class Rules:
    """The submission rules in force (see the ``submission_*`` settings)."""

    max_age_days: int = 7
    daily_limit: int = 5
    no_duplicates: bool = True
    require_verified: bool = True
    require_claim: bool = False
    no_weekends: bool = False

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        """The rules the settings set."""
        return cls(settings.submission_max_age_days, settings.submission_daily_limit,
                   settings.submission_no_duplicates, settings.submission_require_verified,
                   settings.submission_require_claim, settings.submission_no_weekends)

    def sentences(self) -> list[str]:
        """One sentence per rule in force, for the submission form."""
        days = "day" if self.max_age_days == 1 else "days"
        out = [f"The paper first appeared on arXiv in the last {self.max_age_days} {days}."]
        if self.daily_limit:
            out.append(f"Each member submits at most {self.daily_limit} paper{'s' * (self.daily_limit != 1)} a "
                       "day (UTC).")
        out.append("A paper already featured on any day is not taken again." if self.no_duplicates
                   else "A paper already on today's list is not taken again.")
        if self.require_verified:
            out.append("Your email address is verified.")
        if self.require_claim:
            out.append("You have at least one approved authorship claim.")
        if self.no_weekends:
            out.append("Submissions are closed on Saturdays and Sundays (UTC).")
        return out


def check_member(session: Session, member: Member, day: date, rules: Rules) -> None:
    """Refuse a banned member, a role without "submit", an unverified address, no claim, the daily limit, a weekend."""
    if member.banned_at is not None:
        raise NotAllowed("this account is banned", hint=member.ban_reason or None)
    if "submit" not in GRANTS.get(member.role, frozenset()):
        raise NotAllowed(f"your role ({member.role}) does not allow submitting papers")
    if rules.require_verified and member.email_verified_at is None:
        raise NotAllowed("verify your email address first", hint="Follow the link we mailed you, then submit again.")
    if rules.no_weekends and day.weekday() >= SATURDAY:
        raise SubmissionRefused("submissions are closed on weekends", hint="Come back on Monday (UTC).")
    if rules.require_claim and not _has_claim(session, member.id):
        raise SubmissionRefused("submitting needs an approved authorship claim",
                                hint="Claim one of your own papers from its page; once a moderator approves it, "
                                "you can submit.")
    if rules.daily_limit and submitted_today(session, member.id, day) >= rules.daily_limit:
        raise SubmissionRefused(f"you have submitted {rules.daily_limit} papers today, the most one member may",
                                hint="Try again tomorrow (days change at midnight UTC).")


def _has_claim(session: Session, member_id: int) -> bool:
    stmt = select(AuthorClaim.id).where(AuthorClaim.member_id == member_id, AuthorClaim.status == "approved")
    return session.execute(stmt.limit(1)).first() is not None


def submitted_today(session: Session, member_id: int, day: date) -> int:
    """How many papers a member submitted on ``day`` (hidden ones too: hiding does not give a turn back)."""
    stmt = select(func.count()).select_from(DailyPick).where(
        DailyPick.member_id == member_id, DailyPick.source == SOURCE, DailyPick.day == day)
    return int(session.execute(stmt).scalar_one())


def check_paper(session: Session, paper: Paper, day: date, rules: Rules) -> None:
    """Refuse a withdrawn paper, one older than ``max_age_days``, and one already on a list."""
    arxiv_id = paper.public_id
    if paper.withdrawn:
        raise BadRequest(f"{arxiv_id} was withdrawn by its authors", hint="Withdrawn papers are not featured.")
    latest = latest_appearance(paper)
    if latest is not None and (day - latest).days > rules.max_age_days:
        raise BadRequest(f"{arxiv_id} first appeared on arXiv on {latest.isoformat()}, more than "
                         f"{rules.max_age_days} days ago", hint="Submissions take papers from the last "
                         f"{rules.max_age_days} days.")
    stmt = select(DailyPick.day).where(DailyPick.paper_id == paper.id)
    if not rules.no_duplicates:
        stmt = stmt.where(DailyPick.day == day)
    # Hidden picks count: a paper a moderator took off a list is not put back by submitting it again.
    first = session.execute(stmt.order_by(DailyPick.day).limit(1)).scalar_one_or_none()
    if first is not None:
        raise already_on(arxiv_id, first)


def already_on(arxiv_id: str, day: date) -> AlreadySubmitted:
    """The answer for a paper already on ``day``'s list."""
    return AlreadySubmitted(f"{arxiv_id} is already on {day.isoformat()}", day=day,
                            hint=f"See it on /papers/date/{day.isoformat()}.")


def latest_appearance(paper: Paper) -> date | None:
    """The latest day the paper can have first appeared: its day, or the last day of its month when only
    the month is known (from the id), so that an undated paper is never refused for an age it may not have."""
    if paper.published_at is not None and paper.published_precision != "month":
        return paper.published_at.date()
    month = paper.published_at.date() if paper.published_at is not None else id_month(paper.arxiv_id)
    if month is None:
        return None
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])
