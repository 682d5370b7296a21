"""Tenants and their data keys in PostgreSQL, always through the row-level-security role."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from core.vault import Vault, WrappedKey
from tenants.db import tenant_session
from tenants.models import Tenant, TenantKey

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_PAGE = 200


@dataclass(frozen=True)
class TenantView:
    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidArgument.one(field, f"must be a UUID, got {value!r}") from None


def _view(t: Tenant) -> TenantView:
    return TenantView(t.id, t.slug, t.name, t.created_at)


class Tenants:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], vault: Vault) -> None:
        self.sessions = sessions
        self.vault = vault

    async def create(self, slug: str, name: str) -> TenantView:
        problems = []
        if not SLUG.match(slug or ""):
            problems.append(("slug", "use 1-63 lower-case letters, digits and inner hyphens"))
        if not (name or "").strip():
            problems.append(("name", "is required"))
        if problems:
            raise InvalidArgument([FieldViolation(f, d) for f, d in problems])
        tenant_id = uuid.uuid4()
        key = self.vault.new_data_key(str(tenant_id))
        try:
            async with tenant_session(self.sessions, tenant_id) as session:
                tenant = Tenant(id=tenant_id, slug=slug, name=name.strip())
                session.add(tenant)
                await session.flush()
                session.add(TenantKey(tenant_id=tenant_id, kek_id=key.kek_id, wrapped=key.blob))
                await session.flush()
                await session.refresh(tenant)
                return _view(tenant)
        except IntegrityError:
            raise AlreadyExists(f"a tenant with slug {slug!r} exists already") from None

    async def get(self, tenant_id: uuid.UUID) -> TenantView:
        async with self.sessions() as session:
            tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound(f"tenant {tenant_id} does not exist")
        return _view(tenant)

    async def list(self, query: str, page_size: int, page_token: str) -> tuple[list[TenantView], str]:
        size = min(max(page_size or 50, 1), MAX_PAGE)
        stmt = select(Tenant).order_by(Tenant.created_at, Tenant.id).limit(size + 1)
        if query:
            like = f"%{query.lower()}%"
            stmt = stmt.where(or_(func.lower(Tenant.slug).like(like), func.lower(Tenant.name).like(like)))
        if page_token:
            try:
                after = json.loads(base64.urlsafe_b64decode(page_token.encode()))
                stmt = stmt.where(
                    (Tenant.created_at, Tenant.id) > (datetime.fromisoformat(after[0]), uuid.UUID(after[1]))  # type: ignore[operator]
                )
            except (ValueError, TypeError, IndexError, json.JSONDecodeError):
                raise InvalidArgument.one("page_token", "is not a token this service issued") from None
        async with self.sessions() as session:
            rows = list((await session.execute(stmt)).scalars())
        more = len(rows) > size
        rows = rows[:size]
        token = ""
        if more:
            last = rows[-1]
            token = base64.urlsafe_b64encode(json.dumps([last.created_at.isoformat(), str(last.id)]).encode()).decode()
        return [_view(t) for t in rows], token

    async def delete(self, tenant_id: uuid.UUID) -> None:
        """Destroy the data key first (crypto-shredding), then the tenant and everything it owns."""
        async with tenant_session(self.sessions, tenant_id) as session:
            await session.execute(delete(TenantKey).where(TenantKey.tenant_id == tenant_id))
            result = await session.execute(delete(Tenant).where(Tenant.id == tenant_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"tenant {tenant_id} does not exist")

    async def data_key(self, session: AsyncSession, tenant_id: uuid.UUID) -> WrappedKey:
        key = await session.get(TenantKey, tenant_id)
        if key is None:
            raise NotFound(f"tenant {tenant_id} does not exist")
        return WrappedKey(key.kek_id, key.wrapped)
