"""The JSON REST upstream of the N+1 benchmark: 100 posts by 10 users, as jsonplaceholder has.

``python -m bench.nplus1_upstream --port 3000`` serves it (uvicorn, uvloop when installed);
``create_app()`` builds it for a test's ``BackgroundServer``.

| request | answer |
| --- | --- |
| ``GET /posts`` | the 100 posts: ``{"id", "userId", "title", "body"}`` each |
| ``GET /users?id=1&id=2`` | the users with those ids, by id, unknown ids left out |
| ``GET /users/{id}`` | one user, or 404 |
| ``GET /__emulator__/log`` and the other admin routes | the request log and faults of every emulator (``gateway.emulators.recording``) |
| ``GET /__emulator__/calls`` | ``{"calls": n, "by_path": {...}}``: a cheap count under load |

Answers are encoded once at start: the upstream should cost the benchmark next to nothing.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.emulators.recording import (
    ADMIN_PREFIX,
    Faults,
    RecordingMiddleware,
    RequestLog,
    admin_routes,
)
from gateway.emulators.serving import bind_socket, http_root, make_server

__all__ = ["POSTS", "USERS", "create_app", "main"]

_WORDS = (
    "sunt", "aut", "facere", "repellat", "provident", "occaecati", "excepturi", "optio",
    "reprehenderit", "qui", "est", "esse", "ea", "molestias", "quasi", "exercitationem",
    "ipsa", "sit", "eum", "et", "nesciunt", "quas", "odio", "magnam", "facilis", "autem",
    "dolorem", "dolore", "ipsam",
)  # fmt: skip
_NAMES = (
    "Leanne Graham", "Ervin Howell", "Clementine Bauch", "Patricia Lebsack",
    "Chelsey Dietrich", "Mrs. Dennis Schulist", "Kurtis Weissnat", "Nicholas Runolfsdottir V",
    "Glenna Reichert", "Clementina DuBuque",
)  # fmt: skip


def _text(seed: int, words: int) -> str:
    return " ".join(_WORDS[(seed * 7 + i * 3) % len(_WORDS)] for i in range(words))


USERS: tuple[dict[str, Any], ...] = tuple(
    {
        "id": i,
        "name": name,
        "username": name.split()[-1].lower(),
        "email": f"{name.split()[0].lower()}@example.com",
        "phone": f"1-770-736-80{i:02d}",
        "website": f"user{i}.example.org",
    }
    for i, name in enumerate(_NAMES, start=1)
)
POSTS: tuple[dict[str, Any], ...] = tuple(
    {"id": i, "userId": (i - 1) // 10 + 1, "title": _text(i, 6), "body": _text(i + 100, 24)}
    for i in range(1, 101)
)


def create_app() -> Starlette:
    """A fresh upstream with an empty request log (``app.state.log``) and no faults."""
    log, faults = RequestLog(), Faults()
    posts = json.dumps(POSTS).encode()
    users = {user["id"]: user for user in USERS}
    one = {user["id"]: json.dumps(user).encode() for user in USERS}

    async def all_posts(request: Request) -> Response:
        return Response(posts, media_type="application/json")

    async def users_by_id(request: Request) -> Response:
        ids = sorted({int(v) for v in request.query_params.getlist("id") if v.isdigit()})
        return JSONResponse([users[i] for i in ids if i in users])

    async def user(request: Request) -> Response:
        found = one.get(int(request.path_params["id"]))
        if found is None:
            return JSONResponse({}, status_code=404)
        return Response(found, media_type="application/json")

    async def calls(request: Request) -> Response:
        by_path = Counter(entry.path for entry in log.entries())
        return JSONResponse({"calls": sum(by_path.values()), "by_path": by_path})

    extra = [Route(f"{ADMIN_PREFIX}/calls", calls, methods=["GET"])]
    app = Starlette(
        routes=[
            *admin_routes(log, faults, extra=extra),
            Route("/posts", all_posts, methods=["GET"]),
            Route("/users", users_by_id, methods=["GET"]),
            Route("/users/{id:int}", user, methods=["GET"]),
        ],
        middleware=[Middleware(RecordingMiddleware, log=log, faults=faults)],
    )
    app.state.log, app.state.faults = log, faults
    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.nplus1_upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    sock = bind_socket(args.host, args.port)
    print(f"N+1 upstream on {http_root(sock)}", flush=True)
    make_server(create_app(), handle_signals=True).run(sockets=[sock])


if __name__ == "__main__":
    main()
