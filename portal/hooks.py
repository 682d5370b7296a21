"""The webhook ingress: providers POST here; the portal verifies, stores, enqueues and acknowledges.

    POST /hooks/{provider}/{connection_id}                 Zoho (HMAC signature), Shiprocket (x-api-key)
    POST /hooks/{provider}/{connection_id}/{url_secret}    ShipStation (signs nothing; the secret is in the URL)

For each delivery, in this order:

1. The provider named in the URL must be one we receive webhooks from (else 404), the connection id a
   UUID (else 404: no such connection), the body at most ``MAX_BODY`` bytes (else 413).
2. The core decides whether the request carries the connection's secret (``WebhookService.VerifyWebhook``
   with the lower-case headers, the raw body, the query parameters in received order and the URL secret)
   and answers the tenant. The portal holds no secret. PERMISSION_DENIED → 401, NOT_FOUND → 404,
   INVALID_ARGUMENT and FAILED_PRECONDITION → 400, anything else (the core down, slow, or refusing our
   own service token) → 503 with ``Retry-After`` so the provider tries again.
3. Only then is the body read as a JSON object (else 400 saying why): a forged request learns nothing
   about parsing, it gets 401 whatever it sends.
4. The dedup key (``portal.dedup``) names the fact the delivery reports. One transaction acting for the
   tenant inserts the inbox row (``ON CONFLICT DO NOTHING`` on (tenant, provider, key)) with the headers,
   secrets redacted, and the body exactly as received.
5. A new row is enqueued as ``ingest_event(tenant_id, inbox_id)`` under its deterministic job id, after the
   commit so the worker finds it. A duplicate is answered 200 without a new row; it is enqueued again only
   while its row is still ``new`` (harmless: arq keeps one job per id). When Redis is unreachable the row
   is stored all the same and the sweeper enqueues it later, so the answer is still a success.
6. The answer: 202 ``{"status": "accepted", "event_id"}``, or 200 for Shiprocket, which counts any other
   status as a failed push and would retry it; 200 ``{"status": "duplicate", "event_id"}`` for a repeat.

Every refused delivery is logged (provider, connection, remote address, reason); bodies and secrets never
are. Uvicorn's access log must stay off for this app: ShipStation's URLs carry their secret.

Shiprocket refuses webhook URLs containing "shiprocket", "kartrocket", "sr" or "kr", so its deliveries
also arrive under the alias ``/hooks/tracking/{connection_id}``.

Later portal pages protect forms with CSRF tokens; this slice must stay exempt (providers post no token).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import parse_qsl

import grpc
import structlog
from arq.connections import ArqRedis
from litestar import Request, Response, Router, post
from litestar.datastructures import State
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath
from redis.exceptions import RedisError
from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from connector.v1 import common_pb2, webhook_pb2, webhook_pb2_grpc
from portal.dedup import dedup_key
from portal.resources import Metadata, Resources, Slice
from portal.security.access import Access, at
from tenants.db import tenant_session
from tenants.models import InboxEvent
from workers.queue import INGEST_EVENT, QUEUE, ingest_job_id

if TYPE_CHECKING:
    from connector.v1.webhook_pb2_grpc import WebhookServiceAsyncStub

MAX_BODY: Final = 1024 * 1024
"""The largest body accepted (bytes): far above any provider's event, far below what hurts."""

RETRY_AFTER: Final = "5"
LOGGED_SEGMENT: Final = 64
"""URL segments are logged up to this length (anyone can send anything)."""
VERIFY_TIMEOUT: Final = 5.0
ENQUEUE_TIMEOUT: Final = 2.0

PROVIDERS: Final[dict[str, tuple[str, common_pb2.Provider.ValueType]]] = {
    "zoho": ("zoho", common_pb2.PROVIDER_ZOHO),
    "shiprocket": ("shiprocket", common_pb2.PROVIDER_SHIPROCKET),
    "tracking": ("shiprocket", common_pb2.PROVIDER_SHIPROCKET),  # Shiprocket refuses URLs naming itself
    "shipstation": ("shipstation", common_pb2.PROVIDER_SHIPSTATION),
}
"""The provider segment of the URL → (the provider's name, its enum in the core's contract)."""

ACCEPTED_STATUS: Final[dict[str, int]] = {"shiprocket": 200}
"""The success status a provider needs for a new event (202 unless listed): Shiprocket retries anything
but 200."""

SECRET_HEADER = re.compile(r"authorization|signature|secret|token|api[-_]?key|cookie|pass(word)?|credential", re.I)
"""Headers whose values are stored (and would be logged) only as ``REDACTED``."""
REDACTED: Final = "[redacted]"

GRPC_TO_HTTP: Final[dict[grpc.StatusCode, int]] = {
    grpc.StatusCode.PERMISSION_DENIED: 401,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
}
"""The core's refusals; any other status means the core could not decide: 503, retry."""

