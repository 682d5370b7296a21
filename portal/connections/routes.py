"""Connections: the tenant's links to providers with their health, connecting one, testing, re-authorising,
updating credentials, deleting, and the webhook setup to copy to the provider; pages and the JSON API.

    GET  /connections                            VIEWER  every connection with its health and webhook setup
    GET  /connections/new                        ADMIN   choose a provider
    GET  /connections/new/{provider}             ADMIN   its form; POST connects (Zoho: off to Zoho's sign-in)
    GET  /connections/oauth/callback             ADMIN   Zoho sends the merchant back here
    GET  /connections/{id}                       VIEWER  one connection
    POST /connections/{id}/test                  ADMIN   test now
    POST /connections/{id}/reconnect             ADMIN   Zoho: authorise again; others: the credentials form
    GET  /connections/{id}/credentials           ADMIN   the form; POST replaces the credentials and tests
    POST /connections/{id}/delete                ADMIN   with "DELETE" typed to confirm

    GET    /api/v1/providers                     VIEWER  what can be connected, with each one's fields
    GET    /api/v1/connections                   VIEWER
    POST   /api/v1/connections                   ADMIN   connect (not Zoho) and test
    POST   /api/v1/connections/oauth             ADMIN   start (or restart) Zoho's authorisation
    GET    /api/v1/connections/{id}              VIEWER  with health and webhook setup
    POST   /api/v1/connections/{id}/test         ADMIN
    PUT    /api/v1/connections/{id}/credentials  ADMIN   replace the credentials and test
    DELETE /api/v1/connections/{id}              ADMIN

A connection whose test fails is kept, with the provider's own words in its health, so the merchant can fix
the credentials in place. Zoho connects by OAuth: the connection is made with the merchant's API-console
client, the browser goes to Zoho's consent page in the chosen data centre, and the callback completes the
grant through the core (which checks the state and that the accounts server is Zoho's) and tests it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import grpc
from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from connector.v1 import common_pb2, connection_pb2
from portal.connections import catalogue, service
from portal.resources import Slice
from portal.security.access import Access, at
from portal.web.context import resources_of
from portal.web.errors import FieldProblem, Problem, from_grpc
from portal.web.pages import done, form_of, page

CONFIRM_WORD = "DELETE"
COMPLETE_ERRORS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.UNAVAILABLE,
)
"""What completing a Zoho grant can run into that the merchant can act on (start again)."""


# ------------------------------------------------------------------ the shared steps of pages and API


def _translated(exc: grpc.aio.AioRpcError, provider: str, prefix: str) -> Problem:
    """The core's refusal, its field names as the caller knows them."""
    problem = from_grpc(exc)
    if problem.status != 400:
        return problem
    fields = [FieldProblem(catalogue.core_field(f.field, provider, prefix), f.description) for f in problem.fields]
    message = "; ".join(f"{f.field}: {f.description}" for f in fields) or problem.message
    return Problem(400, message, fields)


def _region(offer: catalogue.Offer, region: str, values: dict[str, Any]) -> str:
    """The region to connect in: Amazon's follows from the marketplace (India is served from Europe)."""
    if offer.name == "amazon":
        derived = catalogue.amazon_region(str(values.get("marketplace_id") or "").strip())
        if derived is not None:
            if region and region.strip().lower() != derived:
                raise Problem.invalid("region", f"that marketplace is served by the {derived!r} endpoint")
            return derived
    return catalogue.check_region(offer, region)


