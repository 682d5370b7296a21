"""OAuth scopes: ``ZohoInventory.salesorders.CREATE``, ``ZohoBooks.fullaccess.all`` and friends.

A scope is ``<service>.<module>.<operation>``; ``FullAccess`` covers every module and ``ALL`` every
operation. Names compare case-insensitively, as Zoho's do.
"""

from __future__ import annotations

from collections.abc import Iterable

SERVICES = {"inventory": "zohoinventory", "books": "zohobooks"}


def allows(scopes: Iterable[str], product: str, module: str | None, operation: str) -> bool:
    """Whether the scopes cover ``operation`` on ``module`` of ``product`` (module None: any scope of it)."""
    service = SERVICES[product]
    for scope in scopes:
        parts = scope.strip().lower().split(".")
        if len(parts) < 2 or parts[0] != service:
            continue
        if module is None:
            return True
        scope_module = parts[1]
        scope_op = parts[2] if len(parts) > 2 else "all"
        if scope_module not in ("fullaccess", module.lower()):
            continue
        if scope_op in ("all", operation.lower()):
            return True
    return False
