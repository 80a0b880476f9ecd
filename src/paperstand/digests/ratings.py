"""The 👍/👎 links of a member's digest: signed keys naming (member, paper, rating), and recording a rating.

A key is the three numbers plus an HMAC of them under the site's secret, like the unsubscribe keys
(``subscriptions.links``): nothing stored, nothing to guess, and a forwarded digest rates for nobody else
than its member. Opening the link shows a page with one button; only that button's POST records the
rating, because mail scanners and link previews open every link in a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.papers.models import Paper
from paperstand.recommend.actions import rate as record_rating
from paperstand.recommend.models import PaperRating

_SIG_BYTES = 16
# The ratings a link can carry: 👍 and 👎.
RATINGS = {1: "👍", -1: "👎"}
WORDS = {1: "more like this", -1: "fewer like this"}


@dataclass(frozen=True)
class RateKey:
    """What a rating link names."""

    member_id: int
    paper_id: int
    rating: int


def _sign(secret: bytes, key: RateKey) -> bytes:
    message = f"rate:{key.member_id}:{key.paper_id}:{key.rating}".encode()
    return hmac.new(secret, message, hashlib.sha256).digest()[:_SIG_BYTES]


def make_rate_key(secret: bytes, *, member_id: int, paper_id: int, rating: int) -> str:
    """The opaque key of a 👍 (``rating`` 1) or 👎 (-1) link for this member and paper."""
    assert rating in RATINGS
    key = RateKey(member_id, paper_id, rating)
    raw = member_id.to_bytes(8, "big") + paper_id.to_bytes(8, "big") + (rating + 1).to_bytes(1, "big")
    return base64.urlsafe_b64encode(raw + _sign(secret, key)).decode().rstrip("=")


def read_rate_key(secret: bytes, text: str) -> RateKey | None:
    """What a key names, or ``None`` for a forged, truncated or malformed one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 17 + _SIG_BYTES:
        return None
    key = RateKey(int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:16], "big"), raw[16] - 1)
    if key.rating not in RATINGS or not hmac.compare_digest(raw[17:], _sign(secret, key)):
        return None
    return key


@dataclass(frozen=True)
class RatingChange:
    """What recording a rating did: the rating before (``None``: none) and after, on which paper."""

    paper: Paper
    before: int | None
    after: int

    @property
    def sentence(self) -> str:
        """The change in words, for the page that confirms it."""
        now = f"{RATINGS[self.after]} ({WORDS[self.after]})"
        if self.before is None:
            return f"Recorded {now} for “{self.paper.title}”."
        if self.before == self.after:
            return f"You had already rated “{self.paper.title}” {now}: nothing changed."
        return f"Changed your rating of “{self.paper.title}” from {RATINGS[self.before]} to {now}."


def current_rating(session: Session, *, member_id: int, paper_id: int) -> int | None:
    """The member's rating of the paper, if any."""
    return session.scalar(select(PaperRating.rating).where(PaperRating.member_id == member_id,
                                                           PaperRating.paper_id == paper_id))


def rate(session: Session, *, key: RateKey, now: datetime) -> RatingChange | None:
    """Record the key's rating (source "digest"), replacing an earlier one; commits. ``None``: paper or member gone."""
    paper = session.get(Paper, key.paper_id) if key.paper_id < 2**31 else None
    if paper is None or key.member_id >= 2**31 or session.get(Member, key.member_id) is None:
        return None
    before = current_rating(session, member_id=key.member_id, paper_id=key.paper_id)
    record_rating(session, member_id=key.member_id, paper_id=key.paper_id, rating=key.rating, source="digest",
                  now=now)
    session.commit()
    return RatingChange(paper, before, key.rating)
