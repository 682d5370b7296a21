"""Connection health: the provider's cheapest authenticated call, timed, with the answer in plain words."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from core import providers
from core.connections import Connections
from core.errors import CoreError
from core.metering import Metering
from core.tokens.manager import TokenManager


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    latency_s: float
    error: str
    provider_status: int


def _plain(response: httpx.Response) -> str:
    """The provider's own error message, whatever envelope it uses."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("message", "Message", "error_description", "error"):
            if isinstance(body.get(key), str):
                return str(body[key])
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message", errors[0]))
    return str(body)[:300]


class Health:
    def __init__(
        self, connections: Connections, tokens: TokenManager, http: httpx.AsyncClient, metering: Metering
    ) -> None:
        self.connections, self.tokens, self.http, self.metering = connections, tokens, http, metering

    async def check(self, tenant_id: uuid.UUID, connection_id: uuid.UUID) -> CheckResult:
        record = await self.connections.get(tenant_id, connection_id)
        provider = providers.get(record.provider)
        started = time.perf_counter()
        bucket = provider.verify.bucket
        try:
            credential = await self.tokens.credential(tenant_id, connection_id)
            record = await self.connections.get(tenant_id, connection_id)  # as refreshed: its account is known
            await self.metering.wait_turn(record, bucket)
        except CoreError as exc:
            result = CheckResult(False, time.perf_counter() - started, exc.message, 0)
            await self._record(tenant_id, connection_id, result, status=None)
            return result
        params = {**credential.params, **provider.verify.query(datetime.now(UTC))}
        try:
            response = await self.http.request(
                provider.verify.method,
                credential.base_url + provider.verify.path,
                params=params,
                headers={credential.header_name: credential.header_value},
            )
        except httpx.HTTPError as exc:
            result = CheckResult(False, time.perf_counter() - started, f"could not reach {provider.title}: {exc}", 0)
            await self._record(tenant_id, connection_id, result, status="failing")
            return result
        latency = time.perf_counter() - started
        await self.metering.report(record, bucket, response.status_code, dict(response.headers))
        if response.is_success:
            result = CheckResult(True, latency, "", response.status_code)
            await self._record(tenant_id, connection_id, result, status="ok")
        else:
            if response.status_code in (401, 403):
                await self.tokens.invalidate(tenant_id, connection_id, credential.token)
            message = f"{provider.title} answered {response.status_code}: {_plain(response)}"
            result = CheckResult(False, latency, message, response.status_code)
            await self._record(tenant_id, connection_id, result, status="degraded")
        return result

    async def _record(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID, result: CheckResult, status: str | None
    ) -> None:
        current = await self.connections.get(tenant_id, connection_id)
        await self.connections.set_status(
            tenant_id,
            connection_id,
            status or current.status,
            result.error or None,
            last_check_at=datetime.now(UTC),
            last_latency_ms=int(result.latency_s * 1000),
        )
