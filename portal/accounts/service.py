"""The portal's people in PostgreSQL (``portal_users``, ``memberships``, ``invitations``; see migration 0007).

Users are not tenant-owned; memberships and invitations are, under row-level security, read and written in
``tenant_session`` for one tenant. ``memberships_of`` alone reads across tenants, through the policy that lets
a transaction naming a user (``app.user_id``) see that user's own memberships.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.security import passwords
from portal.web.errors import FieldProblem, Problem
from tenants.db import tenant_session
from tenants.models import Invitation, Membership, PortalUser

ROLES = ("owner", "admin", "viewer")
INVITABLE_ROLES = ("admin", "viewer")
INVITATION_DAYS = 7
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normal_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str, name: str = "email") -> str:
    email = normal_email(email)
    if not EMAIL.match(email) or len(email) > 320:
        raise Problem.invalid(name, "is not an email address")
    return email


def check_password(password: str, email: str, name: str = "password") -> None:
    if why := passwords.problem(password, email):
        raise Problem.invalid(name, why)


def check_text(value: str, name: str, max_length: int = 200) -> str:
    value = value.strip()
    if not value:
        raise Problem.invalid(name, "is required")
    if len(value) > max_length:
        raise Problem.invalid(name, f"must be at most {max_length} characters")
    return value


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    name: str
    is_support: bool
    password_hash: str


def _user(row: PortalUser) -> User:
    return User(row.id, row.email, row.name, row.is_support, row.password_hash)


async def find_user(sessions: async_sessionmaker[AsyncSession], email: str) -> User | None:
    async with sessions() as session:
        row = (
            await session.execute(select(PortalUser).where(func.lower(PortalUser.email) == normal_email(email)))
        ).scalar_one_or_none()
        return _user(row) if row else None


async def create_user(
    sessions: async_sessionmaker[AsyncSession], email: str, name: str, password: str, *, is_support: bool = False
) -> User:
    """A new person; 409 when the email already has an account."""
    hashed = await passwords.hash_password(password)
    row = PortalUser(id=uuid.uuid4(), email=normal_email(email), name=name, password_hash=hashed, is_support=is_support)
    try:
        async with sessions() as session, session.begin():
            session.add(row)
    except IntegrityError:
        raise Problem(
            409, "an account with this email already exists; sign in instead", [FieldProblem("email", "taken")]
        ) from None
    return _user(row)


async def logged_in(sessions: async_sessionmaker[AsyncSession], user: User, password: str) -> None:
    """Note the login, and re-hash the password when the hashing parameters have grown since."""
    values: dict[str, object] = {"last_login_at": datetime.now(UTC)}
    if passwords.needs_rehash(user.password_hash):
        values["password_hash"] = await passwords.hash_password(password)
    async with sessions() as session, session.begin():
        await session.execute(update(PortalUser).where(PortalUser.id == user.id).values(**values))


async def memberships_of(sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Every tenant the person belongs to, with their role there, oldest membership first."""
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT set_config('app.user_id', :user, true)"), {"user": str(user_id)})
        rows = await session.execute(
            select(Membership.tenant_id, Membership.role)
            .where(Membership.user_id == user_id)
            .order_by(Membership.created_at)
        )
        return [(tenant, role) for tenant, role in rows]


async def add_member(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    async with tenant_session(sessions, tenant_id) as session:
        existing = await session.get(Membership, (tenant_id, user_id))
        if existing is None:
            session.add(Membership(tenant_id=tenant_id, user_id=user_id, role=role))


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    since: datetime


async def members(sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> list[Member]:
    async with tenant_session(sessions, tenant_id) as session:
        rows = await session.execute(
            select(Membership, PortalUser)
            .join(PortalUser, PortalUser.id == Membership.user_id)
            .order_by(Membership.created_at)
        )
        return [Member(u.id, u.email, u.name, m.role, m.created_at) for m, u in rows]


async def change_role(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, user_id: uuid.UUID, role: str | None
) -> None:
    """Set a member's role (None removes them). A tenant always keeps at least one owner (409 otherwise)."""
    if role is not None and role not in ROLES:
        raise Problem.invalid("role", f"must be one of {', '.join(ROLES)}")
    async with tenant_session(sessions, tenant_id) as session:
        member = await session.get(Membership, (tenant_id, user_id), with_for_update=True)
        if member is None:
            raise Problem(404, "no such member")
        if member.role == "owner" and role != "owner":
            owners = await session.scalar(
                select(func.count()).select_from(Membership).where(Membership.role == "owner")
            )
            if (owners or 0) <= 1:
                raise Problem(409, "a tenant needs at least one owner: make someone else owner first")
        if role is None:
            await session.execute(delete(Membership).where(Membership.user_id == user_id))
        else:
            member.role = role


@dataclass(frozen=True)
class Invite:
    id: uuid.UUID
    email: str
    role: str
    expires_at: datetime
    accepted_at: datetime | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, email: str, role: str, by: uuid.UUID
) -> tuple[Invite, str]:
    """A new invitation and its secret token (shown once, in the link; only its hash is kept)."""
    email = check_email(email)
    if role not in INVITABLE_ROLES:
        raise Problem.invalid("role", f"must be one of {', '.join(INVITABLE_ROLES)}")
    token = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(days=INVITATION_DAYS)
    row = Invitation(
        id=uuid.uuid4(), tenant_id=tenant_id, email=email, role=role, token_hash=token_hash(token),
        invited_by=by, expires_at=expires,
    )  # fmt: skip
    async with tenant_session(sessions, tenant_id) as session:
        session.add(row)
    return Invite(row.id, email, role, expires, None), token


async def invitations(sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID) -> list[Invite]:
    async with tenant_session(sessions, tenant_id) as session:
        rows = (await session.execute(select(Invitation).order_by(Invitation.created_at.desc()))).scalars()
        return [Invite(r.id, r.email, r.role, r.expires_at, r.accepted_at) for r in rows]


async def open_invitation(sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, token: str) -> Invite:
    """The unused, unexpired invitation with this token; 404 otherwise (whatever the reason)."""
    async with tenant_session(sessions, tenant_id) as session:
        row = (
            await session.execute(select(Invitation).where(Invitation.token_hash == token_hash(token)))
        ).scalar_one_or_none()
    if row is None or row.accepted_at is not None or row.expires_at <= datetime.now(UTC):
        raise Problem(404, "this invitation is unknown, used or expired; ask for a new one")
    return Invite(row.id, row.email, row.role, row.expires_at, row.accepted_at)


async def accept_invitation(
    sessions: async_sessionmaker[AsyncSession], tenant_id: uuid.UUID, invitation: Invite, user_id: uuid.UUID
) -> None:
    async with tenant_session(sessions, tenant_id) as session:
        done = await session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
            .values(accepted_at=datetime.now(UTC))
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Problem(404, "this invitation was used already")
        if await session.get(Membership, (tenant_id, user_id)) is None:
            session.add(Membership(tenant_id=tenant_id, user_id=user_id, role=invitation.role))


async def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s (a missing user costs the same time and is never verified)."""
    return await passwords.verify(user.password_hash if user else None, password)
