"""merge the two branches after 0020: watches (0022) and taste models (0023)

Revision ID: 0022_0023
Revises: 0022, 0023
Create Date: 2026-12-01 16:55:00

Nothing to change: both add their own tables; this revision only makes them one history again.
"""

from __future__ import annotations

revision = '0022_0023'
down_revision = ('0022', '0023')
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (nothing: a merge point)."""


def downgrade() -> None:
    """Revert this revision (nothing: a merge point)."""
