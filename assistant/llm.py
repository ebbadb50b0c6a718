"""LLMComposer: an OpenAI-compatible model (DeepSeek, Qwen, vLLM, Ollama …) answers through a small
tool-calling agent, and its answer is checked sentence by sentence against what it cites.

The model sees numbered passages — the turn's retrieved hits first, then whatever its tools return —
from one CitationList, so the [n] it writes is the number we check. Everything sent to the vendor is
PII-masked. Any failure raises, and the engine falls back to the extractive answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Iterator
from functools import cache
from importlib import resources
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolCall, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from knowledge.catalog import Catalog
from knowledge.errors import ConfigError, RongchuangError
from knowledge.index import KnowledgeIndex
from knowledge.search import Filters, search
from knowledge.types import KINDS, Hit, Passage

from .citations import HOME_REGIONS, CitationList, caveats
from .compose import Composed, ComposeRequest
from .grounding import Checker, Emitter
from .phrases import Phrases, parse, phrases
from .privacy import mask_pii
from .reply import Citation, Eligibility, HandoffReason
from .route import match_funds, match_parks
from .routing_text import _hit as doc_hit
from .settings import Settings

ROUNDS = 4  # model calls per turn: enough for search → answer, bounded against tool loops
UPFRONT_HITS = 5
SEARCH_K = 4
PASSAGES = "passages.md"

# Every template the composer fills, with exactly the placeholders it passes (checked at start-up).
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "system.zh.md": {"system": ("no_answer",)},
    "system.en.md": {"system": ("no_answer",)},
    PASSAGES: {
        "passage": ("n", "title", "doc_number", "section", "flags", "text"),
        "doc_number": ("doc_number",),
        "flag_sample": (),
        "flag_region": ("region",),
        "flag_expired": (),
        "flag_pending": (),
        "question": ("question", "profile", "passages"),
        "no_profile": (),
        "no_passages": (),
        "eligibility": ("checks",),
        "search_results": ("query", "passages"),
        "search_empty": ("query",),
        "park": ("name", "reasons", "markers"),
        "fund": ("name", "reasons", "markers"),
        "no_track": (),
        "no_parks": (),
        "no_funds": (),
        "handoff_done": ("reason",),
        "unknown_tool": ("name", "tools"),
    },
}


class LLMError(RongchuangError):
    """The model's reply could not be used (empty); the engine falls back to the extractive answer."""


# prompts ---------------------------------------------------------------------------------------
@cache
def load_prompt(name: str) -> Phrases:
    """A prompts/ file of `## key` templates, parsed by the same strict model as the phrases."""
    try:
        text = (resources.files("prompts") / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"缺少提示词文件 prompts/{name}：请检查安装是否完整") from exc
    return parse(text, name)


def render(file: str, key: str, /, **values: object) -> str:
    prompt = load_prompt(file)
    if key not in prompt.items:
        raise ConfigError(f"提示词文件 prompts/{file} 缺少模板 “## {key}”")
    return prompt.get(key, **{k: str(v) for k, v in values.items()})


def check_prompts() -> None:
    """Every template exists with exactly the placeholders the code fills: fail at start-up, not per turn."""
    for name, keys in TEMPLATES.items():
        for key, names in keys.items():
            render(name, key, **dict.fromkeys(names, ""))


def system_prompt(lang: str) -> str:
    lang = "en" if lang == "en" else "zh"
    return render(f"system.{lang}.md", "system", no_answer=phrases(lang).get("no_answer"))


# the composer ----------------------------------------------------------------------------------
def make_chat(settings: Settings) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=settings.llm_base_url,  # explicit: never OPENAI_BASE_URL / OPENAI_API_BASE
        model=settings.llm_model,
        api_key=SecretStr(settings.llm_api_key or "none"),  # Ollama and vLLM want a string, any string
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        streaming=True,
        use_responses_api=False,  # compatible vendors speak chat completions only
    )


class LLMComposer:
    mode = "llm"

    def __init__(
        self, settings: Settings, index: KnowledgeIndex, catalog: Catalog, chat: BaseChatModel | None = None
    ) -> None:
        check_prompts()
        self.settings = settings
        self.index = index
        self.catalog = catalog
        self.chat = chat or make_chat(settings)

    def compose(self, req: ComposeRequest) -> Composed:
        answer = self.stream(req, partial=False)
        for _ in answer:
            pass
        if answer.result is None:  # cannot happen: an exhausted stream has its result
            raise LLMError("the answer stream ended without a result")
        return answer.result

    def stream(self, req: ComposeRequest, partial: bool = True) -> AnswerStream:
        """Checked sentences as the model writes them; `.result` is the Composed once exhausted.
        With `partial`, a vendor failure after some sentences ends the answer there (noted)."""
        return AnswerStream(AgentTurn(req, self.index, self.catalog), self.chat, partial)


