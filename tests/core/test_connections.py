"""Connecting every provider against its sandbox through the core's gRPC API, and the tokens it hands out."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, timedelta
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from connector.v1 import (
    budget_pb2,
    budget_pb2_grpc,
    common_pb2,
    connection_pb2,
    connection_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)
from connectors.core_client import Authed
from connectors.demo import demo_connection
from core.server import start
from tests.core.conftest import CoreHandle

SANDBOX = common_pb2.ENVIRONMENT_SANDBOX


async def new_tenant(core: CoreHandle) -> str:
    stub = core.stub(tenant_pb2_grpc.TenantServiceStub)
    slug = f"t-{uuid.uuid4().hex[:10]}"
    return str((await stub.CreateTenant(tenant_pb2.CreateTenantRequest(slug=slug, name=slug))).tenant.tenant_id)


def credentials_for(provider: str, info: dict[str, Any]) -> tuple[int, str, connection_pb2.Credentials]:
    request = demo_connection(provider, info["demo"])
    return request.provider, request.region, request.credentials


async def zoho_tokens(core: CoreHandle, sandboxes: Any) -> tuple[dict[str, Any], str, Any, Any, Any]:
    """A fresh Zoho sandbox, a tenant connected to it, the token stub and the request for its token."""
    info = sandboxes.fresh("zoho")
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "zoho", info)
    request = token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
    return info, tenant, connection, core.stub(token_pb2_grpc.TokenServiceStub), request


def last_request_id(admin_url: str) -> int:
    """The newest entry of a sandbox's request log, to read only what comes after it."""
    return max([0, *[r["id"] for r in httpx.get(f"{admin_url}/requests").json()["requests"]]])


async def connect(core: CoreHandle, tenant: str, provider: str, info: dict[str, Any]) -> connection_pb2.Connection:
    enum, region, creds = credentials_for(provider, info)
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    request = connection_pb2.CreateConnectionRequest(
        tenant_id=tenant, provider=enum, region=region, environment=SANDBOX, credentials=creds
    )
    return (await stub.CreateConnection(request)).connection


@pytest.mark.parametrize("provider", ["zoho", "shiprocket", "shipstation", "magento", "amazon"])
async def test_every_provider_connects_tests_ok_and_its_token_works(
    core: CoreHandle, sandboxes: Any, provider: str
) -> None:
    info = sandboxes.fresh(provider)
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, provider, info)
    assert connection.health_status == connection_pb2.HEALTH_STATUS_OK
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    tested = await stub.TestConnection(
        connection_pb2.TestConnectionRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    assert tested.ok, tested.error
    token = await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
        token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    assert token.base_url.startswith("http://127.0.0.1:") and token.header_value
    if provider == "zoho":
        assert token.header_value.startswith("Zoho-oauthtoken ") and token.params["organization_id"]
        r = httpx.get(
            f"{token.base_url}/inventory/v1/items",
            params=dict(token.params),
            headers={token.header_name: token.header_value},
        )
        assert r.status_code == 200, r.text


ACCOUNT_SHOWN = {
    "zoho": {"organization_id"},
    "shiprocket": {"email"},
    "shipstation": set(),  # its API key is half of the credential
    "magento": {"username"},  # the store is api_base_url
    "amazon": {"selling_partner_id", "marketplace_id"},
}


@pytest.mark.parametrize("provider", sorted(ACCOUNT_SHOWN))
async def test_a_connection_names_the_account_it_reaches_and_nothing_secret(
    core: CoreHandle, sandboxes: Any, provider: str
) -> None:
    info = sandboxes.fresh(provider)
    tenant = await new_tenant(core)
    created = await connect(core, tenant, provider, info)
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    ref = {"tenant_id": tenant, "connection_id": created.connection_id}
    await stub.TestConnection(connection_pb2.TestConnectionRequest(**ref))  # Zoho finds its organisation here
    connection = (await stub.GetConnection(connection_pb2.GetConnectionRequest(**ref))).connection
    assert set(connection.account) == ACCOUNT_SHOWN[provider]
    _, _, creds = credentials_for(provider, info)
    sent = getattr(creds, creds.WhichOneof("kind") or "")
    for field, value in sent.ListFields():
        if field.name in connection.account:
            assert connection.account[field.name] == value
        elif isinstance(value, str) and len(value) > 3:
            assert value not in str(connection), f"{field.name} is shown"
    if provider == "zoho":
        assert connection.account["organization_id"] == "60012345678"


async def test_secrets_never_come_back_and_are_never_stored_in_plain_text(
    core: CoreHandle, sandboxes: Any, database_url: str
) -> None:
    info = sandboxes.fresh("shiprocket")
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "shiprocket", info)
    assert "password" in connection.credential_fields
    assert info["demo"]["password"] not in str(connection)
    await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
        token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    engine = create_async_engine(database_url)
    async with engine.connect() as conn:
        dump = (
            await conn.execute(text("SELECT string_agg(ciphertext::text, '') FROM connection_secrets"))
        ).scalar_one()
        rows = (await conn.execute(text("SELECT * FROM connections"))).all()
    await engine.dispose()
    assert info["demo"]["password"].encode().hex() not in dump
    assert info["demo"]["password"] not in str(rows)


