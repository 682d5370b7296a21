"""Unit tests of the pure searchCriteria module (no server)."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.magento import search as sc
from sandbox.magento.listing import apply_fields, parse_fields

ROWS: list[dict[str, Any]] = [
    {"entity_id": 1, "status": "pending", "grand_total": 100.0, "created_at": "2024-01-01 10:00:00", "tags": "a,b"},
    {"entity_id": 2, "status": "Processing", "grand_total": 250.5, "created_at": "2024-01-02 10:00:00", "tags": "b"},
    {"entity_id": 3, "status": "complete", "grand_total": 99.99, "created_at": "2024-01-03 10:00:00", "tags": None},
    {"entity_id": 10, "status": "canceled", "grand_total": 10.0, "created_at": "2024-01-04 10:00:00", "tags": "c"},
]


def q(**groups: Any) -> list[tuple[str, str]]:
    return list(groups.items())


def crit(pairs: dict[str, str], limits: sc.Limits | None = None) -> sc.Criteria:
    return sc.parse(pairs.items(), limits)


def ids(pairs: dict[str, str]) -> list[int]:
    return [r["entity_id"] for r in sc.search(ROWS, crit(pairs)).items]


def f(g: int, i: int, field: str, value: str | None = None, cond: str | None = None) -> dict[str, str]:
    base = f"searchCriteria[filter_groups][{g}][filters][{i}]"
    out = {f"{base}[field]": field}
    if value is not None:
        out[f"{base}[value]"] = value
    if cond is not None:
        out[f"{base}[condition_type]"] = cond
    return out


def test_filters_in_one_group_are_ored_and_groups_are_anded() -> None:
    either = f(0, 0, "status", "pending") | f(0, 1, "status", "complete")
    assert ids(either) == [1, 3]
    assert ids(either | f(1, 0, "grand_total", "100", "gteq")) == [1]


@pytest.mark.parametrize(
    ("cond", "value", "expected"),
    [
        ("eq", "processing", [2]),  # case-insensitive, like MySQL's default collation
        ("neq", "pending", [2, 3, 10]),
        ("gt", "99.99", [1, 2]),
        ("gteq", "99.99", [1, 2, 3]),
        ("moreq", "100", [1, 2]),
        ("lt", "100", [3, 10]),
        ("lteq", "100", [1, 3, 10]),
        ("from", "2024-01-02 00:00:00", [2, 3, 10]),
        ("to", "2024-01-02 10:00:00", [1, 2]),
        ("like", "%cess%", [2]),
        ("like", "c_mplete", [3]),
        ("nlike", "%e%", []),
        ("in", "pending,canceled", [1, 10]),
        ("nin", "pending, canceled", [2, 3]),
        ("finset", "b", [1, 2]),
        ("nfinset", "b", [10]),
        ("bogus", "complete", [3]),  # unknown operators fall back to equality
    ],
)
def test_each_operator(cond: str, value: str, expected: list[int]) -> None:
    field = {
        "gt": "grand_total",
        "gteq": "grand_total",
        "moreq": "grand_total",
        "lt": "grand_total",
        "lteq": "grand_total",
        "from": "created_at",
        "to": "created_at",
        "finset": "tags",
        "nfinset": "tags",
    }.get(cond, "status")
    assert ids(f(0, 0, field, value, cond)) == expected


def test_null_and_notnull_ignore_the_value() -> None:
    assert ids(f(0, 0, "tags", cond="null")) == [3]
    assert ids(f(0, 0, "tags", "whatever", "notnull")) == [1, 2, 10]


def test_numbers_compare_numerically_not_as_text() -> None:
    assert ids(f(0, 0, "entity_id", "9", "gt")) == [10]


def test_sort_orders_apply_in_turn_and_default_to_ascending() -> None:
    pairs = {"searchCriteria[sortOrders][0][field]": "grand_total", "searchCriteria[sortOrders][0][direction]": "desc"}
    assert ids(pairs) == [2, 1, 3, 10]
    assert ids({"searchCriteria[sortOrders][0][field]": "entity_id"}) == [1, 2, 3, 10]


def test_bad_sort_direction_is_refused() -> None:
    with pytest.raises(sc.SearchError) as exc:
        crit({"searchCriteria[sortOrders][0][field]": "x", "searchCriteria[sortOrders][0][direction]": "UP"})
    assert exc.value.parameters == ["UP", "ASC", "DESC"]


def test_pages_are_one_based_and_past_the_end_repeats_the_last_page() -> None:
    pairs = {"searchCriteria[pageSize]": "3", "searchCriteria[currentPage]": "2"}
    page = sc.search(ROWS, crit(pairs))
    assert [r["entity_id"] for r in page.items] == [10] and page.total_count == 4
    beyond = crit({"searchCriteria[pageSize]": "3", "searchCriteria[currentPage]": "9"})
    assert [r["entity_id"] for r in sc.search(ROWS, beyond).items] == [10]
    assert sc.search(ROWS, beyond, repeat_last_page=False).items == []


def test_non_numeric_page_size_names_the_value_and_type() -> None:
    with pytest.raises(sc.SearchError) as exc:
        crit({"searchCriteria[pageSize]": "ten"})
    assert exc.value.parameters == {"value": "ten", "type": "int"}


def test_input_limits_cap_page_size_and_default_it() -> None:
    limits = sc.Limits(enabled=True)
    with pytest.raises(sc.SearchError) as exc:
        crit({"searchCriteria[pageSize]": "301"}, limits)
    assert exc.value.message == "Maximum SearchCriteria pageSize is %max" and exc.value.parameters == {"max": 300}
    assert crit({"searchCriteria[currentPage]": "1"}, limits).page_size == 20
    assert crit({"searchCriteria[pageSize]": "500"}).page_size == 500


def test_filter_without_field_is_a_required_field_error() -> None:
    with pytest.raises(sc.SearchError) as exc:
        crit({"searchCriteria[filter_groups][0][filters][0][value]": "x"})
    assert exc.value.parameters == {"fieldName": "field"}


def test_echo_keeps_defaults_and_omits_unset_parts() -> None:
    c = crit(f(0, 0, "status", "pending") | {"searchCriteria[pageSize]": "5"})
    assert c.echo() == {
        "filter_groups": [{"filters": [{"field": "status", "value": "pending", "condition_type": "eq"}]}],
        "page_size": 5,
    }


def test_group_indexes_sort_numerically_not_as_text() -> None:
    pairs: dict[str, str] = {}
    for i in range(11):
        pairs |= f(0, i, "entity_id", str(i))
    c = crit(pairs)
    assert [flt.value for flt in c.groups[0]] == [str(i) for i in range(11)]


def test_partial_response_fields() -> None:
    tree = parse_fields("items[entity_id,items[sku]],total_count")
    body = {"items": [{"entity_id": 1, "x": 2, "items": [{"sku": "A", "qty": 1}]}], "total_count": 1, "extra": 0}
    assert apply_fields(body, tree) == {"items": [{"entity_id": 1, "items": [{"sku": "A"}]}], "total_count": 1}


def test_date_filters_accept_date_only_and_iso_offsets_like_mysql() -> None:
    assert ids(f(0, 0, "created_at", "2024-01-03", "gteq")) == [3, 10]
    assert ids(f(0, 0, "created_at", "2024-01-02T15:30:00+05:30", "eq")) == [2]
    assert ids(f(0, 0, "created_at", "2024-01-02T10:00:00Z", "lteq")) == [1, 2]
