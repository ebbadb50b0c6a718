"""The chat page and the staff console in real headless Chromium against a real uvicorn server.

A founder asks, sees a cited answer, opens the citation, asks for a human; a staff member logs in in a
second browser context, claims the ticket and replies; the founder sees the reply within 3 s.
Screenshots at phone and desktop widths go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web_support import PASSWORD, LiveServer, make_staff

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.web_fixtures"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
REPLY = "您好，我是高新区服务中心的王老师。算力券今年的申报通知下周发布，我把链接发给您。"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(web_app) -> Iterator[LiveServer]:
    with LiveServer(web_app) as s:
        yield s


def _page(browser: Browser, size: str, errors: list) -> Page:
    # Reduced motion: no smooth scrolling, so a screenshot never catches the page mid-scroll.
    ctx = browser.new_context(
        viewport=VIEWPORTS[size],
        device_scale_factor=2 if size == "phone" else 1,
        locale="zh-CN",
        reduced_motion="reduce",
    )
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A 401 from /api/staff/me before login is expected; the browser logs every non-2xx as an error.
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None,
    )
    return page


def _founder_asks(page: Page, base: str, shots: Path, size: str) -> None:
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="你好，我是蓉创助手")).to_be_visible()
    page.screenshot(path=shots / f"chat-empty-{size}.png")
    page.get_by_role("button", name="算力券怎么申请？").click()
    cite = page.locator(".msg-assistant .cite").first
    expect(cite).to_be_visible(timeout=20_000)
    expect(page.locator(".msg-assistant .bubble-text").first).to_contain_text("算力券")
    expect(page.locator("#profile-bar")).to_be_visible()
    page.screenshot(path=shots / f"chat-answer-{size}.png")

    cite.click()
    dialog = page.locator("#cite-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#cite-title")).to_contain_text("算力券")
    expect(page.locator("#cite-section")).not_to_be_empty()
    expect(page.locator("#cite-text")).not_to_be_empty()
    expect(page.locator("#cite-flags .badge-sample")).to_be_visible()  # the bundled guide is sample content
    page.screenshot(path=shots / f"chat-citation-{size}.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('cite')"), "focus goes back to the marker"

    page.get_by_role("button", name="转人工", exact=True).click()
    expect(page.locator("#handoff-banner")).to_be_visible()
    expect(page.get_by_role("button", name="已转人工", exact=True)).to_be_disabled()


def _staff_replies(page: Page, base: str, username: str, ticket: str, shots: Path, size: str) -> None:
    page.goto(base + "/staff")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    item = page.locator(f'.ticket-btn[data-ticket="{ticket}"]')
    expect(item).to_be_visible()
    page.screenshot(path=shots / f"console-queue-{size}.png")
    item.click()
    page.get_by_role("button", name="认领", exact=True).click()
    expect(page.locator(".t-claim")).to_contain_text("你 正在处理")
    page.get_by_label("回复创业者").fill(REPLY)
    page.get_by_role("button", name="发送给创业者").click()


def _admin_tab(page: Page, shots: Path, size: str) -> None:
    page.get_by_role("tab", name="知识库").click()
    expect(page.locator(".doc").first).to_be_visible()
    expect(page.locator("#docs-summary")).to_contain_text("共")
    page.screenshot(path=shots / f"console-admin-{size}.png")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_founder_to_staff_and_back(browser, server, web_runtime, artifacts, size):
    errors: list[str] = []
    founder = _page(browser, size, errors)
    _founder_asks(founder, server.url, artifacts, size)
    session = founder.evaluate("localStorage.getItem('rongchuang.session')")
    ticket = web_runtime.store.open_handoff_for_session(session).id

    staff = make_staff(web_runtime.store, "wang", admin=True, display_name="王老师")
    console = _page(browser, size, errors)
    _staff_replies(console, server.url, staff.username, ticket, artifacts, size)
    reply = founder.locator(".msg-staff")
    expect(reply).to_contain_text(REPLY, timeout=3_000)  # polled every 2 s
    expect(reply).to_contain_text("王老师")
    expect(founder.locator("#handoff-banner")).to_contain_text("正在处理")
    founder.screenshot(path=artifacts / f"chat-staff-reply-{size}.png")
    expect(console.locator(".t-staff").last).to_contain_text(REPLY)
    console.screenshot(path=artifacts / f"console-ticket-{size}.png")
    _admin_tab(console, artifacts, size)
    assert not errors, errors


def test_keyboard_only_founder_and_deleting_the_conversation(browser, server):
    errors: list[str] = []
    page = _page(browser, "phone", errors)
    page.goto(server.url + "/")
    box = page.get_by_label("输入你的问题")
    box.focus()
    box.type("刚起步能拿到哪些资金支持？")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-assistant")).to_have_count(1)
    expect(page.locator("#send-btn")).to_have_text("发送", timeout=20_000)
    assert page.evaluate("localStorage.getItem('rongchuang.session')")

    page.get_by_role("button", name="隐私").click()
    expect(page.locator("#privacy-dialog")).to_contain_text("天自动删除")
    page.get_by_role("button", name="删除我的对话").click()
    page.get_by_role("button", name="确定删除（不可恢复）").click()
    expect(page.locator("#privacy-status")).to_contain_text("已删除")
    page.keyboard.press("Escape")
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.get_by_role("heading", name="你好，我是蓉创助手")).to_be_visible()
    assert page.evaluate("localStorage.getItem('rongchuang.session')") is None
    assert not errors, errors


def test_profile_chip_correction_sends_a_plain_message(browser, server):
    errors: list[str] = []
    page = _page(browser, "desktop", errors)
    page.goto(server.url + "/")
    page.get_by_label("输入你的问题").fill("我们做无人机，适合去哪个园区？")
    page.get_by_role("button", name="发送").click()
    chip = page.locator("#profile-chips .chip", has_text="低空经济")
    expect(chip).to_be_visible(timeout=20_000)
    chip.click()
    page.get_by_role("button", name="生物医药").click()
    expect(page.locator(".msg-founder .bubble").last).to_have_text("我们的赛道是生物医药")
    expect(page.locator("#profile-chips .chip", has_text="生物医药")).to_be_visible(timeout=20_000)
    assert not errors, errors


LONG_TALK = [
    "我们三个人做无人机，刚起步，成都能给什么支持？",
    "算力券怎么申请？",
    "我们团队其实有5个人",
    "想找一个适合的园区",
    "刚起步能拿到哪些资金支持？",
]


def _long_ticket(web_runtime) -> tuple[str, object]:
    """A founder who asked five questions, corrected the team size, then asked for a person."""
    sid = None
    for q in LONG_TALK:
        sid = web_runtime.assistant.respond(sid, q, channel="web").session_id
    reply = web_runtime.assistant.request_handoff(sid)
    return sid, web_runtime.store.get_handoff(reply.handoff.id)


def _console_login(page: Page, base: str, username: str) -> None:
    page.goto(base + "/staff")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#queue-summary")).to_contain_text("张")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_console_ticket_by_number_with_the_reply_box_in_reach(browser, server, web_runtime, artifacts, size):
    errors: list[str] = []
    _sid, ticket = _long_ticket(web_runtime)
    assert ticket.number and len(ticket.number) == 6 and ticket.number.isdigit()
    staff = make_staff(web_runtime.store, "li", display_name="李老师")
    page = _page(browser, size, errors)
    _console_login(page, server.url, staff.username)

    page.get_by_role("searchbox", name="工单号").fill(
        ticket.number[:4]
    )  # staff type what the founder reads out
    item = page.locator(f'.ticket-btn[data-ticket="{ticket.id}"]')
    expect(item).to_be_visible()
    expect(item.locator(".ticket-no")).to_have_text(ticket.number)
    expect(item).to_contain_text("团队 5 人")  # the corrected profile, not the first guess
    page.screenshot(path=artifacts / f"console-search-{size}.png")
    item.click()
    expect(page.locator("#t-title")).to_have_text(f"工单 {ticket.number}")
    expect(page.locator(".t-founder")).to_have_count(len(LONG_TALK))

    viewport = VIEWPORTS[size]["height"]
    box = page.locator("#t-reply-text").bounding_box()
    transcript = page.locator("#t-transcript").bounding_box()
    if size == "phone":
        assert transcript["y"] + transcript["height"] > viewport, "the transcript is longer than the screen"
        assert 0 <= box["y"] and box["y"] + box["height"] <= viewport, f"reply box off screen: {box}"
        head = page.locator(".staff-page .topbar").bounding_box()
        assert head["height"] < 70, f"the header wraps: {head}"
    page.screenshot(path=artifacts / f"console-long-ticket-{size}.png")

    # Replying to an open ticket claims it: one tap on a phone.
    page.get_by_label("回复创业者").fill(REPLY)
    page.get_by_role("button", name="认领并发送").click()
    expect(page.locator(".t-staff").last).to_contain_text(REPLY)
    expect(page.locator(".t-claim")).to_contain_text("你 正在处理")

    if size == "phone":
        page.get_by_role("tab", name="创业者情况").click()
        expect(page.locator(".kv")).to_contain_text("5 人")
        expect(page.locator("#t-reply")).to_be_hidden()
        page.screenshot(path=artifacts / f"console-founder-tab-{size}.png")
        page.get_by_role("tab", name="备注 · 结案").click()
        expect(page.get_by_role("button", name="结案", exact=True)).to_be_visible()
    assert not errors, errors


def test_founder_banner_shows_the_number_then_folds_to_one_line(browser, server, artifacts):
    errors: list[str] = []
    page = _page(browser, "phone", errors)
    page.goto(server.url + "/")
    page.get_by_label("输入你的问题").fill("我想转人工")
    page.get_by_role("button", name="发送").click()
    banner = page.locator("#handoff-banner")
    expect(banner).to_be_visible(timeout=20_000)
    number = page.locator(".banner-number").inner_text().removeprefix("工单号 ")
    assert len(number) == 6 and number.isdigit(), number
    expect(page.locator(".msg-assistant").last).to_contain_text(number)
    expect(page.locator("#banner-more")).to_be_visible()
    page.screenshot(path=artifacts / "chat-banner-new-phone.png")

    page.get_by_label("输入你的问题").fill("好的，谢谢")
    page.get_by_role("button", name="发送").click()
    expect(page.locator("#banner-more")).to_be_hidden()
    expect(banner).to_contain_text(number)
    assert banner.bounding_box()["height"] < 40, "folded to one line"
    page.screenshot(path=artifacts / "chat-banner-folded-phone.png")
    page.reload()
    expect(page.locator(".banner-number")).to_have_text(f"工单号 {number}")
    expect(page.locator("#banner-more")).to_be_hidden()  # read once is read
    page.locator(".banner-line").click()
    expect(page.locator("#banner-more")).to_be_visible()
    assert not errors, errors


def test_desktop_header_buttons_stay_put_after_a_handoff(browser, server):
    errors: list[str] = []
    page = _page(browser, "desktop", errors)
    page.goto(server.url + "/")
    before = page.locator("#privacy-btn").bounding_box()
    page.get_by_role("button", name="转人工", exact=True).click()
    expect(page.locator("#handoff-banner")).to_be_visible(timeout=20_000)
    after = page.locator("#privacy-btn").bounding_box()
    assert (after["x"], after["y"]) == (before["x"], before["y"])


def test_a_staff_correction_reaches_founders_only_after_an_admin_approves_it(browser, server, web_runtime):
    store, assistant = web_runtime.store, web_runtime.assistant
    question = "孵化器场地补贴的申报窗口在哪里？"  # asked by no other test: curated answers are global
    answer = "孵化器场地补贴在区科技局一楼窗口申报，工作日上午九点到十二点。"
    session = store.get_or_create_session(None)
    store.add_message(session.id, "founder", question)
    store.add_message(session.id, "assistant", "没有找到可靠的答案。")
    ticket = store.create_handoff(
        session.id, "low_confidence", "没把握", center={"id": "c", "name": "测试中心"}
    )
    errors: list[str] = []

    writer = _page(browser, "desktop", errors)
    wang = make_staff(store, "wang", display_name="王老师")  # not an admin
    writer.goto(server.url + "/staff")
    writer.get_by_label("用户名").fill(wang.username)
    writer.get_by_label("密码").fill(PASSWORD)
    writer.get_by_role("button", name="登录").click()
    expect(writer.get_by_role("tab", name="答复审核")).to_be_hidden()  # admins only
    writer.locator(f'.ticket-btn[data-ticket="{ticket.id}"]').click()
    writer.get_by_role("button", name="认领", exact=True).click()
    expect(writer.locator(".t-claim")).to_contain_text("你 正在处理")
    writer.get_by_role("button", name="标记答错并写正确答案").click()
    writer.locator("#correct-answer").fill(answer)
    writer.get_by_role("button", name="保存正确答案").click()
    expect(writer.locator("#correct-status")).to_contain_text("草稿")
    assert all(c.kind != "curated" for c in assistant.respond(None, question).citations)  # not yet

    admin = _page(browser, "desktop", errors)
    lead = make_staff(store, "lead", admin=True, display_name="李主任")
    admin.goto(server.url + "/staff")
    admin.get_by_label("用户名").fill(lead.username)
    admin.get_by_label("密码").fill(PASSWORD)
    admin.get_by_role("button", name="登录").click()
    admin.get_by_role("tab", name="答复审核").click()
    draft = admin.locator(".curated-item", has_text="王老师").first
    expect(draft).to_be_visible()
    expect(draft.get_by_label("答案")).to_have_value(answer)
    draft.get_by_role("button", name="通过并发布").click()
    expect(admin.locator(".curated-item", has_text="王老师")).to_have_count(0)  # gone from the drafts
    reply = assistant.respond(None, question)
    assert reply.citations[0].kind == "curated" and answer in reply.answer

    admin.get_by_role("tab", name="账号").click()
    expect(admin.locator(f'.doc[data-username="{wang.username}"]')).to_contain_text("王老师")
    for item in store.curated_answers("approved"):  # leave nothing behind for the other tests
        if item.question == question:
            store.delete_curated(item.id)
    assert not errors, errors
