"""Row-level security for a tenant-owned table, as migrations apply it (one definition for every table)."""

from __future__ import annotations

from alembic import op

APP_ROLE = "connectors_app"


def protect(table: str) -> None:
    """The app role may use ``table`` only for the tenant its transaction set (forced, so owners too)."""
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id())"
    )
