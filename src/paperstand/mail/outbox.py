"""Queue single messages in the writing transaction; the worker's ``send_mail`` job delivers them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from paperstand.dialect import insert_or_ignore
from paperstand.mail.models import OutgoingMail


def enqueue(session: Session, *, kind: str, to: str, subject: str, text: str, now: datetime,
            html: str | None = None, dedupe_key: str | None = None) -> None:
    """Queue one message to ``to`` (the caller commits, with the change that caused it).

    With ``dedupe_key``, a second message under the same key is dropped: a retried request or a job
    run twice queues one message.
    """
    values = {"kind": kind, "to_address": to, "subject": subject, "body_text": text, "body_html": html,
              "dedupe_key": dedupe_key, "created_at": now, "next_attempt_at": now, "attempts": 0}
    session.execute(insert_or_ignore(session, OutgoingMail, keys=["dedupe_key"]), [values])
