"""The portal's people: users (merchants' staff and platform support), their memberships of tenants with a
role, and invitations to join a tenant.

``portal_users`` is not tenant-owned (one person may belong to several tenants, and support staff to none),
so it has no ``tenant_id``; the app role may read and change it but never delete from it. Memberships and
invitations are tenant-owned under the usual forced row-level security, plus one extra read policy: a
transaction that names a user (``app.user_id``) may read that user's own memberships in every tenant, which
is how login finds the tenants a person belongs to without acting for any of them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from tenants.rls import APP_ROLE, protect

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    uuid = postgresql.UUID(as_uuid=True)
    now = sa.func.now()
    op.create_table(
        "portal_users",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("is_support", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
    )
    op.create_index("portal_users_email", "portal_users", [sa.text("lower(email)")], unique=True)
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON portal_users TO {APP_ROLE}")

    op.create_table(
        "memberships",
        sa.Column("tenant_id", uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", uuid, sa.ForeignKey("portal_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.CheckConstraint("role IN ('owner', 'admin', 'viewer')", name="memberships_role"),
    )
    op.create_index("memberships_user", "memberships", ["user_id"])
    protect("memberships")
    op.execute(
        """
        CREATE FUNCTION current_portal_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
            SELECT NULLIF(current_setting('app.user_id', true), '')::uuid
        $$
        """
    )
    op.execute("CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = current_portal_user_id())")

    op.create_table(
        "invitations",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("tenant_id", uuid, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by", uuid, sa.ForeignKey("portal_users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("role IN ('admin', 'viewer')", name="invitations_role"),
    )
    protect("invitations")


def downgrade() -> None:
    op.drop_table("invitations")
    op.execute("DROP POLICY own_memberships ON memberships")
    op.execute("DROP FUNCTION current_portal_user_id()")
    op.drop_table("memberships")
    op.drop_table("portal_users")