async def _connect(
    request: Request[Any, Any, Any],
    provider: str,
    *,
    region: str,
    environment: str,
    name: str,
    values: dict[str, Any],
    prefix: str,
) -> tuple[connection_pb2.Connection, service.TestResult]:
    """Connect a provider that takes credentials, then test it (a failed test keeps the connection)."""
    offer = catalogue.check_provider(provider)
    if offer.oauth:
        raise Problem.invalid(
            "provider", f"{offer.title} connects through its own sign-in: POST /api/v1/connections/oauth"
        )
    env = catalogue.check_environment(environment)
    chosen = _region(offer, region, values)
    credentials = catalogue.credentials(
        offer, values, prefix=prefix, production=env == common_pb2.ENVIRONMENT_PRODUCTION
    )
    try:
        created = await service.create(request, offer, chosen, env, name, credentials)
    except grpc.aio.AioRpcError as exc:
        raise _translated(exc, offer.name, prefix) from None
    return created, await service.test(request, created.connection_id)


async def _replace_credentials(
    request: Request[Any, Any, Any], connection_id: uuid.UUID, values: dict[str, Any], prefix: str
) -> tuple[connection_pb2.Connection, service.TestResult]:
    current = await service.get_raw(request, connection_id)
    offer = catalogue.offer(catalogue.PROVIDER_NAMES.get(current.provider, ""))
    if offer.oauth:
        raise Problem.invalid("connection_id", f"{offer.title} is re-authorised through its sign-in: use Reconnect")
    credentials = catalogue.credentials(
        offer, values, prefix=prefix, production=current.environment == common_pb2.ENVIRONMENT_PRODUCTION
    )
    try:
        updated = await service.update_credentials(request, current.connection_id, credentials)
    except grpc.aio.AioRpcError as exc:
        raise _translated(exc, offer.name, prefix) from None
    return updated, await service.test(request, updated.connection_id)


async def _start_zoho(
    request: Request[Any, Any, Any],
    *,
    region: str,
    environment: str,
    name: str,
    values: dict[str, Any],
    prefix: str,
    connection_id: uuid.UUID | None = None,
) -> tuple[str, str]:
    """(authorize URL, connection id): a new Zoho connection with the merchant's OAuth client, or an existing
    one (its client replaced when a new one is given), and the state the core binds to it."""
    offer = catalogue.offer("zoho")
    try:
        if connection_id is not None:
            current = await service.get_raw(request, connection_id)
            service.require_zoho(current)
            if any(isinstance(v, str) and v.strip() for v in values.values()):
                credentials = catalogue.credentials(offer, values, prefix=prefix)
                await service.update_credentials(request, current.connection_id, credentials)
            target = current.connection_id
        else:
            env = catalogue.check_environment(environment)
            chosen = catalogue.check_region(offer, region)
            credentials = catalogue.credentials(offer, values, prefix=prefix)
            target = (await service.create(request, offer, chosen, env, name, credentials)).connection_id
        return await service.start_authorization(request, target), target
    except grpc.aio.AioRpcError as exc:
        raise _translated(exc, "zoho", prefix) from None


def _connected_words(view: service.ConnectionView, result: service.TestResult) -> str:
    test = service.test_words(view.provider_title, result)
    if result.ok:
        return f"{view.provider_title} connected as “{view.display_name}”. {test}"
    return (
        f"“{view.display_name}” was saved, but {view.provider_title} refused the test. {test} "
        "Check the credentials and use Reconnect to correct them."
    )


# ------------------------------------------------------------------ pages


@get("/connections", opt=at(Access.VIEWER))
async def list_page(request: Request[Any, Any, Any]) -> Template:
    connections = await service.list_connections(request, with_webhooks=True)
    return await page(
        request,
        "connections/list.html",
        connections=connections,
        offers=list(catalogue.OFFERS.values()),
        can_change=service.may_change(request),
    )


@get("/connections/new", opt=at(Access.ADMIN))
async def choose_page(request: Request[Any, Any, Any]) -> Template:
    return await page(request, "connections/new.html", offers=list(catalogue.OFFERS.values()))


