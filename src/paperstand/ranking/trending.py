"""The trending score: one pure function of a paper's votes, comments, code stars and age.

The shape is lobsters' (and reddit's) hotness: the logarithm of what people did, minus a term that grows
linearly with the paper's age. HN divides votes by a power of the age, ``(P - 1) / (T + 2) ** 1.8``;
in log space that is ``log P - 1.8 log(T + 2)``, a penalty that flattens as papers get older, so a
months-old paper with a large following keeps crowding this week's papers. A linear penalty is an
exponential decay of the votes' worth, so "trending" means *now*: every :data:`HOURS_PER_POINT` hours
cost a point, and a paper holds its place only while its votes keep doubling that fast.

Both shapes rank by a *sum*, which is what lets every card explain itself: the score is the sum of four
parts, each printed on the card ("▲ 14 votes in 2 days +3.9 · ★ 230 stars +1.6 · 6 comments +1.4 ·
age 72 h −3.0 = 3.9"). Each part is rounded to one decimal first (halves up) and the score is the
sum of the rounded parts, so the line adds up exactly, not only roughly; two papers whose unrounded
scores differ by less than a rounding step may tie, and ties go to the lower paper id.

Times count in whole seconds (the stored times, floored), so the bulk job, which reads seconds from
the database, computes bit for bit what this function computes for one paper. Age counts in whole
hours, the unit the card prints ("age 30 h" is exactly −1.25, shown −1.2): a reader can redo the sum,
and a stored score changes at most once an hour unless people act, so a recompute every few minutes
rewrites only the rows that did change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# One point per doubling of counted votes: the unit every other weight is measured in. Logarithmic,
# because the tenth vote says less than the first, and a paper with a thousand votes should not bury
# a hundred others for a week.
VOTE_POINTS_PER_DOUBLING = 1.0
# GitHub stars come from outside the community, accumulate over a repository's whole life (which can
# predate the paper) and carry no time, so they cannot decay: a nudge, not a driver. 0.2 a doubling
# makes 1,000 stars worth two points, as much as two days of age or a quadrupling of votes.
STAR_POINTS_PER_DOUBLING = 0.2
# Comments are a sign of interest, but a long thread can be one argument (HN penalises flame wars):
# a doubling of comments is worth half a doubling of votes.
COMMENT_POINTS_PER_DOUBLING = 0.5
# A day of age costs one point (one doubling of votes). Lobsters uses 22 h per order of magnitude of
# votes; papers collect their votes over the two or three days after they are featured, not within
# hours, and ten times the votes a day would let only the last day's papers trend.
HOURS_PER_POINT = 24.0
# Only votes and comments of the last week count, and a paper without any is not trending at all:
# its pile of old votes is what the week and month pages' "Top" order is for. (At a point a day a
# week-old paper is 7 points down anyway; the window mostly keeps the stored table small.)
ACTIVITY_WINDOW = timedelta(days=7)
# A vote from an account younger than this (when it voted) counts half: fresh accounts are how vote
# rings are made, and a day is long enough to make making them tedious, short enough not to snub
# a real newcomer for long.
YOUNG_ACCOUNT = timedelta(days=1)
YOUNG_ACCOUNT_WEIGHT = 0.5
# Votes by the paper's submitter and by its verified authors count for nothing (they are not news), nor
# do banned members' (bans are for abuse, vote rings included).
EXCLUDED_WEIGHT = 0.0

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
WINDOW_SECONDS = int(ACTIVITY_WINDOW / _SECOND)
YOUNG_SECONDS = int(YOUNG_ACCOUNT / _SECOND)
MINUS = "\u2212"  # a typographic minus: "−1.3" lines up with "+1.3"


def seconds(moment: datetime) -> int:
    """Whole seconds since 1970 (floored; a naive time is taken as UTC, as the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _SECOND


def from_seconds(whole: int) -> datetime:
    """The UTC time ``whole`` seconds after 1970 (the inverse of :func:`seconds`)."""
    return _EPOCH + whole * _SECOND


def tenths(value: float) -> float:
    """``value`` rounded to one decimal, halves up (the same float operations as the bulk job's numpy)."""
    return math.floor(value * 10 + 0.5) / 10


def vote_weight(*, voted_at: datetime, joined_at: datetime, excluded: bool) -> float:
    """How much one vote counts: nothing when ``excluded`` (submitter, verified author, banned voter),
    half from an account younger than :data:`YOUNG_ACCOUNT` at the time of the vote, else one."""
    if excluded:
        return EXCLUDED_WEIGHT
    return YOUNG_ACCOUNT_WEIGHT if seconds(voted_at) - seconds(joined_at) < YOUNG_SECONDS else 1.0


def votes_points(votes: float) -> float:
    """The votes part for a weighted count of votes."""
    return tenths(VOTE_POINTS_PER_DOUBLING * math.log2(1 + votes))


def stars_points(stars: int) -> float:
    """The stars part for a repository's star count."""
    return tenths(STAR_POINTS_PER_DOUBLING * math.log2(1 + max(stars, 0)))


def comments_points(comments: int) -> float:
    """The comments part for a number of comments."""
    return tenths(COMMENT_POINTS_PER_DOUBLING * math.log2(1 + comments))


def age_hours(age_seconds: int) -> int:
    """A paper's age in whole hours (floored) from whole seconds; a date in the future counts as no age."""
    return max(age_seconds, 0) // 3600


def age_points(hours: int) -> float:
    """The age part (never positive) for an age in whole hours."""
    return tenths(-hours / HOURS_PER_POINT)


def total(votes_part: float, stars_part: float, comments_part: float, age_part: float) -> float:
    """The score: the sum of the (already rounded) parts, rounded again only to shed float noise."""
    return tenths(votes_part + stars_part + comments_part + age_part)


@dataclass(frozen=True)
class Trending:
    """A paper's trending score and the parts it is the sum of, as stored and as the card prints them."""

    score: float
    votes: float  # counted votes, weighted (a young account's vote is 0.5)
    votes_part: float
    stars: int
    stars_part: float
    comments: int
    comments_part: float
    age_hours: float  # whole hours
    age_part: float
    votes_since: datetime | None  # the oldest counted vote

    @property
    def trends(self) -> bool:
        """Whether the paper is trending at all: a counted vote or comment inside the window."""
        return self.votes > 0 or self.comments > 0

    def why(self, at: datetime) -> str:
        """The card's line, as of ``at`` (when it was computed); its printed parts add up to its score."""
        parts = []
        if self.votes:
            span = f" in {span_words(seconds(at) - seconds(self.votes_since))}" if self.votes_since else ""
            parts.append(f"▲ {count_words(self.votes, 'vote')}{span} {signed(self.votes_part)}")
        if self.stars:
            parts.append(f"★ {count_words(self.stars, 'star')} {signed(self.stars_part)}")
        if self.comments:
            parts.append(f"{count_words(self.comments, 'comment')} {signed(self.comments_part)}")
        parts.append(f"age {math.floor(self.age_hours):,} h {signed(self.age_part)}")
        return " · ".join(parts) + f" = {number(self.score)}"


def trending_score(*, votes: Sequence[tuple[datetime, float]], comments: Sequence[datetime], stars: int,
                   published_at: datetime, now: datetime) -> Trending:
    """The score at ``now`` of a paper with these votes (time, weight), comment times, stars and first date.

    Votes and comments count only inside :data:`ACTIVITY_WINDOW` before ``now`` (later ones are not
    counted yet); weights come from :func:`vote_weight`.
    """
    now_s = seconds(now)
    since_s = now_s - WINDOW_SECONDS
    counted = [(s, w) for s, w in ((seconds(t), w) for t, w in votes) if w > 0 and since_s < s <= now_s]
    weighted = float(sum(w for _, w in counted))
    first = min((s for s, _ in counted), default=None)
    n_comments = sum(1 for t in comments if since_s < seconds(t) <= now_s)
    hours = age_hours(now_s - seconds(published_at))
    parts = (votes_points(weighted), stars_points(stars), comments_points(n_comments), age_points(hours))
    return Trending(score=total(*parts), votes=weighted, votes_part=parts[0], stars=max(stars, 0),
                    stars_part=parts[1], comments=n_comments, comments_part=parts[2], age_hours=float(hours),
                    age_part=parts[3], votes_since=None if first is None else from_seconds(first))


def signed(points: float) -> str:
    """``+3.1`` or ``−2.2``: a part as the card prints it (zero is ``+0.0``)."""
    return f"{MINUS}{-points:.1f}" if points < 0 else f"+{points:.1f}"


def number(points: float) -> str:
    """``2.5`` or ``−1.3``: the score as the card prints it."""
    return f"{MINUS}{-points:.1f}" if points < 0 else f"{points:.1f}"


def count_words(count: float, word: str) -> str:
    """``1 vote``, ``14 votes``, ``13.5 votes`` (a young account's vote counts half), ``1,230 stars``."""
    shown = f"{int(count):,}" if count == int(count) else f"{count:,.1f}"
    return f"{shown} {word}" if count == 1 else f"{shown} {word}s"


def span_words(span_seconds: int) -> str:
    """``5 h`` under two days, else ``3 days`` (rounded up: "14 votes in 2 days" means within them)."""
    hours = max(1, -(-span_seconds // 3600))
    return f"{hours} h" if hours < 48 else f"{-(-hours // 24)} days"
