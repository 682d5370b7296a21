"""Zoho's wire formats: long digit-string ids, org-zone timestamps, dates, money and the JSON body."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
LIMIT = Decimal("1e15")
"""Amounts and quantities at or above this are refused (Zoho's fields hold 15 digits before the point)."""
_ID = re.compile(r"^\d{1,25}$")


def timestamp(moment: datetime, tz: str) -> str:
    """``2026-01-07T12:06:10+0530``: the org's zone, offset without a colon."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M:%S%z")


def day(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")


def parse_timestamp(text: str) -> datetime | None:
    """Zoho's own form or ISO 8601; a ``+`` that a query string turned into a space is put back."""
    text = text.strip().replace(" ", "+")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def parse_date(value: Any) -> str | None:
    """A ``yyyy-mm-dd`` date or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        return None


def money(value: Any) -> Decimal | None:
    """A number or numeric string as Decimal; None for anything else (booleans included)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        result = Decimal(str(value))
    elif isinstance(value, str) and value.strip():
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() and abs(result) < LIMIT else None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def as_id(value: Any) -> str | None:
    """Ids arrive as strings or (too large for doubles) JSON numbers; both become digit strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _ID.match(value.strip()):
        return value.strip()
    return None


def number(prefix: str, n: int, width: int) -> str:
    return f"{prefix}{n:0{width}d}"


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            # Zoho sends amounts and quantities as JSON numbers.
            exponent = o.as_tuple().exponent
            return int(o) if isinstance(exponent, int) and exponent >= 0 else float(o)
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def dumps(data: Any) -> bytes:
    return json.dumps(data, cls=_Encoder, ensure_ascii=False, separators=(",", ":")).encode()


def plain(data: Any) -> Any:
    """The record as plain JSON types (Decimals become numbers), for admin views and webhook bodies."""
    return json.loads(dumps(data))
