"""Whether this node can serve: the database answers and the job queue is reachable."""

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import tasks
from ..extensions import db


def failing_parts() -> list[str]:
    """The parts that do not answer, of "database" and "queue"; empty when all is well."""
    checks = {"database": _database_answers, "queue": _queue_answers}
    return [name for name, answers in checks.items() if not answers()]


def _database_answers() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


def _queue_answers() -> bool:
    try:
        tasks.huey.storage.queue_size()  # a read of the SQLite file or Redis; count unused
    except Exception:  # huey's storages raise their client's own errors (sqlite3, redis)
        return False
    return True
