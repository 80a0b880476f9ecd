"""The library service on SQLite and PostgreSQL: collections, saves, notes, read marks, and hostile text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.errors import BadRequest, NotFound
from paperstand.ingest.record import PaperRecord
from paperstand.library import service
from paperstand.library.items import item_page
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.store import store_batch

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _papers(engine: Engine, n: int = 3) -> list[str]:
    ids = [f"2503.{i:05d}" for i in range(1, n + 1)]
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=f"Paper number {i}", arxiv_id=pid,
                                       featured_on=date(2025, 3, 11), position=i) for i, pid in enumerate(ids, 1)])
    return ids


def test_first_save_makes_the_reading_list_and_repeats_change_nothing(engine: Engine) -> None:
    ids, ada = _papers(engine), make_member(engine, "ada")
    with Session(engine) as s:
        first = service.save_paper(s, member_id=ada.id, public_id=ids[0], now=NOW)
        again = service.save_paper(s, member_id=ada.id, public_id=ids[0], now=NOW)
        assert (first.added, again.added) == (True, False)
        assert first.collection.slug == again.collection.slug == service.DEFAULT_SLUG
        assert first.collection.name == "Reading list" and first.collection.is_default
        assert s.scalar(select(func.count()).select_from(CollectionItem)) == 1
        assert s.scalar(select(func.count()).select_from(Collection)) == 1
        assert service.saved_paper_ids(s, member_id=ada.id) == {first.paper.id}
        assert service.remove_paper(s, member_id=ada.id, public_id=ids[0], now=NOW) is True
        assert service.remove_paper(s, member_id=ada.id, public_id=ids[0], now=NOW) is False


def test_names_slugs_counts_and_order(engine: Engine) -> None:
    ids, ada = _papers(engine), make_member(engine, "ada")
    with Session(engine) as s:
        a = service.create_collection(s, member_id=ada.id, name="  Zebra   papers ", now=NOW)
        b = service.create_collection(s, member_id=ada.id, name="Zebra-papers!", now=NOW)
        assert (a.name, a.slug, b.slug) == ("Zebra papers", "zebra-papers", "zebra-papers-2")
        c = service.create_collection(s, member_id=ada.id, name="日本語", now=NOW)
        assert c.slug == "collection"
        with pytest.raises(BadRequest, match="already have"):
            service.create_collection(s, member_id=ada.id, name="zebra PAPERS", now=NOW)
        with pytest.raises(BadRequest, match="already have"):
            service.create_collection(s, member_id=ada.id, name="reading LIST", now=NOW)
        with pytest.raises(BadRequest, match="needs a name"):
            service.create_collection(s, member_id=ada.id, name=" \x00\t ", now=NOW)
        with pytest.raises(BadRequest, match="too long"):
            service.create_collection(s, member_id=ada.id, name="x" * 101, now=NOW)
        service.save_paper(s, member_id=ada.id, public_id=ids[0], slug=a.slug, now=NOW)
        service.save_paper(s, member_id=ada.id, public_id=ids[1], slug=a.slug, now=NOW)
        service.set_read(s, member_id=ada.id, slug=a.slug, public_id=ids[1], read=True, now=NOW)
        got = [(x.collection.name, x.papers, x.unread) for x in service.shelves(s, member_id=ada.id)]
        assert got == [("Reading list", 0, 0), ("Zebra papers", 2, 1), ("Zebra-papers!", 0, 0), ("日本語", 0, 0)]
        renamed = service.edit_collection(s, member_id=ada.id, slug=a.slug, name="Yaks", now=NOW)
        assert renamed.slug == "yaks"
        default = service.edit_collection(s, member_id=ada.id, slug="reading-list", name="To read", now=NOW)
        assert default.slug == "reading-list"  # the default keeps its address
        with pytest.raises(BadRequest):
            service.delete_collection(s, member_id=ada.id, slug="reading-list")
        service.delete_collection(s, member_id=ada.id, slug="yaks")
        assert s.scalar(select(func.count()).select_from(CollectionItem)) == 0


def test_collections_are_private_to_their_member(engine: Engine) -> None:
    ids, ada, bob = _papers(engine), make_member(engine, "ada"), make_member(engine, "bob")
    with Session(engine) as s:
        made = service.create_collection(s, member_id=ada.id, name="Mine", now=NOW)
        for call in (lambda: service.get_collection(s, member_id=bob.id, slug=made.slug),
                     lambda: service.save_paper(s, member_id=bob.id, public_id=ids[0], slug=made.slug, now=NOW),
                     lambda: service.delete_collection(s, member_id=bob.id, slug=made.slug),
                     lambda: service.save_paper(s, member_id=ada.id, public_id="9999.99999", now=NOW),
                     lambda: service.save_paper(s, member_id=ada.id, public_id="x" * 5000, now=NOW),
                     lambda: service.set_note(s, member_id=ada.id, slug=made.slug, public_id=ids[0], note="n")):
            with pytest.raises(NotFound):
                call()


def test_pages_newest_save_first_and_read_filter(engine: Engine) -> None:
    ids, ada = _papers(engine, 5), make_member(engine, "ada")
    with Session(engine) as s:
        for i, pid in enumerate(ids):
            service.save_paper(s, member_id=ada.id, public_id=pid, now=NOW + timedelta(minutes=i))
        service.set_read(s, member_id=ada.id, slug="reading-list", public_id=ids[0], read=True, now=NOW)
        c = service.get_collection(s, member_id=ada.id, slug="reading-list")
        first = item_page(s, collection=c, per_page=2)
        assert [e.card.paper.public_id for e in first.entries] == [ids[4], ids[3]] and first.pages == 3
        last = item_page(s, collection=c, per_page=2, page=3)
        assert [e.card.paper.public_id for e in last.entries] == [ids[0]]
        assert item_page(s, collection=c, show="read").total == 1
        assert item_page(s, collection=c, show="unread").total == 4
        with pytest.raises(NotFound):
            item_page(s, collection=c, per_page=2, page=4)


@given(text=st.text(max_size=300))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_as_a_name_or_note_is_stored_cleanly_or_refused(engine: Engine, text: str) -> None:
    with Session(engine) as s:
        member = s.scalar(select(Collection.member_id).limit(1))
    if member is None:
        _papers(engine, 1)
        member = make_member(engine, "hy").id
        with Session(engine) as s:
            service.default_collection(s, member_id=member, now=NOW)
            s.commit()
    with Session(engine) as s:
        service.save_paper(s, member_id=member, public_id="2503.00001", note=text, now=NOW)
        stored = s.scalar(select(CollectionItem.note))
        assert stored is not None and "\x00" not in stored and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in stored)
        try:
            made = service.create_collection(s, member_id=member, name=text, now=NOW)
        except BadRequest:
            s.rollback()
            return
        assert made.name.strip() == made.name and 0 < len(made.name) <= service.MAX_NAME
        assert made.slug and len(made.slug) <= service.MAX_SLUG + 4
        service.delete_collection(s, member_id=member, slug=made.slug)


def test_only_public_collections_of_members_in_good_standing_are_readable(engine: Engine) -> None:
    from paperstand.library.public import member_id_named, public_collection

    ada, eve = make_member(engine, "Ada"), make_member(engine, "eve", banned=True)
    with Session(engine) as s:
        for who in (ada, eve):
            service.default_collection(s, member_id=who.id, now=NOW)
            s.commit()
        with pytest.raises(NotFound):
            public_collection(s, name="ada", slug="reading-list")
        service.edit_collection(s, member_id=ada.id, slug="reading-list", public=True, now=NOW)
        service.edit_collection(s, member_id=eve.id, slug="reading-list", public=True, now=NOW)
        found = public_collection(s, name="ADA", slug="reading-list")
        assert (found.owner_name, found.collection.member_id) == ("Ada", ada.id)
        with pytest.raises(NotFound):
            public_collection(s, name="eve", slug="reading-list")
        assert member_id_named(s, name="ada") == ada.id
