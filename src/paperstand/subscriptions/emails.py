"""The opt-in mail: a context plus ``subject.txt`` and ``body.txt`` templates, as an EmailMessage."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment

from paperstand.config import Settings
from paperstand.subscriptions.service import OPT_IN_TTL, OptIn


def opt_in_message(settings: Settings, env: Environment, opt_in: OptIn) -> EmailMessage:
    """The confirmation mail for ``opt_in``, with an absolute link to the confirmation page."""
    base = settings.effective_base_url
    context = {"site": base, "hours": int(OPT_IN_TTL.total_seconds() // 3600),
               "confirm_url": f"{base}/subscribe/confirm?{urlencode({'token': opt_in.token})}"}
    message = EmailMessage()
    message["Subject"] = env.get_template("email/opt_in/subject.txt").render(context).strip()
    message["From"] = settings.mail_from
    message["To"] = opt_in.email
    message["Message-ID"] = make_msgid(domain=urlsplit(base).hostname or "localhost")
    message.set_content(env.get_template("email/opt_in/body.txt").render(context))
    return message
