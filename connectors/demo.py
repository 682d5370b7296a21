"""The demo merchant on the platform: a tenant connected to every sandbox with the sandboxes' demo credentials.

Idempotent: an existing demo tenant and its connections are kept. ``wire_webhooks`` points the Zoho,
Shiprocket and ShipStation sandboxes' webhooks at the portal, so confirming an order in the Zoho sandbox gets
it an AWB, and a new ShipStation order becomes a Books invoice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from connector.v1 import (
    common_pb2,
    connection_pb2,
    connection_pb2_grpc,
    tenant_pb2,
    tenant_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
    webhook_pb2,
    webhook_pb2_grpc,
)
from connectors.core_client import CoreClient
from connectors.settings import Settings

SLUG = "demo-traders"
NAME = "Demo Traders Pvt Ltd"


PROVIDERS = ("zoho", "shiprocket", "shipstation", "magento", "amazon")

_c = connection_pb2
# provider → (enum, region, display name, credentials from the sandbox's demo block)
_DEMO: dict[str, tuple[int, Callable[[dict[str, Any]], str], str, Callable[[dict[str, Any]], _c.Credentials]]] = {
    "zoho": (
        common_pb2.PROVIDER_ZOHO,
        lambda d: str(d["data_centre"]),
        "Zoho (India)",
        lambda d: _c.Credentials(
            oauth_client=_c.OAuthClientCredentials(
                client_id=d["client_id"], client_secret=d["client_secret"], refresh_token=d["refresh_token"]
            )
        ),
    ),
    "shiprocket": (
        common_pb2.PROVIDER_SHIPROCKET,
        lambda d: "in",
        "Shiprocket",
        lambda d: _c.Credentials(password=_c.PasswordCredentials(email=d["email"], password=d["password"])),
    ),
    "shipstation": (
        common_pb2.PROVIDER_SHIPSTATION,
        lambda d: "us",
        "ShipStation",
        lambda d: _c.Credentials(api_key=_c.ApiKeyCredentials(api_key=d["api_key"], api_secret=d["api_secret"])),
    ),
    "magento": (
        common_pb2.PROVIDER_MAGENTO,
        lambda d: "default",
        "Magento store",
        lambda d: _c.Credentials(store=_c.StoreCredentials(username=d["username"], password=d["password"])),
    ),
    "amazon": (
        common_pb2.PROVIDER_AMAZON,
        lambda d: "eu",
        "Amazon.in",
        lambda d: _c.Credentials(
            amazon=_c.AmazonCredentials(
                client_id=d["client_id"],
                client_secret=d["client_secret"],
                refresh_token=d["refresh_token"],
                selling_partner_id=d["selling_partner_id"],
                marketplace_id=d["marketplace_id"],
            )
        ),
    ),
}


def demo_connection(provider: str, demo: dict[str, Any], tenant_id: str = "") -> connection_pb2.CreateConnectionRequest:
    """The request connecting a sandbox's demo merchant (``connectors sandbox info`` → ``demo``)."""
    enum, region, name, credentials = _DEMO[provider]
    return _c.CreateConnectionRequest(
        tenant_id=tenant_id,
        provider=enum,  # type: ignore[arg-type]
        region=region(demo),
        environment=common_pb2.ENVIRONMENT_SANDBOX,
        display_name=name,
        credentials=credentials(demo),
    )


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
    for provider in PROVIDERS:
        request = demo_connection(provider, sandboxes[provider]["demo"], tenant_id)
        if request.provider not in have:
            await stub.CreateConnection(request)
    results = []
    for conn in (await stub.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant_id))).connections:
        tested = await stub.TestConnection(
            connection_pb2.TestConnectionRequest(tenant_id=tenant_id, connection_id=conn.connection_id)
        )
        results.append((conn.display_name, tested.ok, tested.error))
    return tenant_id, results


DEMO_SETTINGS: dict[str, Any] = {"shipstation_books": {"exchange_rates": {"USD": "83.50"}}}
"""The demo merchant keeps its books in INR and sells through ShipStation in USD: its documented rate."""


async def ensure_demo_settings(settings: Settings, tenant_id: str) -> None:
    """The demo tenant's flow settings, where it has none yet (a merchant's own changes are kept)."""
    from sqlalchemy.dialects.postgresql import insert

    from tenants.db import make_app_engine, make_sessions, tenant_session
    from tenants.models import TenantSetting

    engine = make_app_engine(settings)
    try:
        async with tenant_session(make_sessions(engine), uuid.UUID(tenant_id)) as session:
            for key, value in DEMO_SETTINGS.items():
                row = {"tenant_id": uuid.UUID(tenant_id), "key": key, "value": value}
                await session.execute(insert(TenantSetting).values(**row).on_conflict_do_nothing())
    finally:
        await engine.dispose()


class Stubs(Protocol):
    """What wiring needs of a core client: authenticated stubs (``CoreClient``, or a test's handle)."""

    def stub(self, factory: Any) -> Any: ...


