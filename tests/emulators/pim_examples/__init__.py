"""The OMN PIM document's sample requests and responses, verbatim, and helpers to use them.

Each ``<name>.xml`` here is one sample cut unchanged from ``omn-pim-api.txt``. Answers are
compared with them as trees after ``normalized``: the message time and support id (which
differ on every call) are blanked, and ``<status>`` is put before ``<description>`` (the
document prints both orders).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from gateway.emulators.pim import create_app
from gateway.emulators.serving import BackgroundServer
from gateway.settings import DEMO_PIM_TOKEN
from tests.xmltree import assert_xml_equal, parse_xml

__all__ = [
    "AUTH",
    "NS",
    "PimClient",
    "assert_sample",
    "example",
    "find",
    "findall",
    "normalized",
    "pim_fixtures",
]

NS = "http://www.apollon.de/omn"
AUTH = {"Authorization": f"Bearer {DEMO_PIM_TOKEN}"}
_HERE = Path(__file__).parent
_ORDER = {"status": 0, "description": 1, "details": 2}


def example(name: str) -> bytes:
    return (_HERE / f"{name}.xml").read_bytes()


def normalized(xml: str | bytes | etree._Element) -> etree._Element:
    root = parse_xml(etree.tostring(xml) if isinstance(xml, etree._Element) else xml)
    for itm in root.iter(f"{{{NS}}}itm"):
        if itm.get("key") in ("messageTime", "supportId"):
            itm.text = "*"
    for response in root.iter(f"{{{NS}}}response"):
        ordered = sorted(response, key=lambda c: _ORDER.get(etree.QName(c).localname, 9))
        for child in ordered:
            response.append(child)
    return root


def find(root: etree._Element, path: str) -> etree._Element:
    """``path`` with ``o:`` as the OMN prefix, e.g. ``.//o:response``; fails when absent."""
    found = root.find(path, {"o": NS})
    assert found is not None, f"{path} not found in {etree.tostring(root)[:300]!r}"
    return found


def findall(root: etree._Element, path: str) -> list[etree._Element]:
    return root.findall(path, {"o": NS})


def assert_sample(
    actual: str | bytes | etree._Element, expected: str | bytes | etree._Element
) -> None:
    assert_xml_equal(normalized(actual), normalized(expected))


class PimClient:
    """A thin httpx wrapper over one emulator: ``post_xml``, ``post_json``, answers parsed."""

    def __init__(self, base: str, app: Starlette | None = None) -> None:
        self.http = httpx.Client(base_url=base + "/api/core/v1", headers=AUTH, timeout=10)
        self.app = app

    @property
    def store(self) -> Any:
        assert self.app is not None
        return self.app.state.store

    def close(self) -> None:
        self.http.close()

    def post_xml(self, path: str, body: bytes, *, status: int = 200) -> etree._Element:
        response = self.http.post(path, content=body, headers={"Content-Type": "application/xml"})
        assert response.status_code == status, response.text
        return parse_xml(response.content)

    def post_json(self, path: str, data: Any, *, status: int = 200) -> etree._Element:
        response = self.http.post(path, json=data)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return parse_xml(response.content)

    def query(self, path: str, data: Any) -> Any:
        response = self.http.post(path, json=data)
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str) -> etree._Element:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return parse_xml(response.content)


class _Current:
    """Forwards to the current test's emulator, so one loopback server serves a whole module.

    Every test still gets a freshly seeded emulator over real HTTP; only the uvicorn start and
    stop (a fifth of a second each) is shared.
    """

    def __init__(self) -> None:
        self.app = create_app(seed=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def pim_fixtures() -> tuple[Any, Any]:
    """``pim_loopback, pim = pim_fixtures()`` in a test module: ``pim`` is a PimClient."""

    @pytest.fixture(scope="module")
    def pim_loopback() -> Iterator[tuple[_Current, BackgroundServer]]:
        current = _Current()
        server = BackgroundServer(current).start()  # type: ignore[arg-type]
        yield current, server
        server.stop()

    @pytest.fixture
    def pim(pim_loopback: tuple[_Current, BackgroundServer]) -> Iterator[PimClient]:
        current, server = pim_loopback
        current.app = create_app(seed=True)
        client = PimClient(server.url, current.app)
        yield client
        client.close()

    return pim_loopback, pim
