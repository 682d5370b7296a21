"""Per-tenant alert delivery: an email over SMTP, or an outbound webhook signed with HMAC-SHA256.

The sync engine raises an ``Alert`` when a person has to act (no courier serves an order, a shipment is
returning or lost, a COD remittance does not add up, a record gave up). Each tenant names one channel in its
settings; ``parse_channel`` turns that JSON into an ``EmailChannel`` or a ``WebhookChannel``, refusing
anything it could not deliver to with the offending field named, so a mistake surfaces when the tenant saves
its settings rather than when the first shipment is lost.

``deliver`` makes one attempt and says, through ``AlertUndelivered.retryable``, whether another attempt could
succeed; the arq job that calls it owns retries and persistence. An alert's ``id`` travels with every attempt
(the email's Message-ID, the webhook's ``X-Connectors-Alert-Id``), so receivers can drop the duplicates that
retrying an uncertain delivery produces.

Webhooks are signed Stripe-style, ``t=<unix time>,v1=<hex HMAC of "<t>." + body>``: the timestamp is under
the signature, so a receiver that checks it with ``verify`` rejects a captured request replayed later.

Secrets (the SMTP password, the webhook secret) are kept out of reprs, exception messages and logs.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiosmtplib
import httpx
import structlog

log = structlog.get_logger("workers.alerts")

SMTP_TIMEOUT = 30.0
"""Seconds for each step of an SMTP conversation (connect, each command, the message)."""

MESSAGE_ID_DOMAIN = "alerts.connectors"
"""The right-hand side of an alert email's Message-ID; the left is the alert's id, so retries share it."""

MAX_RECIPIENTS = 20
"""An alert goes to a team's few addresses; a longer list is more likely a paste accident than a team."""

MIN_SECRET_LENGTH = 16
"""Shorter HMAC keys can be guessed offline from one captured, signed request."""


class AlertKind(StrEnum):
    SERVICEABILITY_FAILED = "serviceability_failed"
    RTO_INITIATED = "rto_initiated"
    SHIPMENT_LOST = "shipment_lost"
    REMITTANCE_MISMATCH = "remittance_mismatch"
    RETURN_QC_FAILED = "return_qc_failed"
    DEAD_LETTER = "dead_letter"


KIND_WORDS: dict[AlertKind, str] = {
    AlertKind.SERVICEABILITY_FAILED: "Serviceability check failed",
    AlertKind.RTO_INITIATED: "Return to origin (RTO) initiated",
    AlertKind.SHIPMENT_LOST: "Shipment lost",
    AlertKind.REMITTANCE_MISMATCH: "COD remittance mismatch",
    AlertKind.RETURN_QC_FAILED: "Customer return failed quality check",
    AlertKind.DEAD_LETTER: "Record dead-lettered",
}
"""What a person reading a subject line calls each kind."""


@dataclass(frozen=True)
class Alert:
    """One thing a tenant must hear about. Checked on construction, so a bad alert fails where it is raised
    (in the engine, with its stack) rather than in a delivery job minutes later."""

    id: str
    """A UUID, unique per alert: the idempotency key receivers deduplicate on."""
    tenant_id: str
    kind: AlertKind
    summary: str
    """One line in plain words; whitespace (newlines included) is folded to single spaces."""
    details: dict[str, Any]
    """JSON-able facts. Money is a string of a Decimal: a float here is refused, never rounded."""
    at: datetime
    """When it happened; must be timezone-aware, and is kept in UTC."""

    def __post_init__(self) -> None:
        try:
            uuid.UUID(self.id)
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"Alert.id: {_show(self.id)} is not a UUID") from None
        if not isinstance(self.tenant_id, str) or not self.tenant_id:
            raise ValueError("Alert.tenant_id: must be a non-empty string")
        object.__setattr__(self, "kind", AlertKind(self.kind))  # a kind read back from the database is a str
        summary = _one_line(self.summary) if isinstance(self.summary, str) else ""
        if not summary:
            raise ValueError("Alert.summary: must be a non-empty line of text")
        object.__setattr__(self, "summary", summary)
        if not isinstance(self.details, dict):
            raise ValueError("Alert.details: must be a dict")
        _check_json(self.details, "Alert.details")
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise ValueError("Alert.at: must be a timezone-aware datetime")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


