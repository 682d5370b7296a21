"""``make bench``: run every benchmark and print its figures."""

from __future__ import annotations

import asyncio

from bench import core_throughput, dashboard_latency, sandbox_overhead, webhook_ingest


def main() -> None:
    asyncio.run(sandbox_overhead.main())
    asyncio.run(core_throughput.main())
    asyncio.run(webhook_ingest.main())
    asyncio.run(dashboard_latency.main())


if __name__ == "__main__":
    main()
