"""Domain errors: what domain code raises when a user caused a problem or can act on it.

They know no web framework; ``paperstand.web.errors`` maps them to the HTML error page and the
one JSON error shape.
"""

from __future__ import annotations


class DomainError(Exception):
    """An error a user caused or can act on; ``status`` is the HTTP status it maps to."""

    status = 400
    title = "Bad request"
    # Seconds after which trying again may work (sent as ``Retry-After``); None: trying again will not help.
    retry_after: int | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def headers(self) -> dict[str, str] | None:
        """The HTTP headers an answer with this error carries (``Retry-After`` when trying later may work)."""
        return None if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status = 404
    title = "Not found"


class BadRequest(DomainError):
    """The request's parameters are invalid."""

    status = 400
    title = "Bad request"
