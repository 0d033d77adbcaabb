"""Extension fields on the fast path answer exactly as on graphql-core (``gateway.extension_fields``).

Two in-process gateways, fast execution on and off, the read cache off, in front of the same
loopback emulators: PIM, OMNICOMMERCE, CitrusAd and the N+1 example's REST API
(``bench.nplus1_upstream``). Extensions loaded: ``examples.nplus1`` (loaded fields),
``examples.computed_field`` (no declaration: graphql-core runs it) and, here, the same
resolvers declared plannable beside loaded fields on a built-in type, one that fails in its
batch and one whose build fails. Data, errors and upstream calls compare in full; the
engine's stats say which path answered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import strawberry

import examples.computed_field
import examples.nplus1
from bench.nplus1_upstream import create_app
from examples.nplus1 import ALL_POSTS, Post, User
from gateway import Gateway
from gateway.emulators import citrusad, omnicommerce, pim
from gateway.emulators.serving import BackgroundServer
from gateway.extension_fields import CONTEXT_ONLY
from gateway.extension_loaders import ExtensionUpstream, UpstreamCalls
from gateway.extensions import ExtensionRegistry
from gateway.graphql.info import Info
from gateway.settings import load_settings, with_embedded_upstreams
from tests.execution.comparable import comparable

NPLUS1 = "{ posts { title user { name } } }"
TIDS = '["DEMO-0001", "DEMO-0002", "DEMO-0005", "DEMO-0011", "NOPE", "DEMO-0040"]'


def _author_id(product: Any) -> int | None:
    """Users 1..11 by the tid's last digits (the API has 10: 11 has no record); none else."""
    tail = (product.record.tid or "")[-2:]
    return (int(tail) % 12 or None) if tail.isdigit() else None


def _tid(product: Any) -> str | None:
    return product.record.tid  # type: ignore[no-any-return]


def _name_unless_third(row: dict[str, Any]) -> str:
    if row["id"] == 3:
        raise ValueError(f"user {row['id']} is hidden")
    return str(row["name"])


async def _refuse(keys: list[Any], api: UpstreamCalls) -> list[Any]:
    raise RuntimeError(f"{len(keys)} keys refused")


@strawberry.type
class PlannedQuery:
    @strawberry.field(metadata=CONTEXT_ONLY)
    async def recent_posts(self, info: Info, first: int = 3) -> list[Post]:
        rows = await info.context.loader("posts").load(ALL_POSTS)
        return [Post.from_row(r) for r in rows[:first]]


def _planned() -> ModuleType:
    module = ModuleType("planned_fields")

    def register(registry: ExtensionRegistry) -> None:
        registry.add_field(
            "Product", "planned_node_name", examples.computed_field.node_name, context_only=True
        )
        registry.add_field(
            "Product",
            "author",
            loader="users",
            key=_author_id,
            build=User.from_row,
            graphql_type=User | None,
        )
        registry.add_field(
            "Product",
            "author_name",
            loader="users",
            key=_author_id,
            build=_name_unless_third,
            graphql_type=str | None,
        )
        refusing = ExtensionUpstream("refusing", "http://127.0.0.1:9")
        registry.add_loader("refused", _refuse, upstream=refusing)
        registry.add_field(
            "Product", "refused", loader="refused", key=_tid, graphql_type=str | None
        )
        registry.add_query(PlannedQuery)

    module.register = register  # type: ignore[attr-defined]
    return module


class Upstreams:
    def __init__(self) -> None:
        self.servers = {
            "pim": BackgroundServer(pim.create_app(seed=True)).start(),
            "omnicommerce": BackgroundServer(omnicommerce.create_app(seed=True)).start(),
            "citrusad": BackgroundServer(citrusad.create_app(seed=True)).start(),
            "posts": BackgroundServer(create_app()).start(),
        }

    def calls(self) -> Counter[str]:
        return Counter(
            f"{name} {e.method} {e.path}?{e.query}"
            for name, server in self.servers.items()
            for e in server.app.state.log.entries()
        )

    def clear(self) -> None:
        for server in self.servers.values():
            server.app.state.log.clear()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture(scope="module")
def upstreams() -> Iterator[Upstreams]:
    running = Upstreams()
    try:
        yield running
    finally:
        running.stop()


def _gateway(upstreams: Upstreams, database: Path, fast: bool) -> Gateway:
    settings = load_settings(
        {
            "GATEWAY_FAST_EXECUTION": str(fast).lower(),
            "GATEWAY_CACHE_ENABLED": "false",
            "GATEWAY_DEVELOPMENT_MODE": "true",
            "GATEWAY_DATABASE": str(database),
        }
    )
    urls = {name: s.url for name, s in upstreams.servers.items() if name != "posts"}
    return Gateway(
        with_embedded_upstreams(settings, urls),
        extensions=[examples.nplus1, examples.computed_field, _planned()],
    )


