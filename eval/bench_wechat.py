"""The Official Account's passive reply, timed through the real callback route: a safe-mode (AES)
push sealed the way WeChat seals it, our signature check, decrypt, dedupe, Assistant.respond, the
encrypted reply. WeChat gives up after 5 s; this is how much of that we use."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import statistics
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from assistant.engine import Assistant
from assistant.runtime import Runtime, load_catalog
from assistant.settings import Settings
from assistant.store import Store
from knowledge.index import KnowledgeIndex

TOKEN, KEY, APP = "benchToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx_bench_app"


def _push(crypt, text: str, msg_id: int) -> tuple[dict[str, str], bytes]:
    now, nonce = str(int(time.time())), str(msg_id)
    inner = (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o{msg_id % 7}]]>"
        f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    enc = crypt.encrypt(inner)
    body = f"<xml><ToUserName><![CDATA[{APP}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    params = {
        "signature": hashlib.sha1("".join(sorted([TOKEN, now, nonce])).encode()).hexdigest(),
        "timestamp": now,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": crypt.sign(now, nonce, enc),
    }
    return params, body.encode()


async def _run(channel, crypt, questions: list[str]) -> list[float]:
    app = FastAPI()
    app.include_router(channel.router())
    times: list[float] = []
    ids = itertools.count(10_000)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for q in questions:
            params, body = _push(crypt, q, next(ids))
            started = time.perf_counter()
            res = await http.post("/wechat/oa/callback", params=params, content=body)
            times.append((time.perf_counter() - started) * 1000)
            assert res.status_code == 200 and b"<Encrypt>" in res.content, res.text
    await channel.aclose()
    return times


def passive_reply_ms(data_dir: Path, index: KnowledgeIndex, questions: list[str]) -> list[float]:
    from connectors.wechat.crypto import MsgCrypt
    from connectors.wechat.oa import OaChannel

    settings = Settings(
        data_dir=data_dir,
        wechat_oa_app_id=APP,
        wechat_oa_app_secret="unused",
        wechat_oa_token=TOKEN,
        wechat_oa_aes_key=KEY,
    )
    store = Store.open(f"sqlite:///{data_dir / 'bench-wechat.sqlite3'}")
    catalog = load_catalog(settings)
    runtime = Runtime(settings, index, catalog, store, Assistant(index, catalog, store, settings))
    try:
        return asyncio.run(_run(OaChannel(runtime), MsgCrypt(TOKEN, KEY, APP), questions))
    finally:
        store.close()


def rows(data_dir: Path, index: KnowledgeIndex, questions: list[str], pct) -> list[list[str]]:
    times = passive_reply_ms(data_dir, index, questions)
    return [
        [
            "公众号 passive reply (safe mode, callback round trip)",
            f"{statistics.median(times):.1f}",
            f"{pct(times, 0.95):.1f}",
            "",
        ]
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m eval.bench_wechat --index DIR`: the row alone, on an index already built in DIR."""
    import argparse
    import tempfile

    from rich.console import Console

    from knowledge.embed import shared_e5

    from .bench import pct, table
    from .retrieval import load_cases

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--index", type=Path, required=True)
    args = ap.parse_args(argv)
    index = KnowledgeIndex(args.index, shared_e5())
    questions = [c.question for c in load_cases()]
    with tempfile.TemporaryDirectory(prefix="rc-bench-wx-") as work:
        found = rows(Path(work), index, questions, pct)
    Console().print(
        table(f"公众号 passive reply (ms), {len(questions)} questions", ["what", "p50", "p95", ""], found)
    )


if __name__ == "__main__":
    main()
