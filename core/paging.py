"""Page tokens for keyset pagination: the sort key of a page's last row, opaque to callers (pure)."""

from __future__ import annotations

import base64
import json

from core.errors import InvalidArgument

DEFAULT_PAGE = 50
MAX_PAGE = 200


def page_size(requested: int) -> int:
    """The requested size within 1..MAX_PAGE (DEFAULT_PAGE when unset)."""
    return min(max(requested or DEFAULT_PAGE, 1), MAX_PAGE)


def encode(*key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode(token: str, parts: int) -> list[str]:
    """The key ``encode`` put in the token; INVALID_ARGUMENT naming ``page_token`` for anything else."""
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, list) or len(key) != parts or not all(isinstance(k, str) for k in key):
        raise InvalidArgument.one("page_token", "is not a token this service issued")
    return key