INBOX = cast(Table, InboxEvent.__table__)
ADD = insert(INBOX).on_conflict_do_nothing(constraint="inbox_once").returning(INBOX.c.id)
"""Built once, executed with each row's values (building a statement per request costs more than running it)."""
EXISTING = select(INBOX.c.id, INBOX.c.state).where(
    INBOX.c.tenant_id == bindparam("tenant_id"),
    INBOX.c.provider == bindparam("provider"),
    INBOX.c.dedup_key == bindparam("dedup_key"),
)


@dataclass(frozen=True)
class Delivery:
    """One request to the ingress, as read from the wire."""

    provider: str
    """The provider segment of the URL, as sent."""
    connection_id: str
    url_secret: str
    headers: dict[str, str]
    """Lower-case names; a repeated header's values joined with ", "."""
    query: list[tuple[str, str]]
    """Query parameters in received order."""
    body: bytes
    remote: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


def stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers as the inbox keeps them: lower-case names, secrets' values replaced by ``REDACTED``."""
    return {name: (REDACTED if SECRET_HEADER.search(name) else value) for name, value in headers.items()}


def parse_json(body: bytes) -> tuple[dict[str, Any] | None, str]:
    """The body as a JSON object and its text, or None and why not (in words fit for the provider)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"body is not UTF-8: {exc.reason} at byte {exc.start}"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return None, "body is not JSON: nested too deeply"
    if not isinstance(data, dict):
        return None, f"body is JSON but not an object (found {type(data).__name__})"
    return data, text


class Ingress:
    """The ingress's work, apart from the HTTP framework: verify, store, enqueue, answer."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        queue: ArqRedis,
        webhooks: WebhookServiceAsyncStub,
        metadata: Metadata,
        *,
        verify_timeout: float = VERIFY_TIMEOUT,
        enqueue_timeout: float = ENQUEUE_TIMEOUT,
    ) -> None:
        self.sessions, self.queue, self.webhooks, self.metadata = sessions, queue, webhooks, metadata
        self.verify_timeout, self.enqueue_timeout = verify_timeout, enqueue_timeout
        self.log = structlog.get_logger("portal.hooks")

    @classmethod
    def from_resources(cls, resources: Resources) -> Ingress:
        stub: WebhookServiceAsyncStub = webhook_pb2_grpc.WebhookServiceStub(resources.core)
        return cls(resources.sessions, resources.queue, stub, resources.core_metadata)

    def refuse(self, delivery: Delivery, status: int, error: str, **extra: Any) -> Answer:
        """Log a refused delivery (never its body or secrets) and answer it."""
        self.log.warning(
            "webhook refused",
            provider=delivery.provider[:LOGGED_SEGMENT],
            connection=delivery.connection_id[:LOGGED_SEGMENT],
            remote=delivery.remote,
            status=status,
            reason=error,
            **extra,
        )
        headers = {"retry-after": RETRY_AFTER} if status == 503 else {}
        return Answer(status, {"error": error}, headers)

    def refuse_early(self, provider: str, connection_id: str, remote: str, status: int, error: str) -> Answer:
        """Refuse a request before its body is read (unknown provider, connection, body too large)."""
        return self.refuse(Delivery(provider, connection_id, "", {}, [], b"", remote), status, error)

    def check_address(self, provider: str, connection_id: str, remote: str) -> Answer | None:
        """Whether the URL names a provider and a connection we could receive for; None when it does."""
        if provider not in PROVIDERS:
            known = ", ".join(sorted({name for name, _ in PROVIDERS.values()}))
            return self.refuse_early(
                provider, connection_id, remote, 404, f"unknown provider {provider!r}: webhooks come from {known}"
            )
        try:
            uuid.UUID(connection_id)
        except ValueError:
            return self.refuse_early(provider, connection_id, remote, 404, f"no connection {connection_id!r}")
        return None

    async def receive(self, delivery: Delivery) -> Answer:
        """Everything after the body was read: verify, parse, store, enqueue."""
        name, enum = PROVIDERS[delivery.provider]
        verified = await self._verify(delivery, enum)
        if isinstance(verified, Answer):
            return verified
        tenant_id, connection_id = verified
        data, text = parse_json(delivery.body)
        if data is None:
            return self.refuse(delivery, 400, text)
        key = dedup_key(name, delivery.body, data, delivery.headers, delivery.query)
        try:
            event_id, created, state = await self._store(tenant_id, connection_id, name, key, delivery, text)
        except (SQLAlchemyError, OSError) as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"  # no parameters
            self.log.error("webhook not stored", provider=name, connection=delivery.connection_id, error=error)
            return self.refuse(delivery, 503, "the event could not be stored; retry later")
        if created or state == "new":
            await self._enqueue(tenant_id, event_id)
        if not created:
            return Answer(200, {"status": "duplicate", "event_id": str(event_id)})
        return Answer(ACCEPTED_STATUS.get(name, 202), {"status": "accepted", "event_id": str(event_id)})

    async def _verify(
        self, delivery: Delivery, provider: common_pb2.Provider.ValueType
    ) -> tuple[uuid.UUID, uuid.UUID] | Answer:
        request = webhook_pb2.VerifyWebhookRequest(
            connection_id=delivery.connection_id,
            provider=provider,
            headers=delivery.headers,
            body=delivery.body,
            query=[webhook_pb2.QueryParameter(name=k, value=v) for k, v in delivery.query],
            url_secret=delivery.url_secret,
        )
        try:
            answer = await self.webhooks.VerifyWebhook(request, metadata=self.metadata, timeout=self.verify_timeout)
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            status = GRPC_TO_HTTP.get(code)
            if status is not None:
                return self.refuse(delivery, status, exc.details() or code.name.lower())
            if code == grpc.StatusCode.UNAUTHENTICATED:
                self.log.error("the core refused the portal's service token; check CONNECTORS_SERVICE_TOKENS")
            return self.refuse(
                delivery, 503, "the webhook cannot be verified right now; retry later", core_status=code.name
            )
        return uuid.UUID(answer.tenant_id), uuid.UUID(answer.connection_id)

    async def _store(
        self,
        tenant_id: uuid.UUID,
        connection_id: uuid.UUID,
        provider: str,
        key: str,
        delivery: Delivery,
        text: str,
    ) -> tuple[uuid.UUID, bool, str]:
        """(event id, whether this call inserted it, its state) in one transaction acting for the tenant."""
        new_id = uuid.uuid4()
        row = {
            "id": new_id,
            "tenant_id": tenant_id,
            "connection_id": connection_id,
            "provider": provider,
            "dedup_key": key,
            "headers": stored_headers(delivery.headers),
            "body": text,
            "state": "new",
        }
        async with tenant_session(self.sessions, tenant_id) as session:
            for _ in range(2):  # a conflicting row deleted between the two statements: insert again
                if (await session.execute(ADD, row)).scalar_one_or_none() is not None:
                    return new_id, True, "new"
                found = (await session.execute(EXISTING, row)).one_or_none()
                if found is not None:
                    return found.id, False, found.state
        raise SQLAlchemyError(f"inbox row for {key!r} neither inserted nor found")

    async def _enqueue(self, tenant_id: uuid.UUID, event_id: uuid.UUID) -> None:
        """Enqueue the event's ingestion; on failure only log (the row is stored; the sweeper enqueues it)."""
        inbox_id = str(event_id)
        try:
            async with asyncio.timeout(self.enqueue_timeout):
                await self.queue.enqueue_job(
                    INGEST_EVENT, str(tenant_id), inbox_id, _job_id=ingest_job_id(inbox_id), _queue_name=QUEUE
                )
        except (RedisError, OSError, TimeoutError) as exc:
            self.log.warning("webhook stored but not enqueued; the sweeper will", event_id=inbox_id, error=str(exc))


