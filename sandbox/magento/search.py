"""Magento's ``searchCriteria``: parse the bracketed query string, apply it to records, shape the result.

Pure functions, shared by every list endpoint (orders, order items, invoices, shipments, credit memos,
products, MSI source items, sources).

    searchCriteria[filter_groups][G][filters][F][field|value|condition_type]
    searchCriteria[sortOrders][S][field|direction]
    searchCriteria[pageSize] / searchCriteria[currentPage]  (1-based)

Filters inside one group are OR-ed; groups are AND-ed. Values compare the way MySQL would under a
case-insensitive collation: numerically when both sides are numbers, else as text ignoring case.
An unknown ``condition_type`` falls back to equality, as Magento's SQL condition builder does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

PREFIX = "searchCriteria"

OPERATORS: tuple[str, ...] = (
    "eq",
    "neq",
    "gt",
    "gteq",
    "lt",
    "lteq",
    "moreq",
    "like",
    "nlike",
    "in",
    "nin",
    "finset",
    "nfinset",
    "from",
    "to",
    "null",
    "notnull",
)


class SearchError(Exception):
    """Bad searchCriteria input; ``message`` keeps Magento's %placeholders, ``parameters`` fills them."""

    def __init__(self, message: str, parameters: dict[str, Any] | list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameters = parameters


@dataclass(frozen=True)
class Filter:
    field: str
    value: str | None
    condition_type: str = "eq"

    def echo(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field}
        if self.value is not None:
            out["value"] = self.value
        out["condition_type"] = self.condition_type
        return out


@dataclass(frozen=True)
class SortOrder:
    field: str
    direction: str = "ASC"


@dataclass(frozen=True)
class Criteria:
    groups: tuple[tuple[Filter, ...], ...] = ()
    sort_orders: tuple[SortOrder, ...] | None = None
    page_size: int | None = None
    current_page: int | None = None

    def echo(self) -> dict[str, Any]:
        """The ``search_criteria`` block of a search result (unset parts omitted, as Magento does)."""
        out: dict[str, Any] = {"filter_groups": [{"filters": [f.echo() for f in g]} for g in self.groups]}
        if self.sort_orders is not None:
            out["sort_orders"] = [{"field": s.field, "direction": s.direction} for s in self.sort_orders]
        if self.page_size is not None:
            out["page_size"] = self.page_size
        if self.current_page is not None:
            out["current_page"] = self.current_page
        return out


@dataclass(frozen=True)
class Limits:
    """Magento 2.4.3+ "input limits" (Stores > Configuration > Services > Web API Input Limits)."""

    enabled: bool = False
    max_page_size: int = 300
    default_page_size: int = 20


@dataclass
class Page:
    items: list[dict[str, Any]]
    total_count: int
    criteria: Criteria
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"items": self.items, "search_criteria": self.criteria.echo(), "total_count": self.total_count}


_KEY = re.compile(r"\[([^\[\]]*)\]")


def _path(key: str) -> list[str] | None:
    """``searchCriteria[a][0][b]`` → ``["a", "0", "b"]``; None for keys that are not search criteria."""
    if not key.startswith(PREFIX):
        return None
    rest = key[len(PREFIX) :]
    parts = _KEY.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest:
        return None
    return parts


def has_criteria(params: Iterable[tuple[str, str]]) -> bool:
    return any(k == PREFIX or k.startswith(PREFIX + "[") for k, _ in params)


def _as_int(value: str, *, name: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise SearchError(
            'The "%value" value\'s type is invalid. The "%type" type was expected. Verify and try again.',
            {"value": value, "type": "int"},
        ) from None


def parse(params: Iterable[tuple[str, str]], limits: Limits | None = None) -> Criteria:
    """Build the criteria from query pairs (later duplicates win, as PHP's query parsing does)."""
    limits = limits or Limits()
    tree: dict[str, Any] = {}
    for key, value in params:
        path = _path(key)
        if not path:
            continue
        node = tree
        for part in path[:-1]:
            nxt = node.get(part)
            if not isinstance(nxt, dict):
                nxt = {}
                node[part] = nxt
            node = nxt
        node[path[-1]] = value

    groups: list[tuple[Filter, ...]] = []
    for _, group in _ordered(tree.get("filter_groups") or tree.get("filterGroups")):
        filters: list[Filter] = []
        if not isinstance(group, dict):
            continue
        for _, spec in _ordered(group.get("filters")):
            if not isinstance(spec, dict):
                continue
            name = spec.get("field")
            if not isinstance(name, str) or not name:
                raise SearchError('"%fieldName" is required. Enter and try again.', {"fieldName": "field"})
            raw_value = spec.get("value")
            cond = spec.get("condition_type") or spec.get("conditionType") or "eq"
            filters.append(Filter(name, raw_value if isinstance(raw_value, str) else None, str(cond).lower()))
        if filters:
            groups.append(tuple(filters))

    sort_orders: list[SortOrder] | None = None
    raw_sorts = tree.get("sortOrders", tree.get("sort_orders"))
    if raw_sorts is not None:
        sort_orders = []
        for _, spec in _ordered(raw_sorts):
            if not isinstance(spec, dict) or not spec.get("field"):
                continue
            direction = str(spec.get("direction") or "ASC").upper()
            if direction not in ("ASC", "DESC"):
                raise SearchError(
                    'Sort order "%1" is not supported. Set either "%2" or "%3" as the sort order.',
                    [spec.get("direction"), "ASC", "DESC"],
                )
            sort_orders.append(SortOrder(str(spec["field"]), direction))

    page_size = _scalar_int(tree, "pageSize", "page_size")
    current_page = _scalar_int(tree, "currentPage", "current_page")
    if limits.enabled:
        if page_size is None:
            page_size = limits.default_page_size
        if page_size > limits.max_page_size:
            raise SearchError("Maximum SearchCriteria pageSize is %max", {"max": limits.max_page_size})
    return Criteria(tuple(groups), None if sort_orders is None else tuple(sort_orders), page_size, current_page)


def _scalar_int(tree: dict[str, Any], *names: str) -> int | None:
    for name in names:
        raw = tree.get(name)
        if isinstance(raw, str) and raw.strip() != "":
            return _as_int(raw, name=name)
    return None


def _ordered(node: Any) -> list[tuple[str, Any]]:
    """Children of an array-like node in index order (numeric keys sorted numerically)."""
    if not isinstance(node, dict):
        return []

    def key(item: tuple[str, Any]) -> tuple[int, int, str]:
        k = item[0]
        return (0, int(k), "") if k.isdigit() else (1, 0, k)

    return sorted(node.items(), key=key)


# ------------------------------------------------------------------ matching

Getter = Callable[[Mapping[str, Any], str], Any]


def default_getter(record: Mapping[str, Any], name: str) -> Any:
    return record.get(name)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return None
        return d if d.is_finite() else None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).lower()


