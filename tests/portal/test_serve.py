"""``python -m portal`` (what ``connectors portal`` runs): serves, writes its ready file, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT, CoreHandle, free_port
from tests.portal.conftest import portal_settings


async def test_the_portal_process_serves_until_sigterm(core: CoreHandle, tmp_path: Path) -> None:
    settings = portal_settings(core)
    port, ready = free_port(), tmp_path / "portal.json"
    env = {
        **os.environ,
        "CONNECTORS_DATABASE_URL": settings.database_url,
        "CONNECTORS_REDIS_URL": settings.redis_url,
        "CONNECTORS_CORE_ADDR": settings.core_addr,
        "CONNECTORS_SERVICE_TOKENS": settings.service_tokens,
    }
    argv = [sys.executable, "-m", "portal", "--port", str(port), "--ready-file", str(ready)]
    with (tmp_path / "portal.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(*argv, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        async with asyncio.timeout(30):
            while not ready.exists():
                assert proc.returncode is None, (tmp_path / "portal.log").read_text()
                await asyncio.sleep(0.05)
        assert json.loads(ready.read_text()) == {"portal": {"url": f"http://127.0.0.1:{port}"}}
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            refused = await http.post(f"http://127.0.0.1:{port}/hooks/zoho/not-a-connection", content=b"{}")
            assert refused.status_code == 404
    finally:
        if proc.returncode is None:
            proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 15) == 0
    logged = (tmp_path / "portal.log").read_text()
    # The refusal is logged as JSON by structlog; uvicorn's access log (which would print URLs) is off.
    assert '"event": "webhook refused"' in logged and "POST /hooks" not in logged