async def test_a_rotated_refresh_token_is_stored_and_used_for_the_next_refresh(
    core: CoreHandle, sandboxes: Any, database_url: str
) -> None:
    info = sandboxes.fresh("amazon")
    admin, original = info["admin_url"], info["demo"]["refresh_token"]
    assert httpx.post(f"{admin}/lwa", json={"rotate_refresh_tokens": True}).json()["rotate_refresh_tokens"]
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "amazon", info)
    tokens = core.stub(token_pb2_grpc.TokenServiceStub)
    request = token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)

    async def stored_refresh_token() -> bytes:
        engine = create_async_engine(database_url)
        async with engine.connect() as conn:
            blob = await conn.execute(
                text("SELECT ciphertext FROM connection_secrets WHERE connection_id = :c AND field = 'refresh_token'"),
                {"c": connection.connection_id},
            )
            value = bytes(blob.scalar_one())
        await engine.dispose()
        return value

    before = await stored_refresh_token()
    for _ in range(3):  # each refresh revokes the token it presents: only a stored rotation keeps this working
        answer = await tokens.GetAccessToken(request)
        await tokens.InvalidateAccessToken(
            token_pb2.InvalidateAccessTokenRequest(
                tenant_id=tenant, connection_id=connection.connection_id, rejected_token=answer.header_value
            )
        )
    assert (await tokens.GetAccessToken(request)).header_value
    assert await stored_refresh_token() != before
    refreshes = httpx.get(f"{admin}/requests", params={"path": "/auth/o2/token"}).json()["requests"]
    assert len(refreshes) >= 4 and all(r["status"] == 200 for r in refreshes)
    original_state = httpx.post(
        info["lwa_url"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": original,
            "client_id": info["demo"]["client_id"],
            "client_secret": info["demo"]["client_secret"],
        },
    )
    assert original_state.status_code == 400 and original_state.json()["error"] == "invalid_grant"


async def test_another_tenants_connection_is_invisible(core: CoreHandle, sandboxes: Any) -> None:
    info = sandboxes.fresh("shipstation")
    a, b = await new_tenant(core), await new_tenant(core)
    connection = await connect(core, a, "shipstation", info)
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    for call, request in [
        (stub.GetConnection, connection_pb2.GetConnectionRequest(tenant_id=b, connection_id=connection.connection_id)),
        (
            stub.TestConnection,
            connection_pb2.TestConnectionRequest(tenant_id=b, connection_id=connection.connection_id),
        ),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call(request)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
            token_pb2.GetAccessTokenRequest(tenant_id=b, connection_id=connection.connection_id)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await stub.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=b))
    assert list(listed.connections) == []


async def test_two_hundred_callers_at_expiry_cause_exactly_one_refresh(core: CoreHandle, sandboxes: Any) -> None:
    info, tenant, connection, tokens, request = await zoho_tokens(core, sandboxes)
    first = await tokens.GetAccessToken(request)
    await tokens.InvalidateAccessToken(
        token_pb2.InvalidateAccessTokenRequest(
            tenant_id=tenant, connection_id=connection.connection_id, rejected_token=first.header_value.split(" ", 1)[1]
        )
    )
    admin = info["admin_url"]
    since = last_request_id(admin)
    answers = await asyncio.gather(*(tokens.GetAccessToken(request) for _ in range(200)))
    assert len({a.header_value for a in answers}) == 1 and answers[0].header_value != first.header_value
    log = httpx.get(f"{admin}/requests", params={"since_id": since, "path": "/oauth/v2/token"}).json()["requests"]
    assert len(log) == 1


