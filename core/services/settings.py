"""SettingsService: a tenant's settings, every key of the catalogue (``core.settings_catalog``) with its stored
value; one key set or deleted.

A value is checked by the parser the workers read it with before it is stored (upserted in ``tenant_settings``),
and every change is audited in the same transaction: ``settings.update`` on ``settings:<key>``, with the names of
the fields it changed (never their values, which may be secrets). Support staff give a reason to read or change
settings; their reads are audited as ``settings.view``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import settings_pb2 as pb
from connector.v1 import settings_pb2_grpc
from core import audit
from core import settings_catalog as catalog
from core.audit import Action, Role
from core.errors import NotFound
from core.services.convert import timestamp
from core.services.records import actor
from core.services.rpc import rpc
from core.settings_catalog import CATALOG, SettingKey
from core.tenancy import parse_id
from tenants.db import tenant_session
from tenants.models import TenantSetting


def setting_message(entry: SettingKey, row: TenantSetting | None) -> pb.Setting:
    return pb.Setting(
        key=entry.key,
        value=catalog.encode(entry, row.value if row else None),
        description=entry.description,
        update_time=timestamp(row.updated_at) if row else None,
    )


class SettingsService(settings_pb2_grpc.SettingsServiceServicer):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @rpc
    async def GetSettings(self, request: pb.GetSettingsRequest, context: Any) -> pb.GetSettingsResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        who = actor(request.actor)
        reason = audit.require_reason(who, request.reason)
        try:
            async with tenant_session(self.sessions, tenant_id) as session:
                stmt = select(TenantSetting).where(TenantSetting.key.in_(list(CATALOG)))
                rows = {row.key: row for row in (await session.execute(stmt)).scalars()}
                if who.role is Role.SUPPORT:
                    await audit.write(session, tenant_id, who, Action.SETTINGS_VIEW, "settings", reason)
        except IntegrityError:
            raise NotFound(f"tenant {tenant_id} does not exist") from None
        return pb.GetSettingsResponse(settings=[setting_message(e, rows.get(key)) for key, e in CATALOG.items()])

    @rpc
    async def UpdateSetting(self, request: pb.UpdateSettingRequest, context: Any) -> pb.UpdateSettingResponse:
        tenant_id = parse_id(request.tenant_id, "tenant_id")
        entry = catalog.known(request.key)
        who = actor(request.actor)
        reason = audit.require_reason(who, request.reason)
        try:
            async with tenant_session(self.sessions, tenant_id) as session:
                row = await self._update(session, tenant_id, entry, request.value, who, reason)
        except IntegrityError:
            raise NotFound(f"tenant {tenant_id} does not exist") from None
        return pb.UpdateSettingResponse(setting=setting_message(entry, row))

    async def _update(
        self, session: AsyncSession, tenant_id: uuid.UUID, entry: SettingKey, text: str, who: audit.Actor, reason: str
    ) -> TenantSetting | None:
        """The key set to ``text`` (or deleted), audited; the row as stored now."""
        stored = await session.get(TenantSetting, {"tenant_id": tenant_id, "key": entry.key}, with_for_update=True)
        old = stored.value if stored is not None else None
        value = catalog.decode(entry, text, old)  # a redacted secret keeps the stored one
        row: TenantSetting | None = None
        if value is None:
            await session.execute(delete(TenantSetting).where(TenantSetting.key == entry.key))
        else:
            upsert = insert(TenantSetting).values(tenant_id=tenant_id, key=entry.key, value=value)
            upsert = upsert.on_conflict_do_update(
                index_elements=[TenantSetting.tenant_id, TenantSetting.key],
                set_={"value": upsert.excluded.value, "updated_at": func.now()},
            )
            updated_at = (await session.execute(upsert.returning(TenantSetting.updated_at))).scalar_one()
            row = TenantSetting(tenant_id=tenant_id, key=entry.key, value=value, updated_at=updated_at)
        details = {"key": entry.key, "deleted": value is None, "changed": catalog.changed_fields(old, value)}
        await audit.write(session, tenant_id, who, Action.SETTINGS_UPDATE, f"settings:{entry.key}", reason, details)
        return row
