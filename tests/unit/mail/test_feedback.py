"""Reading complaint and bounce feedback: ARF reports, delivery status, and providers' webhook JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperstand.mail.feedback import Feedback, read_report, webhook_events
from paperstand.subscriptions.links import make_key

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
SECRET = b"k"


def test_arf_complaint_names_the_recipient_and_our_message() -> None:
    """An RFC 5965 report: a complaint, for Original-Rcpt-To, and the subscriber our Message-ID names."""
    report = read_report((FIXTURES / "arf_complaint.eml").read_bytes(), SECRET)
    assert report == Feedback("complaint", "Reader@Example.org", 1)


def test_redacted_arf_finds_the_subscriber_by_signed_unsubscribe_key() -> None:
    """Providers redact the address: our signed List-Unsubscribe key in the reported message names who it was."""
    key = make_key(SECRET, "unsubscribe", 42)
    raw = (FIXTURES / "arf_complaint.eml").read_bytes().replace(b"Original-Rcpt-To: <Reader@Example.org>\n", b"")
    raw = raw.replace(b"To: Reader@Example.org\n", b"To: redacted\nList-Unsubscribe: "
                      b"<https://papers.example.org/unsubscribe/" + key.encode() + b">\n")
    raw = raw.replace(b"Message-ID: <digest.2026-03-02.1@papers.example.org>\n", b"")
    assert read_report(raw, SECRET) == Feedback("complaint", None, 42)
    forged = raw.replace(key.encode(), make_key(b"other", "unsubscribe", 42).encode())
    assert read_report(forged, SECRET) is None  # a key we did not sign names nobody


def test_delivery_status_with_a_5xx_is_a_bounce() -> None:
    """RFC 3464: Action failed, Status 5.1.1: a permanent bounce for the final recipient."""
    assert read_report((FIXTURES / "dsn_hard_bounce.eml").read_bytes(), SECRET) == Feedback("bounce",
                                                                                           "gone@example.org")


def test_a_temporary_failure_and_ordinary_mail_are_no_reports() -> None:
    """A 4.x.x delay and a plain message suppress nobody."""
    delayed = (FIXTURES / "dsn_hard_bounce.eml").read_bytes().replace(b"Status: 5.1.1", b"Status: 4.2.2")
    assert read_report(delayed, SECRET) is None
    assert read_report(b"From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n", SECRET) is None
    assert read_report(b"\x00\xff garbage", SECRET) is None


@pytest.mark.parametrize(("payload", "events"), [
    ({"type": "complaint", "email": "a@example.org"}, [Feedback("complaint", "a@example.org")]),
    ({"type": "bounce", "email": "a@example.org"}, [Feedback("bounce", "a@example.org")]),
    ({"type": "delivery", "email": "a@example.org"}, []),
    ({"type": "complaint", "email": 5}, []),
    ([1, 2], []),
    ({"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": "p@example.org"},
     [Feedback("complaint", "p@example.org")]),
    ({"RecordType": "Bounce", "Type": "HardBounce", "Email": "p@example.org"}, [Feedback("bounce", "p@example.org")]),
    ({"RecordType": "Bounce", "Type": "SoftBounce", "Email": "p@example.org"}, []),
    ({"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "s@example.org"}]}},
     [Feedback("complaint", "s@example.org")]),
    ({"eventType": "Bounce", "bounce": {"bounceType": "Permanent",
                                        "bouncedRecipients": [{"emailAddress": "s@example.org"}, {"x": 1}]}},
     [Feedback("bounce", "s@example.org")]),
    ({"notificationType": "Bounce", "bounce": {"bounceType": "Transient",
                                               "bouncedRecipients": [{"emailAddress": "s@example.org"}]}}, []),
    ({"notificationType": "Complaint", "complaint": "nonsense"}, []),
])
def test_webhook_shapes(payload: object, events: list[Feedback]) -> None:
    """Our own shape, Postmark's and SES's; only complaints and permanent bounces count."""
    assert webhook_events(payload) == events


def test_sns_wraps_the_ses_notification_as_a_string() -> None:
    """SNS posts ``{"Type": "Notification", "Message": "<SES JSON>"}``."""
    inner = {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "s@x.org"}]}}
    assert webhook_events({"Type": "Notification", "Message": json.dumps(inner)}) == [Feedback("complaint", "s@x.org")]
    assert webhook_events({"Type": "Notification", "Message": "[" * 5000}) == []