def _form_context(request: Request[Any, Any, Any], offer: catalogue.Offer, form: dict[str, str]) -> dict[str, Any]:
    public = resources_of(request).config.public_url.rstrip("/")
    return {
        "offer": offer,
        "form": {k: v for k, v in form.items() if k not in {f.name for f in offer.fields if f.secret}},
        "environments": catalogue.ENVIRONMENT_LABELS,
        "callback_url": public + service.CALLBACK_PATH,
        "zoho_consoles": {code: f"https://api-console.{catalogue.zoho_domain(code)}" for code, _ in offer.regions}
        if offer.oauth
        else {},
    }


@get("/connections/new/{provider:str}", opt=at(Access.ADMIN))
async def connect_page(request: Request[Any, Any, Any], provider: FromPath[str]) -> Template:
    offer = catalogue.offer(provider)
    return await page(request, "connections/connect.html", problem=None, **_form_context(request, offer, {}))


@post("/connections/new/{provider:str}", opt=at(Access.ADMIN))
async def connect_form(request: Request[Any, Any, Any], provider: FromPath[str]) -> Response[Any]:
    offer = catalogue.offer(provider)
    form = await form_of(request)
    values = {f.name: form.get(f.name, "") for f in offer.fields}
    region, environment, name = form.get("region", ""), form.get("environment", ""), form.get("display_name", "")
    try:
        if offer.oauth:
            url, _ = await _start_zoho(
                request, region=region, environment=environment, name=name, values=values, prefix=""
            )
            return Redirect(url, status_code=303)
        created, result = await _connect(
            request, offer.name, region=region, environment=environment, name=name, values=values, prefix=""
        )
    except Problem as problem:
        if problem.status != 400:
            raise
        context = _form_context(request, offer, form)
        return await page(request, "connections/connect.html", 400, problem=problem, **context)
    view = service.view_of(created)
    return await done(request, f"/connections/{created.connection_id}", _connected_words(view, result))


@get("/connections/oauth/callback", opt=at(Access.ADMIN))
async def oauth_callback(
    request: Request[Any, Any, Any],
    code: FromQuery[str] = "",
    oauth_state: Annotated[str, QueryParameter(name="state")] = "",
    location: FromQuery[str] = "",
    error: FromQuery[str] = "",
    error_description: FromQuery[str] = "",
    accounts_server: Annotated[str, QueryParameter(name="accounts-server")] = "",
) -> Redirect:
    """Zoho sends the merchant back with a code (or an error): complete the grant, test it, and say how it went."""
    state = oauth_state  # ``state`` itself is a name Litestar reserves
    started = await service.started_for(request, state)
    back = f"/connections/{started}" if started else "/connections"
    if error or not code:
        words = service.zoho_error_words(error, error_description) if error else "Zoho sent no authorisation code"
        return await done(request, back, f"Zoho was not connected: {words}. Use Reconnect to try again.")
    try:
        completed = await service.complete_authorization(request, state, code, location, accounts_server)
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in COMPLETE_ERRORS:
            raise
        message = exc.details() if exc.code() != grpc.StatusCode.UNAVAILABLE else from_grpc(exc).message
        return await done(request, back, f"Zoho was not connected: {message}. Use Reconnect to start again.")
    result = await service.test(request, completed.connection_id)
    view = service.view_of(await service.get_raw(request, uuid.UUID(completed.connection_id)))
    found = " Your Zoho organisation was found." if view.organisation else ""
    message = f"Zoho connected as “{view.display_name}” in {view.region_label}.{found} " + service.test_words(
        "Zoho", result
    )
    return await done(request, f"/connections/{completed.connection_id}", message)


async def _detail(request: Request[Any, Any, Any], connection_id: uuid.UUID, **extra: Any) -> Template:
    status = extra.pop("status_code", 200)
    return await page(
        request,
        "connections/detail.html",
        status,
        c=await service.get_connection(request, connection_id),
        can_change=service.may_change(request),
        confirm_word=CONFIRM_WORD,
        **{"delete_problem": None, **extra},
    )


