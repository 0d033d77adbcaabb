"""``python -m bench.peers``: the N+1 benchmark of GraphQL gateways, catalog-gateway beside its peers.

``{ posts { title user { name } } }`` over one JSON REST upstream (``bench.nplus1_upstream``:
100 posts, users batched by id), served by:

| peer | how |
| --- | --- |
| Tailcall 1.0.0, batched | ``@tailcallhq/core-linux-x64-gnu`` (npm), ``batchKey`` on ``Post.user`` |
| Tailcall 1.0.0, batched + dedupe | the same with ``dedupe: true`` on both calls |
| Hive Gateway 2.15.1 | ``@graphql-hive/gateway`` over a Mesh Compose supergraph (``@omnigraph/json-schema``; ``@resolveTo`` batches users) |
| plain strawberry | ``bench.nplus1_strawberry``: a DataLoader per request, one httpx client |
| catalog-gateway, response cache off / on | ``gateway serve`` with ``examples.nplus1`` (``registry.add_loader``) |

Each runs alone, pinned to core 0 (``taskset``); wrk (16 connections) and the upstream share
core 1. Figures: requests a second, p99, upstream calls per query under load (counted in the
upstream's request log) and the gateway's CPU time per query (``/proc``, its process and their
children, every thread: steadier than requests a second when other work shares the machine, and
a peer held back by the upstream shows it too). Answers are checked byte for byte first. The npm packages are
installed, pinned, into ``bench/.peers/`` (gitignored). Without node/npm the npm peers are
skipped, saying so; without wrk (``apt-get install wrk``) the whole section is.
"""

# ruff: noqa: S603, S607  (a benchmark runs the tools it names, found on PATH)

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.nplus1_upstream import POSTS, USERS

__all__ = ["PEER_PACKAGES", "Peer", "Result", "main"]

ROOT = Path(__file__).resolve().parent.parent
PEERS_DIR = Path(__file__).resolve().parent / ".peers"
PEER_PACKAGES = {
    "@tailcallhq/core-linux-x64-gnu": "1.0.0",  # newer releases need a newer glibc
    "@graphql-hive/gateway": "2.15.1",
    "@graphql-mesh/compose-cli": "1.8.2",
    "@omnigraph/json-schema": "0.112.4",
    "@graphql-mesh/transport-rest": "0.12.2",
}
QUERY = "{ posts { title user { name } } }"
UPSTREAM_PORT, FIRST_PORT = 8790, 8791
GATEWAY_CORE, CLIENT_CORE = "0", "1"


@dataclass(slots=True)
class Peer:
    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT


@dataclass(slots=True)
class Result:
    name: str
    rps: float = 0.0
    p99_ms: float = 0.0
    calls_per_query: float = 0.0
    cpu_ms_per_query: float = 0.0
    identical: bool | None = None
    note: str = ""


def _tailcall_config(port: int, upstream: str, dedupe: bool) -> str:
    flag = ", dedupe: true" if dedupe else ""
    users = f'query: [{{key: "id", value: "{{{{.value.userId}}}}"}}], batchKey: ["id"]{flag}'
    return f"""schema @server(port: {port}, hostname: "127.0.0.1") @upstream(batch: {{delay: 1, maxSize: 100}}) {{
  query: Query
}}
type Query {{ posts: [Post] @http(url: "{upstream}/posts"{flag}) }}
type User {{ id: Int! name: String! username: String! email: String! phone: String website: String }}
type Post {{
  id: Int! userId: Int! title: String! body: String!
  user: User @http(url: "{upstream}/users", {users})
}}
"""


_MESH_CONFIG = """import { defineConfig } from '@graphql-mesh/compose-cli'
import { loadJSONSchemaSubgraph } from '@omnigraph/json-schema'

export const composeConfig = defineConfig({
  subgraphs: [{
    sourceHandler: loadJSONSchemaSubgraph('api', {
      endpoint: '%s',
      queryStringOptions: { arrayFormat: 'repeat' },
      operations: [
        { type: 'Query', field: 'posts', path: '/posts', method: 'GET',
          responseSample: './posts.json' },
        { type: 'Query', field: 'usersByIds', path: '/users', method: 'GET',
          argTypeMap: { ids: { type: 'array', items: { type: 'integer' } } },
          queryParamArgMap: { id: 'ids' }, responseSample: './users.json' },
      ],
    }),
  }],
  additionalTypeDefs: `
    extend type query_posts_items {
      user: query_usersByIds_items @resolveTo(sourceName: "api", sourceTypeName: "Query",
        sourceFieldName: "usersByIds", keyField: "userId", keysArg: "ids")
    }
  `,
})
"""


