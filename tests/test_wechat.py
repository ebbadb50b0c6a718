"""The WeChat channels end to end over the real protocol: WeChat's pushes (sealed by the fake's own
implementation of the vendor scheme, itself checked on the published vectors), our FastAPI routes,
the real httpx clients against the fake WeCom / Official Account API on 127.0.0.1, the real assistant
on the session-built index, and the outbox sender."""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import bindparam, text

from assistant.engine import Assistant
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.store.models import UTCDateTime, utcnow
from connectors.wechat import texts
from connectors.wechat.crypto import MsgCrypt
from connectors.wechat.kf import KfChannel
from connectors.wechat.oa import OaChannel
from connectors.wechat.xmlmsg import parse
from tests.fake_wechat import (
    CORP_ID,
    KF_SECRET,
    OA_APP_ID,
    OA_SECRET,
    FakeWeChat,
    VendorCrypt,
    kf_event_push,
    oa_push,
    oa_text_xml,
)

KF_TOKEN = "kfCallbackToken2026"
KF_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
OA_TOKEN = "oaCallbackToken"
OA_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KFID = "wkTestKf0001"
USER = "wmFounder0001"
COMPUTE = "算力太贵了，有没有补贴？"
SEND = "/cgi-bin/kf/send_msg"
CUSTOM = "/cgi-bin/message/custom/send"


