"""One founder message from a WeChat channel to the bodies to send back (the assistant decides what to
say; this only decides whether the bot speaks).

While a person has claimed the founder's ticket the bot does not answer over them: the message goes
into the conversation the console shows, and the founder is told once that staff are on it.
Bodies are small dicts the channel's sender turns into vendor messages:
{"kind": "text", "text": ...}, {"kind": "menu", "text": ...} (text with the 转人工 choice under it),
{"kind": "staff", "text": ...} (written by the store with a staff reply).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.engine import MessageError
from assistant.runtime import Runtime
from assistant.store import SessionInfo

from . import texts
from .render import reply_parts


@dataclass
class Outcome:
    session_id: str
    bodies: list[dict] = field(default_factory=list)


def text_bodies(parts: list[str]) -> list[dict]:
    return [{"kind": "text", "text": p} for p in parts]


def answer(runtime: Runtime, channel: str, external_id: str, text: str, *, handoff: bool = False) -> Outcome:
    """Blocking (retrieval, the database): call it in a worker thread."""
    sess = runtime.store.session_for_external(channel, external_id)
    outcome = _answer(runtime, sess, channel, text, handoff)
    # The founder wrote, and their message is stored: the reply window is open again. (Released only
    # now, so a sender running meanwhile cannot find the window still closed and hold them again.)
    runtime.store.release_held(sess.id)
    return outcome


def _answer(runtime: Runtime, sess: SessionInfo, channel: str, text: str, handoff: bool) -> Outcome:
    store = runtime.store
    ticket = store.open_handoff_for_session(sess.id)
    if ticket is not None and ticket.status == "claimed":
        store.add_message(sess.id, "founder", text or "（非文字消息）")
        told = f"told:{ticket.id}"
        if store.claim_inbound(told):
            store.finish_inbound(told)
            return Outcome(sess.id, text_bodies([texts.STAFF_ON_IT]))
        return Outcome(sess.id)
    if not text.strip() and not handoff:  # a picture, a voice message…: kept, and the founder told why
        store.add_message(sess.id, "founder", "（非文字消息）")
        return Outcome(sess.id, text_bodies([texts.TEXT_ONLY]))
    if handoff:  # the 转人工 choice is the founder writing too: it opens WeChat's reply window
        store.add_message(sess.id, "founder", text or texts.MENU_HANDOFF)
        reply = runtime.assistant.request_handoff(sess.id)
    else:
        try:
            reply = runtime.assistant.respond(sess.id, text, channel)
        except MessageError as exc:  # empty or too long: the text says what to do
            return Outcome(sess.id, text_bodies([str(exc)]))
    bodies = text_bodies(reply_parts(reply))
    if reply.handoff is None and bodies:  # the last part carries the 转人工 choice: one message, not two
        bodies[-1]["kind"] = "menu"
    return Outcome(sess.id, bodies)


def welcome(runtime: Runtime) -> list[dict]:
    return text_bodies([texts.WELCOME.format(days=runtime.settings.retention_days)])
