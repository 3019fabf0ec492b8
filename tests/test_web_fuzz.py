"""A property-based fuzzer against the dashboard's API, driven by its OpenAPI schema: every path
of the schema, with path and query values and JSON bodies that Hypothesis makes up, answers
below 500, and every refusal is a JSON `{"error": ...}` without the exception's text."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_web_flee import flee_case
from test_web_kit import scenario_run_and_store

from travesia.model.flee import run_flee_folder
from travesia.web.app import create_app
from travesia.web.sources import build

EXAMPLES = 150         # per test: bounded, so the suite's time stays bounded

# the values a user or a script might send: ids that exist, dates, numbers, and anything at all
VALUES = st.one_of(
    st.sampled_from(["run-run-a", "flee-flee-out", "0", "-1", "--5", "²", "2026-01-02",
                     "2026-02-30", "..", "../ens.duckdb", "%00", "held", "queue", "1e308", "NaN",
                     ""]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["baseline", "label", "levers", "entry_capacity", "troops", "days",
                         "corridor", "x"]) | st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def client_and_schema(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    scenario, run, store, _ = scenario_run_and_store(root, "run-a")
    run_flee_folder(flee_case(root / "case"), seed=0, out_dir=root / "flee-out")   # a Flee run too
    view, catalogue = build(str(scenario), store, (run, root / "flee-out"))
    app = create_app(view, catalogue)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        schema = client.get("/api/openapi.json").json()
        yield client, schema
    app.state.runner.shutdown()


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
            yield path, method.upper(), params


def _check(response) -> None:
    assert response.status_code < 500, (response.request.url, response.status_code,
                                        response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"):
        body = response.json()
        assert "error" in body, body
        assert "Traceback" not in body["error"] and "internal error" not in body["error"]


def test_the_schema_lists_the_api(client_and_schema):
    _, schema = client_and_schema
    paths = set(schema["paths"])
    assert {"/api/datasets/{id}/needs", "/api/whatif", "/api/compare"} <= paths


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_query_answers_5xx(client_and_schema, data):
    client, schema = client_and_schema
    ops = [op for op in _operations(schema) if op[1] == "GET" and not op[0].endswith("/report")]
    path, _, params = data.draw(st.sampled_from(ops))
    url, query = path, {}
    for p in params:
        value = data.draw(VALUES)
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", quote(value, safe="") or "x")
        elif data.draw(st.booleans()):
            query[p["name"]] = value
    _check(client.get(url, params=query))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=JSON, kind=st.sampled_from(["application/json", "text/plain", ""]))
def test_no_body_answers_5xx(client_and_schema, body, kind):
    client, _ = client_and_schema
    headers = {"Content-Type": kind} if kind else {}
    _check(client.post("/api/whatif", content=json.dumps(body).encode(), headers=headers))
