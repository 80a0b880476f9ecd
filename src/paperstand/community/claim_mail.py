"""The mail that tells a claimant how a moderator decided: a context and two templates."""

from __future__ import annotations

from paperstand.mail.templates import mail_env
from paperstand.papers.links import paper_url
from paperstand.papers.models import Paper

TEMPLATES = "email/claim_decision"


def decision_mail(*, paper: Paper, author_name: str, approved: bool, reason: str, base_url: str,
                  site_name: str) -> tuple[str, str]:
    """The subject and plain-text body of the outcome mail, with an absolute link to the paper."""
    base = base_url.rstrip("/")
    context = {"title": " ".join(paper.title.split()), "author_name": author_name, "approved": approved,
               "reason": reason, "paper_url": paper_url(paper, base), "site": base, "site_name": site_name}
    env = mail_env()
    subject = " ".join(env.get_template(f"{TEMPLATES}/subject.txt").render(context).split())
    return subject, env.get_template(f"{TEMPLATES}/body.txt").render(context)
