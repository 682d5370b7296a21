"""Tenant keys, connections and their secrets, OAuth states; forced row-level security under an app role.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import APP_ROLE, protect

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("tenant_keys", "connections", "connection_secrets", "oauth_states")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    uuid = postgresql.UUID(as_uuid=True)

    def tenant_fk() -> sa.ForeignKey:
        return sa.ForeignKey("tenants.id", ondelete="CASCADE")

    op.create_table(
        "tenant_keys",
        sa.Column("tenant_id", uuid, tenant_fk(), primary_key=True),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "connections",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("tenant_id", uuid, tenant_fk(), nullable=False, index=True),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="ok"),
        sa.Column("api_base_url", sa.Text, nullable=False),
        sa.Column("auth_base_url", sa.Text),
        sa.Column("params", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("credential_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("token_expires_at", sa.DateTime(timezone=True)),
        sa.Column("token_issued_at", sa.DateTime(timezone=True)),
        sa.Column("last_check_at", sa.DateTime(timezone=True)),
        sa.Column("last_latency_ms", sa.Integer),
        sa.Column("last_error", sa.Text),
        *_timestamps(),
        sa.UniqueConstraint("tenant_id", "id", name="connections_tenant_id_id"),
    )
    op.create_table(
        "connection_secrets",
        sa.Column("tenant_id", uuid, tenant_fk(), nullable=False),
        sa.Column("connection_id", uuid, nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("connection_id", "field"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "connection_id"], ["connections.tenant_id", "connections.id"], ondelete="CASCADE"
        ),
    )
    op.create_table(
        "oauth_states",
        sa.Column("state", sa.String(128), primary_key=True),
        sa.Column("tenant_id", uuid, tenant_fk(), nullable=False),
        sa.Column("connection_id", uuid, nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "connection_id"], ["connections.tenant_id", "connections.id"], ondelete="CASCADE"
        ),
    )
    # The application's own role: neither owner nor superuser, so row-level security always applies to it.
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            END IF;
        END $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO {APP_ROLE}")
    op.execute(f"GRANT EXECUTE ON FUNCTION current_tenant_id() TO {APP_ROLE}")
    for table in TENANT_TABLES:
        protect(table)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
    op.execute(f"REVOKE ALL ON tenants FROM {APP_ROLE}")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}")
    op.execute(f"REVOKE EXECUTE ON FUNCTION current_tenant_id() FROM {APP_ROLE}")
