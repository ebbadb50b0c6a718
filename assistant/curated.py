"""Curated answers: what staff wrote when they corrected the bot, reviewed before any founder sees it.

Every channel uses this one module. A staff correction becomes a *draft* (PII masked, at most
`corrections_per_hour` per staff member, only the ticket's claimer or an admin); an admin approves,
edits or rejects it; only approved answers are served. Approval records who and when, stores the
question's e5 vector and exports the pair as an eval case (`<data_dir>/curated_cases.jsonl`).

Lookup never scans the table: first the exact normalised question (an index), then the e5 vector
of a short question against the approved answers' vectors, held in memory and reloaded only when
the table's version moves.
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from .privacy import mask_pii
from .store import CuratedInfo, Forbidden, HandoffInfo, StaffInfo, Store
from .store.models import utcnow
from .store.records import TooMany

CASES_FILE = "curated_cases.jsonl"
_PUNCT = re.compile(r"[\s，。！？、；：,.!?;:“”\"'（）()]+")
_KEY_DROP = re.compile(r"[\W_]+")  # must match migration 0012's key for rows written before it
_PHRASE_CHARS = 20
# e5 cosine between paraphrases of one question is ≥ 0.98 ("科技创新券怎么申请" / "怎么申请科技创新券"
# 0.996); a neighbouring question on the same subject ("…能补多少钱") is 0.95, another voucher 0.93.
VECTOR_MATCH = 0.975
VECTOR_MAX_CHARS = 120  # longer text is a story, not a question staff answered: exact key only
VERSION_SECONDS = 1.0  # how often the table's version is looked at
_file_lock = threading.Lock()


def normalise(q: str) -> str:
    return _PUNCT.sub("", q).lower()


def question_key(q: str) -> str:
    """The indexed form of a question: NFKC, no punctuation or spaces, lower case."""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", q)).lower()[:200]


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)} or {s}


def similar(a: str, b: str) -> float:
    x, y = _bigrams(normalise(a)), _bigrams(normalise(b))
    return len(x & y) / len(x | y) if x and y else 0.0


class CuratedAnswers:
    """Submit, review and look up curated answers over one store (and the index's embedder)."""

    def __init__(
        self, store: Store, embedder: Any = None, *, data_dir: Path | None = None, per_hour: int = 20
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.data_dir = data_dir
        self.per_hour = per_hour
        self._lock = threading.Lock()
        self._version: tuple[int, Any] | None = None
        self._checked_at = float("-inf")
        self._ids: list[int] = []
        self._matrix = np.zeros((0, 0), dtype=np.float32)

    # -- writing -------------------------------------------------------------------------------
    def submit(self, ticket: HandoffInfo, staff: StaffInfo, question: str, answer: str) -> CuratedInfo:
        """A staff correction on a ticket, stored as a draft for an admin to review."""
        if not (staff.is_admin or ticket.claimed_by == staff.id):
            raise Forbidden(f"请先认领工单 {ticket.id}，再提交正确答案。")
        self._check_rate(staff)
        q, a = mask_pii(question.strip()), mask_pii(answer.strip())
        return self.store.add_curated(
            q,
            a,
            center_name=ticket.center_name,
            staff_id=staff.id,
            handoff_id=ticket.id,
            question_key=question_key(q),
            author_name=staff.display_name,
        )

    def _check_rate(self, staff: StaffInfo) -> None:
        if self.per_hour <= 0:
            return
        hour = timedelta(hours=1)
        recent = self.store.corrections_since(staff.id, utcnow() - hour)
        if len(recent) >= self.per_hour:
            wait = max(1, int((recent[-self.per_hour] + hour - utcnow()).total_seconds()) + 1)
            raise TooMany(
                f"一小时内最多提交 {self.per_hour} 条正确答案，请 {wait // 60 + 1} 分钟后再试。", wait
            )

    def edit(self, curated_id: int, question: str, answer: str) -> CuratedInfo:
        q, a = mask_pii(question.strip()), mask_pii(answer.strip())
        return self.store.edit_curated(curated_id, q, a, question_key(q))

    def approve(self, curated_id: int, admin: StaffInfo) -> tuple[CuratedInfo, dict]:
        """Publish an answer to founders; returns it and the eval case it was exported as."""
        _require_admin(admin)
        item = self._get(curated_id)
        vector = self._vector(item.question)
        done = self.store.review_curated(item.id, "approved", admin.id, admin.display_name, vector=vector)
        case = eval_case(done)
        if self.data_dir is not None:
            append_case(self.data_dir, case)
        self._checked_at = float("-inf")
        return done, case

    def review(self, curated_id: int, admin: StaffInfo, status: str) -> CuratedInfo:
        """Reject a draft, or disable an approved answer (or put a disabled one back to draft)."""
        _require_admin(admin)
        self._get(curated_id)
        done = self.store.review_curated(curated_id, status, admin.id, admin.display_name)
        self._checked_at = float("-inf")
        return done

    def delete(self, curated_id: int) -> bool:
        gone = self.store.delete_curated(curated_id)
        self._checked_at = float("-inf")
        return gone

    def _get(self, curated_id: int) -> CuratedInfo:
        item = self.store.get_curated(curated_id)
        if item is None:
            from .store import NotFound

            raise NotFound("服务中心答复", curated_id)
        return item

    def _vector(self, question: str) -> list[float] | None:
        if self.embedder is None or len(question_key(question)) > VECTOR_MAX_CHARS:
            return None
        return [float(x) for x in self.embedder.embed_query(question)]

    # -- lookup --------------------------------------------------------------------------------
    def find(self, question: str) -> CuratedInfo | None:
        """The approved answer to this question: exact normalised match first, then a near-identical
        e5 vector. Short questions only go to the vectors; nothing is scanned."""
        key = question_key(question)
        if len(key) < 2:
            return None
        if exact := self.store.approved_by_key(key):
            return exact
        if self.embedder is None or len(key) > VECTOR_MAX_CHARS:
            return None
        ids, matrix = self._approved_matrix()
        if not ids:
            return None
        sims = matrix @ np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        best = int(np.argmax(sims))
        if float(sims[best]) < VECTOR_MATCH:
            return None
        found = self.store.get_curated(ids[best])
        return found if found and found.status == "approved" else None

    def _approved_matrix(self) -> tuple[list[int], np.ndarray]:
        now = time.monotonic()
        if now - self._checked_at >= VERSION_SECONDS:
            version = self.store.curated_version()
            with self._lock:
                if version != self._version:
                    rows = self.store.approved_vectors()
                    self._ids = [ident for ident, _ in rows]
                    self._matrix = (
                        np.asarray([vec for _, vec in rows], dtype=np.float32)
                        if rows
                        else np.zeros((0, 0), dtype=np.float32)
                    )
                    self._version = version
                self._checked_at = now
        return self._ids, self._matrix


def _require_admin(staff: StaffInfo) -> None:
    if not staff.is_admin:
        raise Forbidden("只有管理员可以审核服务中心答复。")


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
    with _file_lock, path.open("a", encoding="utf-8") as fh:
        fh.write(line)
    return path