@get("/connections/{connection_id:uuid}", opt=at(Access.VIEWER))
async def detail_page(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> Template:
    return await _detail(request, connection_id)


@post("/connections/{connection_id:uuid}/test", opt=at(Access.ADMIN))
async def test_form(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> Redirect:
    current = service.view_of(await service.get_raw(request, connection_id))
    result = await service.test(request, current.id)
    back = "/connections" if (await form_of(request)).get("back") == "list" else f"/connections/{current.id}"
    return await done(request, back, f"{current.display_name}: {service.test_words(current.provider_title, result)}")


@post("/connections/{connection_id:uuid}/reconnect", opt=at(Access.ADMIN))
async def reconnect_form(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> Response[Any]:
    current = await service.get_raw(request, connection_id)
    if catalogue.PROVIDER_NAMES.get(current.provider) != "zoho":
        return Redirect(f"/connections/{connection_id}/credentials", status_code=303)
    form = await form_of(request)
    values = {f.name: form.get(f.name, "") for f in catalogue.offer("zoho").fields}
    url, _ = await _start_zoho(
        request, region="", environment="", name="", values=values, prefix="", connection_id=connection_id
    )
    return Redirect(url, status_code=303)


@get("/connections/{connection_id:uuid}/credentials", opt=at(Access.ADMIN))
async def credentials_page(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> Response[Any]:
    view = service.view_of(await service.get_raw(request, connection_id))
    offer = catalogue.offer(view.provider)
    if offer.oauth:  # re-authorised at Zoho, from the connection's page
        return Redirect(f"/connections/{view.id}", status_code=303)
    return await page(
        request, "connections/credentials.html", c=view, problem=None, **_form_context(request, offer, {})
    )


@post("/connections/{connection_id:uuid}/credentials", opt=at(Access.ADMIN))
async def credentials_form(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> Response[Any]:
    view = service.view_of(await service.get_raw(request, connection_id))
    offer = catalogue.offer(view.provider)
    form = await form_of(request)
    try:
        updated, result = await _replace_credentials(
            request, connection_id, {f.name: form.get(f.name, "") for f in offer.fields}, ""
        )
    except Problem as problem:
        if problem.status != 400:
            raise
        context = _form_context(request, offer, form)
        return await page(request, "connections/credentials.html", 400, c=view, problem=problem, **context)
    words = service.test_words(view.provider_title, result)
    return await done(request, f"/connections/{updated.connection_id}", f"Credentials updated. {words}")


@post("/connections/{connection_id:uuid}/delete", opt=at(Access.ADMIN))
async def delete_form(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> Response[Any]:
    form = await form_of(request)
    if form.get("confirm", "").strip().upper() != CONFIRM_WORD:
        problem = Problem.invalid("confirm", f"type {CONFIRM_WORD} to confirm; nothing was deleted")
        return await _detail(request, connection_id, status_code=400, delete_problem=problem)
    view = service.view_of(await service.get_raw(request, connection_id))
    await service.delete(request, connection_id)
    return await done(request, "/connections", f"Deleted “{view.display_name}” ({view.provider_title}).")


# ------------------------------------------------------------------ JSON API


@dataclass
class ConnectBody:
    provider: str
    credentials: dict[str, Any] = field(default_factory=dict)
    """The provider's fields (GET /api/v1/providers lists them), e.g. {"email": ..., "password": ...}."""
    name: str = ""
    region: str = ""
    environment: str = "production"


@dataclass
class CredentialsBody:
    credentials: dict[str, Any] = field(default_factory=dict)


@dataclass
class OAuthBody:
    region: str = ""
    environment: str = "production"
    name: str = ""
    credentials: dict[str, Any] = field(default_factory=dict)
    """Zoho's client_id and client_secret (and optionally organization_id); for a reconnect only to change them."""
    connection_id: str | None = None
    """Re-authorise this connection instead of making a new one."""


def _with_test(view: service.ConnectionView, result: service.TestResult) -> dict[str, Any]:
    return {**service.connection_json(view), "test": service.test_json(result)}


@get("/providers", opt=at(Access.VIEWER))
async def api_providers() -> dict[str, Any]:
    """What can be connected: each provider, how it connects (oauth or credentials), its regions and the
    credential fields it takes."""
    return {"items": [catalogue.offer_json(o) for o in catalogue.OFFERS.values()], "next_page_token": ""}


@get("/connections", opt=at(Access.VIEWER))
async def api_list(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Every connection of the tenant with its health."""
    items = [service.connection_json(v) for v in await service.list_connections(request)]
    return {"items": items, "next_page_token": ""}


@post("/connections", opt=at(Access.ADMIN), status_code=201)
async def api_connect(request: Request[Any, Any, Any], data: JSONBody[ConnectBody]) -> dict[str, Any]:
    """Connect a provider with its credentials (Zoho: POST /api/v1/connections/oauth) and test it at once.
    A failed test keeps the connection: ``test.error`` carries the provider's own words."""
    created, result = await _connect(
        request,
        data.provider,
        region=data.region,
        environment=data.environment,
        name=data.name,
        values=data.credentials or {},
        prefix="credentials.",
    )
    view = await service.get_connection(request, uuid.UUID(created.connection_id))
    return _with_test(view, result)


@post("/connections/oauth", opt=at(Access.ADMIN), status_code=201)
async def api_oauth(request: Request[Any, Any, Any], data: JSONBody[OAuthBody]) -> dict[str, str]:
    """Start Zoho's authorisation: send the merchant's browser to ``authorize_url``; Zoho brings it back to
    /connections/oauth/callback, which completes and tests the connection."""
    connection_id = None
    if data.connection_id:
        try:
            connection_id = uuid.UUID(data.connection_id)
        except ValueError:
            raise Problem.invalid("connection_id", "is not a connection id") from None
    url, target = await _start_zoho(
        request,
        region=data.region,
        environment=data.environment,
        name=data.name,
        values=data.credentials or {},
        prefix="credentials.",
        connection_id=connection_id,
    )
    return {"authorize_url": url, "connection_id": target}


@get("/connections/{connection_id:uuid}", opt=at(Access.VIEWER))
async def api_get(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    """One connection with its health and the webhook setup to configure at the provider (the secret only
    for admins)."""
    return service.connection_json(await service.get_connection(request, connection_id), detail=True)


@post("/connections/{connection_id:uuid}/test", opt=at(Access.ADMIN), status_code=200)
async def api_test(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> dict[str, Any]:
    """Call the provider now: ok with the latency, or the provider's own error."""
    current = await service.get_raw(request, connection_id)
    result = await service.test(request, current.connection_id)
    after = service.view_of(await service.get_raw(request, connection_id))
    return {**service.test_json(result), "status": after.status}


@put("/connections/{connection_id:uuid}/credentials", opt=at(Access.ADMIN))
async def api_credentials(
    request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID], data: JSONBody[CredentialsBody]
) -> dict[str, Any]:
    """Replace the connection's credentials (all of them) and test it."""
    updated, result = await _replace_credentials(request, connection_id, data.credentials or {}, "credentials.")
    return _with_test(await service.get_connection(request, uuid.UUID(updated.connection_id)), result)


@delete("/connections/{connection_id:uuid}", opt=at(Access.ADMIN), status_code=204)
async def api_delete(request: Request[Any, Any, Any], connection_id: FromPath[uuid.UUID]) -> None:
    """Delete the connection and its stored credentials."""
    await service.delete(request, connection_id)


PAGES = [
    list_page, choose_page, connect_page, connect_form, oauth_callback, detail_page, test_form, reconnect_form,
    credentials_page, credentials_form, delete_form,
]  # fmt: skip
API = [api_providers, api_list, api_connect, api_oauth, api_get, api_test, api_credentials, api_delete]

SLICE = Slice.of_pages_and_api("connections", PAGES, {"connections": API})
