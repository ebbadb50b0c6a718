"""Guardrails, founder side. A founder message that tries to give the assistant orders (ignore the
rules, a fake system notice, role play, "reveal your prompt") gets a refusal, not the prompt.

The cues are data (knowledge/dict/screen.yaml), shared with the passage screen that keeps orders
inside documents out of answers (knowledge/screen.py). Text is matched with spaces dropped and in
either order, so "忽略 以上 所有 指令" and "以上所有指令都忽略" are caught like "忽略以上所有指令".
"""

from __future__ import annotations

from knowledge.screen import exact_flags


def injection_classes(text: str) -> list[str]:
    """The instruction classes a founder message matches ([] for an ordinary question)."""
    return exact_flags(text, "messages")


def is_injection(text: str) -> bool:
    return bool(injection_classes(text))
