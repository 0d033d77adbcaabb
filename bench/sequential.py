"""One client, one kept-open connection, one request after another: the latency a browser or a
service holding its connection sees for a trivial query.

It is the figure the 40 ms delayed-ACK stall (listening sockets without TCP_NODELAY) shows in
plainly: every answer after the first waits for the client's delayed ACK, so the median
stays at about 40 ms whatever the query costs. Measured with the standard library's
``http.client`` (one socket, no pool) so that nothing can open a second connection.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["TRIVIAL_QUERY", "SequentialFigures", "measure_sequential"]

TRIVIAL_QUERY = "{ gatewayVersion }"


@dataclass(frozen=True, slots=True)
class SequentialFigures:
    requests: int
    connections: int  # distinct client ports seen: 1 unless the server closed the connection
    latencies: tuple[float, ...]  # seconds

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    @property
    def per_second(self) -> float:
        total = sum(self.latencies)
        return len(self.latencies) / total if total else 0.0

    def report(self) -> str:
        return (
            f"one connection, {self.requests} sequential `{TRIVIAL_QUERY}`: "
            f"p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, {self.per_second:.0f} req/s "
            f"({self.connections} connection{'s' if self.connections != 1 else ''} used; "
            "a 40 ms median means answers wait for delayed ACKs)"
        )


def measure_sequential(
    url: str, headers: dict[str, str], *, requests: int = 200, warmup: int = 5
) -> SequentialFigures:
    """Send ``warmup`` then ``requests`` POSTs of the trivial query over one connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    body = json.dumps({"query": TRIVIAL_QUERY}).encode()
    sent = {**headers, "content-type": "application/json", "accept": "application/json"}
    latencies: list[float] = []
    ports: set[int] = set()
    try:
        for index in range(warmup + requests):
            started = time.perf_counter()
            connection.request("POST", parts.path or "/graphql", body=body, headers=sent)
            answer = connection.getresponse()
            payload = answer.read()
            elapsed = time.perf_counter() - started
            if answer.status != 200 or b'"errors"' in payload:
                raise RuntimeError(f"trivial query failed: {answer.status} {payload[:200]!r}")
            if connection.sock is not None:
                ports.add(connection.sock.getsockname()[1])
            if index >= warmup:
                latencies.append(elapsed)
    finally:
        connection.close()
    return SequentialFigures(requests=requests, connections=len(ports), latencies=tuple(latencies))
