"""The Telegram connector end to end: the real python-telegram-bot Application, polling and webhook,
against the fake Bot API on 127.0.0.1, with the real assistant on the session-built index."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from telegram import Bot
from telegram.ext import Application

from assistant.engine import Assistant
from assistant.reply import Citation, Reply
from assistant.runtime import Runtime
from assistant.settings import Settings
from connectors.telegram.app import ALLOWED_UPDATES, api_url, build_application, file_url
from connectors.telegram.delivery import STAFF_PREFIX, deliver_pending
from connectors.telegram.webhook import PATH, SECRET_HEADER, running, secret_ok, webhook_router
from tests.fake_telegram import FakeTelegram, callback_update, message_update, parse_html, utf16_len

SECRET = "s3cret_Webhook-token"
CHAT = 4242
COMPUTE = "算力太贵了，有没有补贴？"


@pytest.fixture
def api():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def runtime(kb_index, catalog, store, api) -> Runtime:
    settings = Settings(
        data_dir=kb_index.data_dir,
        telegram_token=api.token,
        telegram_base_url=api.base_url,
        telegram_webhook_secret=SECRET,
    )
    return Runtime(settings, kb_index, catalog, store, Assistant(kb_index, catalog, store, settings))


@asynccontextmanager
async def polling(runtime: Runtime) -> AsyncIterator[Application]:
    """What run_polling does, minus the signal handling and the blocking loop."""
    application = build_application(runtime)
    async with application:
        await application.post_init(application)
        await application.updater.start_polling(
            timeout=dtm.timedelta(seconds=1), allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()
            await application.post_stop(application)


async def sent(api: FakeTelegram, n: int) -> list[dict]:
    return await asyncio.to_thread(api.wait_sent, n, 60)


def visible(message: dict) -> str:
    assert message["parse_mode"] == "HTML"
    return parse_html(message["text"])


def sources(text: str) -> str:
    return text.rsplit("来源\n", 1)[1]


# conversation ---------------------------------------------------------------------------------------
def test_polling_answers_compute_cost_with_the_compute_voucher_cited(runtime, api, store):
    async def go():
        async with polling(runtime):
            api.enqueue_update(message_update(CHAT, COMPUTE))
            return (await sent(api, 1))[0]

    msg = asyncio.run(go())
    text = visible(msg)
    assert msg["chat_id"] == CHAT and "[1]" in text
    assert "算力券" in sources(text)
    session = store.session_for_external("telegram", CHAT)
    assert [m.role for m in store.messages(session.id)] == ["founder", "assistant"]
    assert api.calls[0].method == "getMe" and api.calls_of("setMyCommands")


def test_same_chat_is_the_same_session_across_restarts(runtime, api, store):
    async def turn(text: str, n: int) -> None:
        async with polling(runtime):
            api.enqueue_update(message_update(CHAT, text))
            await sent(api, n)

    asyncio.run(turn("我们是做人工智能的，种子期团队", 1))
    asyncio.run(turn("/profile", 2))
    assert "赛道：人工智能" in visible(api.sent[1])
    session = store.session_for_external("telegram", CHAT)
    assert len(store.messages(session.id)) == 2  # commands are not stored; the turn is


def photo_update(chat: int) -> dict:
    update = message_update(chat, "x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    return update


def test_commands_start_help_reset_delete_and_non_text(runtime, api, store):

    async def go():
        async with polling(runtime):
            api.enqueue_update(message_update(CHAT, "/start"))
            await sent(api, 1)
            api.enqueue_update(message_update(CHAT, "我们是做生物医药的"))
            await sent(api, 2)
            first = store.session_for_external("telegram", CHAT).id
            for i, make in enumerate(
                [
                    lambda: message_update(CHAT, "/reset"),
                    lambda: message_update(CHAT, "/help"),
                    lambda: photo_update(CHAT),
                    lambda: message_update(CHAT, "/delete"),
                ],
                start=3,
            ):
                api.enqueue_update(make())  # made in order: update ids only go up
                await sent(api, i)
            return first

    first = asyncio.run(go())
    start, _, reset, help_, not_text, deleted = (visible(m) for m in api.sent)
    assert "180 天" in start and "/delete" in start and "画像" in start and "对话" in start
    assert "已经开始新的对话" in reset and "/human" in help_ and "文字" in not_text and "已删除" in deleted
    assert store.get_session(first) is None  # /reset dropped it, /delete dropped the fresh one
    assert store.session_for_external("telegram", CHAT).profile == {}


def test_park_card_buttons_show_the_cited_passage_and_hand_off(runtime, api, store):
    async def go():
        async with polling(runtime):
            api.enqueue_update(message_update(CHAT, "我们是做人工智能的种子期团队，有什么园区推荐？"))
            [card] = await sent(api, 1)
            rows = card["reply_markup"]["inline_keyboard"]
            api.enqueue_update(callback_update(CHAT, rows[0][0]["callback_data"]))
            await sent(api, 2)
            api.enqueue_update(callback_update(CHAT, rows[-1][0]["callback_data"]))
            await sent(api, 3)
            api.enqueue_update(callback_update(CHAT, "d:999999:p0"))  # not this session's message
            return await sent(api, 4)

    card, detail, handoff, expired = asyncio.run(go())
    rows = card["reply_markup"]["inline_keyboard"]
    assert rows[0][0]["text"].startswith("详情") and rows[-1][0]["text"] == "转人工"
    payload = store.messages(store.session_for_external("telegram", CHAT).id)[1].payload
    first_cited = Reply.model_validate(payload).citations[0].text.strip()
    assert first_cited.splitlines()[-1] in visible(detail)
    assert "转" in visible(handoff) and store.open_handoff_for_session(payload["session_id"]) is not None
    assert "过期" in visible(expired)
    assert len(api.calls_of("answerCallbackQuery")) == 3


def test_long_answer_is_split_and_user_text_escaped(runtime, api, monkeypatch):
    body = "\n\n".join("".join(f"<script>第{i}段第{j}句 & 算力券。" for j in range(120)) for i in range(4))
    long_reply = Reply(
        session_id="s_x",
        answer=body,
        intent="policy_question",
        confidence=0.9,
        citations=[
            Citation(
                n=1,
                doc_id="d",
                title="<script>标题",
                section="一",
                kind="policy",
                sample=True,
                text="t",
                score=1.0,
            )
        ],
    )
    monkeypatch.setattr(runtime.assistant, "respond", lambda *_a, **_k: long_reply)

    async def go():
        async with polling(runtime):
            api.enqueue_update(message_update(CHAT, "长一点"))
            await sent(api, 2)
            await asyncio.sleep(0.5)  # let any further parts arrive

    asyncio.run(go())
    texts = [visible(m) for m in api.sent]  # the fake refuses broken HTML and over-long texts
    assert len(texts) >= 2 and all(utf16_len(t) <= 4096 for t in texts)
    assert all("<script>" not in m["text"] for m in api.sent)
    assert "\n\n".join(texts).count("<script>第3段第119句 & 算力券。") == 1
    assert all(t.endswith("算力券。") for t in texts[:-1])
    assert texts[-1].endswith("<script>标题 · 一 示例")


# webhook --------------------------------------------------------------------------------------------
def test_urls_for_a_self_hosted_bot_api():
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/file/bot"
    assert file_url("http://bots.local/bot{token}") == "http://bots.local/file/bot{token}"
    assert api_url("http://127.0.0.1:8081/bot/") == "http://127.0.0.1:8081/bot"


def test_secret_check_is_exact_and_an_unset_secret_accepts_nothing():
    assert secret_ok(SECRET, SECRET)
    assert not any(secret_ok(SECRET, s) for s in (None, "", SECRET[:-1], SECRET + "x", SECRET.upper()))
    assert not secret_ok("", "") and not secret_ok("", None)


async def post(application: Application, runtime: Runtime, update: dict, secret: str | None) -> int:
    app = FastAPI()
    app.include_router(webhook_router(runtime, application))
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rc.test") as client:
        return (await client.post(PATH, json=update, headers=headers)).status_code


def test_webhook_checks_the_secret_and_answers(runtime, api, store):
    async def go():
        application = build_application(runtime, webhook=True)
        async with running(application):
            codes = [
                await post(application, runtime, message_update(CHAT, COMPUTE), s)
                for s in (None, "wrong", SECRET[:-1], "")
            ]
            await application.update_queue.join()
            refused = len(api.sent)
            codes.append(await post(application, runtime, message_update(CHAT, COMPUTE), SECRET))
            await application.update_queue.join()
            return codes, refused

    codes, refused = asyncio.run(go())
    assert codes == [403, 403, 403, 403, 200]
    assert refused == 0 and len(api.sent) == 1
    assert "算力券" in sources(visible(api.sent[0]))
    assert len(store.messages(store.session_for_external("telegram", CHAT).id)) == 2


def test_a_repeated_update_id_is_processed_once(runtime, api):
    async def go():
        application = build_application(runtime, webhook=True)
        async with running(application):
            update = message_update(CHAT, "/help", update_id=777)
            for _ in range(3):
                assert await post(application, runtime, update, SECRET) == 200
            await application.update_queue.join()

    asyncio.run(go())
    assert len(api.sent) == 1


def test_webhook_refuses_junk_with_the_right_secret(runtime, api):
    async def go():
        application = build_application(runtime, webhook=True)
        async with running(application):
            return [await post(application, runtime, body, SECRET) for body in ({"x": 1}, [1])]

    assert asyncio.run(go()) == [400, 400]
    assert not api.sent


def test_the_web_app_mounts_the_webhook_and_runs_the_bot(runtime, api):
    from fastapi.testclient import TestClient

    from connectors.web import create_app

    with TestClient(create_app(runtime=runtime)) as client:
        assert client.post(PATH, json=message_update(CHAT, COMPUTE)).status_code == 403
        ok = client.post(PATH, json=message_update(CHAT, COMPUTE), headers={SECRET_HEADER: SECRET})
        assert ok.status_code == 200
        [msg] = api.wait_sent(1, timeout=60)
    assert "算力券" in sources(visible(msg))


# staff replies ----------------------------------------------------------------------------------------
def staff_reply(store, chat: int, text: str) -> int:
    """A founder on Telegram asked for a human; a staff member answers from the console."""
    session = store.session_for_external("telegram", chat)
    ticket = store.create_handoff(session.id, reason="user_request", summary="s")
    staff = store.add_staff(f"wang{chat}", "argon2-hash", is_admin=True)
    return store.staff_reply(ticket.id, staff.id, text).id


def delivery(store, chat: int, message_id: int):
    sid = store.session_for_external("telegram", chat).id
    return next(m for m in store.messages(sid) if m.id == message_id)


def test_staff_reply_reaches_the_chat_from_the_running_bot(runtime, api, store):
    mid = staff_reply(store, CHAT, "您好，算力券 <script> & 申报请带营业执照。")

    async def go():
        async with polling(runtime):
            return (await sent(api, 1))[0]

    msg = asyncio.run(go())
    assert visible(msg) == f"{STAFF_PREFIX}您好，算力券 <script> & 申报请带营业执照。"
    assert delivery(store, CHAT, mid).delivery == "delivered"


async def _deliver(runtime: Runtime, api: FakeTelegram) -> int:
    async with Bot(api.token, base_url=api.base_url) as bot:
        return await deliver_pending(runtime, bot)


def test_retry_after_is_honoured(runtime, api, store):
    mid = staff_reply(store, CHAT, "稍等")
    api.fail_next(1, retry_after=1)
    t0 = time.monotonic()
    assert asyncio.run(_deliver(runtime, api)) == 1
    assert time.monotonic() - t0 >= 1.0
    first, second = api.calls_of("sendMessage")
    assert first.status == 429 and second.status == 200 and second.at - first.at >= 1.0
    assert delivery(store, CHAT, mid).delivery == "delivered"


@pytest.mark.parametrize(
    ("chat", "where", "error"), [(501, "blocked", "Forbidden"), (502, "missing", "BadRequest")]
)
def test_unreachable_chat_marks_the_reply_failed_at_once(runtime, api, store, chat, where, error):
    mid = staff_reply(store, chat, "您好")
    getattr(api, where).add(chat)
    assert asyncio.run(_deliver(runtime, api)) == 0
    info = delivery(store, chat, mid)
    assert info.delivery == "failed" and info.delivery_attempts == 1 and error in info.delivery_error
    assert not store.pending_deliveries("telegram")


def test_a_transient_failure_stays_pending_and_is_retried(runtime, api, store):
    mid = staff_reply(store, CHAT, "您好")
    api.fail_next(1, status=502)
    assert asyncio.run(_deliver(runtime, api)) == 0
    info = delivery(store, CHAT, mid)
    assert info.delivery == "pending" and info.delivery_attempts == 1 and info.delivery_error
    assert asyncio.run(_deliver(runtime, api)) == 0  # backing off: not due yet
    with store.engine.begin() as conn:  # the backoff has passed
        conn.exec_driver_sql("UPDATE deliveries SET not_before = created_at")
    assert asyncio.run(_deliver(runtime, api)) == 1
    assert delivery(store, CHAT, mid).delivery == "delivered"
