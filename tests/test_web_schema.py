"""schemathesis against the app's own OpenAPI schema, in process: no generated request to the founder or
staff endpoints may get a 5xx. The admin upload endpoints are left out (they would ingest the generated
files into the shared index)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

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


def _all_checks() -> list:
    from schemathesis.checks import CHECKS, is_check_class, load_all_checks

    load_all_checks()
    return [c for c in CHECKS.get_all() if not is_check_class(c) and c.__name__ != "max_response_time"]


def conformance_failures(schema, examples: int = 8, **call_kwargs) -> list[str]:
    """`--checks all` on a short budget: every built-in check, positive and negative cases."""
    from schemathesis import GenerationMode

    checks, failures = _all_checks(), []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case) -> None:
                case.call_and_validate(checks=checks, **call_kwargs)

            try:
                check()
            except Unsatisfiable:
                continue  # nothing to negate (no parameters, no body): no negative case exists
            except (Exception, BaseExceptionGroup) as exc:  # one entry per operation and mode
                lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and "curl" not in ln]
                failures.append(f"{operation.label} {mode.value}: " + " | ".join(lines[:8])[:600])
    return failures


@pytest.mark.xfail(
    strict=False,
    reason="issue 12 point 8 not finished: generated staff text that pydantic's strip leaves empty "
    "(Unicode whitespace the documented pattern does not exclude) is still a schema-valid 422",
)
def test_every_check_passes_founder_and_staff_endpoints(web_app, web_runtime):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web_app).exclude(
        path_regex=r"^/api/admin/(documents|jobs)"  # uploads would ingest generated files
    )
    staff = make_staff(web_runtime.store, "conform", admin=True)
    raw, tok = web_app.state.signer.issue(staff.id)
    headers = {"X-CSRF-Token": web_app.state.signer.csrf(tok)}
    logged_in = schema.exclude(path="/api/staff/logout")
    failures = conformance_failures(schema) + conformance_failures(
        logged_in, headers=headers, cookies={"rc_staff": raw}
    )
    assert failures == []
