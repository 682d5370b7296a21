"""The toolkit shared by every provider simulator (see ``simulator.py`` for the admin surface)."""

from sandbox.kit.clock import Clock
from sandbox.kit.errors import ConnectionDropped, SandboxError
from sandbox.kit.faults import FaultRule, Faults
from sandbox.kit.ratelimit import Decision, FixedWindow, TokenBucket
from sandbox.kit.requestlog import RequestLog
from sandbox.kit.simulator import ADMIN_PREFIX, Simulator, admin_json, set_account
from sandbox.kit.tokens import Token, TokenStore
from sandbox.kit.webhooks import WebhookSender

__all__ = [
    "ADMIN_PREFIX",
    "Clock",
    "ConnectionDropped",
    "Decision",
    "FaultRule",
    "Faults",
    "FixedWindow",
    "RequestLog",
    "SandboxError",
    "Simulator",
    "Token",
    "TokenBucket",
    "TokenStore",
    "WebhookSender",
    "admin_json",
    "set_account",
]
