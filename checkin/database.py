"""How we talk to the database: SQLite tuning, and one way to run a write transaction."""

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from .extensions import db

_immediate: ContextVar[bool] = ContextVar("immediate", default=False)
_thread_lock = threading.Lock()
_lock_files: dict[tuple[int, str], object] = {}
_POLL = 0.001  # seconds between tries of a write lock another process holds


class WriteBusy(Exception):
    """The write lock was not free within DATABASE_WRITE_WAIT; nothing was written."""


def engine_options(config) -> dict:
    """Pre-ping pooled connections (they survive a database restart); PostgreSQL timeouts."""
    options = {"pool_pre_ping": True}
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql":
        lock_ms = int(config["DATABASE_LOCK_TIMEOUT"] * 1000)
        statement_ms = int(config["DATABASE_STATEMENT_TIMEOUT"] * 1000)
        options["connect_args"] = {
            "options": f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}"
        }
    return options


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
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in the file
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Reads use a deferred BEGIN (readers never block in WAL mode); writes take the
        # write lock up front so they never fail half-way with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def forget_deleted() -> None:
    """SQLite: copy the write-ahead log into the database and empty it, so rows just deleted
    (zeroed there by secure_delete) leave no older copy in the -wal file. Best effort: a reader
    still in an old snapshot keeps the log until a later checkpoint. Others: nothing to do."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


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
    # SQLite's busy handler polls with growing sleeps (up to 100 ms), which makes a long tail
    # under load. Here a thread lock wakes the next thread at once and other processes try the
    # file lock every millisecond, up to DATABASE_WRITE_WAIT: then WriteBusy (a 503), not a hang.
    lock_file = _lock_file(engine.url.database)
    deadline = time.monotonic() + current_app.config.get("DATABASE_WRITE_WAIT", 10)
    if not _thread_lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
        raise WriteBusy
    try:
        _lock_before(lock_file, deadline)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    finally:
        _thread_lock.release()


def _lock_before(lock_file, deadline: float) -> None:
    """Take the file lock, trying every millisecond, or raise WriteBusy at the deadline."""
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriteBusy from None
            time.sleep(_POLL)


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
