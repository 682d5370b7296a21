"""The Zoho authorisation-code flow through the core and the sandbox's real authorize redirect."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
import httpx
import pytest

from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc, token_pb2, token_pb2_grpc
from tests.core.conftest import CoreHandle
from tests.core.test_connections import new_tenant


def _merchant(info: dict[str, Any], dc: str) -> dict[str, Any]:
    if dc == info["demo"]["data_centre"]:
        return dict(info["demo"])
    r = httpx.post(
        f"{info['admin_url']}/accounts", json={"account": f"m-{dc}-{uuid.uuid4().hex[:6]}", "data_centre": dc}
    )
    r.raise_for_status()
    return dict(r.json())


async def _authorise(
    core: CoreHandle, info: dict[str, Any], dc: str
) -> tuple[str, connection_pb2.Connection, dict[str, Any]]:
    merchant = _merchant(info, dc)
    tenant = await new_tenant(core)
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    created = await stub.CreateConnection(
        connection_pb2.CreateConnectionRequest(
            tenant_id=tenant,
            provider=common_pb2.PROVIDER_ZOHO,
            region=dc,
            environment=common_pb2.ENVIRONMENT_SANDBOX,
            credentials=connection_pb2.Credentials(
                oauth_client=connection_pb2.OAuthClientCredentials(
                    client_id=merchant["client_id"], client_secret=merchant["client_secret"]
                )
            ),
        )
    )
    started = await stub.StartAuthorization(
        connection_pb2.StartAuthorizationRequest(
            tenant_id=tenant, connection_id=created.connection.connection_id, redirect_uri=merchant["redirect_uri"]
        )
    )
    assert started.authorize_url.startswith(merchant["accounts_url"] + "/oauth/v2/auth?")
    # The merchant's browser: the consent page, accepted (the sandbox's auto-approve stands in for the click).
    redirect = httpx.get(started.authorize_url + "&sandbox_auto_approve=1", follow_redirects=False)
    assert redirect.status_code in (302, 303), redirect.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(redirect.headers["location"]).query).items()}
    assert query["state"] == started.state and query["location"] == dc
    return tenant, created.connection, query


@pytest.mark.parametrize("dc", ["in", "ca"])
async def test_the_oauth_flow_connects_zoho_in_its_data_centre(core: CoreHandle, sandboxes: Any, dc: str) -> None:
    info = sandboxes.fresh("zoho")
    tenant, connection, query = await _authorise(core, info, dc)
    done = await core.stub(connection_pb2_grpc.ConnectionServiceStub).CompleteAuthorization(
        connection_pb2.CompleteAuthorizationRequest(
            tenant_id=tenant,
            state=query["state"],
            code=query["code"],
            location=query["location"],
            accounts_server=query["accounts-server"],
        )
    )
    assert done.connection.region == dc and "refresh_token" in done.connection.credential_fields
    assert done.connection.api_base_url == info["data_centres"][dc]["api_domain"]
    token = await core.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
        token_pb2.GetAccessTokenRequest(tenant_id=tenant, connection_id=connection.connection_id)
    )
    r = httpx.get(f"{token.base_url}/inventory/v1/organizations", headers={token.header_name: token.header_value})
    assert r.status_code == 200 and r.json()["organizations"]


async def test_a_forged_accounts_server_or_state_is_refused(core: CoreHandle, sandboxes: Any) -> None:
    info = sandboxes.fresh("zoho")
    tenant, _, query = await _authorise(core, info, "in")
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    forged = connection_pb2.CompleteAuthorizationRequest(
        tenant_id=tenant, state=query["state"], code=query["code"], accounts_server="https://evil.example.com"
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.CompleteAuthorization(forged)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "accounts_server" in (err.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as err:  # the state was consumed by the refused attempt
        await stub.CompleteAuthorization(
            connection_pb2.CompleteAuthorizationRequest(
                tenant_id=tenant, state=query["state"], code=query["code"], accounts_server=query["accounts-server"]
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "state" in (err.value.details() or "")


async def test_a_merchant_without_a_zoho_app_of_their_own_authorises_the_platforms(
    core: CoreHandle, sandboxes: Any
) -> None:
    demo = sandboxes.get("zoho")["demo"]
    tenant = await new_tenant(core)
    stub = core.stub(connection_pb2_grpc.ConnectionServiceStub)
    created = await stub.CreateConnection(
        connection_pb2.CreateConnectionRequest(
            tenant_id=tenant,
            provider=common_pb2.PROVIDER_ZOHO,
            region="in",
            environment=common_pb2.ENVIRONMENT_SANDBOX,
            credentials=connection_pb2.Credentials(oauth_client=connection_pb2.OAuthClientCredentials()),
        )
    )
    assert "client_secret" in created.connection.credential_fields
    started = await stub.StartAuthorization(
        connection_pb2.StartAuthorizationRequest(
            tenant_id=tenant, connection_id=created.connection.connection_id, redirect_uri=demo["redirect_uri"]
        )
    )
    assert parse_qs(urlsplit(started.authorize_url).query)["client_id"] == [demo["client_id"]]
    # Production has no platform app configured here: the merchant must bring one, and is told which fields.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.CreateConnection(
            connection_pb2.CreateConnectionRequest(
                tenant_id=tenant,
                provider=common_pb2.PROVIDER_ZOHO,
                region="in",
                environment=common_pb2.ENVIRONMENT_PRODUCTION,
                credentials=connection_pb2.Credentials(oauth_client=connection_pb2.OAuthClientCredentials()),
            )
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
