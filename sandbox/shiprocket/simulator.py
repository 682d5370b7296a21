"""The Shiprocket External API v1 simulator: wires state, API routes, admin routes and webhooks together."""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from sandbox.kit import FixedWindow, SandboxError, Simulator
from sandbox.ports import DEFAULT_PORTS
from sandbox.shiprocket import admin, api, courier_api, seed, tracking, views
from sandbox.shiprocket.auth import bearer
from sandbox.shiprocket.catalog import EVENTS
from sandbox.shiprocket.formats import money, parse_admin_time
from sandbox.shiprocket.state import Account, Ids, Order, Settings, Shipment

NGINX = (
    "<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n<center><h1>{status} {text}</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

ERRORS: dict[int, str] = {
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    429: "Too Many Attempts.",
    500: "Invalid argument supplied for foreach()",
    503: "Service Unavailable",
}


class ShiprocketSimulator(Simulator):
    name = "shiprocket"
    title = "Shiprocket External API v1"
    listeners = DEFAULT_PORTS["shiprocket"]
    webhook_delivered_statuses = frozenset({200})  # Shiprocket: anything but 200 is a failed push

    # ----------------------------------------------------------------- provider hooks
    def reset_state(self) -> None:
        self.ids = Ids()
        self.settings = Settings()
        self.secret = secrets.token_bytes(32)
        self.accounts_by_key: dict[str, Account] = {}
        self.limiter: FixedWindow | None = None

    def seed_demo(self) -> None:
        account = seed.seed_demo(self.ids, self.settings, self.clock.now())
        self.accounts_by_key[account.key] = account

    def routes(self) -> list[BaseRoute]:
        ctx = api.Context(self)
        return [*api.routes(ctx), *courier_api.routes(ctx)]

    def admin_routes(self) -> list[BaseRoute]:
        return list(admin.routes(self))

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        if status in (502, 504):
            text = "Bad Gateway" if status == 502 else "Gateway Time-out"
            return Response(NGINX.format(status=status, text=text), status_code=status, media_type="text/html")
        body = {"message": ERRORS.get(status, message), "status_code": status}
        return JSONResponse(body, status_code=status)

    def seed(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self._account(params.get("account"))
        return seed.seed_orders(account, self.ids, self.settings, params, self.clock.now())

    def state(self, account: str | None) -> dict[str, Any]:
        keys = [account] if account else list(self.accounts_by_key)
        out: dict[str, Any] = {"settings": vars(self.settings), "accounts": {}}
        for key in keys:
            acct = self._account(key)
            out["accounts"][key] = {
                **acct.public(),
                "wallet": money(acct.wallet),
                "orders": [
                    {
                        "order_id": o.id,
                        "channel_order_id": o.channel_order_id,
                        "status": views.order_status(o),
                        "status_code": o.status_code,
                        "payment_method": o.payment_method,
                        "total": money(o.total),
                        "is_return": o.is_return,
                        "shipment_id": o.shipment_id,
                        "awb": acct.shipments[o.shipment_id].awb,
                        "shipment_status": acct.shipments[o.shipment_id].status,
                    }
                    for o in acct.orders.values()
                ],
                "remittances": [views.remittance(b) for b in acct.remittances],
            }
        return out

    def accounts(self) -> list[dict[str, Any]]:
        return [a.public() for a in self.accounts_by_key.values()]

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        key = str(params.get("account") or f"merchant{len(self.accounts_by_key) + 1}")
        if key in self.accounts_by_key:
            raise SandboxError(409, {"error": f"account {key!r} exists"})
        email = str(params.get("email") or f"api-{key}@example-merchant.in")
        if any(a.email.lower() == email.lower() for a in self.accounts_by_key.values()):
            raise SandboxError(409, {"error": f"email {email!r} is taken"})
        account = seed.make_account(
            key,
            email,
            str(params.get("password") or f"{key.capitalize()}@Pass123"),
            str(params.get("company_name") or f"{key.capitalize()} Retail"),
            self.ids,
            self.clock.now(),
            params.get("webhook_token", f"{key}-webhook-token"),
        )
        url = params.get("webhook_url")
        if url:
            problem = admin.webhook_url_problem(str(url))
            if problem:
                raise SandboxError(422, {"error": problem})
            account.webhook.url = str(url)
        seed.add_pickup(
            account, self.ids, "Primary", "Plot 21, Okhla Industrial Area Phase 2", "New Delhi", "Delhi", "110020"
        )
        self.accounts_by_key[key] = account
        return account.public()

    async def emit_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        """Send a tracking push without changing state (duplicates, out-of-order, arbitrary payloads).

        ``{"account", "awb", "status"?, "url"?, "token"?, "at"?, "overrides"?, "retry"?}`` or ``{"replay": id}``.
        """
        if "replay" in params:
            old = next((d for d in self.webhooks.deliveries if d.id == params["replay"]), None)
            if old is None:
                raise SandboxError(404, {"error": f"no delivery {params['replay']}"})
            sent = await self.webhooks.send(
                params.get("url") or old.url, old.body, event=old.event, headers=old.headers, retry=False
            )
            return {
                "delivery": sent.id,
                "delivered": sent.delivered,
                "attempts": sent.attempts,
                "body": json.loads(old.body),
            }
        found = self.find_awb(str(params.get("awb") or ""))
        wanted = params.get("account")
        if found is None or (wanted and found[0].key != wanted):
            raise SandboxError(
                404, {"error": f"no shipment with AWB {params.get('awb')!r} for {wanted or 'any account'}"}
            )
        account, order, shipment = found
        status = params.get("status")
        if status is not None and str(status).upper() not in EVENTS:
            raise SandboxError(400, {"error": f"unknown status {status!r}"})
        try:
            at = parse_admin_time(params.get("at"), self.clock.now()) if params.get("at") else None
        except ValueError as exc:
            raise SandboxError(400, {"error": f"bad at: {exc}"}) from exc
        payload = tracking.webhook(order, shipment, str(status).upper() if status else None, at)
        payload.update(params.get("overrides") or {})
        url = params.get("url") or account.webhook.url
        if not url:
            raise SandboxError(400, {"error": "no url given and the account has no webhook URL configured"})
        token = params.get("token", account.webhook.token)
        delivery = await self._post(url, payload, token, retry=bool(params.get("retry", False)))
        return {**delivery, "body": payload}

    def account_hint(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                token = bearer(value.decode("latin-1"))
                found = self.tokens.get(token) if token else None
                return found.account if found else None
        return None

    def info(self) -> dict[str, Any]:
        demo = self.accounts_by_key.get("demo")
        return {
            "base_url": self.url("api") + api.PREFIX,
            "admin_url": self.admin_url(),
            "demo": {
                "email": seed.DEMO["email"],
                "password": seed.DEMO["password"],
                "webhook_token": seed.DEMO["webhook_token"],
                "pickup_location": "Primary",
                "pickup_locations": list(demo.pickups) if demo else ["Primary", "Mumbai WH"],
                "company_id": demo.company_id if demo else None,
            },
        }

    # ----------------------------------------------------------------- helpers for the API modules
    def _account(self, key: Any) -> Account:
        account = self.accounts_by_key.get(str(key or "demo"))
        if account is None:
            raise SandboxError(404, {"error": f"no account {key!r}"})
        return account

    def configure_limiter(self) -> None:
        limit = self.settings.rate_limit_per_minute
        self.limiter = FixedWindow(self.clock, limit, 60) if limit else None

    def throttle(self, key: str) -> None:
        if self.limiter is None:
            return
        decision = self.limiter.hit(key)
        if not decision.allowed:
            wait = max(1, int(decision.reset_after + 0.999))
            raise SandboxError(
                429,
                {"message": "Too Many Attempts.", "status_code": 429},
                headers={
                    "Retry-After": str(wait),
                    "X-RateLimit-Limit": str(int(decision.limit)),
                    "X-RateLimit-Remaining": "0",
                },
            )

    def find_awb(self, awb: str) -> tuple[Account, Order, Shipment] | None:
        for account in self.accounts_by_key.values():
            for shipment in account.shipments.values():
                if shipment.awb == awb and awb:
                    return account, account.orders[shipment.order_id], shipment
        return None

    async def send_webhook(self, account: Account, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Push to the merchant's configured URL, if any (failures retried by the kit's sender)."""
        hook = account.webhook
        if not hook.url or not hook.enabled:
            return None
        return await self._post(hook.url, payload, hook.token, retry=True)

    async def _post(self, url: str, payload: dict[str, Any], token: str | None, *, retry: bool) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["x-api-key"] = token
        delivery = await self.webhooks.send(
            url, json.dumps(payload), event=str(payload.get("current_status")), headers=headers, retry=retry
        )
        return {"delivery": delivery.id, "delivered": delivery.delivered, "attempts": delivery.attempts}
