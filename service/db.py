"""Database engine and sessions. One engine per process, built from settings.

Database errors never carry the values of the row: engines hide bound parameters, and the
driver's DETAIL and CONTEXT lines (PostgreSQL's "Key (...)=(...)", "Failing row contains (...)")
and a quoted input value are cut from the error's message before anyone can log it, since rows
hold customers' names, subjects and excerpts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, delete, event, select
from sqlalchemy.dialects.postgresql import Insert as PostgresqlInsert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

# Lines of a PostgreSQL error that quote the data: the offending row or key, the parameter.
_VALUE_LINES = re.compile(r"^\s*(DETAIL|CONTEXT):.*$\n?", re.MULTILINE)
# 'invalid input syntax for type integer: "<the value>"' ends its first line with the value.
_QUOTED_VALUE = re.compile(r'(: )"[^"\n]*"$', re.MULTILINE)
HIDDEN = "[value hidden]"


def without_values(message: str) -> str:
    """A database error's message without the values it quotes."""
    return _QUOTED_VALUE.sub(rf"\1{HIDDEN}", _VALUE_LINES.sub("", message)).rstrip("\n")


def _hide_values(context: ExceptionContext) -> None:
    """Redact both the driver's exception and SQLAlchemy's wrapper (its message copies the
    driver's), so neither a log line nor a traceback's chained exception shows row values."""
    for exc in (context.original_exception, context.sqlalchemy_exception):
        if exc is not None and exc.args and isinstance(exc.args[0], str):
            exc.args = (without_values(exc.args[0]), *exc.args[1:])


def make_engine(database_url: str) -> Engine:
    engine = _make_engine(database_url)
    event.listen(engine, "handle_error", _hide_values)
    return engine


def _make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            database_url,
            hide_parameters=True,
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers never block the one writer
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _begin_before_savepoint(connection, _name):
            # Python's sqlite3 (3.11) opens a transaction only before a write statement, so a
            # SAVEPOINT issued before any write would start the transaction itself and its
            # RELEASE would commit it, half a unit of work. Begin first; IMMEDIATE, since a
            # savepoint here always guards a write: the write lock is taken now, waiting out the
            # busy timeout, instead of failing on a stale snapshot at the first write.
            driver = connection.connection.driver_connection
            if not driver.in_transaction:
                driver.execute("BEGIN IMMEDIATE")

        return engine
    return create_engine(database_url, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """Engine plus a session factory; ``transaction()`` commits or rolls back as a unit."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = make_engine(database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def one_statement(self) -> Iterator[Session]:
        """A session for a writer whose work is one statement and who waits on its commit (the
        webhook's insert): on PostgreSQL the statement commits on its own (autocommit), which
        saves the BEGIN and COMMIT round trips; on SQLite ``transaction()``, cheaper there."""
        if self.is_sqlite:
            with self.transaction() as session:
                yield session
            return
        with Session(self._autocommit) as session:
            yield session

    @functools.cached_property
    def _autocommit(self) -> Engine:
        return self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def dispose(self) -> None:
        self.engine.dispose()


def insert_into(session: Session, target) -> PostgresqlInsert | SqliteInsert:
    """An INSERT into ``target`` (a model or its table) in the session's own dialect, so that
    it can say ``on_conflict_do_nothing()`` (both databases have it, with ``RETURNING``)."""
    return dialect_insert(session.get_bind().dialect.name, target)


def dialect_insert(dialect: str, target) -> PostgresqlInsert | SqliteInsert:
    """``insert_into`` by the dialect's name, for a statement built once per dialect."""
    return postgresql_insert(target) if dialect == "postgresql" else sqlite_insert(target)


def delete_in_batches(db: Database, model, key, condition, *, batch_size: int, max_batches: int) -> int:
    """Delete ``model`` rows matching ``condition``, at most ``batch_size`` (by ``key``) per short
    transaction and ``max_batches`` per call, so nobody waits long; the rest go on the next call."""
    total = 0
    for _ in range(max_batches):
        with db.transaction() as session:
            keys = list(session.scalars(select(key).where(condition).order_by(key).limit(batch_size)))
            if keys:
                session.execute(delete(model).where(key.in_(keys), condition))
        total += len(keys)
        if len(keys) < batch_size:
            break
    return total
