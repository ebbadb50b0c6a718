"""What the founder and the staff console see, built from store records.

The founder sees founder, assistant and staff messages (never internal notes). The console sees a
ticket's age against the response target, the live conversation with delivery status, the bot's
citations and the notes with names."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal, cast

from assistant.reply import Center, Citation, Profile, Reply
from assistant.store import HandoffInfo, MessageInfo, NoteInfo, SessionInfo, StaffInfo, Store
from assistant.understand import summarize_profile

from .schemas import ConsoleMessageOut, MessageOut, NoteOut, TicketDetailOut, TicketOut

FounderRole = Literal["founder", "assistant", "staff"]

CONSOLE_ROLES = ("founder", "assistant", "staff")


def founder_reply(m: MessageInfo) -> Reply | None:
    if m.role != "assistant" or not isinstance(m.payload, dict):
        return None
    try:
        return Reply.model_validate(m.payload)
    except ValueError:  # a payload from an older Reply shape: show the text alone
        return None


def founder_view(m: MessageInfo) -> MessageOut:
    staff_name = m.payload.get("staff_name") if m.role == "staff" and isinstance(m.payload, dict) else None
    return MessageOut(
        id=m.id,
        role=cast(FounderRole, m.role),  # the caller passes founder-visible messages only
        text=m.text,
        created_at=m.created_at,
        reply=founder_reply(m),
        staff_name=staff_name,
    )


def age_minutes(created_at: datetime, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    return max(0, int((now - created_at).total_seconds() // 60))


_REASON = re.compile(r"^原因：[^。]*。")
_PROFILE = re.compile(r"画像：[^。]*。")


def current_profile(t: HandoffInfo, session: SessionInfo | None) -> Profile:
    """The founder's profile as it is now (they may have corrected it since the handoff)."""
    try:
        return Profile(**((session.profile if session else None) or t.profile or {}))
    except ValueError:
        return Profile()


def console_summary(stored: str, profile: Profile) -> str:
    """The ticket's summary with today's profile in it, so it agrees with the profile panel. The
    reason is left out: the console shows it as a badge."""
    line = f"画像：{summarize_profile(profile) or '未知'}。"
    text = _REASON.sub("", stored)
    return _PROFILE.sub(lambda _m: line, text, count=1) if _PROFILE.search(text) else line + text


def ticket_out(
    t: HandoffInfo, names: dict[int, str], target: int, session: SessionInfo | None = None
) -> TicketOut:
    age = age_minutes(t.created_at)
    return TicketOut(
        id=t.id,
        number=t.number,
        reason=t.reason,
        status=t.status,
        priority=t.priority,
        summary=console_summary(t.summary, current_profile(t, session)),
        center=Center(**t.center),
        created_at=t.created_at,
        age_minutes=age,
        overdue=t.status != "resolved" and age > target,
        claimed_by=names.get(t.claimed_by) if t.claimed_by else None,
        claimed_by_id=t.claimed_by,
        channel=session.channel if session else "web",
    )


def staff_names(store: Store) -> dict[int, str]:
    return {s.id: s.display_name for s in store.list_staff()}


def _message(m: MessageInfo) -> ConsoleMessageOut:
    """What the founder sees, plus how its delivery went; never the session id (the founder's only
    credential: whoever holds it can read and write the conversation)."""
    view = founder_view(m)
    if view.reply is not None:
        view.reply = view.reply.model_copy(update={"session_id": short_session(view.reply.session_id)})
    return ConsoleMessageOut(**dict(view), delivery=m.delivery, delivery_error=m.delivery_error)


def short_session(session_id: str) -> str:
    """Enough to tell two conversations apart in a log or the console, not enough to use one."""
    return f"{session_id[:6]}…" if session_id else session_id


def _note(n: NoteInfo, names: dict[int, str]) -> NoteOut:
    return NoteOut(
        id=n.id,
        staff_name=names.get(n.staff_id) if n.staff_id else None,
        text=n.text,
        created_at=n.created_at,
    )


def _citations(raw: list) -> list[Citation]:
    out = []
    for c in raw:
        try:
            out.append(Citation.model_validate(c))
        except ValueError:
            continue  # an older citation shape: skip rather than fail the whole ticket
    return out


def ticket_detail(store: Store, t: HandoffInfo, target: int) -> TicketDetailOut:
    names = staff_names(store)
    session = store.get_session(t.session_id)
    messages = [_message(m) for m in store.messages(t.session_id, limit=1000) if m.role in CONSOLE_ROLES]
    base = ticket_out(t, names, target, session).model_dump()
    return TicketDetailOut(
        **base,
        profile=current_profile(t, session),
        citations=_citations(t.citations),
        messages=messages,
        notes=[_note(n, names) for n in store.notes(t.id)],
        outcome=t.outcome,
        resolved_at=t.resolved_at,
        delivery_failed=any(m.role == "staff" and m.delivery == "failed" for m in messages),
        target_minutes=target,
    )


def staff_out(s: StaffInfo) -> dict:
    return {"id": s.id, "username": s.username, "display_name": s.display_name, "is_admin": s.is_admin}
