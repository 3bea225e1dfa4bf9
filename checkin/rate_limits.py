"""Rate limits: views name their rules; each app counts them in its own storage (Redis when set).

A view is marked with `@limited(RULE, ...)`; `init_app` builds one Flask-Limiter per app and
applies the marked rules to that app's views, so two apps in one process (two nodes in a test)
share a count only through their storage, exactly as two machines would.
"""

import logging
import math
import os
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter

log = logging.getLogger("checkin.limits")
EXTENSION = "checkin.limiter"


def client_address() -> str:
    """The client's address: the peer, or the client a trusted proxy named (ProxyFix)."""
    return request.remote_addr or "unknown"


def account() -> str:
    """The account a sign-in names, however it is capitalized and spaced."""
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def account_from_here() -> str:
    """One account tried from one address."""
    return f"{account()}|{client_address()}"


def refused(response) -> bool:
    """A request the view turned down (a wrong password, an invalid form): the ones counted."""
    return response.status_code == 422


@dataclass(frozen=True)
class Rule:
    """One budget: "N per period" (several joined by ";"), shared by every view naming its scope."""

    limits: str
    scope: str
    message: str
    key: Callable[[], str] = client_address
    counts: Callable | None = None  # None: every POST counts; else only responses it accepts


def limited(*rules: Rule):
    """Mark a view with rules; each app applies them when it is built (POSTs only)."""

    def mark(view):
        view.rate_limit_rules = rules
        return view

    return mark


def init_app(app: Flask) -> None:
    """Give this app its own limiter and apply the rules its marked views name."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    limiter = Limiter(key_func=client_address)
    marked = {e: v for e, v in app.view_functions.items() if hasattr(v, "rate_limit_rules")}
    # Only marked views pay for a check: the door API and pages skip the limiter entirely.
    limiter.request_filter(lambda: request.endpoint not in marked)
    limiter.init_app(app)
    for endpoint, view in marked.items():
        for rule in view.rate_limit_rules:
            view = limiter.shared_limit(
                rule.limits,
                scope=rule.scope,
                key_func=rule.key,
                methods=["POST"],
                error_message=rule.message,
                deduct_when=rule.counts,
            )(view)
        app.view_functions[endpoint] = view
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(429, too_many)
    _warn_if_counted_per_process(app)


def too_many(error):
    """The 429 page: what was refused and when to try again (also in Retry-After)."""
    error.description = f"{error.description} Try again {_in(_seconds_left())}."
    return render_template("error.html", error=error, code=429), 429


def _seconds_left() -> int:
    """Seconds until the refused budget has room again."""
    try:
        reset_at = current_app.extensions[EXTENSION].current_limit.reset_at
    except Exception:  # storage gone since the check: a minute is a fair guess
        return 60
    return max(1, int(reset_at - time.time()))  # as Flask-Limiter computes Retry-After


def _in(seconds: int) -> str:
    if seconds < 90:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    return f"in {math.ceil(seconds / 60)} minutes"


def _warn_if_counted_per_process(app: Flask) -> None:
    """In production, counts kept in memory are per worker: say so once at start."""
    production = app.config["BASE_URL"].startswith("https://")
    in_memory = app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    if production and in_memory and gunicorn_workers() > 1:
        log.warning(
            "Rate limits are counted in each of %d workers' memory: set REDIS_URL to share them.",
            gunicorn_workers(),
        )


def gunicorn_workers(argv: list[str] | None = None) -> int:
    """How many gunicorn workers this process is one of (gunicorn's -w/--workers, or 1)."""
    args = [*(sys.argv if argv is None else argv)]
    args += shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))
    workers = os.environ.get("WEB_CONCURRENCY", "1")
    for i, arg in enumerate(args):
        if arg in ("-w", "--workers") and i + 1 < len(args):
            workers = args[i + 1]
        elif arg.startswith("--workers="):
            workers = arg.split("=", 1)[1]
    return int(workers) if workers.isdigit() else 1
