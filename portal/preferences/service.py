"""A tenant's settings through the core's SettingsService, as plain values for the page and the JSON API.

The core checks every value with the workers' own parsers and answers INVALID_ARGUMENT with the path inside
the value (``value.pickup.pincode``); the alert channel's secrets read back as ``<redacted>``, and sending that
back keeps them. Calls are made as the merchant's staff: the routes here are for a tenant's members only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request

from connector.v1 import settings_pb2, settings_pb2_grpc
from portal.preferences import forms
from portal.web.context import actor_of, resources_of, tenant_of
from portal.web.errors import Problem


@dataclass(frozen=True)
class Setting:
    key: str
    title: str
    description: str
    value: Any
    """The stored JSON value (secrets redacted); None while unset (the defaults apply)."""
    updated: datetime | None
    structured: bool
    """Whether the page has a form for it (else the JSON editor only)."""

    @property
    def text(self) -> str:
        """The value as indented JSON for the editor ("" while unset)."""
        return "" if self.value is None else json.dumps(self.value, indent=2, ensure_ascii=False)


def setting_of(message: settings_pb2.Setting) -> Setting:
    """A Setting message as a plain value (pure)."""
    value = json.loads(message.value) if message.value else None
    updated = message.update_time.ToDatetime(tzinfo=UTC) if message.HasField("update_time") else None
    return Setting(
        key=message.key,
        title=forms.title(message.key),
        description=message.description,
        value=value,
        updated=updated,
        structured=message.key in forms.STRUCTURED,
    )


def setting_json(setting: Setting) -> dict[str, Any]:
    return {
        "key": setting.key,
        "title": setting.title,
        "description": setting.description,
        "value": setting.value,
        "update_time": setting.updated.isoformat() if setting.updated else None,
    }


def _storable(value: Any, path: str = "value") -> None:
    """400 naming the path for text the core could not keep: NUL (PostgreSQL's jsonb refuses it) or lone
    surrogates (not Unicode text; protobuf cannot carry them)."""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise Problem.invalid(path, "contains characters that are not text")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(str(key), path)
            _storable(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _storable(item, f"{path}[{i}]")


def _check(value: Any) -> None:
    try:
        _storable(value)
    except RecursionError:
        raise Problem.invalid("value", "is nested too deeply") from None


def _stub(request: Request[Any, Any, Any]) -> Any:
    return resources_of(request).stub(settings_pb2_grpc.SettingsServiceStub)


async def settings(request: Request[Any, Any, Any]) -> list[Setting]:
    """Every key of the catalogue, in its order, set or not."""
    reply = await _stub(request).GetSettings(
        settings_pb2.GetSettingsRequest(tenant_id=str(tenant_of(request)), actor=actor_of(request))
    )
    return [setting_of(s) for s in reply.settings]


async def one(request: Request[Any, Any, Any], key: str) -> Setting:
    """One key (404 for a key the catalogue does not have)."""
    for setting in await settings(request):
        if setting.key == key:
            return setting
    raise Problem(404, f"there is no setting called {key!r}")


async def update(request: Request[Any, Any, Any], key: str, value: Any) -> Setting:
    """Store ``value`` (any JSON; the core wants an object) for ``key``; None deletes it (defaults apply).
    A grpc INVALID_ARGUMENT names the path inside the value that the workers could not use."""
    _check(value)
    _storable(key, "key")
    text = "" if value is None else json.dumps(value, ensure_ascii=False)
    reply = await _stub(request).UpdateSetting(
        settings_pb2.UpdateSettingRequest(
            tenant_id=str(tenant_of(request)), key=key, value=text, actor=actor_of(request)
        )
    )
    return setting_of(reply.setting)


async def update_text(request: Request[Any, Any, Any], key: str, text: str) -> Setting:
    """Store the JSON text as typed in the editor ("" deletes); the core names what is wrong with it."""
    _storable(text)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        pass  # not JSON the portal can read: the core says what is wrong with it
    else:
        _check(parsed)  # escapes such as \\u0000 too
    reply = await _stub(request).UpdateSetting(
        settings_pb2.UpdateSettingRequest(
            tenant_id=str(tenant_of(request)), key=key, value=text.strip(), actor=actor_of(request)
        )
    )
    return setting_of(reply.setting)
