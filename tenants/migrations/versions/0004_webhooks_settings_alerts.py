"""Webhook routing, tenant settings and the alert outbox.

- ``connection_tenant(id)``: which tenant a connection belongs to, for the webhook ingress, which learns
  only the connection from the URL and must act for its tenant. SECURITY DEFINER so it can look past
  row-level security; it reveals a tenant id and nothing else.
- ``tenant_settings``: one JSON value per tenant and key (courier priority, status map, warehouse map,
  alert channel, pickup location, ...).
- ``alerts``: every alert is stored before it is sent, so an unreachable mail server loses nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import APP_ROLE, protect

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("tenant_settings", "alerts")


def upgrade() -> None:
    uuid = postgresql.UUID(as_uuid=True)

    def tenant() -> sa.Column[object]:
        return sa.Column("tenant_id", uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)

    op.execute(
        """
        CREATE FUNCTION connection_tenant(connection uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
        AS $$ SELECT tenant_id FROM connections WHERE id = connection $$
        """
    )
    op.execute("REVOKE EXECUTE ON FUNCTION connection_tenant(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION connection_tenant(uuid) TO {APP_ROLE}")
    op.create_table(
        "tenant_settings",
        tenant(),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", postgresql.JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", uuid, primary_key=True),
        tenant(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", postgresql.JSONB, nullable=False),
        sa.Column("record_id", uuid),
        sa.Column("dedup_key", sa.String(300), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("tenant_id", "dedup_key", name="alerts_once"),
    )
    op.create_index("alerts_tenant_state", "alerts", ["tenant_id", "state", "created_at"])
    for table in TABLES:
        protect(table)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("DROP FUNCTION connection_tenant(uuid)")
