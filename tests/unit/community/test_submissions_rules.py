"""Every submission rule, on SQLite and PostgreSQL, with an injected clock and an in-memory arXiv."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from tests.conftest import make_member
from tests.unit.community.submission_setup import NOW, TODAY, FakeArxiv, member, paper_ids, picks, settings, store

from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.community.arxiv_lookup import ArxivUnavailable, NotOnArxiv
from paperstand.community.models import AuthorClaim
from paperstand.community.submission_rules import AlreadySubmitted, Rules, SubmissionRefused
from paperstand.community.submissions import submit
from paperstand.errors import BadRequest
from paperstand.papers.models import DailyPick, Paper


def _submit(engine: Engine, db_url: str, who: int, text: str, *, now: datetime = NOW,
            fake: FakeArxiv | None = None, **rules: Any) -> DailyPick:
    with Session(engine, expire_on_commit=False) as session:
        return submit(session, member=member(engine, who), text=text, now=now, settings=settings(db_url, **rules),
                      fetch_paper=fake or FakeArxiv())


def test_a_new_paper_is_fetched_stored_and_last_on_today(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00001", featured_on=TODAY)
    store(engine, "2503.00002", featured_on=TODAY)
    fake = FakeArxiv({"2503.01234": NOW - timedelta(days=2)})
    pick = _submit(engine, db_url, ada.id, "https://arxiv.org/abs/2503.01234v1", fake=fake)
    assert fake.calls == ["2503.01234"]
    assert (pick.day, pick.position, pick.source, pick.member_id) == (TODAY, 3, "submission", ada.id)
    assert (pick.submitted_by, pick.submitted_by_name, pick.submitted_at) == ("ada", "Ada", NOW)
    with Session(engine) as session:
        paper = session.get(Paper, pick.paper_id)
        assert paper is not None and paper.title == "Compositional Probes for 2503.01234"
        assert paper.authors == ["Mina Park", "Tomás Rivera"] and paper.sources == ["arxiv-atom"]
        assert paper.last_changed_at == NOW


def test_a_stored_paper_is_not_fetched_again(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00005")
    fake = FakeArxiv()
    _submit(engine, db_url, ada.id, "arXiv:2503.00005", fake=fake)
    assert fake.calls == []
    assert picks(engine) == [("2503.00005", TODAY, 1, "submission", "ada")]


def test_papers_at_most_max_age_days_old(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    fake = FakeArxiv({"2502.00007": NOW - timedelta(days=7), "2502.00008": NOW - timedelta(days=8, hours=1)})
    _submit(engine, db_url, ada.id, "2502.00007", fake=fake)
    with pytest.raises(BadRequest, match="first appeared on arXiv on 2025-02-25, more than 7 days ago"):
        _submit(engine, db_url, ada.id, "2502.00008", fake=fake)
    assert paper_ids(engine) == ["2502.00007"]  # the refused paper was fetched but not stored
    _submit(engine, db_url, ada.id, "2502.00008", fake=fake, submission_max_age_days=30)


def test_a_paper_dated_only_by_its_month_gets_the_benefit_of_the_doubt(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2502.00010", published=datetime(2025, 2, 1, tzinfo=UTC), precision="month")
    store(engine, "2501.00010", published=datetime(2025, 1, 1, tzinfo=UTC), precision="month")
    _submit(engine, db_url, ada.id, "2502.00010")  # could be from Feb 28: within 7 days of Mar 5
    with pytest.raises(BadRequest, match="2025-01-31"):
        _submit(engine, db_url, ada.id, "2501.00010")


def test_a_daily_limit_per_member(engine: Engine, db_url: str) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    for n in range(1, 4):
        store(engine, f"2503.0010{n}")
    _submit(engine, db_url, ada.id, "2503.00101", submission_daily_limit=2)
    _submit(engine, db_url, ada.id, "2503.00102", submission_daily_limit=2)
    fake = FakeArxiv({"2503.09999": NOW})
    with pytest.raises(SubmissionRefused, match="you have submitted 2 papers today") as err:
        _submit(engine, db_url, ada.id, "2503.09999", fake=fake, submission_daily_limit=2)
    assert err.value.status == 403 and fake.calls == []  # refused before arXiv is asked
    _submit(engine, db_url, bob.id, "2503.00103", submission_daily_limit=2)  # the limit is per member
    tomorrow = NOW + timedelta(days=1)
    _submit(engine, db_url, ada.id, "2503.09999", fake=fake, now=tomorrow, submission_daily_limit=2)
    assert [p[:2] for p in picks(engine)][-1] == ("2503.09999", TODAY + timedelta(days=1))


def test_no_limit_when_zero(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    for n in range(1, 4):
        store(engine, f"2503.0020{n}")
        _submit(engine, db_url, ada.id, f"2503.0020{n}", submission_daily_limit=0)
    assert len(picks(engine)) == 3


def test_no_duplicates_on_any_day(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00301", featured_on=TODAY - timedelta(days=1))  # imported from Hugging Face yesterday
    with pytest.raises(AlreadySubmitted, match="2503.00301 is already on 2025-03-04") as err:
        _submit(engine, db_url, ada.id, "2503.00301")
    assert err.value.status == 409 and err.value.day == TODAY - timedelta(days=1)
    pick = _submit(engine, db_url, ada.id, "2503.00301", submission_no_duplicates=False)
    assert pick.day == TODAY
    with pytest.raises(AlreadySubmitted, match="already on 2025-03-05"):  # the same day, whatever the setting
        _submit(engine, db_url, ada.id, "2503.00301", submission_no_duplicates=False)


def test_a_hidden_pick_still_counts(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00401", featured_on=TODAY - timedelta(days=2))
    with Session(engine) as session:
        session.execute(update(DailyPick).values(hidden_at=NOW, hidden_reason="spam"))
        session.commit()
    with pytest.raises(AlreadySubmitted, match="already on 2025-03-03"):
        _submit(engine, db_url, ada.id, "2503.00401")


def test_a_verified_address_unless_turned_off(engine: Engine, db_url: str) -> None:
    new = make_member(engine, "new", verified=False)
    store(engine, "2503.00501")
    with pytest.raises(NotAllowed, match="verify your email address first"):
        _submit(engine, db_url, new.id, "2503.00501")
    assert picks(engine) == []
    _submit(engine, db_url, new.id, "2503.00501", submission_require_verified=False)
    assert picks(engine) == [("2503.00501", TODAY, 1, "submission", "new")]


def test_banned_members_never(engine: Engine, db_url: str) -> None:
    eve = make_member(engine, "eve")
    store(engine, "2503.00601")
    loaded = member(engine, eve.id)  # the page was loaded before the ban
    with Session(engine) as session:
        session.execute(update(Member).values(banned_at=NOW, ban_reason="spam"))
        session.commit()
    with Session(engine) as session, pytest.raises(NotAllowed, match="banned"):
        submit(session, member=loaded, text="2503.00601", now=NOW,
               settings=settings(db_url, submission_require_verified=False), fetch_paper=FakeArxiv())
    assert picks(engine) == []


def test_an_approved_claim_when_required(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00701")
    store(engine, "2401.00001", published=NOW - timedelta(days=400))
    _submit(engine, db_url, ada.id, "2503.00701")  # off by default
    store(engine, "2503.00702")
    with pytest.raises(SubmissionRefused, match="approved authorship claim"):
        _submit(engine, db_url, ada.id, "2503.00702", submission_require_claim=True)
    with Session(engine) as session:
        own = session.execute(select(Paper.id).where(Paper.arxiv_id == "2401.00001")).scalar_one()
        session.add(AuthorClaim(paper_id=own, member_id=ada.id, author_index=0, author_name="Ada Example",
                                status="pending", created_at=NOW))
        session.commit()
    with pytest.raises(SubmissionRefused):
        _submit(engine, db_url, ada.id, "2503.00702", submission_require_claim=True)
    with Session(engine) as session:
        session.execute(update(AuthorClaim).values(status="approved", decided_at=NOW))
        session.commit()
    _submit(engine, db_url, ada.id, "2503.00702", submission_require_claim=True)


def test_no_weekends_when_turned_on(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00801")
    saturday = datetime(2025, 3, 8, 9, 0, tzinfo=UTC)
    with pytest.raises(SubmissionRefused, match="closed on weekends"):
        _submit(engine, db_url, ada.id, "2503.00801", now=saturday, submission_no_weekends=True)
    pick = _submit(engine, db_url, ada.id, "2503.00801", now=saturday)  # off by default
    assert pick.day.isoformat() == "2025-03-08"


def test_the_day_is_the_utc_day(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.00901")
    late = datetime(2025, 3, 5, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))  # Mar 5, 18:30 there
    assert _submit(engine, db_url, ada.id, "2503.00901", now=late).day.isoformat() == "2025-03-05"


def test_withdrawn_papers_are_refused(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    store(engine, "2503.01001", withdrawn=True)
    with pytest.raises(BadRequest, match="withdrawn"):
        _submit(engine, db_url, ada.id, "2503.01001")


def test_offline_or_unknown_stores_nothing(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    with pytest.raises(ArxivUnavailable, match="nothing was stored") as err:
        _submit(engine, db_url, ada.id, "2503.01101", fake=FakeArxiv({"2503.01101": NOW}, offline=True))
    assert err.value.status == 503
    with pytest.raises(NotOnArxiv, match="arXiv has no paper 2503.01102") as missing:
        _submit(engine, db_url, ada.id, "2503.01102")
    assert missing.value.status == 404
    assert paper_ids(engine) == [] and picks(engine) == []


def test_the_form_explains_the_rules_in_force() -> None:
    default = Rules().sentences()
    assert default == ["The paper first appeared on arXiv in the last 7 days.",
                       "Each member submits at most 5 papers a day (UTC).",
                       "A paper already featured on any day is not taken again.",
                       "Your email address is verified."]
    every = Rules(1, 0, False, False, True, True).sentences()
    assert every == ["The paper first appeared on arXiv in the last 1 day.",
                     "A paper already on today's list is not taken again.",
                     "You have at least one approved authorship claim.",
                     "Submissions are closed on Saturdays and Sundays (UTC)."]