@dataclass(frozen=True)
class EmailChannel:
    to: tuple[str, ...]
    sender: str
    host: str
    port: int = 587
    starttls: bool = True
    """Require STARTTLS (refuse to send if the server does not offer it); false sends in clear."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    secret: str = field(repr=False)


AlertChannel = EmailChannel | WebhookChannel


class ChannelInvalid(ValueError):
    """A tenant's alert channel settings, refused; ``field`` is the path of the offending value."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type[ChannelInvalid], tuple[str, str]]:
        return type(self), (self.field, self.problem)


class AlertUndelivered(Exception):
    """One delivery attempt failed. ``retryable`` says whether trying the same channel again could succeed;
    ``retry_after`` is the receiver's own ask (HTTP Retry-After, in seconds) when it made one."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Callable[..., AlertUndelivered], tuple[str, bool, float | None]]:
        # arq pickles a failed job's exception; keyword-only arguments would not survive the default reduce.
        return _undelivered, (self.message, self.retryable, self.retry_after)


def _undelivered(message: str, retryable: bool, retry_after: float | None) -> AlertUndelivered:
    return AlertUndelivered(message, retryable=retryable, retry_after=retry_after)


# --- parsing a tenant's channel -------------------------------------------------------------------------------

_EMAIL_FIELDS = frozenset({"kind", "to", "sender", "host", "port", "starttls", "username", "password"})
_WEBHOOK_FIELDS = frozenset({"kind", "url", "secret"})
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
# The dot-atom form only: quoted local parts and address literals are legal but no team's inbox uses them, and
# refusing them keeps anything that could break an SMTP command or a header out of both.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>{_LABEL}(?:\.{_LABEL})+)")


def parse_channel(data: Mapping[str, Any]) -> AlertChannel:
    """The channel a tenant's settings describe, ``{"kind": "email" | "webhook", ...}``; raises
    ``ChannelInvalid`` naming the first bad field (``alert_channel.<field>``)."""
    if not isinstance(data, Mapping):
        raise ChannelInvalid("alert_channel", "must be an object with a 'kind' of 'email' or 'webhook'")
    kind = data.get("kind")
    if kind == "email":
        return _parse_email(data)
    if kind == "webhook":
        return _parse_webhook(data)
    if kind is None:
        raise ChannelInvalid("alert_channel.kind", "is required: 'email' or 'webhook'")
    raise ChannelInvalid("alert_channel.kind", f"must be 'email' or 'webhook', not {_show(kind)}")


def _parse_email(data: Mapping[str, Any]) -> EmailChannel:
    _refuse_unknown(data, _EMAIL_FIELDS, "an email")
    to = data.get("to")
    if to is None:
        raise ChannelInvalid("alert_channel.to", "is required: a list of email addresses")
    if not isinstance(to, list | tuple):
        raise ChannelInvalid("alert_channel.to", f"must be a list of email addresses, not {_show(to)}")
    if not to:
        raise ChannelInvalid("alert_channel.to", "must list at least one email address")
    if len(to) > MAX_RECIPIENTS:
        raise ChannelInvalid("alert_channel.to", f"lists {len(to)} addresses; at most {MAX_RECIPIENTS} are allowed")
    seen: set[str] = set()
    for i, address in enumerate(to):
        _check_email(address, f"alert_channel.to[{i}]")
        if address.lower() in seen:
            raise ChannelInvalid(f"alert_channel.to[{i}]", f"{_show(address)} is listed twice")
        seen.add(address.lower())
    sender = data.get("sender")
    if sender is None:
        raise ChannelInvalid("alert_channel.sender", "is required: the address alerts are sent from")
    _check_email(sender, "alert_channel.sender")

    host = data.get("host")
    if host is None:
        raise ChannelInvalid("alert_channel.host", "is required: the SMTP server's host name")
    if not isinstance(host, str) or not _is_host(host):
        raise ChannelInvalid("alert_channel.host", f"{_show(host)} is not a host name or IP address")
    port = data.get("port", 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ChannelInvalid("alert_channel.port", f"must be a port number from 1 to 65535, not {_show(port)}")
    if port == 465:
        # Port 465 speaks TLS from the first byte; a plain connection to it would just hang until the timeout.
        raise ChannelInvalid(
            "alert_channel.port", "465 (implicit TLS) is not supported; use the submission port 587 with starttls"
        )
    starttls = data.get("starttls", True)
    if not isinstance(starttls, bool):
        raise ChannelInvalid("alert_channel.starttls", f"must be true or false, not {_show(starttls)}")

    username = data.get("username")
    if username is not None and (not isinstance(username, str) or not username):
        raise ChannelInvalid("alert_channel.username", "must be a non-empty string when given")
    password = data.get("password")
    if password is not None and (not isinstance(password, str) or not password):
        raise ChannelInvalid("alert_channel.password", "must be a non-empty string when given")  # never echoed
    if username is not None and password is None:
        raise ChannelInvalid("alert_channel.password", "is required when a username is given")
    if password is not None and username is None:
        raise ChannelInvalid("alert_channel.username", "is required when a password is given")
    if password is not None and not starttls:
        raise ChannelInvalid(
            "alert_channel.starttls", "must be true when a password is given, or the password crosses the network"
        )
    return EmailChannel(
        to=tuple(to),
        sender=sender,
        host=host,
        port=port,
        starttls=starttls,
        username=username,
        password=password,
    )


def _parse_webhook(data: Mapping[str, Any]) -> WebhookChannel:
    _refuse_unknown(data, _WEBHOOK_FIELDS, "a webhook")
    url = data.get("url")
    if url is None:
        raise ChannelInvalid("alert_channel.url", "is required: the https:// address alerts are posted to")
    _check_url(url)
    secret = data.get("secret")
    if secret is None:
        raise ChannelInvalid("alert_channel.secret", "is required: the key each request is signed with")
    if not isinstance(secret, str):
        raise ChannelInvalid("alert_channel.secret", "must be a string")  # its value is never echoed
    if len(secret) < MIN_SECRET_LENGTH:
        raise ChannelInvalid("alert_channel.secret", f"must be at least {MIN_SECRET_LENGTH} characters long")
    return WebhookChannel(url=url, secret=secret)


def _refuse_unknown(data: Mapping[str, Any], known: frozenset[str], what: str) -> None:
    # A misspelt optional field ("start_tls") would otherwise be dropped silently and its default used.
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        raise ChannelInvalid(
            f"alert_channel.{unknown[0]}", f"is not a field of {what} channel (known: {', '.join(sorted(known))})"
        )


def _check_email(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise ChannelInvalid(where, f"must be an email address, not {_show(value)}")
    match = _EMAIL.fullmatch(value)
    if match is None or len(value) > 254 or len(match["local"]) > 64:
        raise ChannelInvalid(where, f"{_show(value)} is not an email address")


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return len(value) <= 253 and _HOSTNAME.fullmatch(value) is not None
    return True


def _check_url(url: Any) -> None:
    where = "alert_channel.url"
    if not isinstance(url, str):
        raise ChannelInvalid(where, f"must be a URL, not {_show(url)}")
    if len(url) > 2048:
        raise ChannelInvalid(where, "is longer than 2048 characters")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ChannelInvalid(where, f"{_show(url)} contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a non-numeric or out-of-range port
    except ValueError:
        raise ChannelInvalid(where, f"{_show(url)} is not a URL") from None
    if parts.scheme not in ("http", "https"):
        raise ChannelInvalid(where, f"{_show(url)} is not an http:// or https:// URL")
    if not parts.hostname:
        raise ChannelInvalid(where, f"{_show(url)} has no host")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL end up in logs and error messages; the signature already authenticates us.
        raise ChannelInvalid(where, "must not carry a user name or password; the signature authenticates requests")
    if port == 0:
        raise ChannelInvalid(where, f"{_show(url)} has port 0")


# --- the pure parts: rendering and signing --------------------------------------------------------------------


def render_email(alert: Alert, tenant_name: str) -> EmailMessage:
    """The alert as a plain-text email, without From and To (the channel's to add)."""
    message = EmailMessage()
    message["Subject"] = f"[Connectors] {KIND_WORDS[alert.kind]}: {alert.summary}"
    message["Date"] = format_datetime(alert.at)  # when it happened, so a retried send keeps its place in the inbox
    message["Message-ID"] = f"<{alert.id}@{MESSAGE_ID_DOMAIN}>"
    message["X-Connectors-Alert-Id"] = alert.id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office responders must not answer it
    lines = [
        alert.summary,
        "",
        f"Tenant:  {_one_line(tenant_name)}",
        f"Alert:   {KIND_WORDS[alert.kind]} ({alert.kind.value})",
        f"When:    {alert.at:%Y-%m-%d %H:%M:%S} UTC",
        "",
        "Details:",
    ]
    if alert.details:
        width = max(len(key) for key in alert.details)
        lines += [f"  {key.ljust(width)}  {_detail_text(value)}" for key, value in alert.details.items()]
    else:
        lines.append("  (none)")
    lines += [
        "",
        f"Alert id: {alert.id}",
        "You receive this because your connector settings name this address for alerts.",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def webhook_body(alert: Alert) -> bytes:
    """The JSON a webhook receives: compact, UTF-8, the fields in a fixed order."""
    payload = {
        "id": alert.id,
        "tenant_id": alert.tenant_id,
        "kind": alert.kind.value,
        "summary": alert.summary,
        "details": alert.details,
        "at": _iso_utc(alert.at),
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Connectors-Signature`` value: ``t=<timestamp>,v1=<lower hex HMAC-SHA256 of "<timestamp>." + body>``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """Whether ``header`` is a signature of ``body`` with ``secret`` made within ``tolerance`` seconds of ``now``
    (either side: a clock running ahead is as suspect as a replay). Several ``v1`` entries may be present (a
    sender rotating its secret); one match is enough. A malformed header is ``False``, never an error."""
    timestamp: int | None = None
    candidates: list[bytes] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                return False
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value.encode("utf-8", "replace"))
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body).encode()
    # Every candidate is compared, so the time taken does not tell which one (or whether any) matched.
    matched = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matched)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


