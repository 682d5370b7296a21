"""The support console (support staff only) and a tenant's audit log (its owner only): pages and JSON API.

Support staff act for no tenant. They find a tenant by name, or a record by any reference across every tenant,
and every look at a tenant's data asks for a reason first and is written to that tenant's audit log, which its
owner reads at ``/audit``. A record's personal data (names, emails, phones, address lines) is masked unless they
ask to see it, with a reason of its own; a replay needs a reason too, kept in the record's journal.

    /support                                      find a tenant; find a record by reference (with a reason)
    /support/records?reference=&reason=           the reference's records in every tenant
    /support/tenants/{id}?reason=                 a tenant's connections, their health, its recent dead records
    /support/tenants/{id}/records/{id}?reason=    one record, masked (``unmask=true``: shown, audited as such)
    POST /support/tenants/{id}/records/replay     replay (or preview) dead records, with a reason
    /audit                                        the tenant's audit log, support staff's looks marked
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Template

from portal.resources import Slice
from portal.security.access import Access, at
from portal.support import service
from portal.web.errors import Problem
from portal.web.pages import done, page

T = TypeVar("T")
TenantQuery: TypeAlias = Annotated[T, QueryParameter(name="query")]
"""The ``query`` query parameter (a name Litestar reserves for the parsed query string in a handler)."""

REASON_HINT = "It is written to the tenant's audit log, which the tenant's owner can read."


def _record_url(tenant_id: str, record_id: str, reason: str, unmask: bool = False) -> str:
    query = {"reason": reason, **({"unmask": "true"} if unmask else {})}
    return f"/support/tenants/{tenant_id}/records/{record_id}?{urlencode(query)}"


def _tenant_url(tenant_id: str, reason: str) -> str:
    return f"/support/tenants/{tenant_id}?{urlencode({'reason': reason})}"


async def _ask_reason(
    request: Request[Any, Any, Any], what: str, tenant: service.Tenant, problem: Problem | None = None, **hidden: str
) -> Template:
    """The page that asks why before showing anything of the tenant's (400 when a blank reason was sent)."""
    return await page(
        request, "support/reason.html", 400 if problem else 200,
        what=what, tenant=tenant, problem=problem, hidden=hidden, action=request.url.path, hint=REASON_HINT,
    )  # fmt: skip


# ------------------------------------------------------------------ pages


@get("/support", opt=at(Access.SUPPORT))
async def home_page(
    request: Request[Any, Any, Any], tenant_query: TenantQuery[str | None] = None, page_token: FromQuery[str] = ""
) -> Template:
    query = tenant_query
    tenants, next_token = ([], "") if query is None else await service.find_tenants(request, query, page_token)
    return await page(
        request, "support/home.html",
        query=query, tenants=tenants, next_token=next_token, reference="", tenants_filter="", problem=None,
        hint=REASON_HINT,
    )  # fmt: skip


@get("/support/records", opt=at(Access.SUPPORT))
async def records_page(
    request: Request[Any, Any, Any],
    reference: FromQuery[str] = "",
    reason: FromQuery[str] = "",
    tenants: FromQuery[str] = "",
) -> Template:
    try:
        found = await service.find_records(request, reference, reason, tenants)
    except Problem as problem:
        if problem.status != 400:
            raise
        return await page(
            request, "support/home.html", 400,
            query=None, tenants=[], next_token="", reference=reference, tenants_filter=tenants, problem=problem,
            hint=REASON_HINT,
        )  # fmt: skip
    return await page(
        request, "support/records.html",
        found=found, reference=reference.strip(), reason=reason.strip(), tenants_filter=tenants, record_url=_record_url,
    )  # fmt: skip


@get("/support/tenants/{tenant_id:uuid}", opt=at(Access.SUPPORT))
async def tenant_page(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], reason: FromQuery[str | None] = None
) -> Template:
    if reason is None or not reason.strip():
        tenant = await service.get_tenant(request, str(tenant_id))
        problem = service_problem(reason)
        return await _ask_reason(request, "this tenant's connections and failed records", tenant, problem)
    overview = await service.overview(request, str(tenant_id), reason)
    return await page(request, "support/tenant.html", overview=overview, reason=reason.strip(), record_url=_record_url)


def service_problem(reason: str | None) -> Problem | None:
    """The refusal of a reason that was sent but says nothing (None when none was sent yet)."""
    if reason is None:
        return None
    try:
        service.check_reason(reason)
    except Problem as problem:
        return problem
    return None


@get("/support/tenants/{tenant_id:uuid}/records/{record_id:uuid}", opt=at(Access.SUPPORT))
async def record_page(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[uuid.UUID],
    record_id: FromPath[uuid.UUID],
    reason: FromQuery[str | None] = None,
    unmask: FromQuery[bool] = False,
) -> Template:
    if reason is None or not reason.strip():
        tenant = await service.get_tenant(request, str(tenant_id))
        what = "this record's personal data" if unmask else "this record"
        hidden = {"unmask": "true"} if unmask else {}
        return await _ask_reason(request, what, tenant, service_problem(reason), **hidden)
    detail = await service.record(request, str(tenant_id), str(record_id), reason, unmask)
    reason = reason.strip()
    return await page(
        request, "support/record.html",
        detail=detail, reason=reason, tenant_url=_tenant_url(str(tenant_id), reason), hint=REASON_HINT,
        masked_url=_record_url(str(tenant_id), str(record_id), reason),
    )  # fmt: skip


