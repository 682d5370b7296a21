"""The demo merchant on the platform: a tenant connected to every sandbox with the sandboxes' demo credentials.

Idempotent: an existing demo tenant and its connections are kept.
"""

from __future__ import annotations

from typing import Any

from connector.v1 import common_pb2, connection_pb2, connection_pb2_grpc, tenant_pb2, tenant_pb2_grpc
from connectors.core_client import CoreClient

SLUG = "demo-traders"
NAME = "Demo Traders Pvt Ltd"


def demo_connections(sandboxes: dict[str, Any]) -> list[connection_pb2.CreateConnectionRequest]:
    c = connection_pb2
    sandbox = common_pb2.ENVIRONMENT_SANDBOX
    z, sr, ss, m, a = (sandboxes[p]["demo"] for p in ("zoho", "shiprocket", "shipstation", "magento", "amazon"))
    return [
        c.CreateConnectionRequest(
            provider=common_pb2.PROVIDER_ZOHO,
            region=z["data_centre"],
            environment=sandbox,
            display_name="Zoho (India)",
            credentials=c.Credentials(
                oauth_client=c.OAuthClientCredentials(
                    client_id=z["client_id"], client_secret=z["client_secret"], refresh_token=z["refresh_token"]
                )
            ),
        ),
        c.CreateConnectionRequest(
            provider=common_pb2.PROVIDER_SHIPROCKET,
            region="in",
            environment=sandbox,
            display_name="Shiprocket",
            credentials=c.Credentials(password=c.PasswordCredentials(email=sr["email"], password=sr["password"])),
        ),
        c.CreateConnectionRequest(
            provider=common_pb2.PROVIDER_SHIPSTATION,
            region="us",
            environment=sandbox,
            display_name="ShipStation",
            credentials=c.Credentials(api_key=c.ApiKeyCredentials(api_key=ss["api_key"], api_secret=ss["api_secret"])),
        ),
        c.CreateConnectionRequest(
            provider=common_pb2.PROVIDER_MAGENTO,
            region="default",
            environment=sandbox,
            display_name="Magento store",
            credentials=c.Credentials(store=c.StoreCredentials(integration_token=m["integration_token"])),
        ),
        c.CreateConnectionRequest(
            provider=common_pb2.PROVIDER_AMAZON,
            region="eu",
            environment=sandbox,
            display_name="Amazon.in",
            credentials=c.Credentials(
                amazon=c.AmazonCredentials(
                    client_id=a["client_id"],
                    client_secret=a["client_secret"],
                    refresh_token=a["refresh_token"],
                    selling_partner_id=a["selling_partner_id"],
                    marketplace_id=a["marketplace_id"],
                )
            ),
        ),
    ]


async def ensure_demo(client: CoreClient, sandboxes: dict[str, Any]) -> tuple[str, list[tuple[str, bool, str]]]:
    """The demo tenant's id and, per connection, (name, test ok, error)."""
    tenants = client.stub(tenant_pb2_grpc.TenantServiceStub)
    found = await tenants.ListTenants(tenant_pb2.ListTenantsRequest(query=SLUG))
    existing = next((t for t in found.tenants if t.slug == SLUG), None)
    if existing is None:
        existing = (await tenants.CreateTenant(tenant_pb2.CreateTenantRequest(slug=SLUG, name=NAME))).tenant
    tenant_id = existing.tenant_id
    stub = client.stub(connection_pb2_grpc.ConnectionServiceStub)
    have = {
        c.provider
        for c in (await stub.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant_id))).connections
    }
    for request in demo_connections(sandboxes):
        if request.provider not in have:
            request.tenant_id = tenant_id
            await stub.CreateConnection(request)
    results = []
    for conn in (await stub.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant_id))).connections:
        tested = await stub.TestConnection(
            connection_pb2.TestConnectionRequest(tenant_id=tenant_id, connection_id=conn.connection_id)
        )
        results.append((conn.display_name, tested.ok, tested.error))
    return tenant_id, results
