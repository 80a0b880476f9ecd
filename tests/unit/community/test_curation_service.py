"""Curating a day: add, remove, move, mark picks; one log row per step; consistent order under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from tests.conftest import make_member
from tests.unit.community.submission_setup import NOW, TODAY, FakeArxiv, member, picks, settings, store

from paperstand.accounts.errors import NotAllowed
from paperstand.community import curation
from paperstand.community.models import CurationStep
from paperstand.community.submission_rules import AlreadySubmitted
from paperstand.community.submissions import submit
from paperstand.errors import BadRequest, NotFound
from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import DailyPick
from paperstand.papers.periods import day_period
from paperstand.papers.queries import count_featured, featured, latest_day
from paperstand.papers.store import store_batch

IDS = ["2503.00001", "2503.00002", "2503.00003", "2503.00004"]


@pytest.fixture
def day(engine: Engine) -> list[int]:
    """Today's list as a harvest left it (four papers, positions 1 to 4); the pick ids in order."""
    for arxiv_id in IDS:
        store(engine, arxiv_id, featured_on=TODAY)
    return _pick_ids(engine)


def _pick_ids(engine: Engine) -> list[int]:
    with Session(engine) as session:
        return list(session.execute(select(DailyPick.id).where(DailyPick.hidden_at.is_(None))
                                    .order_by(DailyPick.position, DailyPick.id)).scalars())


def _order(engine: Engine) -> list[tuple[str, int]]:
    """Visible papers of today with their positions, in curated order."""
    with Session(engine) as session:
        cards = featured(session, day_period(TODAY), sort="curated")
        return [(str(c.paper.arxiv_id), c.pick.position) for c in cards if c.pick is not None]


def _log(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(line.step.action, line.step.detail) for line in reversed(curation.day_log(session, TODAY))]


def test_moves_keep_a_dense_order_and_are_logged(engine: Engine, day: list[int]) -> None:
    cat = member(engine, make_member(engine, "cat", role="curator").id)
    with Session(engine, expire_on_commit=False) as s:
        curation.move(s, curator=cat, day=TODAY, pick_id=day[2], to="up", now=NOW)
        curation.move(s, curator=cat, day=TODAY, pick_id=day[3], to="first", now=NOW)
        curation.move(s, curator=cat, day=TODAY, pick_id=day[3], to="3", now=NOW)
        assert curation.move(s, curator=cat, day=TODAY, pick_id=day[2], to="2", now=NOW) is None  # already there
        curation.move(s, curator=cat, day=TODAY, pick_id=day[0], to="last", now=NOW)
        curation.move(s, curator=cat, day=TODAY, pick_id=day[2], to="99", now=NOW)  # past the end: last
    assert _order(engine) == [("2503.00004", 1), ("2503.00002", 2), ("2503.00001", 3), ("2503.00003", 4)]
    assert _log(engine) == [("move", "from 3 to 2"), ("move", "from 4 to 1"), ("move", "from 1 to 3"),
                            ("move", "from 1 to 4"), ("move", "from 1 to 4")]
    with Session(engine, expire_on_commit=False) as s, pytest.raises(BadRequest, match="cannot move to 'sideways'"):
        curation.move(s, curator=cat, day=TODAY, pick_id=day[0], to="sideways", now=NOW)
    with Session(engine, expire_on_commit=False) as s, pytest.raises(NotFound):
        curation.move(s, curator=cat, day=TODAY, pick_id=10**6, to="up", now=NOW)


