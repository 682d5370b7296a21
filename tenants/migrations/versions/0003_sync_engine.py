"""The sync engine's tables: runs, records, their hash-chained events, links, the webhook inbox, the
effect ledger. All tenant-owned, under forced row-level security like the rest.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import APP_ROLE, protect

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sync_runs", "records", "record_events", "links", "inbox", "effects")


def upgrade() -> None:
    uuid = postgresql.UUID(as_uuid=True)
    jsonb = postgresql.JSONB

    def tenant() -> sa.Column[object]:
        return sa.Column("tenant_id", uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)

    def now(name: str) -> sa.Column[object]:
        return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)

    op.create_table(
        "sync_runs",
        sa.Column("id", uuid, primary_key=True),
        tenant(),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True)),
        sa.Column("window_end", sa.DateTime(timezone=True)),
        sa.Column("state", sa.String(16), nullable=False, server_default="running"),
        sa.Column("received", sa.Integer, nullable=False, server_default="0"),
        sa.Column("succeeded", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("expected", sa.Integer),
        sa.Column("cursor", jsonb),
        sa.Column("error", sa.Text),
        now("started_at"),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("sync_runs_tenant_flow_started", "sync_runs", ["tenant_id", "flow", "started_at"])
    op.create_table(
        "records",
        sa.Column("id", uuid, primary_key=True),
        tenant(),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=False),
        sa.Column("run_id", uuid, sa.ForeignKey("sync_runs.id", ondelete="SET NULL")),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("step", sa.String(64), nullable=False, server_default="start"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reason", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.Column("target_refs", jsonb, nullable=False, server_default="{}"),
        sa.Column("payload", jsonb),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        now("created_at"),
        now("updated_at"),
        sa.UniqueConstraint("tenant_id", "flow", "source_ref", name="records_one_per_source"),
        sa.UniqueConstraint("tenant_id", "id", name="records_tenant_id_id"),
    )
    op.create_index("records_tenant_state", "records", ["tenant_id", "state", "updated_at"])
    op.create_table(
        "record_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        tenant(),
        sa.Column("record_id", uuid, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", jsonb, nullable=False),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("record_id", "seq", name="record_events_one_per_seq"),
        sa.ForeignKeyConstraint(["tenant_id", "record_id"], ["records.tenant_id", "records.id"], ondelete="CASCADE"),
    )
    op.create_table(
        "links",
        tenant(),
        sa.Column("kind_a", sa.String(48), nullable=False),
        sa.Column("ref_a", sa.String(200), nullable=False),
        sa.Column("kind_b", sa.String(48), nullable=False),
        sa.Column("ref_b", sa.String(200), nullable=False),
        sa.Column("record_id", uuid),
        now("created_at"),
        sa.PrimaryKeyConstraint("tenant_id", "kind_a", "ref_a", "kind_b", "ref_b"),
    )
    op.create_index("links_by_b", "links", ["tenant_id", "kind_b", "ref_b"])
    op.create_table(
        "inbox",
        sa.Column("id", uuid, primary_key=True),
        tenant(),
        sa.Column("connection_id", uuid, nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("headers", jsonb, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="new"),
        sa.Column("error", sa.Text),
        now("received_at"),
        sa.UniqueConstraint("tenant_id", "provider", "dedup_key", name="inbox_once"),
    )
    op.create_table(
        "effects",
        tenant(),
        sa.Column("effect_key", sa.String(300), nullable=False),
        sa.Column("record_id", uuid, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="claimed"),
        sa.Column("result", jsonb),
        now("claimed_at"),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("tenant_id", "effect_key"),
    )
    for table in TABLES:
        protect(table)
    # The audit log is append-only: the application may add events, never change or remove them.
    op.execute(f"REVOKE UPDATE, DELETE ON record_events FROM {APP_ROLE}")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
