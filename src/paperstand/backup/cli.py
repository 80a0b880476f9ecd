"""``paperstand backup`` and ``paperstand restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from paperstand.config import Settings
from paperstand.errors import DomainError

console = Console(stderr=True)
out = Console()


def backup_command(
    file: Annotated[Path | None, typer.Argument(
        help="Where to write the backup (default: $PAPERSTAND_DATA_DIR/backups/paperstand-TIME.db or .pgdump).",
        show_default=False)] = None,
) -> None:
    """Back up the database while the site keeps serving and writing.

    SQLite is copied through its online backup API and PostgreSQL with `pg_dump` (custom format), both
    as of one moment. Beside FILE go `FILE.suppressions.jsonl` (every unsubscribe and bounce so far)
    and, when the signing key lives in the data folder, `FILE.secret.key`. Everything is written under
    a temporary name and renamed, so a crash never leaves a half backup under the real name.

    Examples:

    * `paperstand backup` (a timestamped file under `var/backups/`)
    * `paperstand backup /mnt/offsite/paperstand-$(date +%F).db`

    The worker takes one every night and keeps `PAPERSTAND_BACKUP_KEEP` (default 7).
    """
    from paperstand.backup.service import backup

    try:
        report = backup(Settings(), file)
    except DomainError as exc:
        _fail(exc)
    out.print(report.line(), highlight=False, markup=False, soft_wrap=True)


def restore_command(
    file: Annotated[Path, typer.Argument(help="A backup written by `paperstand backup`.", show_default=False)],
    force: Annotated[bool, typer.Option(
        "--force", help="Replace a database that already holds papers or subscribers.")] = False,
    journals: Annotated[list[Path] | None, typer.Option(
        "--journal", help="Also re-apply this suppressions.jsonl (e.g. the old data folder's); repeatable.")] = None,
) -> None:
    """Restore a backup into the configured database, keeping every unsubscribe made since.

    After the database is restored, every suppression recorded after the backup was taken is applied
    again from the journals: the one saved beside FILE, this data folder's
    `suppressions.jsonl`, and each `--journal`. Nobody who unsubscribed (or bounced) since the backup
    gets mail. Re-applying is idempotent. A database that already holds data is refused unless `--force`.

    Examples:

    * `paperstand restore var/backups/paperstand-20260302T031500Z.db`
    * `PAPERSTAND_DATA_DIR=/srv/new paperstand restore old.db --journal /srv/old/suppressions.jsonl`
    * `paperstand restore --force nightly.pgdump` (replaces what the database holds)
    """
    from paperstand.backup.service import restore

    try:
        report = restore(Settings(), file, force=force, journals=tuple(journals or ()))
    except DomainError as exc:
        _fail(exc)
    done = report.reapplied
    out.print(f"restore: {report.source} restored: {report.papers:,} papers, {report.subscribers:,} subscribers; "
              f"re-applied {done.read:,} journalled suppressions from {len(report.journals)} journal(s): "
              f"{done.added:,} new, {done.unsubscribed:,} subscriptions ended",
              highlight=False, markup=False, soft_wrap=True)
    for note in report.notes:
        out.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)


def _fail(exc: DomainError) -> None:
    console.print(exc.message, style="red", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(1)
