"""The core's errors, each carrying what a caller needs to act, mapped once to rich gRPC statuses.

CoreError                       -- base; ``code`` is the gRPC status code
├── InvalidArgument             -- INVALID_ARGUMENT with a BadRequest naming each bad field
├── NotFound                    -- NOT_FOUND (also what another tenant's ids look like)
├── AlreadyExists               -- ALREADY_EXISTS
├── Unauthenticated             -- UNAUTHENTICATED (no or unknown service token)
├── NeedsReauth                 -- FAILED_PRECONDITION: the provider refused our stored credential
├── WebhookRefused              -- PERMISSION_DENIED: a webhook without the connection's signature or token
├── NoWebhooks                  -- FAILED_PRECONDITION: the provider sends no webhooks (we poll it)
├── BudgetExhausted             -- RESOURCE_EXHAUSTED with a RetryInfo delay
├── ProviderUnavailable         -- UNAVAILABLE: the provider did not answer usably; retry later
└── WorkersUnavailable          -- UNAVAILABLE: no worker took the job in time, or the queue is unreachable
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "connectors.platform"


class CoreError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: str = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[any_pb2.Any]:
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN)
        packed = any_pb2.Any()
        packed.Pack(info)
        return [packed]

    def to_status(self) -> grpc.Status:
        code: int = self.code.value[0]
        status = status_pb2.Status(code=code, message=self.message, details=self.details())
        return rpc_status.to_status(status)


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class InvalidArgument(CoreError):
    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))

    @classmethod
    def one(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])

    def details(self) -> list[any_pb2.Any]:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in self.violations
            ]
        )
        packed = any_pb2.Any()
        packed.Pack(bad)
        return [*super().details(), packed]


class NotFound(CoreError):
    code = grpc.StatusCode.NOT_FOUND
    reason = "NOT_FOUND"


class AlreadyExists(CoreError):
    code = grpc.StatusCode.ALREADY_EXISTS
    reason = "ALREADY_EXISTS"


class Unauthenticated(CoreError):
    code = grpc.StatusCode.UNAUTHENTICATED
    reason = "UNAUTHENTICATED"


class NeedsReauth(CoreError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "NEEDS_REAUTH"


class ProviderUnavailable(CoreError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = "PROVIDER_UNAVAILABLE"


class WorkersUnavailable(CoreError):
    code = grpc.StatusCode.UNAVAILABLE
    reason = "WORKERS_UNAVAILABLE"


class WebhookRefused(CoreError):
    code = grpc.StatusCode.PERMISSION_DENIED
    reason = "WEBHOOK_REFUSED"


class NoWebhooks(CoreError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "NO_WEBHOOKS"


class BudgetExhausted(CoreError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    reason = "BUDGET_EXHAUSTED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def details(self) -> list[any_pb2.Any]:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(self.retry_after * 1e9))
        packed = any_pb2.Any()
        packed.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        return [*super().details(), packed]


class SecretsUnreadable(CoreError):
    code = grpc.StatusCode.FAILED_PRECONDITION
    reason = "SECRETS_UNREADABLE"
