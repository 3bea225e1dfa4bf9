"""The print tests' world: huey's file queue, where a pressed badge sheet waits for a worker."""

import pytest
from support.consumer import use_file_queue


@pytest.fixture
def file_queue(tmp_path, monkeypatch):
    """A real huey queue: the test process enqueues onto huey.sqlite in the app's instance
    folder, where a consumer started on that instance reads it (until one does, tasks wait)."""
    return use_file_queue(monkeypatch, tmp_path / "instance")
