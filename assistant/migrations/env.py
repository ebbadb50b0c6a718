"""Alembic environment. `Store.migrate()` passes its own connection (already in a transaction)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from assistant.store.engine import make_engine
from assistant.store.models import Base

# Any constant shared by every worker: PostgreSQL serialises concurrent migrations on it.
MIGRATION_LOCK = 0x52435354  # "RCST"


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # kb_* tables belong to knowledge's index manifest (scale-out mode), which creates its own.
    return not (type_ == "table" and name is not None and name.startswith("kb_"))


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=_ours,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table rebuilds for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    # Plain `alembic` command line (e.g. autogenerate): build an engine from the configured URL.
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run Store.migrate().")
run_online()
