"""Header safety: values that could inject extra header lines are refused (RELIABILITY 20)."""

from __future__ import annotations

import email.message
import email.policy
import re
from datetime import UTC, datetime
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

# Every character str.splitlines() breaks on, plus NUL: some mail software treats the
# Unicode and ASCII separators as line ends too, so CR/LF alone is not enough to refuse.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")
# RFC 5322 field name: printable ASCII except the colon.
_NAME = re.compile(r"[!-9;-~]+")


def single_line(value: str) -> str:
    """Return ``value`` unchanged when it holds no line-break character; raise ValueError otherwise."""
    if _LINE_BREAKS.isdisjoint(value):
        return value
    bad = sorted({repr(c) for c in value if c in _LINE_BREAKS})
    raise ValueError(f"mail: header value contains line-break characters {', '.join(bad)}: {value[:60]!r}")


# What header_text takes out: every control character (C0, C1, DEL), the Unicode line and paragraph
# separators, lone surrogates and the two non-characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_BREAK = re.compile("[\t\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def header_text(value: str) -> str:
    """``value`` made safe for one header line (or one line of text): a line break becomes a space, and
    every other unsafe character is removed.

    For text that comes from stored data (a paper's title in a Subject): unlike :func:`single_line`,
    which refuses, this never fails, so one old bad row cannot stop a mail from being built.
    """
    if _UNSAFE.search(value) is None:
        return value
    return " ".join(_UNSAFE.sub("", _BREAK.sub(" ", value)).split())


def checked_address(value: str) -> str:
    """``value`` unchanged when it holds no control character; ValueError otherwise.

    An address is never cleaned (mail to a different address than the one stored would be wrong): a
    stored address with a control character in it is refused, and that one message is not sent.
    """
    found = _UNSAFE.search(value)
    if found is not None:
        raise ValueError(f"mail: address holds a control character (U+{ord(found.group()):04X}): {value[:60]!r}")
    return value


def safe_header(value: str) -> str:
    """Return ``value`` unchanged if it is a single-line header value; raise ValueError otherwise."""
    single_line(value)
    # Let the SMTP policy parse it as well, so the value we return is one it will serialise.
    email.policy.SMTP.header_store_parse("X-Check", value)
    return value


def set_header(message: email.message.EmailMessage, name: str, value: str) -> None:
    """Replace header ``name`` on ``message`` with a checked single-line value."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"mail: invalid header name {name!r}")
    del message[name]
    message[name] = safe_header(value)


# The display name ``PAPERSTAND_MAIL_FROM`` has until someone changes it.
DEFAULT_NAME = "paperstand"


def sender_address(mail_from: str, site_name: str) -> str:
    """The ``From`` value: ``PAPERSTAND_MAIL_FROM``, named after the site unless it carries its own name.

    ``papers@example.org`` and the default ``paperstand <…>`` take the site's name; ``Lab <…>`` stays.
    """
    name, address = parseaddr(mail_from)
    if not address:
        return mail_from
    if name and name != DEFAULT_NAME:
        return mail_from
    return formataddr((site_name or DEFAULT_NAME, address))


def date_header(when: datetime | None = None) -> str:
    """An RFC 5322 ``Date`` value (now, unless ``when`` is given)."""
    return formatdate((when or datetime.now(UTC)).timestamp(), usegmt=True)


def new_message_id(base_url: str, purpose: str = "mail") -> str:
    """A fresh, unique ``Message-ID`` on the site's host name (``<…purpose…@host>``)."""
    return make_msgid(idstring=purpose, domain=urlsplit(base_url).hostname or "localhost")
