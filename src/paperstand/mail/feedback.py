"""Complaint and bounce feedback: ARF reports mailed back, and mail providers' webhooks.

A recipient who presses "spam" is telling the mail provider to stop us; ignoring that costs the
whole site its delivery. Each report names the address (or our signed unsubscribe key, for providers
that redact the address), and every one suppresses like a hard bounce: the next digest run sends it
nothing (RELIABILITY 3).

Two ways in, one outcome: ``read_report`` reads an RFC 5965 ``multipart/report`` (or an RFC 3464
delivery status for a permanent failure), ``webhook_events`` reads the JSON a provider posts (our own
small shape, Amazon SES through SNS, Postmark); ``apply_feedback`` calls ``suppress``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.policy import default
from email.utils import getaddresses
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand import jsontext
from paperstand.config import Settings
from paperstand.subscriptions.links import read_key
from paperstand.subscriptions.models import Subscriber, Suppression
from paperstand.subscriptions.service import InvalidEmail, normalize_email, suppress

Kind = Literal["complaint", "bounce"]
# The suppression reason each kind records: a complaint is its own reason; a bounce here is permanent.
REASONS: dict[str, str] = {"complaint": "complaint", "bounce": "hard-bounce"}
# Our digests' Message-ID, ``<digest.PERIOD.SUBSCRIBER@host>`` (see digests/render.py).
_DIGEST_ID = re.compile(r"<digest\.[^.@<>]+\.(\d{1,18})@[^<>]+>")
_UNSUBSCRIBE_KEY = re.compile(r"/unsubscribe/([A-Za-z0-9_-]{16,64})>?")


@dataclass(frozen=True)
class Feedback:
    """One report: what kind, and who, by address or by the subscriber our signed key or Message-ID names."""

    kind: Kind
    email: str | None = None
    subscriber_id: int | None = None


def read_report(raw: bytes, secret: bytes) -> Feedback | None:
    """The feedback in a mailed-back report, or ``None`` when the message is no complaint or hard bounce."""
    message = message_from_bytes(raw, policy=default)
    if message.get_content_type() != "multipart/report":
        return None
    report_type = str(message.get_param("report-type", "", header="content-type")).lower()
    if report_type == "feedback-report":
        kind: Kind = "complaint"
        fields = _part_fields(message, "message/feedback-report")
        recipients = [fields.get("Original-Rcpt-To", "")]
    elif report_type == "delivery-status" and _permanent_failure(message):
        kind = "bounce"
        fields = _part_fields(message, "message/delivery-status")
        recipients = [fields.get("Original-Recipient", ""), fields.get("Final-Recipient", "")]
    else:
        return None
    original = _original_headers(message)
    subscriber = _subscriber_in(original, secret) if original is not None else None
    if original is not None:
        recipients.append(str(original.get("To", "")))
    email = next(_addresses(recipients), None)
    return Feedback(kind, email, subscriber) if email or subscriber else None


def webhook_events(payload: Any) -> list[Feedback]:
    """The complaints and permanent bounces in a webhook's JSON: ``{type, email}``, SES/SNS, or Postmark."""
    if not isinstance(payload, dict):
        return []
    if isinstance(payload.get("Message"), str) and payload.get("Type") == "Notification":
        try:  # SNS wraps the SES notification as a JSON string
            return webhook_events(jsontext.loads(payload["Message"]))
        except ValueError:
            return []
    if "notificationType" in payload or "eventType" in payload:
        return list(_ses(payload))
    if "RecordType" in payload:
        return list(_postmark(payload))
    kind, email = payload.get("type"), payload.get("email")
    if kind in REASONS and isinstance(email, str):
        return [Feedback(kind, email)]
    return []


def apply_feedback(session: Session, reports: Iterable[Feedback], settings: Settings, *,
                   now: datetime | None = None) -> list[str]:
    """Suppress every address the reports name (once per reason); the addresses suppressed, in order."""
    done: list[str] = []
    for report in reports:
        email = _email_of(session, report)
        if email is None:
            continue
        reason = REASONS[report.kind]
        known = session.execute(select(Suppression.id).where(
            Suppression.email == email, Suppression.reason == reason).limit(1)).first()
        if known is None:
            suppress(session, email, reason, now=now, journal=settings)
            session.flush()  # a second report for the same address in this batch sees this row
        done.append(email)
    session.commit()
    return done


