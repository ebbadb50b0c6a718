"""schemathesis against the app's own OpenAPI schema, in process: no generated request to the founder or
staff endpoints may get a 5xx. The admin upload endpoints are left out (they would ingest the generated
files into the shared index)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from connectors.web.auth import start_session
from tests.web_support import make_staff

pytest_plugins = ["tests.web_fixtures"]
EXAMPLES = 25  # per operation: about 10 s in all, far below the 20 s that would make it `slow`


def _no_server_errors(schema, **call_kwargs) -> int:
    """Every operation, EXAMPLES generated cases each; returns how many operations ran."""
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(**call_kwargs)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"

        check()
        ran += 1
    return ran


def test_founder_endpoints_never_5xx(web_app):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web_app).include(
        path_regex=r"^/api/(chat|sessions|health)"
    )
    assert _no_server_errors(schema) == 6


def test_staff_endpoints_never_5xx_logged_in_or_not(web_app, web_runtime):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web_app).include(
        path_regex=r"^/api/(staff|handoffs)"
    )
    assert _no_server_errors(schema) == 10
    staff = make_staff(web_runtime.store, "fuzz", admin=True)
    raw, tok = start_session(web_app.state.signer, web_runtime.store, staff.id)
    headers = {"X-CSRF-Token": web_app.state.signer.csrf(tok)}
    logged_in = schema.exclude(path="/api/staff/logout")
    assert _no_server_errors(logged_in, headers=headers, cookies={"rc_staff": raw}) == 9