def test_a_pick_moves_up_to_the_other_picks_never_down(engine: Engine, day: list[int]) -> None:
    cat = member(engine, make_member(engine, "cat", role="curator").id)
    with Session(engine, expire_on_commit=False) as s:
        curation.set_pick(s, curator=cat, day=TODAY, pick_id=day[2], picked=True, now=NOW)
        curation.set_pick(s, curator=cat, day=TODAY, pick_id=day[3], picked=True, now=NOW)
        # Marked twice (two curators at once, say): one step.
        assert curation.set_pick(s, curator=cat, day=TODAY, pick_id=day[3], picked=True, now=NOW) is None
        curation.move(s, curator=cat, day=TODAY, pick_id=day[3], to="last", now=NOW)  # the curator's call
        curation.set_pick(s, curator=cat, day=TODAY, pick_id=day[0], picked=True, now=NOW)  # already high: stays
    assert [a for a, _ in _order(engine)] == ["2503.00003", "2503.00001", "2503.00002", "2503.00004"]
    with Session(engine, expire_on_commit=False) as s:
        assert [s.get(DailyPick, i).curator_pick for i in day] == [True, False, True, True]  # type: ignore[union-attr]
        curation.set_pick(s, curator=cat, day=TODAY, pick_id=day[2], picked=False, now=NOW)
    assert _log(engine) == [("pick", "moved from 3 to 1"), ("pick", "moved from 4 to 2"), ("move", "from 2 to 4"),
                            ("pick", ""), ("unpick", "")]


def test_remove_hides_it_for_good_and_add_puts_it_back(engine: Engine, db_url: str, day: list[int]) -> None:
    cat = member(engine, make_member(engine, "cat", role="curator").id)
    ada = make_member(engine, "ada")
    store(engine, "2503.00009")
    with Session(engine, expire_on_commit=False) as s:
        submit(s, member=member(engine, ada.id), text="2503.00009", now=NOW, settings=settings(db_url),
               fetch_paper=FakeArxiv())
    submitted = _pick_ids(engine)[-1]
    with Session(engine, expire_on_commit=False) as s:
        curation.remove(s, curator=cat, day=TODAY, pick_id=submitted, now=NOW)
        curation.remove(s, curator=cat, day=TODAY, pick_id=day[0], now=NOW)
        assert curation.remove(s, curator=cat, day=TODAY, pick_id=day[0], now=NOW) is None  # gone already
    assert _order(engine) == [("2503.00002", 1), ("2503.00003", 2), ("2503.00004", 3)]
    with Session(engine, expire_on_commit=False) as s:
        assert count_featured(s, day_period(TODAY)) == 3
    # A harvest of the same day does not bring it back, and its submitter cannot submit it again.
    rec = PaperRecord(source="hf-daily", title="Stored paper 2503.00001", arxiv_id="2503.00001", featured_on=TODAY)
    with engine.begin() as conn:
        store_batch(conn, [rec], NOW)
    with Session(engine, expire_on_commit=False) as s, pytest.raises(AlreadySubmitted):
        submit(s, member=member(engine, ada.id), text="2503.00009", now=NOW, settings=settings(db_url),
               fetch_paper=FakeArxiv())
    assert [a for a, _ in _order(engine)] == ["2503.00002", "2503.00003", "2503.00004"]
    with Session(engine, expire_on_commit=False) as s:
        back = curation.add(s, curator=cat, day=TODAY, text="arXiv:2503.00001", now=NOW, fetch_paper=FakeArxiv())
    assert back.id == day[0] and back.hidden_at is None
    assert _order(engine)[-1] == ("2503.00001", 4)
    assert _log(engine) == [("remove", "was 5; submitted by @ada"), ("remove", "was 1"), ("add", "put back at 4")]


