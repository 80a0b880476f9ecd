"""Mail delivery: a small backend protocol chosen by URL (SMTP, file, console, memory)."""

from paperstand.mail.backends import MailBackend, backend_from_url
from paperstand.mail.errors import MailError, PermanentMailError, TransientMailError
from paperstand.mail.headers import safe_header

__all__ = [
    "MailBackend",
    "MailError",
    "PermanentMailError",
    "TransientMailError",
    "backend_from_url",
    "safe_header",
]
