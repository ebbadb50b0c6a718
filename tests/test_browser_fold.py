"""A long answer folds to one phone screen in the web chat (chat-render.js): its first blocks, then
「展开全文」; the rest is in the page but hidden until opened, and the cards and sources stay below.
Real uvicorn server, headless Chromium at 390×844 (the fixtures of test_browser.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import _page, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
pytest_plugins = ["tests.web_fixtures"]

# A how-to answer with its materials, steps and office, and a park card: well over two phone screens.
# (The drone question used before now answers in under 500 characters: no repeats, two fund cards.)
LONG = "生成式人工智能服务备案要准备什么材料，流程是怎样的，去哪里办？顺便推荐个园区"
SHORT = "算力券是什么？"
PHONE_CHARS = 300  # one phone screen: chat-render.js folds at the first block boundary after about this
SHOWN_AT_MOST = 400
NEVER_FOLDED = 360

# The text a founder reads in a part of the bubble: citation numbers, the toggle and spaces left out.
READ = """(node, drop) => {
  const copy = node.cloneNode(true);
  copy.querySelectorAll(["sup", ".more-btn", ...drop].join(",")).forEach((n) => n.remove());
  return copy.textContent.replace(/\\s+/g, "");
}"""


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"\[\d+\]", "", text))


def _blocks(answer: str) -> list[str]:
    return [_flat(b) for b in re.split(r"\n\s*\n", answer)]


def _ask(page: Page, base: str, question: str):
    page.goto(base + "/")
    page.get_by_label("输入你的问题").fill(question)
    page.get_by_role("button", name="发送").click()
    expect(page.locator("#send-btn")).to_have_text("发送", timeout=20_000)  # the reply is filled in
    return page.locator(".msg-assistant").last


def test_a_long_answer_shows_one_screen_then_opens(browser, server, web_runtime, artifacts):  # noqa: F811
    blocks = _blocks(web_runtime.assistant.respond(None, LONG, channel="web").answer)
    assert len("".join(blocks)) > 2 * PHONE_CHARS and len(blocks) > 2, blocks  # worth folding
    errors: list[str] = []
    page = _page(browser, "phone", errors)
    answer = _ask(page, server.url, LONG)
    body = answer.locator(".bubble-text")
    more = answer.locator(".answer-more")
    toggle = answer.get_by_role("button", name="展开全文")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", more.get_attribute("id"))
    expect(more).to_be_hidden()
    expect(more).to_have_attribute("hidden", "until-found")

    shown = body.evaluate(READ, [".answer-more"])
    prefixes = ["".join(blocks[:k]) for k in range(1, len(blocks))]
    assert shown in prefixes, f"not whole blocks, or nothing folded: {shown}"  # the first block is shown
    assert len(shown) <= SHOWN_AT_MOST, len(shown)
    assert more.evaluate(READ, []) == "".join(blocks[prefixes.index(shown) + 1 :])  # in the DOM
    expect(answer.locator(".cards").first).to_be_visible()  # parks and funds stay below the fold
    expect(answer.locator(".sources")).to_be_visible()
    composer = page.locator("#composer").bounding_box()
    end = toggle.bounding_box()
    assert end["y"] + end["height"] <= composer["y"], "the folded answer and its button fit one screen"
    page.screenshot(path=artifacts / "chat-answer-folded-phone.png")

    toggle.click()
    expect(more).to_be_visible()
    opened = answer.get_by_role("button", name="收起")
    expect(opened).to_have_attribute("aria-expanded", "true")
    assert body.evaluate(READ, []) == "".join(blocks)
    page.screenshot(path=artifacts / "chat-answer-open-phone.png", full_page=True)

    opened.focus()  # a real button: the keyboard folds and opens it too
    page.keyboard.press("Enter")
    expect(more).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    page.keyboard.press("Space")
    expect(more).to_be_visible()
    assert not errors, errors


def test_a_short_answer_has_no_button(browser, server, web_runtime):  # noqa: F811
    answer = web_runtime.assistant.respond(None, SHORT, channel="web").answer
    assert len(_flat(answer)) <= NEVER_FOLDED, answer
    errors: list[str] = []
    page = _page(browser, "phone", errors)
    bubble = _ask(page, server.url, SHORT)
    expect(bubble.locator(".bubble-text")).to_contain_text("算力券")
    expect(bubble.get_by_role("button", name="展开全文")).to_have_count(0)
    expect(bubble.locator(".answer-more")).to_have_count(0)
    assert not errors, errors


def test_what_the_documents_do_not_say_stays_above_the_fold(browser, server):  # noqa: F811
    """The first block (文件里没有写…, or the care line) is shown however short it is."""
    errors: list[str] = []
    page = _page(browser, "phone", errors)
    page.goto(server.url + "/")
    first = "文件里没有写多久到账。"
    quote = "按照实施细则，补贴资金在审核通过后拨付到企业账户，具体时间以主管部门通知为准。" * 8
    tail = "也可以打 12345 政务服务热线问，或者点转人工，请服务中心的工作人员帮你查一查办理进度。" * 2
    fill = """(answer) => {
      const shell = ChatRender.assistantShell();
      document.getElementById("log").append(shell.li);
      ChatRender.fillAssistant(shell, {answer, citations: [], parks: [], funds: []});
      return (READ)(shell.body, [".answer-more"]);
    }""".replace("READ", READ)
    shown = page.evaluate(fill, f"{first}\n\n{quote}\n\n{tail}")
    assert shown == first + quote, shown
    expect(page.get_by_role("button", name="展开全文")).to_be_visible()
    assert not errors, errors
