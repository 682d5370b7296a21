"""Running a list endpoint: searchCriteria over an entity's rows, then the page serialized in full.

Also Magento's partial responses: ``?fields=items[entity_id,increment_id,items[sku]],total_count`` keeps
only the named keys (nested lists filtered element by element), on any endpoint.

An unknown filter or sort field fails the way the entity's storage does: sales and inventory grids are
flat tables, where MySQL refuses the column (500 with a report id, as production mode answers); the
catalog is EAV, which refuses an unknown attribute in a filter with 400 and ignores it in a sort.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from sandbox.kit import SandboxError
from sandbox.magento import errors
from sandbox.magento import search as sc
from sandbox.magento.routing import Call

Unknown = Literal["sql", "eav"]


def criteria(call: Call) -> sc.Criteria:
    if not sc.has_criteria(call.query):
        raise errors.required("searchCriteria")
    s = call.store.settings
    try:
        return sc.parse(call.query, sc.Limits(s.input_limits, s.max_page_size, s.default_page_size))
    except sc.SearchError as exc:
        raise errors.magento_error(400, exc.message, exc.parameters) from None


def run(
    call: Call,
    records: Iterable[Any],
    row: Callable[[Any], dict[str, Any]],
    full: Callable[[Any], dict[str, Any]],
    *,
    unknown: Unknown = "sql",
    extra_columns: Iterable[str] = (),
) -> dict[str, Any]:
    crit = criteria(call)
    pairs = [(r, row(r)) for r in records]
    known = set(extra_columns)
    for _, data in pairs[:1]:
        known.update(data)
    if pairs:
        bad = sc.unknown_fields(crit, known)
        if unknown == "sql" and bad:
            raise SandboxError(500, errors.internal_error())
        if unknown == "eav":
            filter_names = {f.field for g in crit.groups for f in g}
            bad_filters = [b for b in bad if b in filter_names]
            if bad_filters:
                raise errors.magento_error(400, "Invalid attribute name: %1", [bad_filters[0]])
    page = sc.search(
        [data | {"__record": rec} for rec, data in pairs],
        crit,
        repeat_last_page=call.store.settings.repeat_last_page,
    )
    return {
        "items": [full(entry["__record"]) for entry in page.items],
        "search_criteria": crit.echo(),
        "total_count": page.total_count,
    }


# ------------------------------------------------------------------ partial responses (?fields=)

FieldTree = dict[str, "FieldTree | None"]


def parse_fields(spec: str) -> FieldTree:
    """``a,b[c,d[e]]`` → ``{"a": None, "b": {"c": None, "d": {"e": None}}}``."""
    tree, _ = _parse(spec, 0)
    return tree


def _parse(spec: str, i: int) -> tuple[FieldTree, int]:
    tree: FieldTree = {}
    name = ""
    while i < len(spec):
        ch = spec[i]
        if ch == "[":
            sub, i = _parse(spec, i + 1)
            if name.strip():
                tree[name.strip()] = sub
            name = ""
        elif ch == "]":
            if name.strip():
                tree[name.strip()] = None
            return tree, i + 1
        elif ch == ",":
            if name.strip():
                tree[name.strip()] = None
            name = ""
            i += 1
        else:
            name += ch
            i += 1
    if name.strip():
        tree[name.strip()] = None
    return tree, i


def apply_fields(value: Any, tree: FieldTree) -> Any:
    if isinstance(value, list):
        return [apply_fields(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        if key in value:
            out[key] = value[key] if sub is None else apply_fields(value[key], sub)
    return out
