"""A tenant's settings: one section per key, a structured form where the page has one (courier priority,
status and warehouse mapping, the ShipStation → Books schedule, the alert channel), a JSON editor for every key,
and a reset to the defaults. Viewers read; admins change. The JSON API beside it reads and writes the same.

A refusal (the form's own, or the core's naming the path inside the value) shows the page again with what was
posted and the problem next to the form, the fields it points at marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from litestar import Request, Response, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.response import Template

from portal.preferences import forms, service
from portal.resources import Slice
from portal.security.access import RANK, Access, at
from portal.web.context import session_of
from portal.web.errors import Problem, from_grpc
from portal.web.pages import done, form_of, page
from workers.flows.settings import RANK_KEYS


@dataclass
class Section:
    """One key on the page: its setting, the form's fields (as stored, or as posted) and any refusal."""

    setting: service.Setting
    fields: dict[str, str]
    raw: str
    problem: Problem | None = None
    marked: set[str] = field(default_factory=set)
    raw_open: bool = False


def _sections(settings: list[service.Setting]) -> list[Section]:
    return [Section(s, forms.to_fields(s.key, s.value), s.text) for s in settings]


async def _render(request: Request[Any, Any, Any], sections: list[Section], status: int = 200) -> Template:
    role = session_of(request).role or ""
    return await page(
        request, "preferences/settings.html", status,
        sections=sections, can_edit=RANK.get(role, 0) >= RANK["admin"], status_defaults=forms.status_defaults(),
        schedule_defaults=forms.SCHEDULE_DEFAULTS, rank_keys=RANK_KEYS, rank_words=forms.RANK_WORDS,
        secrets_of=forms.stored_secrets, rows=forms.indices, examples=forms.EXAMPLES,
        save_labels=forms.SAVE_LABELS,
    )  # fmt: skip


# ------------------------------------------------------------------ pages


@get("/settings", opt=at(Access.VIEWER))
async def settings_page(request: Request[Any, Any, Any]) -> Template:
    return await _render(request, _sections(await service.settings(request)))


@post("/settings/{key:str}", opt=at(Access.ADMIN))
async def setting_form(request: Request[Any, Any, Any], key: FromPath[str]) -> Response[Any]:
    """Save a key from its form (``action=save``) or its JSON editor (``action=save_json``), or reset it to the
    defaults (``action=reset``)."""
    form = await form_of(request)
    action = form.pop("action", "save")
    current = await service.one(request, key)
    try:
        if action == "reset":
            await service.update(request, key, None)
            return await done(request, f"/settings#{key}", f"{current.title}: back to the defaults.")
        if action == "save_json":
            await service.update_text(request, key, form.get("json", ""))
        else:
            await service.update(request, key, forms.from_fields(key, form, current.value))
    except (Problem, grpc.aio.AioRpcError) as exc:
        problem = exc if isinstance(exc, Problem) else from_grpc(exc)
        if problem.status != 400:
            raise
        return await _refused(request, key, action, form, problem)
    return await done(request, f"/settings#{key}", f"{current.title} saved.")


async def _refused(
    request: Request[Any, Any, Any], key: str, action: str, form: dict[str, str], problem: Problem
) -> Template:
    """The page again, the refused section showing what was posted, the problem and the fields it names."""
    sections = _sections(await service.settings(request))
    for section in sections:
        if section.setting.key != key:
            continue
        section.problem = problem
        if action == "save_json":
            section.raw, section.raw_open = form.get("json", ""), True
        else:
            # What was typed, but never a secret: those are not echoed back into the page.
            section.fields = {k: v for k, v in form.items() if k not in ("password", "secret")}
            section.marked = forms.marked(key, [f.field for f in problem.fields], section.fields)
    return await _render(request, sections, 400)


# ------------------------------------------------------------------ JSON API


@dataclass
class SettingBody:
    value: Any
    """The key's new value, a JSON object; null deletes it and the defaults apply again."""


@get("/settings", opt=at(Access.VIEWER))
async def api_settings(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Every setting of the tenant, in the catalogue's order: ``value`` is null while unset (the defaults
    apply); secrets read as "<redacted>"."""
    return {"items": [service.setting_json(s) for s in await service.settings(request)], "next_page_token": ""}


@put("/settings/{key:str}", opt=at(Access.ADMIN))
async def api_setting_update(
    request: Request[Any, Any, Any], key: FromPath[str], data: JSONBody[SettingBody]
) -> dict[str, Any]:
    """Set one key (checked with the workers' own parsers: a refusal names the path inside ``value``), or
    reset it with ``{"value": null}``. Sending a secret back as "<redacted>" keeps the stored one."""
    return service.setting_json(await service.update(request, key, data.value))


PAGES = [settings_page, setting_form]
API = [api_settings, api_setting_update]

SLICE = Slice.of_pages_and_api("preferences", PAGES, {"settings": API})
