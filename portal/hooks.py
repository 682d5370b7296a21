"""The webhook ingress: providers POST here; the portal verifies, stores, enqueues and acknowledges.

    POST /hooks/{provider}/{connection_id}                 Zoho (HMAC signature), Shiprocket (x-api-key)
    POST /hooks/{provider}/{connection_id}/{url_secret}    ShipStation (signs nothing; the secret is in the URL)

For each delivery, in this order:

1. The provider named in the URL must be one we receive webhooks from (else 404), the connection id a
   UUID (else 404: no such connection), the body at most ``MAX_BODY`` bytes (else 413).
2. The request must carry the connection's secret as its provider's scheme says (the lower-case headers,
   the raw body, the query parameters in received order, the URL secret), else 401 saying what is wrong.
   The check is made here with the connection's verifier, which the core hands out for a while and which
   names the tenant (``portal.verifiers``): a burst of deliveries costs the core one call per connection.
   The core's refusals: NOT_FOUND → 404, INVALID_ARGUMENT and FAILED_PRECONDITION → 400, anything else
   (the core down, slow, or refusing our own service token) → 503 with ``Retry-After`` so the provider
   tries again.
3. Only then is the body read as a JSON object (else 400 saying why): a forged request learns nothing
   about parsing, it gets 401 whatever it sends.
4. The dedup key (``portal.dedup``) names the fact the delivery reports. One statement acting for the
   tenant (``inbox_add``, migration 0008: one round trip on a plain asyncpg pool as the application role)
   inserts the inbox row unless (tenant, provider, key) is there already, with the headers, secrets
   redacted, and the body exactly as received.
5. A new row is enqueued as ``ingest_event(tenant_id, inbox_id)`` under its deterministic job id, after the
   commit so the worker finds it: right after the answer, together with the other deliveries' jobs of the
   moment (one script call per batch, ``connectors.jobs``). A duplicate is answered 200 without a new row;
   it is enqueued again only while its row is still ``new`` (harmless: arq keeps one job per id). The row is
   what counts: when Redis is unreachable, or the process stops before its jobs are sent, the sweeper
   enqueues stored rows that no job took up, so the answer is a success all the same.
6. The answer: 202 ``{"status": "accepted", "event_id"}``, or 200 for Shiprocket, which counts any other
   status as a failed push and would retry it; 200 ``{"status": "duplicate", "event_id"}`` for a repeat.

Every refused delivery is logged (provider, connection, remote address, reason); bodies and secrets never
are. Uvicorn's access log must stay off for this app: ShipStation's URLs carry their secret.

Shiprocket refuses webhook URLs containing "shiprocket", "kartrocket", "sr" or "kr", so its deliveries
also arrive under the alias ``/hooks/tracking/{connection_id}``.

Later portal pages protect forms with CSRF tokens; this slice must stay exempt (providers post no token).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl

import asyncpg
import grpc
import structlog
from litestar import Router, asgi
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from connector.v1 import common_pb2
from connectors.jobs import JobQueue
from portal.dedup import dedup_key
from portal.resources import Resources, Slice
from portal.security.access import Access, at
from portal.verifiers import Verifiers
from workers.queue import INGEST_EVENT, ingest_job_id

MAX_BODY: Final = 1024 * 1024
"""The largest body accepted (bytes): far above any provider's event, far below what hurts."""

RETRY_AFTER: Final = "5"
LOGGED_SEGMENT: Final = 64
"""URL segments are logged up to this length (anyone can send anything)."""


@dataclass(frozen=True)
class Sender:
    name: str
    title: str
    enum: common_pb2.Provider.ValueType
    """The provider in the core's contract."""


PROVIDERS: Final[dict[str, Sender]] = {
    "zoho": Sender("zoho", "Zoho", common_pb2.PROVIDER_ZOHO),
    "shiprocket": Sender("shiprocket", "Shiprocket", common_pb2.PROVIDER_SHIPROCKET),
    # Shiprocket refuses webhook URLs that name it.
    "tracking": Sender("shiprocket", "Shiprocket", common_pb2.PROVIDER_SHIPROCKET),
    "shipstation": Sender("shipstation", "ShipStation", common_pb2.PROVIDER_SHIPSTATION),
}
"""The provider segment of the URL → who sends there."""

ACCEPTED_STATUS: Final[dict[str, int]] = {"shiprocket": 200}
"""The success status a provider needs for a new event (202 unless listed): Shiprocket retries anything
but 200."""

SECRET_HEADER = re.compile(r"authorization|signature|secret|token|api[-_]?key|cookie|pass(word)?|credential", re.I)
"""Headers whose values are stored (and would be logged) only as ``REDACTED``."""
REDACTED: Final = "[redacted]"

GRPC_TO_HTTP: Final[dict[grpc.StatusCode, int]] = {
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
}
"""The core's refusals; any other status means the core could not decide: 503, retry."""

