"""``inbox_add`` (migration 0008), as the application role on one connection: it acts for the tenant it is
given only for its own statement (the ingress's pool skips asyncpg's reset on that promise), and adds a
delivery once per (tenant, provider, dedup key)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.conftest import Database

ADD = text("SELECT event_id, created, event_state FROM inbox_add(:id, :t, :c, 'zoho', :k, '{}'::jsonb, '{}')")


async def test_the_tenant_is_set_for_the_statement_only_and_a_repeat_is_the_same_row(db: Database) -> None:
    tenant, other = await db.new_tenant(), await db.new_tenant()
    connection, key = uuid.uuid4(), f"zoho:salesorder:{uuid.uuid4().hex}"
    async with db.app.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")  # each statement its own transaction
        first = (await conn.execute(ADD, {"id": uuid.uuid4(), "t": tenant, "c": connection, "k": key})).one()
        assert first.created is True and first.event_state == "new"
        assert (await conn.execute(text("SELECT current_setting('app.tenant_id', true)"))).scalar() in ("", None)
        assert (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar() == 0  # acting for no one

        again = (await conn.execute(ADD, {"id": uuid.uuid4(), "t": tenant, "c": connection, "k": key})).one()
        assert (again.event_id, again.created) == (first.event_id, False)
        # Another tenant's delivery with the same key is its own row.
        theirs = (await conn.execute(ADD, {"id": uuid.uuid4(), "t": other, "c": connection, "k": key})).one()
        assert theirs.created is True and theirs.event_id != first.event_id
    async with db.owner.connect() as conn:
        rows = await conn.execute(text("SELECT tenant_id FROM inbox WHERE dedup_key = :k"), {"k": key})
        assert sorted(str(r.tenant_id) for r in rows) == sorted([str(tenant), str(other)])
