"""Shiprocket's many time and money formats (all times IST), and small parsers for what clients send."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

IST = timezone(timedelta(hours=5, minutes=30), "IST")
IST_NAME = "Asia/Kolkata"
PAISA = Decimal("0.01")


def ist(at: datetime) -> datetime:
    return at.astimezone(IST)


def scan_time(at: datetime) -> str:
    """Scans, tracking and webhook dates: ``2022-07-19 11:37:00``."""
    return ist(at).strftime("%Y-%m-%d %H:%M:%S")


def webhook_timestamp(at: datetime) -> str:
    """Webhook ``current_timestamp``: ``23 05 2023 11:43:52``."""
    return ist(at).strftime("%d %m %Y %H:%M:%S")


def etd_date(at: datetime) -> str:
    """Serviceability ``etd``: ``Jul 01, 2024``."""
    return ist(at).strftime("%b %d, %Y")


def list_time(at: datetime) -> str:
    """Order list ``created_at``: ``31 Jul 2019, 03:03 PM``."""
    return ist(at).strftime("%d %b %Y, %I:%M %p")


def show_time(at: datetime) -> str:
    """Order detail ``created_at``: ``21 Sep 2022 05:28 PM``."""
    return ist(at).strftime("%d %b %Y %I:%M %p")


def show_date(at: datetime) -> str:
    """Order detail ``order_date``: ``21 Sep 2022``."""
    return ist(at).strftime("%d %b %Y")


def ordinal_time(at: datetime) -> str:
    """Shipment ``created_at`` inside an order: ``21st Sep 2022 05:28 PM``."""
    local = ist(at)
    day = local.day
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix} {local.strftime('%b %Y %I:%M %p')}"


def php_date(at: datetime) -> dict[str, Any]:
    """PHP DateTime as JSON: ``{"date": "2022-11-25 11:17:52.878599", "timezone_type": 3, ...}``."""
    return {"date": ist(at).strftime("%Y-%m-%d %H:%M:%S.%f"), "timezone_type": 3, "timezone": IST_NAME}


def money(value: Decimal) -> str:
    """Decimal-string amounts: ``"186895.00"``."""
    return str(value.quantize(PAISA, rounding=ROUND_HALF_UP))


def number(value: Decimal) -> float | int:
    """Amounts the API sends as JSON numbers (integers stay integers)."""
    q = value.quantize(PAISA, rounding=ROUND_HALF_UP)
    return int(q) if q == q.to_integral_value() else float(q)


LARGEST = Decimal(10) ** 12
"""Beyond this no amount, weight or id is plausible (and paisa arithmetic would overflow the context)."""


def to_decimal(value: Any) -> Decimal | None:
    """A number or numeric string as Decimal; None when it is not one (or is absurdly large)."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        return None
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return result if result.is_finite() and abs(result) < LARGEST else None


def parse_order_date(value: Any) -> datetime | None:
    """``yyyy-mm-dd``, ``yyyy-mm-dd HH:MM`` or ``yyyy-mm-dd HH:MM:SS`` (IST)."""
    if not isinstance(value, str):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=IST)
        except ValueError:
            continue
    return None


def parse_day(value: str) -> date | None:
    """Filter dates: ``2025-May-01`` (remittance docs) or ``2025-05-01``."""
    for fmt in ("%Y-%b-%d", "%Y-%m-%d", "%Y-%B-%d"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=IST).date()
        except ValueError:
            continue
    return None


def parse_admin_time(value: Any, default: datetime) -> datetime:
    """Admin ``at`` values: ISO 8601 (naive means IST)."""
    if not value:
        return default
    parsed = datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=IST) if parsed.tzinfo is None else parsed.astimezone(UTC)


PIN_RE = re.compile(r"^[1-8]\d{5}$")
PHONE_RE = re.compile(r"^(\+?91)?[6-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_pin(value: Any) -> bool:
    return PIN_RE.match(str(value).strip()) is not None if value is not None else False


def is_phone(value: Any) -> bool:
    return value is not None and PHONE_RE.match(str(value).strip().replace(" ", "")) is not None


def is_email(value: Any) -> bool:
    return isinstance(value, str) and EMAIL_RE.match(value.strip()) is not None
