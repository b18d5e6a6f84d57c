"""Alembic environment, shared by `alembic upgrade` (developers) and `tracker.storage.db.upgrade`."""

from alembic import context

from tracker.storage.schema import metadata

config = context.config
target_metadata = metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from tracker.config import db_url
    from tracker.storage.db import make_engine, write_options

    engine = make_engine(config.get_main_option("sqlalchemy.url") or db_url(None))
    with engine.connect() as conn, conn.execution_options(**write_options(engine)).begin():
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: run the upgrade against a database")
run_migrations_online()