async def test_a_revoked_refresh_token_moves_the_connection_to_needs_reauth(core: CoreHandle, sandboxes: Any) -> None:
    info = sandboxes.fresh("zoho")
    demo = info["demo"]
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "zoho", info)
    r = httpx.post(f"{demo['accounts_url']}/oauth/v2/token/revoke", params={"token": demo["refresh_token"]})
    assert r.status_code == 200
    tokens = core.stub(token_pb2_grpc.TokenServiceStub)
    request = token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await tokens.GetAccessToken(request)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "reconnect" in (err.value.details() or "")
    health = await core.stub(connection_pb2_grpc.ConnectionServiceStub).GetConnectionHealth(
        connection_pb2.GetConnectionHealthRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    assert health.health.status == connection_pb2.HEALTH_STATUS_NEEDS_REAUTH and health.health.last_error
    admin = info["admin_url"]
    since = last_request_id(admin)
    with pytest.raises(grpc.aio.AioRpcError):
        await tokens.GetAccessToken(request)
    assert httpx.get(f"{admin}/requests", params={"since_id": since}).json()["requests"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider": common_pb2.PROVIDER_UNSPECIFIED}, "provider"),
        ({"region": "mars"}, "region"),
        ({"environment": common_pb2.ENVIRONMENT_UNSPECIFIED}, "environment"),
        ({"credentials": connection_pb2.Credentials()}, "credentials"),
        (
            {"credentials": connection_pb2.Credentials(api_key=connection_pb2.ApiKeyCredentials(api_key="k"))},
            "credentials.api_key.api_secret",
        ),
    ],
)
async def test_bad_connection_requests_name_the_field_and_store_nothing(
    core: CoreHandle, sandboxes: Any, change: dict[str, Any], field: str
) -> None:
    info = sandboxes.get("shipstation")
    tenant = await new_tenant(core)
    enum, region, creds = credentials_for("shipstation", info)
    fields: dict[str, Any] = {"provider": enum, "region": region, "environment": SANDBOX, "credentials": creds}
    fields.update(change)
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.CreateConnection(connection_pb2.CreateConnectionRequest(tenant_id=tenant, **fields))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (err.value.details() or "")
    assert list((await stub.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant))).connections) == []


async def test_zoho_tokens_are_refreshed_at_fifty_five_minutes(core: CoreHandle, sandboxes: Any) -> None:
    *_, tokens, request = await zoho_tokens(core, sandboxes)
    first = await tokens.GetAccessToken(request)
    manager = core.core.tokens
    real = manager.clock
    try:
        manager.clock = lambda: real() + timedelta(minutes=54)
        assert (await tokens.GetAccessToken(request)).header_value == first.header_value
        manager.clock = lambda: real() + timedelta(minutes=56)
        refreshed = await tokens.GetAccessToken(request)
        assert refreshed.header_value != first.header_value
        assert refreshed.expire_time.ToDatetime(tzinfo=UTC) > first.expire_time.ToDatetime(tzinfo=UTC)
    finally:
        manager.clock = real


async def test_health_reports_budget_used_today_and_the_recent_error_rate(core: CoreHandle, sandboxes: Any) -> None:
    info = sandboxes.get("shipstation")
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "shipstation", info)
    budgets = core.stub(budget_pb2_grpc.BudgetServiceStub)
    for status in (200, 200, 200, 500):
        await budgets.AcquireBudget(
            budget_pb2.AcquireBudgetRequest(
                tenant_id=tenant,
                connection_id=connection.connection_id,
                bucket="api",
                cost=1,
                max_wait=Duration(seconds=5),
            )
        )
        await budgets.ReportUsage(
            budget_pb2.ReportUsageRequest(
                tenant_id=tenant, connection_id=connection.connection_id, bucket="api", http_status=status
            )
        )
    health = (
        await core.stub(connection_pb2_grpc.ConnectionServiceStub).GetConnectionHealth(
            connection_pb2.GetConnectionHealthRequest(tenant_id=tenant, connection_id=connection.connection_id)
        )
    ).health
    assert health.recent_error_rate == pytest.approx(0.25)
    assert health.budget_used == pytest.approx(4 / (40 * 1440))


async def test_two_core_replicas_share_one_refresh(core: CoreHandle, sandboxes: Any) -> None:
    info = sandboxes.fresh("zoho")
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, "zoho", info)
    replica = await start(core.settings, "127.0.0.1:0")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}")
    try:
        request = token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
        since = last_request_id(info["admin_url"])
        stubs = [
            core.stub(token_pb2_grpc.TokenServiceStub),
            Authed(token_pb2_grpc.TokenServiceStub(channel), core.metadata),
        ]
        answers = await asyncio.gather(*(stubs[i % 2].GetAccessToken(request) for i in range(200)))
    finally:
        await channel.close()
        await replica.stop(0)
    assert len({a.header_value for a in answers}) == 1
    log = httpx.get(f"{info['admin_url']}/requests", params={"since_id": since, "path": "/oauth/v2/token"})
    assert len(log.json()["requests"]) == 1
