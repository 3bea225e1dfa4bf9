"""gunicorn settings read from the project root (the Procfile's web process, bench/door.py)."""

import gc


def post_worker_init(worker):
    """Freeze what the app built at start-up, so garbage collection stops walking it.

    Unfrozen, a full collection walked the whole framework every few seconds (40-90 ms each);
    a worker paused that way inside the SQLite write lock stalled every other worker, which
    was most of the door API's p99 at 32 clients (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()

# Which proxy may say the request came over https is the app's decision (TRUSTED_PROXIES, through
# Werkzeug's ProxyFix), not gunicorn's: by default gunicorn believes X-Forwarded-Proto from any
# process on 127.0.0.1.
forwarded_allow_ips = ""
