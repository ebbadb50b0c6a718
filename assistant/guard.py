"""Guardrails. Retrieved text is data: a passage that tries to give orders is never quoted, and a
founder asking for the system prompt gets a refusal, not the prompt."""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"(忽略|无视|忘记|跳过)(以上|上面|之前|前面|所有|全部)?的?(指令|指示|规则|要求|提示|设定)"
    r"|(系统|system)\s*(提示词|提示|prompt)|你现在是|扮演|角色扮演|越狱|jailbreak"
    r"|ignore (all |the )?(previous|above|prior) (instructions|rules)|disregard (the )?(above|previous)"
    r"|reveal (your|the) (system )?prompt|developer mode",
    re.I,
)


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))