ADD = "SELECT event_id, created, event_state FROM inbox_add($1, $2, $3, $4, $5, $6, $7)"
"""Insert the delivery unless the tenant holds its dedup key already (migration 0008)."""


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

    def __init__(self, inbox: asyncpg.Pool, jobs: JobQueue, verifiers: Verifiers) -> None:
        self.inbox, self.jobs, self.verifiers = inbox, jobs, verifiers
        self.log = structlog.get_logger("portal.hooks")

    @classmethod
    def from_resources(cls, resources: Resources) -> Ingress:
        return cls(resources.inbox, resources.jobs, resources.verifiers)

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
            known = ", ".join(sorted({sender.name for sender in PROVIDERS.values()}))
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
        sender = PROVIDERS[delivery.provider]
        name = sender.name
        verified = await self._verify(delivery, sender)
        if isinstance(verified, Answer):
            return verified
        tenant_id, connection_id = verified
        data, text = parse_json(delivery.body)
        if data is None:
            return self.refuse(delivery, 400, text)
        key = dedup_key(name, delivery.body, data, delivery.headers, delivery.query)
        try:
            event_id, created, state = await self._store(tenant_id, connection_id, name, key, delivery, text)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"  # no parameters
            self.log.error("webhook not stored", provider=name, connection=delivery.connection_id, error=error)
            return self.refuse(delivery, 503, "the event could not be stored; retry later")
        if created or state == "new":  # queued right after the answer, with the others of the moment
            inbox_id = str(event_id)
            self.jobs.enqueue_soon(INGEST_EVENT, str(tenant_id), inbox_id, job_id=ingest_job_id(inbox_id))
        if not created:
            return Answer(200, {"status": "duplicate", "event_id": str(event_id)})
        return Answer(ACCEPTED_STATUS.get(name, 202), {"status": "accepted", "event_id": str(event_id)})

    async def _verify(self, delivery: Delivery, sender: Sender) -> tuple[uuid.UUID, uuid.UUID] | Answer:
        try:
            verifier = await self.verifiers.get(sender.enum, delivery.connection_id)
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
        problem = verifier.problem(delivery.headers, delivery.query, delivery.body, delivery.url_secret)
        if problem:
            return self.refuse(delivery, 401, f"not a webhook from this {sender.title} connection: {problem}")
        return verifier.tenant_id, verifier.connection_id

    async def _store(
        self,
        tenant_id: uuid.UUID,
        connection_id: uuid.UUID,
        provider: str,
        key: str,
        delivery: Delivery,
        text: str,
    ) -> tuple[uuid.UUID, bool, str]:
        """(event id, whether this call inserted it, its state), in one statement acting for the tenant."""
        headers = json.dumps(stored_headers(delivery.headers))
        row = await self.inbox.fetchrow(ADD, uuid.uuid4(), tenant_id, connection_id, provider, key, headers, text)
        assert row is not None  # inbox_add answers one row or raises
        return row["event_id"], row["created"], row["event_state"]


def read_delivery(scope: Scope, provider: str, connection_id: str, url_secret: str, body: bytes) -> Delivery:
    """The request as the ingress sees it: headers lower-case (joined per name), query in order, raw body."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    return Delivery(provider, connection_id, url_secret, headers, query, body, _remote(scope))


def _remote(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


async def _body(scope: Scope, receive: Receive) -> bytes | None:
    """The request's body, or None when it is larger than ``MAX_BODY`` (read no further)."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk: bytes = message.get("body", b"")  # type: ignore[assignment]
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class ClientDisconnected(Exception):
    """The sender hung up before its body was read: there is no one to answer."""


async def _answer(send: Send, answer: Answer) -> None:
    body = json.dumps(answer.body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(name.encode(), value.encode()) for name, value in answer.headers.items()]
    await send(HTTPResponseStartEvent(type="http.response.start", status=answer.status, headers=headers))
    await send(HTTPResponseBodyEvent(type="http.response.body", body=body, more_body=False))


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    """One delivery, on the bare ASGI interface: the ingress is the portal's hot path, and Litestar's request
    and response machinery would cost it more than its own work does."""
    ingress: Ingress = scope["app"].state.ingress
    remote = _remote(scope)
    segments = scope["path"].strip("/").split("/")  # under the mount: provider, connection[, url secret]
    if len(segments) not in (2, 3):
        await _answer(send, Answer(404, {"error": "webhooks go to /hooks/{provider}/{connection}"}))
        return
    provider, connection_id, url_secret = segments[0], segments[1], segments[2] if len(segments) == 3 else ""
    if scope.get("method") != "POST":
        await _answer(send, Answer(405, {"error": "webhooks are delivered with POST"}, {"allow": "POST"}))
        return
    answer = ingress.check_address(provider, connection_id, remote)
    if answer is None:
        try:
            body = await _body(scope, receive)
        except ClientDisconnected:
            return
        if body is None:
            answer = ingress.refuse_early(provider, connection_id, remote, 413, f"body larger than {MAX_BODY} bytes")
        else:
            answer = await ingress.receive(read_delivery(scope, provider, connection_id, url_secret, body))
    await _answer(send, answer)


@asgi("/hooks", is_mount=True, copy_scope=False, name="hooks:receive", opt=at(Access.PUBLIC))
async def receive(scope: Scope, receive: Receive, send: Send) -> None:
    """``POST /hooks/{provider}/{connection_id}``: Zoho (HMAC signature), Shiprocket (x-api-key);
    ``POST /hooks/{provider}/{connection_id}/{url_secret}``: ShipStation (the secret is in the URL)."""
    await _serve(scope, receive, send)


def _bind(resources: Resources) -> Mapping[str, object]:
    return {"ingress": Ingress.from_resources(resources)}


SLICE = Slice(
    "hooks",
    # Providers sign in with the connection's secret (checked above), not a session: public to the access guard.
    Router("/", route_handlers=[receive], opt=at(Access.PUBLIC), include_in_schema=False),
    _bind,
)
