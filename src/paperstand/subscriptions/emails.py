"""The opt-in mail: a context plus ``subject.txt`` and ``body.txt`` templates, as an EmailMessage."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import urlencode

from jinja2 import Environment

from paperstand.config import Settings
from paperstand.mail.headers import date_header, new_message_id, sender_address
from paperstand.subscriptions.service import OPT_IN_TTL, OptIn


def opt_in_message(settings: Settings, env: Environment, opt_in: OptIn, *,
                   base_url: str | None = None) -> EmailMessage:
    """The confirmation mail for ``opt_in``, with an absolute link to the confirmation page.

    ``base_url`` defaults to the setting, which is right inside ``serve`` (the only sender today).
    """
    base = (base_url or settings.effective_base_url).rstrip("/")
    context = {"site": base, "site_name": settings.site_name, "hours": int(OPT_IN_TTL.total_seconds() // 3600),
               "confirm_url": f"{base}/subscribe/confirm?{urlencode({'token': opt_in.token})}"}
    message = EmailMessage()
    message["Subject"] = env.get_template("email/opt_in/subject.txt").render(context).strip()
    message["From"] = sender_address(settings.mail_from, settings.site_name)
    message["To"] = opt_in.email
    message["Date"] = date_header()
    message["Message-ID"] = new_message_id(base, "confirm")
    message.set_content(env.get_template("email/opt_in/body.txt").render(context))
    return message
