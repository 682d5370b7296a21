"""The API front door of every data centre: auth header, token, data centre, organisation, scope,
rate limits, then the engine; webhooks for what the call changed go out after it succeeded.

    Authorization: Zoho-oauthtoken <access token>   (missing → 401 code 14; dead, foreign → 401 code 57)
    ?organization_id=<id>                            (every call but GET /organizations)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from sandbox.kit.clock import Clock
from sandbox.kit.ratelimit import FixedWindow
from sandbox.kit.tokens import Token, TokenStore
from sandbox.zoho import errors, records, scopes
from sandbox.zoho.behaviour import Ctx
from sandbox.zoho.engine import Engine, operation, resolve
from sandbox.zoho.formats import day, dumps
from sandbox.zoho.model import Org, Store


@dataclass
class Limits:
    per_minute: int = 100
    daily: int = 10_000
    """Per organisation per day in the org's zone (Books Premium/Elite; plans differ, so configurable)."""
    concurrent: int = 10


def json_response(status: int, body: Any) -> Response:
    return Response(dumps(body), status_code=status, media_type="application/json;charset=UTF-8")


class Gateway:
    def __init__(self, store: Store, tokens: TokenStore, engine: Engine, clock: Clock, limits: Limits) -> None:
        self.store = store
        self.tokens = tokens
        self.engine = engine
        self.clock = clock
        self.limits = limits
        self.minute = FixedWindow(clock, limits.per_minute, 60.0)

    def set_limits(
        self, per_minute: int | None = None, daily: int | None = None, concurrent: int | None = None
    ) -> None:
        if per_minute is not None:
            self.limits.per_minute = per_minute
            self.minute = FixedWindow(self.clock, per_minute, 60.0)
        if daily is not None:
            self.limits.daily = daily
        if concurrent is not None:
            self.limits.concurrent = concurrent

    def authenticate(self, request: Request, dc: str) -> Token:
        header = request.headers.get("authorization", "").strip()
        scheme, _, value = header.partition(" ")
        if not header or scheme.lower() != "zoho-oauthtoken" or not value.strip():
            raise errors.ZohoError(401, "auth_header", "Invalid value passed for Authorization header")
        token = self.tokens.check(value.strip(), kind="access")
        if not isinstance(token, Token) or token.data.get("dc") != dc:
            raise errors.ZohoError(401, "not_authorized", "You are not authorized to perform this operation")
        return token

    async def handle(
        self,
        request: Request,
        product: str,
        dc: str,
        account_hook: Callable[[str], None],
        dispatch: Callable[[Org, Ctx], Any],
    ) -> Response:
        token = self.authenticate(request, dc)
        account_hook(token.account)
        segments = [s for s in request.path_params["rest"].split("/") if s]
        if not segments:
            raise errors.ZohoError(404, "invalid_url", "Invalid URL Passed")
        token_scopes: list[str] = token.data.get("scopes", [])
        if segments[0] == "organizations":
            if not scopes.allows(token_scopes, product, None, "READ"):
                raise errors.not_authorized()
            return self._organizations(request, token, dc, segments)
        res, rest = resolve(segments, product)
        method = request.method
        if not scopes.allows(token_scopes, product, res.scope, operation(method, rest)):
            raise errors.not_authorized()
        org = self._org(request, token, dc)
        with self._limited(org) as quota:
            body = records.read_body(
                await request.body(), request.headers.get("content-type", ""), request.query_params
            )
            ctx = Ctx(
                org,
                product,
                dict(request.query_params),
                {k.lower(): v for k, v in request.headers.items()},
                self.clock.now(),
            )
            with self.store.lock:
                status, answer = self.engine.handle(ctx, res, rest, method, body)
            await dispatch(org, ctx)
            response = json_response(status, answer)
            response.headers.update(quota)
            return response

    def _org(self, request: Request, token: Token, dc: str) -> Org:
        org_id = request.query_params.get("organization_id") or request.headers.get(
            "x-com-zoho-inventory-organizationid"
        )
        if not org_id:
            raise errors.ZohoError(400, "invalid_value", "Invalid value passed for organization_id")
        org = self.store.org_for(org_id)
        if org is None or org.account != token.account or org.dc.code != dc:
            raise errors.ZohoError(
                400, "organization", f"This user is not associated with the CompanyID/CompanyName:{org_id}."
            )
        return org

    def quota(self, org: Org) -> dict[str, str]:
        """``X-Rate-Limit-*`` headers: the org's daily quota (read by real clients such as pyzohoapi)."""
        now = self.clock.now().astimezone(ZoneInfo(org.time_zone))
        today = now.strftime("%Y-%m-%d")
        used = org.daily[1] if org.daily[0] == today else 0
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return {
            "X-Rate-Limit-Limit": str(self.limits.daily),
            "X-Rate-Limit-Remaining": str(max(0, self.limits.daily - used)),
            "X-Rate-Limit-Reset": str(max(1, int((midnight - now).total_seconds()))),
        }

    @contextlib.contextmanager
    def _limited(self, org: Org) -> Iterator[dict[str, str]]:
        today = day(self.clock.now(), org.time_zone)
        count = org.daily[1] if org.daily[0] == today else 0
        if count >= self.limits.daily:
            raise errors.ZohoError(429, "rate_day", errors.RATE_DAY_MESSAGE, headers=self.quota(org))
        decision = self.minute.hit(org.organization_id)
        if not decision.allowed:
            raise errors.ZohoError(
                429,
                "rate_minute",
                errors.RATE_MINUTE_MESSAGE,
                headers={"Retry-After": str(max(1, int(decision.reset_after + 0.999)))},
            )
        if org.in_flight >= self.limits.concurrent:
            raise errors.ZohoError(429, "concurrency", "Too many concurrent requests for this organization.")
        org.daily = (today, count + 1)
        org.in_flight += 1
        try:
            yield self.quota(org)
        finally:
            org.in_flight -= 1

    def _organizations(self, request: Request, token: Token, dc: str, segments: list[str]) -> Response:
        if request.method != "GET":
            raise errors.ZohoError(
                405, "method", f"The HTTP method {request.method} is not allowed for the requested resource"
            )
        orgs = self.store.orgs_of(token.account, dc)
        if len(segments) == 1:
            body = {
                "code": 0,
                "message": "success",
                "organizations": [o.public(is_default=i == 0) for i, o in enumerate(orgs)],
            }
            listing = json_response(200, body)
            if orgs:
                listing.headers.update(self.quota(orgs[0]))
            return listing
        org = next((o for o in orgs if o.organization_id == segments[1]), None)
        if org is None or len(segments) > 2:
            raise errors.ZohoError(
                400, "organization", f"This user is not associated with the CompanyID/CompanyName:{segments[1]}."
            )
        response = json_response(200, {"code": 0, "message": "success", "organization": org.public()})
        response.headers.update(self.quota(org))
        return response


__all__ = ["Gateway", "Limits", "json_response"]
