"""微信客服 end to end with a person in the loop: a founder's WeChat message → a cited reply through
kf/send_msg → 转人工 → a staff member claims and replies in the real console in headless Chromium →
the fake WeCom API receives the staff reply for the same external user. A real uvicorn server runs
the web app with the channel mounted by its lifespan, as `rongchuang serve` does."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from assistant.store import Store
from tests.fake_wechat import CORP_ID, FakeWeChat, VendorCrypt, kf_event_push
from tests.test_browser import _page, browser  # noqa: F401  (the module-scoped Chromium fixture)
from tests.test_wechat import COMPUTE, KF_KEY, KF_TOKEN, KFID, SEND, USER, wechat_settings
from tests.web_support import PASSWORD, LiveServer, make_staff, runtime_for

pytestmark = pytest.mark.browser
REPLY = "您好，我是高新区服务中心的王老师。算力券的申报下周开始，我把材料清单发给您。"


@pytest.fixture
def wx() -> Iterator[FakeWeChat]:
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def live(tmp_path, kb_index, catalog, wx) -> Iterator[tuple[LiveServer, Store]]:
    from connectors.web.app import create_app

    settings = wechat_settings(
        kb_index.data_dir,
        wx,
        database_url=f"sqlite:///{tmp_path / 'wx.sqlite3'}",
        secret_key="test-secret-wx",
    )
    runtime = runtime_for(settings, kb_index, catalog)
    with LiveServer(create_app(settings, runtime)) as server:
        yield server, runtime.store
    runtime.store.close()


def push(server: LiveServer, wx: FakeWeChat) -> None:
    params, body = kf_event_push(VendorCrypt(KF_TOKEN, KF_KEY, CORP_ID), wx.new_sync_token(), KFID)
    res = httpx.post(server.url + "/wechat/kf/callback", params=params, content=body, timeout=30)
    assert (res.status_code, res.text) == (200, "success")


def test_wechat_founder_to_console_and_back(browser, live, wx, artifacts):  # noqa: F811
    server, store = live
    wx.add_kf_message(KFID, USER, COMPUTE)
    push(server, wx)
    answer = wx.wait_calls(SEND, 1)
    assert answer, "no cited reply reached kf/send_msg"
    first = answer[-1].body
    assert first["touser"] == USER and "来源\n[1] " in first["msgmenu"]["head_content"]

    wx.add_kf_message(KFID, USER, "转人工", menu_id="handoff")
    push(server, wx)
    assert len(wx.wait_calls(SEND, 2)) >= 2
    sess = store.session_for_external("wecom_kf", f"{KFID}:{USER}")
    ticket = store.open_handoff_for_session(sess.id)
    assert ticket is not None

    staff = make_staff(store, "wang", admin=True, display_name="王老师")
    errors: list[str] = []
    page = _page(browser, "desktop", errors)
    page.goto(server.url + "/staff")
    page.get_by_label("用户名").fill(staff.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    item = page.locator(f'.ticket-btn[data-ticket="{ticket.id}"]')
    expect(item).to_contain_text("微信客服")
    item.click()
    expect(page.locator(".t-channel")).to_have_text("微信客服")
    page.get_by_role("button", name="认领", exact=True).click()
    expect(page.locator(".t-claim")).to_contain_text("你 正在处理")
    page.get_by_label("回复创业者").fill(REPLY)
    page.get_by_role("button", name="发送给创业者").click()

    expected = "服务中心工作人员回复：" + REPLY

    def staff_sends() -> list[dict]:
        return [b for b in wx.sent() if b.get("text", {}).get("content") == expected]

    deadline = time.monotonic() + 60
    while not staff_sends() and time.monotonic() < deadline:
        time.sleep(0.1)
    expect(page.locator(".t-staff .badge-ok").last).to_have_text("已送达", timeout=10_000)
    sends = staff_sends()
    assert len(sends) == 1
    assert sends[0]["touser"] == USER and sends[0]["open_kfid"] == KFID
    page.screenshot(path=artifacts / "console-wechat-ticket.png")
    assert not errors, errors
