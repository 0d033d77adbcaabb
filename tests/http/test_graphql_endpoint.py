"""GraphQLEndpoint over loopback HTTP: media types, statuses, parameters, switches, hooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.http.conftest import RealGateway, TinyApp

GR = "application/graphql-response+json"
JSON = "application/json"
Serve = Callable[..., TinyApp]


@pytest.fixture
def tiny(serve_tiny: Serve) -> TinyApp:
    return serve_tiny()


def post(url: str, body: Any, accept: str | None = GR, **headers: str) -> httpx.Response:
    if accept is not None:
        headers["accept"] = accept
    return httpx.post(url, content=json.dumps(body), headers={"content-type": JSON, **headers})


def get(url: str, accept: str | None = GR, **params: str) -> httpx.Response:
    return httpx.get(url, params=params, headers={"accept": accept} if accept else {})


# --- Accept negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (GR, GR),
        (JSON, JSON),
        (f"{JSON}, {GR}", GR),
        (f"{GR};q=0.5, {JSON}", JSON),
        (f"{JSON};q=0.9, {GR}", GR),
        ("*/*", JSON),
        ("application/*", JSON),
        (None, JSON),
        ("text/html, */*;q=0.8", JSON),
        (f"{GR}; charset=utf-8", GR),
    ],
)
def test_answers_in_the_negotiated_media_type(
    tiny: TinyApp, accept: str | None, media: str
) -> None:
    answer = post(tiny.url, {"query": "{ hello }"}, accept=accept)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == f"{media}; charset=utf-8"
    assert answer.json() == {"data": {"hello": "hello world"}}
    assert "accept" in answer.headers["vary"].lower()


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{GR};q=0, {JSON};q=0"])
def test_unacceptable_accept_is_406_before_any_work(tiny: TinyApp, accept: str) -> None:
    answer = post(tiny.url, {"query": "mutation { bump }"}, accept=accept)
    assert answer.status_code == 406
    assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    assert tiny.bumps == []


def test_utf8_in_and_out(tiny: TinyApp) -> None:
    answer = httpx.post(
        tiny.url,
        content='{"query": "{ hello(name: \\"Run🏃Swim🏊\\") }"}'.encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert answer.status_code == 200
    assert answer.content.decode("utf-8") == '{"data":{"hello":"hello Run🏃Swim🏊"}}'


# --- POST requests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_post_needs_json_content_type(tiny: TinyApp, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    answer = httpx.post(tiny.url, content=b'{"query": "mutation { bump }"}', headers=headers)
    assert answer.status_code == 415
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert tiny.bumps == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b'{ "not a JSON', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'"a string"', "JSON object"),
        (b"42", "JSON object"),
        (b"{}", "missing"),
        (b'{"qeury": "{ hello }"}', "missing"),
        (b'{"query": null}', "missing"),
        (b'{"query": 1}', "string"),
        (b'{"query": {"obj": "ect"}}', "string"),
        (b'{"query": ["{ hello }"]}', "string"),
        (b'{"query": "{ hello }", "variables": "{}"}', "variables"),
        (b'{"query": "{ hello }", "variables": []}', "variables"),
        (b'{"query": "{ hello }", "variables": 0}', "variables"),
        (b'{"query": "{ hello }", "extensions": false}', "extensions"),
        (b'{"query": "{ hello }", "extensions": ["a"]}', "extensions"),
        (b'{"query": "{ hello }", "operationName": 0}', "operationName"),
        (b'{"query": "{ hello }", "operationName": {"a": 1}}', "operationName"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
    ],
)
@pytest.mark.parametrize("accept", [GR, JSON])
def test_malformed_requests_are_400_never_500(
    tiny: TinyApp, body: bytes, message: str, accept: str
) -> None:
    answer = httpx.post(tiny.url, content=body, headers={"content-type": JSON, "accept": accept})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == f"{accept}; charset=utf-8"
    payload = answer.json()
    assert "data" not in payload
    assert message in payload["errors"][0]["message"]
    assert payload["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


@pytest.mark.parametrize("accept", [GR, JSON])
def test_null_optional_parameters_are_allowed(tiny: TinyApp, accept: str) -> None:
    body = {"query": "{ hello }", "variables": None, "operationName": None, "extensions": None}
    answer = post(tiny.url, body, accept=accept)
    assert (answer.status_code, answer.json()) == (200, {"data": {"hello": "hello world"}})


def test_variables_operation_name_and_extensions(tiny: TinyApp) -> None:
    body = {
        "query": "query A { hello } query B($n: String!) { hello(name: $n) }",
        "operationName": "B",
        "variables": {"n": "you"},
        "extensions": {"some": "value"},
    }
    answer = post(tiny.url, body)
    assert (answer.status_code, answer.json()) == (200, {"data": {"hello": "hello you"}})


def test_mutation_over_post(tiny: TinyApp) -> None:
    answer = post(tiny.url, {"query": "mutation { bump }"})
    assert (answer.status_code, answer.json()) == (200, {"data": {"bump": 1}})
    assert tiny.bumps == [1]


# --- GET requests ---------------------------------------------------------------------------


def test_get_runs_queries_from_the_query_string(tiny: TinyApp) -> None:
    answer = get(
        tiny.url,
        query="query Q($n: String!) { hello(name: $n) }",
        variables='{"n": "get"}',
        operationName="Q",
        extensions='{"a": 1}',
    )
    assert (answer.status_code, answer.json()) == (200, {"data": {"hello": "hello get"}})
    assert answer.headers["content-type"] == f"{GR}; charset=utf-8"


@pytest.mark.parametrize("accept", [GR, JSON, None])
def test_mutation_over_get_is_405_and_not_executed(tiny: TinyApp, accept: str | None) -> None:
    answer = get(tiny.url, accept=accept, query="mutation { bump }")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert "data" not in answer.json()
    assert tiny.bumps == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "missing"),
        ({"query": "{ hello }", "variables": "{broken"}, "variables"),
        ({"query": "{ hello }", "variables": "[1]"}, "variables"),
        ({"query": "{ hello }", "extensions": '"x"'}, "extensions"),
    ],
)
def test_malformed_get_is_400(tiny: TinyApp, params: dict[str, str], message: str) -> None:
    answer = get(tiny.url, accept=JSON, **params)
    assert answer.status_code == 400
    assert message in answer.json()["errors"][0]["message"]


def test_other_methods_are_405(tiny: TinyApp) -> None:
    answer = httpx.put(tiny.url, json={"query": "{ hello }"})
    assert answer.status_code == 405


# --- GraphQL request errors vs execution errors ----------------------------------------------

REQUEST_ERRORS = [
    pytest.param("{", None, None, "Syntax Error", id="parse"),
    pytest.param("{ nope }", None, None, "Cannot query field 'nope'", id="validation"),
    pytest.param("query A { hello }", None, "B", 'Unknown operation named "B"', id="operation"),
    pytest.param("query A { hello } query B { hello }", None, None, "operation name", id="many"),
    pytest.param(
        "query ($n: String!) { hello(name: $n) }", {"n": None}, None, "not to be None", id="vars"
    ),
    pytest.param(
        "query ($n: String!) { hello(name: $n) }", {"n": 3}, None, "String", id="coercion"
    ),
    pytest.param("subscription { hello }", None, None, "subscription", id="subscription"),
    pytest.param("", None, None, "empty", id="empty"),
]


@pytest.mark.parametrize(("query", "variables", "operation", "message"), REQUEST_ERRORS)
def test_request_errors_are_400_without_data_in_graphql_response_json(
    tiny: TinyApp, query: str, variables: Any, operation: str | None, message: str
) -> None:
    body = {"query": query, "variables": variables, "operationName": operation}
    answer = post(tiny.url, body, accept=GR)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == f"{GR}; charset=utf-8"
    payload = answer.json()
    assert "data" not in payload
    assert message in payload["errors"][0]["message"], payload


@pytest.mark.parametrize(("query", "variables", "operation", "message"), REQUEST_ERRORS)
def test_request_errors_are_200_in_application_json(
    tiny: TinyApp, query: str, variables: Any, operation: str | None, message: str
) -> None:
    body = {"query": query, "variables": variables, "operationName": operation}
    answer = post(tiny.url, body, accept=JSON)
    assert answer.status_code == 200
    payload = answer.json()
    assert "data" not in payload
    assert message in payload["errors"][0]["message"], payload


@pytest.mark.parametrize("accept", [GR, JSON])
def test_field_errors_are_200_with_data_and_errors(tiny: TinyApp, accept: str) -> None:
    answer = post(tiny.url, {"query": "{ hello broken }"}, accept=accept)
    assert answer.status_code == 200
    payload = answer.json()
    assert payload["data"] == {"hello": "hello world", "broken": None}
    (error,) = payload["errors"]
    assert error["path"] == ["broken"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "item": "broken"}


def test_a_failed_non_null_root_field_is_still_executed_data_null(tiny: TinyApp) -> None:
    answer = post(tiny.url, {"query": "{ hello required }"}, accept=GR)
    assert answer.status_code == 200
    payload = answer.json()
    assert payload["data"] is None  # present and null: execution started
    assert payload["errors"][0]["path"] == ["required"]


# --- introspection and GraphiQL -------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["{ __schema { queryType { name } } }", '{ __type(name: "Query") { name } }']
)
def test_introspection_off_is_a_validation_error(serve_tiny: Serve, query: str) -> None:
    tiny = serve_tiny(introspection=False)
    answer = post(tiny.url, {"query": query}, accept=GR)
    assert answer.status_code == 400
    payload = answer.json()
    assert "data" not in payload
    assert "introspection" in payload["errors"][0]["message"].lower()
    assert payload["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert post(tiny.url, {"query": query}, accept=JSON).status_code == 200


def test_introspection_off_hides_fragments_too_but_keeps_typename(serve_tiny: Serve) -> None:
    tiny = serve_tiny(introspection=False)
    sneaky = "{ ...F } fragment F on Query { __schema { types { name } } }"
    assert post(tiny.url, {"query": sneaky}).status_code == 400
    answer = post(tiny.url, {"query": "{ __typename hello }"})
    assert (answer.status_code, answer.json()["data"]["__typename"]) == (200, "Query")


def test_introspection_on(tiny: TinyApp) -> None:
    answer = post(tiny.url, {"query": "{ __schema { queryType { name } } }"})
    assert answer.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


def test_graphiql_is_served_to_browsers_when_given(serve_tiny: Serve) -> None:
    tiny = serve_tiny(graphiql_html="<html>GraphiQL here</html>")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = httpx.get(tiny.url, headers={"accept": browser})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text == "<html>GraphiQL here</html>"
    # A browser GET with a query still runs it.
    ran = httpx.get(tiny.url, params={"query": "{ hello }"}, headers={"accept": browser})
    assert ran.json() == {"data": {"hello": "hello world"}}


def test_graphiql_off_is_404(tiny: TinyApp) -> None:
    answer = httpx.get(tiny.url, headers={"accept": "text/html"})
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# --- batching -------------------------------------------------------------------------------


def test_batches_are_refused_unless_enabled(tiny: TinyApp) -> None:
    answer = post(tiny.url, [{"query": "mutation { bump }"}])
    assert answer.status_code == 400
    assert "not enabled" in answer.json()["errors"][0]["message"]
    assert tiny.bumps == []


def test_batches_run_in_order_and_answer_an_array(serve_tiny: Serve) -> None:
    tiny = serve_tiny(batching=True, max_batch=3)
    batch = [
        {"query": "mutation { bump }"},
        {"query": "{ nope }"},
        {"query": "mutation { bump }"},
    ]
    answer = post(tiny.url, batch, accept=GR)
    assert answer.status_code == 200
    first, second, third = answer.json()
    assert (first, third) == ({"data": {"bump": 1}}, {"data": {"bump": 2}})
    assert "data" not in second and second["errors"]


def test_batches_beyond_the_cap_or_malformed_are_400(serve_tiny: Serve) -> None:
    tiny = serve_tiny(batching=True, max_batch=2)
    too_many = post(tiny.url, [{"query": "mutation { bump }"}] * 3)
    assert too_many.status_code == 400
    assert "at most 2" in too_many.json()["errors"][0]["message"]
    assert post(tiny.url, []).status_code == 400
    assert post(tiny.url, [{"query": "mutation { bump }"}, {"query": 1}]).status_code == 400
    assert tiny.bumps == []


def test_a_batch_of_request_errors_is_400_in_graphql_response_json(serve_tiny: Serve) -> None:
    tiny = serve_tiny(batching=True)
    answer = post(tiny.url, [{"query": "{"}, {"query": "{ nope }"}], accept=GR)
    assert answer.status_code == 400
    assert all("data" not in item for item in answer.json())


# --- the app's errors and hooks -------------------------------------------------------------


@pytest.mark.parametrize("accept", [GR, JSON])
def test_context_factory_app_errors_keep_their_status(tiny: TinyApp, accept: str) -> None:
    answer = post(tiny.url, {"query": "mutation { bump }"}, accept=accept, **{"x-user": "nobody"})
    assert answer.status_code == 401
    assert answer.json() == {
        "errors": [
            {"message": "authentication required", "extensions": {"code": "UNAUTHENTICATED"}}
        ]
    }
    assert tiny.bumps == []


@pytest.mark.parametrize("accept", [GR, JSON])
def test_app_errors_raised_before_execution_keep_their_status(tiny: TinyApp, accept: str) -> None:
    headers = {"x-user": "reader"}
    answer = post(tiny.url, {"query": "mutation { bump }"}, accept=accept, **headers)
    assert answer.status_code == 403
    payload = answer.json()
    assert "data" not in payload
    assert payload["errors"][0]["message"] == "this key may only read"
    assert payload["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert tiny.bumps == []
    assert post(tiny.url, {"query": "{ who }"}, accept=accept, **headers).status_code == 200


def test_context_factory_bugs_are_500_without_detail(tiny: TinyApp) -> None:
    answer = post(tiny.url, {"query": "{ hello }"}, **{"x-user": "crash"})
    assert answer.status_code == 500
    assert "a bug" not in answer.text


def test_context_reaches_resolvers(tiny: TinyApp) -> None:
    answer = post(tiny.url, {"query": "{ who }"}, **{"x-user": "ada"})
    assert answer.json() == {"data": {"who": "ada"}}


def test_on_result_sees_every_operation_and_refusal(tiny: TinyApp) -> None:
    post(tiny.url, {"query": "{ hello }"})
    post(tiny.url, {"query": "{ nope }"})
    post(tiny.url, {"query": 1})
    outcomes = [(r.data, [e.message for e in r.errors or []]) for r, _ in tiny.results]
    assert outcomes[0] == ({"hello": "hello world"}, [])
    assert outcomes[1][0] is None and "nope" in outcomes[1][1][0]
    assert outcomes[2] == (None, ["The 'query' parameter must be a string."])
    assert all(0 <= seconds < 5 for _, seconds in tiny.results)


def test_a_failing_on_result_hook_does_not_fail_the_request(serve_tiny: Serve) -> None:
    def broken_hook(*args: Any) -> None:
        raise RuntimeError("metrics down")

    tiny = serve_tiny(on_result=broken_hook)
    answer = post(tiny.url, {"query": "{ hello }"})
    assert (answer.status_code, answer.json()) == (200, {"data": {"hello": "hello world"}})


# --- the real schema over the emulators ------------------------------------------------------


def test_real_schema_answers_in_graphql_response_json(real_gateway: RealGateway) -> None:
    answer = post(real_gateway.url, {"query": '{ product(tid: "DEMO-0002") { tid } }'})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == f"{GR}; charset=utf-8"
    assert answer.json() == {"data": {"product": {"tid": "DEMO-0002"}}}


def test_real_schema_request_errors_cost_no_upstream_call(real_gateway: RealGateway) -> None:
    before = real_gateway.upstream_calls()
    invalid = post(real_gateway.url, {"query": '{ product(tid: "DEMO-0002") { nope } }'})
    write = 'mutation { registerCommerceProducts(products: [{id: "x"}]) { __typename } }'
    over_get = get(real_gateway.url, query=write)
    assert (invalid.status_code, over_get.status_code) == (400, 405)
    assert "data" not in invalid.json()
    assert real_gateway.upstream_calls() == before
