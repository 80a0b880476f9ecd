"""Authorship claims: who may claim what, one decision per claim under races, verified authors by position."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from claims_fixtures import AUTHORS, BASE, NOW, member, store_paper
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.community.claims import claim, decide, verified_authors
from paperstand.community.models import AuthorClaim, ModerationAction
from paperstand.errors import BadRequest, NotFound
from paperstand.mail.models import OutgoingMail


def _claim(engine: Engine, member_id: int, paper_id: int, index: int) -> AuthorClaim:
    with Session(engine, expire_on_commit=False) as s:
        return claim(s, member=member(s, member_id), paper_id=paper_id, author_index=index, now=NOW)


def _decide(engine: Engine, moderator_id: int, claim_id: int, approve: bool, reason: str = "") -> Any:
    with Session(engine, expire_on_commit=False) as s:
        return decide(s, moderator=member(s, moderator_id), claim_id=claim_id, approve=approve, reason=reason,
                      now=NOW, base_url=BASE, site_name="paperstand")


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _at_once(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released together; results (or the exceptions raised) by ``i``."""
    barrier, out = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # kept for the assertions
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_a_claim_waits_for_a_moderator_and_a_retry_returns_it(engine: Engine) -> None:
    paper = store_paper(engine)
    ada = make_member(engine, "ada")
    first = _claim(engine, ada.id, paper, 0)
    assert (first.status, first.author_index, first.author_name, first.decided_at) == (
        "pending", 0, "Ada Lovelace", None)
    assert _claim(engine, ada.id, paper, 0).id == first.id
    # While pending, picking another name corrects the same claim instead of adding one.
    corrected = _claim(engine, ada.id, paper, 2)
    assert (corrected.id, corrected.author_index, corrected.author_name) == (first.id, 2, "Mary Somerville")
    assert _count(engine, AuthorClaim) == 1
    with Session(engine) as s:
        assert verified_authors(s, [paper]) == {}


def test_the_index_must_name_an_author_of_a_stored_paper(engine: Engine) -> None:
    paper = store_paper(engine)
    ada = make_member(engine, "ada")
    for index in (-1, len(AUTHORS), 10**6):
        with pytest.raises(BadRequest, match="lists 3 authors"):
            _claim(engine, ada.id, paper, index)
    with pytest.raises(NotFound):
        _claim(engine, ada.id, paper + 999, 0)
    nobody = store_paper(engine, "2501.00002", authors=[])
    with pytest.raises(BadRequest, match="lists 0 authors"):
        _claim(engine, ada.id, nobody, 0)
    assert _count(engine, AuthorClaim) == 0


def test_banned_and_unverified_members_cannot_claim(engine: Engine) -> None:
    paper = store_paper(engine)
    for made in (make_member(engine, "eve", banned=True), make_member(engine, "una", verified=False)):
        with pytest.raises(NotAllowed):
            _claim(engine, made.id, paper, 0)
    assert _count(engine, AuthorClaim) == 0


def test_approval_verifies_logs_and_mails_once(engine: Engine) -> None:
    paper = store_paper(engine)
    ada, mod = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    pending = _claim(engine, ada.id, paper, 0)
    done = _decide(engine, mod.id, pending.id, True, "  matches the institute page ")
    assert done.changed and done.claim.status == "approved"
    assert (done.claim.decided_by, done.claim.reason) == (mod.id, "matches the institute page")
    # A later decision (even the opposite one) changes nothing and logs nothing.
    again = _decide(engine, mod.id, pending.id, False, "second thoughts")
    assert not again.changed and again.claim.status == "approved"
    with Session(engine) as s:
        [log] = s.scalars(select(ModerationAction)).all()
        assert (log.action, log.target_kind, log.target_id, log.target_member_id, log.moderator_id) == (
            "approve_claim", "claim", pending.id, ada.id, mod.id)
        [mail] = s.scalars(select(OutgoingMail)).all()
        assert mail.to_address == ada.email and mail.kind == "claim_decision"
        assert mail.subject == "You are a verified author of “On the engine 2501.00001”"
        assert f"{BASE}/papers/2501.00001" in mail.body_text and "Ada Lovelace" in mail.body_text
        [[index, who]] = verified_authors(s, [paper])[paper].items()
        assert (index, who.member_id, who.name, who.display_name, who.author_index) == (0, ada.id, "ada", "Ada", 0)
        assert who.verified_at == NOW


def test_a_rejection_needs_a_reason_which_the_claimant_is_mailed(engine: Engine) -> None:
    paper = store_paper(engine)
    ada, mod = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    pending = _claim(engine, ada.id, paper, 1)
    with pytest.raises(BadRequest, match="say why"):
        _decide(engine, mod.id, pending.id, False, "   ")
    with pytest.raises(BadRequest, match="at most 2000"):
        _decide(engine, mod.id, pending.id, False, "x" * 2001)
    assert _decide(engine, mod.id, pending.id, False, "No sign you wrote it.").claim.status == "rejected"
    with Session(engine) as s:
        [mail] = s.scalars(select(OutgoingMail)).all()
        assert mail.subject.startswith("Your authorship claim on") and "No sign you wrote it." in mail.body_text
        assert [a.action for a in s.scalars(select(ModerationAction))] == ["reject_claim"]
    # One claim per member and paper: claiming again shows the decision, it does not reopen it.
    assert _claim(engine, ada.id, paper, 1).status == "rejected"
    assert _claim(engine, ada.id, paper, 0).status == "rejected"


