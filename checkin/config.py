"""Settings read from the environment, with defaults that work on a fresh machine."""

import os
import secrets
import sys
from pathlib import Path

INSTANCE_DIR = Path(
    os.environ.get("CHECKIN_INSTANCE", Path(__file__).resolve().parent.parent / "instance")
)


def _secret_key() -> str:
    """SECRET_KEY from the environment; over plain http, one generated once under instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if os.environ.get("BASE_URL", "").startswith("https://"):
        refuse_to_start(
            "SECRET_KEY is not set. With an https:// BASE_URL (production) it must come from "
            "the environment: it derives every ticket code and link (README: Backups)."
        )
    # Ticket codes are derived from this key, so it must survive restarts: keep it on disk.
    return _kept_key(INSTANCE_DIR / "secret_key")


def _kept_key(path: Path) -> str:
    """The key in path, written once with owner-only permissions; racing starts agree on one."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)  # appears whole, or not at all if another process won
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def require_secret_key() -> None:
    """Stop here, with one line on stderr, when production has no SECRET_KEY."""
    _secret_key()


def refuse_to_start(message: str) -> None:
    """One line on stderr and exit status 4 (gunicorn then halts: "App failed to load")."""
    print(f"checkin: {message}", file=sys.stderr, flush=True)
    raise SystemExit(4)


class Config:
    """Production-shaped defaults; every value can come from the environment."""

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = _database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'checkin.sqlite'}"
        )
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.INSTANCE_DIR = INSTANCE_DIR
        self.SMTP_URL = os.environ.get("SMTP_URL", "")  # unset: mail is written to instance/mail/
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "checkin <no-reply@localhost>")
        self.MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO", "")
        self.HUEY_IMMEDIATE = os.environ.get("HUEY_IMMEDIATE", "") in ("1", "true", "yes")
        # Rate limits are counted where every worker and machine sees the same count.
        self.RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
        # Seconds between tries of a digest the mail server refused for now (4xx, no server),
        # e.g. "60,300,900"; after the last, it fails.
        self.DIGEST_RETRY_DELAYS = tuple(
            int(s)
            for s in os.environ.get("DIGEST_RETRY_DELAYS", "60,300,900,3600,10800,21600").split(",")
        )
        # How many proxies in front may set X-Forwarded-*: 0 trusts none, 1 behind Caddy.
        self.TRUSTED_PROXIES = _proxy_count(os.environ.get("TRUSTED_PROXIES", "0"))
        # Days a personal link keeps signing in after the event's digest (or after it was made,
        # when that is later: a link sent again lives as long from then).
        self.PERSONAL_LINK_DAYS = int(os.environ.get("PERSONAL_LINK_DAYS", "30"))

        # How long a write waits for SQLite's write lock, and PostgreSQL's limits, in seconds;
        # past them the request answers 503 with Retry-After (a door phone then queues the scan).
        self.DATABASE_WRITE_WAIT = float(os.environ.get("DATABASE_WRITE_WAIT", "10"))
        self.DATABASE_LOCK_TIMEOUT = float(os.environ.get("DATABASE_LOCK_TIMEOUT", "5"))
        self.DATABASE_STATEMENT_TIMEOUT = float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "30"))

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a door phone stays open all evening
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # guest lists of 100,000 rows fit; bigger uploads get 413
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a 429
    RATELIMIT_KEY_PREFIX = "checkin"
    # Redis gone: count in this process's memory until it is back, and never fail a request.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    REGISTRATION_MIN_SECONDS = 3  # a registration form sent back sooner is refused (spam.py)
    DOOR_PASS_HOURS = 24


class TestConfig(Config):
    """Settings for the test suite: a throwaway database, a fixed key, no rate limits."""

    TESTING = True
    RATELIMIT_ENABLED = False

    def __init__(self, database_url: str, instance_dir: Path) -> None:
        super().__init__()
        self.SECRET_KEY = "test-secret-key-not-for-production-0123456789"
        self.SQLALCHEMY_DATABASE_URI = _database_url(database_url)
        self.INSTANCE_DIR = instance_dir
        self.BASE_URL = "http://127.0.0.1:5000"
        self.SMTP_URL = ""
        self.HUEY_IMMEDIATE = True  # tasks run at once, in the request
        self.RATELIMIT_STORAGE_URI = "memory://"


def _proxy_count(text: str) -> int:
    """TRUSTED_PROXIES as a count of proxies, or one line saying what is wrong."""
    if not text.strip().isdigit():
        refuse_to_start(f"TRUSTED_PROXIES must be a number of proxies (0, 1, 2...), not {text!r}")
    return int(text)


def _database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
