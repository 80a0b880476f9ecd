"""A verified author's code and project links: parsed, never fetched; kept by later imports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from claims_fixtures import BASE, NOW, member, store_paper
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts.errors import NotAllowed
from paperstand.community.claim_links import LinkError, github_repo, project_page
from paperstand.community.claims import claim, decide, set_links
from paperstand.errors import NotFound
from paperstand.ingest.run import import_file
from paperstand.papers.links import http_url
from paperstand.papers.models import ExternalSignal, Paper

DAILY = Path(__file__).parents[2] / "fixtures" / "api" / "daily_small.json"


@pytest.mark.parametrize("typed", [
    "octo/engine", " octo/engine ", "github.com/octo/engine", "www.github.com/octo/engine",
    "https://github.com/octo/engine", "http://github.com/octo/engine/", "HTTPS://GitHub.com/octo/engine",
    "https://github.com/octo/engine.git", "git@github.com:octo/engine.git", "//github.com/octo/engine",
    "https://github.com/octo/engine/tree/main/src?tab=readme#setup", "https://www.github.com/octo/engine#readme",
])
def test_a_repository_is_stored_in_one_form(typed: str) -> None:
    assert github_repo(typed) == "https://github.com/octo/engine"


def test_repository_names_keep_their_own_characters() -> None:
    assert github_repo("Octo-Lab/my_engine.v2") == "https://github.com/Octo-Lab/my_engine.v2"
    assert github_repo("") is None and github_repo("   ") is None


@pytest.mark.parametrize(("typed", "says"), [
    ("https://gitlab.com/octo/engine", "only repositories on github.com"),
    ("gitlab.com/octo/engine", "only repositories on github.com"),
    ("https://github.com.evil.example/octo/engine", "only repositories on github.com"),
    ("https://octo@github.com/octo/engine", "only repositories on github.com"),
    ("https://github.com:8443/octo/engine", "only repositories on github.com"),
    ("javascript:alert(1)//github.com/a/b", "only repositories on github.com"),
    ("file:///etc/passwd", "only repositories on github.com"),
    ("http://127.0.0.1/octo/engine", "only repositories on github.com"),
    ("octo", "does not name a GitHub repository"),
    ("https://github.com/octo", "does not name a GitHub repository"),
    ("-octo/engine", "does not name a GitHub repository"),
    ("octo--lab/engine", "does not name a GitHub repository"),
    ("octo/..", "does not name a GitHub repository"),
    ("octo/<script>", "does not name a GitHub repository"),
    ("octo/" + "e" * 101, "does not name a GitHub repository"),
    ("o" * 40 + "/engine", "does not name a GitHub repository"),
    ("octo/engine\x00", "control characters"),
    ("octo/en gine", "spaces"),
    ("octo/en\u2028gine", "spaces"),
    ("x" * 501, "at most 500"),
])
def test_hostile_repositories_are_refused(typed: str, says: str) -> None:
    with pytest.raises(LinkError, match=says) as caught:
        github_repo(typed)
    assert caught.value.field == "github_repo" and caught.value.status == 400


@pytest.mark.parametrize(("typed", "stored"), [
    ("https://octo.example.org/engine", "https://octo.example.org/engine"),
    ("HTTP://Octo.Example.ORG:8080/a/B?x=1#Top", "http://octo.example.org:8080/a/B?x=1#Top"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("  https://octo.example.org  ", "https://octo.example.org"),
    ("", None),
])
def test_a_project_page_is_an_http_address_with_a_site_name(typed: str, stored: str | None) -> None:
    assert project_page(typed) == stored


@pytest.mark.parametrize(("typed", "says"), [
    ("javascript:alert(1)", "only http:// and https://"),
    ("JaVaScRiPt:alert(document.cookie)", "only http:// and https://"),
    ("data:text/html,<b>x</b>", "characters a link cannot contain"),
    ("data:text/html;base64,PHNjcmlwdD4=", "only http:// and https://"),
    ("ftp://octo.example.org/", "only http:// and https://"),
    ("octo.example.org/engine", "only http:// and https://"),
    ("https://", "needs a site name"),
    ("https:///path", "needs a site name"),
    ("http://localhost:8000/", "needs a site name"),
    ("http://10.0.0.1/admin", "needs a site name"),
    ("http://[::1]/", "needs a site name"),
    ("https://-bad-.example.org/", "needs a site name"),
    ("https://" + "a" * 64 + ".example.org/", "needs a site name"),
    ("https://user:pw@octo.example.org/", "user name or password"),
    ("https://octo.example.org:99999/", "not a valid address"),
    ('https://octo.example.org/"onmouseover="x', "characters a link cannot contain"),
    ("https://octo.example.org/<script>", "characters a link cannot contain"),
    ("https://octo.example.org/\x00", "control characters"),
    ("https://octo.example.org/\r\nSet-Cookie: x", "control characters"),
    ("https://octo.example.org/a b", "spaces"),
    ("https://octo.example.org/" + "a" * 500, "at most 500"),
])
def test_hostile_project_pages_are_refused(typed: str, says: str) -> None:
    with pytest.raises(LinkError, match=says) as caught:
        project_page(typed)
    assert caught.value.field == "project_page"


def _verified(engine: Engine, paper_id: int, name: str = "ada", index: int = 0) -> int:
    author = make_member(engine, name)
    mod = make_member(engine, f"mod-{name}", role="moderator")
    with Session(engine) as s:
        row = claim(s, member=member(s, author.id), paper_id=paper_id, author_index=index, now=NOW)
        decide(s, moderator=member(s, mod.id), claim_id=row.id, approve=True, reason="", now=NOW,
               base_url=BASE, site_name="paperstand")
    return author.id


def _set(engine: Engine, member_id: int, paper_id: int, repo: str, page: str) -> Paper:
    with Session(engine, expire_on_commit=False) as s:
        return set_links(s, member=member(s, member_id), paper_id=paper_id, github_repo=repo, project_page=page,
                         now=NOW)


def test_only_a_verified_author_sets_links(engine: Engine) -> None:
    paper = store_paper(engine)
    ada = _verified(engine, paper)
    stranger = make_member(engine, "bob")
    pending = make_member(engine, "cy")
    with Session(engine) as s:
        claim(s, member=member(s, pending.id), paper_id=paper, author_index=1, now=NOW)
    for who in (stranger.id, pending.id):
        with pytest.raises(NotAllowed, match="only a verified author"):
            _set(engine, who, paper, "octo/engine", "")
    with pytest.raises(NotFound):
        _set(engine, ada, paper + 999, "octo/engine", "")
    with pytest.raises(LinkError):
        _set(engine, ada, paper, "octo/engine", "javascript:alert(1)")
    saved = _set(engine, ada, paper, "https://github.com/octo/engine/tree/main", "https://octo.example.org")
    assert (saved.github_repo, saved.project_page, saved.links_set_by_author) == (
        "https://github.com/octo/engine", "https://octo.example.org", True)
    cleared = _set(engine, ada, paper, "", "")
    assert (cleared.github_repo, cleared.project_page) == (None, None)
    # A ban ends the right at once.
    with Session(engine) as s:
        member(s, ada).banned_at = NOW
        s.commit()
    with pytest.raises(NotAllowed):
        _set(engine, ada, paper, "octo/engine", "")


def test_reimporting_the_paper_keeps_the_authors_links(engine: Engine) -> None:
    import_file(engine, DAILY)
    with Session(engine) as s:
        paper = s.scalars(select(Paper).where(Paper.arxiv_id == "2503.00201")).one()
        paper_id, first_author = paper.id, paper.authors[0]
        assert paper.github_repo == "https://github.com/example/route-bench"
    assert first_author == "Ravi Rao"
    ada = _verified(engine, paper_id)
    _set(engine, ada, paper_id, "ravi-lab/route-bench-2", "https://ravi.example.org/route")
    with Session(engine) as s:
        # The imported star count was about the repository Hugging Face knew; it is dropped with it.
        assert s.scalars(select(ExternalSignal).where(ExternalSignal.paper_id == paper_id,
                                                      ExternalSignal.name == "github_stars")).all() == []
    import_file(engine, DAILY)  # Hugging Face still lists its own links for the paper
    store_paper(engine, "2503.00201", authors=["Ravi Rao", "Sun Li"], source="hf-daily",
                github_repo="https://github.com/example/other", project_page="https://example.org/other")
    with Session(engine) as s:
        paper = s.get(Paper, paper_id)
        assert paper is not None
        assert (paper.github_repo, paper.project_page) == (
            "https://github.com/ravi-lab/route-bench-2", "https://ravi.example.org/route")
        # Everything else still follows the imports.
        assert paper.ai_keywords == ["route planning", "weather"]
        # A paper no author touched still takes Hugging Face's links.
        other = s.scalars(select(Paper).where(Paper.arxiv_id == "2503.00101")).one()
        assert other.links_set_by_author is False


@given(st.text(st.characters(exclude_categories=()), max_size=120))
@settings(max_examples=300, deadline=None)
def test_any_text_is_a_clean_link_or_a_clear_refusal(typed: str) -> None:
    for parse, shape in ((github_repo, r"https://github\.com/[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}"),
                         (project_page, r"https?://[a-z0-9.-]+(:\d+)?([/?#][^\s<>\"`{}|\\^]*)?")):
        try:
            stored = parse(typed)
        except LinkError as exc:
            assert exc.message and exc.status == 400
            continue
        assert stored is None or (re.fullmatch(shape, stored) and http_url(stored) == stored), stored