def sync(fn):
    """Run an async test in its own event loop (no pytest async plugin here)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


def wechat_settings(data_dir, wx: FakeWeChat, **extra) -> Settings:
    return Settings(
        data_dir=data_dir,
        wecom_corp_id=CORP_ID,
        wecom_kf_secret=KF_SECRET,
        wecom_kf_token=KF_TOKEN,
        wecom_kf_aes_key=KF_KEY,
        wecom_base_url=wx.base_url,
        wechat_oa_app_id=OA_APP_ID,
        wechat_oa_app_secret=OA_SECRET,
        wechat_oa_token=OA_TOKEN,
        wechat_oa_aes_key=OA_KEY,
        wechat_oa_base_url=wx.base_url,
        **extra,
    )


@pytest.fixture
def wx():
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def runtime(kb_index, catalog, store, wx) -> Runtime:
    settings = wechat_settings(kb_index.data_dir, wx)
    return Runtime(settings, kb_index, catalog, store, Assistant(kb_index, catalog, store, settings))


def client_for(*channels) -> httpx.AsyncClient:
    app = FastAPI()
    for ch in channels:
        app.include_router(ch.router())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wechat.test")


async def push_kf(http: httpx.AsyncClient, wx: FakeWeChat, channel: KfChannel) -> httpx.Response:
    params, body = kf_event_push(VendorCrypt(KF_TOKEN, KF_KEY, CORP_ID), wx.new_sync_token(), KFID)
    res = await http.post("/wechat/kf/callback", params=params, content=body)
    await channel.idle()
    await channel.sender.drain()
    return res


def contents(sent: list[dict]) -> list[str]:
    return [m["text"]["content"] if m["msgtype"] == "text" else m["msgmenu"]["head_content"] for m in sent]


# the fake's own crypto is the vendor's -----------------------------------------------------------------
def test_the_fake_seals_like_the_published_java_vector():
    fake = VendorCrypt("pamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6")
    expected = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    assert fake.encrypt("我是中文abcd123", random16=b"aaaabbbbccccdddd") == expected
    ours = MsgCrypt("pamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wxb11529c136998cb6")
    assert fake.decrypt(ours.encrypt("往返")) == "往返"


# 微信客服 ---------------------------------------------------------------------------------------------
@sync
async def test_url_verification_answers_the_echostr_and_refuses_a_bad_signature(runtime):
    kf = KfChannel(runtime)
    crypt = VendorCrypt(KF_TOKEN, KF_KEY, CORP_ID)
    echo = crypt.encrypt("8675309")
    ts, nonce = "1700000000", "11"
    async with client_for(kf) as http:
        ok = await http.get(
            "/wechat/kf/callback",
            params={
                "msg_signature": crypt.sign(KF_TOKEN, ts, nonce, echo),
                "timestamp": ts,
                "nonce": nonce,
                "echostr": echo,
            },
        )
        bad = await http.get(
            "/wechat/kf/callback",
            params={"msg_signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": echo},
        )
    await kf.aclose()
    assert (ok.status_code, ok.text) == (200, "8675309")
    assert bad.status_code == 403


@sync
async def test_a_forged_push_is_refused_and_nothing_is_pulled(runtime, wx):
    kf = KfChannel(runtime)
    params, body = kf_event_push(VendorCrypt(KF_TOKEN, KF_KEY, CORP_ID), wx.new_sync_token(), KFID)
    params["msg_signature"] = "f" * 40
    other_corp = kf_event_push(VendorCrypt(KF_TOKEN, KF_KEY, "ww_other_corp"), wx.new_sync_token(), KFID)
    async with client_for(kf) as http:
        forged = await http.post("/wechat/kf/callback", params=params, content=body)
        wrong_id = await http.post("/wechat/kf/callback", params=other_corp[0], content=other_corp[1])
    await kf.idle()
    await kf.aclose()
    assert forged.status_code == 403
    assert wrong_id.status_code == 400
    assert wx.calls_to("/cgi-bin/kf/sync_msg") == []


@sync
async def test_founder_message_gets_a_cited_reply_with_the_handoff_choice(runtime, wx):
    kf = KfChannel(runtime)
    wx.add_kf_message(KFID, USER, COMPUTE)
    async with client_for(kf) as http:
        res = await push_kf(http, wx, kf)
    await kf.aclose()
    assert (res.status_code, res.text) == (200, "success")
    sent = wx.sent()
    assert sent and all(m["touser"] == USER and m["open_kfid"] == KFID for m in sent)
    body = "\n".join(contents(sent))
    assert "算力券" in body and "[1]" in body
    assert "来源\n[1] " in body
    menu = sent[-1]
    assert menu["msgtype"] == "msgmenu"
    assert menu["msgmenu"]["list"][0]["click"] == {"id": "handoff", "content": "转人工"}
    sync = wx.calls_to("/cgi-bin/kf/sync_msg")[0].body
    assert sync["open_kfid"] == KFID and sync["token"]
    assert len({m["msgid"] for m in sent}) == len(sent)  # every send names its own msgid


@sync
async def test_the_same_push_three_times_is_answered_once_and_paging_reads_every_page(runtime, wx):
    kf = KfChannel(runtime)
    wx.page_size = 1
    wx.add_kf_message(KFID, "wm_system", "event", origin=4)  # a system event: not a founder message
    wx.add_kf_message(KFID, USER, COMPUTE)
    async with client_for(kf) as http:
        for _ in range(3):
            await push_kf(http, wx, kf)
    await kf.aclose()
    sessions = [runtime.store.session_for_external("wecom_kf", f"{KFID}:{USER}")]
    founder = [m for m in runtime.store.messages(sessions[0].id) if m.role == "founder"]
    assert len(founder) == 1
    first = wx.calls_to("/cgi-bin/kf/sync_msg")
    assert [c.body.get("cursor", "") for c in first[:2]] == ["", "1"]  # paged until has_more was 0
    assert all(m["touser"] == USER for m in wx.sent())
    replies = len(wx.sent())
    assert replies >= 1
    # a restart: a new channel reads the cursor from the database, pulls nothing old again
    kf2 = KfChannel(runtime)
    async with client_for(kf2) as http:
        await push_kf(http, wx, kf2)
    await kf2.aclose()
    assert len(wx.sent()) == replies
    assert wx.calls_to("/cgi-bin/kf/sync_msg")[-1].body["cursor"] == "2"


@sync
async def test_an_expired_token_is_refreshed_once(runtime, wx):
    kf = KfChannel(runtime)
    wx.add_kf_message(KFID, USER, "你好")
    async with client_for(kf) as http:
        await push_kf(http, wx, kf)
        assert kf.client.token_fetches == 1
        wx.expire_token()
        wx.add_kf_message(KFID, USER, COMPUTE)
        await push_kf(http, wx, kf)
    await kf.aclose()
    assert kf.client.token_fetches == 2
    assert len(wx.calls_to("/cgi-bin/gettoken")) == 2
    refused = [c for c in wx.calls if c.answer.get("errcode") == 42001]
    assert len(refused) == 1


@sync
async def test_a_rate_limit_is_retried_later_not_dropped(runtime, wx):
    kf = KfChannel(runtime)
    wx.fail_next(SEND, 45009)
    wx.add_kf_message(KFID, USER, COMPUTE)
    async with client_for(kf) as http:
        await push_kf(http, wx, kf)
    sess = runtime.store.session_for_external("wecom_kf", f"{KFID}:{USER}")
    waiting = [d for d in runtime.store.deliveries(sess.id) if d.status == "pending"]
    assert waiting and waiting[0].attempts == 1 and "45009" in waiting[0].error
    assert (waiting[0].not_before - utcnow()) > timedelta(seconds=30)  # the vendor's limit is honoured
    _due_now(runtime.store)
    await kf.sender.drain()
    await kf.aclose()
    assert all(d.status == "sent" for d in runtime.store.deliveries(sess.id))


@sync
async def test_handoff_then_staff_reply_reaches_the_same_wechat_user_and_the_bot_stays_quiet(runtime, wx):
    kf = KfChannel(runtime)
    store = runtime.store
    wx.add_kf_message(KFID, USER, COMPUTE)
    async with client_for(kf) as http:
        await push_kf(http, wx, kf)
        wx.add_kf_message(KFID, USER, "转人工", menu_id="handoff")
        await push_kf(http, wx, kf)
        sess = store.session_for_external("wecom_kf", f"{KFID}:{USER}")
        ticket = store.open_handoff_for_session(sess.id)
        assert ticket is not None
        staff = store.add_staff(f"wang-{time.monotonic_ns()}", "x", display_name="王老师")
        store.claim_handoff(ticket.id, staff.id)
        before = len(wx.sent())
        for words in ("还在吗？", "麻烦快一点"):
            wx.add_kf_message(KFID, USER, words)
            await push_kf(http, wx, kf)
        told = contents(wx.sent()[before:])
        assert told == [texts.STAFF_ON_IT]  # told once, and no bot answer over the person
        store.staff_reply(ticket.id, staff.id, "您好，我是王老师，算力券的申报下周开始。")
        await kf.sender.drain()
    await kf.aclose()
    last = wx.sent()[-1]
    assert last["touser"] == USER and last["open_kfid"] == KFID
    assert last["text"]["content"] == texts.STAFF_PREFIX + "您好，我是王老师，算力券的申报下周开始。"
    founder = [m.text for m in store.messages(sess.id) if m.role == "founder"]
    assert founder[-2:] == ["还在吗？", "麻烦快一点"]  # they reach the ticket's conversation
    staff_msg = [m for m in store.messages(sess.id) if m.role == "staff"][0]
    assert staff_msg.delivery == "delivered"


@sync
async def test_staff_reply_outside_the_48_hour_window_waits_for_the_founder(runtime, wx):
    kf = KfChannel(runtime)
    store = runtime.store
    wx.add_kf_message(KFID, USER, "转人工", menu_id="handoff")
    async with client_for(kf) as http:
        await push_kf(http, wx, kf)
        sess = store.session_for_external("wecom_kf", f"{KFID}:{USER}")
        ticket = store.open_handoff_for_session(sess.id)
        staff = store.add_staff(f"li-{time.monotonic_ns()}", "x", display_name="李老师")
        store.claim_handoff(ticket.id, staff.id)
        _age_founder_messages(store, sess.id, hours=49)
        store.staff_reply(ticket.id, staff.id, "您好，材料收到了。")
        before = len(wx.sent())
        await kf.sender.drain()
        assert len(wx.sent()) == before
        msg = [m for m in store.messages(sess.id) if m.role == "staff"][0]
        assert msg.delivery == "pending" and msg.delivery_error == texts.HELD_48H  # the console: 未送达
        wx.add_kf_message(KFID, USER, "我回来了")
        await push_kf(http, wx, kf)
    await kf.aclose()
    assert texts.STAFF_PREFIX + "您好，材料收到了。" in contents(wx.sent()[before:])
    assert [m for m in store.messages(sess.id) if m.role == "staff"][0].delivery == "delivered"


@sync
async def test_at_most_five_messages_after_the_founder_last_wrote(runtime, wx):
    kf = KfChannel(runtime)
    store = runtime.store
    wx.add_kf_message(KFID, USER, "转人工", menu_id="handoff")
    async with client_for(kf) as http:
        await push_kf(http, wx, kf)
        sess = store.session_for_external("wecom_kf", f"{KFID}:{USER}")
        ticket = store.open_handoff_for_session(sess.id)
        staff = store.add_staff(f"zhao-{time.monotonic_ns()}", "x")
        store.claim_handoff(ticket.id, staff.id)
        for i in range(6):
            store.staff_reply(ticket.id, staff.id, f"第{i + 1}条")
        await kf.sender.drain()
    await kf.aclose()
    assert len(wx.sent()) == 5  # the handoff confirmation and four staff replies
    held = [d for d in store.deliveries(sess.id) if d.status == "held"]
    assert len(held) == 2 and {d.error for d in held} == {texts.HELD_COUNT.format(n=5)}
    unsent = [m for m in store.messages(sess.id) if m.role == "staff" and m.delivery != "delivered"]
    assert [m.text for m in unsent] == ["第5条", "第6条"]  # shown as 未送达 with the reason
    assert all(m.delivery_error == texts.HELD_COUNT.format(n=5) for m in unsent)


@sync
async def test_a_wecom_servicer_handling_the_session_keeps_the_bot_quiet(runtime, wx):
    kf = KfChannel(runtime)
    wx.service_states[USER] = 3
    wx.add_kf_message(KFID, USER, COMPUTE)
    async with client_for(kf) as http:
        await push_kf(http, wx, kf)
    await kf.aclose()
    assert wx.sent() == []
    assert wx.calls_to("/cgi-bin/kf/service_state/get")


# 公众号 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
@sync
async def test_official_account_passive_reply_and_a_repeated_msgid_answered_once(runtime, wx, safe):
    oa = OaChannel(runtime)
    crypt = VendorCrypt(OA_TOKEN, OA_KEY, OA_APP_ID) if safe else None
    inner = oa_text_xml("oFounder1", COMPUTE, 6054768590064713728)
    async with client_for(oa) as http:
        answers = []
        for _ in range(3):  # WeChat's retries of one push
            params, body = oa_push(OA_TOKEN, inner, crypt)
            answers.append(await http.post("/wechat/oa/callback", params=params, content=body))
        await oa.idle()
    await oa.aclose()
    # in the same response, i.e. inside WeChat's 5 s (how fast: the 公众号 row of `make bench`)
    first = answers[0]
    assert first.status_code == 200
    fields = parse(first.content)
    if safe:
        assert "Content" not in fields
        fields = parse(crypt.decrypt(fields["Encrypt"]))
    assert fields["ToUserName"] == "oFounder1" and fields["FromUserName"] == "gh_test_oa"
    assert "算力券" in fields["Content"] and "来源\n[1] " in fields["Content"]
    assert [r.text for r in answers[1:]] == ["success", "success"]
    sess = runtime.store.session_for_external("wechat_oa", "oFounder1")
    assert len([m for m in runtime.store.messages(sess.id) if m.role == "founder"]) == 1


@sync
async def test_official_account_refuses_a_bad_signature_and_verifies_the_url(runtime):
    oa = OaChannel(runtime)
    params, body = oa_push(OA_TOKEN, oa_text_xml("oX", "你好", 1))
    async with client_for(oa) as http:
        verify = await http.get("/wechat/oa/callback", params={**params, "echostr": "hello-echo"})
        bad = await http.post("/wechat/oa/callback", params={**params, "signature": "0" * 40}, content=body)
    await oa.aclose()
    assert (verify.status_code, verify.text) == (200, "hello-echo")
    assert bad.status_code == 403


@sync
async def test_a_late_answer_says_success_and_goes_out_as_a_customer_message(runtime, wx):
    oa = OaChannel(runtime)
    oa.budget = 0.0  # as in LLM mode: never wait for the answer inside WeChat's 5 s
    params, body = oa_push(OA_TOKEN, oa_text_xml("oLate", COMPUTE, 77))
    async with client_for(oa) as http:
        res = await http.post("/wechat/oa/callback", params=params, content=body)
        await oa.idle()
        await oa.sender.drain()
    await oa.aclose()
    assert res.text == "success"
    sent = wx.sent(CUSTOM)
    assert sent and sent[0]["touser"] == "oLate" and "算力券" in sent[0]["text"]["content"]


@sync
async def test_duplicate_event_by_sender_and_time_is_taken_once(runtime, wx):
    oa = OaChannel(runtime)
    event = (
        "<xml><ToUserName><![CDATA[gh_test_oa]]></ToUserName><FromUserName><![CDATA[oNew]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe]]></Event></xml>"
    )
    async with client_for(oa) as http:
        replies = []
        for _ in range(3):
            params, body = oa_push(OA_TOKEN, event)
            replies.append(await http.post("/wechat/oa/callback", params=params, content=body))
    await oa.aclose()
    assert "蓉创助手" in parse(replies[0].content)["Content"]
    assert [r.text for r in replies[1:]] == ["success", "success"]


# settings ----------------------------------------------------------------------------------------------
def test_a_half_configured_channel_refuses_to_start_naming_what_is_missing(tmp_path):
    from knowledge.errors import ConfigError

    with pytest.raises(ConfigError, match="RONGCHUANG_WECOM_KF_AES_KEY"):
        Settings(data_dir=tmp_path, wecom_corp_id="ww1", wecom_kf_secret="s", wecom_kf_token="t")
    with pytest.raises(ConfigError, match="RONGCHUANG_WECHAT_OA_APP_SECRET"):
        Settings(data_dir=tmp_path, wechat_oa_app_id="wx1", wechat_oa_token="t")
    off = Settings(data_dir=tmp_path)
    assert not off.wecom_kf_enabled and not off.wechat_oa_enabled


# helpers -----------------------------------------------------------------------------------------------
def _due_now(store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE deliveries SET not_before = :t").bindparams(bindparam("t", type_=UTCDateTime())),
            {"t": utcnow() - timedelta(seconds=1)},
        )


def _age_founder_messages(store, session_id: str, hours: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE messages SET created_at = :t WHERE session_id = :s AND role = 'founder'").bindparams(
                bindparam("t", type_=UTCDateTime())
            ),
            {"t": utcnow() - timedelta(hours=hours), "s": session_id},
        )
