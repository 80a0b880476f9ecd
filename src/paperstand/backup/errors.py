"""What can go wrong taking or restoring a backup, each said in one line."""

from __future__ import annotations

from paperstand.errors import DomainError


class BackupError(DomainError):
    """A backup could not be written; nothing was left under its name."""


class RestoreError(DomainError):
    """A restore could not be done; the database was left as it was."""


class TargetNotEmpty(RestoreError):
    """The database to restore into already holds data, and ``--force`` was not given."""
