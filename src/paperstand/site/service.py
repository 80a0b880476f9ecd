"""The public address of this instance, known to every process: the setting, else what ``serve`` recorded.

``paperstand serve`` knows the address it serves on; a ``digest send`` from cron or a second shell
does not (no ``PAPERSTAND_PORT`` there), and guessing ``127.0.0.1:8000`` mails dead unsubscribe
links. So ``serve`` writes its address into the database at startup, and every process that makes
absolute links (digests, the worker) reads it from there when no ``PAPERSTAND_BASE_URL`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperstand.config import Settings
from paperstand.site.models import SiteState

PUBLIC_URL = "public_url"

Source = Literal["setting", "recorded", "guess"]


@dataclass(frozen=True)
class PublicUrl:
    """The base URL for absolute links, and where it came from (``guess`` deserves a warning)."""

    url: str
    source: Source

    @property
    def guessed(self) -> bool:
        """True when neither the setting nor a running ``serve`` said what the address is."""
        return self.source == "guess"


def _put(engine: Engine, key: str, value: str, now: datetime) -> None:
    """Write one value: update, else insert; a concurrent first insert makes the retry's update the one."""
    for attempt in range(2):
        try:
            with engine.begin() as conn:
                changed = conn.execute(update(SiteState).where(SiteState.key == key)
                                       .values(value=value, updated_at=now)).rowcount
                if not changed:
                    conn.execute(insert(SiteState).values(key=key, value=value, updated_at=now))
            return
        except IntegrityError:
            if attempt:
                raise


def record_public_url(engine: Engine, url: str, *, now: datetime | None = None) -> None:
    """Remember ``url`` (``serve``'s own address) as this instance's public address for every process."""
    _put(engine, PUBLIC_URL, url.rstrip("/"), now or datetime.now(UTC))


def recorded_public_url(engine: Engine) -> str | None:
    """The address ``serve`` last recorded, or ``None`` when it never ran against this database."""
    with engine.connect() as conn:
        return conn.execute(select(SiteState.value).where(SiteState.key == PUBLIC_URL)).scalar_one_or_none()


def resolve_public_url(engine: Engine, settings: Settings) -> PublicUrl:
    """``PAPERSTAND_BASE_URL`` when set, else the recorded address, else a guess from ``PAPERSTAND_PORT``."""
    if settings.base_url:
        return PublicUrl(settings.effective_base_url, "setting")
    recorded = recorded_public_url(engine)
    if recorded:
        return PublicUrl(recorded, "recorded")
    return PublicUrl(settings.effective_base_url, "guess")


def public_base_url(engine: Engine, settings: Settings) -> str:
    """The base URL absolute links use in any process (see :func:`resolve_public_url`)."""
    return resolve_public_url(engine, settings).url


def guess_warning(url: str) -> str:
    """What a command says when it has to guess the public address."""
    return (f"warning: PAPERSTAND_BASE_URL is unset and no `paperstand serve` has recorded its address in this "
            f"database; links will point to {url}. Set PAPERSTAND_BASE_URL, or start `paperstand serve` once.")
