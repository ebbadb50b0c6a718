"""`rongchuang ask`, run as a real subprocess against the shared test index."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def _ask(kb_dir, tmp_path, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "RONGCHUANG_DATA_DIR": str(kb_dir),
        "RONGCHUANG_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "connectors.cli", "ask", *args, "-"],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_ask_session_keeps_one_conversation_across_lines(kb_dir, kb_index, tmp_path):
    """An unknown id mints a session on the first line; the later lines continue it, so what the
    first line told (the track) routes the second."""
    from assistant.store import Store

    lines = "我们三个人做无人机的，刚起步\n有什么园区适合我们？\n那有什么基金？\n"
    out = _ask(kb_dir, tmp_path, "--json", "--session", "s_made_up", stdin=lines)
    assert out.returncode == 0, out.stderr
    replies = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(replies) == 3
    sid = replies[0]["session_id"]
    assert sid != "s_made_up" and all(r["session_id"] == sid for r in replies)
    assert "s_made_up" in out.stderr and sid in out.stderr  # says the id was unknown and which one is new
    assert replies[1]["profile"]["track"] == replies[0]["profile"]["track"] is not None
    assert replies[1]["parks"], replies[1]["answer"]
    store = Store.open(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    founder = [m.text for m in store.messages(sid) if m.role == "founder"]
    assert founder == lines.splitlines()