ZOHO_HOOKS = (("salesorder", ["confirmed"]), ("contact", ["created"]))
"""What the platform listens to at Zoho: confirmed sales orders (fulfilment), new Books contacts (customers)."""
SHIPSTATION_HOOKS = ("ORDER_NOTIFY", "SHIP_NOTIFY")


async def wire_webhooks(client: Stubs, tenant_id: str, portal_url: str, sandboxes: dict[str, Any]) -> list[str]:
    """Configure the merchant's webhooks at Zoho and ShipStation (through their APIs, as a merchant's admin
    would) and at Shiprocket (its panel: the sandbox's admin route) with the URLs and secrets the core keeps;
    idempotent. Returns a line per provider saying what was configured."""
    connections = client.stub(connection_pb2_grpc.ConnectionServiceStub)
    listed = await connections.ListConnections(connection_pb2.ListConnectionsRequest(tenant_id=tenant_id))
    by_provider = {c.provider: c.connection_id for c in listed.connections}
    done = []
    async with httpx.AsyncClient(timeout=10) as http:
        zoho = by_provider.get(common_pb2.PROVIDER_ZOHO)
        if zoho:
            url, secret = await _hook_url(client, tenant_id, zoho, portal_url)
            base, params, auth = await _credential(client, tenant_id, zoho)
            api = f"{base}/inventory/v1/settings/webhooks"
            existing = (await http.get(api, params=params, headers=auth)).json().get("webhooks") or []
            for entity, events in ZOHO_HOOKS:
                if not any(hook.get("url") == url and hook.get("entity") == entity for hook in existing):
                    body = {"url": url, "entity": entity, "events": events, "secret": secret}
                    (await http.post(api, params=params, headers=auth, json=body)).raise_for_status()
            done.append(f"zoho        sales orders confirmed, contacts created → {url}")
        shiprocket = by_provider.get(common_pb2.PROVIDER_SHIPROCKET)
        if shiprocket and "shiprocket" in sandboxes:
            url, secret = await _hook_url(client, tenant_id, shiprocket, portal_url)
            config = {"account": "demo", "url": url, "token": secret, "enabled": True}
            answer = await http.post(f"{sandboxes['shiprocket']['admin_url']}/webhook-config", json=config)
            answer.raise_for_status()
            done.append(f"shiprocket  tracking events → {url}")
        shipstation = by_provider.get(common_pb2.PROVIDER_SHIPSTATION)
        if shipstation:
            url, _ = await _hook_url(client, tenant_id, shipstation, portal_url)
            base, params, auth = await _credential(client, tenant_id, shipstation)
            listed_hooks = (await http.get(f"{base}/webhooks", headers=auth)).json().get("webhooks") or []
            for event in SHIPSTATION_HOOKS:
                if not any(h.get("Url") == url and h.get("HookType") == event for h in listed_hooks):
                    hook = {"target_url": url, "event": event, "friendly_name": f"connectors {event}"}
                    (await http.post(f"{base}/webhooks/subscribe", headers=auth, json=hook)).raise_for_status()
            done.append(f"shipstation new orders, shipments → {url}")
    return done


async def _hook_url(client: Stubs, tenant_id: str, connection_id: str, portal_url: str) -> tuple[str, str]:
    """The connection's webhook URL at the portal, and the secret the provider is to sign or send with."""
    setup = await client.stub(webhook_pb2_grpc.WebhookServiceStub).GetWebhookSetup(
        webhook_pb2.GetWebhookSetupRequest(tenant_id=tenant_id, connection_id=connection_id)
    )
    return f"{portal_url}{setup.path}", setup.secret


async def _credential(client: Stubs, tenant_id: str, connection_id: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """A call's base URL, required parameters and auth header, from the core."""
    token = await client.stub(token_pb2_grpc.TokenServiceStub).GetAccessToken(
        token_pb2.GetAccessTokenRequest(tenant_id=tenant_id, connection_id=connection_id)
    )
    return token.base_url, dict(token.params), {token.header_name: token.header_value}


DEMO_OWNER = "owner@demo-traders.in"
DEMO_SUPPORT = "support@connectors.example"


async def ensure_demo_people(settings: Settings, tenant_id: str, password: str) -> list[tuple[str, str]]:
    """The demo tenant's owner and a platform support engineer, both signing in with ``password`` (made when
    absent; an existing account keeps its password). Returns (who, email) pairs."""
    from portal.accounts import service
    from tenants.db import make_app_engine, make_sessions

    engine = make_app_engine(settings)
    sessions = make_sessions(engine)
    try:
        owner = await service.find_user(sessions, DEMO_OWNER)
        if owner is None:
            owner = await service.create_user(sessions, DEMO_OWNER, "Demo Owner", password)
        await service.add_member(sessions, uuid.UUID(tenant_id), owner.id, "owner")
        if await service.find_user(sessions, DEMO_SUPPORT) is None:
            await service.create_user(sessions, DEMO_SUPPORT, "Platform Support", password, is_support=True)
    finally:
        await engine.dispose()
    return [("merchant owner", DEMO_OWNER), ("support engineer", DEMO_SUPPORT)]
