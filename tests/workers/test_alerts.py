"""Alert delivery against real servers: an aiosmtpd SMTP server and a uvicorn webhook receiver on 127.0.0.1,
plus the pure parts (channel parsing, rendering, signing) on their own."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import pickle
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import free_port
from workers.alerts import (
    Alert,
    AlertKind,
    AlertUndelivered,
    ChannelInvalid,
    EmailChannel,
    WebhookChannel,
    deliver,
    parse_channel,
    render_email,
    sign,
    verify,
    webhook_body,
)

SECRET = "whsec-0123456789abcdef"
PASSWORD = "hunter2-but-longer"
NOW = 1_800_000_000


def make_alert(**overrides: Any) -> Alert:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "tenant_id": str(uuid.uuid4()),
        "kind": AlertKind.REMITTANCE_MISMATCH,
        "summary": "COD remittance CRF-9 is 20.00 short for SO-00042",
        "details": {"order_number": "SO-00042", "awb": "19041424751540", "expected": "1499.00", "remitted": "1479.00"},
        "at": datetime(2026, 2, 1, 9, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    }
    values.update(overrides)
    return Alert(**values)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


# --- SMTP ------------------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts and refuses the recipients it is told to."""

    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient → the SMTP reply given to its RCPT."""
    received: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server(mailbox: Mailbox, **smtp_options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def email_channel(port: int, **overrides: Any) -> EmailChannel:
    values: dict[str, Any] = {
        "to": ("ops@acme.example", "finance@acme.example"),
        "sender": "alerts@connectors.example",
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,  # the test server offers no TLS
    }
    values.update(overrides)
    return EmailChannel(**values)


def parsed(envelope: Envelope) -> EmailMessage:
    content = envelope.original_content
    assert isinstance(content, bytes)
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_an_email_alert_reaches_every_recipient_with_its_facts(http: httpx.AsyncClient) -> None:
    mailbox = Mailbox()
    alert = make_alert()
    with smtp_server(mailbox) as port:
        await deliver(email_channel(port), alert, tenant_name="Acme Retail", http=http)
    [envelope] = mailbox.received
    assert envelope.mail_from == "alerts@connectors.example"
    assert envelope.rcpt_tos == ["ops@acme.example", "finance@acme.example"]
    message = parsed(envelope)
    assert message["Subject"] == f"[Connectors] COD remittance mismatch: {alert.summary}"
    assert message["Message-ID"] == f"<{alert.id}@alerts.connectors>"
    assert message["From"] == "alerts@connectors.example"
    assert message["To"] == "ops@acme.example, finance@acme.example"
    assert parsedate_to_datetime(message["Date"]) == datetime(2026, 2, 1, 3, 30, tzinfo=UTC)
    body = message.get_content()
    assert "Acme Retail" in body
    for key, value in alert.details.items():
        assert any(key in line and value in line for line in body.splitlines()), (key, value, body)


async def test_an_email_refused_for_some_recipients_still_counts_as_delivered_to_the_rest(
    http: httpx.AsyncClient,
) -> None:
    mailbox = Mailbox(refuse={"finance@acme.example": "550 5.1.1 No such user"})
    with smtp_server(mailbox) as port:
        await deliver(email_channel(port), make_alert(), tenant_name="Acme Retail", http=http)
    [envelope] = mailbox.received
    assert envelope.rcpt_tos == ["ops@acme.example"]


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("550 5.1.1 No such user here", False), ("450 4.2.1 Mailbox busy, try later", True)],
)
async def test_an_email_every_recipient_refuses_is_undelivered(
    http: httpx.AsyncClient, reply: str, retryable: bool
) -> None:
    mailbox = Mailbox(refuse={"nobody@acme.example": reply})
    with smtp_server(mailbox) as port:
        channel = email_channel(port, to=("nobody@acme.example",))
        with pytest.raises(AlertUndelivered) as caught:
            await deliver(channel, make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is retryable
    code, _, words = reply.partition(" ")
    assert code in str(caught.value) and words in str(caught.value)
    assert mailbox.received == []


async def test_an_email_with_nothing_listening_is_retryable(http: httpx.AsyncClient) -> None:
    port = free_port()
    with pytest.raises(AlertUndelivered) as caught:
        await deliver(email_channel(port), make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is True
    assert f"127.0.0.1:{port}" in str(caught.value)


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: LoginPassword
) -> AuthResult:
    ok = (auth_data.login, auth_data.password) == (b"alerts", PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the server, not us, answers 535 on failure


async def test_an_email_logs_in_with_the_channel_credentials(http: httpx.AsyncClient) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox, authenticator=_authenticator, auth_require_tls=False) as port:
        channel = email_channel(port, username="alerts", password=PASSWORD)
        await deliver(channel, make_alert(), tenant_name="Acme", http=http)
    assert len(mailbox.received) == 1


async def test_a_refused_login_is_permanent_and_does_not_repeat_the_password(http: httpx.AsyncClient) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox, authenticator=_authenticator, auth_require_tls=False) as port:
        channel = email_channel(port, username="alerts", password="not-" + PASSWORD)
        with pytest.raises(AlertUndelivered) as caught:
            await deliver(channel, make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is False
    assert "535" in str(caught.value)
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)
    assert PASSWORD not in repr(channel)
    assert mailbox.received == []


async def test_an_email_requiring_starttls_is_not_sent_to_a_server_without_it(http: httpx.AsyncClient) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port, pytest.raises(AlertUndelivered) as caught:
        await deliver(email_channel(port, starttls=True), make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is False
    assert "STARTTLS" in str(caught.value)
    assert mailbox.received == []


# --- webhooks --------------------------------------------------------------------------------------------------


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    hits: list[Hit] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test process's signals are pytest's, not the server's
        yield


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    rx = Receiver(f"http://127.0.0.1:{sock.getsockname()[1]}/hooks/alerts")

    async def hook(request: Request) -> Response:
        rx.hits.append(Hit(request.url.path, dict(request.headers), await request.body()))
        await asyncio.sleep(rx.delay)
        return Response(status_code=rx.status, headers=rx.headers)

    app = Starlette(routes=[Route("/{path:path}", hook, methods=["POST"])])
    server = _QuietServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for "listening"
        await asyncio.sleep(0.01)
    yield rx
    server.should_exit = True
    await task
    sock.close()


async def test_a_webhook_alert_arrives_signed_and_verifiable(receiver: Receiver, http: httpx.AsyncClient) -> None:
    alert = make_alert()
    await deliver(WebhookChannel(receiver.url, SECRET), alert, tenant_name="Acme", http=http, now=lambda: NOW)
    [hit] = receiver.hits
    assert hit.path == "/hooks/alerts"
    assert hit.headers["content-type"] == "application/json"
    assert hit.headers["x-connectors-alert-id"] == alert.id
    assert hit.body == webhook_body(alert)
    assert json.loads(hit.body)["details"]["expected"] == "1499.00"
    signature = hit.headers["x-connectors-signature"]
    assert signature.startswith(f"t={NOW},v1=")
    assert verify(SECRET, signature, hit.body, now=NOW + 10)
    assert not verify(SECRET, signature, hit.body.replace(b"1479.00", b"1499.00"), now=NOW + 10)
    assert not verify(SECRET, signature, hit.body, now=NOW + 301)
    assert not verify("another-secret-of-16+", signature, hit.body, now=NOW)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        *[(400, False), (401, False), (404, False), (410, False), (422, False)],  # the request itself is wrong
        *[(408, True), (429, True), (500, True), (502, True), (503, True)],  # the receiver is slow, busy or broken
    ],
)
async def test_a_webhook_refusal_is_retryable_only_when_waiting_could_help(
    receiver: Receiver, http: httpx.AsyncClient, status: int, retryable: bool
) -> None:
    receiver.status = status
    with pytest.raises(AlertUndelivered) as caught:
        await deliver(WebhookChannel(receiver.url, SECRET), make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is retryable
    assert str(status) in str(caught.value)
    assert len(receiver.hits) == 1


async def test_a_webhook_receiver_asking_to_wait_says_how_long(receiver: Receiver, http: httpx.AsyncClient) -> None:
    receiver.status, receiver.headers = 429, {"Retry-After": "7"}
    with pytest.raises(AlertUndelivered) as caught:
        await deliver(WebhookChannel(receiver.url, SECRET), make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is True and caught.value.retry_after == 7.0


async def test_a_webhook_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.status, receiver.headers = 307, {"Location": "/elsewhere"}
    async with httpx.AsyncClient(timeout=5, follow_redirects=True) as following:
        with pytest.raises(AlertUndelivered) as caught:
            await deliver(WebhookChannel(receiver.url, SECRET), make_alert(), tenant_name="Acme", http=following)
    assert caught.value.retryable is False
    assert [hit.path for hit in receiver.hits] == ["/hooks/alerts"]


async def test_a_webhook_error_leaves_the_query_string_and_secret_out(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    receiver.status = 500
    channel = WebhookChannel(receiver.url + "?token=receiver-private-token", SECRET)
    with pytest.raises(AlertUndelivered) as caught:
        await deliver(channel, make_alert(), tenant_name="Acme", http=http)
    assert receiver.hits[0].path == "/hooks/alerts"
    assert "/hooks/alerts" in str(caught.value)
    assert "receiver-private-token" not in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(channel)


async def test_a_webhook_with_nothing_listening_is_retryable(http: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/alerts"
    with pytest.raises(AlertUndelivered) as caught:
        await deliver(WebhookChannel(url, SECRET), make_alert(), tenant_name="Acme", http=http)
    assert caught.value.retryable is True
    assert "could not be reached" in str(caught.value)


async def test_a_webhook_that_answers_too_late_is_retryable(receiver: Receiver) -> None:
    receiver.delay = 1.0
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        with pytest.raises(AlertUndelivered) as caught:
            await deliver(WebhookChannel(receiver.url, SECRET), make_alert(), tenant_name="Acme", http=impatient)
    assert caught.value.retryable is True
    assert "in time" in str(caught.value)
    assert len(receiver.hits) == 1


# --- signing ---------------------------------------------------------------------------------------------------


def test_the_signature_is_an_hmac_of_the_timestamp_and_body() -> None:
    body = b'{"id":"x"}'
    expected = hmac.new(SECRET.encode(), b"1800000000." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, body) == f"t=1800000000,v1={expected}"


def test_a_signature_verifies_within_the_tolerance_on_either_side_and_not_beyond() -> None:
    header = sign(SECRET, NOW, b"{}")
    assert verify(SECRET, header, b"{}", now=NOW - 300)
    assert verify(SECRET, header, b"{}", now=NOW + 300)
    assert not verify(SECRET, header, b"{}", now=NOW - 301)
    assert not verify(SECRET, header, b"{}", now=NOW + 301)
    assert verify(SECRET, header, b"{}", now=NOW + 1000, tolerance=1000)


def test_a_header_carrying_an_old_and_a_new_signature_verifies_with_either_secret() -> None:
    old = sign("old-secret-0123456789", NOW, b"{}")
    new = sign(SECRET, NOW, b"{}")
    both = f"{new},v1={old.split('v1=')[1]}"
    assert verify(SECRET, both, b"{}", now=NOW)
    assert verify("old-secret-0123456789", both, b"{}", now=NOW)
    assert not verify("third-secret-0123456789", both, b"{}", now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"v1={'0' * 64}",
        f"t={NOW}",
        f"t=soon,v1={'0' * 64}",
        f"t=-{NOW},v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={{sig}}",
        f"t={NOW},v1=\u00e9\u00e9",
        f"t={NOW},v1={{sig}}x",
    ],
)
def test_a_malformed_signature_header_is_false_not_an_error(header: str) -> None:
    real = sign(SECRET, NOW, b"{}").split("v1=")[1]
    assert verify(SECRET, header.replace("{sig}", real), b"{}", now=NOW) is False


# --- the alert, rendered ---------------------------------------------------------------------------------------


def test_the_webhook_body_is_compact_json_with_the_time_in_utc() -> None:
    alert = make_alert(summary="SO-9 lost in transit", details={"awb": "1515", "declared": "2500.00", "n": 2})
    body = webhook_body(alert)
    payload = json.loads(body)
    assert list(payload) == ["id", "tenant_id", "kind", "summary", "details", "at"]
    assert payload["kind"] == "remittance_mismatch"
    assert payload["at"] == "2026-02-01T03:30:00Z"
    assert payload["details"] == {"awb": "1515", "declared": "2500.00", "n": 2}
    assert b", " not in body and b": " not in body and b"\n" not in body


def test_the_email_says_what_happened_in_words() -> None:
    alert = make_alert(kind="rto_initiated", summary="SO-00042 is returning to origin", details={})
    message = render_email(alert, "Acme Retail")
    assert message["Subject"] == "[Connectors] Return to origin (RTO) initiated: SO-00042 is returning to origin"
    assert message["Message-ID"] == f"<{alert.id}@alerts.connectors>"
    assert message["From"] is None and message["To"] is None
    assert "2026-02-01 03:30:00 UTC" in message.get_content()


def test_a_multi_line_summary_becomes_one_subject_line() -> None:
    alert = make_alert(summary="No courier can deliver\r\nSO-00042\tto 560001 (COD)")
    assert alert.summary == "No courier can deliver SO-00042 to 560001 (COD)"
    subject = render_email(alert, "Acme")["Subject"]
    assert subject == "[Connectors] COD remittance mismatch: No courier can deliver SO-00042 to 560001 (COD)"


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"id": "SO-00042"}, "Alert.id"),
        ({"at": datetime(2026, 2, 1, 9, 0)}, "Alert.at"),
        ({"kind": "parcel_sad"}, "parcel_sad"),
        ({"summary": " \n "}, "Alert.summary"),
        ({"details": {"cod": {"amounts": ["10.00", 20.5]}}}, "Alert.details.cod.amounts[1]"),
        ({"details": {"when": datetime(2026, 1, 1, tzinfo=UTC)}}, "Alert.details.when"),
        ({"details": {1: "x"}}, "Alert.details"),
    ],
)
def test_an_alert_that_could_not_be_sent_faithfully_is_refused(overrides: dict[str, Any], names: str) -> None:
    with pytest.raises(ValueError) as caught:
        make_alert(**overrides)
    assert names in str(caught.value)


def test_errors_survive_pickling_as_arq_stores_them() -> None:
    undelivered = pickle.loads(pickle.dumps(AlertUndelivered("answered 503", retryable=True, retry_after=3.0)))
    assert (str(undelivered), undelivered.retryable, undelivered.retry_after) == ("answered 503", True, 3.0)
    invalid = pickle.loads(pickle.dumps(ChannelInvalid("alert_channel.url", "is required")))
    assert (invalid.field, str(invalid)) == ("alert_channel.url", "alert_channel.url: is required")


# --- parsing a tenant's channel --------------------------------------------------------------------------------


def test_an_email_channel_parses_with_its_defaults() -> None:
    channel = parse_channel(
        {"kind": "email", "to": ["ops@acme.example"], "sender": "alerts@acme.example", "host": "smtp.acme.example"}
    )
    assert channel == EmailChannel(("ops@acme.example",), "alerts@acme.example", "smtp.acme.example", 587, True)


def test_an_email_channel_with_credentials_parses_and_hides_the_password() -> None:
    channel = parse_channel(
        {
            "kind": "email",
            "to": ["ops@acme.example", "Finance.Team+alerts@mail.acme.example"],
            "sender": "alerts@acme.example",
            "host": "10.0.0.25",
            "port": 2525,
            "starttls": True,
            "username": "alerts",
            "password": PASSWORD,
        }
    )
    assert isinstance(channel, EmailChannel)
    assert (channel.port, channel.username, channel.password) == (2525, "alerts", PASSWORD)
    assert PASSWORD not in repr(channel) and PASSWORD not in str(channel)


def test_a_webhook_channel_parses_and_hides_its_secret() -> None:
    channel = parse_channel({"kind": "webhook", "url": "https://hooks.acme.example/alerts?x=1", "secret": SECRET})
    assert channel == WebhookChannel("https://hooks.acme.example/alerts?x=1", SECRET)
    assert SECRET not in repr(channel)


EMAIL: dict[str, Any] = {
    "kind": "email",
    "to": ["ops@acme.example", "bob@acme.example"],
    "sender": "alerts@acme.example",
    "host": "smtp.acme.example",
}
WEBHOOK: dict[str, Any] = {"kind": "webhook", "url": "https://hooks.acme.example/alerts", "secret": SECRET}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {**base, **changes}
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "alert_channel.kind: is required"),
        ({"kind": "sms"}, "alert_channel.kind: must be 'email' or 'webhook', not 'sms'"),
        (_with(EMAIL, to=...), "alert_channel.to: is required"),
        (_with(EMAIL, to="ops@acme.example"), "alert_channel.to: must be a list"),
        (_with(EMAIL, to=[]), "alert_channel.to: must list at least one"),
        (_with(EMAIL, to=[f"u{i}@acme.example" for i in range(21)]), "alert_channel.to: lists 21 addresses"),
        (_with(EMAIL, to=["ops@acme.example", "bob@"]), "alert_channel.to[1]: 'bob@' is not an email address"),
        (_with(EMAIL, to=["ops@acme.example", 7]), "alert_channel.to[1]: must be an email address, not 7"),
        (_with(EMAIL, to=["ops@localhost"]), "alert_channel.to[0]: 'ops@localhost' is not an email address"),
        (_with(EMAIL, to=["a@acme.example\r\nBcc: x@evil.example"]), "alert_channel.to[0]:"),
        (_with(EMAIL, to=["ops@acme.example", "OPS@acme.example"]), "alert_channel.to[1]: 'OPS@acme.example' is"),
        (_with(EMAIL, sender=...), "alert_channel.sender: is required"),
        (_with(EMAIL, sender="alerts at acme"), "alert_channel.sender: 'alerts at acme' is not an email address"),
        (_with(EMAIL, host=...), "alert_channel.host: is required"),
        (_with(EMAIL, host="smtp acme"), "alert_channel.host: 'smtp acme' is not a host name"),
        (_with(EMAIL, host=""), "alert_channel.host: '' is not a host name"),
        (_with(EMAIL, port="587"), "alert_channel.port: must be a port number"),
        (_with(EMAIL, port=True), "alert_channel.port: must be a port number"),
        (_with(EMAIL, port=70000), "alert_channel.port: must be a port number from 1 to 65535, not 70000"),
        (_with(EMAIL, port=465), "alert_channel.port: 465 (implicit TLS) is not supported"),
        (_with(EMAIL, starttls="yes"), "alert_channel.starttls: must be true or false"),
        (_with(EMAIL, start_tls=False), "alert_channel.start_tls: is not a field of an email channel"),
        (_with(EMAIL, username=""), "alert_channel.username: must be a non-empty string"),
        (_with(EMAIL, username="alerts"), "alert_channel.password: is required when a username is given"),
        (_with(EMAIL, password=PASSWORD), "alert_channel.username: is required when a password is given"),
        (_with(EMAIL, username="u", password=PASSWORD, starttls=False), "alert_channel.starttls: must be true"),
        (_with(WEBHOOK, url=...), "alert_channel.url: is required"),
        (_with(WEBHOOK, url=42), "alert_channel.url: must be a URL, not 42"),
        (_with(WEBHOOK, url="ftp://acme.example/x"), "alert_channel.url: 'ftp://acme.example/x' is not an http"),
        (_with(WEBHOOK, url="hooks.acme.example/alerts"), "alert_channel.url: 'hooks.acme.example/alerts' is not"),
        (_with(WEBHOOK, url="https:///alerts"), "alert_channel.url: 'https:///alerts' has no host"),
        (_with(WEBHOOK, url="https://acme.example:99999/"), "alert_channel.url: 'https://acme.example:99999/' is not"),
        (_with(WEBHOOK, url="https://u:p@acme.example/"), "alert_channel.url: must not carry a user name"),
        (_with(WEBHOOK, url="https://acme.example/a b"), "alert_channel.url: 'https://acme.example/a b' contains"),
        (_with(WEBHOOK, url="https://acme.example/" + "a" * 2048), "alert_channel.url: is longer than 2048"),
        (_with(WEBHOOK, secret=...), "alert_channel.secret: is required"),
        (_with(WEBHOOK, secret=12345678901234567), "alert_channel.secret: must be a string"),
        (_with(WEBHOOK, secret="short-secret"), "alert_channel.secret: must be at least 16 characters"),
        (_with(WEBHOOK, host="smtp.acme.example"), "alert_channel.host: is not a field of a webhook channel"),
    ],
)
def test_every_bad_channel_names_its_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ChannelInvalid) as caught:
        parse_channel(data)
    assert str(caught.value).startswith(message), str(caught.value)
    assert caught.value.field == message.split(":")[0]
    for secret in (PASSWORD, SECRET, "short-secret", "12345678901234567"):
        assert secret not in str(caught.value)


def test_a_channel_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ChannelInvalid) as caught:
        parse_channel(["email"])  # type: ignore[arg-type]
    assert caught.value.field == "alert_channel"