def test_only_other_moderators_decide(engine: Engine) -> None:
    paper = store_paper(engine)
    ada, mod = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    mine = _claim(engine, mod.id, paper, 1)
    pending = _claim(engine, ada.id, paper, 0)
    with pytest.raises(NotAllowed):
        _decide(engine, ada.id, pending.id, True)
    with pytest.raises(NotAllowed):
        _decide(engine, make_member(engine, "cur", role="curator").id, pending.id, True)
    with pytest.raises(BadRequest, match="their own claim"):
        _decide(engine, mod.id, mine.id, True)
    with pytest.raises(NotFound):
        _decide(engine, mod.id, pending.id + 999, True)
    assert _count(engine, AuthorClaim, AuthorClaim.status == "pending") == 2
    assert _count(engine, ModerationAction) == 0


def test_a_position_verified_for_someone_else_is_refused(engine: Engine) -> None:
    paper = store_paper(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    mod = make_member(engine, "mo", role="moderator")
    late = _claim(engine, bob.id, paper, 0)  # made before ada was verified
    _decide(engine, mod.id, _claim(engine, ada.id, paper, 0).id, True)
    with pytest.raises(BadRequest, match=r"Ada Lovelace is already a verified author of this paper \(@ada\)"):
        _claim(engine, make_member(engine, "cy").id, paper, 0)
    with pytest.raises(BadRequest, match="already verified as ada"):
        _decide(engine, mod.id, late.id, True)
    # Ada's own retry still answers with her claim; Bob can still be the second author.
    assert _claim(engine, ada.id, paper, 0).status == "approved"
    assert _claim(engine, bob.id, paper, 1).author_name == "Charles Babbage"


def test_identical_concurrent_claims_leave_one_row(engine: Engine) -> None:
    paper = store_paper(engine)
    ada = make_member(engine, "ada")
    results = _at_once(12, lambda i: _claim(engine, ada.id, paper, 1))
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({r.id for r in results}) == 1
    assert _count(engine, AuthorClaim) == 1


def test_moderators_deciding_at_once_make_one_decision(engine: Engine) -> None:
    paper = store_paper(engine)
    ada = make_member(engine, "ada")
    mods = [make_member(engine, f"mo{i}", role="moderator").id for i in range(4)]
    pending = _claim(engine, ada.id, paper, 0)
    results = _at_once(8, lambda i: _decide(engine, mods[i % 4], pending.id, i % 2 == 0, f"reason {i}"))
    assert not [r for r in results if isinstance(r, Exception)]
    winners = [r for r in results if r.changed]
    assert len(winners) == 1
    assert {r.claim.status for r in results} == {winners[0].claim.status}
    assert _count(engine, ModerationAction) == 1
    assert _count(engine, OutgoingMail) == 1


def test_two_members_approved_for_one_name_at_once_leave_one(engine: Engine) -> None:
    paper = store_paper(engine)
    claims = [_claim(engine, make_member(engine, name).id, paper, 0).id for name in ("ada", "bob")]
    mods = [make_member(engine, f"mo{i}", role="moderator").id for i in range(2)]
    results = _at_once(2, lambda i: _decide(engine, mods[i], claims[i], True))
    refused = [r for r in results if isinstance(r, BadRequest)]
    assert len(refused) == 1 and "already verified" in refused[0].message
    assert _count(engine, AuthorClaim, AuthorClaim.status == "approved") == 1
    assert _count(engine, AuthorClaim, AuthorClaim.status == "pending") == 1
    assert _count(engine, ModerationAction) == 1


def test_verified_authors_follow_the_author_list_and_bans(engine: Engine) -> None:
    paper = store_paper(engine)
    other = store_paper(engine, "2501.00002", authors=["Charles Babbage"])
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    mod = make_member(engine, "mo", role="moderator")
    _decide(engine, mod.id, _claim(engine, ada.id, paper, 0).id, True)
    _decide(engine, mod.id, _claim(engine, bob.id, paper, 1).id, True)
    _decide(engine, mod.id, _claim(engine, bob.id, other, 0).id, True)
    with Session(engine) as s:
        found = verified_authors(s, [paper, other, paper + 999])
        assert {p: {i: v.name for i, v in by.items()} for p, by in found.items()} == {
            paper: {0: "ada", 1: "bob"}, other: {0: "bob"}}
        assert verified_authors(s, []) == {}
    # Version 2 reorders the authors and drops Babbage: Ada's badge moves with her name, Bob's goes.
    store_paper(engine, authors=["Mary Somerville", "Ada Lovelace"], version=2)
    with Session(engine) as s:
        assert {i: v.name for i, v in verified_authors(s, [paper])[paper].items()} == {1: "ada"}
        s.get(Member, ada.id).banned_at = NOW  # type: ignore[union-attr]
        s.commit()
        assert verified_authors(s, [paper]) == {}
