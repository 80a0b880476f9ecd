"""Delivering watch alerts: a mail each through the outbox at once, or folded into the member's next digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.digest_link import member_subscription
from paperstand.accounts.models import Member
from paperstand.dialect import upsert
from paperstand.errors import BadRequest
from paperstand.follows.models import WATCH_DELIVERIES, FollowSettings, WatchAlert, WatchEvent
from paperstand.mail.outbox import enqueue
from paperstand.mail.templates import mail_env
from paperstand.papers.links import paper_path
from paperstand.papers.models import Paper

# Alerts one run mails at most (the next run, a minute later, takes the rest).
BATCH = 500
DELIVERY_WORDS = {"instant": "a mail for each, at once", "digest": "in my next digest"}


@dataclass(frozen=True)
class Alert:
    """One alert as a mail or a digest shows it."""

    alert_id: int
    paper_title: str
    paper_path: str
    kind: str
    detail: str
    anchor: str  # "#comment-42" for a comment, else ""

    @property
    def sentence(self) -> str:
        """What happened, in words: "new version 3", "code: https://github.com/...", "a reply by @ada"."""
        if self.kind == "version":
            return f"new {self.detail}"
        if self.kind == "code":
            return f"code released: {self.detail}"
        return self.detail


def delivery_of(session: Session, *, member_id: int) -> str:
    """How the member's alerts are delivered ("instant" when they never chose)."""
    return session.scalar(select(FollowSettings.watch_delivery).where(FollowSettings.member_id == member_id)) \
        or "instant"


def set_delivery(session: Session, *, member_id: int, delivery: str, now: datetime) -> None:
    """Choose "instant" or "digest" delivery; commits."""
    if delivery not in WATCH_DELIVERIES:
        raise BadRequest("watch alerts: choose instant or digest delivery")
    session.execute(upsert(session, FollowSettings, keys=["member_id"], update=["watch_delivery", "updated_at"]),
                    [{"member_id": member_id, "watch_delivery": delivery, "updated_at": now}])
    session.commit()


def has_digest(session: Session, *, member_id: int) -> bool:
    """Whether the member's digest subscription (of their verified address) is confirmed and running."""
    member = session.get(Member, member_id)
    found = member_subscription(session, member=member) if member is not None else None
    return found is not None and found.status == "confirmed" and not found.paused


def _alerts(session: Session, where: list[ColumnElement[bool]]) -> list[tuple[int, Alert]]:
    rows = session.execute(
        select(WatchAlert.id, WatchAlert.member_id, Paper, WatchEvent.kind, WatchEvent.detail, WatchEvent.dedupe_key)
        .join(WatchEvent, WatchEvent.id == WatchAlert.event_id).join(Paper, Paper.id == WatchEvent.paper_id)
        .where(*where).order_by(WatchAlert.id).limit(BATCH))
    return [(mid, Alert(aid, paper.title, paper_path(paper), kind, detail,
                        "#comment-" + key.split(":", 1)[1] if kind == "comment" else ""))
            for aid, mid, paper, kind, detail, key in rows]


def send_instant(session: Session, *, now: datetime, site_url: str) -> int:
    """Queue a mail for each waiting alert whose member wants them at once (or has no digest to fold them
    into); commits; how many were queued. A mail's dedupe key is its alert's: never two for one alert."""
    digest_members = set(session.scalars(select(FollowSettings.member_id)
                                         .where(FollowSettings.watch_delivery == "digest")))
    pending = _alerts(session, [WatchAlert.sent_at.is_(None), WatchAlert.digest_row_id.is_(None)])
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_({m for m, _ in pending})))}
    env, base, queued = mail_env(), site_url.rstrip("/"), 0
    for member_id, alert in pending:
        if member_id in digest_members and has_digest(session, member_id=member_id):
            continue
        member = members[member_id]
        if member.email_verified_at is not None and member.banned_at is None:
            context = {"name": member.display_name or member.name, "alert": alert, "site": base,
                       "link": f"{base}{alert.paper_path}{alert.anchor}"}
            enqueue(session, kind="watch", to=member.email, now=now, dedupe_key=f"watch:{alert.alert_id}",
                    subject=" ".join(env.get_template("email/watch/subject.txt").render(context).split()),
                    text=env.get_template("email/watch/body.txt").render(context))
            queued += 1
        session.execute(update(WatchAlert).where(WatchAlert.id == alert.alert_id).values(sent_at=now))
    session.commit()
    return queued


def fold_into_digest(session: Session, *, member_id: int, digest_row_id: int, now: datetime) -> list[Alert]:
    """The alerts this digest row carries: those waiting for the member's digest, claimed for this row (a
    digest re-built after a crash shows the same ones); commits the claim."""
    session.execute(update(WatchAlert).where(WatchAlert.member_id == member_id, WatchAlert.sent_at.is_(None),
                                             WatchAlert.digest_row_id.is_(None))
                    .values(digest_row_id=digest_row_id, sent_at=now))
    session.commit()
    return [a for _, a in _alerts(session, [WatchAlert.member_id == member_id,
                                            WatchAlert.digest_row_id == digest_row_id])]


def pending_alerts(session: Session, *, member_id: int) -> list[Alert]:
    """The member's alerts not yet delivered (shown on /following)."""
    return [a for _, a in _alerts(session, [WatchAlert.member_id == member_id, WatchAlert.sent_at.is_(None)])]
