"""Secrets never reach the logs: by key name and by the shape of the value, at any depth."""

from __future__ import annotations

import json

import pytest
import structlog

from connectors.logs import REDACTED, configure, redact


def test_values_under_secret_keys_are_redacted_at_any_depth() -> None:
    event = {"connection": {"email": "a@b.in", "password": "hunter2", "nested": [{"api_secret": "s"}]}}
    assert redact(event) == {
        "connection": {"email": "a@b.in", "password": REDACTED, "nested": [{"api_secret": REDACTED}]}
    }


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer eyJhbGciOi.abc.def",
        "header Zoho-oauthtoken 1000.abcdef.123456",
        "Basic ZGVtbzpzZWNyZXQ=",
        "token Atzr|IwEBIDemoRefresh",
    ],
)
def test_secret_shaped_values_are_redacted_inside_text(text: str) -> None:
    assert REDACTED in redact(text) and "abcdef" not in redact(text) and "IwEB" not in redact(text)


def test_the_configured_logger_writes_redacted_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure(json=True)  # binds pytest's captured stderr, which closes after this test: undone below
    try:
        structlog.get_logger("t").info("refreshed", refresh_token="1000.secret", note="sent Bearer abc.def.ghi")
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
    assert line["refresh_token"] == REDACTED and "abc.def" not in line["note"] and line["event"] == "refreshed"
