"""A staff correction becomes a curated answer (reused by the assistant) and an eval case.

Cases are appended to `<data_dir>/curated_cases.jsonl`, masked like every export (PIPL), so the eval
harness can check that the bot now answers the question the way staff said it should.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from assistant.privacy import mask_pii
from assistant.store import CuratedInfo, HandoffInfo, StaffInfo, Store

CASES_FILE = "curated_cases.jsonl"
_PHRASE_CHARS = 20
_lock = threading.Lock()


def key_phrase(answer: str) -> str:
    """A short phrase the right answer must contain: the start of its first clause."""
    text = answer.strip()
    first = re.split(r"[。！？!?\n]", text, maxsplit=1)[0].strip() or text
    if len(first) > _PHRASE_CHARS:
        first = re.split(r"[，,；;：:]", first, maxsplit=1)[0].strip() or first
    return first[:_PHRASE_CHARS]


def eval_case(item: CuratedInfo) -> dict:
    answer = mask_pii(item.answer)
    phrase = key_phrase(answer)
    return {
        "id": f"curated-{item.id}",
        "question": mask_pii(item.question),
        "kind": "policy",
        "answer_must": [phrase],
        "evidence": [phrase],
        "source": "curated",
    }


def append_case(data_dir: Path, case: dict) -> Path:
    path = Path(data_dir) / CASES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(case, ensure_ascii=False) + "\n"
    with _lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line)
    return path


def record_correction(
    store: Store, data_dir: Path, ticket: HandoffInfo, staff: StaffInfo, question: str, answer: str
) -> tuple[CuratedInfo, dict]:
    item = store.add_curated(
        question.strip(),
        answer.strip(),
        center_name=ticket.center_name,
        staff_id=staff.id,
        handoff_id=ticket.id,
    )
    case = eval_case(item)
    append_case(data_dir, case)
    return item, case
