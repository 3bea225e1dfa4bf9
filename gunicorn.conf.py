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
