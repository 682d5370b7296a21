"""``make bench``: run every benchmark and print its figures."""

from __future__ import annotations

import asyncio

from bench import core_throughput, sandbox_overhead, webhook_ingest


def main() -> None:
    asyncio.run(sandbox_overhead.main())
    asyncio.run(core_throughput.main())
    asyncio.run(webhook_ingest.main())


if __name__ == "__main__":
    main()
