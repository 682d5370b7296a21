"""One table decides what a provider answer means for a record."""

from __future__ import annotations

import pytest

from workers.engine.outcomes import Outcome, Reason, after_attempts, backoff, judge


@pytest.mark.parametrize(
    ("provider", "status", "outcome", "reason"),
    [
        ("shiprocket", 200, Outcome.OK, None),
        ("shiprocket", 422, Outcome.DEAD_LETTER, Reason.PROVIDER_REJECTED),
        ("shiprocket", 401, Outcome.REFRESH, None),
        ("amazon", 403, Outcome.REFRESH, None),
        ("shipstation", 403, Outcome.DEAD_LETTER, Reason.PROVIDER_REJECTED),
        ("zoho", 429, Outcome.RETRY, None),
        ("shipstation", 503, Outcome.RETRY, None),
        ("magento", None, Outcome.UNKNOWN, None),
    ],
)
def test_each_answer_gets_its_verdict(
    provider: str, status: int | None, outcome: Outcome, reason: Reason | None
) -> None:
    verdict = judge(provider, status, "msg")
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


def test_a_second_401_after_a_fresh_token_needs_reauthorisation() -> None:
    verdict = judge("zoho", 401, refreshed=True)
    assert verdict.outcome is Outcome.DEAD_LETTER and verdict.reason is Reason.NEEDS_REAUTH


def test_retries_end_in_a_dead_letter_with_a_reason() -> None:
    assert after_attempts(judge("zoho", 503, "boom"), 2, 5).outcome is Outcome.RETRY
    dead = after_attempts(judge("zoho", 429, "429 too many"), 5, 5)
    assert (
        dead.outcome is Outcome.DEAD_LETTER and dead.reason is Reason.QUOTA_EXHAUSTED and "5 attempts" in dead.message
    )


def test_backoff_honours_retry_after_and_grows_otherwise() -> None:
    assert backoff(3, retry_after=7) == 7
    assert [backoff(n) for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(30) == 600
