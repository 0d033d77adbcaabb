"""Issue 14's table, for hostile requests that must cost almost nothing: each case is sent over
HTTP to a production-mode gateway in front of the emulators, and must be refused with its code
before any upstream call (counted from the emulators' request logs).

| case | expected |
| --- | --- |
| 2,400 duplicate fields (9.6 KB), nested and through-fragment variants | ``MAX_REPEATED_FIELDS`` while lexing: no validation error at all |
| ``products(tids:)`` with 20,000 tids as a variable, 4,000 as a literal | ``BAD_USER_INPUT`` naming ``tids``, 0 PIM calls (20,000 as a literal: ``MAX_DOCUMENT_SIZE_LIMIT``) |
| 1.9 MB of string literal, comment or white space (graphql-core lexes them slowly) | ``MAX_DOCUMENT_SIZE_LIMIT`` |
| 1,000 tids | answered, with 10 PIM calls (100 per call) |
| 20 root ``classificationNode { products(first: 100) }`` over the cost limit | ``MAX_COST_LIMIT``, 0 calls |
| tids over the cost limit, literal or variable | ``MAX_COST_LIMIT``, 0 calls; under it, answered |
| the same text, different variables | the cached validation does not keep the per-request limits |
| ``commerceProduct(id: "")`` / ``"a/b"`` | a validation error naming the argument |
| ``copyProduct(newTid: "A\\u000eB")`` | ``BAD_USER_INPUT``, 0 calls |
| a syntax error | ``GRAPHQL_PARSE_FAILED`` |
| variables that do not coerce | ``BAD_USER_INPUT``, HTTP 200 (``application/json``) / 400 (``graphql-response+json``) |

Deadlines and slow clients have their own tests (``tests/security/test_hostile_inputs.py``
and the transport's).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql.language import Lexer, Source, TokenKind

from gateway.security.lexical import SMALL_DOCUMENT_TOKENS, scan_document
from tests.conftest import WRITER_KEY, GatewayStack, start_stack

NO_CALLS = {"pim": 0, "omnicommerce": 0, "citrusad": 0}
NODE = "/Standard/Bekleidung"  # a node of the PIM emulator's demo tree


def _stack(tmp_path: Path, **environ: str) -> Iterator[GatewayStack]:
    running = start_stack(
        {
            "GATEWAY_DATABASE": str(tmp_path / "gateway.sqlite3"),
            "GATEWAY_DEVELOPMENT_MODE": "false",
            **environ,
        }
    )
    try:
        yield running
    finally:
        for server in (running.gateway, running.pim, running.omnicommerce, running.citrusad):
            server.stop()


@pytest.fixture
def prod(tmp_path: Path) -> Iterator[GatewayStack]:
    """Production mode with the default limits."""
    yield from _stack(tmp_path)


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[GatewayStack]:
    """Production mode with a cost limit of 20 estimated upstream calls."""
    yield from _stack(tmp_path, GATEWAY_MAX_QUERY_COST="20")


def _refused(
    stack: GatewayStack, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    stack.clear_logs()
    body = stack.query(query, variables)
    assert body.get("data") is None, body
    assert stack.upstream_calls() == NO_CALLS
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def _codes(errors: list[dict[str, Any]]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in errors]


def _tids(count: int) -> list[str]:
    return [f"T-{i}" for i in range(count)]


def _literal(tids: list[str]) -> str:
    return "[" + ",".join(f'"{t}"' for t in tids) + "]"


# --- validation CPU: refused while lexing ------------------------------------------------------

REPEATED = [
    pytest.param('{ product(tid: "x") { ' + "tid " * 2400 + "} }", "product.tid", id="flat-2400"),
    pytest.param(
        '{ product(tid: "x") { ' + ("variants { " + "tid " * 50 + "} ") * 50 + "} }",
        "product.variants.tid",
        id="nested-50x50",
    ),
    pytest.param(
        '{ product(tid: "x") { '
        + " ".join(f"...F{i}" for i in range(12))
        + " } } "
        + " ".join(f"fragment F{i} on Product {{ {'tid ' * 5}}}" for i in range(12)),
        "tid",
        id="fragments-12x5",
    ),
    pytest.param(
        '{ product(tid: "x") { ' + "... on Product { tid } " * 400 + "} }",
        "product.tid",
        id="inline-fragments-400",
    ),
]


@pytest.mark.parametrize(("query", "field"), REPEATED)
def test_repeated_fields_are_refused_before_validation(
    prod: GatewayStack, query: str, field: str
) -> None:
    (error,) = _refused(prod, query)
    # Only the lexical refusal: had validation run, its errors (GRAPHQL_VALIDATION_FAILED,
    # "Validation aborted.") would be here too.
    assert error["extensions"]["code"] == "MAX_REPEATED_FIELDS", error
    assert error["extensions"]["limit"] == 20
    assert field in error["extensions"]["field"]


@pytest.mark.parametrize(
    "query",
    [
        '{ product(tid: "' + "x" * 1_900_000 + '") { tid } }',
        '{ product(tid: "x") { tid } } #' + "c" * 1_900_000,
        '{ product(tid: "x") { tid } }' + " " * 1_900_000,
    ],
    ids=["string", "comment", "spaces"],
)
def test_a_long_document_is_refused_before_parsing(prod: GatewayStack, query: str) -> None:
    (error,) = _refused(prod, query)
    assert error["extensions"] == {"code": "MAX_DOCUMENT_SIZE_LIMIT", "limit": 20_000}


def test_twenty_repeats_still_run(prod: GatewayStack) -> None:
    body = prod.query('{ product(tid: "DEMO-0001") { ' + "tid " * 20 + "} }")
    assert "errors" not in body, body
    assert body["data"]["product"]["tid"] == "DEMO-0001"


# --- list fan-out --------------------------------------------------------------------------


def test_twenty_thousand_tids_are_bad_user_input_before_any_call(prod: GatewayStack) -> None:
    (error,) = _refused(
        prod, "query ($t: [String!]!) { products(tids: $t) { tid } }", {"t": _tids(20_000)}
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "tids", "limit": 1000}
    assert "'tids'" in error["message"] and "20000" in error["message"]
    # As a literal, more than 1,000 tids are over the token limit, 20,000 over the length.
    over_tokens = _refused(prod, "{ products(tids: " + _literal(_tids(1_001)) + ") { tid } }")
    assert _codes(over_tokens) == ["MAX_TOKENS_LIMIT"]
    too_long = _refused(prod, "{ products(tids: " + _literal(_tids(20_000)) + ") { tid } }")
    assert _codes(too_long) == ["MAX_DOCUMENT_SIZE_LIMIT"]


def test_the_ids_cap_refuses_a_literal_list_too(tmp_path: Path) -> None:
    for stack in _stack(tmp_path, GATEWAY_MAX_IDS_PER_ARGUMENT="100"):
        (error,) = _refused(stack, "{ products(tids: " + _literal(_tids(101)) + ") { tid } }")
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "tids", "limit": 100}
        assert "'tids'" in error["message"] and "101" in error["message"]


def test_a_thousand_tids_are_answered_a_hundred_per_call(prod: GatewayStack) -> None:
    prod.clear_logs()
    body = prod.query("query ($t: [String!]!) { products(tids: $t) { tid } }", {"t": _tids(1000)})
    assert "errors" not in body, body
    assert len(body["data"]["products"]) == 1000
    assert prod.pim.app.state.log.count() == 10


def test_twenty_pages_of_a_hundred_are_over_the_cost_limit(tight: GatewayStack) -> None:
    # Each root: the node (1), its products query (1), its page of 100 loaded (1) = 60 > 20.
    roots = [
        f'n{i}: classificationNode(path: "{NODE}") {{ products(first: 100) {{ totalCount }} }}'
        for i in range(20)
    ]
    (error,) = _refused(tight, "{ " + " ".join(roots) + " }")
    assert error["extensions"] == {"code": "MAX_COST_LIMIT", "limit": 20}
    # Six of them (18) are within it, and run.
    tight.clear_logs()
    body = tight.query("{ " + " ".join(roots[:6]) + " }")
    assert "errors" not in body, body
    assert tight.upstream_calls()["pim"] > 0


def test_the_cost_counts_ids_per_pim_call(tight: GatewayStack) -> None:
    # ceil(ids / 100) calls per argument: 2,100 ids are 10 + 10 + 1 = 21 > 20.
    def query(count: int) -> tuple[str, dict[str, Any]]:
        parts = [_tids(count)[i : i + 1000] for i in range(0, count, 1000)]
        head = ", ".join(f"$t{i}: [String!]!" for i in range(len(parts)))
        body = " ".join(f"p{i}: products(tids: $t{i}) {{ tid }}" for i in range(len(parts)))
        return f"query ({head}) {{ {body} }}", {f"t{i}": p for i, p in enumerate(parts)}

    (error,) = _refused(tight, *query(2_100))
    assert error["extensions"] == {"code": "MAX_COST_LIMIT", "limit": 20}
    tight.clear_logs()
    body = tight.query(*query(1_900))
    assert "errors" not in body, body
    assert tight.pim.app.state.log.count() == 19


def test_the_cost_counts_literal_ids_per_pim_call(tmp_path: Path) -> None:
    # Literal lists fit the token limit only in the hundreds: a cost limit of 5 is 2 + 2 + 1
    # calls for lists of 101, 101 and 1 ids; 101, 101 and 101 are 6.
    def query(sizes: list[int]) -> str:
        tids = iter(_tids(sum(sizes)))
        lists = [[next(tids) for _ in range(size)] for size in sizes]
        return (
            "{ "
            + " ".join(
                f"p{i}: products(tids: {_literal(t)}) {{ tid }}" for i, t in enumerate(lists)
            )
            + " }"
        )

    for stack in _stack(tmp_path, GATEWAY_MAX_QUERY_COST="5"):
        (error,) = _refused(stack, query([101, 101, 101]))
        assert error["extensions"] == {"code": "MAX_COST_LIMIT", "limit": 5}
        stack.clear_logs()
        body = stack.query(query([101, 101, 1]))
        assert "errors" not in body, body
        assert stack.pim.app.state.log.count() == 3  # 203 ids, batched a hundred a call


def test_cached_validation_keeps_no_variables(prod: GatewayStack) -> None:
    # One text, three requests: its validation is kept, the per-request ids cap is not.
    text = "query ($t: [String!]!) { products(tids: $t) { tid } }"
    assert "errors" not in prod.query(text, {"t": _tids(3)})
    (error,) = _refused(prod, text, {"t": _tids(1001)})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    body = prod.query(text, {"t": _tids(2)})
    assert "errors" not in body and len(body["data"]["products"]) == 2


def test_a_repeated_invalid_document_answers_the_same(prod: GatewayStack) -> None:
    text = '{ product(tid: "x") { nope tid(x: 1) } }'
    first, second = _refused(prod, text), _refused(prod, text)
    assert first == second
    assert set(_codes(first)) == {"GRAPHQL_VALIDATION_FAILED"} and len(first) == 2


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "a/b"])
def test_a_bad_literal_is_a_validation_error_naming_the_argument(
    prod: GatewayStack, value: str
) -> None:
    (error,) = _refused(prod, f'{{ commerceProduct(id: "{value}") {{ id }} }}')
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["extensions"]["argument"] == "id"


def test_a_control_character_for_the_xml_is_bad_user_input(prod: GatewayStack) -> None:
    prod.clear_logs()
    body = prod.query('mutation { copyProduct(tid: "P-1", newTid: "A\\u000eB") { __typename } }')
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert prod.upstream_calls() == NO_CALLS


def test_a_syntax_error_is_parse_failed(prod: GatewayStack) -> None:
    assert _codes(_refused(prod, "{ product(")) == ["GRAPHQL_PARSE_FAILED"]


VARIABLES = [
    pytest.param("query ($n: Int!) { searchProducts(first: $n) { totalCount } }", {"n": "x"}),
    pytest.param("query ($n: Int!) { searchProducts(first: $n) { totalCount } }", {}),
    pytest.param(
        "query ($id: CommerceProductId!) { commerceProduct(id: $id) { id } }", {"id": "a/b"}
    ),
]


@pytest.mark.parametrize(("query", "variables"), VARIABLES)
def test_variables_that_do_not_coerce_are_bad_user_input(
    prod: GatewayStack, query: str, variables: dict[str, Any]
) -> None:
    assert _codes(_refused(prod, query, variables)) == ["BAD_USER_INPUT"]
    for accept, status in (("application/json", 200), ("application/graphql-response+json", 400)):
        answer = httpx.post(
            prod.url,
            json={"query": query, "variables": variables},
            headers={"X-API-Key": WRITER_KEY, "Accept": accept},
        )
        assert answer.status_code == status, (accept, answer.text)
        assert _codes(answer.json()["errors"]) == ["BAD_USER_INPUT"]


# --- the scan itself -----------------------------------------------------------------------

SCANNED = [
    # (document, the field refused or None), with a limit of 3 repeats
    ("{ a a a }", None),
    ("{ a a a a }", "a"),
    ("{ x: a x: b x: c x: d }", "x"),  # the alias is the response name
    ("{ a: x b: x c: x d: x }", None),
    ("{ a(f: {a: 1, b: [{a: 2}]}) a a @skip(if: false) }", None),  # braces in values
    ("query Q($v: In = {a: {a: 1}}) { a a a }", None),
    ("{ a { b b } a { b b } }", "a.b"),  # same-named fields merge their selections
    ("{ a { b b } c { b b } }", None),
    ("{ ... on Q { a a } ... @include(if: true) { a a } }", "a"),  # inline fragments merge
    ("{ a ...F ...F } fragment F on Q { a a }", None),  # a fragment counts once per set
    ("{ a a ...F } fragment F on Q { a a }", "a"),
    ("{ ...F ...G } fragment F on Q { a a } fragment G on Q { ...H } fragment H on Q { a a }", "a"),
    ('{ a(s: "a a a a", t: """a a a a""") # a a a a\n }', None),  # strings, comments
]


@pytest.mark.parametrize(("query", "field"), SCANNED)
def test_the_scan_counts_response_paths(query: str, field: str | None) -> None:
    refused = scan_document(query, max_tokens=None, max_depth=None, max_repeated=3)
    if field is None:
        assert refused is None, refused
    else:
        assert refused is not None and refused.extensions is not None
        assert refused.extensions["field"] == field


KNOWN = frozenset({"a", "b", "c", "__typename"})
PADDING = " ".join(f"p{i}: a" for i in range(SMALL_DOCUMENT_TOKENS))  # valid aliases

FIELD_NAMES = [
    # (document, the unknown field found or None): names that are not fields never count
    ("{ a x: b }", None),  # the alias is not a field name
    ("{ x: nope }", "nope"),
    ("{ nope(a: 1) }", "nope"),
    ("{ nope @skip(if: true) }", "nope"),
    ("{ a { b } nope }", "nope"),
    ("query Nope($nope: Nope = {nope: NOPE}) @nope { a(nope: $nope) @nope(nope: 1) }", None),
    ("{ ...Nope ... on Nope { a } } fragment Nope on Nope { __typename }", None),
    ('{ a(s: "nope", t: """nope""") # nope\n }', None),
    ("{ a b c nope1 nope2 }", "nope1"),  # the first is named
    ("{ a { b { c { __typename } } } }", None),
]


@pytest.mark.parametrize(("query", "unknown"), FIELD_NAMES)
def test_the_scan_finds_fields_no_type_has_in_a_long_document(
    query: str, unknown: str | None
) -> None:
    long = query.replace("{", "{ " + PADDING, 1)
    refused = scan_document(
        long, max_tokens=None, max_depth=None, max_repeated=None, known_fields=KNOWN
    )
    if unknown is None:
        assert refused is None, refused
        return
    assert refused is not None and refused.extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert refused.message.startswith(f"Cannot query field '{unknown}'")
    (location,) = refused.locations or ()
    assert long.splitlines()[location.line - 1][location.column - 1 :].startswith(unknown)
    # A short document is left to graphql-core, whose message names the parent type.
    assert (
        scan_document(query, max_tokens=None, max_depth=None, max_repeated=None, known_fields=KNOWN)
        is None
    )


def test_a_long_document_of_unknown_fields_is_refused_before_parsing(prod: GatewayStack) -> None:
    query = '{ product(tid: "x") { ' + " ".join(f"f{i}" for i in range(900)) + " } }"
    (error,) = _refused(prod, query)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert (
        error["message"]
        == "Cannot query field 'f0': no type of the schema has a field of that name."
    )
    assert error["locations"] == [{"line": 1, "column": 23}]
    # Short, graphql-core validates it and names the type.
    (error,) = _refused(prod, '{ product(tid: "x") { tid f0 } }')
    assert error["message"] == "Cannot query field 'f0' on type 'Product'."


def test_the_scan_counts_tokens_as_graphql_core() -> None:
    query = '{ a(x: 1.5e3, y: "s", z: [1, 2]) @d { ...F ... on T { b } } } fragment F on T { c }'
    tokens = 0
    lexer = Lexer(Source(query))
    while lexer.advance().kind is not TokenKind.EOF:
        tokens += 1
    assert scan_document(query, max_tokens=tokens, max_depth=None, max_repeated=None) is None
    over = scan_document(query, max_tokens=tokens - 1, max_depth=None, max_repeated=None)
    assert over is not None and over.extensions == {"code": "MAX_TOKENS_LIMIT", "limit": tokens - 1}


def test_a_bulk_writes_id_list_is_capped_by_write_max_items_not_by_the_id_cap(
    stack: GatewayStack,
) -> None:
    # max_ids_per_argument bounds what one read fans out to; a mutation's list is a write
    # job's items (recorded, then paced), bounded by GATEWAY_WRITE_MAX_ITEMS.
    delete = "mutation($ids: [CommerceProductId!]!) { deleteCommerceProducts(ids: $ids, mode: JOB) { job { counts { total } } } }"
    body = stack.query(delete, {"ids": [f"P{i}" for i in range(1_500)]})
    assert "errors" not in body, body
    assert body["data"]["deleteCommerceProducts"]["job"]["counts"]["total"] == 1_500


def test_comments_do_not_count_as_tokens(prod: GatewayStack) -> None:
    # 1,000 tokens exactly, then comments: graphql-core would count those too.
    fields = " ".join(f"a{i}: tid" for i in range(329))
    query = '{ product(tid: "DEMO-0001") { ' + fields + " tid tid tid } }\n# one\n# two"
    tokens = 0
    lexer = Lexer(Source(query))
    while lexer.advance().kind is not TokenKind.EOF:
        tokens += 1
    assert tokens == 1000
    (error,) = _refused(prod, query)
    assert error["extensions"]["code"] == "MAX_ALIASES_LIMIT", error


def test_validation_stops_after_twenty_errors_with_a_code(prod: GatewayStack) -> None:
    fields = " ".join(f"tidd{i}" for i in range(30))  # short: graphql-core validates it
    errors = _refused(prod, '{ product(tid: "x") { ' + fields + " } }")
    assert len(errors) == 21
    assert set(_codes(errors)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert errors[0]["message"] == "Cannot query field 'tidd0' on type 'Product'."
    assert errors[-1]["message"] == (
        "Too many validation errors, error limit reached. Validation aborted."
    )


def test_a_document_over_a_limit_is_refused_without_the_whole_validation(
    prod: GatewayStack,
) -> None:
    # 31 aliases (limit 30) and a field Product lacks: the limit alone answers.
    aliases = " ".join(f"a{i}: tid" for i in range(31))
    (error,) = _refused(prod, '{ product(tid: "x") { ' + aliases + " variants { nope } } }")
    assert error["extensions"] == {"code": "MAX_ALIASES_LIMIT", "limit": 30}
    # Within the limit, validation speaks.
    aliases = " ".join(f"a{i}: tid" for i in range(30))
    (error,) = _refused(prod, '{ product(tid: "x") { ' + aliases + " variants { nope } } }")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
