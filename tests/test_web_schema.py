"""schemathesis against the app's own OpenAPI schema, in process: no generated request to the founder or
staff endpoints may get a 5xx. The admin upload endpoints are left out (they would ingest the generated
files into the shared index)."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from connectors.web.auth import COOKIE, start_session
from tests.web_support import login, make_staff

pytest_plugins = ["tests.web_fixtures"]
EXAMPLES = 25  # per operation: about 10 s in all, far below the 20 s that would make it `slow`


@pytest.fixture(autouse=True)
def _forget_rate_hits(request):
    """Rate-limit hits live in the shared database: the fuzz's failed logins would refuse this
    module's real login (429), and every later module's logins, unless they are dropped."""
    from sqlalchemy import delete

    from assistant.store.models import RateHitRow

    if "web_runtime" not in request.fixturenames:
        yield
        return
    store = request.getfixturevalue("web_runtime").store

    def forget() -> None:
        with store.engine.begin() as conn:
            conn.execute(delete(RateHitRow))

    forget()
    yield
    forget()


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


def conformance_failures(schema, examples: int = 8, seen: Counter | None = None, **call_kwargs) -> list[str]:
    """`--checks all` on a short budget: every built-in check, positive and negative cases. `seen`
    counts the (operation, status) pairs answered."""
    from schemathesis import GenerationMode

    checks, failures = _all_checks(), []
    seen = Counter() if seen is None else seen
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
                response = case.call(**call_kwargs)
                seen[case.operation.label, response.status_code] += 1
                case.validate_response(response, checks=checks)

            try:
                check()
            except Unsatisfiable:
                continue  # nothing to negate (no parameters, no body): no negative case exists
            except (Exception, BaseExceptionGroup) as exc:  # one entry per operation and mode
                lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and "curl" not in ln]
                failures.append(f"{operation.label} {mode.value}: " + " | ".join(lines[:12])[:1500])
    return failures


# Reads an admin may always make: each must answer 2xx in the logged-in pass and only 401 without the
# session, or the "logged-in" pass was not logged in (and proved nothing about the staff endpoints).
STAFF_READS = ("GET /api/staff/me", "GET /api/handoffs", "GET /api/admin/curated", "GET /api/admin/staff")


def test_every_check_passes_founder_and_staff_endpoints(web_app, web_runtime):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web_app).exclude(
        path_regex=r"^/api/admin/(documents|jobs)"  # uploads would ingest generated files
    )
    staff = make_staff(web_runtime.store, "conform", admin=True)
    client = TestClient(web_app)  # a real login: the cookie and CSRF token the console gets
    headers = login(client, staff)
    cookies = {COOKIE: client.cookies[COOKIE]}
    anonymous, logged_in = Counter(), Counter()
    failures = conformance_failures(schema, seen=anonymous)
    failures += conformance_failures(
        schema.exclude(path="/api/staff/logout"), seen=logged_in, headers=headers, cookies=cookies
    )
    assert failures == []
    for label in STAFF_READS:
        assert {s for (op, s) in anonymous if op == label} == {401}, label
        assert any(op == label and 200 <= s < 300 for (op, s) in logged_in), (label, logged_in)


def test_the_documented_patterns_read_the_same_in_python_and_in_schema_validators():
    """The staff-text pattern says which characters strip() removes; schemathesis and generated
    clients read it with a Rust/ECMA engine, where `\\s` means something else and surrogates
    cannot be spelled (a pattern with them is not a regex at all there)."""
    import re

    import jsonschema_rs

    from connectors.web.schemas import BLANK, FILLED_PATTERN, FREE_PATTERN, MESSAGE_PATTERN

    blank = re.compile(f"[{BLANK}]")
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    assert [c for c in every if blank.match(c)] == [c for c in every if c.isspace()]
    samples = ["\u3000", "\u0085", "\ufeff", "\x1c\x1f", " \u2028a ", "a\x00", "\n", "\x07", "算力券"]
    for pattern in (FREE_PATTERN, FILLED_PATTERN, MESSAGE_PATTERN):
        validator = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        for sample in samples:
            assert validator.is_valid(sample) == bool(re.search(pattern, sample)), (pattern, sample)
