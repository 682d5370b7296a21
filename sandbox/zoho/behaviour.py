"""The behaviour hooks a resource can add to the generic engine, and the context they run in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.zoho import errors
from sandbox.zoho.catalogue import Resource
from sandbox.zoho.formats import day, timestamp
from sandbox.zoho.model import Org


@dataclass
class Ctx:
    """One API call: the organisation, the product called, its query and headers, and sandbox 'now'."""

    org: Org
    product: str
    query: dict[str, str]
    headers: dict[str, str]
    now: datetime
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(entity, event, record) to send to the organisation's webhooks once the call succeeded."""

    def ts(self) -> str:
        return timestamp(self.now, self.org.time_zone)

    def today(self) -> str:
        return day(self.now, self.org.time_zone)

    def emit(self, entity: str, event: str, record: dict[str, Any]) -> None:
        self.events.append((entity, event, record))

    def record(self, table: str, record_id: str | None, label: str) -> dict[str, Any]:
        found = self.org.table(table).get(record_id or "")
        if found is None:
            raise errors.not_found(label)
        return found

    def primary_location(self) -> dict[str, Any]:
        locations = list(self.org.table("locations").values())
        return next((loc for loc in locations if loc.get("is_primary")), locations[0])

    def location(self, location_id: Any) -> dict[str, Any]:
        if location_id in (None, ""):
            return self.primary_location()
        found = self.org.table("locations").get(str(location_id))
        if found is None:
            raise errors.invalid("location_id")
        return found


class Behaviour:
    """No-op defaults; a resource's behaviour overrides what it needs."""

    priced_lines = False
    """Line items carry item, rate and quantity (the engine normalises them and checks items)."""

    def prepare(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], body: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        """Validate and compute after the generic merge (``before`` is None on create)."""

    def created(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        ctx.emit(res.singular, "created", record)

    def updated(self, ctx: Ctx, res: Resource, record: dict[str, Any], before: dict[str, Any]) -> None:
        ctx.emit(res.singular, "updated", record)

    def before_delete(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        pass

    def deleted(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> None:
        ctx.emit(res.singular, "deleted", record)

    def before_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        pass

    def after_action(self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str) -> None:
        ctx.emit(res.singular, name, record)

    def render(self, ctx: Ctx, res: Resource, record: dict[str, Any]) -> dict[str, Any]:
        return record

    def sub(
        self, ctx: Ctx, res: Resource, record: dict[str, Any], name: str, method: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        raise errors.ZohoError(404, "invalid_url", "Invalid URL Passed")


def positive(value: Any, field_name: str) -> Decimal:
    from sandbox.zoho.formats import money

    amount = money(value)
    if amount is None or amount <= 0:
        raise errors.invalid(field_name)
    return amount