# --- delivery --------------------------------------------------------------------------------------------------


async def deliver(
    channel: AlertChannel,
    alert: Alert,
    *,
    tenant_name: str,
    http: httpx.AsyncClient,
    now: Callable[[], int] = lambda: int(time.time()),
) -> None:
    """One attempt to deliver ``alert`` over ``channel``; returns when it was accepted, raises
    ``AlertUndelivered`` when it was not. Webhook timeouts are ``http``'s own."""
    if isinstance(channel, EmailChannel):
        await _send_email(channel, alert, tenant_name)
    else:
        await _post_webhook(channel, alert, http, now())


async def _post_webhook(channel: WebhookChannel, alert: Alert, http: httpx.AsyncClient, timestamp: int) -> None:
    body = webhook_body(alert)
    headers = {
        "Content-Type": "application/json",
        "X-Connectors-Signature": sign(channel.secret, timestamp, body),
        "X-Connectors-Alert-Id": alert.id,
    }
    where = _public_url(channel.url)
    try:
        # Redirects are not followed: a signed alert goes only where the tenant said. Streaming, and never reading
        # the answer's body, keeps a receiver from making us buffer whatever it likes.
        async with http.stream("POST", channel.url, content=body, headers=headers, follow_redirects=False) as reply:
            status, reason = reply.status_code, reply.reason_phrase
            retry_after = _retry_after(reply.headers.get("Retry-After"))
    except httpx.TimeoutException as exc:
        raise AlertUndelivered(f"webhook {where} did not answer in time ({_kind(exc)})", retryable=True) from exc
    except httpx.TransportError as exc:
        raise AlertUndelivered(f"webhook {where} could not be reached: {_reason(exc)}", retryable=True) from exc
    answered = f"webhook {where} answered {status} {reason}".rstrip()
    if 200 <= status < 300:
        log.info("alert delivered", alert_id=alert.id, tenant_id=alert.tenant_id, channel="webhook", status=status)
        return
    if status in (408, 429) or status >= 500:
        raise AlertUndelivered(answered, retryable=True, retry_after=retry_after)
    if 300 <= status < 400:
        raise AlertUndelivered(f"{answered} (a redirect, which alerts do not follow)", retryable=False)
    raise AlertUndelivered(answered, retryable=False)


