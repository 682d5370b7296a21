"""The ``connectors`` command as a user runs it: doctor, sandbox info, up and down."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.conftest import free_port, free_port_offset
from tests.zoho_merchant import mint_token

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = {"zoho", "shiprocket", "shipstation", "magento", "amazon"}


def connectors(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connectors.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_doctor_names_what_is_missing_and_how_to_start_it() -> None:
    result = connectors("doctor", env={"CONNECTORS_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 1
    assert "Redis is not reachable at redis://127.0.0.1:1/0" in result.stderr
    assert "redis-server --daemonize yes" in result.stderr


def test_doctor_passes_on_this_machine() -> None:
    result = connectors("doctor")
    assert result.returncode == 0, result.stderr


def test_sandbox_info_json_lists_every_provider_with_urls_and_demo_credentials() -> None:
    result = connectors("sandbox", "info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert set(info) == PROVIDERS
    for name, data in info.items():
        assert data["admin_url"].startswith("http://127.0.0.1:"), name
        assert data["demo"], name
    assert set(info["zoho"]["data_centres"]) == {"us", "eu", "in", "au", "jp", "ca", "cn", "sa"}
    assert info["shipstation"]["base_url"] == "http://127.0.0.1:9140"


def test_port_offset_moves_every_sandbox() -> None:
    result = connectors("sandbox", "info", "--json", env={"CONNECTORS_SANDBOX_PORT_OFFSET": "1000"})
    info = json.loads(result.stdout)
    assert info["shipstation"]["base_url"] == "http://127.0.0.1:10140"


def test_up_migrates_starts_everything_connects_the_demo_tenant_and_down_stops_it(
    tmp_path: Path, database_url: str
) -> None:
    core_port = free_port()
    env = {
        "CONNECTORS_RUN_DIR": str(tmp_path / "run"),
        "CONNECTORS_SANDBOX_PORT_OFFSET": str(free_port_offset()),
        "CONNECTORS_DATABASE_URL": database_url,
        "CONNECTORS_CORE_ADDR": f"127.0.0.1:{core_port}",
        "CONNECTORS_PORTAL_ADDR": f"127.0.0.1:{free_port()}",
        "CONNECTORS_MASTER_KEYS": "",
        "CONNECTORS_SERVICE_TOKENS": "",
        "CONNECTORS_PORTAL_SECRET": "",
        "CONNECTORS_DEMO_PASSWORD": "",
    }
    up = connectors("up", env=env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "migrated to head" in up.stdout
        for name in PROVIDERS:
            assert name in up.stdout
        state = json.loads((tmp_path / "run" / "sandbox.json").read_text())
        for name in PROVIDERS:
            assert httpx.get(state[name]["admin_url"] + "/", timeout=5).status_code == 200
        assert "Demo tenant" in up.stdout
        assert up.stdout.count("healthy") == 5, up.stdout
        again = connectors("up", env=env)
        assert again.returncode == 0 and again.stdout.count("healthy") == 5
        listed = connectors("tenant", "list", env=env)
        assert listed.returncode == 0 and "demo-traders" in listed.stdout
        assert up.stdout.count("webhook:") == 3, up.stdout
        # It opens with the portal's URL and a demo login that works.
        first = up.stdout.splitlines()[0]
        assert first.startswith(f"Portal: http://{env['CONNECTORS_PORTAL_ADDR']}"), first
        password = first.split("password ")[1].rstrip(";")
        portal = httpx.Client(base_url=f"http://{env['CONNECTORS_PORTAL_ADDR']}", timeout=10)
        portal.get("/login")
        login = portal.post(
            "/api/v1/session",
            json={"email": "owner@demo-traders.in", "password": password},
            headers={"x-csrftoken": portal.cookies["csrftoken"]},
        )
        assert login.status_code == 200 and login.json()["tenants"][0]["name"] == "Demo Traders Pvt Ltd", login.text
        portal.close()
        # The demo is wired: confirming an order in the Zoho sandbox gets it an AWB within seconds.
        assert _confirm_a_draft_and_wait_for_its_awb(state["zoho"]["demo"])
    finally:
        down = connectors("down", env=env)
    assert "stopped" in down.stdout
    assert not (tmp_path / "run" / "sandbox.pid").exists()
    assert not (tmp_path / "run" / "core.pid").exists()


def _confirm_a_draft_and_wait_for_its_awb(demo: dict[str, str], seconds: float = 30) -> str:
    """Confirm a draft in the Zoho sandbox and wait for Zoho's own "sales order updated" webhook that carries the
    AWB the platform wrote back (to a receiver of the test's own: no polling)."""
    awbs: dict[str, str] = {}
    arrived = threading.Condition()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            order = json.loads(self.rfile.read(int(self.headers["content-length"]))).get("salesorder") or {}
            fields = {cf.get("api_name"): cf.get("value") for cf in order.get("custom_fields") or []}
            if fields.get("cf_awb_number"):
                with arrived:
                    awbs[str(order.get("salesorder_id"))] = str(fields["cf_awb_number"])
                    arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with httpx.Client(timeout=10) as http:
            token = mint_token(http, demo)
            api, auth = f"{demo['api_domain']}/inventory/v1", {"Authorization": f"Zoho-oauthtoken {token}"}
            org = {"organization_id": demo["organization_id"]}
            hook = {"url": f"http://127.0.0.1:{receiver.server_port}/", "entity": "salesorder", "events": ["updated"]}
            http.post(f"{api}/settings/webhooks", params=org, headers=auth, json=hook).raise_for_status()
            drafts = http.get(f"{api}/salesorders", params={**org, "filter_by": "Status.Draft"}, headers=auth).json()
            order = drafts["salesorders"][0]["salesorder_id"]
            http.post(f"{api}/salesorders/{order}/status/confirmed", params=org, headers=auth).raise_for_status()
            with arrived:
                arrived.wait_for(lambda: order in awbs, timeout=seconds)
    finally:
        receiver.shutdown()
        receiver.server_close()
    if order not in awbs:
        raise AssertionError(f"sales order {order} got no AWB within {seconds:.0f} s")
    return awbs[order]


def test_a_busy_port_is_reported_not_crashed_on() -> None:

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        offset = port - 9140  # ShipStation's default port lands on the busy one
        result = connectors("sandbox", "--only", "shipstation", env={"CONNECTORS_SANDBOX_PORT_OFFSET": str(offset)})
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_an_unknown_sandbox_name_lists_the_known_ones() -> None:
    result = connectors("sandbox", "info", "--only", "fedex")
    assert result.returncode == 2
    assert "unknown sandbox 'fedex'" in result.stderr and "shipstation" in result.stderr
