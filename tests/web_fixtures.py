"""Fixtures for the web tests, loaded with `pytest_plugins = ["tests.web_fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.runtime import Runtime
from connectors.web import create_app
from tests.web_support import runtime_for, web_settings_for


@pytest.fixture(scope="session")
def web_runtime(tmp_path_factory, kb_index, catalog) -> Iterator[Runtime]:
    """Built once per session over the shared index (nothing re-ingested)."""
    rt = runtime_for(web_settings_for(tmp_path_factory.mktemp("web")), kb_index, catalog)
    yield rt
    rt.close()


@pytest.fixture
def web_app(web_runtime) -> FastAPI:
    """A fresh app (fresh rate limits, revocations) over the shared runtime."""
    return create_app(runtime=web_runtime)


@pytest.fixture
def client(web_app) -> Iterator[TestClient]:
    with TestClient(web_app) as c:
        yield c
