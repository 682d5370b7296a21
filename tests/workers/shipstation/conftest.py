"""The US merchant of the ShipStation → Zoho Books tests (``fixtures``): its sandboxes' accounts connected
through a core of its own, and an in-process worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq.worker import Worker

from tests.core.conftest import CoreHandle
from tests.workers.shipstation import fixtures as fx


@pytest.fixture
async def m(core: CoreHandle, sandboxes: Any) -> AsyncIterator[fx.Merchant]:
    """The merchant (budgets lifted at its core)."""
    async for merchant in fx.merchant(core, sandboxes):
        yield merchant


@pytest.fixture
async def worker(m: fx.Merchant) -> AsyncIterator[Worker]:
    async for running in fx.worker(m):
        yield running
