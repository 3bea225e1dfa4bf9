"""Benchmark badge sheets: `flask --app checkin badges` for a 1,000-guest demo event.

    .venv/bin/python bench/badges.py                          # letter-6, best of 3
    .venv/bin/python bench/badges.py --layouts letter-6,a6-4,label --repeat 1
    .venv/bin/python bench/badges.py --database postgresql://postgres@127.0.0.1:5432/postgres

It makes a throwaway database (bench/digest_build.py's throwaway_database), migrates it,
creates a seeded demo event (`flask demo --guests N --seed 1`), then times, best of
--repeat, the command an organizer runs: `flask --app checkin badges SLUG --out FILE.pdf
--layout L`, start-up, queries and writing the file included. While it runs, the resident
memory of its whole process tree (the command and its render workers, summed) is sampled
every 20 ms; the peak is reported. CPU is user + system time of the tree.

The baseline, measured the same way in a child process, is the same badges rendered as one
WeasyPrint document in one process (badge_pdf.render, no workers, no chunks): "vs one
document" is the command's wall time over the baseline's. Exits with status 1 when the
letter-6 run takes over --limit seconds or --memory MB. Pass --quiet-wait on a shared
machine: other processes' CPU use shows directly in the wall time.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PAGE = os.sysconf("SC_PAGE_SIZE")

BASELINE = """
import sys
from checkin import create_app
from checkin.events import events
from checkin.print import badges
from checkin.print import pdf as badge_pdf
app = create_app()
with app.app_context():
    event = events.by_slug(sys.argv[1])
    found = badges.badges_of(badges.guest_list(event), event)
    pdf = badge_pdf.render(found, sys.argv[2], "Badges")
open(sys.argv[3], "wb").write(pdf)
"""


def main() -> int:
    """Set up the event, measure the baseline and each layout, print the figures."""
    from digest_build import _wait_for_quiet, throwaway_database

    options = _options()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-badges-"))
    url, drop = throwaway_database(options.database, workdir)
    env = os.environ | {
        "CHECKIN_INSTANCE": str(workdir),
        "DATABASE_URL": url,
        "SECRET_KEY": uuid.uuid4().hex,
        "BASE_URL": "https://alumni.example.edu",
    }
    failed = False
    try:
        slug = _prepare(env, options.guests)
        print(_HEADER)
        for layout in options.layouts.split(","):
            base = None
            if not options.no_baseline:
                _wait_for_quiet(options.quiet_wait)
                base = _measure(_baseline(slug, layout, workdir), env, workdir / "one.pdf")
                print(_line("one document, one process", layout, base, base), flush=True)
            runs = []
            for _ in range(options.repeat):
                _wait_for_quiet(options.quiet_wait)
                out = workdir / f"{layout}.pdf"
                runs.append(_measure(_command(slug, layout, out), env, out))
            best = min(runs, key=lambda run: run["wall"])
            print(_line("flask badges", layout, best, base), flush=True)
            if layout == "letter-6":
                failed = best["wall"] > options.limit or best["peak_mb"] > options.memory
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        print(f"\nFAIL: letter-6 over {options.limit} s or {options.memory} MB")
    return 1 if failed else 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--guests", type=int, default=1000)
    parser.add_argument("--layouts", default="letter-6", help="comma-separated layout names")
    parser.add_argument("--repeat", type=int, default=3, help="runs per layout; best kept")
    parser.add_argument("--limit", type=float, default=12.0, help="seconds allowed (letter-6)")
    parser.add_argument("--memory", type=float, default=300.0, help="peak MB allowed (letter-6)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the one-document run")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        help="before each run, wait up to this many seconds for idle CPUs",
    )
    return parser.parse_args()


def _prepare(env: dict, guests: int) -> str:
    """Migrate the throwaway database and make the demo event; its slug."""
    flask = [str(BIN / "flask"), "--app", "checkin"]
    subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    made = subprocess.run(
        [*flask, "demo", "--json", "--guests", str(guests), "--seed", "1"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    import json

    return json.loads(made.stdout)["event"]["slug"]


def _command(slug: str, layout: str, out: Path) -> list[str]:
    return [str(BIN / "flask"), "--app", "checkin", "badges", slug, "--out", str(out)] + [
        "--layout",
        layout,
    ]


def _baseline(slug: str, layout: str, workdir: Path) -> list[str]:
    return [sys.executable, "-c", BASELINE, slug, layout, str(workdir / "one.pdf")]


def _measure(command: list[str], env: dict, out: Path) -> dict:
    """Run a command; its wall time, CPU time, peak tree memory, and the PDF's pages and size."""
    from pypdf import PdfReader

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    peak = _Peak(process.pid)
    said = process.communicate()[0]
    wall = time.perf_counter() - started
    peak.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode:
        raise SystemExit(f"{command[3:5]} failed ({process.returncode}): {said}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    pages = len(PdfReader(out).pages)
    return {"wall": wall, "cpu": cpu, "peak_mb": peak.bytes / 2**20, "pages": pages} | {
        "size": out.stat().st_size
    }


class _Peak:
    """Samples the resident memory of a process and all its descendants, keeping the peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.bytes, self._done = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.bytes = max(self.bytes, sum(_rss(pid) for pid in _tree(self.pid)))


def _tree(root: int) -> list[int]:
    """The process and its descendants, from each process's parent id in /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return list(tree)


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError):
        return 0


_HEADER = (
    f"{'run':<26} {'layout':<9} {'pages':>5} {'wall s':>7} {'CPU s':>6}"
    f" {'peak MB':>8} {'KB':>6} {'vs one document':>15}"
)


def _line(label: str, layout: str, run: dict, base: dict | None) -> str:
    ratio = f"{run['wall'] / base['wall']:.2f}" if base else "-"
    return (
        f"{label:<26} {layout:<9} {run['pages']:>5} {run['wall']:>7.2f} {run['cpu']:>6.2f}"
        f" {run['peak_mb']:>8.0f} {run['size'] / 1024:>6.0f} {ratio:>15}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