def compare(left: Any, right: str) -> int | None:
    """-1/0/1 comparing a stored value with a filter value, or None when the stored value is NULL."""
    if left is None:
        return None
    ln, rn = _number(left), _number(right)
    if ln is not None and rn is not None:
        return (ln > rn) - (ln < rn)
    lt, rt = _text(left), right.lower()
    if _DATETIME.fullmatch(lt):
        rt = _as_datetime_text(right) or rt
    return (lt > rt) - (lt < rt)


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _as_datetime_text(value: str) -> str | None:
    """A date or date-time filter value as MySQL casts it for a DATETIME column (UTC ``Y-m-d H:i:s``)."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def like_pattern(value: str) -> re.Pattern[str]:
    out = []
    escaped = False
    for ch in value:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _csv(value: str | None) -> list[str]:
    return [] if value is None else [v.strip() for v in value.split(",")]


def matches(record: Mapping[str, Any], f: Filter, get: Getter = default_getter) -> bool:
    stored = get(record, f.field)
    op = f.condition_type
    if op == "null":
        return stored is None
    if op == "notnull":
        return stored is not None
    if stored is None:
        return False
    if op in ("in", "nin"):
        hit = any(compare(stored, v) == 0 for v in _csv(f.value))
        return hit if op == "in" else not hit
    if op in ("finset", "nfinset"):
        members = [m.strip().lower() for m in str(stored).split(",")]
        hit = f.value is not None and f.value.lower() in members
        return hit if op == "finset" else not hit
    if f.value is None:
        return False
    if op in ("like", "nlike"):
        hit = like_pattern(f.value).fullmatch(_text(stored)) is not None
        return hit if op == "like" else not hit
    c = compare(stored, f.value)
    if c is None:
        return False
    return {
        "neq": c != 0,
        "gt": c > 0,
        "gteq": c >= 0,
        "moreq": c >= 0,
        "from": c >= 0,
        "lt": c < 0,
        "lteq": c <= 0,
        "to": c <= 0,
    }.get(op, c == 0)


def select(records: Iterable[Mapping[str, Any]], criteria: Criteria, get: Getter = default_getter) -> list[Any]:
    """The records that pass every group (each group: any of its filters)."""
    return [r for r in records if all(any(matches(r, f, get) for f in g) for g in criteria.groups)]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    n = _number(value)
    return (1, n) if n is not None else (2, _text(value))


def order(records: list[Any], criteria: Criteria, get: Getter = default_getter) -> list[Any]:
    """Sorted by each sort order in turn (stable; NULLs first ascending, as MySQL puts them)."""
    out = list(records)
    for s in reversed(criteria.sort_orders or ()):

        def key(record: Any, name: str = s.field) -> tuple[int, Any]:
            return _sort_key(get(record, name))

        out.sort(key=key, reverse=s.direction == "DESC")
    return out


def paginate(records: list[Any], criteria: Criteria, *, repeat_last_page: bool = True) -> list[Any]:
    """One page; past the end answers the last page again when ``repeat_last_page`` (Magento's habit)."""
    size = criteria.page_size
    if not size or size <= 0:
        return records
    page = max(1, criteria.current_page or 1)
    last = max(1, -(-len(records) // size))
    if page > last:
        if not repeat_last_page:
            return []
        page = last
    start = (page - 1) * size
    return records[start : start + size]


def search(
    records: Iterable[Mapping[str, Any]],
    criteria: Criteria,
    *,
    get: Getter = default_getter,
    repeat_last_page: bool = True,
) -> Page:
    hits = order(select(records, criteria, get), criteria, get)
    return Page(paginate(hits, criteria, repeat_last_page=repeat_last_page), len(hits), criteria)


def unknown_fields(criteria: Criteria, known: Iterable[str]) -> list[str]:
    """Fields a filter or sort names that the entity has no column for."""
    allowed = set(known)
    names = [f.field for g in criteria.groups for f in g] + [s.field for s in criteria.sort_orders or ()]
    return [n for n in names if n not in allowed]
