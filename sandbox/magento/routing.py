"""Magento's REST front controller: store-code paths, merchant prefix, route match, body decoding, ACL.

URL layout (one sandbox listener serves every merchant account, each as its own "host"):

    {url}/rest[/<store_code>]/V1/...                     the demo merchant (store code default|all)
    {url}/store/<account>/rest[/<store_code>]/V1/...     any merchant account, the demo included

Routes are matched literally, segment by segment, on the raw (still URL-encoded) path, so an SKU with
``/`` sent as ``%2F`` stays one segment. A path no route matches for this method answers 404
``Request does not match any route.`` (Magento has no 405: its router filters routes by method first);
a verb other than GET/POST/PUT/DELETE answers 400 ``Request method is invalid.``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.magento import errors
from sandbox.magento.auth import Authenticator, Principal
from sandbox.magento.state import Store

STORE_CODES = frozenset({"default", "all"})
METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})


@dataclass
class Call:
    """One API request, resolved to its merchant store and caller."""

    request: Request
    store: Store
    principal: Principal | None
    params: dict[str, str]
    query: list[tuple[str, str]]
    raw_body: bytes
    now: datetime
    store_code: str
    auth: Authenticator
    _body: dict[str, Any] | None = field(default=None, repr=False)

    def body(self) -> dict[str, Any]:
        """The JSON object body (empty body = ``{}``), decoded the way Magento's deserializer does."""
        if self._body is not None:
            return self._body
        if not self.raw_body.strip():
            self._body = {}
            return self._body
        ctype = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not ctype:
            raise errors.magento_error(400, errors.CONTENT_TYPE_EMPTY)
        if ctype not in ("application/json", "text/json") and not ctype.endswith("+json"):
            raise errors.magento_error(400, errors.CONTENT_TYPE_UNKNOWN, [ctype])
        try:
            decoded = json.loads(self.raw_body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise errors.magento_error(400, errors.DECODING) from None
        self._body = decoded if isinstance(decoded, dict) else {}
        return self._body

    def int_param(self, name: str) -> int:
        raw = self.params[name]
        try:
            return int(raw)
        except ValueError:
            raise errors.bad_type(raw, "int") from None

    def need(self, name: str) -> Any:
        """A required top-level body parameter (Magento names the service argument)."""
        value = self.body().get(name)
        if value is None:
            raise errors.required(name)
        return value


Handler = Callable[[Call], Awaitable[Any] | Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    """Magento's webapi.xml form, e.g. ``/V1/orders/:id``."""
    resource: str | None
    """ACL resource; None = anonymous."""
    handler: Handler

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(p for p in self.path.split("/") if p)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        parts = self.parts
        if len(parts) != len(segments):
            return None
        params: dict[str, str] = {}
        for want, got in zip(parts, segments, strict=True):
            if want.startswith(":"):
                if got == "":
                    return None
                params[want[1:]] = unquote(got)
            elif want != got:
                return None
        return params


@dataclass(frozen=True)
class Target:
    """Where a request points before routing: merchant account, store code, API path segments."""

    account: str | None
    store_code: str
    segments: list[str]


def split_path(raw_path: str, default_account: str) -> Target | None:
    """``/store/acme/rest/default/V1/orders`` → Target("acme", "default", ["V1", "orders"]); None if not REST."""
    segments = [s for s in raw_path.split("/") if s != ""]
    account: str | None = default_account
    if len(segments) >= 2 and segments[0] == "store":
        account = unquote(segments[1])
        segments = segments[2:]
    if not segments or segments[0] != "rest":
        return None
    segments = segments[1:]
    code = "default"
    if segments and segments[0] != "V1":
        code = segments[0]
        segments = segments[1:]
        if code not in STORE_CODES:
            return Target(account, code, ["__unknown_store__", *segments])
    return Target(account, code, segments)


class Router:
    def __init__(self, endpoints: list[Endpoint]) -> None:
        # literal segments win over :params, as Magento ranks routes
        self.endpoints = sorted(endpoints, key=lambda e: sum(p.startswith(":") for p in e.parts))

    def resolve(self, method: str, segments: list[str]) -> tuple[Endpoint, dict[str, str]]:
        if method not in METHODS:
            raise errors.magento_error(400, errors.METHOD_INVALID)
        for endpoint in self.endpoints:
            if endpoint.method != method:
                continue
            params = endpoint.match(segments)
            if params is not None:
                return endpoint, params
        raise errors.magento_error(404, errors.NO_ROUTE)


class MagentoJSON(JSONResponse):
    """JSON as PHP's ``json_encode`` writes it: non-ASCII as ``\\uXXXX`` and ``/`` escaped as ``\\/``."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
        return text.replace("/", "\\/").encode("ascii")


def query_pairs(request: Request) -> list[tuple[str, str]]:
    return parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
