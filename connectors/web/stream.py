"""Server-sent events for the chat page: `meta`, then `delta` pieces of the answer, then `done`."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

from assistant.reply import Reply

# A sentence ends at 。！？!? (keeping any [n] markers that follow it) or at a line break.
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+(?:\[\d+\])*|\n)|[^。！？!?\n]+$")


def sentences(text: str) -> list[str]:
    """Pieces that join back to exactly `text`."""
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)]


def event(name: str, data: object) -> bytes:
    body = json.dumps(data, ensure_ascii=False)
    return f"event: {name}\ndata: {body}\n\n".encode()


async def reply_events(reply: Reply) -> AsyncIterator[bytes]:
    yield event("meta", {"session_id": reply.session_id})
    for piece in sentences(reply.answer):
        yield event("delta", {"text": piece})
    yield event("done", reply.model_dump(mode="json"))
