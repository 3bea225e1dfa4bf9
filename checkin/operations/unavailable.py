"""503 with Retry-After when the database is too busy to answer in time, instead of a hang."""

from flask import Flask, render_template, request
from psycopg import errors as pg
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import ServiceUnavailable

from ..database import WriteBusy

RETRY_AFTER = "5"  # seconds; a door phone queues the scan and sends it again by itself


def init_app(app: Flask) -> None:
    """Answer 503 for a write that waited too long, and for PostgreSQL's lock/statement timeouts."""
    app.register_error_handler(WriteBusy, _busy)
    app.register_error_handler(OperationalError, _busy_or_broken)


def is_busy(error: OperationalError) -> bool:
    """A timeout of waiting (a lock, a statement, SQLite's busy handler), not a broken query."""
    if isinstance(error.orig, pg.LockNotAvailable | pg.QueryCanceled):
        return True
    return "database is locked" in str(error.orig)


def _busy_or_broken(error: OperationalError):
    if not is_busy(error):
        raise error  # a real fault: the usual 500
    return _busy(error)


def _busy(_error):
    message = "The database is busy; nothing was saved. Try again in a few seconds."
    if request.path.startswith("/api/"):
        response = {"error": message}, 503
    else:
        page = render_template("error.html", error=ServiceUnavailable(message), code=503)
        response = page, 503
    return (*response, {"Retry-After": RETRY_AFTER})
