"""How we talk to the database: SQLite tuning, and one way to run a write transaction."""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("immediate", default=False)
_thread_lock = threading.Lock()
_lock_files: dict[str, object] = {}


def tune(engine: Engine) -> None:
    """Give SQLite WAL, a busy timeout, foreign keys and explicit BEGINs; leave others alone."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Reads use a deferred BEGIN (readers never block in WAL mode); writes take the
        # write lock up front so they never fail half-way with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextmanager
def writing() -> Iterator[None]:
    """Run the block as one write transaction: commit on success, roll back on error."""
    session = db.session
    session.commit()  # end any read transaction so the write one starts fresh
    with _serialized(db.engine):
        token = _immediate.set(True)
        try:
            session.connection()  # BEGIN (IMMEDIATE on SQLite) happens here
            yield
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _immediate.reset(token)


@contextmanager
def _serialized(engine: Engine) -> Iterator[None]:
    """On SQLite, queue writers on a lock instead of letting them sleep in the busy handler."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        yield
        return
    # SQLite's busy handler polls with growing sleeps, which makes a long tail under load.
    # A file lock wakes the next writer (thread or process) as soon as the last one commits.
    lock_file = _lock_file(engine.url.database)
    with _thread_lock:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _lock_file(database: str):
    """One open lock file per database per process (a file opened before a fork is shared)."""
    key = f"{os.getpid()}:{database}"
    if key not in _lock_files:
        _lock_files[key] = open(Path(database).with_suffix(".writelock"), "a")  # noqa: SIM115
    return _lock_files[key]
