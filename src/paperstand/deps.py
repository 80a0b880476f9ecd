"""Request dependencies shared by the page and API routers.

Routes take settings as ``settings: SettingsDep``; helpers that hold only the request (CSRF, links)
call ``app_settings(request)``. Either way the type is checked, and nothing else reads app state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from paperstand.config import Settings


def db_session(request: Request) -> Iterator[Session]:
    """A session for the request, closed afterwards.

    Routes take it with ``DB_SESSION``: closed when the handler returns, not
    after the answer is sent. Held until after sending, every answer still in flight kept a pooled
    connection while the middlewares (Last-Modified) asked the pool for another, and 16 concurrent
    renders starved SQLAlchemy's default pool (5 + 10 overflow) into waiting on each other.
    """
    with request.app.state.sessions() as session:
        yield session


# The dependency every route takes its session by (see ``db_session`` for why ``scope="function"``).
DB_SESSION = Depends(db_session, scope="function")


def app_settings(request: Request) -> Settings:
    """The settings of the app serving ``request``."""
    s: Settings = request.app.state.settings
    return s


def settings(request: Request) -> Settings:
    """The app's settings, as a route dependency."""
    return app_settings(request)


SettingsDep = Annotated[Settings, Depends(settings)]
