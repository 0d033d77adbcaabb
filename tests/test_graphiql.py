"""GraphiQL's page and assets come from the gateway itself (the browser run: tests/browser/)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from gateway.emulators.serving import BackgroundServer
from gateway.graphiql import ASSET_ROUTE, ASSETS, GraphiQL
from gateway.graphql.examples import EXAMPLES
from tests.conftest import start_stack

VENDORED = Path(__file__).parents[1] / "gateway" / "graphiql_assets"


@pytest.fixture
def served() -> Iterator[tuple[GraphiQL, str]]:
    graphiql = GraphiQL(EXAMPLES)
    server = BackgroundServer(Starlette(routes=[Route(ASSET_ROUTE, graphiql.asset)])).start()
    try:
        yield graphiql, server.url
    finally:
        server.stop()


def _links(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]*)"', page)


def test_the_page_links_only_its_own_assets_with_their_versions(
    served: tuple[GraphiQL, str],
) -> None:
    graphiql, root = served
    links = [link for link in _links(graphiql.page) if link != "data:,"]
    assert sorted(link.split("?")[0] for link in links) == sorted(
        f"graphiql/assets/{name}" for name in ASSETS
    )
    for link in links:
        answer = httpx.get(f"{root}/{link}")
        assert answer.status_code == 200, link
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_page_allows_nothing_but_its_own_origin() -> None:
    page = GraphiQL(EXAMPLES).page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert csp is not None
    directives = dict(d.strip().split(" ", 1) for d in csp.group(1).split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    # No inline script for 'self' to be bypassed by: only the examples' data block.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline == [' type="application/json" id="gateway-examples"']


def test_the_examples_are_the_tabs_and_cannot_end_their_script_block() -> None:
    tricky = {"title": "t", "query": "# </script><!-- & >\n{ a }\n", "variables": {"x": 1}}
    page = GraphiQL([*EXAMPLES, tricky]).page
    block = re.search(r'id="gateway-examples">(.*?)</script>', page, re.S)
    assert block is not None
    tabs = json.loads(block.group(1))
    assert [t["query"] for t in tabs] == [e["query"] for e in EXAMPLES] + [tricky["query"]]
    assert json.loads(tabs[-1]["variables"]) == {"x": 1}
    assert json.loads(tabs[1]["variables"]) == EXAMPLES[1]["variables"]


def test_assets_are_the_vendored_bytes_with_their_types(served: tuple[GraphiQL, str]) -> None:
    _, root = served
    script = httpx.get(
        f"{root}/graphiql/assets/graphiql.min.js", headers={"accept-encoding": "identity"}
    )
    assert script.content == (VENDORED / "graphiql.min.js").read_bytes()
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["x-content-type-options"] == "nosniff"
    style = httpx.get(f"{root}/graphiql/assets/graphiql.min.css")
    assert style.headers["content-type"] == "text/css; charset=utf-8"


def test_gzip_when_accepted_and_304_when_unchanged(served: tuple[GraphiQL, str]) -> None:
    _, root = served
    url = f"{root}/graphiql/assets/react-dom.production.min.js"
    with httpx.Client() as client:
        raw = client.get(url, headers={"accept-encoding": "gzip"})
        assert raw.headers["content-encoding"] == "gzip"
        assert int(raw.headers["content-length"]) < len(raw.content)  # httpx decoded it
        assert raw.content == (VENDORED / "react-dom.production.min.js").read_bytes()
        again = client.get(url, headers={"if-none-match": raw.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_an_unversioned_url_is_revalidated(served: tuple[GraphiQL, str]) -> None:
    _, root = served
    for url in ("graphiql/assets/page.js", "graphiql/assets/page.js?v=0000"):
        assert httpx.get(f"{root}/{url}").headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "name",
    ["NOTICE.md", "LICENSE.react", "graphiql.js", "..%2Fgraphiql.py", "..%2F..%2Fpyproject.toml"],
)
def test_only_listed_names_are_served(served: tuple[GraphiQL, str], name: str) -> None:
    _, root = served
    assert httpx.get(f"{root}/graphiql/assets/{name}").status_code == 404


def test_a_path_below_the_assets_is_not_routed(served: tuple[GraphiQL, str]) -> None:
    _, root = served
    assert httpx.get(f"{root}/graphiql/assets/x/page.js").status_code == 404


def test_the_gateway_serves_them_only_with_graphiql_on(tmp_path: Path) -> None:
    on = start_stack({"GATEWAY_DATABASE": str(tmp_path / "on.sqlite3")})
    off = start_stack(
        {"GATEWAY_DATABASE": str(tmp_path / "off.sqlite3"), "GATEWAY_GRAPHIQL": "false"}
    )
    try:
        page = httpx.get(on.url, headers={"accept": "text/html"})
        assert page.status_code == 200 and 'id="gateway-examples"' in page.text
        link = next(link for link in _links(page.text) if "page.js" in link)
        assert httpx.get(f"{on.gateway.url}/{link}").status_code == 200
        assert httpx.get(f"{off.gateway.url}/{link}").status_code == 404
    finally:
        for stack in (on, off):
            for server in (stack.gateway, stack.pim, stack.omnicommerce, stack.citrusad):
                server.stop()
