"""Docs that are tested: every setting is in the README table, and the README's commands exist."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from assistant.reply import Reply
from assistant.settings import Settings
from connectors.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    documented = set(re.findall(r"`RONGCHUANG_([A-Z_]+)`", README))
    missing = [n for n in Settings.model_fields if n.upper() not in documented]
    assert not missing, f"add these to the README configuration table: {missing}"


def test_readme_commands_exist():
    commands = set(re.findall(r"^rongchuang (\w+)", README, re.M))
    result = CliRunner().invoke(app, ["--help"])
    for cmd in commands:
        assert cmd in result.output, f"README mentions `rongchuang {cmd}` but the CLI has no such command"


def test_exported_schema_matches_the_model():
    committed = json.loads((ROOT / "docs" / "reply.schema.json").read_text(encoding="utf-8"))
    assert committed == Reply.model_json_schema(), "run: rongchuang schema > docs/reply.schema.json"


def test_makefile_has_the_two_commands():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_design_document_is_in_the_repository_and_points_nowhere_outside():
    docs = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    assert (ROOT / "docs" / "architecture.md").exists()
    assert "docs/architecture.md" in README
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        outside = re.findall(r"`?\.\./[^\s`)]+", text)
        assert not outside, f"{doc.name} points outside the repository: {outside}"
