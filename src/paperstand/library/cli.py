"""``paperstand library``: a member's collections from the shell; list them, export one, import a file into one."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from paperstand.config import Settings
from paperstand.db import make_engine, make_sessionmaker, migrate
from paperstand.errors import DomainError
from paperstand.library import importer, service
from paperstand.library.formats import EXPORTS, export
from paperstand.library.items import all_papers
from paperstand.library.public import member_id_named

app = typer.Typer(
    help="Members' libraries: list a member's collections, export one as BibTeX, RIS or CSL-JSON, or import a "
    "BibTeX or RIS file into one.\n\nMembers manage their own library at /library; these commands are for "
    "the operator (backups, migrations from another tool).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
err = Console(stderr=True)
out = Console()
Member = Annotated[str, typer.Argument(help="The member's user name.")]
Slug = Annotated[str, typer.Argument(help="The collection's slug, as in /library/{slug} (default: reading-list).")]


def _fail(exc: DomainError) -> typer.Exit:
    err.print(f"error: {exc.message}", highlight=False, markup=False)
    if exc.hint:
        err.print(exc.hint, highlight=False, markup=False)
    return typer.Exit(1)


def _sessions() -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(Settings().effective_database_url)
    migrate(engine)
    return engine, make_sessionmaker(engine)


@app.command("list")
def list_command(member: Member) -> None:
    """The member's collections with their counts.

    Example: `paperstand library list ada`
    """
    engine, sessions = _sessions()
    try:
        with sessions() as session:
            shelves = service.shelves(session, member_id=member_id_named(session, name=member))
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    table = Table("slug", "name", "papers", "unread", "public")
    for s in shelves:
        table.add_row(s.collection.slug, s.collection.name, str(s.papers), str(s.unread),
                      "yes" if s.collection.public else "no")
    out.print(table)


@app.command("export")
def export_command(member: Member, slug: Slug = service.DEFAULT_SLUG,
                   fmt: Annotated[str, typer.Option("--format", "-f", help="bib, ris or json (CSL-JSON).")] = "bib",
                   output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: "
                                                                "standard output).")] = None) -> None:
    """Write a collection as BibTeX, RIS or CSL-JSON, notes included.

    Example: `paperstand library export ada reading-list -f ris -o ada.ris`
    """
    if fmt not in EXPORTS:
        err.print(f"error: --format must be one of {', '.join(EXPORTS)}")
        raise typer.Exit(2)
    engine, sessions = _sessions()
    try:
        with sessions() as session:
            found = service.get_collection(session, member_id=member_id_named(session, name=member), slug=slug)
            data = export(fmt, [(p, i.note) for i, p in all_papers(session, collection_id=found.id)])
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        err.print(f"wrote {output}")


@app.command("import")
def import_command(member: Member, slug: Slug, path: Annotated[Path, typer.Argument(help="A .bib or .ris file.")]
                   ) -> None:
    """Save the papers a BibTeX or RIS file names into a member's collection; prints what did not match.

    Entries match stored papers by arXiv id, then DOI, then title. Exit code 1 when the file cannot be read.
    Example: `paperstand library import ada reading-list zotero.bib`
    """
    engine, sessions = _sessions()
    try:
        with sessions() as session:
            report = importer.import_file(session, member_id=member_id_named(session, name=member), slug=slug,
                                          data=path.read_bytes(), filename=path.name, now=datetime.now(UTC))
    except DomainError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    out.print(f"{len(report.added)} added, {len(report.already)} already there, {len(report.unmatched)} not matched")
    for entry, why in report.unmatched:
        out.print(f"  line {entry.line}: {entry.label}: {why}", highlight=False, markup=False)
    for line in report.errors:
        err.print(line, highlight=False, markup=False)