def _npm_ready(out: list[str]) -> bool:
    """The npm peers installed in ``bench/.peers`` (installing them when missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        out.append("node or npm is missing: Tailcall and Hive Gateway are skipped")
        return False
    PEERS_DIR.mkdir(exist_ok=True)
    manifest = {"name": "bench-peers", "private": True, "dependencies": PEER_PACKAGES}
    package = PEERS_DIR / "package.json"
    if not package.exists() or json.loads(package.read_text()) != manifest:
        package.write_text(json.dumps(manifest, indent=2) + "\n")
    bins = PEERS_DIR / "node_modules" / ".bin"
    if not all((bins / name).exists() for name in ("tailcall", "hive-gateway", "mesh-compose")):
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"],
            cwd=PEERS_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            out.append(f"npm install failed: {done.stderr.strip().splitlines()[-1:]}")
            return False
    return True


def _npm_peers(work: Path, upstream: str, out: list[str]) -> list[Peer]:
    bins = PEERS_DIR / "node_modules" / ".bin"
    peers = []
    for port, dedupe, name in (
        (FIRST_PORT, False, "Tailcall, batched"),
        (FIRST_PORT + 1, True, "Tailcall, batched + dedupe"),
    ):
        config = work / f"tailcall-{port}.graphql"
        config.write_text(_tailcall_config(port, upstream, dedupe))
        peers.append(
            Peer(
                name,
                [str(bins / "tailcall"), "start", str(config)],
                port,
                {"TAILCALL_TRACKER": "false"},
            )
        )
    hive = work / "hive"
    hive.mkdir()
    (hive / "node_modules").symlink_to(PEERS_DIR / "node_modules")
    (hive / "posts.json").write_text(json.dumps(POSTS))
    (hive / "users.json").write_text(json.dumps(USERS[:2]))
    (hive / "mesh.config.ts").write_text(_MESH_CONFIG % upstream)
    composed = subprocess.run(
        [str(bins / "mesh-compose"), "-o", "supergraph.graphql"],
        cwd=hive,
        capture_output=True,
        text=True,
        check=False,
    )
    if composed.returncode != 0:
        out.append("Hive Gateway skipped: mesh-compose failed: " + composed.stderr[-300:])
        return peers
    port = FIRST_PORT + 2
    command = [str(bins / "hive-gateway"), "supergraph", "supergraph.graphql"]
    command += ["--port", str(port), "--host", "127.0.0.1"]
    peers.append(Peer("Hive Gateway", command, port, cwd=hive))
    return peers


def _python_peers(work: Path, upstream: str) -> list[Peer]:
    python = sys.executable
    strawberry = Peer(
        "plain strawberry",
        [python, "-m", "bench.nplus1_strawberry", "--port", str(FIRST_PORT + 3)],
        FIRST_PORT + 3,
    )
    strawberry.command += ["--upstream", upstream]
    peers = [strawberry]
    for offset, cached, name in ((4, False, "catalog-gateway, response cache off"),
                                 (5, True, "catalog-gateway, response cache on")):  # fmt: skip
        env = {
            "GATEWAY_PORT": str(FIRST_PORT + offset),
            "GATEWAY_EXTENSIONS": "examples.nplus1",
            "NPLUS1_UPSTREAM_URL": upstream,
            "GATEWAY_DATABASE": str(work / f"gateway-{offset}.sqlite3"),
            # Peers log nothing per request; ours would write a line a query.
            "GATEWAY_LOG_LEVEL": "WARNING",
            # Peers take anonymous callers; development mode lets ours read without a key.
            "GATEWAY_DEVELOPMENT_MODE": "true",
        }
        if not cached:
            env["GATEWAY_RESPONSE_CACHE_MAX_BYTES"] = "0"
        peers.append(Peer(name, [python, "-m", "gateway", "serve"], FIRST_PORT + offset, env))
    return peers


@contextmanager
def _running(
    command: list[str], core: str, env: dict[str, str], cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        ["taskset", "-c", core, *command],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answer(url: str, timeout: float = 90.0) -> bytes:
    """The peer's answer to the query, once it answers at all."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = httpx.post(url, json={"query": QUERY}, timeout=10)
            if reply.status_code == 200:
                return reply.content
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.2)


