"""A sync run's discovery passes: how many have started and when the current one last made progress, so a
pass whose worker died is started again (from the run's cursor) once its heartbeat is stale.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sync_runs", sa.Column("passes", sa.Integer, nullable=False, server_default="0"))
    op.add_column("sync_runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("sync_runs", "heartbeat_at")
    op.drop_column("sync_runs", "passes")
