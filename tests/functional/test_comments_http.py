"""Comments and moderation over HTTP: forms with CSRF, rights, the thread on the paper page, the API, /moderation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from comments_fixtures import store_paper
from paperstand.app import create_app
from paperstand.community.models import Comment, CommentFlag
from paperstand.config import Settings
from paperstand.mail.models import OutgoingMail

PAPER = "2503.04444"
PAGE = f"/papers/{PAPER}"
CSRF = "test-csrf-token"
XSS = "Looks **solid**. <img src=x onerror=alert(1)> [click](javascript:alert(1))"


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """The app on the test database with one paper (12 comments on Hugging Face); no rate limits."""
    store_paper(engine, PAPER, hf_comments=12)
    app = create_app(Settings(database_url=db_url, harvest_on_start=False, rate_limits="off"))
    with TestClient(app) as test_client:
        yield test_client


def as_member(member: MadeMember) -> dict[str, str]:
    """A member's page request headers, with the CSRF cookie the forms' ``csrf`` field must match."""
    return {"Cookie": f"ps_session={member.cookie}; ps_csrf={CSRF}"}


def _post(client: TestClient, member: MadeMember | None, path: str, **form: str) -> httpx.Response:
    headers = as_member(member) if member else {"Cookie": f"ps_csrf={CSRF}"}
    return client.post(path, data={"csrf": CSRF, **form}, headers=headers, follow_redirects=False)


def _comment(client: TestClient, member: MadeMember, body: str = XSS, **form: str) -> int:
    res = client.post(f"{PAGE}/comments", data={"csrf": CSRF, "body": body, **form}, headers=as_member(member),
                      follow_redirects=False)
    assert res.status_code == 303, res.text
    match = re.fullmatch(rf"{PAGE}#comment-(\d+)", res.headers["location"])
    assert match, res.headers["location"]
    return int(match.group(1))


def _count(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Comment)) or 0)


def test_forms_need_their_csrf_token_and_a_login(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    res = client.post(f"{PAGE}/comments", data={"body": "hi"}, headers=as_member(ada), follow_redirects=False)
    assert res.status_code == 403 and "form expired" in res.text
    res = client.post(f"{PAGE}/comments", data={"body": "hi", "csrf": "forged"}, headers=as_member(ada))
    assert res.status_code == 403
    res = client.post(f"{PAGE}/comments", data={"body": "hi", "csrf": CSRF},
                      headers={**as_member(ada), "Origin": "https://evil.example"})
    assert res.status_code == 403
    res = _post(client, None, f"{PAGE}/comments", body="hi")
    assert res.status_code == 303 and res.headers["location"].startswith("/login?next=")
    for path in ("/comments/1/edit", "/comments/1/delete", "/comments/1/flag", "/moderation/comments/1/hide"):
        assert client.post(path, data={"body": "x", "reason": "x"}, headers=as_member(ada)).status_code == 403
    assert _count(engine) == 0


def test_a_comment_with_markdown_and_an_xss_payload_is_shown_safely(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    cid = _comment(client, ada)
    page = client.get(PAGE)  # anonymous
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    thread = html[html.index('id="comments"'):]
    assert f'id="comment-{cid}"' in thread and "<strong>solid</strong>" in thread
    assert "&lt;img src=x onerror=alert(1)&gt;" in thread and "<img" not in thread
    assert 'href="javascript' not in thread
    # An anonymous page is cached for every anonymous visitor: no form, no token, no key.
    assert "Log in to comment" in thread and "<form" not in thread and 'name="key"' not in thread
    assert "1 comment</a> · 12 on Hugging Face" in html
    own = client.get(PAGE, headers=as_member(ada)).text
    assert f'<a href="/comments/{cid}/edit">Edit</a>' in own and f'<a href="/comments/{cid}/delete">' in own
    assert f'name="parent" value="{cid}"' in own and 'name="csrf"' in own


def test_the_anonymous_page_shows_a_new_comment_through_the_page_cache(engine: Engine, db_url: str) -> None:
    store_paper(engine, PAPER)
    ada = make_member(engine, "ada")
    app = create_app(Settings(database_url=db_url, harvest_on_start=False, rate_limits="off"))
    with TestClient(app) as client:
        assert client.get(PAGE).status_code == 200
        assert client.get(PAGE).headers.get("x-cache") == "hit"
        _comment(client, ada, "Fresh words")
        page = client.get(PAGE)
        assert page.headers.get("x-cache") != "hit" and "Fresh words" in page.text


def test_a_mention_queues_a_mail_in_the_outbox_and_the_thread_address_leads_to_the_page(
        client: TestClient, engine: Engine) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    cid = _comment(client, ada, "What do you think, @bob?")
    with Session(engine) as s:
        [mail] = s.scalars(select(OutgoingMail))
    assert (mail.kind, mail.to_address, mail.dedupe_key) == ("mention", bob.email, f"mention:{cid}:{bob.id}")
    assert f"/papers/{PAPER}#comment-{cid}" in mail.body_text and mail.sent_at is None
    res = client.get(f"{PAGE}/comments", follow_redirects=False)
    assert res.status_code == 301 and res.headers["location"] == f"{PAGE}#comments"
    assert client.get("/papers/2501.99999/comments").status_code == 404


def test_a_resent_form_posts_once(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    form = client.get(PAGE, headers=as_member(ada)).text
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None
    first = _comment(client, ada, "Twice?", key=key.group(1))
    assert _comment(client, ada, "Twice?", key=key.group(1)) == first
    assert _count(engine) == 1


def test_bad_posts_come_back_with_the_reason_and_the_text(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    long = "word " * 2500
    res = _post(client, ada, f"{PAGE}/comments", body=long)
    assert res.status_code == 400
    text = res.text
    assert "at most 10,000 characters; this one has 12,499" in text and "word word" in text
    assert "Your comment was not posted" in text and "content-security-policy" in res.headers
    assert _post(client, ada, f"{PAGE}/comments", body="   ").status_code == 400
    assert _post(client, ada, f"{PAGE}/comments", body="hi", parent="abc").status_code == 400
    assert _post(client, ada, f"{PAGE}/comments", body="hi", parent="99999999999").status_code == 400
    assert _post(client, ada, f"{PAGE}/comments", body="hi", parent="77").status_code == 404
    assert _post(client, ada, f"{PAGE}/comments", body="x" * 30_000).status_code == 400
    assert _post(client, ada, "/papers/2501.99999/comments", body="hi").status_code == 404
    assert _post(client, ada, f"{PAGE}/comments", body="hi", key="has space").status_code == 400
    for path in ("/comments/99999999999/edit", "/comments/0/edit", "/comments/abc/delete", "/comments/-1/flag"):
        assert client.get(path, headers=as_member(ada)).status_code in (400, 404), path
    assert client.get("/comments/4242/edit", headers=as_member(ada)).status_code == 404
    assert _count(engine) == 0


def test_edit_and_delete_by_the_author(client: TestClient, engine: Engine) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    cid = _comment(client, ada, "Frist!")
    form = client.get(f"/comments/{cid}/edit", headers=as_member(ada))
    assert form.status_code == 200 and "Frist!</textarea>" in form.text
    assert client.get(f"/comments/{cid}/edit", headers=as_member(bob)).status_code == 403
    assert _post(client, bob, f"/comments/{cid}/edit", body="hijack").status_code == 403
    res = _post(client, ada, f"/comments/{cid}/edit", body="First, *properly*.")
    assert res.headers["location"] == f"{PAGE}#comment-{cid}"
    assert _post(client, ada, f"/comments/{cid}/edit", body="").status_code == 400
    page = client.get(PAGE).text
    assert "First, <em>properly</em>." in page and 'class="edited"' in page
    assert client.get(f"/comments/{cid}/delete", headers=as_member(bob)).status_code == 403
    confirm = client.get(f"/comments/{cid}/delete", headers=as_member(ada))
    assert confirm.status_code == 200 and "Delete your comment?" in confirm.text
    assert _post(client, bob, f"/comments/{cid}/delete").status_code == 403
    assert _post(client, ada, f"/comments/{cid}/delete").status_code == 303
    page = client.get(PAGE).text
    assert "[deleted]" in page and "properly" not in page and "0 comments</a> · 12 on Hugging Face" in page


def test_reports_reach_the_moderators_queue_and_a_hide_reaches_the_log(client: TestClient, engine: Engine) -> None:
    eve, ada = make_member(engine, "eve"), make_member(engine, "ada")
    mo = make_member(engine, "mo", role="moderator")
    cid = _comment(client, eve, "Cheap pills at spam.example")
    assert client.get(f"/comments/{cid}/flag", headers=as_member(ada)).status_code == 200
    assert _post(client, ada, f"/comments/{cid}/flag", reason="").status_code == 400
    assert _post(client, eve, f"/comments/{cid}/flag", reason="me").status_code == 400
    done = _post(client, ada, f"/comments/{cid}/flag", reason="advertising")
    assert done.status_code == 200 and "moderators will look" in done.text
    assert "already reported" in _post(client, ada, f"/comments/{cid}/flag", reason="x").text
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CommentFlag)) == 1
    # Members cannot see the queue or act; anonymous visitors are sent to log in.
    assert client.get("/moderation/queue", headers=as_member(ada)).status_code == 403
    assert client.get("/moderation/queue", follow_redirects=False).status_code == 303
    assert _post(client, ada, f"/moderation/comments/{cid}/hide", reason="x").status_code == 403
    queue = client.get("/moderation/queue", headers=as_member(mo))
    assert queue.status_code == 200 and "advertising" in queue.text and "1 reported comment waiting" in queue.text
    assert "content-security-policy" in queue.headers
    assert _post(client, mo, f"/moderation/comments/{cid}/hide", reason="").status_code == 400
    res = _post(client, mo, f"/moderation/comments/{cid}/hide", reason="spam link", back="queue")
    assert res.headers["location"] == "/moderation/queue"
    assert "Nothing reported" in client.get("/moderation/queue", headers=as_member(mo)).text
    log = client.get("/moderation")
    assert log.status_code == 200 and "content-security-policy" in log.headers
    assert '<a href="/u/mo">@mo</a>' in log.text and "spam link" in log.text
    assert f'<a href="{PAGE}#comment-{cid}">comment #{cid} on “Counting Sheep with Transformers”</a>' in log.text
    page = client.get(PAGE).text
    assert "[hidden by a moderator: spam link]" in page and "spam.example" not in page
    assert client.get(f"/api/papers/{PAPER}").json()["numComments"] == 12


def test_moderators_restore_from_the_thread_and_ban_from_the_queue(client: TestClient, engine: Engine) -> None:
    eve, mo = make_member(engine, "eve"), make_member(engine, "mo", role="moderator")
    cid = _comment(client, eve, "Borderline")
    thread = client.get(PAGE, headers=as_member(mo)).text
    assert f'action="/moderation/comments/{cid}/hide"' in thread
    assert _post(client, mo, f"/moderation/comments/{cid}/hide", reason="rude").status_code == 303
    assert f'action="/moderation/comments/{cid}/unhide"' in client.get(PAGE, headers=as_member(mo)).text
    res = _post(client, mo, f"/moderation/comments/{cid}/unhide", reason="on reflection, fine")
    assert res.headers["location"] == f"{PAGE}#comment-{cid}"
    assert _post(client, mo, "/moderation/comments/1/explode", reason="x").status_code in (400, 404)
    assert _post(client, mo, "/moderation/members", name="eve", action="ban",
                 reason="ban evasion").headers["location"] == "/moderation"
    assert _post(client, mo, "/moderation/members", name="nobody", action="ban",
                 reason="x").status_code == 404
    assert _post(client, mo, "/moderation/members", name="eve", action="maybe",
                 reason="x").status_code == 400
    assert _post(client, mo, "/moderation/submissions", paper=PAPER, day="someday",
                 reason="x").status_code == 400
    assert _post(client, mo, "/moderation/submissions", paper=PAPER, day="2025-03-11",
                 reason="duplicate").status_code == 303
    log = client.get("/moderation").text
    for words in ("banned <a href=\"/u/eve\">@eve</a>", "ban evasion", "restored", "on reflection, fine",
                  "the submission of “Counting Sheep with Transformers” on Mar 11, 2025"):
        assert words in log
    # The ban ended eve's login; her API token now answers 403.
    assert "Log in to comment" in client.get(PAGE, headers=as_member(eve)).text
    res = client.post(f"/api/papers/{PAPER}/comments", json={"body": "again"}, headers=eve.bearer)
    assert res.status_code == 403 and res.json()["error"] == "this account is banned"


def test_the_moderation_log_pages_and_its_empty_state(client: TestClient) -> None:
    res = client.get("/moderation")
    assert res.status_code == 200 and "No moderator has had to act yet." in res.text
    assert client.get("/moderation?p=2").status_code == 404
    assert client.get("/moderation?p=0").status_code == 400
    assert client.get("/moderation?p=x").status_code == 400


def test_the_api_lists_and_posts_comments(client: TestClient, engine: Engine) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    url = f"/api/papers/{PAPER}/comments"
    assert client.get(url).json() == []
    res = client.post(url, json={"body": "hi"})
    assert res.status_code == 401 and res.headers["www-authenticate"].startswith("Bearer")
    assert client.post(url, json={"body": "hi"}, headers={"Authorization": "Bearer nope"}).status_code == 401
    made = client.post(url, json={"body": f"Agreed, @bob. {XSS}"}, headers={**ada.bearer, "Idempotency-Key": "k1"})
    assert made.status_code == 201 and "idempotent-replayed" not in made.headers
    body = made.json()
    assert (body["author"], body["status"], body["parentId"]) == ("ada", "visible", None)
    assert "<img" not in body["html"] and '<a href="/u/bob" class="mention"' in body["html"]
    again = client.post(url, json={"body": f"Agreed, @bob. {XSS}"}, headers={**ada.bearer, "Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == body["id"]
    conflict = client.post(url, json={"body": "other"}, headers={**ada.bearer, "Idempotency-Key": "k1"})
    assert conflict.status_code == 409 and conflict.json()["status"] == 409
    reply = client.post(url, json={"body": "Thanks", "parent_id": body["id"], "idempotency_key": "r1"},
                        headers=bob.bearer)
    assert reply.status_code == 201 and reply.json()["parentId"] == body["id"]
    listed = client.get(url).json()
    assert [(c["author"], c["parentId"]) for c in listed] == [("ada", None), ("bob", body["id"])]
    assert client.get(f"/api/papers/{PAPER}").json()["numComments"] == 14
    assert client.get("/api/daily_papers").json()[0]["numComments"] == 14


@pytest.mark.parametrize("payload", [
    {"body": ""}, {"body": "a\u0000b"}, {"body": "x" * 10_001}, {"body": "x" * 30_000}, {"body": 5},
    {"body": "hi", "parent_id": 2**40}, {"body": "hi", "parent_id": 0}, {"body": "hi", "parent_id": "x"},
    {"body": "hi", "idempotency_key": "bad key"}, {"nobody": "hi"}, [], "text",
])
def test_the_api_refuses_bad_comments_with_a_json_400(client: TestClient, engine: Engine, payload: object) -> None:
    ada = make_member(engine, "ada")
    res = client.post(f"/api/papers/{PAPER}/comments", json=payload, headers=ada.bearer)
    assert res.status_code == 400, res.text
    assert res.json()["status"] == 400 and res.json()["error"]
    assert _count(engine) == 0


def test_the_api_refuses_unknown_papers_banned_members_and_bad_keys(client: TestClient, engine: Engine) -> None:
    eve = make_member(engine, "eve", banned=True)
    newbie = make_member(engine, "newbie", verified=False)
    ada = make_member(engine, "ada")
    url = f"/api/papers/{PAPER}/comments"
    assert client.post(url, json={"body": "hi"}, headers=eve.bearer).status_code in (401, 403)
    assert client.post(url, json={"body": "hi"}, headers=newbie.bearer).status_code == 403
    assert client.post("/api/papers/2501.99999/comments", json={"body": "hi"}, headers=ada.bearer).status_code == 404
    assert client.get("/api/papers/2501.99999/comments").status_code == 404
    res = client.post(url, json={"body": "hi"}, headers={**ada.bearer, "Idempotency-Key": "x" * 201})
    assert res.status_code == 400
    res = client.post(url, content=b'{"body": ', headers={**ada.bearer, "Content-Type": "application/json"})
    assert res.status_code == 400
    assert _count(engine) == 0


def test_the_comment_endpoints_are_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    path = spec["paths"]["/api/papers/{paper_id}/comments"]
    assert set(path) == {"get", "post"}
    post = path["post"]
    assert "201" in post["responses"] and {"401", "403", "409"} <= set(post["responses"])
    assert any(p["name"] == "idempotency-key" and p["in"] == "header" for p in post["parameters"])
    assert "CommentIn" in spec["components"]["schemas"] and "CommentOut" in spec["components"]["schemas"]


def test_every_comment_and_moderation_page_carries_the_policy(client: TestClient, engine: Engine) -> None:
    ada, mo = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    cid = _comment(client, ada, "policy check")
    pages = [(PAGE, None), (PAGE, ada), (PAGE, mo), ("/moderation", None), ("/moderation/queue", mo),
             ("/moderation/queue", ada), (f"/comments/{cid}/edit", ada), (f"/comments/{cid}/edit", mo),
             (f"/comments/{cid}/delete", ada), (f"/comments/{cid}/flag", mo), ("/comments/999/flag", mo)]
    responses = [client.get(path, headers=as_member(who) if who else {}) for path, who in pages]
    responses += [_post(client, ada, f"{PAGE}/comments", body=""), _post(client, ada, f"/comments/{cid}/flag"),
                  _post(client, mo, f"/comments/{cid}/flag", reason="test"), _post(client, ada, "/moderation/members")]
    assert {r.status_code for r in responses} == {200, 400, 403, 404}
    for res in responses:
        assert res.headers["content-type"].startswith("text/html"), res.url
        policy = res.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert res.headers["x-content-type-options"] == "nosniff" and "referrer-policy" in res.headers
