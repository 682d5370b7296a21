"""``inbox_add(...)``: the webhook ingress stores a delivery in one statement, so one round trip.

The function acts for the tenant it is given (``app.tenant_id``, local to the statement's own transaction)
and runs as its caller (``SECURITY INVOKER``), so row-level security checks the row as it checks any other:
the application role can only add a row for the tenant it names. It inserts the row unless the tenant
already holds one for (provider, dedup key); either way it answers the row's id, whether this call created
it, and its state. A conflicting row deleted between the insert and the look-up is inserted again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION inbox_add(
            new_id uuid, for_tenant uuid, for_connection uuid, from_provider text, key text, kept_headers jsonb,
            raw_body text
        ) RETURNS TABLE (event_id uuid, created boolean, event_state text)
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
        BEGIN
            PERFORM set_config('app.tenant_id', for_tenant::text, true);
            FOR attempt IN 1..2 LOOP
                INSERT INTO inbox (id, tenant_id, connection_id, provider, dedup_key, headers, body, state)
                VALUES (new_id, for_tenant, for_connection, from_provider, key, kept_headers, raw_body, 'new')
                ON CONFLICT ON CONSTRAINT inbox_once DO NOTHING;
                IF FOUND THEN
                    RETURN QUERY SELECT new_id, true, 'new'::text;
                    RETURN;
                END IF;
                RETURN QUERY SELECT i.id, false, i.state::text FROM inbox i
                    WHERE i.tenant_id = for_tenant AND i.provider = from_provider AND i.dedup_key = key;
                IF FOUND THEN
                    RETURN;
                END IF;
            END LOOP;
            RAISE EXCEPTION 'inbox row for % neither inserted nor found', key;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION inbox_add(uuid, uuid, uuid, text, text, jsonb, text)")
