"""GraphiQL, served whole by the gateway: the page, its scripts and styles, no CDN.

| URL | what |
| --- | --- |
| ``/graphql`` (a browser's GET) | ``GraphiQL.page``: ``graphiql_page.html`` with the example operations as tabs |
| ``/graphiql/assets/<name>?v=<hash>`` | ``GraphiQL.asset``: one of ``ASSETS``, cached a year when ``v`` is current |

The third-party files in ``graphiql_assets/`` come from the npm registry, unchanged
(``scripts/fetch_graphiql_assets.sh``; versions and licences in its ``NOTICE.md``). The page
links them relative to itself, so it works behind a path prefix, and its CSP allows nothing
but this origin.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ASSETS", "ASSET_ROUTE", "GraphiQL"]

_HERE = Path(__file__).parent
_VENDORED = _HERE / "graphiql_assets"
_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"

# The only files served: any other name is a 404 before a path is built, so no request
# reaches the disk.
ASSETS: Mapping[str, tuple[Path, str]] = {
    "react.production.min.js": (_VENDORED / "react.production.min.js", _JS),
    "react-dom.production.min.js": (_VENDORED / "react-dom.production.min.js", _JS),
    "graphiql.min.js": (_VENDORED / "graphiql.min.js", _JS),
    "graphiql.min.css": (_VENDORED / "graphiql.min.css", _CSS),
    "plugin-explorer.umd.js": (_VENDORED / "plugin-explorer.umd.js", _JS),
    "plugin-explorer.css": (_VENDORED / "plugin-explorer.css", _CSS),
    "page.js": (_HERE / "graphiql_page.js", _JS),
}
ASSET_ROUTE = "/graphiql/assets/{name}"

# Inline styles stay allowed: GraphiQL and CodeMirror set style attributes. Fonts are data: URLs
# inside graphiql.min.css; 'self' in connect-src covers the WebSocket to this host too.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
_YEAR = "public, max-age=31536000, immutable"


@dataclass(slots=True)
class _Asset:
    body: bytes
    media_type: str
    version: str = field(init=False)
    _gzipped: bytes | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.version = hashlib.sha256(self.body).hexdigest()[:16]

    def gzipped(self) -> bytes:
        # Compressed once, on first demand: graphiql.min.js is 3.5 MB as published, 0.7 MB so.
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


class GraphiQL:
    """``GraphiQL(examples)``: ``page`` for ``GraphQLEndpoint(graphiql_html=...)``, ``asset``
    for ``Route(ASSET_ROUTE, graphiql.asset)``. Reads its files once, at construction."""

    def __init__(self, examples: Sequence[Mapping[str, Any]]) -> None:
        self._assets = {
            name: _Asset(path.read_bytes(), kind) for name, (path, kind) in ASSETS.items()
        }
        self.page = _render(examples, {name: a.version for name, a in self._assets.items()})

    async def asset(self, request: Request) -> Response:
        asset = self._assets.get(request.path_params["name"])
        if asset is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        current = request.query_params.get("v") == asset.version
        headers = {
            # An unversioned or stale URL is revalidated; the page's versioned one is kept.
            "cache-control": _YEAR if current else "no-cache",
            "etag": f'"{asset.version}"',
            "vary": "accept-encoding",
            "x-content-type-options": "nosniff",
        }
        if request.headers.get("if-none-match") == headers["etag"]:
            return Response(status_code=304, headers=headers)
        body = asset.body
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = asset.gzipped()
            headers["content-encoding"] = "gzip"
        return Response(body, media_type=asset.media_type, headers=headers)


def _render(examples: Sequence[Mapping[str, Any]], versions: Mapping[str, str]) -> str:
    def url(name: str) -> str:
        # Relative to /graphql, so a proxy's path prefix carries over.
        return f"graphiql/assets/{name}?v={versions[name]}"

    tabs = [
        {"query": e["query"], "variables": json.dumps(e.get("variables") or {}, indent=2)}
        for e in examples
    ]
    template = Template((_HERE / "graphiql_page.html").read_text(encoding="utf-8"))
    return template.substitute(
        csp=_CSP,
        examples=_script_json(tabs),
        react_js=url("react.production.min.js"),
        react_dom_js=url("react-dom.production.min.js"),
        graphiql_js=url("graphiql.min.js"),
        graphiql_css=url("graphiql.min.css"),
        explorer_js=url("plugin-explorer.umd.js"),
        explorer_css=url("plugin-explorer.css"),
        page_js=url("page.js"),
    )


def _script_json(value: object) -> str:
    # Inside <script type="application/json"> nothing may look like markup ("</script>",
    # "<!--"); JSON's \\u escapes keep the value the same for JSON.parse.
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
