"""Digest rendering: multipart structure, unsubscribe headers, stable Message-ID, inlined CSS, no escaping in text."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from paperstand.digests.render import DigestMail, DigestPaper, excerpt, message_id, render_digest
from paperstand.mail.templates import mail_env
from paperstand.papers.links import author_line

BASE = "https://papers.example.org"
PAPER = DigestPaper(
    title="Bread & Butter: <Small> Models", authors=author_line(["A. One", "B. Two", "C. Three", "D. Four", "E. Five"]),
    excerpt=excerpt("We bake bread. Then butter it. Then eat it."), reasons=("top 3 today", "matched cs.CL"),
    url=f"{BASE}/papers/2603.00001", arxiv_url="https://arxiv.org/abs/2603.00001")
MAIL = DigestMail(to="reader@example.org", subscriber_id=7, period="2026-03-02", period_phrase="today",
                  papers=[PAPER], unsubscribe_url=f"{BASE}/unsubscribe/KEY", preferences_url=f"{BASE}/preferences/KEY")


def _render():
    message = render_digest(mail_env(), MAIL, sender="paperstand <papers@example.org>", base_url=BASE)
    return message_from_bytes(message.as_bytes(), policy=default)


def test_multipart_alternative_with_text_then_html() -> None:
    """Text first, HTML second; the HTML has inlined styles and escaped markup, the text reads plainly."""
    parsed = _render()
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in parsed.iter_parts())
    assert "1. Bread & Butter: <Small> Models" in text
    assert "Why: top 3 today; matched cs.CL" in text and "We bake bread. Then butter it." in text
    assert "Then eat it" not in text
    assert "Bread &amp; Butter: &lt;Small&gt; Models" in html and 'style="' in html and "<style" not in html
    assert "A. One, B. Two, C. Three et al. (5 authors)" in text


def test_headers_for_one_click_unsubscribe() -> None:
    """List-Unsubscribe (HTTPS, opaque key), List-Unsubscribe-Post, List-Id, subject."""
    parsed = _render()
    assert parsed["List-Unsubscribe"] == f"<{BASE}/unsubscribe/KEY>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "paperstand digests <digests.papers.example.org>"
    assert parsed["Subject"] == "1 trending paper today: Bread & Butter: <Small> Models"


def test_message_id_is_stable_per_subscriber_and_period() -> None:
    """A re-send after a crash carries the same Message-ID."""
    assert _render()["Message-ID"] == _render()["Message-ID"] == message_id(7, "2026-03-02", BASE)
    assert message_id(7, "2026-W10", BASE) != message_id(7, "2026-03-02", BASE)


def test_header_injection_is_refused() -> None:
    """A CR/LF in an address never reaches the headers."""
    bad = DigestMail(**{**MAIL.__dict__, "to": "reader@example.org\r\nBcc: all@example.org"})
    with pytest.raises(ValueError):
        render_digest(mail_env(), bad, sender="p <p@example.org>", base_url=BASE)


def test_wire_format_round_trips_through_the_email_package() -> None:
    """Non-ASCII subject and text, long lines and '=' signs survive; lines stay within SMTP's limits."""
    from paperstand.digests.render import digest_bytes, render_body

    paper = DigestPaper(title="Café = “naïve” Bayes " + "long " * 40, authors="Zoë Ångström",
                        excerpt="x = y. " + "ü" * 300, reasons=("matched “café”",), url=f"{BASE}/papers/1",
                        arxiv_url=None)
    mail = DigestMail(**{**MAIL.__dict__, "papers": [paper]})
    data = digest_bytes(render_body(mail_env(), mail.papers, "today"), mail, sender="Pâpers <p@example.org>",
                        base_url=BASE)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert data.isascii()
    parsed = message_from_bytes(data, policy=default)
    assert parsed["Subject"].startswith("1 trending paper today: Café = “naïve” Bayes")
    assert str(parsed["From"]) == "Pâpers <p@example.org>"
    text, html = (part.get_content() for part in parsed.iter_parts())
    assert "Café = “naïve” Bayes" in text and "ü" * 300 in text and "Zoë Ångström" in html
    assert f"Unsubscribe: {BASE}/unsubscribe/KEY" in text and f'href="{BASE}/preferences/KEY"' in html
    assert not parsed.defects and all(not part.defects for part in parsed.iter_parts())


def test_pre_encoded_parts_equal_encoding_the_whole_part() -> None:
    """Encoding a body once and filling each subscriber's links in later gives the same bytes as encoding it whole."""
    from paperstand.digests import render

    body = render.render_body(mail_env(), [PAPER, PAPER], "today")
    unsub, prefs = f"{BASE}/unsubscribe/{'k' * 60}", f"{BASE}/preferences/{'p' * 60}"
    for chunks, whole in ((body.text_chunks, body.text), (body.html_chunks, body.html)):
        assert any(isinstance(c, str) for c in chunks) and any(isinstance(c, bytes) for c in chunks)
        joined = b"".join(c if isinstance(c, bytes) else render._qp(c.replace(render._UNSUBSCRIBE, unsub)
                                                                    .replace(render._PREFERENCES, prefs))
                          for c in chunks)
        expected = render._qp(whole.replace(render._UNSUBSCRIBE, unsub).replace(render._PREFERENCES, prefs))
        assert joined == expected


def test_cached_pieces_give_the_same_body_as_a_fresh_render() -> None:
    """A run's renderer reuses per-paper pieces across digests; each body equals rendering it alone."""
    from dataclasses import replace

    from paperstand.digests.render import Renderer, render_body

    other = replace(PAPER, title="Another paper", reasons=("matched “graph”",), arxiv_url=None)
    renderer = Renderer(mail_env())
    selections = [[PAPER, other], [other, PAPER], [other], [PAPER, other], []]
    for papers in selections:
        assert renderer.body(papers, "today") == render_body(mail_env(), papers, "today")
    body = renderer.body([other, PAPER], "this week", has_preferences=False)
    assert body.text.index("1. Another paper") < body.text.index("2. Bread & Butter")
    assert body.html.count('class="paper" style="') == 2 and "Change topics" not in body.html
    assert "No papers matched your topics today." in renderer.body([], "today").text
