"""Rendering a page: the template, plus what every page's layout needs (who is signed in, their tenants, one-time
messages), and the few Jinja filters the templates use. Pages are plain HTML forms; ``static/portal.js`` only
adds live progress and local times on top."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template import TemplateConfig

from portal.security.sessions import flash, take_flashes

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


def when(value: Timestamp | datetime | None, zone: str = "UTC") -> str:
    """A timestamp for people: ``2026-11-24 14:05 UTC`` ("" when unset)."""
    if isinstance(value, Timestamp):
        if not value.seconds and not value.nanos:
            return ""
        value = value.ToDatetime(tzinfo=UTC)
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def iso(value: Timestamp | datetime | None) -> str:
    if isinstance(value, Timestamp):
        if not value.seconds and not value.nanos:
            return ""
        value = value.ToDatetime(tzinfo=UTC)
    return value.isoformat() if value else ""


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _engine_callback(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(when=when, iso=iso, percent=percent)
    engine.engine.autoescape = True


TEMPLATE_CONFIG = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_engine_callback)


async def page(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Template:
    state = request.scope.get("state", {})
    redis = request.app.state.resources.queue
    context.setdefault("session", state.get("session"))
    context["flashes"] = await take_flashes(redis, state.get("session_token"))
    return Template(template_name=name, context=context, status_code=status_code)


async def done(request: Request[Any, Any, Any], to: str, message: str | None = None) -> Redirect:
    """After a form's POST: a one-time message for the next page, and a redirect to it (303, so a reload
    does not post again)."""
    if message:
        await flash(request.app.state.resources.queue, request.scope.get("state", {}).get("session_token"), message)
    return Redirect(to, status_code=303)


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted form's fields (the last value of each), stripped of the CSRF token."""
    form = await request.form()
    return {k: v for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}