def _email_of(session: Session, report: Feedback) -> str | None:
    """The report's address: the subscriber our key names first (providers redact addresses), else its own."""
    if report.subscriber_id is not None:
        subscriber = session.get(Subscriber, report.subscriber_id)
        if subscriber is not None:
            return subscriber.email
    if report.email is None:
        return None
    try:
        return normalize_email(report.email)
    except InvalidEmail:
        return None


def _part_fields(message: EmailMessage, content_type: str) -> dict[str, str]:
    """The ``Field: value`` lines of a report's machine-readable part (all its blocks, first value wins)."""
    fields: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_type() != content_type:
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else [HeaderParser().parsestr(str(payload))]
        for block in blocks:
            if isinstance(block, Message):
                for name, value in block.items():
                    fields.setdefault(_field_name(name), str(value))
    return fields


def _field_name(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-"))


def _permanent_failure(message: EmailMessage) -> bool:
    """A delivery status saying ``Action: failed`` with a 5.x.x status: a hard bounce."""
    fields = _part_fields(message, "message/delivery-status")
    return fields.get("Action", "").strip().lower() == "failed" and fields.get("Status", "").strip().startswith("5")


def _original_headers(message: EmailMessage) -> Message | None:
    """The headers of the message the report is about (``message/rfc822`` or ``text/rfc822-headers``)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        if kind == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            return HeaderParser(policy=default).parsestr(raw.decode("utf-8", "replace") if isinstance(raw, bytes)
                                                         else str(part.get_payload()))
    return None


def _subscriber_in(original: Message, secret: bytes) -> int | None:
    """The subscriber our signed List-Unsubscribe key names, else the one in our digest Message-ID."""
    for match in _UNSUBSCRIBE_KEY.finditer(str(original.get("List-Unsubscribe", ""))):
        subscriber = read_key(secret, "unsubscribe", match.group(1))
        if subscriber is not None:
            return subscriber
    found = _DIGEST_ID.search(str(original.get("Message-ID", "")))
    return int(found.group(1)) if found else None


def _addresses(values: Iterable[str]) -> Iterator[str]:
    """Addresses in report fields (``rfc822; a@b``) or headers (``Name <a@b>``)."""
    for value in values:
        value = value.split(";", 1)[1] if value.lower().startswith("rfc822;") else value
        for _, address in getaddresses([value]):
            if "@" in address:
                yield address


def _ses(payload: dict[str, Any]) -> Iterator[Feedback]:
    """Amazon SES notifications (``notificationType``) and event publishing (``eventType``)."""
    kind = str(payload.get("notificationType") or payload.get("eventType") or "")
    complaint, bounce = _dict(payload.get("complaint")), _dict(payload.get("bounce"))
    if kind == "Complaint":
        yield from (Feedback("complaint", a) for a in _recipients(complaint.get("complainedRecipients")))
    elif kind == "Bounce" and bounce.get("bounceType") == "Permanent":
        yield from (Feedback("bounce", a) for a in _recipients(bounce.get("bouncedRecipients")))


def _postmark(payload: dict[str, Any]) -> Iterator[Feedback]:
    """Postmark's bounce and spam-complaint webhooks (``RecordType``; only hard bounces suppress)."""
    email = payload.get("Email")
    if not isinstance(email, str):
        return
    if payload["RecordType"] == "SpamComplaint":
        yield Feedback("complaint", email)
    elif payload["RecordType"] == "Bounce" and payload.get("Type") in {"HardBounce", "BadEmailAddress"}:
        yield Feedback("bounce", email)


def _recipients(people: Any) -> list[str]:
    """The ``emailAddress`` of each SES recipient object."""
    if not isinstance(people, list):
        return []
    return [p["emailAddress"] for p in people if isinstance(p, dict) and isinstance(p.get("emailAddress"), str)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
