"""One contract suite for the store, run against SQLite and PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import bindparam, event, inspect, text

from assistant.privacy import mask_pii
from assistant.reply import Profile
from assistant.store import (
    ClaimConflict,
    Duplicate,
    Forbidden,
    HandoffInfo,
    NotFound,
    Store,
    StoreError,
)
from assistant.store.models import Base, UTCDateTime, utcnow
from assistant.store.store import MIGRATIONS
from tests.conftest import postgres_database

TABLES = {
    "sessions",
    "messages",
    "staff",
    "handoffs",
    "handoff_notes",
    "curated_answers",
    "processed_updates",
    "staff_centers",
}
CENTER = {"id": "gaoxin", "name": "高新区创业服务中心", "contact": "028-12345678"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'rongchuang.sqlite3'}"
    else:
        yield from postgres_database("rc_test_")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


@pytest.fixture
def staff(store: Store) -> tuple[int, int, int]:
    """Two ordinary staff members and an admin."""
    alice = store.add_staff("alice", "hash-a", display_name="王老师")
    bob = store.add_staff("bob", "hash-b")
    admin = store.add_staff("root", "hash-r", is_admin=True)
    return alice.id, bob.id, admin.id


def _handoff(store: Store, channel: str = "web", **kw: Any) -> HandoffInfo:
    session = store.get_or_create_session(None, channel=channel)
    args: dict[str, Any] = {"summary": "想了解首次创业补贴", "center": CENTER, "priority": 2} | kw
    return store.create_handoff(session.id, args.pop("reason", "user_request"), **args)


def _age(store: Store, table: str, column: str, ident: object, days: float = 0, minutes: float = 0) -> None:
    """Move a timestamp into the past (the store itself only ever writes 'now')."""
    past = datetime.now(UTC) - timedelta(days=days, minutes=minutes)
    stmt = text(f"UPDATE {table} SET {column} = :t WHERE id = :i").bindparams(
        bindparam("t", type_=UTCDateTime())
    )
    with store.engine.begin() as conn:
        conn.execute(stmt, {"t": past, "i": ident})


def _in_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(i) in n threads that start together; return results or raised exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# -- schema -----------------------------------------------------------------------------------------


def _head() -> str:
    """The newest revision, read from the scripts (never spelled out: revisions get re-chained)."""

    from assistant.store.store import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    # Store.migrate skips Alembic when the database is at this revision, so it must be Alembic's head.
    from assistant.store.store import script_head

    assert script_head() == _head()


def test_store_does_not_migrate_by_itself_and_migrate_is_idempotent(db_url: str) -> None:
    with Store(db_url) as store:
        assert not TABLES & set(inspect(store.engine).get_table_names())
        store.migrate()
        store.migrate()
        assert TABLES <= set(inspect(store.engine).get_table_names())
        with store.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == _head()


def test_migration_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def _alembic_config() -> Config:
    from assistant.store.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_two_workers_migrating_at_once(db_url: str) -> None:
    code = "import sys; from assistant.store import Store; Store.open(sys.argv[1]).close()"
    root = Path(__file__).resolve().parent.parent
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], cwd=root) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with Store(db_url) as store, store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()


def test_two_threads_migrating_at_once(db_url: str) -> None:
    stores = [Store(db_url), Store(db_url)]
    try:
        assert _in_threads(2, lambda i: stores[i].migrate()) == [None, None]
    finally:
        for s in stores:
            s.close()


def test_sqlite_pragmas_and_begin_immediate(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    seen: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    session = store.get_or_create_session(None)
    store.messages(session.id)
    assert "BEGIN IMMEDIATE" in seen  # the write
    assert "BEGIN" in seen  # the read takes no write lock


def test_sqlite_creates_the_data_directory(tmp_path: Any) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'a' / 'b' / 'rc.sqlite3'}") as store:
        assert store.get_or_create_session(None).id
    assert (tmp_path / "a" / "b" / "rc.sqlite3").exists()


# -- sessions ---------------------------------------------------------------------------------------


def test_session_round_trip(store: Store) -> None:
    created = store.get_or_create_session(None)
    assert re.fullmatch(r"s_[A-Za-z0-9_-]{16}", created.id)
    assert created.channel == "web" and created.profile == {} and created.state == {}
    assert created.created_at.tzinfo is not None and created.created_at.utcoffset() == timedelta(0)

    store.save_profile(created.id, Profile(track="低空经济", stage="seed", needs=["场地", "资金"]))
    store.save_state(created.id, {"last_topic": "补贴", "low_confidence_streak": 2})
    again = store.get_or_create_session(created.id)
    assert again.id == created.id
    assert Profile(**again.profile) == Profile(track="低空经济", stage="seed", needs=["场地", "资金"])
    assert again.state == {"last_topic": "补贴", "low_confidence_streak": 2}
    assert again.updated_at >= created.updated_at


def test_record_answer_writes_message_profile_and_state_together(store: Store) -> None:
    sess = store.get_or_create_session(None)
    store.add_message(sess.id, "founder", "算力券怎么申请？")
    msg = store.record_answer(
        sess.id,
        "先在平台注册。[1]",
        {"intent": "policy"},
        profile=Profile(track="人工智能"),
        state={"topics": ["算力券"]},
    )
    assert (msg.role, msg.text, msg.payload) == ("assistant", "先在平台注册。[1]", {"intent": "policy"})
    again = store.get_session(sess.id)
    assert again is not None and again.state == {"topics": ["算力券"]}
    assert Profile(**again.profile).track == "人工智能"
    assert [m.role for m in store.messages(sess.id)] == ["founder", "assistant"]
    with pytest.raises(NotFound):
        store.record_answer("s_nope", "x", None, profile={}, state={})
    assert store.get_session("s_nope") is None


def test_unknown_session_id_gets_a_fresh_session(store: Store) -> None:
    fresh = store.get_or_create_session("s_madeupbyclient00")
    assert fresh.id != "s_madeupbyclient00"
    assert store.get_session("s_madeupbyclient00") is None


def test_known_session_keeps_its_channel(store: Store) -> None:
    telegram = store.session_for_external("telegram", 4242)
    assert store.get_or_create_session(telegram.id) == telegram  # e.g. the 转人工 button path
    other_chat = store.get_or_create_session(telegram.id, channel="telegram", external_id=5353)
    assert other_chat.id != telegram.id and other_chat.external_id == "5353"


def test_session_for_external_is_stable(store: Store) -> None:
    first = store.session_for_external("telegram", 4242)
    assert store.session_for_external("telegram", "4242").id == first.id
    assert store.get_or_create_session(None, channel="telegram", external_id=4242).id == first.id
    assert store.session_for_external("cli", 4242).id != first.id
    assert first.external_id == "4242"


def test_session_for_external_under_concurrency(db_url: str, store: Store) -> None:
    stores = [Store(db_url) for _ in range(4)]
    try:
        results = _in_threads(4, lambda i: stores[i].session_for_external("telegram", 777))
    finally:
        for s in stores:
            s.close()
    assert len({r.id for r in results}) == 1, results


def test_saving_to_an_unknown_session_raises(store: Store) -> None:
    with pytest.raises(NotFound):
        store.save_profile("s_nope", {})
    with pytest.raises(NotFound):
        store.add_message("s_nope", "founder", "你好")


# -- messages ---------------------------------------------------------------------------------------


def test_messages_round_trip_and_after_polling(store: Store) -> None:
    session = store.get_or_create_session(None)
    first = store.add_message(session.id, "founder", "首次创业有什么补贴？")
    reply = {"session_id": session.id, "answer": "可以申请…[1]", "citations": [], "intent": "policy_question"}
    second = store.add_message(session.id, "assistant", "可以申请…[1]", payload=reply)
    assert second.id > first.id
    assert first.payload is None and first.delivery is None and first.delivery_attempts == 0

    listed = store.messages(session.id)
    assert [m.text for m in listed] == ["首次创业有什么补贴？", "可以申请…[1]"]
    assert listed[1].payload == reply
    assert store.messages(session.id, after_id=first.id) == [listed[1]]
    assert store.messages(session.id, after_id=second.id) == []
    assert len(store.messages(session.id, limit=1)) == 1


def test_message_ids_keep_increasing_under_concurrent_writers(db_url: str, store: Store) -> None:
    session = store.get_or_create_session(None)
    stores = [Store(db_url) for _ in range(4)]
    try:
        results = _in_threads(
            4, lambda i: [stores[i].add_message(session.id, "founder", f"{i}-{k}") for k in range(10)]
        )
    finally:
        for s in stores:
            s.close()
    assert not [r for r in results if isinstance(r, Exception)], results
    ids = [m.id for m in store.messages(session.id)]
    assert len(ids) == 40 and ids == sorted(set(ids))


def test_message_ids_are_not_reused_after_delete(store: Store) -> None:
    doomed = store.get_or_create_session(None)
    last = store.add_message(doomed.id, "founder", "删掉我")
    store.delete_session(doomed.id)
    other = store.get_or_create_session(None)
    assert store.add_message(other.id, "founder", "下一条").id > last.id


def test_the_store_keeps_real_text_and_masking_is_for_output(store: Store) -> None:
    session = store.get_or_create_session(None)
    store.add_message(session.id, "founder", "我的电话是13812345678")
    [stored] = store.messages(session.id)
    assert stored.text == "我的电话是13812345678"
    assert mask_pii(stored.text) == "我的电话是138****5678"


def test_invalid_role_is_rejected(store: Store) -> None:
    session = store.get_or_create_session(None)
    with pytest.raises(ValueError):
        store.add_message(session.id, "robot", "hi")


# -- handoffs ---------------------------------------------------------------------------------------


def test_create_handoff_copies_the_conversation(store: Store) -> None:
    session = store.get_or_create_session(None)
    store.add_message(session.id, "founder", "我要投诉")
    store.save_profile(session.id, {"track": "生物医药"})
    handoff = store.create_handoff(
        session.id,
        "complaint",
        "创业者投诉补贴迟迟未到账",
        profile={"track": "生物医药"},
        transcript=None,
        citations=[{"n": 1, "doc_id": "policy-1"}],
        center=CENTER,
        priority=1,
    )
    assert re.fullmatch(r"h_[A-Za-z0-9_-]{12}", handoff.id)
    assert handoff.status == "open" and handoff.priority == 1 and handoff.reason == "complaint"
    assert [t["text"] for t in handoff.transcript] == ["我要投诉"]
    assert handoff.center == CENTER and handoff.citations == [{"n": 1, "doc_id": "policy-1"}]
    assert handoff.as_reply_handoff().model_dump()["center"]["name"] == "高新区创业服务中心"
    assert store.get_handoff(handoff.id) == handoff
    assert store.get_handoff("h_missing") is None


def test_every_handoff_gets_a_short_number_to_say_on_the_phone(store: Store) -> None:
    tickets = [_handoff(store) for _ in range(25)]
    numbers = [t.number for t in tickets]
    assert all(n and re.fullmatch(r"[1-9]\d{5}", n) for n in numbers), numbers
    assert len(set(numbers)) == len(numbers)
    t = tickets[7]
    assert t.as_reply_handoff().number == t.number
    assert t.id in {x.id for x in store.find_handoffs(t.number[:3])}
    assert [x.id for x in store.find_handoffs(f"#{t.number[:3]} {t.number[3:]}")] == [t.id]
    assert [x.id for x in store.find_handoffs(t.id)] == [t.id]  # the internal id works too
    assert store.find_handoffs("000000") == [] and store.find_handoffs("abc") == []


def test_a_number_another_worker_just_took_is_drawn_again(store: Store, monkeypatch) -> None:
    from assistant.store import console

    taken = _handoff(store).number
    draws = iter([taken])
    real = console._free_number
    # The first draw passes the check but collides at insert, as when two workers draw at once.
    monkeypatch.setattr(console, "_free_number", lambda s: next(draws, None) or real(s))
    fresh = _handoff(store)
    assert fresh.number and fresh.number != taken
    assert store.get_handoff(fresh.id).number == fresh.number


def test_tickets_from_before_numbers_get_one_on_upgrade(db_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from assistant.store.store import MIGRATIONS

    with Store(db_url) as store:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        session = store.get_or_create_session(None)
        now = datetime.now(UTC)
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO handoffs (id, session_id, reason, status, priority, summary, profile,"
                    " transcript, citations, created_at) VALUES ('h_old', :s, 'user_request', 'open', 2,"
                    " '旧工单', '{}', '[]', '[]', :t)"
                ).bindparams(bindparam("t", type_=UTCDateTime())),
                {"s": session.id, "t": now},
            )
        store.migrate()
        old = store.get_handoff("h_old")
        assert old is not None and old.number and re.fullmatch(r"[1-9]\d{5}", old.number)


def test_one_open_handoff_per_session(store: Store, staff: tuple[int, int, int]) -> None:
    alice, _, _ = staff
    first = _handoff(store)
    again = store.create_handoff(first.session_id, "complaint", "又一次", center=CENTER, priority=1)
    assert again.id == first.id and again.reason == "user_request"
    assert store.open_handoff_for_session(first.session_id) == first

    store.claim_handoff(first.id, alice)
    assert store.create_handoff(first.session_id, "sensitive", "再次").id == first.id
    store.resolve_handoff(first.id, alice, "已电话回复")
    assert store.open_handoff_for_session(first.session_id) is None
    new = store.create_handoff(first.session_id, "sensitive", "新问题", center=CENTER)
    assert new.id != first.id and new.status == "open"


def test_list_handoffs_filters_and_order(store: Store, staff: tuple[int, int, int]) -> None:
    alice, _, _ = staff
    low = _handoff(store, priority=3)
    high_old = _handoff(store, priority=1, reason="complaint")
    high_new = _handoff(store, priority=1)
    other_center = _handoff(store, center={"id": "tianfu", "name": "天府新区", "contact": "028-1"})
    _age(store, "handoffs", "created_at", high_old.id, minutes=90)

    assert [h.id for h in store.list_handoffs()] == [high_old.id, high_new.id, other_center.id, low.id]
    assert [h.id for h in store.list_handoffs(center_id="tianfu")] == [other_center.id]
    assert [h.id for h in store.list_handoffs(reason="complaint")] == [high_old.id]
    assert [h.id for h in store.list_handoffs(older_than_minutes=60)] == [high_old.id]
    assert len(store.list_handoffs(limit=2)) == 2

    store.claim_handoff(low.id, alice)
    assert [h.id for h in store.list_handoffs(status="claimed")] == [low.id]
    assert low.id not in {h.id for h in store.list_handoffs(status="open")}
    assert len(store.list_handoffs(status=["open", "claimed"])) == 4


def test_concurrent_claim_exactly_one_wins(db_url: str, store: Store, staff: tuple[int, int, int]) -> None:
    alice, bob, _ = staff
    workers = [Store(db_url), Store(db_url)]  # two web workers
    try:
        for _ in range(20):
            handoff = _handoff(store)
            results = _in_threads(2, lambda i, h=handoff: workers[i].claim_handoff(h.id, (alice, bob)[i]))
            won = [r for r in results if isinstance(r, HandoffInfo)]
            lost = [r for r in results if isinstance(r, ClaimConflict)]
            assert len(won) == 1 and len(lost) == 1, results
            assert store.get_handoff(handoff.id).claimed_by == won[0].claimed_by  # type: ignore[union-attr]
            assert lost[0].claimed_by == won[0].claimed_by
    finally:
        for w in workers:
            w.close()


def test_claim_rules(store: Store, staff: tuple[int, int, int]) -> None:
    alice, bob, _ = staff
    handoff = _handoff(store)
    claimed = store.claim_handoff(handoff.id, alice)
    assert claimed.status == "claimed" and claimed.claimed_by == alice and claimed.claimed_at is not None
    assert store.claim_handoff(handoff.id, alice).claimed_by == alice  # re-claiming your own is fine
    with pytest.raises(ClaimConflict) as conflict:
        store.claim_handoff(handoff.id, bob)
    assert "已被其他工作人员" in str(conflict.value)
    with pytest.raises(NotFound):
        store.claim_handoff("h_missing", alice)
    with pytest.raises(NotFound):
        store.claim_handoff(_handoff(store).id, 99999)
    store.resolve_handoff(handoff.id, alice, "已解决")
    with pytest.raises(ClaimConflict):
        store.claim_handoff(handoff.id, bob)


def test_resolve_permissions(store: Store, staff: tuple[int, int, int]) -> None:
    alice, bob, admin = staff
    handoff = _handoff(store)
    with pytest.raises(Forbidden):
        store.resolve_handoff(handoff.id, alice, "还没认领")
    store.claim_handoff(handoff.id, alice)
    with pytest.raises(Forbidden):
        store.resolve_handoff(handoff.id, bob, "不是我的")
    done = store.resolve_handoff(handoff.id, alice, "已电话联系，材料齐全")
    assert done.status == "resolved" and done.outcome == "已电话联系，材料齐全" and done.resolved_by == alice
    assert done.resolved_at is not None and done.resolved_at.tzinfo is not None
    with pytest.raises(ClaimConflict):
        store.resolve_handoff(handoff.id, admin, "再结一次")

    by_admin = _handoff(store)
    store.claim_handoff(by_admin.id, bob)
    assert store.resolve_handoff(by_admin.id, admin, "管理员关闭").resolved_by == admin
    unclaimed = store.resolve_handoff(_handoff(store).id, admin, "重复工单")
    assert unclaimed.status == "resolved" and unclaimed.claimed_by == admin


def test_notes_stay_internal(store: Store, staff: tuple[int, int, int]) -> None:
    alice, bob, _ = staff
    handoff = _handoff(store)
    store.add_note(handoff.id, alice, "创业者情绪激动，先安抚")
    store.add_note(handoff.id, bob, "已联系税务")
    assert [(n.staff_id, n.text) for n in store.notes(handoff.id)] == [
        (alice, "创业者情绪激动，先安抚"),
        (bob, "已联系税务"),
    ]
    assert store.messages(handoff.session_id) == []
    with pytest.raises(NotFound):
        store.add_note("h_missing", alice, "x")


def test_staff_reply(store: Store, staff: tuple[int, int, int]) -> None:
    alice, bob, admin = staff
    web = _handoff(store)
    with pytest.raises(Forbidden):
        store.staff_reply(web.id, alice, "还没认领")
    store.claim_handoff(web.id, alice)
    with pytest.raises(Forbidden):
        store.staff_reply(web.id, bob, "不是我的")
    msg = store.staff_reply(web.id, alice, "您好，我是高新区服务中心的王老师。")
    assert msg.role == "staff" and msg.session_id == web.session_id and msg.delivery is None
    assert msg.payload == {"staff_id": alice, "staff_name": "王老师", "handoff_id": web.id}
    assert store.messages(web.session_id)[-1] == msg
    assert store.staff_reply(web.id, admin, "管理员补充").role == "staff"

    tg = _handoff(store, channel="telegram")
    store.claim_handoff(tg.id, bob)
    assert store.staff_reply(tg.id, bob, "您好").delivery == "pending"
    assert store.staff_reply(tg.id, bob, "仅存档", channel_delivery="delivered").delivery == "delivered"


def test_pending_deliveries_lifecycle(store: Store, staff: tuple[int, int, int]) -> None:
    _, bob, _ = staff
    tg = _handoff(store, channel="telegram")
    store.claim_handoff(tg.id, bob)
    first = store.staff_reply(tg.id, bob, "第一条")
    second = store.staff_reply(tg.id, bob, "第二条")
    web = _handoff(store)
    store.claim_handoff(web.id, bob)
    store.staff_reply(web.id, bob, "网页消息不需要推送")

    pending = store.pending_deliveries("telegram")
    assert [(m.id, s.id) for m, s in pending] == [(first.id, tg.session_id), (second.id, tg.session_id)]
    assert pending[0][1].channel == "telegram"
    assert store.pending_deliveries("web") == []

    retry = store.mark_delivery(first.id, ok=False, error="timeout")
    assert retry.delivery == "pending" and retry.delivery_attempts == 1 and retry.delivery_error == "timeout"
    done = store.mark_delivery(first.id, ok=True)
    assert done.delivery == "delivered" and done.delivery_attempts == 2 and done.delivery_error is None
    dead = store.mark_delivery(second.id, ok=False, error="Forbidden: bot was blocked", max_attempts=1)
    assert dead.delivery == "failed"
    assert store.pending_deliveries("telegram") == []
    with pytest.raises(NotFound):
        store.mark_delivery(10**9, ok=True)


# -- staff, curated answers, processed updates ------------------------------------------------------


def test_staff_accounts(store: Store) -> None:
    alice = store.add_staff("alice", "$argon2id$v=19$...", display_name="王老师")
    assert alice.display_name == "王老师" and not alice.is_admin
    assert "argon2" not in repr(alice)  # hashes stay out of logs
    assert store.get_staff_by_username("alice") == alice
    assert store.get_staff(alice.id) == alice
    assert store.get_staff_by_username("nobody") is None and store.get_staff(99999) is None
    admin = store.add_staff("root", "h", is_admin=True)
    assert admin.is_admin and admin.display_name == "root"
    assert [s.username for s in store.list_staff()] == ["alice", "root"]
    with pytest.raises(Duplicate, match="用户名「alice」已存在") as dup:
        store.add_staff("alice", "other")
    assert isinstance(dup.value, StoreError)
    with pytest.raises(StoreError):
        store.add_staff("  ", "h")


def test_curated_answers(store: Store, staff: tuple[int, int, int]) -> None:
    alice, _, _ = staff
    handoff = _handoff(store)
    added = store.add_curated(
        "大学生创业补贴怎么申请？", "到区创业服务中心提交…", "高新区创业服务中心", alice, handoff.id
    )
    plain = store.add_curated("问", "答", question_key="问")
    assert store.curated_answers() == [plain, added]  # newest first
    assert added.staff_id == alice and added.handoff_id == handoff.id and plain.center_name is None
    assert added.status == "draft" and store.approved_by_key("问") is None  # a draft is never served
    with pytest.raises(NotFound):
        store.add_curated("问", "答", handoff_id="h_missing")


def test_curated_review_lifecycle(store: Store, staff: tuple[int, int, int]) -> None:
    alice, bob, _ = staff
    item = store.add_curated("问", "答", staff_id=alice, question_key="问", author_name="Alice")
    assert len(store.corrections_since(alice, utcnow() - timedelta(hours=1))) == 1
    before = store.curated_version()
    approved = store.review_curated(item.id, "approved", bob, "Bob", vector=[0.5, 0.5])
    assert store.curated_version() != before
    assert approved.reviewed_by == bob and approved.reviewer_name == "Bob" and approved.reviewed_at
    assert store.approved_by_key("问") == approved and store.approved_vectors() == [(item.id, [0.5, 0.5])]
    edited = store.edit_curated(item.id, "新问", "新答", "新问")
    assert edited.status == "draft" and edited.vector is None and store.approved_by_key("新问") is None
    store.review_curated(item.id, "disabled", bob, "Bob")
    assert store.approved_vectors() == [] and store.curated_answers("disabled")[0].id == item.id
    with pytest.raises(ValueError):
        store.review_curated(item.id, "published", bob, "Bob")
    assert store.delete_curated(item.id) is True and store.get_curated(item.id) is None
    assert store.delete_curated(item.id) is False


def test_staff_disable_reset_remove_and_centers(store: Store, staff: tuple[int, int, int]) -> None:
    alice, _, _ = staff
    assert store.set_staff_disabled(alice, True).disabled is True
    again = store.set_staff_disabled(alice, False)
    assert again.disabled is False and again.credentials_changed_at is not None
    assert store.set_staff_password(alice, "new-hash").password_hash == "new-hash"
    scoped = store.set_staff_centers(alice, ["gaoxin", "gaoxin", " "], own_only=True)
    assert scoped.own_centers_only and store.staff_centers(alice) == ["gaoxin"]
    ticket = _handoff(store)
    assert store.list_handoffs(center_ids=["gaoxin"]) == [ticket]
    assert store.list_handoffs(center_ids=["elsewhere"]) == []
    assert store.remove_staff(alice) is True and store.get_staff(alice) is None
    assert store.remove_staff(alice) is False


def test_processed_updates_dedupe(db_url: str, store: Store) -> None:
    assert store.mark_update_processed(1001) is True
    assert store.mark_update_processed(1001) is False
    assert store.mark_update_processed(1002) is True
    stores = [Store(db_url) for _ in range(4)]
    try:
        results = _in_threads(4, lambda i: stores[i].mark_update_processed(2**40))
    finally:
        for s in stores:
            s.close()
    assert sorted(results) == [False, False, False, True]


# -- deletion and retention (PIPL) ------------------------------------------------------------------


def test_delete_session_removes_everything(store: Store, staff: tuple[int, int, int]) -> None:
    alice, _, _ = staff
    handoff = _handoff(store)
    store.add_message(handoff.session_id, "founder", "我的身份证是510107199003071236")
    store.add_note(handoff.id, alice, "备注")
    curated = store.add_curated("我的电话13812345678", "答", handoff_id=handoff.id)
    store.review_curated(curated.id, "approved", alice, "Alice")
    draft = store.add_curated("草稿", "答", handoff_id=handoff.id)
    kept = _handoff(store)

    assert store.delete_session(handoff.session_id) is True
    assert store.get_session(handoff.session_id) is None
    assert store.messages(handoff.session_id) == []
    assert store.get_handoff(handoff.id) is None
    assert store.notes(handoff.id) == []
    [left] = store.curated_answers()
    assert left.id == curated.id and left.handoff_id is None and "13812345678" not in left.question
    assert store.get_curated(draft.id) is None  # a draft from the deleted conversation goes with it
    assert store.get_handoff(kept.id) is not None
    assert store.delete_session(handoff.session_id) is False


def test_purge_removes_idle_sessions_with_their_messages(store: Store) -> None:
    idle = store.get_or_create_session(None)
    store.add_message(idle.id, "founder", "很久以前")
    store.create_handoff(idle.id, "user_request", "旧工单", center=CENTER)
    active = store.get_or_create_session(None)
    store.add_message(active.id, "founder", "刚刚")
    _age(store, "sessions", "updated_at", idle.id, days=31)

    assert store.purge(older_than_days=30) == 1
    assert store.get_session(idle.id) is None and store.messages(idle.id) == []
    assert store.open_handoff_for_session(idle.id) is None
    assert [m.text for m in store.messages(active.id)] == ["刚刚"]
    assert store.purge(older_than_days=30) == 0


def test_records_are_detached_and_frozen(store: Store) -> None:
    session = store.get_or_create_session(None)
    with pytest.raises(AttributeError):
        session.channel = "cli"  # type: ignore[misc]
    assert isinstance(session.updated_at, datetime)


def _head() -> str:
    """The newest revision, whatever its id (the lead re-chains revisions at merge)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head() or ""
