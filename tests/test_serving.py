"""Every listening socket the project makes answers small requests on a kept-open connection
without waiting for delayed ACKs: TCP_NODELAY is on for the connections it accepts.

Read back from the accepted socket itself: in process through uvicorn's list of open
connections, and from a ``gateway serve`` / ``gateway emulate`` subprocess by copying the
accepted socket's descriptor out of it (``pidfd_getfd``) after matching it in
``/proc/<pid>/net/tcp``.
"""

from __future__ import annotations

import ctypes
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer, bind_socket, http_root
from gateway.settings import load_settings, with_embedded_upstreams
from tests.conftest import TEST_API_KEYS, WRITER_KEY

_SYS_PIDFD_GETFD = 438  # the same number on x86_64 and aarch64


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")


def _nodelay(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def _keepalive_requests(url: str, path: str, count: int = 3, **headers: str) -> int:
    """GET ``path`` ``count`` times on one connection; the client's local port."""
    host, port = _host_port(url)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        for _ in range(count):
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200
        assert connection.sock is not None
        return int(connection.sock.getsockname()[1])
    finally:
        connection.close()


def _host_port(url: str) -> tuple[str, int]:
    rest = url.split("://", 1)[1]
    host, _, port = rest.rpartition(":")
    return host.strip("[]"), int(port)


# --- in process: the same helper every server uses ----------------------------------------------


def _accepted_sockets(server: BackgroundServer) -> list[socket.socket]:
    state = server.server.server_state
    return [c.transport.get_extra_info("socket") for c in state.connections]  # type: ignore[attr-defined]


def _open_connection_nodelay(server: BackgroundServer, path: str) -> list[bool]:
    host, port = _host_port(server.url)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path, headers={"x-api-key": WRITER_KEY})
        connection.getresponse().read()
        # Still open (keep-alive): uvicorn lists it among its connections.
        return [_nodelay(sock) for sock in _accepted_sockets(server)]
    finally:
        connection.close()


def _gateway_app() -> object:
    # Upstream URLs that nothing calls: /healthz asks none of them.
    roots = {name: "http://127.0.0.1:9" for name in ("pim", "omnicommerce", "citrusad")}
    settings = with_embedded_upstreams(
        load_settings({"GATEWAY_API_KEYS": TEST_API_KEYS, "GATEWAY_DEVELOPMENT_MODE": "true"}),
        roots,
    )
    return create_app(settings, emulated=tuple(roots))


@pytest.mark.parametrize("host", ["127.0.0.1", pytest.param("::1", marks=needs_ipv6)])
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("gateway", "/healthz"),
        ("pim", "/__emulator__/log"),
        ("omnicommerce", "/__emulator__/log"),
        ("citrusad", "/__emulator__/log"),
    ],
)
def test_accepted_connections_have_tcp_nodelay(name: str, path: str, host: str) -> None:
    factories = {
        "gateway": _gateway_app,
        "pim": lambda: pim.create_app(seed=False),
        "omnicommerce": lambda: omnicommerce.create_app(seed=False),
        "citrusad": lambda: citrusad.create_app(seed=False),
    }
    server = BackgroundServer(factories[name](), host=host).start()  # type: ignore[arg-type]
    try:
        flags = _open_connection_nodelay(server, path)
    finally:
        server.stop()
    assert flags == [True]


def test_bind_socket_takes_ipv4_and_ipv6_hosts_and_names_them() -> None:
    with bind_socket("127.0.0.1", 0) as sock:
        assert sock.family == socket.AF_INET
        assert sock.proto == socket.IPPROTO_TCP
        assert http_root(sock).startswith("http://127.0.0.1:")
    if _ipv6_loopback():
        with bind_socket("::1", 0) as sock:
            assert sock.family == socket.AF_INET6
            assert http_root(sock).startswith("http://[::1]:")


# --- subprocesses, as users run them -------------------------------------------------------------


def _free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def _process(
    args: list[str], env: dict[str, str], url: str, probe: str
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).parent.parent,
    )
    try:
        _wait(url, probe, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _socket_inode(pid: int, server_port: int, client_port: int) -> int:
    """The inode of ``pid``'s accepted socket for the connection from ``client_port``."""
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.rsplit(":", 1)[1], 16) == server_port and (
                int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return int(fields[9])
    raise AssertionError(f"no connection {client_port} -> {server_port} in /proc/{pid}/net")


def _borrow_socket(pid: int, inode: int) -> socket.socket:
    """A copy of the descriptor ``pid`` holds for socket ``inode`` (pidfd_getfd, Linux 5.6)."""
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target == f"socket:[{inode}]":
            break
    else:
        raise AssertionError(f"process {pid} holds no descriptor for socket {inode}")
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        fd = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(entry.name), 0)
    finally:
        os.close(pidfd)
    if fd < 0:
        errno = ctypes.get_errno()
        pytest.fail(f"pidfd_getfd refused ({os.strerror(errno)}): cannot read the server's socket")
    return socket.socket(fileno=fd)


def _subprocess_nodelay(proc: subprocess.Popen[bytes], url: str, path: str) -> tuple[bool, float]:
    """TCP_NODELAY of the server's side of a kept-open connection, and the seconds 20 small
    sequential requests on it took."""
    host, port = _host_port(url)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        started = time.perf_counter()
        for _ in range(20):
            connection.request("GET", path)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200
        elapsed = time.perf_counter() - started
        assert connection.sock is not None
        client_port = connection.sock.getsockname()[1]
        inode = _socket_inode(proc.pid, port, client_port)
        with _borrow_socket(proc.pid, inode) as accepted:
            return _nodelay(accepted), elapsed
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["127.0.0.1", pytest.param("::1", marks=needs_ipv6)])
def test_gateway_serve_sets_tcp_nodelay_on_kept_open_connections(host: str) -> None:
    port = _free_port(host)
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    env = {"GATEWAY_HOST": host, "GATEWAY_PORT": str(port), "GATEWAY_DEVELOPMENT_MODE": "true"}
    with _process(["serve"], env, url, "/healthz") as proc:
        nodelay, elapsed = _subprocess_nodelay(proc, url, "/healthz")
    assert nodelay
    # With Nagle on, each of the 19 answers after the first waits >= 40 ms for a delayed ACK.
    assert elapsed < 19 * 0.040, f"20 requests on one connection took {elapsed:.3f} s"


def test_gateway_emulate_sets_tcp_nodelay_on_kept_open_connections() -> None:
    ports = [_free_port() for _ in range(3)]
    args = ["emulate"]
    for flag, port in zip(
        ("--pim-port", "--omnicommerce-port", "--citrusad-port"), ports, strict=True
    ):
        args += [flag, str(port)]
    with _process(args, {}, f"http://127.0.0.1:{ports[0]}", "/__emulator__/log") as proc:
        for port in ports:
            url = f"http://127.0.0.1:{port}"
            _wait(url, "/__emulator__/log", proc)
            nodelay, elapsed = _subprocess_nodelay(proc, url, "/__emulator__/log")
            assert nodelay, f"emulator on port {port}"
            assert elapsed < 19 * 0.040, f"20 requests to port {port} took {elapsed:.3f} s"


def _wait(url: str, probe: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            _keepalive_requests(url, probe, 1)
            return
        except OSError:
            assert proc.poll() is None, "the server exited before answering"
            assert time.monotonic() < deadline, f"{url} did not answer within 60 s"
            time.sleep(0.1)
