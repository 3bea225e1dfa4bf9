"""The job queue: a SQLite file made on first use (no Redis needed), or Redis with REDIS_URL."""

from huey.storage import RedisStorage

from checkin import tasks


def test_the_queue_is_a_file_made_on_first_use(tmp_path, monkeypatch):
    """Without REDIS_URL the queue is SQLite; making the queue writes nothing until it is used."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    queue = tasks._make_huey()
    assert isinstance(queue.storage, tasks.QueueFile)
    path = tmp_path / "instance" / "huey.sqlite"
    storage = tasks.QueueFile("checkin", filename=str(path))
    assert not path.exists()
    storage.enqueue(b"job")
    assert path.exists() and storage.dequeue() == b"job"


def test_redis_url_picks_redis(monkeypatch):
    """With REDIS_URL the queue lives in Redis (nothing connects until a job is queued)."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/3")
    queue = tasks._make_huey()
    assert isinstance(queue, tasks.Queue) and isinstance(queue.storage, RedisStorage)
    assert queue.storage.pool.connection_kwargs["db"] == 3


def test_the_tests_run_tasks_at_once(app):
    """HUEY_IMMEDIATE (the test config) runs each task in the caller."""
    assert app.config["HUEY_IMMEDIATE"] is True and tasks.huey.immediate is True