def _calls(upstream: str) -> int:
    return int(httpx.get(f"{upstream}/__emulator__/calls", timeout=10).json()["calls"])


_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%s'
"""


def _wrk(url: str, script: Path, seconds: float, connections: int) -> tuple[int, float, float]:
    """(requests, requests a second, p99 ms) of one wrk run pinned to the client core."""
    done = subprocess.run(
        ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s",
         "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    text = done.stdout
    requests = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99_ms = float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} answers were not 2xx")
    return requests, rps, p99_ms


def _measure(
    peer: Peer, upstream: str, script: Path, seconds: float, reference: bytes | None
) -> tuple[Result, bytes]:
    url = f"http://127.0.0.1:{peer.port}/graphql"
    result = Result(peer.name)
    with _running(peer.command, GATEWAY_CORE, peer.env, peer.cwd) as proc:
        body = _answer(url)
        result.identical = None if reference is None else body == reference
        _wrk(url, script, 2, 16)  # warm-up: connections, caches, JITs
        before, cpu_before = _calls(upstream), _tree_cpu_seconds(proc.pid)
        requests, result.rps, result.p99_ms = _wrk(url, script, seconds, 16)
        cpu = _tree_cpu_seconds(proc.pid) - cpu_before
        result.calls_per_query = (_calls(upstream) - before) / max(requests, 1)
        result.cpu_ms_per_query = cpu * 1000 / max(requests, 1)
    return result, body


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) of ``pid`` and its descendants so far: on a
    shared machine a steadier figure than requests a second, which other work pulls down."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name may hold spaces: the fields after its closing parenthesis.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        ticks[child] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


def _report(results: list[Result], out: list[str]) -> None:
    ours = next((r for r in results if r.name.endswith("cache off")), None)
    out.append(
        "| peer | req/s | p99 | upstream calls / query | gateway CPU / query | answer "
        "| catalog-gateway (cache off) vs it |"
    )
    out.append("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        same = {None: "reference", True: "identical", False: "DIFFERS"}[r.identical]
        ratio = f"{ours.rps / r.rps:.2f}x" if ours and r.rps and r is not ours else ""
        out.append(
            f"| {r.name} | {r.rps:,.0f} | {r.p99_ms:.0f} ms | {r.calls_per_query:.2f} "
            f"| {r.cpu_ms_per_query:.2f} ms | {same} | {ratio} |"
        )


def run_peers(seconds: float = 10.0, only: Sequence[str] = ()) -> list[str]:
    """Run the section; the lines to print."""
    out = ["## Peers: the N+1 query, 16 connections, gateway on core 0, wrk + upstream on core 1"]
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        return [*out, "wrk or taskset is missing (apt-get install wrk util-linux): skipped"]
    upstream = f"http://127.0.0.1:{UPSTREAM_PORT}"
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        work = Path(tmp)
        script = work / "query.lua"
        script.write_text(_LUA % json.dumps({"query": QUERY}))
        serve = [sys.executable, "-m", "bench.nplus1_upstream", "--port", str(UPSTREAM_PORT)]
        with _running(serve, CLIENT_CORE, {}, ROOT):
            _wait_up(upstream)
            peers = _python_peers(work, upstream)
            if _npm_ready(out):
                peers = _npm_peers(work, upstream, out) + peers
            peers = [p for p in peers if not only or any(o in p.name for o in only)]
            reference: bytes | None = None
            for peer in sorted(peers, key=lambda p: not p.name.endswith("cache off")):
                try:
                    result, body = _measure(peer, upstream, script, seconds, reference)
                except (RuntimeError, subprocess.CalledProcessError) as exc:
                    out.append(f"{peer.name}: not measured ({exc})")
                    continue
                reference = body if reference is None else reference
                results.append(result)
    _report(results, out)
    return out


def _wait_up(upstream: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _calls(upstream)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk run per peer")
    parser.add_argument("--only", action="append", default=[], help="peers whose name has this")
    args = parser.parse_args(argv)
    for line in run_peers(args.seconds, args.only):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