class AnswerStream(Iterator[str]):
    """One turn's answer, sentence by sentence. Each stream owns its state, so a shared composer
    can serve several conversations at once."""

    def __init__(self, turn: AgentTurn, chat: BaseChatModel, partial: bool) -> None:
        self.result: Composed | None = None
        self._gen = self._run(turn, chat, partial)

    def __next__(self) -> str:
        return next(self._gen)

    def _run(self, turn: AgentTurn, chat: BaseChatModel, partial: bool) -> Iterator[str]:
        prompt = system_prompt(turn.lang)
        emitter = Emitter(Checker(turn.grounds, turn.lang, prompt), turn.lang)
        try:
            yield from turn.run(chat, prompt, emitter)
            if turn.handoff_reason:
                self.result = turn.result(emitter)
                return
            yield from emitter.close()
        except Exception as exc:
            if not (partial and emitter.grounded):
                raise
            turn.notes.append(f"llm_interrupted: {type(exc).__name__}")
        yield from turn.caveats(emitter)
        self.result = turn.result(emitter)


# one turn: the agent loop and its tools ---------------------------------------------------------
class AgentTurn:
    def __init__(self, req: ComposeRequest, index: KnowledgeIndex, catalog: Catalog) -> None:
        self.req = req
        self.lang = req.lang
        self.index = index
        self.catalog = catalog
        self.cites = CitationList()
        self.grounds: dict[int, str] = {}  # number shown to the model → text a sentence may rest on
        self.passages: dict[str, Passage] = {}  # by doc_id, for the caveats
        self.handoff_reason: str | None = None
        self.tools_used: list[str] = []
        self.notes: list[str] = []

    def run(self, chat: BaseChatModel, prompt: str, emitter: Emitter) -> Iterator[str]:
        tools = {t.name: t for t in self.tools()}
        model = chat.bind_tools(list(tools.values()))
        messages: list[BaseMessage] = [SystemMessage(prompt), HumanMessage(self.user_message())]
        for _ in range(ROUNDS):
            reply = yield from self._round(model, messages, emitter)
            if not reply.tool_calls:
                return
            messages.append(reply)
            messages += [self._call(tools, call) for call in reply.tool_calls]
            if self.handoff_reason:
                return
        self.notes.append("llm_rounds_exhausted")

    def _round(
        self, model: Any, messages: list[BaseMessage], emitter: Emitter
    ) -> Generator[str, None, AIMessage]:
        reply = None
        for chunk in model.stream(messages):
            reply = chunk if reply is None else reply + chunk
            if isinstance(chunk.content, str) and chunk.content:
                yield from emitter.feed(chunk.content)
        yield from emitter.end_text()
        if reply is None:
            raise LLMError("the model sent an empty reply")
        return AIMessage(content=reply.content, tool_calls=reply.tool_calls)

    def _call(self, tools: dict[str, BaseTool], call: ToolCall) -> ToolMessage:
        self.tools_used.append(call["name"])
        tool = tools.get(call["name"])
        if tool is None:
            text = render(PASSAGES, "unknown_tool", name=call["name"], tools="、".join(tools))
            return ToolMessage(content=text, tool_call_id=call["id"])
        msg = tool.invoke(call)
        msg.content = mask_pii(str(msg.content))
        return msg

    # what the model is shown -------------------------------------------------------------------
    def user_message(self) -> str:
        hits = [*self.req.hits[:UPFRONT_HITS], *self.req.next_steps]
        shown = self.show(hits) if hits else render(PASSAGES, "no_passages")
        text = render(
            PASSAGES, "question", question=self.req.question, profile=self._profile(), passages=shown
        )
        if self.req.eligibility:
            text += "\n\n" + self._eligibility()
        return mask_pii(text)

    def show(self, hits: list[Hit]) -> str:
        return "\n\n".join(self._passage(h) for h in hits)

    def _passage(self, hit: Hit) -> str:
        n = self.number(hit)
        p = hit.passage
        shown = p.meta.doc_number and not p.meta.pending  # an unconfirmed 文号 is not presented as official
        number = render(PASSAGES, "doc_number", doc_number=p.meta.doc_number) if shown else ""
        return render(
            PASSAGES,
            "passage",
            n=n,
            title=p.meta.title,
            doc_number=number,
            section=p.section,
            flags=self._flags(p),
            text=p.text,
        )

    def number(self, hit: Hit) -> int:
        """The passage's [n], registering it as citable."""
        n = int(self.cites.mark(hit)[1:-1])
        p = hit.passage
        self.grounds[n] = "\n".join(x for x in (p.meta.title, p.meta.doc_number, p.section, p.text) if x)
        self.passages.setdefault(p.doc_id, p)
        return n

    def _flags(self, p: Passage) -> str:
        flags = []
        if p.meta.sample:
            flags.append(render(PASSAGES, "flag_sample"))
        if p.meta.region not in HOME_REGIONS:
            flags.append(render(PASSAGES, "flag_region", region=p.meta.region))
        if not p.meta.is_valid_on(self.cites.today):
            flags.append(render(PASSAGES, "flag_expired"))
        if p.meta.pending:
            flags.append(render(PASSAGES, "flag_pending"))
        return "".join(flags)

    def _profile(self) -> str:
        known = self.req.profile.model_dump(exclude_defaults=True)
        return "；".join(f"{k}: {v}" for k, v in known.items()) or render(PASSAGES, "no_profile")

    def _eligibility(self) -> str:
        ph = phrases(self.lang)
        hits = [c.hit for c in self.req.eligibility if c.hit]
        lines = [
            ph.get(f"eligibility_{c.status}", condition=c.condition)
            + (f"[{self.number(c.hit)}]" if c.hit else "")
            for c in self.req.eligibility
        ]
        return render(PASSAGES, "eligibility", checks="\n".join(lines)) + "\n\n" + self.show(hits)

    # tools -------------------------------------------------------------------------------------
    def tools(self) -> list[BaseTool]:
        funcs: list[Callable[..., str]] = [
            self.search_knowledge,
            self.recommend_parks,
            self.recommend_funds,
            self.request_handoff,
        ]
        return [
            StructuredTool.from_function(
                f,
                description=inspect.cleandoc(f.__doc__ or ""),
                handle_tool_error=True,
                handle_validation_error=True,
            )
            for f in funcs
        ]

    def search_knowledge(self, query: str, kind: str | None = None) -> str:
        """Search the knowledge base (policies, park policy packages, service guides, funds, service
        centres). `kind` narrows it to one of: policy, law, park, guide, fund, center. Returns numbered
        passages; cite them by these numbers."""
        kinds = (kind,) if kind in KINDS else ()
        hits = search(self.index, query, k=SEARCH_K, filters=Filters(kinds=kinds))
        if not hits:
            return render(PASSAGES, "search_empty", query=query)
        return render(PASSAGES, "search_results", query=query, passages=self.show(hits))

    def recommend_parks(self) -> str:
        """Parks that fit the founder's profile (track, stage, needs, district), with the reasons and
        the numbered passages behind each."""
        if not self.req.profile.track:
            return render(PASSAGES, "no_track")
        matches = match_parks(self.req.profile, self.catalog)
        blocks = [
            self._recommendation(
                "park",
                m.park.name,
                m.reasons,
                (m.park.id, "园区概况"),
                *[(m.park.id, it.title) for it in m.items[:2]],
            )
            for m in matches
        ]
        return "\n\n".join(blocks) or render(PASSAGES, "no_parks")

    def recommend_funds(self) -> str:
        """Funds and financing instruments that fit the founder's stage and needs, with the reasons and
        the numbered passages behind each."""
        matches = match_funds(self.req.profile, self.catalog)
        blocks = [
            self._recommendation("fund", m.fund.name, m.reasons, (m.fund.id, "是什么")) for m in matches
        ]
        return "\n\n".join(blocks) or render(PASSAGES, "no_funds")

    def _recommendation(self, key: str, name: str, reasons: list[str], *where: tuple[str, str]) -> str:
        hits = [h for doc_id, needle in where if (h := doc_hit(self.index, doc_id, needle))]
        markers = "".join(f"[{self.number(h)}]" for h in hits)
        line = render(PASSAGES, key, name=name, reasons="；".join(reasons), markers=markers)
        return "\n\n".join([line, self.show(hits)]) if hits else line

    def request_handoff(self, reason: HandoffReason) -> str:
        """Hand the conversation to a person at a service centre instead of answering. reason:
        user_request (the founder asks for a person), complaint, eligibility (they want a ruling on
        whether they qualify), sensitive, low_confidence (nothing reliable was found)."""
        self.handoff_reason = reason
        return render(PASSAGES, "handoff_done", reason=reason)

    # the result --------------------------------------------------------------------------------
    def used_citations(self, emitter: Emitter) -> list[Citation]:
        by_n = {c.n: c for c in self.cites.items()}
        return [by_n[old].model_copy(update={"n": new}) for old, new in emitter.order.items()]

    def caveats(self, emitter: Emitter) -> Iterator[str]:
        for note in caveats(self.used_citations(emitter), self.passages, phrases(self.lang)):
            if note not in emitter.text:
                yield from emitter.note(note)

    def result(self, emitter: Emitter) -> Composed:
        notes = [*self.notes, *(f"llm_dropped: {why}" for why in emitter.dropped)]
        notes += [f"llm_removed_marker: [{n}]" for n in emitter.removed]
        if self.tools_used:
            notes.append("llm_tools: " + ", ".join(self.tools_used))
        return Composed(
            answer=emitter.text.strip(),
            citations=self.used_citations(emitter),
            eligibility=self._eligibility_result(emitter),
            notes=notes,
            mode="llm",
            handoff_reason=self.handoff_reason,
        )

    def _eligibility_result(self, emitter: Emitter) -> list[Eligibility]:
        out = []
        for c in self.req.eligibility:
            n = emitter.order.get(self.number(c.hit)) if c.hit else None
            out.append(Eligibility(condition=c.condition, status=c.status, citation=n))
        return out


__all__ = [
    "AnswerStream",
    "LLMComposer",
    "LLMError",
    "check_prompts",
    "load_prompt",
    "make_chat",
    "system_prompt",
]
