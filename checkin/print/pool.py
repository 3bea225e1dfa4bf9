"""Rendering many badges: chunks of pages in worker processes, then one PDF joined from them.

WeasyPrint lays out and writes on one core, and its memory grows with the document: 1,000
badges in one document take about 8 s and 230 MB here. Cut into chunks of CHUNK_BADGES
badges, rendered by WORKERS processes (each given the next chunk as it finishes one, so
both cores stay busy) and joined with pypdf, they take a fraction of that, with each
worker's memory bounded by one chunk. Each chunk embeds its own subset of the font (about
20 KB); bigger chunks would save some of those but use more memory and report progress
less often. The QR images are drawn here, in the parent, one chunk ahead of the workers:
the mask scoring needs numpy, which would cost each worker 19 MB more.
"""

import json
import os
import selectors
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .layouts import Layout
from .pdf import Badge

WORKERS = min(2, os.cpu_count() or 1)
CHUNK_BADGES = 96  # whole sheets of about this many: 11 steps of progress for 1,000 badges
CHUNK_PAGES = 48  # at most: a page costs memory of its own (labels are a badge a page)
CHUNK_TIMEOUT = 120  # seconds; a chunk takes well under one: a worker this slow is stuck
WORKER = Path(__file__).resolve().parent / "worker.py"


class RenderFailed(RuntimeError):
    """A worker process stopped before finishing its badges."""


def render(
    badges: list[Badge],
    layout: Layout,
    title: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The badges as one PDF, rendered in chunks by worker processes."""
    size = max(1, min(CHUNK_BADGES // layout.per_page, CHUNK_PAGES)) * layout.per_page
    chunks = [badges[start : start + size] for start in range(0, len(badges), size)]
    with tempfile.TemporaryDirectory(prefix="checkin-badges-") as folder:
        paths = [str(Path(folder) / f"{index:05d}.pdf") for index in range(len(chunks))]
        jobs = (
            {
                "index": index,
                "path": paths[index],
                "layout": layout.name,
                "title": title,
                "badges": [badge.with_qr().__dict__ for badge in chunk],
            }
            for index, chunk in enumerate(chunks)
        )
        _run(jobs, min(WORKERS, len(chunks)), folder, _counter(chunks, progress))
        return join(paths, title)


def _counter(chunks: list[list[Badge]], progress) -> Callable[[int], None]:
    """A callback for a finished chunk that reports badges done so far."""
    total, done = sum(map(len, chunks)), [0]

    def finished(index: int) -> None:
        done[0] += len(chunks[index])
        if progress:
            progress(done[0], total)

    return finished


def _run(jobs: Iterator[dict], workers: int, folder: str, finished: Callable[[int], None]):
    """Hand the jobs to worker processes, one at a time each; return when all are written.

    A job is made (its QR codes drawn, here) just before a worker needs it: the first while
    the workers start, the next while they render.
    """
    processes = [_start(Path(folder) / f"worker-{n}.log") for n in range(workers)]
    ahead = _Ahead(jobs)
    selector = selectors.DefaultSelector()
    try:
        for process in processes:
            _give(process, ahead, selector)
        while selector.get_map():
            ahead.prepare()
            answered = selector.select(timeout=CHUNK_TIMEOUT)
            if not answered:
                raise RenderFailed(f"No badge worker finished a chunk in {CHUNK_TIMEOUT} s.")
            for key, _ in answered:
                process = key.data
                line = process.stdout.readline()
                if not line:
                    raise RenderFailed(_why(process))
                finished(int(line))
                _give(process, ahead, selector)
    except BaseException:
        for process in processes:
            process.kill()  # their work is lost anyway: do not wait for it
        raise
    finally:
        selector.close()
        for process in processes:
            _stop(process)


class _Ahead:
    """Jobs made one ahead of need."""

    def __init__(self, jobs: Iterator[dict]) -> None:
        self.jobs, self.ready = jobs, None

    def prepare(self) -> None:
        """Make the next job now, if it is not made yet."""
        if self.ready is None:
            self.ready = next(self.jobs, False)

    def take(self) -> dict | None:
        """The next job, or None when all are handed out."""
        self.prepare()
        job, self.ready = self.ready, None
        return job or None


def _start(log: Path) -> subprocess.Popen:
    """A worker process (-P: its own folder is not put on the import path)."""
    with open(log, "w") as errors:  # a file, not a pipe: warnings can never fill it and block
        process = subprocess.Popen(
            [sys.executable, "-P", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            bufsize=1,
        )
    process.log = log
    return process


def _give(process: subprocess.Popen, ahead: _Ahead, selector) -> None:
    """Send the worker the next job and listen for its answer; with none left, let it go."""
    job = ahead.take()
    if job is not None:
        try:
            process.stdin.write(json.dumps(job) + "\n")
            process.stdin.flush()
        except BrokenPipeError as error:
            raise RenderFailed(_why(process)) from error
        if process.stdout not in selector.get_map():
            selector.register(process.stdout, selectors.EVENT_READ, process)
    else:
        process.stdin.close()
        if process.stdout in selector.get_map():
            selector.unregister(process.stdout)


def _why(process: subprocess.Popen) -> str:
    """What a worker that stopped early said."""
    process.wait(timeout=10)
    said = process.log.read_text().strip().splitlines()
    return f"A badge worker stopped (exit {process.returncode}): {said[-1] if said else ''}"


def _stop(process: subprocess.Popen) -> None:
    """End a worker: it exits when its input closes; one that hangs is killed."""
    if not process.stdin.closed:
        process.stdin.close()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


def join(paths: list[str], title: str) -> bytes:
    """One PDF of the pages of these PDFs, in order."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    for path in paths:
        writer.append(path)
    writer.add_metadata({"/Title": title, "/Producer": "checkin (WeasyPrint, pypdf)"})
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
