"""Every provider call a worker makes, through the core: a unit of the shared budget first, then a short-lived
credential, then the call, then the answer reported back so the budget corrects itself.

    api = Api(core, http, tenant_id, connection_id, priority)
    response = await api.call("POST", "/courier/assign/awb", json={...})   # 2xx, or raises CallFailed

A call ends in one of the ``outcomes`` verdicts: a 401 (Amazon: 403) invalidates the token at the core and
is tried once more with a fresh one; anything else that is not 2xx raises ``CallFailed`` carrying the
verdict (retry, unknown, dead letter with a reason) and the provider's own message. The worker never sees
a refresh token, password or API secret.

A dry run (``Api(..., dry_run=DryRun())``) really makes the reads (GET) and lists them; a write (any other
method, or ``idempotent=False``) is listed and not sent, answered by ``Unsent``, whose body cannot be read:
a flow that needs the answer stops there with ``WouldSend``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import grpc
import httpx
from google.protobuf.duration_pb2 import Duration

from connector.v1 import budget_pb2, budget_pb2_grpc, common_pb2, token_pb2, token_pb2_grpc
from connectors.changes import ChangeFeed, LocalCache
from connectors.core_client import Authed
from workers.engine.outcomes import Outcome, Reason, Verdict, judge

MAX_WAIT = 30.0
"""Seconds a worker will wait for its turn in the budget before it gives the record back for later."""
_MAX_WAIT = Duration(seconds=int(MAX_WAIT))
REUSE_SECONDS = 60.0
"""How long a worker reuses an access token the core handed out (never past the token's own expiry, less
``EXPIRY_MARGIN``, and not once its connection has changed at the core: ``Credentials``)."""
EXPIRY_MARGIN = 60.0
RATE_HEADER_WORDS = ("rate", "limit", "retry", "reset")
"""A response header whose name has one of these words is reported to the budget (Retry-After, X-Rate-Limit-*,
x-amzn-RateLimit-Limit: every name a provider's catalogue entry reads); the rest stay here."""


class CallFailed(Exception):
    def __init__(self, verdict: Verdict, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(verdict.message)
        self.verdict, self.status, self.retry_after = verdict, status, retry_after


class Refused(CallFailed):
    """The record cannot go on as it is (bad data, no courier, no connection): a dead letter with its reason."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(Verdict(Outcome.DEAD_LETTER, reason, message))


@dataclass(frozen=True)
class CoreStubs:
    tokens: Any
    budgets: Any

    @classmethod
    def over(cls, channel: grpc.aio.Channel, token: str) -> CoreStubs:
        meta = (("authorization", f"Bearer {token}"),)
        return cls(
            Authed(token_pb2_grpc.TokenServiceStub(channel), meta),
            Authed(budget_pb2_grpc.BudgetServiceStub(channel), meta),
        )


Credential = token_pb2.GetAccessTokenResponse


class Credentials:
    """Access tokens the core handed out, reused by every attempt of this worker until ``REUSE_SECONDS`` pass,
    the token nears its expiry, or its connection changes anywhere (the change feed: new credentials, a refresh,
    needs_reauth, deletion), so a provider call costs one budget RPC, not a token RPC as well. While the feed is
    not subscribed nothing is kept: every call asks the core."""

    def __init__(self, feed: ChangeFeed | None = None) -> None:
        self.feed = feed
        self._kept: LocalCache[Credential] = feed.cache(REUSE_SECONDS) if feed else LocalCache(REUSE_SECONDS)

    @property
    def _trusted(self) -> bool:
        return self.feed is not None and self.feed.live

    def get(self, ref: tuple[str, str]) -> Credential | None:
        return self._kept.get(ref) if self._trusted else None

    def keep(self, ref: tuple[str, str], credential: Credential) -> None:
        seconds = REUSE_SECONDS
        if credential.HasField("expire_time"):
            seconds = min(seconds, credential.expire_time.ToNanoseconds() / 1e9 - time.time() - EXPIRY_MARGIN)
        if seconds > 0 and self._trusted:
            self._kept.put(ref, credential, seconds)

    def drop(self, ref: tuple[str, str], credential: Credential) -> None:
        """Forget ``credential`` (refused by the provider), unless a fresher one was kept meanwhile."""
        kept = self._kept.get(ref)
        if kept is not None and kept.header_value == credential.header_value:
            self._kept.discard(ref)


def rate_headers(headers: httpx.Headers) -> dict[str, str]:
    """The headers a budget report carries (``RATE_HEADER_WORDS``)."""
    return {name: value for name, value in headers.items() if any(word in name for word in RATE_HEADER_WORDS)}


def with_query(url: str, params: dict[str, Any]) -> str:
    """``url`` with ``params`` as its query, exactly as httpx's ``params=`` makes it (which replaces a query the
    URL had), in one URL parse per call instead of two."""
    if "?" in url:
        return str(httpx.URL(url, params=params))
    return f"{url}?{httpx.QueryParams(params)}" if params else url


def provider_message(response: httpx.Response) -> str:
    """The provider's own words for a refusal (Zoho ``message``, Shiprocket ``message`` and ``errors``...)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("message", "error_description", "error") if body.get(k)]
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts += [f"{field}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for field, v in errors.items()]
        elif isinstance(errors, list):
            parts += [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        if parts:
            return f"HTTP {response.status_code}: " + " — ".join(parts)
    return f"HTTP {response.status_code}: {str(body)[:200]}"


def wire_json(value: Any) -> Any:
    """Decimals as JSON numbers: the exact decimal digits (``float`` of a 2-place amount prints them back
    unchanged), at the very edge, so money is never a float anywhere else."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: wire_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire_json(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """Decimals as strings, for JSON columns (a record's payload): money never passes through a float."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Planned:
    """A provider call as the flow asked for it (without the credential's own parameters)."""

    provider: str
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: Any = None

    def brief(self) -> dict[str, str]:
        return {"provider": self.provider, "method": self.method, "path": self.path}

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, amounts as ``wire_json`` sends them."""
        return {**self.brief(), "params": wire_json(self.params or {}), "body": wire_json(self.body)}


class WouldSend(Exception):
    """A dry run reached a write whose answer the flow needs: the run ends here, the write unsent. Not a
    ``CallFailed``, so no flow handles it as a provider's refusal."""

    def __init__(self, call: Planned) -> None:
        super().__init__(f"would send {call.method} {call.path} to {call.provider}")
        self.call = call


class Unsent(httpx.Response):
    """Stands for the answer to a write a dry run did not send; reading its body raises ``WouldSend``."""

    def __init__(self, call: Planned) -> None:
        super().__init__(202)
        self.call = call

    def json(self, **kwargs: Any) -> Any:
        raise WouldSend(self.call)

    @property
    def text(self) -> str:
        raise WouldSend(self.call)

    @property
    def content(self) -> bytes:
        raise WouldSend(self.call)


@dataclass
class DryRun:
    """What a dry run's calls were: reads really made, writes captured unsent, each in order."""

    reads: list[Planned] = field(default_factory=list)
    writes: list[Planned] = field(default_factory=list)

    def intercept(self, call: Planned, idempotent: bool) -> Unsent | None:
        """None: a read, make it. Else the stand-in answer to a write that is not sent."""
        if call.method.upper() == "GET" and idempotent:
            self.reads.append(call)
            return None
        self.writes.append(call)
        return Unsent(call)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _core_refusal(exc: grpc.aio.AioRpcError, what: str) -> CallFailed:
    """The core said no (needs re-auth, budget exhausted, provider's token endpoint down...)."""
    code, details = exc.code(), exc.details() or str(exc.code())
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return CallFailed(Verdict(Outcome.DEAD_LETTER, Reason.NEEDS_REAUTH, details))
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return CallFailed(Verdict(Outcome.RETRY, None, f"{what}: quota exhausted: {details}"), retry_after=MAX_WAIT)
    if code == grpc.StatusCode.NOT_FOUND:
        return CallFailed(Verdict(Outcome.DEAD_LETTER, Reason.INVALID_SOURCE_DATA, details))
    return CallFailed(Verdict(Outcome.RETRY, None, f"{what}: core answered {code.name}: {details}"))


class Api:
    def __init__(
        self,
        core: CoreStubs,
        http: httpx.AsyncClient,
        tenant_id: uuid.UUID,
        connection_id: uuid.UUID,
        provider: str,
        *,
        priority: common_pb2.Priority.ValueType = common_pb2.PRIORITY_LIVE,
        dry_run: DryRun | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.core, self.http, self.provider, self.priority = core, http, provider, priority
        self.dry_run = dry_run
        self.ref = {"tenant_id": str(tenant_id), "connection_id": str(connection_id)}
        self._key = (self.ref["tenant_id"], self.ref["connection_id"])
        self._credentials = credentials if credentials is not None else Credentials()
        self._credential: Credential | None = None
        self.calls = 0

    async def _credential_now(self) -> Credential:
        if self._credential is None:
            self._credential = self._credentials.get(self._key)
        if self._credential is None:
            try:
                self._credential = await self.core.tokens.GetAccessToken(token_pb2.GetAccessTokenRequest(**self.ref))
            except grpc.aio.AioRpcError as exc:
                raise _core_refusal(exc, "token") from None
            self._credentials.keep(self._key, self._credential)
        return self._credential

    async def _turn(self, bucket: str) -> None:
        request = budget_pb2.AcquireBudgetRequest(
            **self.ref, bucket=bucket, cost=1, priority=self.priority, max_wait=_MAX_WAIT
        )
        try:
            grant = await self.core.budgets.AcquireBudget(request)
        except grpc.aio.AioRpcError as exc:
            raise _core_refusal(exc, "budget") from None
        delay = grant.delay.ToNanoseconds() / 1e9
        if delay > 0:
            await asyncio.sleep(delay)

    async def _report(self, bucket: str, response: httpx.Response) -> None:
        request = budget_pb2.ReportUsageRequest(
            **self.ref, bucket=bucket, http_status=response.status_code, headers=rate_headers(response.headers)
        )
        # A lost report only delays the budget's correction; the call's own outcome matters more.
        with contextlib.suppress(grpc.aio.AioRpcError):
            await self.core.budgets.ReportUsage(request)

    async def base_url(self) -> str:
        return (await self._credential_now()).base_url

    async def param(self, name: str) -> str | None:
        """A parameter every call of the connection carries (Zoho's ``organization_id``)."""
        return dict((await self._credential_now()).params).get(name)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        bucket: str = "api",
        idempotent: bool = True,
    ) -> httpx.Response:
        """``idempotent=False`` for calls that create something: an answer lost on the way is UNKNOWN (look it
        up before trying again), never a plain retry."""
        if self.dry_run is not None:
            unsent = self.dry_run.intercept(Planned(self.provider, method, path, params, json), idempotent)
            if unsent is not None:
                return unsent
        refreshed = False
        while True:
            credential = await self._credential_now()
            await self._turn(bucket)
            url = with_query(credential.base_url + path, {**dict(credential.params), **(params or {})})
            headers = {credential.header_name: credential.header_value}
            self.calls += 1
            try:
                response = await self.http.request(method, url, json=wire_json(json), headers=headers)
            except httpx.TimeoutException as exc:
                outcome = Outcome.UNKNOWN if not idempotent else Outcome.RETRY
                raise CallFailed(Verdict(outcome, None, f"{method} {path}: no answer ({type(exc).__name__})")) from None
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                never_sent = isinstance(exc, httpx.ConnectError)
                outcome = Outcome.RETRY if never_sent or idempotent else Outcome.UNKNOWN
                raise CallFailed(Verdict(outcome, None, f"{method} {path}: {type(exc).__name__}: {exc}")) from None
            await self._report(bucket, response)
            if response.is_success:
                return response
            verdict = judge(self.provider, response.status_code, provider_message(response), refreshed=refreshed)
            if verdict.outcome is Outcome.REFRESH:
                await self._invalidate(credential)
                refreshed = True
                continue
            raise CallFailed(verdict, response.status_code, _retry_after(response))

    async def _invalidate(self, credential: token_pb2.GetAccessTokenResponse) -> None:
        rejected = credential.header_value.split(" ", 1)[-1]
        self._credential = None
        self._credentials.drop(self._key, credential)
        try:
            await self.core.tokens.InvalidateAccessToken(
                token_pb2.InvalidateAccessTokenRequest(**self.ref, rejected_token=rejected)
            )
        except grpc.aio.AioRpcError as exc:
            raise _core_refusal(exc, "invalidate") from None