@post("/support/tenants/{tenant_id:uuid}/records/replay", opt=at(Access.SUPPORT))
async def replay_form(request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID]) -> Response[Any]:
    """Replay the ticked dead records (``record_id``, repeated) with a ``reason``; ``dry_run`` previews them."""
    form = await request.form()
    ids = [str(v) for v in form.getall("record_id")] if "record_id" in form else []
    reason, back = str(form.get("reason") or ""), str(form.get("back") or "")
    dry_run = form.get("dry_run") == "true"
    results = await service.replay(request, str(tenant_id), ids, reason, dry_run)
    reason = reason.strip()
    if dry_run:
        tenant = await service.get_tenant(request, str(tenant_id))
        return await page(
            request, "support/replay.html", results=results, tenant=tenant, reason=reason, record_url=_record_url
        )
    accepted = sum(r.accepted for r in results)
    refused = [f"{r.record_id}: {r.refusal}" for r in results if not r.accepted]
    message = f"{accepted} record{'s' if accepted != 1 else ''} queued to run again."
    if refused:
        message += " Not replayed: " + "; ".join(refused)
    if len(ids) == 1 and back != "tenant":
        return await done(request, _record_url(str(tenant_id), ids[0], reason), message)
    return await done(request, _tenant_url(str(tenant_id), reason), message)


@get("/audit", opt=at(Access.OWNER))
async def audit_page(
    request: Request[Any, Any, Any],
    actor_role: FromQuery[str] = "",
    action: FromQuery[str] = "",
    page_token: FromQuery[str] = "",
) -> Template:
    rows, next_token = await service.audit_entries(request, actor_role=actor_role, action=action, page_token=page_token)
    query = {k: v for k, v in {"actor_role": actor_role, "action": action}.items() if v}
    older = f"/audit?{urlencode({**query, 'page_token': next_token})}" if next_token else ""
    return await page(
        request, "support/audit.html",
        rows=rows, actor_role=actor_role, action=action, actions=service.ACTIONS, roles=tuple(service.ROLE_ENUMS),
        older=older, first_page=not page_token, newest=f"/audit?{urlencode(query)}" if query else "/audit",
    )  # fmt: skip


# ------------------------------------------------------------------ JSON API


@dataclass
class ReplayBody:
    record_ids: list[str]
    reason: str
    dry_run: bool = False


@get("/support/tenants", opt=at(Access.SUPPORT))
async def api_tenants(
    request: Request[Any, Any, Any], tenant_query: TenantQuery[str] = "", page_token: FromQuery[str] = ""
) -> dict[str, Any]:
    """Tenants whose name or slug matches ``query`` (every tenant when empty). Not audited: it shows no
    tenant's data."""
    tenants, token = await service.find_tenants(request, tenant_query, page_token)
    return {"items": [service.tenant_json(t) for t in tenants], "next_page_token": token}


@get("/support/tenants/{tenant_id:uuid}", opt=at(Access.SUPPORT))
async def api_tenant(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], reason: FromQuery[str] = ""
) -> dict[str, Any]:
    """A tenant's connections with their health, and its newest dead records. ``reason`` is required and
    written to the tenant's audit log (tenant.view, record.list)."""
    return service.overview_json(await service.overview(request, str(tenant_id), reason))


@get("/support/records", opt=at(Access.SUPPORT))
async def api_find_records(
    request: Request[Any, Any, Any],
    reference: FromQuery[str] = "",
    reason: FromQuery[str] = "",
    tenants: FromQuery[str] = "",
) -> dict[str, Any]:
    """Records in every tenant (or those whose name or slug matches ``tenants``) that any identity called
    ``reference`` names: an order number, AWB, invoice number, provider id. ``reason`` is required and written
    to the audit log of every tenant where records were found (record.list)."""
    found = await service.find_records(request, reference, reason, tenants)
    return {"items": [service.found_json(f) for f in found], "next_page_token": ""}


@get("/support/tenants/{tenant_id:uuid}/records/{record_id:uuid}", opt=at(Access.SUPPORT))
async def api_record(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[uuid.UUID],
    record_id: FromPath[uuid.UUID],
    reason: FromQuery[str] = "",
    unmask: FromQuery[bool] = False,
) -> dict[str, Any]:
    """A record, its journal and links, with customers' names, emails, phones and address lines masked;
    ``unmask=true`` shows them. ``reason`` is required and written to the audit log (record.view; an unmasked
    look as record.unmask)."""
    return service.detail_json(await service.record(request, str(tenant_id), str(record_id), reason, unmask))


@post("/support/tenants/{tenant_id:uuid}/records/replay", opt=at(Access.SUPPORT), status_code=200)
async def api_replay(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], data: JSONBody[ReplayBody]
) -> dict[str, Any]:
    """Replay dead records from the step they failed at (``dry_run``: preview what each would send, change
    nothing). ``reason`` is required, kept in each record's journal and the audit log."""
    results = await service.replay(request, str(tenant_id), data.record_ids, data.reason, data.dry_run)
    return {"items": [service.replayed_json(r) for r in results], "next_page_token": ""}


@get("/audit", opt=at(Access.OWNER))
async def api_audit(
    request: Request[Any, Any, Any],
    actor_role: FromQuery[str] = "",
    action: FromQuery[str] = "",
    page_token: FromQuery[str] = "",
    page_size: FromQuery[int] = 50,
) -> dict[str, Any]:
    """The tenant's audit log, newest first: who read or changed what, and why. Filter by ``actor_role``
    (merchant, support, system) and ``action`` (e.g. record.view); page with ``next_page_token``."""
    rows, token = await service.audit_entries(
        request, actor_role=actor_role, action=action, page_token=page_token, page_size=page_size
    )
    return {"items": [service.audit_json(r) for r in rows], "next_page_token": token}


PAGES = [home_page, records_page, tenant_page, record_page, replay_form]
API = [api_tenants, api_tenant, api_find_records, api_record, api_replay]

SLICE = Slice.of_pages_and_api("support", [*PAGES, audit_page], {"support": API, "audit": [api_audit]})
