"""Fixtures of the account tests: the site as mails see it, and fresh login counters."""

from __future__ import annotations

import pytest
from accounts_helpers import SITE

from paperstand.accounts.emails import MailSite
from paperstand.accounts.throttle import LoginThrottle, parse_limit


@pytest.fixture
def site() -> MailSite:
    """The site mails link to."""
    return SITE


@pytest.fixture
def throttle() -> LoginThrottle:
    """Login counters of their own (in memory), at the default limit."""
    return LoginThrottle(parse_limit("10 per 5 minutes"))
