"""WebhookService: each connection's own webhook secret, and verification for the ingress (secrets stay here)."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc, webhook_pb2, webhook_pb2_grpc
from sandbox.zoho.webhooks import signature
from tests.core.conftest import CoreHandle
from tests.core.test_connections import connect, credentials_for, new_tenant


async def setup_for(core: CoreHandle, sandboxes: Any, provider: str) -> tuple[str, str, Any]:
    tenant = await new_tenant(core)
    connection = await connect(core, tenant, provider, sandboxes.get(provider))
    stub = core.stub(webhook_pb2_grpc.WebhookServiceStub)
    setup = await stub.GetWebhookSetup(
        webhook_pb2.GetWebhookSetupRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    return tenant, connection.connection_id, setup


async def verify(core: CoreHandle, **fields: Any) -> webhook_pb2.VerifyWebhookResponse:
    stub = core.stub(webhook_pb2_grpc.WebhookServiceStub)
    return await stub.VerifyWebhook(webhook_pb2.VerifyWebhookRequest(**fields))  # type: ignore[no-any-return]


async def test_a_zoho_webhook_signed_with_the_connections_secret_names_its_tenant(
    core: CoreHandle, sandboxes: Any
) -> None:
    tenant, connection, setup = await setup_for(core, sandboxes, "zoho")
    assert setup.scheme == webhook_pb2.WEBHOOK_SCHEME_HMAC_SHA256
    assert setup.path == f"/hooks/zoho/{connection}" and setup.header_name == "x-zoho-webhook-signature"
    assert len(setup.secret) == 32 and setup.secret.isalnum()  # Zoho accepts 12-50 alphanumerics
    body = b'{"salesorder": {"salesorder_id": "1", "salesorder_number": "SO-1"}}'
    query = [("event", "confirmed"), ("a", "1")]
    signed = signature(setup.secret, query, body)  # the Zoho sandbox's own signing code
    answer = await verify(
        core,
        connection_id=connection,
        provider=common_pb2.PROVIDER_ZOHO,
        headers={"X-Zoho-Webhook-Signature": signed},
        body=body,
        query=[webhook_pb2.QueryParameter(name=n, value=v) for n, v in query],
    )
    assert answer.tenant_id == tenant and answer.connection_id == connection

    for headers, tampered in [({"x-zoho-webhook-signature": signed}, body + b" "), ({}, body)]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await verify(
                core,
                connection_id=connection,
                provider=common_pb2.PROVIDER_ZOHO,
                headers=headers,
                body=tampered,
                query=[webhook_pb2.QueryParameter(name=n, value=v) for n, v in query],
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "signature mismatch" in (err.value.details() or "") or "missing" in (err.value.details() or "")


async def test_shiprocket_token_and_shipstation_url_secret(core: CoreHandle, sandboxes: Any) -> None:
    tenant, connection, setup = await setup_for(core, sandboxes, "shiprocket")
    assert setup.scheme == webhook_pb2.WEBHOOK_SCHEME_STATIC_HEADER and setup.header_name == "x-api-key"
    ok = await verify(
        core, connection_id=connection, provider=common_pb2.PROVIDER_SHIPROCKET, headers={"x-api-key": setup.secret}
    )
    assert ok.tenant_id == tenant
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await verify(
            core, connection_id=connection, provider=common_pb2.PROVIDER_SHIPROCKET, headers={"x-api-key": "x"}
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED and "x-api-key is wrong" in str(err.value.details())

    tenant, connection, setup = await setup_for(core, sandboxes, "shipstation")
    assert setup.scheme == webhook_pb2.WEBHOOK_SCHEME_URL_SECRET and setup.path.endswith(f"/{setup.secret}")
    ok = await verify(core, connection_id=connection, provider=common_pb2.PROVIDER_SHIPSTATION, url_secret=setup.secret)
    assert ok.tenant_id == tenant
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await verify(core, connection_id=connection, provider=common_pb2.PROVIDER_SHIPSTATION, url_secret="nope")
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_unknown_connections_other_providers_and_pollers_are_refused(core: CoreHandle, sandboxes: Any) -> None:
    _, connection, setup = await setup_for(core, sandboxes, "shiprocket")
    cases = [
        ({"connection_id": str(uuid.uuid4()), "provider": common_pb2.PROVIDER_SHIPROCKET}, grpc.StatusCode.NOT_FOUND),
        ({"connection_id": connection, "provider": common_pb2.PROVIDER_ZOHO}, grpc.StatusCode.NOT_FOUND),
        ({"connection_id": "not-a-uuid", "provider": common_pb2.PROVIDER_ZOHO}, grpc.StatusCode.INVALID_ARGUMENT),
        ({"connection_id": connection}, grpc.StatusCode.INVALID_ARGUMENT),
    ]
    for fields, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await verify(core, headers={"x-api-key": setup.secret}, **fields)
        assert err.value.code() == code, fields
    tenant = await new_tenant(core)
    magento = await connect(core, tenant, "magento", sandboxes.get("magento"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await core.stub(webhook_pb2_grpc.WebhookServiceStub).GetWebhookSetup(
            webhook_pb2.GetWebhookSetupRequest(tenant_id=tenant, connection_id=magento.connection_id)
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "polls" in str(err.value.details())


async def test_the_webhook_secret_survives_new_credentials_and_stays_with_its_tenant(
    core: CoreHandle, sandboxes: Any
) -> None:
    tenant, connection, setup = await setup_for(core, sandboxes, "shiprocket")
    _, _, creds = credentials_for("shiprocket", sandboxes.get("shiprocket"))
    updated = await core.stub(connection_pb2_grpc.ConnectionServiceStub).UpdateCredentials(
        connection_pb2.UpdateCredentialsRequest(tenant_id=tenant, connection_id=connection, credentials=creds)
    )
    assert "webhook_secret" not in updated.connection.credential_fields
    again = await core.stub(webhook_pb2_grpc.WebhookServiceStub).GetWebhookSetup(
        webhook_pb2.GetWebhookSetupRequest(tenant_id=tenant, connection_id=connection)
    )
    assert again.secret == setup.secret
    other = await new_tenant(core)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await core.stub(webhook_pb2_grpc.WebhookServiceStub).GetWebhookSetup(
            webhook_pb2.GetWebhookSetupRequest(tenant_id=other, connection_id=connection)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
