"""Structured logging for every process (structlog), with secrets redacted before anything is written.

Redaction is by key (password, secret, token, authorization, ...) and by value shape (``Bearer ...``,
``Zoho-oauthtoken ...``, ``Basic ...``, Amazon ``Atza|``/``Atzr|`` tokens, JWTs), at any depth.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|api[_-]?key|cookie|credential", re.I)
SECRET_VALUES = re.compile(r"(Bearer|Basic|Zoho-oauthtoken)\s+\S+|Atz[ar]\|\S+|eyJ[\w-]+\.[\w-]+\.[\w-]+", re.I)


def redact(value: Any, key: str = "") -> Any:
    if key and SECRET_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return SECRET_VALUES.sub(REDACTED, value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return {k: (v if k in ("event", "level", "timestamp", "logger") else redact(v, k)) for k, v in event.items()}


def configure(level: str = "INFO", json: bool | None = None) -> None:
    """JSON lines when not on a terminal (services), readable lines on one."""
    render = (
        structlog.processors.JSONRenderer()
        if (json if json is not None else not sys.stderr.isatty())
        else (structlog.dev.ConsoleRenderer())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            render,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
