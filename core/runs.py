"""Sync runs, decided in pure code: a window a run may cover, its counts and progress from its records'
states, and the moment a running run is done.

    queued ──▶ discovering ──▶ running ──(every record finished)──▶ completed | completed_with_failures
                    └──────────────────▶ failed (discovery itself failed; see error)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import Role
from core.errors import FieldViolation, InvalidArgument

MAX_WINDOW = timedelta(days=90)
FINISHED = ("succeeded", "dead", "skipped")
UNFINISHED = ("pending", "running")


def check_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The window, or INVALID_ARGUMENT naming each bad end."""
    problems = []
    if start is None:
        problems.append(FieldViolation("window_start", "is required"))
    if end is None:
        problems.append(FieldViolation("window_end", "is required"))
    if start is not None and end is not None:
        if end <= start:
            problems.append(FieldViolation("window_end", f"must be after window_start ({start.isoformat()})"))
        elif end - start > MAX_WINDOW:
            problems.append(FieldViolation("window_end", f"a run covers at most {MAX_WINDOW.days} days; split it"))
    if problems:
        raise InvalidArgument(problems)
    assert start is not None and end is not None
    return start, end


def trigger(role: Role) -> str:
    """A person asked (merchant, support): "manual"; a system or tool asked: "api"."""
    return "api" if role is Role.SYSTEM else "manual"


@dataclass(frozen=True)
class Counts:
    received: int
    succeeded: int
    failed: int
    skipped: int
    pending: int
    expected: int | None
    finished: int
    """Records of the run that reached an end (succeeded, dead or skipped)."""

    @property
    def progress(self) -> float:
        """Finished / expected in 0..1; 1 when nothing was expected, 0 while discovery has not said."""
        if self.expected is None:
            return 0.0
        if self.expected <= 0:
            return 1.0
        return min(self.finished / self.expected, 1.0)


def counts(received: int, skipped: int, expected: int | None, by_state: Mapping[str, int]) -> Counts:
    """A run's counts: its records by state, plus the sources the row says were already known (``skipped``)."""
    total = sum(by_state.values())
    finished = sum(by_state.get(s, 0) for s in FINISHED)
    return Counts(
        received=max(received, total + skipped),
        succeeded=by_state.get("succeeded", 0),
        failed=by_state.get("dead", 0),
        skipped=by_state.get("skipped", 0) + skipped,
        pending=sum(by_state.get(s, 0) for s in UNFINISHED),
        expected=expected,
        finished=finished,
    )


def settled(state: str, c: Counts) -> str | None:
    """The state a running run has reached once every record it expects has finished; None while not done."""
    if state != "running" or c.expected is None or c.pending or c.finished < c.expected:
        return None
    return "completed_with_failures" if c.failed else "completed"
