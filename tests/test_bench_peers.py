"""``bench.peers``: the gateway CPU per query it reports counts the peer's child processes."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.peers import Result, _report, _tree_cpu_seconds

_BURN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"


def test_cpu_of_a_process_tree_counts_its_children() -> None:
    # A shell that only waits: the CPU is its child's, as a launcher's would be.
    parent = subprocess.Popen(["bash", "-c", f'"{sys.executable}" -c "{_BURN}"; sleep 5'])
    try:
        time.sleep(0.1)
        start = _tree_cpu_seconds(parent.pid)
        deadline = time.monotonic() + 10
        while _tree_cpu_seconds(parent.pid) - start < 0.4:
            assert time.monotonic() < deadline, "the child's CPU time was not counted"
            time.sleep(0.1)
    finally:
        parent.kill()
        parent.wait()


def test_the_report_shows_cpu_per_query_and_ratios() -> None:
    out: list[str] = []
    ours = Result("catalog-gateway, response cache off", rps=1200, p99_ms=20, cpu_ms_per_query=0.5)
    peer = Result("Tailcall, batched", rps=1000, p99_ms=30, calls_per_query=0.5, identical=True)
    peer.cpu_ms_per_query = 0.25
    _report([ours, peer], out)
    assert "| 0.50 ms | reference |" in out[2]
    assert out[3].endswith("| 0.50 | 0.25 ms | identical | 1.20x |")