@pytest.fixture
async def gateways(
    upstreams: Upstreams, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    monkeypatch.setenv("NPLUS1_UPSTREAM_URL", upstreams.servers["posts"].url)
    database = tmp_path / "gateway.sqlite3"
    async with (
        _gateway(upstreams, database, True) as fast,
        _gateway(upstreams, database, False) as normal,
    ):
        yield fast, normal


async def _both(
    gateways: tuple[Gateway, Gateway],
    upstreams: Upstreams,
    query: str,
    *,
    sort_errors: bool = False,
) -> tuple[Any, int]:
    """The fast gateway's answer (checked against the normal one's) and its fast runs."""
    fast, normal = gateways
    upstreams.clear()
    expected = await normal.execute(query)
    normal_calls = upstreams.calls()
    upstreams.clear()
    stats = fast.schema.fast_execution.stats  # type: ignore[attr-defined]
    before = stats.fast
    answer = await fast.execute(query)
    assert comparable(answer, sort_errors=sort_errors) == comparable(
        expected, sort_errors=sort_errors
    )
    assert upstreams.calls() == normal_calls
    return answer, stats.fast - before


async def test_the_nplus1_example_runs_on_the_fast_path(
    gateways: tuple[Gateway, Gateway], upstreams: Upstreams
) -> None:
    answer, fast_runs = await _both(gateways, upstreams, NPLUS1)
    assert fast_runs == 1
    assert len(answer.data["posts"]) == 100 and not answer.errors
    # One batch for the whole level: the posts, then every user id at once.
    assert sorted(upstreams.calls()) == [
        "posts GET /posts?",
        "posts GET /users?" + "&".join(f"id={i}" for i in range(1, 11)),
    ]


@pytest.mark.parametrize(
    "query",
    [
        """{ posts { __typename id userId title body
             user { __typename id name username email phone website } } }""",
        """fragment U on User { name n: name } { a: posts { t: title ...on Post { user { ...U } } }
             b: posts { id user { id } } }""",
        "{ recentPosts { title user { email } } few: recentPosts(first: 1) { id } }",
    ],
    ids=["every field", "aliases and fragments", "a context-only root field"],
)
async def test_nplus1_selections_answer_alike(
    query: str, gateways: tuple[Gateway, Gateway], upstreams: Upstreams
) -> None:
    answer, fast_runs = await _both(gateways, upstreams, query)
    assert fast_runs == 1
    assert answer.ok, answer.errors


async def test_undeclared_extension_fields_keep_to_graphql_core(
    gateways: tuple[Gateway, Gateway], upstreams: Upstreams
) -> None:
    query = f"""{{ products(tids: {TIDS}) {{ tid nodeName de: nodeName(locale: "de_DE") }}
                  productTitles(tids: {TIDS}) posts {{ title }} }}"""
    answer, fast_runs = await _both(gateways, upstreams, query)
    assert fast_runs == 0
    assert answer.data["productTitles"][0] is not None


async def test_declared_fields_on_a_built_in_type_answer_alike(
    gateways: tuple[Gateway, Gateway], upstreams: Upstreams
) -> None:
    query = f"""{{ products(tids: {TIDS}) {{ tid plannedNodeName
                    de: plannedNodeName(locale: "de_DE") author {{ id name }} }} }}"""
    answer, fast_runs = await _both(gateways, upstreams, query)
    assert fast_runs == 1
    authors = [p and p["author"] for p in answer.data["products"]]
    assert [a and a["id"] for a in authors] == [1, 2, 5, None, None, 4]  # DEMO-0011: no user 11
    assert answer.data["products"][0]["plannedNodeName"] is not None


async def test_failing_batches_and_builds_give_the_same_errors(
    gateways: tuple[Gateway, Gateway], upstreams: Upstreams
) -> None:
    query = f"""{{ products(tids: {TIDS}) {{ tid authorName refused
                    author {{ name }} }} posts {{ id }} }}"""
    answer, fast_runs = await _both(gateways, upstreams, query, sort_errors=True)
    assert fast_runs == 1
    # Unexpected errors are masked alike; one per product ("NOPE" has none).
    assert [e["path"][-1] for e in answer.errors] == ["refused"] * 5
    # None of those is user 3, whose build fails:
    third = '{ products(tids: ["DEMO-0003", "DEMO-0004", "DEMO-0015"]) { authorName } }'
    answer, fast_runs = await _both(gateways, upstreams, third)
    assert fast_runs == 1
    assert [e["path"] for e in answer.errors] == [["products", i, "authorName"] for i in (0, 2)]
    names = [p["authorName"] for p in answer.data["products"]]
    assert names[0] is None and names[1] and names[2] is None
