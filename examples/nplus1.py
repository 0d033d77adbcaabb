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
Both fields are ``loaded_field``s and the rest plain attributes, so the whole query runs on the
fast executor (``gateway.extension_fields``): one ``load`` per post, no task per post.
"""

from __future__ import annotations

import os
from typing import Any

import strawberry

from gateway.extension_fields import loaded_field
from gateway.extension_loaders import ExtensionUpstream, UpstreamCalls, slots_by
from gateway.extensions import ExtensionRegistry

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

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Post:
        return cls(id=row["id"], user_id=row["userId"], title=row["title"], body=row["body"])

    # = User.from_row(await info.context.loader("users").load(self.user_id)), declared so
    # that the fast executor loads the users of a whole level at once.
    user = loaded_field("users", key="user_id", build=User.from_row, graphql_type=User | None)


def _posts(rows: list[dict[str, Any]]) -> list[Post]:
    return [Post.from_row(r) for r in rows]


def _all_posts_key(_root: object) -> str:
    return ALL_POSTS


@strawberry.type
class PostsQuery:
    posts: list[Post] = loaded_field(
        "posts",
        key=_all_posts_key,
        build=_posts,
        graphql_type=list[Post],
        description="Posts of the N+1 example's REST API.",
    )


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
