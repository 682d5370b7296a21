"""ShipStation V1 wire formats: Pacific local time without offset, money as JSON numbers.

Internally every instant is an aware UTC ``datetime``; conversion to and from US Pacific happens only here.

Output: ``2015-06-29T08:46:27.0000000`` (America/Los_Angeles wall time, 7 fractional digits, no offset);
``shipDate``/``holdUntilDate`` are date-only strings (``2015-06-29``).

Input (query filters and order bodies) is read as Pacific wall time when it carries no offset. Accepted forms,
as ASP.NET's invariant-culture ``DateTime`` binding accepts them:

    2015-01-01 00:00:00        2015-01-01T00:00:00        2015-01-01T00:00:00.1234567
    2015-01-01                 2015-01-01T08:00:00Z       2015-01-01T00:00:00-08:00
    1/1/2015 12:00:00 AM       01/01/2015 13:05           1/1/2015

A value with ``Z`` or an offset names an instant and is converted, as ASP.NET converts it to server-local time.

Wall times that name two instants or none resolve by the bound's role, so that an inclusive window never
loses a record around a DST switch: a *Start* bound takes the earlier reading and an *End* bound the later.

- the repeated 01:00-01:59 on the November fall-back day: Start = the PDT instant, End = the PST instant;
- the missing 02:00-02:59 on the March spring-forward day: Start ``02:30`` = 01:30 PST, End ``02:30`` =
  03:30 PDT.

Values in order bodies (``orderDate``...) take the pre-transition offset (Python's ``fold=0``): the PDT
instant in the fall-back hour, and ``02:30`` in the spring gap means 03:30 PDT.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

Role = Literal["start", "end", "value"]

_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,7}))?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_US = re.compile(
    r"^(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"
    r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>AM|PM)?)?$",
    re.IGNORECASE,
)


class BadValue(ValueError):
    """A value the API's model binder would refuse."""


# ----------------------------------------------------------------------------------------------- output
def pacific(moment: datetime | None) -> str | None:
    """An instant as ShipStation prints it: Pacific wall time, 7 fractional digits, no offset."""
    if moment is None:
        return None
    try:
        local = moment.astimezone(PACIFIC)
    except OverflowError:  # 0001-01-01 in UTC has no Pacific wall time in Python's range
        local = moment
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}T{local.hour:02d}:{local.minute:02d}:"
        f"{local.second:02d}.{local.microsecond:06d}0"
    )


def pacific_date(moment: datetime | None) -> str | None:
    """The Pacific calendar date of an instant, ``YYYY-MM-DD``."""
    if moment is None:
        return None
    try:
        return moment.astimezone(PACIFIC).date().isoformat()
    except OverflowError:
        return moment.date().isoformat()


def today_pacific(now: datetime) -> date:
    return now.astimezone(PACIFIC).date()


def money(value: Decimal | None) -> float | None:
    """Money goes out as a JSON number (ShipStation prints decimals, never strings)."""
    return None if value is None else float(value)


# ------------------------------------------------------------------------------------------------ input
def parse_datetime(text: str, role: Role = "value") -> datetime:
    """A filter or body datetime as an aware UTC instant; ``BadValue`` if the binder would refuse it."""
    raw = text.strip()
    m = _ISO.match(raw)
    if m:
        parts = m.groupdict()
        fraction = (parts["f"] or "").ljust(6, "0")[:6]
        tz = parts["tz"]
    else:
        m = _US.match(raw)
        if not m:
            raise BadValue(text)
        parts = m.groupdict()
        fraction, tz = "0", None
        hour = int(parts["h"] or 0)
        ampm = (parts.get("ampm") or "").upper()
        if ampm:
            if not 1 <= hour <= 12:
                raise BadValue(text)
            hour = hour % 12 + (12 if ampm == "PM" else 0)
        parts["h"] = str(hour)
    try:
        wall = datetime(  # noqa: DTZ001 - a Pacific wall time, zoned below
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int(fraction or 0),
        )
    except ValueError as exc:
        raise BadValue(text) from exc
    try:
        if tz:
            if tz.upper() == "Z":
                return wall.replace(tzinfo=UTC)
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return (wall - sign * offset).replace(tzinfo=UTC)
        return from_pacific_wall(wall, role)
    except OverflowError:
        # .NET's DateTime range is years 1-9999; at its edges the shift to UTC leaves Python's range
        return datetime.max.replace(tzinfo=UTC) if wall.year > 5000 else datetime.min.replace(tzinfo=UTC)


def from_pacific_wall(wall: datetime, role: Role = "value") -> datetime:
    """A naive Pacific wall time as a UTC instant; in the DST fold or gap a start bound takes the earlier
    reading and an end bound the later one, a body value the pre-transition offset (``fold=0``)."""
    first = wall.replace(tzinfo=PACIFIC, fold=0).astimezone(UTC)
    if role == "value":
        return first
    second = wall.replace(tzinfo=PACIFIC, fold=1).astimezone(UTC)
    return min(first, second) if role == "start" else max(first, second)


def parse_date(text: str) -> date:
    """A date-only value (``shipDate``, ``holdUntilDate``); a full datetime is cut to its date."""
    raw = text.strip()
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        pass
    try:
        return parse_datetime(raw).astimezone(PACIFIC).date()
    except BadValue:
        raise BadValue(text) from None


def parse_money(value: Any) -> Decimal | None:
    """A money field from a body: numbers or numeric strings (Json.NET coerces both); null stays null."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadValue(str(value))
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadValue(str(value)) from exc
    if not amount.is_finite():
        raise BadValue(str(value))
    return amount


def parse_number(value: Any) -> float | None:
    """A measurement (weight, dimensions): number or numeric string."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadValue(str(value))
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise BadValue(str(value)) from exc
    if not math.isfinite(number):
        raise BadValue(str(value))
    return number


def parse_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadValue(str(value))
    if isinstance(value, float):
        if not value.is_integer():
            raise BadValue(str(value))
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise BadValue(str(value)) from exc


def parse_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise BadValue(str(value))
