"""Conversions between connector.v1 messages and the core's records (no logic beyond naming)."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Protocol

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from connector.v1 import common_pb2, connection_pb2
from core.connections import ConnectionRecord
from core.credentials import SCHEMAS
from core.errors import InvalidArgument
from core.providers.model import Environment
from core.tenancy import parse_id

PROVIDERS: dict[int, str] = {
    common_pb2.PROVIDER_ZOHO: "zoho",
    common_pb2.PROVIDER_SHIPROCKET: "shiprocket",
    common_pb2.PROVIDER_SHIPSTATION: "shipstation",
    common_pb2.PROVIDER_MAGENTO: "magento",
    common_pb2.PROVIDER_AMAZON: "amazon",
}
PROVIDER_ENUMS: dict[str, int] = {name: value for value, name in PROVIDERS.items()}
ENVIRONMENTS: dict[int, Environment] = {
    common_pb2.ENVIRONMENT_PRODUCTION: Environment.PRODUCTION,
    common_pb2.ENVIRONMENT_SANDBOX: Environment.SANDBOX,
}
HEALTH: dict[str, int] = {
    "ok": connection_pb2.HEALTH_STATUS_OK,
    "degraded": connection_pb2.HEALTH_STATUS_DEGRADED,
    "needs_reauth": connection_pb2.HEALTH_STATUS_NEEDS_REAUTH,
    "failing": connection_pb2.HEALTH_STATUS_FAILING,
}


class ConnectionAddressed(Protocol):
    tenant_id: str
    connection_id: str


def connection_ref(request: ConnectionAddressed) -> tuple[uuid.UUID, uuid.UUID]:
    """The (tenant, connection) a request is about, each checked to be a UUID and named when it is not."""
    return _ref(request.tenant_id, request.connection_id)


@functools.lru_cache(maxsize=4096)
def _ref(tenant_id: str, connection_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    # On every token and budget call: the same few connections, parsed once (a refusal is never cached).
    return parse_id(tenant_id, "tenant_id"), parse_id(connection_id, "connection_id")


def provider_name(value: int, *, required: bool = True) -> str | None:
    name = PROVIDERS.get(value)
    if name is None and (required or value != common_pb2.PROVIDER_UNSPECIFIED):
        raise InvalidArgument.one("provider", f"must be one of {', '.join(PROVIDER_ENUMS)}")
    return name


def environment(value: int) -> Environment:
    env = ENVIRONMENTS.get(value)
    if env is None:
        raise InvalidArgument.one("environment", "must be ENVIRONMENT_PRODUCTION or ENVIRONMENT_SANDBOX")
    return env


def credential_fields(credentials: connection_pb2.Credentials) -> tuple[str | None, dict[str, str]]:
    kind = credentials.WhichOneof("kind")
    if kind is None:
        return None, {}
    message = getattr(credentials, kind)
    return kind, {f.name: str(value) for f, value in message.ListFields()}


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def duration(seconds: float) -> Duration:
    """``seconds`` (at least 0) as a Duration, built directly (protobuf's own helpers cost more than the call)."""
    nanos = int(seconds * 1e9)
    return Duration(seconds=nanos // 1_000_000_000, nanos=nanos % 1_000_000_000)


def seconds_of(value: Duration) -> float:
    return value.seconds + value.nanos / 1e9


def connection(record: ConnectionRecord) -> connection_pb2.Connection:
    return connection_pb2.Connection(
        connection_id=str(record.id),
        tenant_id=str(record.tenant_id),
        provider=PROVIDER_ENUMS[record.provider],  # type: ignore[arg-type]
        region=record.region,
        environment=(
            common_pb2.ENVIRONMENT_SANDBOX if record.environment == "sandbox" else common_pb2.ENVIRONMENT_PRODUCTION
        ),
        display_name=record.display_name,
        api_base_url=record.api_base_url,
        health_status=HEALTH.get(record.status, connection_pb2.HEALTH_STATUS_UNSPECIFIED),  # type: ignore[arg-type]
        credential_fields=list(record.credential_fields),
        create_time=timestamp(record.created_at),
        update_time=timestamp(record.updated_at),
        account={k: str(record.params[k]) for k in SCHEMAS[record.provider].shown if record.params.get(k)},
    )
