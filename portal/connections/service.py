"""The connections slice's calls to the core (``ConnectionService``, ``WebhookService``), turned into plain
dataclasses that pages and JSON both use.

Credentials pass straight through to the core and are never kept, logged or shown: a connection reads back
only which credential fields are set. The webhook secret, which the merchant must copy to the provider, is
shown to admins only (a viewer sees that there is one). The pure parts (status in plain words, webhook
instructions, masking, JSON shapes) sit in small functions of their own, testable without servers.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Request

from connector.v1 import connection_pb2, connection_pb2_grpc, webhook_pb2, webhook_pb2_grpc
from portal.connections import catalogue
from portal.security.access import Access, allows
from portal.web.context import resources_of, session_of, tenant_of
from portal.web.errors import Problem

CALLBACK_PATH = "/connections/oauth/callback"
"""Where Zoho sends the merchant back; register ``<public URL>/connections/oauth/callback`` at Zoho."""
OAUTH_MEMO_SECONDS = 600
"""How long the portal remembers which connection an authorisation was started for (the core's state TTL)."""

STATUS_WORDS: dict[int, str] = {
    connection_pb2.HEALTH_STATUS_OK: "ok",
    connection_pb2.HEALTH_STATUS_DEGRADED: "degraded",
    connection_pb2.HEALTH_STATUS_NEEDS_REAUTH: "needs_reauth",
    connection_pb2.HEALTH_STATUS_FAILING: "failing",
}
STATUS_LABELS = {
    "ok": "Healthy",
    "degraded": "Degraded",
    "needs_reauth": "Needs re-authorisation",
    "failing": "Failing",
    "unknown": "Unknown",
}
SCHEMES: dict[int, str] = {
    webhook_pb2.WEBHOOK_SCHEME_HMAC_SHA256: "hmac_sha256",
    webhook_pb2.WEBHOOK_SCHEME_STATIC_HEADER: "static_header",
    webhook_pb2.WEBHOOK_SCHEME_URL_SECRET: "url_secret",
}
SHIPROCKET_FORBIDDEN = ("shiprocket", "kartrocket", "sr", "kr")
"""Shiprocket refuses webhook URLs containing any of these (hence the core's ``/hooks/tracking/`` alias)."""
HIDDEN = "••••••••"

ZOHO_ERRORS = {
    "access_denied": "access was refused on Zoho's consent page (Reject was chosen), so nothing was granted",
    "invalid_scope": "Zoho did not accept the permissions the platform asks for",
    "invalid_client": "Zoho does not know this client ID in that data centre",
    "unsupported_response_type": "Zoho refused the kind of authorisation asked for",
}


# ------------------------------------------------------------------ views


@dataclass(frozen=True)
class Health:
    status: str
    last_check: datetime | None
    latency_ms: int | None
    token_expires: datetime | None
    budget_used: float
    """Share of today's call budget used, 0 to 1."""
    error_rate: float
    """Share of failed calls over the last hour, 0 to 1."""
    last_error: str


@dataclass(frozen=True)
class WebhookSetup:
    url: str
    scheme: str
    header_name: str
    secret: str | None
    """None when hidden from the viewer (only admins see it)."""
    steps: tuple[str, ...]
    warning: str = ""


@dataclass(frozen=True)
class ConnectionView:
    id: str
    provider: str
    provider_title: str
    display_name: str
    region: str
    region_label: str
    environment: str
    api_base_url: str
    status: str
    status_label: str
    advice: str
    authorised: bool
    """False for a Zoho connection whose OAuth grant has not completed (no refresh token yet)."""
    organisation: bool
    """Zoho: whether the organisation calls go to is known (given, or found at the first token)."""
    account: dict[str, str]
    """Which account at the provider the connection reaches (``Connection.account``: never a secret)."""
    credential_fields: tuple[str, ...]
    created: datetime | None
    updated: datetime | None
    oauth: bool
    webhooks: bool
    health: Health | None = None
    webhook: WebhookSetup | None = None

    @property
    def account_rows(self) -> list[tuple[str, str]]:
        """The account as (label, value) rows, the Zoho organisation apart (it has a row of its own)."""
        return [
            (catalogue.ACCOUNT_LABELS.get(name, name), value)
            for name, value in self.account.items()
            if name != "organization_id"
        ]


@dataclass(frozen=True)
class TestResult:
    ok: bool
    latency_ms: int
    error: str
    provider_status: int


# ------------------------------------------------------------------ pure transformations


def _time(value: Timestamp) -> datetime | None:
    if not value.seconds and not value.nanos:
        return None
    return value.ToDatetime(tzinfo=UTC)


def _ms(value: Duration) -> int:
    return round(value.ToNanoseconds() / 1_000_000)


def status_word(value: int) -> str:
    return STATUS_WORDS.get(value, "unknown")


def effective_status(provider: str, core_status: str, fields: tuple[str, ...]) -> str:
    """The status to show: the core's, except that a Zoho connection not yet granted needs authorisation."""
    if provider == "zoho" and "refresh_token" not in fields:
        return "needs_reauth"
    return core_status


def advice(status: str, title: str, oauth: bool, authorised: bool) -> str:
    """What the merchant should do about a status, in plain words ("" when all is well)."""
    if status == "needs_reauth":
        if not authorised:
            return f"Not connected yet: use Reconnect to sign in at {title} and grant access."
        if oauth:
            return f"{title} no longer accepts the platform's access: use Reconnect to grant it again."
        return f"{title} refused the stored credentials: use Reconnect to enter the current ones."
    if status == "failing":
        return f"{title} could not be reached at the last check; the platform keeps retrying. Use Test now to check."
    if status == "degraded":
        return f"The last check of {title} failed (see Last error); calls are retried. Use Test now once it is fixed."
    return ""


def health_of(health: connection_pb2.ConnectionHealth, status: str) -> Health:
    last_check = _time(health.last_check_time)
    return Health(
        status=status,
        last_check=last_check,
        latency_ms=_ms(health.latency) if last_check else None,
        token_expires=_time(health.token_expire_time),
        budget_used=health.budget_used,
        error_rate=health.recent_error_rate,
        last_error=health.last_error,
    )


def view_of(
    connection: connection_pb2.Connection,
    health: connection_pb2.ConnectionHealth | None = None,
    webhook: WebhookSetup | None = None,
) -> ConnectionView:
    provider = catalogue.PROVIDER_NAMES.get(connection.provider, "unknown")
    offer = catalogue.OFFERS.get(provider)
    title = offer.title if offer else provider
    fields = tuple(connection.credential_fields)
    core_status = status_word(health.status if health is not None else connection.health_status)
    status = effective_status(provider, core_status, fields)
    oauth = bool(offer and offer.oauth)
    authorised = not oauth or "refresh_token" in fields
    return ConnectionView(
        id=connection.connection_id,
        provider=provider,
        provider_title=title,
        display_name=connection.display_name,
        region=connection.region,
        region_label=catalogue.region_label(provider, connection.region),
        environment=catalogue.ENVIRONMENT_NAMES.get(connection.environment, "production"),
        api_base_url=connection.api_base_url,
        status=status,
        status_label="Awaiting authorisation" if not authorised else STATUS_LABELS.get(status, status),
        advice=advice(status, title.split(" ")[0] if oauth else title, oauth, authorised),
        authorised=authorised,
        organisation="organization_id" in fields,
        account=dict(connection.account),
        credential_fields=fields,
        created=_time(connection.create_time),
        updated=_time(connection.update_time),
        oauth=oauth,
        webhooks=bool(offer and offer.webhooks),
        health=health_of(health, status) if health is not None else None,
        webhook=webhook,
    )


def webhook_steps(provider: str, scheme: str, url: str, header: str) -> tuple[str, ...]:
    """Where to paste the URL and the secret at the provider."""
    if provider == "zoho":
        return (
            "In Zoho Inventory (or Books): Settings → Automation → Webhooks → New Webhook.",
            f"URL to notify: {url} — method POST, body type JSON.",
            "Secret: the secret shown here (Zoho signs every call with it; the platform refuses unsigned calls).",
            "Add one webhook per module you sync (sales orders: when confirmed; invoices, contacts as needed).",
        )
    if provider == "shiprocket":
        return (
            "In Shiprocket: Settings → API → Webhooks.",
            f"URL: {url}",
            f"Token: the token shown here (Shiprocket sends it in the {header or 'x-api-key'} header).",
            "The address uses /hooks/tracking/ because Shiprocket refuses webhook URLs containing "
            "“shiprocket”, “kartrocket”, “sr” or “kr”.",
        )
    if provider == "shipstation":
        return (
            "In ShipStation: Settings → Integrations → Webhooks → Add a webhook, for “On New Orders” "
            "(ORDER_NOTIFY) and “On Items Shipped” (SHIP_NOTIFY).",
            f"URL: {url}",
            "ShipStation signs nothing, so the URL's last part is the secret: keep the URL private.",
        )
    return (f"URL: {url}",)


def webhook_of(
    provider: str, setup: webhook_pb2.GetWebhookSetupResponse, public_url: str, reveal: bool
) -> WebhookSetup:
    """The setup a merchant copies to the provider, on the portal's public URL; the secret hidden unless
    ``reveal`` (ShipStation's is part of the URL, so its URL is masked too)."""
    scheme = SCHEMES.get(setup.scheme, "none")
    path = setup.path
    if not reveal and setup.secret:
        path = path.replace(setup.secret, HIDDEN)
    url = public_url.rstrip("/") + path
    warning = ""
    if provider == "shiprocket":
        bad = [w for w in SHIPROCKET_FORBIDDEN if w in url.lower()]
        if bad:
            warning = (
                f"Shiprocket will refuse this URL: it contains “{bad[0]}”. Serve the portal on an address "
                "without it (the platform's public URL setting)."
            )
    return WebhookSetup(
        url=url,
        scheme=scheme,
        header_name=setup.header_name,
        secret=setup.secret if reveal else None,
        steps=webhook_steps(provider, scheme, url, setup.header_name),
        warning=warning,
    )


def test_words(title: str, result: TestResult) -> str:
    """A test's outcome for people: the provider's own error when it failed."""
    if result.ok:
        return f"Test passed: {title} answered in {result.latency_ms} ms."
    return f"Test failed: {result.error or f'{title} answered {result.provider_status}'}"


def zoho_error_words(error: str, description: str = "") -> str:
    words = ZOHO_ERRORS.get(error, f"Zoho answered “{error}”")
    return f"{words}{f' ({description})' if description else ''}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def health_json(health: Health | None) -> dict[str, Any] | None:
    if health is None:
        return None
    return {
        "status": health.status,
        "last_check_at": _iso(health.last_check),
        "latency_ms": health.latency_ms,
        "token_expires_at": _iso(health.token_expires),
        "budget_used": round(health.budget_used, 4),
        "recent_error_rate": round(health.error_rate, 4),
        "last_error": health.last_error or None,
    }


def webhook_json(webhook: WebhookSetup | None) -> dict[str, Any] | None:
    if webhook is None:
        return None
    return {
        "url": webhook.url,
        "scheme": webhook.scheme,
        "header_name": webhook.header_name or None,
        "secret": webhook.secret,
        "steps": list(webhook.steps),
        "warning": webhook.warning or None,
    }


def connection_json(view: ConnectionView, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "connection_id": view.id,
        "provider": view.provider,
        "provider_title": view.provider_title,
        "display_name": view.display_name,
        "region": view.region,
        "region_label": view.region_label,
        "environment": view.environment,
        "status": view.status,
        "advice": view.advice or None,
        "authorised": view.authorised,
        "credential_fields": list(view.credential_fields),
        "account": view.account,
        "created_at": _iso(view.created),
        "updated_at": _iso(view.updated),
        "health": health_json(view.health),
    }
    if view.oauth:
        body["organisation_known"] = view.organisation
    if detail:
        body["api_base_url"] = view.api_base_url
        body["webhook"] = webhook_json(view.webhook)
    return body


def test_json(result: TestResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "latency_ms": result.latency_ms,
        "error": result.error or None,
        "provider_status": result.provider_status or None,
    }


# ------------------------------------------------------------------ calls to the core


def _connections(request: Request[Any, Any, Any]) -> Any:
    return resources_of(request).stub(connection_pb2_grpc.ConnectionServiceStub)


def _webhooks(request: Request[Any, Any, Any]) -> Any:
    return resources_of(request).stub(webhook_pb2_grpc.WebhookServiceStub)


def may_change(request: Request[Any, Any, Any]) -> bool:
    """Whether the visitor may change connections and see webhook secrets (admins and owners)."""
    return allows(Access.ADMIN, session_of(request))


async def _health(request: Request[Any, Any, Any], connection_id: str) -> connection_pb2.ConnectionHealth:
    reply = await _connections(request).GetConnectionHealth(
        connection_pb2.GetConnectionHealthRequest(tenant_id=str(tenant_of(request)), connection_id=connection_id)
    )
    return reply.health  # type: ignore[no-any-return]


async def _webhook(request: Request[Any, Any, Any], connection: connection_pb2.Connection) -> WebhookSetup | None:
    provider = catalogue.PROVIDER_NAMES.get(connection.provider, "")
    offer = catalogue.OFFERS.get(provider)
    if offer is None or not offer.webhooks:
        return None
    try:
        setup = await _webhooks(request).GetWebhookSetup(
            webhook_pb2.GetWebhookSetupRequest(
                tenant_id=str(tenant_of(request)), connection_id=connection.connection_id
            )
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:  # the provider sends none after all
            return None
        raise
    return webhook_of(provider, setup, resources_of(request).config.public_url, may_change(request))


async def _view(
    request: Request[Any, Any, Any], connection: connection_pb2.Connection, with_webhook: bool
) -> ConnectionView:
    if with_webhook:
        health, webhook = await asyncio.gather(
            _health(request, connection.connection_id), _webhook(request, connection)
        )
    else:
        health, webhook = await _health(request, connection.connection_id), None
    return view_of(connection, health, webhook)


async def list_connections(request: Request[Any, Any, Any], *, with_webhooks: bool = False) -> list[ConnectionView]:
    """Every connection of the tenant, oldest first, each with its health (and webhook setup when asked)."""
    reply = await _connections(request).ListConnections(
        connection_pb2.ListConnectionsRequest(tenant_id=str(tenant_of(request)))
    )
    return list(await asyncio.gather(*(_view(request, c, with_webhooks) for c in reply.connections)))


async def get_raw(request: Request[Any, Any, Any], connection_id: uuid.UUID) -> connection_pb2.Connection:
    """The connection as the core has it (404 for an unknown one or another tenant's)."""
    reply = await _connections(request).GetConnection(
        connection_pb2.GetConnectionRequest(tenant_id=str(tenant_of(request)), connection_id=str(connection_id))
    )
    return reply.connection  # type: ignore[no-any-return]


async def get_connection(request: Request[Any, Any, Any], connection_id: uuid.UUID) -> ConnectionView:
    """One connection with its health and webhook setup."""
    return await _view(request, await get_raw(request, connection_id), with_webhook=True)


async def create(
    request: Request[Any, Any, Any],
    offer: catalogue.Offer,
    region: str,
    environment: int,
    name: str,
    credentials: connection_pb2.Credentials,
) -> connection_pb2.Connection:
    reply = await _connections(
        request
    ).CreateConnection(
        connection_pb2.CreateConnectionRequest(
            tenant_id=str(tenant_of(request)),
            provider=catalogue.PROVIDER_ENUMS[offer.name],
            region=region,
            environment=environment,  # type: ignore[arg-type]
            display_name=name.strip()[:200],
            credentials=credentials,
        )
    )
    return reply.connection  # type: ignore[no-any-return]


async def update_credentials(
    request: Request[Any, Any, Any], connection_id: str, credentials: connection_pb2.Credentials
) -> connection_pb2.Connection:
    reply = await _connections(request).UpdateCredentials(
        connection_pb2.UpdateCredentialsRequest(
            tenant_id=str(tenant_of(request)), connection_id=connection_id, credentials=credentials
        )
    )
    return reply.connection  # type: ignore[no-any-return]


async def test(request: Request[Any, Any, Any], connection_id: str) -> TestResult:
    """The provider's cheapest authenticated call, now (the core records the outcome in the health)."""
    reply = await _connections(request).TestConnection(
        connection_pb2.TestConnectionRequest(tenant_id=str(tenant_of(request)), connection_id=connection_id)
    )
    return TestResult(reply.ok, _ms(reply.latency), reply.error, reply.provider_status)


async def delete(request: Request[Any, Any, Any], connection_id: uuid.UUID) -> None:
    await _connections(request).DeleteConnection(
        connection_pb2.DeleteConnectionRequest(tenant_id=str(tenant_of(request)), connection_id=str(connection_id))
    )


def _memo_key(state: str) -> str:
    return f"portal:oauth:{hashlib.sha256(state.encode()).hexdigest()}"


async def start_authorization(request: Request[Any, Any, Any], connection_id: str) -> str:
    """The provider's authorize URL for this connection, coming back to the portal's callback. The portal
    remembers (briefly) which connection the state is for, so that a refusal can lead back to it."""
    resources = resources_of(request)
    tenant = str(tenant_of(request))
    reply = await _connections(request).StartAuthorization(
        connection_pb2.StartAuthorizationRequest(
            tenant_id=tenant,
            connection_id=connection_id,
            redirect_uri=resources.config.public_url.rstrip("/") + CALLBACK_PATH,
        )
    )
    await resources.queue.set(_memo_key(reply.state), f"{tenant}:{connection_id}", ex=OAUTH_MEMO_SECONDS)
    return str(reply.authorize_url)


async def started_for(request: Request[Any, Any, Any], state: str) -> str | None:
    """The connection an authorisation with this state was started for by this tenant, if remembered."""
    if not state:
        return None
    raw = await resources_of(request).queue.get(_memo_key(state))
    if raw is None:
        return None
    tenant, _, connection = (raw.decode() if isinstance(raw, bytes) else str(raw)).partition(":")
    return connection if tenant == str(tenant_of(request)) else None


async def complete_authorization(
    request: Request[Any, Any, Any], state: str, code: str, location: str, accounts_server: str
) -> connection_pb2.Connection:
    reply = await _connections(request).CompleteAuthorization(
        connection_pb2.CompleteAuthorizationRequest(
            tenant_id=str(tenant_of(request)),
            state=state,
            code=code,
            location=location,
            accounts_server=accounts_server,
        )
    )
    await resources_of(request).queue.delete(_memo_key(state))
    return reply.connection  # type: ignore[no-any-return]


def require_zoho(connection: connection_pb2.Connection) -> None:
    if catalogue.PROVIDER_NAMES.get(connection.provider) != "zoho":
        raise Problem.invalid("connection_id", "only Zoho connections are authorised through OAuth")
