"""A Redis and a PostgreSQL of one test's own, to stop and start while gateways use them.

The machine's shared servers serve every other test at the same time, so a test that
restarts a server starts its own: ``redis-server`` on a free port with nothing kept on disk,
and a PostgreSQL cluster made by ``initdb`` in the test's temporary directory. PostgreSQL
refuses to run as root; as root the cluster is made and run as the ``postgres`` user
(``runuser``). Missing binaries fail the test under CI (``CI=true``) and skip it elsewhere.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis

from tests.shared.conftest import unused_port

__all__ = ["PrivatePostgres", "PrivateRedis"]


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is needed under CI for the server-restart tests")
    pytest.skip(f"{what} not found: install it to run the server-restart tests")


class PrivateRedis:
    """``redis-server`` on a free loopback port; ``restart`` keeps the port, loses the data."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _missing("redis-server")
        self.binary = str(binary)
        self.port = unused_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        try:
            while True:
                assert self.proc.poll() is None, "redis-server exited at start"
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    assert time.monotonic() < deadline, "redis-server did not answer"
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        """As a crash: nothing is saved (nothing would be anyway)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()


class PostgresBinaries:
    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = found[-1] if found else shutil.which("initdb")
        if initdb is None:
            _missing("PostgreSQL's initdb")
        self.bin = Path(str(initdb)).parent
        # As root, run as the postgres user, which PostgreSQL's own packages create.
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                _missing("runuser (PostgreSQL refuses to run as root)")
            self.prefix = [str(runuser), "-u", "postgres", "--"]

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.prefix, str(self.bin / tool), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{tool} failed: {done.stderr.decode(errors='replace')}"


class PrivatePostgres:
    """A PostgreSQL cluster in a new temporary directory, trust auth on a free loopback port.

    Not under pytest's ``tmp_path``: its parents are private to root, and the server may run
    as ``postgres``. ``remove`` stops the server and deletes the directory.
    """

    def __init__(self) -> None:
        self.binaries = PostgresBinaries()
        self.directory = Path(tempfile.mkdtemp(prefix="gateway-test-postgres-"))
        self.port = unused_port()
        if self.binaries.prefix:
            shutil.chown(self.directory, user="postgres")
        self.data = self.directory / "data"

    def create(self) -> None:
        self.binaries.run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self.binaries.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        psycopg.connect(self.url, connect_timeout=10).close()

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as a server restart cuts them."""
        if (self.data / "postmaster.pid").exists():
            self.binaries.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
