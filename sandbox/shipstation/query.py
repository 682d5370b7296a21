"""Reading V1 list queries: typed parameters, date windows, sorting and paging.

Parameter names are matched case-insensitively (ASP.NET model binding does); unknown parameters are ignored.
A value the binder cannot convert answers 400 ``The request is invalid.`` naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from starlette.datastructures import QueryParams

from sandbox.shipstation import catalog
from sandbox.shipstation.errors import ErrorStyle
from sandbox.shipstation.formats import BadValue, Role, parse_bool, parse_date, parse_datetime, parse_int

T = TypeVar("T")


class Query:
    """Case-insensitive typed access to a request's query string."""

    def __init__(self, params: QueryParams, errors: ErrorStyle) -> None:
        self._values: dict[str, tuple[str, str]] = {}
        for key, value in params.multi_items():
            self._values.setdefault(key.lower(), (key, value))
        self.errors = errors

    def text(self, name: str) -> str | None:
        found = self._values.get(name.lower())
        if found is None or found[1].strip() == "":
            return None
        return found[1]

    def integer(self, name: str) -> int | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return parse_int(raw)
        except BadValue:
            raise self.errors.bad_value(name, raw) from None

    def boolean(self, name: str) -> bool | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return parse_bool(raw)
        except BadValue:
            raise self.errors.bad_value(name, raw) from None

    def moment(self, name: str, role: Role) -> datetime | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return parse_datetime(raw, role)
        except BadValue:
            raise self.errors.bad_value(name, raw) from None

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return parse_date(raw)
        except BadValue:
            raise self.errors.bad_value(name, raw) from None

    def choice(self, name: str, options: Sequence[str]) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        for option in options:
            if option.lower() == raw.strip().lower():
                return option
        raise self.errors.bad_value(name, raw)

    def window(self, prefix: str) -> Window:
        """``<prefix>Start``/``<prefix>End`` as an inclusive window of instants."""
        return Window(self.moment(prefix + "Start", "start"), self.moment(prefix + "End", "end"))

    def day_window(self, prefix: str) -> DayWindow:
        return DayWindow(self.day(prefix + "Start"), self.day(prefix + "End"))

    def page(self) -> Page:
        page = self.integer("page")
        size = self.integer("pageSize")
        if size is not None and size < 1:
            raise self.errors.bad_field("pageSize", "The field pageSize must be between 1 and 500.")
        return Page(max(1, page or 1), min(catalog.MAX_PAGE_SIZE, size or catalog.DEFAULT_PAGE_SIZE))

    def sort(self, keys: dict[str, str]) -> Sort:
        by_raw = self.text("sortBy")
        by = None
        if by_raw is not None:
            by = keys.get(by_raw.strip().lower())
            if by is None:
                raise self.errors.bad_value("sortBy", by_raw)
        direction = self.choice("sortDir", catalog.SORT_DIRS) or "ASC"
        return Sort(by, direction == "DESC")


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None

    @property
    def open(self) -> bool:
        return self.start is None and self.end is None

    def holds(self, moment: datetime | None) -> bool:
        if self.open:
            return True
        if moment is None:
            return False
        return (self.start is None or moment >= self.start) and (self.end is None or moment <= self.end)


@dataclass(frozen=True)
class DayWindow:
    start: date | None
    end: date | None

    def holds(self, day: date | None) -> bool:
        if self.start is None and self.end is None:
            return True
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Sort:
    by: str | None
    descending: bool

    def apply(self, rows: list[T], key: Callable[[T, str], Any], tiebreak: Callable[[T], int]) -> list[T]:
        """Sort by the field (missing values last in ASC), then by id so paging is stable."""
        if self.by is None:
            return sorted(rows, key=tiebreak, reverse=self.descending)
        field = self.by

        def sort_key(row: T) -> tuple[int, Any, int]:
            value = key(row, field)
            return (1 if value is None else 0, value if value is not None else 0, tiebreak(row))

        return sorted(rows, key=sort_key, reverse=self.descending)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    def slice(self, rows: list[T]) -> tuple[list[T], int, int]:
        """The page's rows, the total, and the page count (a page past the end is empty)."""
        total = len(rows)
        pages = math.ceil(total / self.size) if total else 0
        start = (self.number - 1) * self.size
        return rows[start : start + self.size], total, pages

    def envelope(self, name: str, rows: list[dict[str, Any]], total: int, pages: int) -> dict[str, Any]:
        return {name: rows, "total": total, "page": self.number, "pages": pages}
