"""Header values cannot carry line breaks (RELIABILITY 20)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperstand.mail import safe_header
from paperstand.mail.headers import set_header


@pytest.mark.parametrize("value", [
    "Hi\r\nBcc: victim@example.org", "Hi\nBcc: x@y", "Hi\rX", "a\u2028b", "a\x85b", "a\x00b",
])
def test_line_breaks_are_refused(value: str) -> None:
    """CR, LF and the other line separators raise ValueError."""
    with pytest.raises(ValueError, match="line-break"):
        safe_header(value)


def test_plain_values_pass_unchanged() -> None:
    """Ordinary and non-ASCII single-line values come back as given."""
    for value in ("Today's papers", "Überblick — 5 papers", "paperstand <papers@localhost>", ""):
        assert safe_header(value) == value


def test_set_header_replaces_and_checks() -> None:
    """set_header replaces the old value and refuses injection and bad names."""
    msg = EmailMessage()
    msg["Subject"] = "old"
    set_header(msg, "Subject", "new")
    assert msg.get_all("Subject") == ["new"]
    with pytest.raises(ValueError):
        set_header(msg, "Subject", "x\r\nBcc: a@b")
    with pytest.raises(ValueError, match="header name"):
        set_header(msg, "Bad: Name", "x")


@given(st.text())
def test_accepted_values_serialise_as_one_header(value: str) -> None:
    """Whatever safe_header accepts produces exactly one Subject header on the wire."""
    try:
        checked = safe_header(value)
    except ValueError:
        return
    msg = EmailMessage()
    msg["Subject"] = checked
    msg.set_content("x")
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    # An injected line would show up as an extra header name here.
    assert sorted(parsed.keys()) == ["Content-Transfer-Encoding", "Content-Type", "MIME-Version", "Subject"]


def test_sender_takes_the_site_name_unless_it_has_its_own() -> None:
    from paperstand.mail.headers import sender_address

    assert sender_address("paperstand <papers@localhost>", "Lab Papers") == "Lab Papers <papers@localhost>"
    assert sender_address("papers@example.org", "Lab, Papers") == '"Lab, Papers" <papers@example.org>'
    assert sender_address("Desk <desk@example.org>", "Lab Papers") == "Desk <desk@example.org>"
