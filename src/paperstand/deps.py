"""Request dependencies shared by the page and API routers."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from paperstand.config import Settings


def db_session(request: Request) -> Iterator[Session]:
    """A read session for the request, closed afterwards."""
    with request.app.state.sessions() as session:
        yield session


def settings(request: Request) -> Settings:
    """The app's settings."""
    s: Settings = request.app.state.settings
    return s
