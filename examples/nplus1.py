"""The N+1 benchmark of GraphQL gateways as an extension: ``{ posts { title user { name } } }``
over a JSON REST API of posts and users (jsonplaceholder's shape; ``bench/nplus1_upstream.py``
serves one).

Load it with ``GATEWAY_EXTENSIONS=examples.nplus1`` and point it at the API with
``NPLUS1_UPSTREAM_URL`` (default ``http://127.0.0.1:3000``). The API takes no credential; one
that does would be given ``headers=`` (the gateway's own key) or ``forward_headers=`` (the
caller's) in ``ExtensionUpstream``.

| field | loader | upstream call |
| --- | --- | --- |
| ``Query.posts`` | ``posts`` | ``GET /posts``, shared by every request asking at once |
| ``Post.user`` | ``users`` | ``GET /users?id=1&id=2...``: one per batch of 100 ids, not one per post |

So a query costs two calls, and concurrent queries share them (``gateway.extension_loaders``).
"""

from __future__ import annotations

import os
from typing import Any

import strawberry

from gateway.extension_loaders import ExtensionUpstream, UpstreamCalls, slots_by
from gateway.extensions import ExtensionRegistry
from schema.info import Info

__all__ = ["ALL_POSTS", "Post", "PostsQuery", "User", "add_posts", "register", "upstream"]

ALL_POSTS = "all"  # the posts loader's one key: the API has one list


def upstream() -> ExtensionUpstream:
    """The posts API, where ``NPLUS1_UPSTREAM_URL`` says (read when the extension loads)."""
    url = os.environ.get("NPLUS1_UPSTREAM_URL", "http://127.0.0.1:3000")
    return ExtensionUpstream("nplus1", url)


@strawberry.type
class User:
    id: int
    name: str
    username: str
    email: str
    phone: str | None
    website: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> User:
        return cls(
            id=row["id"],
            name=row["name"],
            username=row["username"],
            email=row["email"],
            phone=row.get("phone"),
            website=row.get("website"),
        )


@strawberry.type
class Post:
    id: int
    user_id: int
    title: str
    body: str

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        row = await info.context.loader("users").load(self.user_id)
        return User.from_row(row) if row is not None else None


@strawberry.type
class PostsQuery:
    @strawberry.field(description="Posts of the N+1 example's REST API.")
    async def posts(self, info: Info) -> list[Post]:
        rows = await info.context.loader("posts").load(ALL_POSTS)
        return [
            Post(id=r["id"], user_id=r["userId"], title=r["title"], body=r["body"]) for r in rows
        ]


async def all_posts(keys: list[str], api: UpstreamCalls) -> list[Any]:
    rows = await api.get_json("/posts")
    return [rows for _ in keys]


async def users_by_id(ids: list[int], api: UpstreamCalls) -> list[Any]:
    rows = await api.get_json("/users", [("id", i) for i in ids])
    return slots_by(rows, ids, "id")


def register(registry: ExtensionRegistry) -> None:
    add_posts(registry, upstream())


def add_posts(registry: ExtensionRegistry, api: ExtensionUpstream) -> None:
    """The loaders and ``Query.posts`` over ``api`` (a test passes one forwarding a token)."""
    registry.add_loader("posts", all_posts, upstream=api, max_batch_size=1)
    registry.add_loader("users", users_by_id, upstream=api)
    registry.add_query(PostsQuery)
