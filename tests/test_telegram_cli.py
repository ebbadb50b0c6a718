"""`rongchuang telegram`: refuses without a token, sets the webhook, and, as a real subprocess polling
the fake Bot API, answers a compute-cost question citing the 算力券 clause."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.cli import app
from tests.fake_telegram import FakeTelegram, message_update, parse_html

SECRET = "s3cret_Webhook-token"


@pytest.fixture
def api():
    with FakeTelegram() as fake:
        yield fake


def invoke(*args: str, **env: str):
    base = {"RONGCHUANG_TELEGRAM_TOKEN": "", "RONGCHUANG_TELEGRAM_WEBHOOK_SECRET": ""}
    return CliRunner().invoke(app, ["telegram", *args], env={**base, **env})


def test_refuses_without_a_token_in_chinese():
    result = invoke()
    assert result.exit_code == 2
    assert "没有设置 RONGCHUANG_TELEGRAM_TOKEN" in result.output and "BotFather" in result.output


def test_set_webhook_sends_the_url_and_secret(api):
    env = {"RONGCHUANG_TELEGRAM_TOKEN": api.token, "RONGCHUANG_TELEGRAM_BASE_URL": api.base_url}
    assert invoke("--set-webhook", "https://rc.example/telegram/webhook", **env).exit_code == 2  # no secret
    result = invoke(
        "--set-webhook",
        "https://rc.example/telegram/webhook",
        **env,
        RONGCHUANG_TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    assert result.exit_code == 0, result.output
    assert api.webhook["url"] == "https://rc.example/telegram/webhook"
    assert api.webhook["secret_token"] == SECRET


def _command() -> list[str]:
    script = Path(sys.executable).with_name("rongchuang")
    return [str(script)] if script.exists() else [sys.executable, "-m", "connectors.cli"]


@pytest.mark.slow
def test_polling_process_answers_with_the_compute_voucher_cited(api, kb_index, kb_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(kb_dir, data)  # one process owns a Chroma directory: the bot gets its own copy
    env = {
        **os.environ,
        "RONGCHUANG_TELEGRAM_TOKEN": api.token,
        "RONGCHUANG_TELEGRAM_BASE_URL": api.base_url,
        "RONGCHUANG_DATA_DIR": str(data),
    }
    env.pop("RONGCHUANG_DATABASE_URL", None)
    api.enqueue_update(message_update(77, "算力太贵了，有没有补贴？"))
    proc = subprocess.Popen(
        [*_command(), "telegram"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        [msg] = api.wait_sent(1, timeout=180)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=60)[0]
    text = parse_html(msg["text"])
    assert msg["chat_id"] == 77 and "[1]" in text
    assert "算力券" in text.rsplit("来源\n", 1)[1], text
    assert proc.returncode == 0, output  # SIGTERM: a clean shutdown
    assert api.token not in output  # the token is in every Bot API URL: never logged
