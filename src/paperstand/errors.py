"""Domain errors: what domain code raises when a user caused a problem or can act on it.

They know no web framework; ``paperstand.web.errors`` maps them to the HTML error page and the
one JSON error shape.
"""

from __future__ import annotations


class DomainError(Exception):
    """An error a user caused or can act on; ``status`` is the HTTP status it maps to."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status = 404
    title = "Not found"


class BadRequest(DomainError):
    """The request's parameters are invalid."""

    status = 400
    title = "Bad request"
