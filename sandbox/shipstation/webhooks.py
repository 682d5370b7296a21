"""V1 webhooks: subscriptions, their list shape, and the thin deliveries ShipStation sends.

A delivery is ``POST <target_url>`` with JSON ``{"resource_url": ..., "resource_type": <event>}`` and nothing
else: no signature, no auth header. ``resource_url`` points back into this simulator and answers with the
merchant's Basic credentials (and counts against its rate limit), as on ssapi.shipstation.com:

    ORDER_NOTIFY / ITEM_ORDER_NOTIFY / FULFILLMENT_REJECTED  {base}/orders?importBatch=<guid>
    SHIP_NOTIFY / FULFILLMENT_SHIPPED                        {base}/shipments?batchId=<n>&includeShipmentItems=False
    ITEM_SHIP_NOTIFY                                         {base}/shipments?batchId=<n>&includeShipmentItems=True

A subscription with ``store_id`` receives only batches that touch that store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sandbox.shipstation import catalog
from sandbox.shipstation.state import Account, Ids, Webhook


@dataclass(frozen=True)
class Notice:
    """One delivery to make: where, which event, and the body."""

    url: str
    event: str
    body: str


class SubscribeInvalid(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def subscribe(account: Account, ids: Ids, body: Any) -> Webhook:
    if not isinstance(body, dict):
        raise SubscribeInvalid("", "The request body must be a subscription object.")
    url = body.get("target_url")
    if not isinstance(url, str) or not url.strip():
        raise SubscribeInvalid("target_url", "The target_url field is required.")
    parsed = urlsplit(url.strip())
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise SubscribeInvalid("target_url", "The target_url field is not a valid fully-qualified URL.")
    event = body.get("event")
    if event is None:
        raise SubscribeInvalid("event", "The event field is required.")
    if event not in catalog.WEBHOOK_EVENTS:
        raise SubscribeInvalid("event", f"The value '{event}' is not valid for event.")
    store_id = body.get("store_id")
    if store_id is not None:
        if isinstance(store_id, bool) or not isinstance(store_id, int | str) or not str(store_id).isdigit():
            raise SubscribeInvalid("store_id", f"The value '{store_id}' is not valid for store_id.")
        store_id = int(store_id)
        if store_id not in account.stores:
            raise SubscribeInvalid("store_id", f"Invalid store_id: {store_id}.")
    name = body.get("friendly_name")
    hook = Webhook(next(ids.webhook), event, url.strip(), store_id, None if name is None else str(name))
    account.webhooks[hook.webhook_id] = hook
    return hook


def render(hook: Webhook, account: Account) -> dict[str, Any]:
    return {
        "IsLabelAPIHook": False,
        "WebHookID": hook.webhook_id,
        "SellerID": account.seller_id,
        "StoreID": hook.store_id,
        "HookType": hook.event,
        "MessageFormat": "Json",
        "Url": hook.url,
        "Name": hook.name,
        "BulkCopyBatchID": None,
        "BulkCopyRecordID": None,
        "Active": hook.active,
        "WebhookLogs": [],
        "Seller": None,
        "Store": None,
    }


def resource_url(base: str, event: str, batch: str | int) -> str:
    return base + catalog.RESOURCE_PATHS[event].format(batch=batch)


def payload(url: str, event: str) -> str:
    """The whole delivery body: nothing but where to fetch the data and which event it was."""
    return json.dumps({"resource_url": url, "resource_type": event})


def body(base: str, event: str, batch: str | int) -> str:
    return payload(resource_url(base, event, batch), event)


def notices(
    account: Account, base: str, events: Iterable[str], batch: str | int, stores: set[int | None]
) -> list[Notice]:
    """Deliveries owed to the account's subscriptions for one batch touching ``stores``."""
    wanted = set(events)
    return [
        Notice(hook.url, hook.event, body(base, hook.event, batch))
        for hook in account.webhooks.values()
        if hook.active and hook.event in wanted and (hook.store_id is None or hook.store_id in stores)
    ]
