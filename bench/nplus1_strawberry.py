"""The plain peer of the N+1 benchmark: strawberry, one DataLoader per request, one httpx client.

``python -m bench.nplus1_strawberry --port 8702 --upstream http://127.0.0.1:3000`` serves
``{ posts { title user { name } } }`` as a user would write it in an afternoon, on uvicorn
(uvloop and httptools when installed): no cache, no sharing between requests, no gateway.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import httpx
import strawberry
import uvicorn
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.dataloader import DataLoader

__all__ = ["create_app", "main"]


@strawberry.type
class User:
    id: int
    name: str
    username: str
    email: str
    phone: str | None
    website: str | None


@strawberry.type
class Post:
    id: int
    user_id: int
    title: str
    body: str

    @strawberry.field
    async def user(self, info: strawberry.Info) -> User | None:
        row = await info.context["users"].load(self.user_id)
        return _user(row) if row else None


def _user(row: dict[str, Any]) -> User:
    fields = ("id", "name", "username", "email", "phone", "website")
    return User(**{name: row.get(name) for name in fields})


@strawberry.type
class Query:
    @strawberry.field
    async def posts(self, info: strawberry.Info) -> list[Post]:
        answer = await info.context["client"].get("/posts")
        return [
            Post(id=r["id"], user_id=r["userId"], title=r["title"], body=r["body"])
            for r in answer.json()
        ]


class _App(GraphQL[dict[str, Any], None]):
    def __init__(self, client: httpx.AsyncClient) -> None:
        super().__init__(strawberry.Schema(query=Query), graphql_ide=None)
        self.client = client

    async def get_context(
        self, request: Request | WebSocket, response: Any = None
    ) -> dict[str, Any]:
        client = self.client

        async def users(ids: list[int]) -> list[Any]:
            answer = await client.get("/users", params=[("id", i) for i in ids])
            found = {row["id"]: row for row in answer.json()}
            return [found.get(i) for i in ids]

        return {"client": client, "users": DataLoader(load_fn=users)}


def create_app(upstream: str) -> GraphQL[dict[str, Any], None]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    return _App(httpx.AsyncClient(base_url=upstream, limits=limits))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.nplus1_strawberry")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--upstream", default="http://127.0.0.1:3000")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.upstream),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
