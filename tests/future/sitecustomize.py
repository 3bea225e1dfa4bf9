"""Loaded only by `make test-future` (on PYTHONPATH there): time.sleep that works under faketime.

Python 3.11 sleeps with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), and libfaketime 0.9.10
(Debian 12) moves that deadline by the fake offset even with FAKETIME_DONT_FAKE_MONOTONIC, so a
year ahead every sleep fails with EINVAL (wolfcw/libfaketime#426), in pytest and in the worker
and CLI processes the tests start. select() with a relative timeout waits as long, untouched.
"""

import os
import select
import time


def sleep(seconds: float) -> None:
    """Wait this many seconds, as time.sleep does."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


if os.environ.get("FAKETIME"):
    time.sleep = sleep
