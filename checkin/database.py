"""How we talk to the database: SQLite tuning, and one way to run a write transaction."""

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("immediate", default=False)
_thread_lock = threading.Lock()
_lock_files: dict[tuple[int, str], object] = {}


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
def writing() -> Iterator[Connection]:
    """Run the block as one write transaction of the ORM session: commit, or roll back."""
    session = db.session()
    if session.in_transaction():
        session.commit()  # end any read transaction so the write one starts fresh
    with _serialized(db.engine):
        token = _immediate.set(True)
        try:
            connection = session.connection()  # BEGIN (IMMEDIATE on SQLite) happens here
            yield connection
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _immediate.reset(token)


@contextmanager
def writing_rows() -> Iterator[Connection]:
    """The same write transaction on a plain connection, for Core statements on hot paths.

    It skips the ORM session's bookkeeping (about a tenth of a check-in's CPU time), so
    the block must not use db.session.
    """
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()  # a stale read snapshot must not outlive this write
    # Check the connection out of the pool (and back in) outside the lock: less time holding it.
    with db.engine.connect() as connection, _serialized(db.engine):
        token = _immediate.set(True)
        try:
            with connection.begin():  # commits, or rolls back on error
                yield connection
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
    """One open lock file per database per process, opened in that process.

    flock() locks belong to an open file description, which a fork shares: a lock file opened
    before gunicorn forks its workers would let them all in at once, so the key has the pid.
    """
    key = (os.getpid(), database)
    lock_file = _lock_files.get(key)
    if lock_file is None:
        lock_file = open(Path(database).with_suffix(".writelock"), "a")  # noqa: SIM115
        _lock_files[key] = lock_file
    return lock_file
