"""One process registering OMNICOMMERCE products through the shared Redis limiter.

``python -m tests.shared.drive_omnicommerce <redis url> <emulator url> <name> <items>``
prints ``{"accept": n, "429": n}``; the subprocess test runs two of these at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from gateway.settings import load_settings
from gateway.shared.connection import SharedRedis
from gateway.shared.limiter import redis_limiter
from gateway.upstreams.omnicommerce import OmnicommerceClient
from gateway.upstreams.records import CommerceProduct
from gateway.upstreams.transport import LimiterRegistry, TransportPool, omnicommerce_config


async def drive(redis_url: str, emulator_url: str, name: str, items: int) -> dict[str, int]:
    shared = SharedRedis.from_url(redis_url)
    config = omnicommerce_config(load_settings({}), emulator_url=emulator_url + "/2022-08")
    pool = TransportPool()
    pool.limiters = LimiterRegistry(factory=lambda c: redis_limiter(shared, c))
    client = OmnicommerceClient(pool.add(dataclasses.replace(config, timeout=5.0)))
    products = [
        CommerceProduct(
            id=f"{name}-{i}",
            url=f"https://img.example/{i}.jpg",
            detection="TOP",
            sales_url=f"https://shop.example/{i}",
            metadata={"productName": f"shirt {i}", "originPrice": 10000},
        )
        for i in range(items)
    ]
    try:
        result = await client.register(products)
    finally:
        await pool.aclose()
        await shared.aclose()
    refused = client.transport.metrics.count("omnicommerce", outcome="429")
    return {"accept": result.accept, "429": refused}


if __name__ == "__main__":
    redis_url, emulator_url, name, items = sys.argv[1:5]
    print(json.dumps(asyncio.run(drive(redis_url, emulator_url, name, int(items)))))
