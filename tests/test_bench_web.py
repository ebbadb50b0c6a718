"""eval/bench_web: the quiet and noisy phases time real work (questions no other level asks, long
messages that never repeat), so their ratio compares like with like."""

from __future__ import annotations

from assistant.asking import question_part
from eval.bench_web import LEVELS, NEIGHBOUR_QUESTIONS, long_message, question_pool, split_pool


def asked_by_levels(pool: list[str]) -> set[str]:
    """Every question the 1-, 8- and 32-client levels send, as measure() picks them."""
    asked, used = set(), 0
    for _clients, requests in LEVELS:
        asked |= {pool[(used + i) % len(pool)] for i in range(requests)}
        used += requests
    return asked


def test_neighbour_questions_are_never_asked_by_the_levels():
    pool, fresh = split_pool(question_pool())
    assert len(fresh) == len(set(fresh)) == 2 * NEIGHBOUR_QUESTIONS
    assert not set(fresh) & asked_by_levels(pool)


def test_the_levels_ask_the_same_questions_as_before_the_split():
    whole = question_pool()
    pool, _ = split_pool(whole)
    first = sum(requests for clients, requests in LEVELS if clients <= 8)
    assert pool[:first] == whole[:first]


def test_long_messages_are_2000_characters_and_differ_by_shift():
    question = "算力券怎么申请？"
    texts = {long_message(question, shift) for shift in range(5)}
    assert len(texts) == 5
    assert all(len(t) == 2000 and t.endswith(question) for t in texts)
    assert len({question_part(t) for t in texts}) == 5  # what is embedded differs too: no cache hit
