"""``AmazonSimulator``: the Selling Partner API (Orders v0, Tokens) for Amazon.in, with Login with Amazon.

Listeners: ``lwa`` (api.amazon.com), ``api:eu`` (sellingpartnerapi-eu, which serves India),
``api:na`` and ``api:fe``. Provider admin routes, besides the kit's (paths under ``/_sandbox``):

    POST /consent                     a seller's consent → ``spapi_oauth_code`` for the code grant
    POST /orders/{order_id}/status    move an order to a status (``{"status": "Shipped"}``)
    GET/POST /sandbox                 static-sandbox mode switch (``{"enabled": true}``)
    GET/POST /lwa                     LWA behaviour (``{"rotate_refresh_tokens": true}``)
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from sandbox.amazon import formats, lwa, render, seed
from sandbox.amazon.app import AmazonApi
from sandbox.amazon.errors import body_for_status
from sandbox.amazon.limits import UsagePlans, operation_for
from sandbox.amazon.marketplaces import INDIA
from sandbox.amazon.paging import TokenCodec
from sandbox.amazon.state import EASY_SHIP_STATUSES, STATUSES, Account, Application, Consent
from sandbox.kit import SandboxError, Simulator, admin_json
from sandbox.ports import DEFAULT_PORTS

LWA_ERRORS = {429: "slow_down", 503: "temporarily_unavailable"}


class AmazonSimulator(Simulator):
    name = "amazon"
    title = "Amazon Selling Partner API (Orders v0, India) with Login with Amazon"
    listeners = DEFAULT_PORTS["amazon"]

    # ----------------------------------------------------------------- state
    def reset_state(self) -> None:
        self.store: dict[str, Account] = {}
        self.apps: dict[str, Application] = {}
        self.consents: dict[str, Consent] = {}
        self.plans = UsagePlans(self.clock)
        self.codec = TokenCodec()
        self.static_sandbox = False
        self.rotate_refresh_tokens = False
        self.order_ids: set[str] = set()
        self.item_ids: set[str] = set()

    def seed_demo(self) -> None:
        app = Application(seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET, seed.DEMO_APPLICATION_ID, "Demo Connector")
        self.apps[app.client_id] = app
        account = Account(seed.DEMO_SELLING_PARTNER_ID, seed.DEMO_NAME)
        self.store[account.selling_partner_id] = account
        lwa.issue_refresh_token(self.tokens, account.selling_partner_id, app.client_id, seed.DEMO_REFRESH_TOKEN)
        seed.demo_orders(account, self.clock.now(), self.order_ids, self.item_ids)

    def new_rdt(self) -> str:
        return formats.restricted_data_token()

    def _account(self, selling_partner_id: object) -> Account:
        account = self.store.get(str(selling_partner_id or seed.DEMO_SELLING_PARTNER_ID))
        if account is None:
            raise SandboxError(404, {"error": f"no selling partner {selling_partner_id!r}"})
        return account

    # ----------------------------------------------------------------- provider hooks
    def routes(self) -> list[BaseRoute]:
        return AmazonApi(self).routes()

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        headers = {"x-amzn-RequestId": formats.request_id()}
        if request is not None and self.listener_of(request) == "lwa":
            error = LWA_ERRORS.get(status, "server_error" if status >= 500 else "invalid_request")
            return JSONResponse({"error_description": message, "error": error}, status_code=status, headers=headers)
        if request is not None:
            op = operation_for(request.method, request.url.path)
            if op is not None:
                headers["x-amzn-RateLimit-Limit"] = op.header
        return JSONResponse(body_for_status(status), status_code=status, headers=headers)

    def seed(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self._account(params.get("account"))
        created = seed.seed_orders(account, params, self.clock.now(), self.order_ids, self.item_ids)
        return {
            "account": account.selling_partner_id,
            "created": len(created),
            "order_ids": [o.amazon_order_id for o in created],
        }

    def state(self, account: str | None) -> dict[str, Any]:
        chosen = [self._account(account)] if account else list(self.store.values())
        grants = render.DATA_ELEMENTS
        return {
            "static_sandbox": self.static_sandbox,
            "accounts": {
                a.selling_partner_id: {
                    "name": a.name,
                    "marketplace_ids": a.marketplaces,
                    "orders": [
                        {**render.order(o, grants), "OrderItems": [render.item(i, o, grants) for i in o.items]}
                        for o in a.orders.values()
                    ],
                }
                for a in chosen
            },
        }

    def accounts(self) -> list[dict[str, Any]]:
        out = []
        for a in self.store.values():
            clients = [t.data.get("client_id") for t in self.tokens.for_account(a.selling_partner_id, "refresh")]
            out.append(
                {
                    "selling_partner_id": a.selling_partner_id,
                    "name": a.name,
                    "marketplace_ids": a.marketplaces,
                    "authorized_client_ids": clients,
                    "orders": len(a.orders),
                }
            )
        return out

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        """A second selling partner; by default with its own LWA application (``client_id`` reuses one)."""
        sp_id = str(params.get("selling_partner_id") or formats.selling_partner_id())
        if sp_id in self.store:
            raise SandboxError(409, {"error": f"selling partner {sp_id} already exists"})
        orders = params.get("orders", 0)
        if not isinstance(orders, int) or isinstance(orders, bool) or not 0 <= orders <= seed.MAX_SEED:
            raise SandboxError(400, {"error": f"orders must be an integer between 0 and {seed.MAX_SEED}"})
        client_id = params.get("client_id")
        if client_id is not None:
            client_id = str(client_id)
            if client_id not in self.apps:
                raise SandboxError(404, {"error": f"no application with client_id {client_id}"})
            app = self.apps[client_id]
        else:
            app = Application(
                formats.lwa_client_id(), formats.lwa_client_secret(), formats.application_id(), f"App for {sp_id}"
            )
            self.apps[app.client_id] = app
        account = Account(sp_id, str(params.get("name") or f"Seller {sp_id}"))
        self.store[sp_id] = account
        refresh = lwa.issue_refresh_token(self.tokens, sp_id, app.client_id)
        if orders:
            seed.seed_orders(account, {"orders": orders}, self.clock.now(), self.order_ids, self.item_ids)
        return {
            "selling_partner_id": sp_id,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": refresh.value,
            "marketplace_id": INDIA,
        }

    def account_hint(self, scope: Scope) -> str | None:
        for key, value in scope.get("headers", []):
            if key == b"x-amz-access-token":
                token = self.tokens.get(value.decode("latin-1"))
                return token.account if token is not None else None
        return None

    def info(self) -> dict[str, Any]:
        return {
            "base_url": self.url("api:eu"),
            "lwa_url": self.url("lwa") + "/auth/o2/token",
            "endpoints": {"eu": self.url("api:eu"), "na": self.url("api:na"), "fe": self.url("api:fe")},
            "admin_url": self.admin_url(),
            "demo": {
                "client_id": seed.DEMO_CLIENT_ID,
                "client_secret": seed.DEMO_CLIENT_SECRET,
                "refresh_token": seed.DEMO_REFRESH_TOKEN,
                "selling_partner_id": seed.DEMO_SELLING_PARTNER_ID,
                "marketplace_id": INDIA,
                "order_ids": dict(seed.DEMO_ORDER_IDS),
            },
        }

    # ----------------------------------------------------------------- provider admin routes
    def admin_routes(self) -> list[BaseRoute]:
        async def consent(request: Request) -> Response:
            body = await admin_json(request)
            account = self._account(body.get("account"))
            client_id = str(body.get("client_id", seed.DEMO_CLIENT_ID))
            if client_id not in self.apps:
                raise SandboxError(404, {"error": f"no application with client_id {client_id}"})
            code = formats.authorization_code()
            redirect_uri = str(body["redirect_uri"]) if body.get("redirect_uri") else None
            self.consents[code] = Consent(
                code, account.selling_partner_id, client_id, redirect_uri, self.clock.time() + lwa.CODE_TTL
            )
            state = str(body.get("state", ""))
            result = {
                "spapi_oauth_code": code,
                "selling_partner_id": account.selling_partner_id,
                "state": state,
                "expires_in": lwa.CODE_TTL,
            }
            if redirect_uri:
                sep = "&" if "?" in redirect_uri else "?"
                result["redirect_url"] = (
                    f"{redirect_uri}{sep}state={state}&selling_partner_id={account.selling_partner_id}"
                    f"&spapi_oauth_code={code}"
                )
            return JSONResponse(result, status_code=201)

        async def order_status(request: Request) -> Response:
            body = await admin_json(request)
            order_id = request.path_params["order_id"]
            account = next((a for a in self.store.values() if order_id in a.orders), None)
            if account is None:
                raise SandboxError(404, {"error": f"no order {order_id}"})
            order = account.orders[order_id]
            status, easy = body.get("status"), body.get("easy_ship_status")
            if status is not None and status not in STATUSES:
                raise SandboxError(400, {"error": f"status must be one of {', '.join(STATUSES)}"})
            if easy is not None and easy not in EASY_SHIP_STATUSES:
                raise SandboxError(400, {"error": f"easy_ship_status must be one of {', '.join(EASY_SHIP_STATUSES)}"})
            if status is not None and status != order.status:
                if not (order.can_move_to(status) or body.get("force")):
                    raise SandboxError(
                        409, {"error": f'cannot move {order.status} → {status} (send "force": true to insist)'}
                    )
                order.move_to(status, self.clock.now())
            if easy is not None:
                order.track_easy_ship(easy, self.clock.now())
            return JSONResponse(
                {"account": account.selling_partner_id, "order": render.order(order, render.DATA_ELEMENTS)}
            )

        async def static_switch(request: Request) -> Response:
            if request.method == "POST":
                body = await admin_json(request)
                self.static_sandbox = bool(body.get("enabled", True))
            return JSONResponse({"static_sandbox": self.static_sandbox})

        async def lwa_behaviour(request: Request) -> Response:
            if request.method == "POST":
                body = await admin_json(request)
                self.rotate_refresh_tokens = bool(body.get("rotate_refresh_tokens", self.rotate_refresh_tokens))
            return JSONResponse({"rotate_refresh_tokens": self.rotate_refresh_tokens})

        return [
            Route("/consent", consent, methods=["POST"]),
            Route("/lwa", lwa_behaviour, methods=["GET", "POST"]),
            Route("/orders/{order_id}/status", order_status, methods=["POST"]),
            Route("/sandbox", static_switch, methods=["GET", "POST"]),
        ]
