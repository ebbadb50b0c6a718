"""Drive a responder (the real Assistant, or the naive pipeline) through the golden set and score it.

Each case gets its own session; multi-turn cases send their turns in order and the checks apply to
the last reply. Retrieval is measured separately on standalone questions, with the same search the
assistant uses."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from assistant.engine import Assistant
from assistant.reply import Reply
from assistant.settings import Settings

from .compare import gap
from .dataset import KINDS, TAGS, GoldenCase, heldout_path, load_cases
from .metrics import CaseResult, aggregate, contains_any, score_reply

log = logging.getLogger("rongchuang.eval")
WARM_UP = "算力券是什么？"
# query -> (label, what evidence is matched against) for the top 5; the second is the passage with its
# document title and heading trail, as for citations ("算力券申领指南 > 需要准备的材料" is about 算力券).
Retrieve = Callable[[str], list[tuple[str, str]]]


class Responder(Protocol):
    def respond(self, session_id: str | None, text: str) -> Reply: ...


def assistant_retriever(assistant: Assistant, k: int = 5) -> Retrieve:
    """The passages the assistant answers a standalone question from: its query (English questions
    also search with the Chinese topic names) and its ranking."""

    def retrieve(query: str) -> list[tuple[str, str]]:
        hits = assistant.retrieve(query, k=k)
        out = []
        for h in hits:
            p = h.passage
            out.append((f"{p.meta.title} · {p.section}", f"{p.meta.title}\n{p.section}\n{p.text}"))
        return out

    return retrieve


def run_case(responder: Responder, retrieve: Retrieve | None, case: GoldenCase) -> CaseResult:
    result = CaseResult(
        id=case.id,
        kind=case.kind,
        lang=case.lang,
        messages=case.messages,
        handoff_expected=case.expect_handoff,
    )
    if retrieve and case.evidence and case.standalone:
        result.retrieval_applies = True
        top = retrieve(case.last)
        result.retrieved = [label for label, _ in top]
        result.rank = next(
            (i for i, (_, text) in enumerate(top, 1) if contains_any(text, case.evidence)), None
        )
    session, reply = None, None
    try:
        for text in case.messages:
            started = time.perf_counter()
            reply = responder.respond(session, text)
            result.latencies_ms.append(round((time.perf_counter() - started) * 1000, 1))
            session = reply.session_id
    except Exception as exc:  # a crash is a failed case, not a failed run
        log.exception("case %s failed", case.id)
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    assert reply is not None, f"case {case.id} has no messages"
    return score_reply(result, reply, case)


def run_cases(
    responder: Responder, retrieve: Retrieve | None, cases: list[GoldenCase], warm_up: bool = True
) -> list[CaseResult]:
    if warm_up:  # first-call costs (jieba, model pages) are not a founder's latency
        responder.respond(None, WARM_UP)
    return [run_case(responder, retrieve, c) for c in cases]


def summarize(results: list[CaseResult], details: bool = True) -> dict:
    """`{"n_cases", "metrics", "by_kind", "by_tag"}`, plus per-case details under "cases"."""
    by_kind, by_tag = {}, {}
    for kind in KINDS:
        subset = [r for r in results if r.kind == kind]
        if subset:
            by_kind[kind] = {"n": len(subset), **aggregate(subset)}
    for tag in TAGS:
        subset = [r for r in results if tag in r.tags]
        if subset:
            by_tag[tag] = {"n": len(subset), **aggregate(subset)}
    out: dict = {
        "n_cases": len(results),
        "metrics": aggregate(results),
        "by_kind": by_kind,
        "by_tag": by_tag,
    }
    if details:
        out["cases"] = [asdict(r) | {"failed": r.failed()} for r in results]
    return out


@contextmanager
def eval_runtime(settings: Settings) -> Iterator:
    """The real Runtime on settings.data_dir's index (ingested if needed) and a throwaway SQLite store."""
    from assistant.runtime import Runtime

    with tempfile.TemporaryDirectory(prefix="rongchuang-eval-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'eval.sqlite3'}"
        # A new Settings, not model_copy: db_url is a cached property and a copy would keep the real store.
        rt = Runtime.start(Settings(**{**settings.model_dump(), "database_url": db}))
        try:
            yield rt
        finally:
            rt.close()


def run_eval(settings: Settings, dataset: Path | None = None) -> dict:
    """The dev set (or `dataset`); without `dataset`, the held-out set too, under "heldout", and the
    gap between the two under "gap" (held-out minus dev, per metric)."""
    cases = load_cases(dataset)
    heldout = load_cases(heldout_path()) if dataset is None and heldout_path().exists() else None
    with eval_runtime(settings) as rt:
        retrieve = assistant_retriever(rt.assistant)
        result = summarize(run_cases(rt.assistant, retrieve, cases))
        if heldout:
            result["heldout"] = summarize(run_cases(rt.assistant, retrieve, heldout, warm_up=False))
            result["gap"] = gap(result["metrics"], result["heldout"]["metrics"])
    return result