async def _send_email(channel: EmailChannel, alert: Alert, tenant_name: str) -> None:
    message = render_email(alert, tenant_name)
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    where = f"SMTP server {channel.host}:{channel.port}"
    try:
        refused, _ = await aiosmtplib.send(
            message,
            sender=channel.sender,
            recipients=list(channel.to),
            hostname=channel.host,
            port=channel.port,
            start_tls=channel.starttls,
            username=channel.username,
            password=channel.password,
            timeout=SMTP_TIMEOUT,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        # Every recipient was refused; trying again helps only if every refusal was temporary (4xx).
        codes = [r.code for r in exc.recipients]
        said = "; ".join(f"{r.recipient}: {r.code} {_one_line(r.message)}" for r in exc.recipients)
        raise AlertUndelivered(f"{where} refused every recipient ({said})", retryable=max(codes) < 500) from exc
    except aiosmtplib.SMTPResponseException as exc:
        retryable = exc.code < 500
        raise AlertUndelivered(f"{where} answered {exc.code} {_one_line(exc.message)}", retryable=retryable) from exc
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
        raise AlertUndelivered(f"{where} could not be reached: {_one_line(exc.message)}", retryable=True) from exc
    except aiosmtplib.SMTPException as exc:
        # The server lacks what the channel needs (STARTTLS, AUTH): settings to change, not a moment to wait out.
        raise AlertUndelivered(f"{where}: {_one_line(exc.message)}", retryable=False) from exc
    except OSError as exc:  # a TLS handshake failure, which aiosmtplib lets through unwrapped
        raise AlertUndelivered(f"{where} could not be reached: {_reason(exc)}", retryable=True) from exc
    if refused:
        # Some recipients have it; sending again would repeat it to them, so this counts as delivered.
        log.warning(
            "alert refused by some recipients",
            alert_id=alert.id,
            tenant_id=alert.tenant_id,
            refused={address: f"{r.code} {_one_line(r.message)}" for address, r in refused.items()},
        )
    log.info("alert delivered", alert_id=alert.id, tenant_id=alert.tenant_id, channel="email")


# --- small helpers ---------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join("".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text).split())


def _show(value: Any, limit: int = 60) -> str:
    """A user-supplied value for an error message, cut short so one bad field cannot flood a log line."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {_show(key)} is not a string")
            _check_json(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]")
    elif value is not None and not isinstance(value, str | int):  # bool is an int
        # Floats too: an amount that passed through one may already be off by a paisa.
        raise ValueError(
            f"{where}: a {type(value).__name__} is not allowed; use str, int, bool, None, lists and dicts "
            "(amounts as strings of Decimals)"
        )


def _detail_text(value: Any) -> str:
    if isinstance(value, str):
        return _one_line(value)
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


def _iso_utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _public_url(url: str) -> str:
    """The URL without its query and fragment, which may carry a receiver's token, for messages and logs."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def _retry_after(value: str | None) -> float | None:
    if value is not None and value.strip().isdigit():
        return float(value.strip())
    return None  # an HTTP-date is rare from webhook receivers; the caller's own backoff applies


def _kind(exc: httpx.TimeoutException) -> str:
    words: dict[type[httpx.TimeoutException], str] = {
        httpx.ConnectTimeout: "connecting timed out",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection in time",
    }
    return words.get(type(exc), "timed out")


def _reason(exc: BaseException) -> str:
    """An exception in words: its own message, or failing that the first of its causes with one."""
    seen: BaseException | None = exc
    while seen is not None:
        text = _one_line(str(seen))
        if text:
            return text
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__
