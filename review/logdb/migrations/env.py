"""Alembic environment: migrates the connection handed over by review.logdb."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from review.logdb.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Migrate the given connection, or a sync URL when run from the CLI."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "use `python -m review.logdb migrate` (or set sqlalchemy.url)"
        )
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


main()