def read_delivery(
    request: Request[Any, Any, State], provider: str, connection_id: str, url_secret: str, body: bytes
) -> Delivery:
    """The request as the ingress sees it: headers lower-case (joined per name), query in order, raw body."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in request.scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    query = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    remote = request.client.host if request.client else ""
    return Delivery(provider, connection_id, url_secret, headers, query, body, remote)


def _response(answer: Answer) -> Response[dict[str, str]]:
    return Response(answer.body, status_code=answer.status, headers=answer.headers)


async def _handle(request: Request[Any, Any, State], provider: str, connection_id: str, url_secret: str) -> Answer:
    ingress: Ingress = request.app.state.ingress
    remote = request.client.host if request.client else ""
    refused = ingress.check_address(provider, connection_id, remote)
    if refused is not None:
        return refused
    try:
        body = await request.body()
    except RequestEntityTooLarge:
        return ingress.refuse_early(provider, connection_id, remote, 413, f"body larger than {MAX_BODY} bytes")
    return await ingress.receive(read_delivery(request, provider, connection_id, url_secret, body))


@post("/{provider:str}/{connection_id:str}", request_max_body_size=MAX_BODY, status_code=202, name="hooks:receive")
async def receive(
    request: Request[Any, Any, State], provider: FromPath[str], connection_id: FromPath[str]
) -> Response[dict[str, str]]:
    return _response(await _handle(request, provider, connection_id, ""))


@post(
    "/{provider:str}/{connection_id:str}/{url_secret:str}",
    request_max_body_size=MAX_BODY,
    status_code=202,
    name="hooks:receive-with-secret",
)
async def receive_with_secret(
    request: Request[Any, Any, State],
    provider: FromPath[str],
    connection_id: FromPath[str],
    url_secret: FromPath[str],
) -> Response[dict[str, str]]:
    return _response(await _handle(request, provider, connection_id, url_secret))


def _bind(resources: Resources) -> Mapping[str, object]:
    return {"ingress": Ingress.from_resources(resources)}


SLICE = Slice(
    "hooks",
    # Providers sign in with the connection's secret (checked above), not a session: public to the access guard.
    Router("/hooks", route_handlers=[receive, receive_with_secret], opt=at(Access.PUBLIC), include_in_schema=False),
    _bind,
)
