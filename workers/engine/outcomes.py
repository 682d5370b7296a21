"""What a provider's answer means for a record, decided by one table (pure, no I/O).

    Outcome.RETRY         try again later (after Retry-After or a backoff)
    Outcome.REFRESH       the token was refused: invalidate it at the core, then retry once
    Outcome.UNKNOWN       the call may have taken effect (timeout, dropped connection): look up before retrying
    Outcome.DEAD_LETTER   stop; keep the record with a reason from the taxonomy, for a person to fix and replay

Dead-letter reasons are a small fixed taxonomy, the words support staff and merchants see.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    RETRY = "retry"
    REFRESH = "refresh"
    UNKNOWN = "unknown"
    DEAD_LETTER = "dead_letter"


class Reason(StrEnum):
    NEEDS_REAUTH = "needs_reauth"
    UNMAPPED_SKU = "unmapped_sku"
    SERVICEABILITY_FAILED = "serviceability_failed"
    PROVIDER_REJECTED = "provider_rejected"
    QUOTA_EXHAUSTED = "quota_exhausted"
    INVALID_SOURCE_DATA = "invalid_source_data"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: Reason | None = None
    message: str = ""


# (status range, outcome, reason): first match wins. Provider-specific rows come first.
_TABLE: tuple[tuple[str | None, range, Outcome, Reason | None], ...] = (
    ("zoho", range(429, 430), Outcome.RETRY, None),
    ("amazon", range(403, 404), Outcome.REFRESH, None),  # an expired LWA token answers 403 Unauthorized
    (None, range(200, 300), Outcome.OK, None),
    (None, range(401, 402), Outcome.REFRESH, None),
    (None, range(408, 409), Outcome.RETRY, None),
    (None, range(409, 410), Outcome.RETRY, None),
    (None, range(429, 430), Outcome.RETRY, None),
    (None, range(500, 600), Outcome.RETRY, None),
    (None, range(400, 500), Outcome.DEAD_LETTER, Reason.PROVIDER_REJECTED),
)


def judge(provider: str, status: int | None, message: str = "", *, refreshed: bool = False) -> Verdict:
    """The verdict on one answer. ``status`` None means no answer at all (timeout, connection dropped).

    ``refreshed``: a fresh token was already tried for this call, so another 401 means re-authorisation.
    """
    if status is None:
        return Verdict(Outcome.UNKNOWN, None, message or "no answer from the provider")
    for who, statuses, outcome, reason in _TABLE:
        if (who is None or who == provider) and status in statuses:
            if outcome is Outcome.REFRESH and refreshed:
                return Verdict(
                    Outcome.DEAD_LETTER, Reason.NEEDS_REAUTH, message or "the provider refused a fresh token"
                )
            return Verdict(outcome, reason, message)
    return Verdict(Outcome.DEAD_LETTER, Reason.PROVIDER_REJECTED, message or f"unexpected answer {status}")


def after_attempts(verdict: Verdict, attempts: int, max_attempts: int) -> Verdict:
    """A retryable verdict becomes a dead letter once the attempts are used up."""
    if verdict.outcome in (Outcome.RETRY, Outcome.UNKNOWN) and attempts >= max_attempts:
        reason = (
            Reason.QUOTA_EXHAUSTED
            if "429" in verdict.message or "quota" in verdict.message.lower()
            else (Reason.PROVIDER_REJECTED)
        )
        return Verdict(Outcome.DEAD_LETTER, reason, f"gave up after {attempts} attempts: {verdict.message}".strip(": "))
    return verdict


def backoff(attempt: int, retry_after: float | None = None, base: float = 2.0, cap: float = 600.0) -> float:
    """Seconds before the next attempt: the provider's Retry-After when it gave one, else exponential."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, cap)
    return float(min(cap, base ** max(attempt, 1)))
