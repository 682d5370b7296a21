"""One place that turns what went wrong into an answer: a JSON problem under ``/api/``, a page elsewhere.

    grpc NOT_FOUND            404   (also another tenant's ids: the core's row-level security finds nothing)
    grpc INVALID_ARGUMENT     400   with the field violations the core named
    grpc PERMISSION_DENIED    403
    grpc FAILED_PRECONDITION  409   ALREADY_EXISTS, ABORTED too
    grpc RESOURCE_EXHAUSTED   429
    grpc UNAVAILABLE, ...     503   the core is down or slow: try again
    not signed in             401   (a page redirects to the login form instead)

JSON problems look like ``{"error": "not_found", "message": "...", "fields": [{"field", "description"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import grpc
import structlog
from google.rpc import error_details_pb2, status_pb2
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template

log = structlog.get_logger("portal")

GRPC_TO_HTTP: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
NAMES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
    504: "timeout",
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    description: str


@dataclass
class Problem(Exception):
    """A refusal the portal itself decides (bad form input, a missing reason...)."""

    status: int
    message: str
    fields: list[FieldProblem] = field(default_factory=list)

    @classmethod
    def invalid(cls, name: str, description: str) -> Problem:
        return cls(400, f"{name}: {description}", [FieldProblem(name, description)])

    def __str__(self) -> str:
        return self.message


def from_grpc(exc: grpc.aio.AioRpcError) -> Problem:
    code = exc.code()
    status = GRPC_TO_HTTP.get(code, 503)
    message = exc.details() or code.name.lower()
    fields: list[FieldProblem] = []
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            rich = status_pb2.Status.FromString(value)
            for detail in rich.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    fields += [FieldProblem(v.field, v.description) for v in bad.field_violations]
    if status == 503:
        log.warning("core call failed", code=code.name, details=exc.details())
        message = "the platform's core service is not answering; try again in a moment"
    return Problem(status, message, fields)


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


def answer(request: Request[Any, Any, Any], problem: Problem) -> Response[Any]:
    if _is_api(request):
        body = {
            "error": NAMES.get(problem.status, "error"),
            "message": problem.message,
            "fields": [{"field": f.field, "description": f.description} for f in problem.fields],
        }
        headers = {"retry-after": "5"} if problem.status in (429, 503) else None
        return Response(body, status_code=problem.status, headers=headers)
    return Template(
        template_name="error.html",
        context={"problem": problem, "session": request.scope.get("state", {}).get("session")},
        status_code=problem.status,
    )


def on_problem(request: Request[Any, Any, Any], exc: Problem) -> Response[Any]:
    return answer(request, exc)


def on_grpc(request: Request[Any, Any, Any], exc: grpc.aio.AioRpcError) -> Response[Any]:
    return answer(request, from_grpc(exc))


def on_unauthenticated(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    if _is_api(request):
        return answer(request, Problem(401, exc.detail or "sign in first"))
    # The query too: a session that lapsed during Zoho's consent screen must not lose the code and state.
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target, safe='')}", status_code=303)


def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    fields: list[FieldProblem] = []
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        for item in exc.extra:
            if isinstance(item, dict):
                fields.append(FieldProblem(str(item.get("key", "")), str(item.get("message", ""))))
    message = exc.detail or NAMES.get(exc.status_code, "error")
    return answer(request, Problem(exc.status_code, message, fields))


def on_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return answer(request, Problem(500, "something went wrong on our side; it has been logged"))


HANDLERS: dict[type[Exception] | int, Any] = {
    Problem: on_problem,
    grpc.aio.AioRpcError: on_grpc,
    NotAuthorizedException: on_unauthenticated,
    HTTPException: on_http,
    500: on_crash,
}
