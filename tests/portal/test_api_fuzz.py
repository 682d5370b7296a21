"""Schemathesis against the portal's JSON API, as published in its OpenAPI schema, signed in as the owners
of two tenants in turn: whatever it sends, the portal never answers 5xx. The CLI runs as a subprocess
against the real served portal (which keeps serving on the test's event loop meanwhile)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.portal.browser import artifacts_dir
from tests.portal.conftest import Portal, Visitor

ST = Path(sys.executable).with_name("st")
EXAMPLES = int(os.environ.get("CONNECTORS_FUZZ_EXAMPLES", "15"))
SKIPPED = r"^/api/v1/session$"
"""Signing in and out would replace the session the run authenticates with."""


async def fuzz(portal: Portal, visitor: Visitor, name: str) -> tuple[int, str]:
    token, csrf = visitor.client.cookies["portal_session"], await visitor.csrf()
    report = artifacts_dir() / "schemathesis" / name
    report.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        str(ST), "run", f"{portal.url}/api/schema/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", str(EXAMPLES),
        "--seed", "20261124",
        # One worker: hypothesis describes strategies by parsing lambdas' source, and CPython 3.11's ast.parse run
        # from two threads at once fails now and then ("AST constructor recursion depth mismatch").
        "--workers", "1",
        "--request-timeout", "30",
        "--exclude-path-regex", SKIPPED,
        "--header", f"Cookie: portal_session={token}; csrftoken={csrf}",
        "--header", f"x-csrftoken: {csrf}",
        "--report", "junit", "--report-dir", str(report),
        "--no-color",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode(errors="replace")


@pytest.mark.timeout(600)
async def test_the_json_api_never_answers_5xx_to_either_of_two_tenants(portal: Portal) -> None:
    async with Visitor(portal.url) as first, Visitor(portal.url) as second:
        await first.signup("Fuzz One Traders")
        await second.signup("Fuzz Two Traders")
        for name, visitor in (("first", first), ("second", second)):
            code, output = await fuzz(portal, visitor, name)
            assert code == 0, output[-6000:]
            assert "not_a_server_error" in output or "passed" in output.lower(), output[-3000:]
