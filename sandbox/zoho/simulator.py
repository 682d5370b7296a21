"""ZohoSimulator: Zoho Accounts (every data centre), Inventory v1 and Books v3 as one sandbox.

Listeners: ``accounts:<dc>`` serve OAuth, ``api:<dc>`` serve ``/inventory/v1`` and ``/books/v3``.
Provider-specific admin routes (under ``/_sandbox``):

    GET/POST /zoho/settings     OAuth and limit settings (code_ttl, access_ttl, auto_approve, mint_limit,
                                mint_window, max_refresh_tokens, max_access_per_refresh, throttle_status,
                                per_minute, daily_limit, concurrent)
    POST     /zoho/webhooks     configure a webhook for an organisation (url, secret, entity, events)
    POST     /zoho/clients      register an OAuth client (owner, redirect_uris, name)
    POST     /zoho/customfields add a custom field (organization_id, module, api_name, label, is_unique)
    POST     /zoho/refresh_tokens  issue a refresh token without a browser (account, client_id, scope)
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from sandbox.kit import SandboxError, Simulator, admin_json, set_account
from sandbox.zoho import basics, fulfilment, ledger
from sandbox.zoho.behaviour import Behaviour, Ctx
from sandbox.zoho.catalogue import BY_PATH
from sandbox.zoho.dc import DATA_CENTRES, LISTENERS, split_listener
from sandbox.zoho.engine import Engine
from sandbox.zoho.errors import RATE_MINUTE_MESSAGE, SERVER_ERROR_CODES, ZohoError
from sandbox.zoho.formats import plain
from sandbox.zoho.gateway import Gateway, Limits, json_response
from sandbox.zoho.model import CustomField, Org, Store
from sandbox.zoho.oauth import THROTTLED, AccountsServer, OAuthSettings
from sandbox.zoho.seed import (
    DEMO_ACCOUNT,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_LOCATIONS,
    DEMO_ORG_ID,
    DEMO_REDIRECT_URIS,
    DEMO_REFRESH_TOKEN,
    DEMO_SCOPES,
    DEMO_WEBHOOK_SECRET,
    Seeder,
)
from sandbox.zoho.webhooks import matching, outgoing

BEHAVIOURS: dict[str, Behaviour] = {
    "plain": basics.Plain(),
    "contact": basics.Contact(),
    "item": basics.Item(),
    "account": basics.ChartAccount(),
    "webhook": basics.Webhook(),
    "warehouse": basics.Warehouse(),
    "salesorder": fulfilment.SalesOrder(),
    "package": fulfilment.Package(),
    "shipment": fulfilment.Shipment(),
    "adjustment": fulfilment.Adjustment(),
    "purchaseorder": fulfilment.PurchaseOrder(),
    "receive": fulfilment.Receive(),
    "invoice": ledger.Invoice(),
    "payment": ledger.Payment(),
    "creditnote": ledger.CreditNote(),
    "journal": ledger.Journal(),
    "expense": ledger.Expense(),
}


_unknown = {r.behaviour for r in BY_PATH.values()} - set(BEHAVIOURS)
if _unknown:  # the catalogue is checked when the package loads, not on the first request
    raise RuntimeError(f"catalogue names unknown behaviours: {', '.join(sorted(_unknown))}")


class ZohoSimulator(Simulator):
    name = "zoho"
    title = "Zoho Accounts (all data centres), Inventory v1 and Books v3"
    listeners = LISTENERS

    # ----------------------------------------------------------------- state
    def reset_state(self) -> None:
        self.store = Store()
        self.engine = Engine(BEHAVIOURS)
        self.oauth_settings = OAuthSettings()
        self.oauth = AccountsServer(self.store, self.tokens, self.oauth_settings, self.accounts_url, self.api_url)
        self.gateway = Gateway(self.store, self.tokens, self.engine, self.clock, Limits())
        self.seeder = Seeder(self.store, self.engine, self.clock.now)

    def seed_demo(self) -> None:
        org = self.seeder.merchant(
            account_id=DEMO_ACCOUNT,
            email=DEMO_EMAIL,
            display_name="Demo Traders Owner",
            dc="in",
            org_name="Demo Traders Pvt Ltd",
            organization_id=DEMO_ORG_ID,
            time_zone="Asia/Kolkata",
            currency_code="INR",
            state="Karnataka",
            locations=copy.deepcopy(DEMO_LOCATIONS),
        )
        org.currency_symbol = "₹"
        self.seeder.demo_data(org)
        now = self.clock.now()
        orders = self.seeder.sales_orders(org, 4, now - timedelta(days=4), now - timedelta(hours=2), "draft")
        for record in orders[2:]:
            self.engine.act(self.seeder.ctx(org), BY_PATH["salesorders"], record, "confirmed")
        self.seeder.client(DEMO_ACCOUNT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URIS, "Demo Connector")
        self.oauth.issue_refresh_token(DEMO_ACCOUNT, DEMO_CLIENT_ID, "in", DEMO_SCOPES, DEMO_REFRESH_TOKEN)

    # ----------------------------------------------------------------- urls
    def accounts_url(self, dc: str) -> str:
        return self.url(f"accounts:{dc}")

    def api_url(self, dc: str) -> str:
        return self.url(f"api:{dc}")

    def info(self) -> dict[str, Any]:
        centres = {
            code: {
                "accounts_url": self.accounts_url(code),
                "api_domain": self.api_url(code),
                "inventory_url": self.api_url(code) + "/inventory/v1",
                "books_url": self.api_url(code) + "/books/v3",
                "real_accounts_url": dc.real_accounts_url,
                "real_api_domain": dc.real_api_domain,
            }
            for code, dc in DATA_CENTRES.items()
        }
        return {
            "base_url": self.api_url("in"),
            "admin_url": self.admin_url(),
            "data_centres": centres,
            "demo": {
                "account": DEMO_ACCOUNT,
                "data_centre": "in",
                "accounts_url": self.accounts_url("in"),
                "api_domain": self.api_url("in"),
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "redirect_uri": DEMO_REDIRECT_URIS[0],
                "redirect_uris": DEMO_REDIRECT_URIS,
                "refresh_token": DEMO_REFRESH_TOKEN,
                "organization_id": DEMO_ORG_ID,
                "scopes": DEMO_SCOPES,
                "webhook_secret": DEMO_WEBHOOK_SECRET,
            },
        }

    # ----------------------------------------------------------------- routes
    def routes(self) -> list[BaseRoute]:
        async def auth(request: Request) -> Response:
            return await self.oauth.authorize(request, self._dc(request, "accounts"))

        async def token(request: Request) -> Response:
            return await self.oauth.token(request, self._dc(request, "accounts"))

        async def revoke(request: Request) -> Response:
            return await self.oauth.revoke(request, self._dc(request, "accounts"))

        async def serverinfo(request: Request) -> Response:
            self._dc(request, "accounts")
            return self.oauth.serverinfo()

        def api(product: str) -> Any:
            async def handler(request: Request) -> Response:
                dc = self._dc(request, "api")
                return await self.gateway.handle(
                    request, product, dc, lambda account: set_account(request, account), self._dispatch
                )

            return handler

        methods = ["GET", "POST", "PUT", "DELETE"]
        return [
            Route("/oauth/v2/auth", auth, methods=["GET", "POST"]),
            Route("/oauth/v2/token", token, methods=["POST"]),
            Route("/oauth/v2/token/revoke", revoke, methods=["POST"]),
            Route("/oauth/serverinfo", serverinfo, methods=["GET"]),
            Route("/inventory/v1/{rest:path}", api("inventory"), methods=methods),
            Route("/books/v3/{rest:path}", api("books"), methods=methods),
        ]

    def _dc(self, request: Request, role: str) -> str:
        listener_role, dc = split_listener(self.listener_of(request))
        if listener_role != role:
            raise ZohoError(404, "invalid_url", "Invalid URL Passed")
        return dc

    def error_response(self, request: Request | None, status: int, message: str) -> Response:
        path = request.url.path if request is not None else ""
        if path.startswith("/oauth"):
            if status == 429:
                return JSONResponse(THROTTLED, status_code=429)
            return JSONResponse({"error": message, "status": "failure"}, status_code=status)
        if status == 404:
            return json_response(404, {"code": 5, "message": "Invalid URL Passed"})
        if status == 405:
            method = request.method if request is not None else ""
            return json_response(
                405, {"code": 37, "message": f"The HTTP method {method} is not allowed for the requested resource"}
            )
        if status == 429:
            return json_response(429, {"code": 44, "message": RATE_MINUTE_MESSAGE})
        return json_response(status, {"code": SERVER_ERROR_CODES.get(status, 1000), "message": message})

    def account_hint(self, scope: Scope) -> str | None:
        query = scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            key, _, value = part.partition("=")
            if key == "organization_id":
                org = self.store.org_for(value)
                return org.account if org else None
        return None

    # ----------------------------------------------------------------- webhooks
    async def _dispatch(self, org: Org, ctx: Ctx) -> None:
        hooks = list(org.table("settings/webhooks").values())
        if not hooks:
            return
        for entity, event, record in ctx.events:
            targets = matching(hooks, entity, event)
            if not targets:
                continue
            snapshot = plain(record)
            for hook in targets:
                out = outgoing(hook, entity, event, snapshot)
                await self.webhooks.send(
                    out.url, out.body, event=out.event, headers=out.headers, method=out.method, wait=False
                )

    async def emit_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        entity = str(params.get("entity", "salesorder"))
        res = next((r for r in BY_PATH.values() if r.singular == entity), None)
        if res is None:
            raise SandboxError(400, {"error": f"unknown entity {entity!r}"})
        table = org.table(res.path)
        record_id = params.get(res.id_field) or params.get("id")
        if record_id:
            record = table.get(str(record_id))
        else:
            record = max(table.values(), key=lambda r: r.get("created_time", ""), default=None)
        if record is None:
            raise SandboxError(404, {"error": f"no {entity} to send"})
        event = str(params.get("event", "confirmed" if entity == "salesorder" else "updated"))
        if params.get("url"):
            hooks = [
                {
                    "url": params["url"],
                    "secret": params.get("secret"),
                    "method": "POST",
                    "entity": entity,
                    "events": [event],
                }
            ]
        else:
            hooks = matching(org.table("settings/webhooks").values(), entity, event)
        sent = []
        for hook in hooks:
            out = outgoing(hook, entity, event, plain(record))
            delivery = await self.webhooks.send(
                out.url, out.body, event=out.event, headers=out.headers, method=out.method
            )
            sent.append({"id": delivery.id, "url": delivery.url, "delivered": delivery.delivered})
        return {"sent": sent}

    # ----------------------------------------------------------------- merchants
    def _org_param(self, params: dict[str, Any]) -> Org:
        org_id = params.get("organization_id")
        if not org_id and params.get("account"):
            orgs = self.store.orgs_of(str(params["account"]))
            org_id = orgs[0].organization_id if orgs else None
        org = self.store.org_for(str(org_id or DEMO_ORG_ID))
        if org is None:
            raise SandboxError(404, {"error": f"unknown organization {org_id!r}"})
        return org

    def accounts(self) -> list[dict[str, Any]]:
        return [
            {
                "account": a.account_id,
                "email": a.email,
                "data_centre": a.dc,
                "organizations": [{"organization_id": o, "name": self.store.orgs[o].name} for o in a.org_ids],
                "clients": [c.client_id for c in self.store.clients.values() if c.owner == a.account_id],
            }
            for a in self.store.accounts.values()
        ]

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        n = len(self.store.accounts) + 1
        account_id = str(params.get("account") or f"merchant{n}")
        dc = str(params.get("data_centre", "in"))
        try:
            with self.store.lock:
                org = self.seeder.merchant(
                    account_id=account_id,
                    email=str(params.get("email") or f"owner@{account_id}.example.com"),
                    display_name=str(params.get("display_name") or f"{account_id} owner"),
                    dc=dc,
                    org_name=str(params.get("name") or f"Merchant {n} Pvt Ltd"),
                    time_zone=params.get("time_zone"),
                    currency_code=params.get("currency_code"),
                    locations=params.get("locations"),
                )
                if params.get("demo_data", True):
                    self.seeder.demo_data(org)
                client = self.seeder.client(
                    account_id,
                    redirect_uris=params.get("redirect_uris"),
                    name=str(params.get("client_name", "Connector Platform")),
                )
        except ValueError as exc:
            raise SandboxError(400, {"error": str(exc)}) from exc
        scope = str(params.get("scopes", DEMO_SCOPES))
        refresh = self.oauth.issue_refresh_token(account_id, client.client_id, dc, scope)
        return {
            "account": account_id,
            "data_centre": dc,
            "organization_id": org.organization_id,
            "accounts_url": self.accounts_url(dc),
            "api_domain": self.api_url(dc),
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "redirect_uri": client.redirect_uris[0],
            "refresh_token": refresh.value,
            "scopes": scope,
        }

    def seed(self, params: dict[str, Any]) -> dict[str, Any]:
        org = self._org_param(params)
        count = int(params.get("orders", 10))
        if not 0 < count <= 5000:
            raise SandboxError(400, {"error": "orders must be between 1 and 5000"})
        now = self.clock.now()
        try:
            start = datetime.fromisoformat(params["from"]) if params.get("from") else now - timedelta(days=30)
            end = datetime.fromisoformat(params["to"]) if params.get("to") else now
        except ValueError as exc:
            raise SandboxError(400, {"error": f"bad from/to: {exc}"}) from exc
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise SandboxError(400, {"error": "from and to need a time zone and from < to"})
        with self.store.lock:
            try:
                created = self.seeder.sales_orders(
                    org, count, start, end, str(params.get("status", "draft")), int(params.get("seed", 7))
                )
            except (ValueError, ZohoError) as exc:
                raise SandboxError(400, {"error": str(exc)}) from exc
        return {
            "organization_id": org.organization_id,
            "salesorders": [
                {
                    "salesorder_id": r["salesorder_id"],
                    "salesorder_number": r["salesorder_number"],
                    "date": r["date"],
                    "created_time": r["created_time"],
                    "status": r["status"],
                }
                for r in created
            ],
            "count": len(created),
        }

    def state(self, account: str | None) -> dict[str, Any]:
        orgs = [o for o in self.store.orgs.values() if account is None or o.account == account]
        return {
            "accounts": [a for a in self.accounts() if account is None or a["account"] == account],
            "organizations": {
                o.organization_id: {
                    "name": o.name,
                    "data_centre": o.dc.code,
                    "account": o.account,
                    "counts": {name: len(rows) for name, rows in o.records.items()},
                    "records": plain(o.records),
                    "stock": [
                        {"item_id": i, "location_id": loc, "stock_on_hand": q} for (i, loc), q in plain_stock(o).items()
                    ],
                    "custom_fields": [cf.public() for cf in o.custom_fields],
                }
                for o in orgs
            },
        }

    # ----------------------------------------------------------------- admin routes
    def _configure(self, body: dict[str, Any]) -> None:
        for key in ("code_ttl", "access_ttl", "mint_window"):
            if key in body:
                setattr(self.oauth_settings, key, float(body[key]))
        for key in ("mint_limit", "max_refresh_tokens", "max_access_per_refresh", "throttle_status"):
            if key in body:
                setattr(self.oauth_settings, key, int(body[key]))
        if "auto_approve" in body:
            self.oauth_settings.auto_approve = bool(body["auto_approve"])
        limits = {
            k: int(body[v])
            for k, v in (("per_minute", "per_minute"), ("daily", "daily_limit"), ("concurrent", "concurrent"))
            if body.get(v) is not None
        }
        self.gateway.set_limits(
            per_minute=limits.get("per_minute"), daily=limits.get("daily"), concurrent=limits.get("concurrent")
        )

    def admin_routes(self) -> list[BaseRoute]:
        async def settings(request: Request) -> Response:
            if request.method == "POST":
                body = await admin_json(request)
                try:
                    self._configure(body)
                except (TypeError, ValueError) as exc:
                    raise SandboxError(400, {"error": f"bad setting: {exc}"}) from exc
            return JSONResponse({"oauth": vars(self.oauth_settings), "limits": vars(self.gateway.limits)})

        async def webhooks(request: Request) -> Response:
            body = await admin_json(request)
            org = self._org_param(body)
            hook = {k: v for k, v in body.items() if k not in ("organization_id", "account")}
            ctx = self.seeder.ctx(org)
            try:
                with self.store.lock:
                    _, answer = self.engine.create(ctx, BY_PATH["settings/webhooks"], hook)
            except ZohoError as exc:
                raise SandboxError(400, {"error": exc.message}) from exc
            return JSONResponse(plain(answer["webhook"]), status_code=201)

        async def clients(request: Request) -> Response:
            body = await admin_json(request)
            owner = str(body.get("owner", DEMO_ACCOUNT))
            if owner not in self.store.accounts:
                raise SandboxError(400, {"error": f"unknown account {owner!r}"})
            uris = body.get("redirect_uris") or ([body["redirect_uri"]] if body.get("redirect_uri") else None)
            client = self.seeder.client(
                owner,
                body.get("client_id"),
                body.get("client_secret"),
                uris,
                str(body.get("name", "Connector Platform")),
            )
            return JSONResponse(client.public(), status_code=201)

        async def customfields(request: Request) -> Response:
            body = await admin_json(request)
            org = self._org_param(body)
            api_name, module = str(body.get("api_name", "")), str(body.get("module", ""))
            if not api_name.startswith("cf_") or not module:
                raise SandboxError(400, {"error": "module and api_name (cf_...) are required"})
            field = CustomField(
                org.new_id(),
                module,
                api_name,
                str(body.get("label", api_name)),
                str(body.get("data_type", "string")),
                bool(body.get("is_unique", False)),
                len(org.fields_for(module)) + 1,
            )
            org.custom_fields.append(field)
            return JSONResponse(field.public(), status_code=201)

        async def refresh_tokens(request: Request) -> Response:
            body = await admin_json(request)
            account = str(body.get("account", DEMO_ACCOUNT))
            acct = self.store.accounts.get(account)
            client_id = str(body.get("client_id", DEMO_CLIENT_ID))
            if acct is None or client_id not in self.store.clients:
                raise SandboxError(400, {"error": "unknown account or client_id"})
            token = self.oauth.issue_refresh_token(account, client_id, acct.dc, str(body.get("scope", DEMO_SCOPES)))
            return JSONResponse({"refresh_token": token.value, "data_centre": acct.dc}, status_code=201)

        return [
            Route("/zoho/settings", settings, methods=["GET", "POST"]),
            Route("/zoho/webhooks", webhooks, methods=["POST"]),
            Route("/zoho/clients", clients, methods=["POST"]),
            Route("/zoho/customfields", customfields, methods=["POST"]),
            Route("/zoho/refresh_tokens", refresh_tokens, methods=["POST"]),
        ]


def plain_stock(org: Org) -> dict[tuple[str, str], Any]:
    return {key: plain(value) for key, value in org.stock.items()}
