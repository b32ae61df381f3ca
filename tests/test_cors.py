"""Browsers on the stage's web origins can call the API (API.md "Conventions"): preflights answer the
contract's methods and headers, every answer (errors too) carries the origin and the exposed headers,
other origins get nothing, and an empty `WEB_ORIGINS` turns CORS off. The same code answers behind API
Gateway: tests/test_infra_template.py checks the template sends preflights to it."""
from __future__ import annotations

import pytest

from tests.helpers import call

WEB = "http://localhost:5173"
ASKED = "Authorization, Idempotency-Key, Content-Type"


def _preflight(client, path: str, origin: str = WEB, method: str = "POST"):
    return client.request("OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                                    "Access-Control-Request-Headers": ASKED})


@pytest.mark.parametrize("path,method", [("/me", "GET"), ("/projects", "POST"), ("/contracts/c-1/fund", "POST"),
                                         ("/me/payouts", "POST"), ("/auth/login", "POST")])
def test_a_preflight_from_a_web_origin_allows_the_contracts_methods_and_headers(client, path, method):
    r = _preflight(client, path, method=method)
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == WEB
    assert method in [m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")]
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "idempotency-key", "content-type"} <= allowed
    assert int(r.headers["Access-Control-Max-Age"]) >= 600
    assert "Access-Control-Allow-Credentials" not in r.headers  # bearer tokens: no credentials mode


def test_any_port_of_localhost_and_127_0_0_1_is_allowed_locally_and_other_origins_are_not(client):
    assert _preflight(client, "/projects", "http://127.0.0.1:8641").headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8641"
    for origin in ("http://evil.example", "https://localhost:3000", "http://localhost.evil.example:80", "http://localhost:3000x"):
        r = _preflight(client, "/projects", origin)
        assert "Access-Control-Allow-Origin" not in r.headers and "Access-Control-Allow-Methods" not in r.headers, origin
        r = client.get("/health", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in r.headers and r.headers["Vary"] == "Origin"


def test_answers_and_errors_carry_the_origin_and_expose_the_correlation_id_and_retry_after(client):
    answers = [
        client.get("/health", headers={"Origin": WEB}),  # 200
        client.get("/me", headers={"Origin": WEB}),  # 401
        client.post("/auth/login", body=b"{", headers={"Origin": WEB, "Content-Type": "application/json"}),  # 400
        client.post("/auth/login", body=b"x", headers={"Origin": WEB, "Content-Type": "text/plain"}),  # 415 (Chalice's)
        client.request("DELETE", "/health", headers={"Origin": WEB}),  # 405
    ]
    assert [r.status_code for r in answers] == [200, 401, 400, 415, 405]
    for r in answers:
        assert r.headers["Access-Control-Allow-Origin"] == WEB
        assert {"x-correlation-id", "retry-after"} <= {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
        assert r.headers["Vary"] == "Origin"


def test_a_method_a_path_lacks_is_405_with_allow_and_the_edge_routes_stay_out_of_the_document(client, app):
    r = client.request("PUT", "/projects")
    assert r.status_code == 405 and set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}
    status, body = call(client, "GET", "/openapi.json")
    assert status == 200 and "options" not in body["paths"]["/projects"] and "put" not in body["paths"]["/projects"]


def test_an_empty_web_origins_turns_cors_off(client, monkeypatch):
    monkeypatch.setenv("WEB_ORIGINS", "")
    r = _preflight(client, "/projects")
    assert r.status_code == 204 and "Access-Control-Allow-Origin" not in r.headers
    assert not any(h.lower().startswith("access-control") for h in client.get("/health", headers={"Origin": WEB}).headers)


def test_a_malformed_origin_in_the_configuration_is_refused_at_once(monkeypatch):
    from chalicelib.core import settings

    monkeypatch.setenv("WEB_ORIGINS", "https://app.example.com/path")
    with pytest.raises(RuntimeError, match="not an origin"):
        settings.web_origins()
    monkeypatch.setenv("WEB_ORIGINS", "https://app.example.com, https://admin.example.com:8443")
    assert settings.web_origins() == ("https://app.example.com", "https://admin.example.com:8443")
