"""kill -9 between a staff reply and its delivery, then restart: the reply reaches the founder's
WeChat exactly once, on SQLite and PostgreSQL. Real worker processes, the real outbox and sender,
the fake WeCom API on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.store import Store
from tests.conftest import ROOT, postgres_database
from tests.fake_wechat import CORP_ID, KF_SECRET, FakeWeChat

KFID, USER = "wkCrashKf", "wmCrashFounder"
REPLY = "您好，我是王老师，补贴材料已经收到。"

# One web worker's WeChat sender, nothing else: drain the outbox until this founder's reply is sent.
WORKER = """
import asyncio, sys, types
from assistant.settings import Settings
from assistant.store import Store
from connectors.wechat.kf import KfChannel

url, base, lease, sid, corp, secret = sys.argv[1:7]
store = Store.open(url)
settings = Settings(
    wecom_corp_id=corp, wecom_kf_secret=secret, wecom_kf_token="t0ken", wecom_base_url=base,
    wecom_kf_aes_key="6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
)
kf = KfChannel(types.SimpleNamespace(settings=settings, store=store))
kf.sender.lease = float(lease)

async def main():
    while any(d.status == "pending" for d in store.deliveries(sid)):
        await kf.sender.run_once()
        await asyncio.sleep(0.1)
    await kf.aclose()

asyncio.run(main())
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rc.sqlite3'}"
    else:
        yield from postgres_database("rc_crash_")


def worker(db_url: str, wx: FakeWeChat, lease: float, sid: str) -> subprocess.Popen:
    args = [sys.executable, "-c", WORKER, db_url, wx.base_url, str(lease), sid, CORP_ID, KF_SECRET]
    return subprocess.Popen(args, cwd=ROOT, env=os.environ | {"RONGCHUANG_ENV": "development"})


def test_killed_between_staff_reply_and_send_delivers_exactly_once_after_restart(db_url):
    with Store.open(db_url) as store, FakeWeChat() as wx:
        sess = store.session_for_external("wecom_kf", f"{KFID}:{USER}")
        store.add_message(sess.id, "founder", "转人工")
        ticket = store.create_handoff(sess.id, reason="user_request", summary="s")
        staff = store.add_staff("wang", "argon2-hash", display_name="王老师")
        store.claim_handoff(ticket.id, staff.id)
        store.staff_reply(ticket.id, staff.id, REPLY)  # committed with its outbox row

        wx.hold_tokens.set()  # the first worker takes the lease, then hangs before it can send
        first = worker(db_url, wx, 3.0, sess.id)
        asked = wx.wait_calls("/cgi-bin/gettoken#asked", 1, ok=False)
        assert asked, "the first worker never got as far as sending"
        (leased,) = store.deliveries(sess.id)
        assert leased.lease_owner and leased.status == "pending"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        wx.hold_tokens.clear()
        assert wx.sent() == []

        # restart: two workers at once; the dead one's lease runs out, exactly one of them sends
        restarted = [worker(db_url, wx, 3.0, sess.id) for _ in range(2)]
        assert [p.wait(timeout=120) for p in restarted] == [0, 0]
        sent = wx.sent()
        assert [m["text"]["content"] for m in sent] == ["服务中心工作人员回复：" + REPLY]
        assert sent[0]["touser"] == USER and sent[0]["open_kfid"] == KFID
        (done,) = store.deliveries(sess.id)
        assert done.status == "sent" and done.lease_owner is None
        msg = next(m for m in store.messages(sess.id) if m.role == "staff")
        assert msg.delivery == "delivered"