def test_add_stored_or_fetched_papers(engine: Engine, day: list[int]) -> None:
    cat = member(engine, make_member(engine, "cat", role="curator").id)
    fake = FakeArxiv({"2412.00777": NOW - timedelta(days=90)})  # curators are not bound by the age rule
    with Session(engine, expire_on_commit=False) as s:
        pick = curation.add(s, curator=cat, day=TODAY, text="https://arxiv.org/abs/2412.00777", now=NOW,
                            fetch_paper=fake)
    assert (pick.source, pick.submitted_by, pick.member_id, pick.position) == ("curation", "cat", cat.id, 5)
    with Session(engine, expire_on_commit=False) as s, pytest.raises(AlreadySubmitted, match="already on 2025-03-05"):
        curation.add(s, curator=cat, day=TODAY, text="2503.00002", now=NOW, fetch_paper=fake)
    with Session(engine, expire_on_commit=False) as s, pytest.raises(BadRequest, match="has not begun"):
        curation.add(s, curator=cat, day=TODAY + timedelta(days=1), text="2503.00002", now=NOW, fetch_paper=fake)
    yesterday = TODAY - timedelta(days=1)
    with Session(engine, expire_on_commit=False) as s:  # an earlier day may be curated too
        assert curation.add(s, curator=cat, day=yesterday, text="2503.00002", now=NOW, fetch_paper=fake).position == 1
    with Session(engine, expire_on_commit=False) as s:
        assert latest_day(s) == TODAY


def test_a_moderators_hide_is_not_undone_by_a_curator(engine: Engine, day: list[int]) -> None:
    cat = member(engine, make_member(engine, "cat", role="curator").id)
    with Session(engine, expire_on_commit=False) as s:
        s.execute(update(DailyPick).where(DailyPick.id == day[1]).values(hidden_at=NOW, hidden_reason="spam"))
        s.commit()
    with Session(engine, expire_on_commit=False) as s, pytest.raises(NotAllowed, match="a moderator hid 2503.00002"):
        curation.add(s, curator=cat, day=TODAY, text="2503.00002", now=NOW, fetch_paper=FakeArxiv())
    with Session(engine, expire_on_commit=False) as s:
        shown, hidden = curation.day_entries(s, TODAY)
    assert [e.paper.arxiv_id for e in hidden] == ["2503.00002"] and len(shown) == 3


@pytest.mark.parametrize("role", ["member", "moderator"])
def test_only_curators_and_admins(engine: Engine, day: list[int], role: str) -> None:
    who = member(engine, make_member(engine, "mo", role=role).id)
    for step in (lambda s: curation.move(s, curator=who, day=TODAY, pick_id=day[1], to="up", now=NOW),
                 lambda s: curation.set_pick(s, curator=who, day=TODAY, pick_id=day[1], picked=True, now=NOW),
                 lambda s: curation.remove(s, curator=who, day=TODAY, pick_id=day[1], now=NOW),
                 lambda s: curation.add(s, curator=who, day=TODAY, text="2503.00009", now=NOW,
                                        fetch_paper=FakeArxiv({"2503.00009": NOW}))):
        with Session(engine, expire_on_commit=False) as s, pytest.raises(NotAllowed):
            step(s)
    admin = member(engine, make_member(engine, "root", role="admin").id)
    with Session(engine, expire_on_commit=False) as s:
        curation.move(s, curator=admin, day=TODAY, pick_id=day[1], to="up", now=NOW)
    assert _log(engine) == [("move", "from 2 to 1")]
    assert len(picks(engine)) == 4


def test_concurrent_curators_keep_one_consistent_order(engine: Engine, day: list[int]) -> None:
    cats = [member(engine, make_member(engine, f"cat{i}", role="curator").id) for i in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(i: int) -> None:
        try:
            start.wait()
            with Session(engine, expire_on_commit=False) as s:
                if i % 2:
                    curation.move(s, curator=cats[i % 4], day=TODAY, pick_id=day[i % 4], to="first", now=NOW)
                else:
                    curation.set_pick(s, curator=cats[i % 4], day=TODAY, pick_id=day[3], picked=True, now=NOW)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p for _, p in _order(engine)) == [1, 2, 3, 4]
    with Session(engine, expire_on_commit=False) as s:
        steps = s.execute(select(CurationStep.action)).scalars().all()
    assert steps.count("pick") == 1  # four curators marked the same pick: one step
