"""Embedders and composers by name: built-ins and plugins register the same way, and the offline
mode imports nothing it does not use."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from assistant.compose import Composed, ExtractiveComposer
from assistant.registry import composers, embedders
from assistant.runtime import build_composer, build_embedder
from assistant.settings import Settings
from knowledge.embed import E5Embedder
from knowledge.errors import ConfigError
from tests.conftest import ROOT


class EchoComposer:
    mode = "echo"

    def compose(self, req) -> Composed:
        return Composed(answer=req.question, citations=[], mode="echo")


@pytest.fixture
def echo():
    composers.register("echo")(lambda settings, index, catalog: EchoComposer())
    yield
    composers._factories.pop("echo")


def test_built_ins_are_registered_by_name(tmp_path):
    assert {"e5", "openai"} <= set(embedders.names())
    assert {"extractive", "llm"} <= set(composers.names())
    assert isinstance(build_embedder(Settings(data_dir=tmp_path)), E5Embedder)
    assert isinstance(build_composer(Settings(data_dir=tmp_path), None, None), ExtractiveComposer)


def test_a_registered_composer_is_chosen_by_the_setting(echo, tmp_path):
    assert isinstance(build_composer(Settings(data_dir=tmp_path, composer="echo"), None, None), EchoComposer)
    llm_configured = Settings(data_dir=tmp_path, composer="echo", llm_base_url="http://x/v1", llm_model="m")
    assert isinstance(build_composer(llm_configured, None, None), EchoComposer)  # the setting wins


def test_an_unknown_name_says_what_is_there(tmp_path):
    with pytest.raises(ConfigError, match="RONGCHUANG_COMPOSER") as exc:
        build_composer(Settings(data_dir=tmp_path, composer="nope"), None, None)
    assert "extractive" in str(exc.value) and "llm" in str(exc.value)
    with pytest.raises(ConfigError, match="RONGCHUANG_EMBEDDER.*e5"):
        build_embedder(Settings(data_dir=tmp_path, embedder="nope"))


def test_an_installed_plugin_registers_through_its_entry_point(tmp_path, monkeypatch):
    """A package on the path with a `rongchuang` entry point, as `pip install` would leave it."""
    (tmp_path / "rc_constant_plugin.py").write_text(
        textwrap.dedent(
            """
            import numpy as np
            from assistant.registry import embedders

            class Constant:
                name = "constant"
                def embed_passages(self, texts):
                    return np.ones((len(texts), 4), dtype=np.float32) / 2
                def embed_query(self, text):
                    return np.ones(4, dtype=np.float32) / 2

            @embedders.register("constant")
            def constant(settings):
                return Constant()
            """
        )
    )
    dist = tmp_path / "rc_constant_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rc-constant-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[rongchuang]\nconstant = rc_constant_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        vec = build_embedder(Settings(data_dir=tmp_path, embedder="constant")).embed_query("你好")
        assert np.allclose(vec, 0.5)
    finally:
        embedders._factories.pop("constant", None)
        sys.modules.pop("rc_constant_plugin", None)


OFFLINE_PATH = """
import sys
import connectors.cli, connectors.web, connectors.terminal
from assistant.runtime import Runtime, build_composer, build_embedder
from assistant.settings import Settings
from knowledge.search import search
build_composer(Settings(), None, None)
heavy = ("langchain", "langchain_core", "langchain_openai", "openai", "schemathesis", "telegram", "bs4")
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def test_the_offline_path_imports_no_llm_library(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "RONGCHUANG_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", OFFLINE_PATH], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == []


def test_the_llm_composer_imports_langchain_only_when_built(tmp_path):
    code = OFFLINE_PATH.replace(
        "build_composer(Settings(), None, None)",
        "build_composer(Settings(llm_base_url='http://127.0.0.1:9/v1', llm_model='m'), None, None)",
    )
    env = {"PATH": "/usr/bin:/bin", "RONGCHUANG_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "langchain_openai" in out.stdout.split(), out.stderr[-2000:]
