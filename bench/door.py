"""Benchmark the door's check-in endpoint under gunicorn with wrk, against the framework's floor.

    .venv/bin/python bench/door.py                   # SQLite, 1/8/32 clients, 10 s per row
    .venv/bin/python bench/door.py --database postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/door.py --workers 4 --pin-wrk 1 --quiet-wait 120
    .venv/bin/python bench/door.py --forged --clients 8   # also forged and garbled codes

It makes its own database (a temporary SQLite file, or a new PostgreSQL database that it drops
after), migrates it (`flask db upgrade`), creates a demo event with --guests guests
(`flask demo`), serves the app with gunicorn from the project root (so gunicorn.conf.py applies)
and drives `POST /api/v1/events/<slug>/checkins` with wrk. A Lua script sends a fresh nonce with
every request and a code drawn at random from the demo's tickets; check-ins are cleared before each
row, so most scans are first admissions and the rest repeats. Each row is paired with
`GET /api/v1/openapi.json` (same app and request hooks, no database) at the same concurrency, the
floor the framework sets, and the table gives the ratio. The CPU column says how the two CPUs were
shared between gunicorn, wrk and anything else running (a busy machine shows up there).
With --forged, each client count also gets a row of codes that are no ticket (random ones,
real ones with one character changed, real ones cut short), which must answer `unknown` as fast
as a real scan is answered.
"""

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

WRK_SCRIPT = r"""
local codes, token, slug, tag, counter = {}, nil, nil, nil, 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
end

function init(args)
  local file = io.open(args[1])
  for line in file:lines() do codes[#codes + 1] = line end
  file:close()
  token, slug, tag = args[2], args[3], args[4]
  math.randomseed(os.time() * 1000 + id)
end

function request()
  counter = counter + 1
  local nonce = string.format("%s-%d-%d-%06x", tag, id, counter, math.random(0, 16777215))
  local body = string.format('{"code":"%s","nonce":"%s","device":"bench"}',
                             codes[math.random(#codes)], nonce)
  return wrk.format("POST", "/api/v1/events/" .. slug .. "/checkins",
                    {["Authorization"] = "Bearer " .. token,
                     ["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%f,"p50":%f,"p95":%f,"p99":%f,"max":%f,' ..
    '"status_errors":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""

BASELINE_SCRIPT = (
    WRK_SCRIPT.split("function request()")[0]
    + """
function request()
  return wrk.format("GET", "/api/v1/openapi.json")
end
"""
    + "function done"
    + WRK_SCRIPT.split("function done")[1]
)


def main() -> None:
    """Parse options, set up a database and a server, run wrk, print the table, clean up."""
    options = _options()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-"))
    database_url, drop = _database(options.database, workdir)
    env = {
        **os.environ,
        "CHECKIN_INSTANCE": str(workdir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "BASE_URL": "http://127.0.0.1",
    }
    server = None
    try:
        demo = _prepare(env, options.guests, workdir)
        server, port = _serve(env, options)
        options.server_pid = server.pid
        rows = _measure(options, port, demo, workdir, env)
        _print_table(rows, options, database_url)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default="sqlite",
        help="'sqlite' (a temporary file) or a PostgreSQL server URL",
    )
    parser.add_argument("--guests", type=int, default=20000)
    parser.add_argument("--clients", default="1,8,32", help="wrk connections, comma-separated")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--pin-wrk", default=None, help="CPU list for taskset, e.g. 1")
    parser.add_argument("--pin-server", default=None, help="CPU list for taskset, e.g. 0")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        help="before each row, wait up to this many seconds for idle CPUs",
    )
    parser.add_argument("--json", dest="json_out", default=None, help="also write results here")
    parser.add_argument(
        "--forged", action="store_true", help="also time codes that are no ticket (unknown)"
    )
    return parser.parse_args()


def _database(choice: str, workdir: Path):
    """A database URL for this run, and a function that removes it."""
    if choice == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite'}", lambda: None
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(choice.replace("postgresql+psycopg://", "postgresql://"))
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    name = f"checkin_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    full = url.set(database=name).render_as_string(hide_password=False)
    return full.replace("postgresql://", "postgresql+psycopg://", 1), drop


def _prepare(env: dict, guests: int, workdir: Path) -> dict:
    """Migrate the database and create the demo event; write its codes to a file."""
    subprocess.run(
        [BIN / "flask", "--app", "checkin", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    made = subprocess.run(
        [
            BIN / "flask",
            "--app",
            "checkin",
            "demo",
            "--json",
            "--guests",
            str(guests),
            "--seed",
            "1",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    demo = json.loads(made.stdout)
    codes = [a["code"] for a in demo["guests"]]
    (workdir / "codes.txt").write_text("\n".join(codes) + "\n")
    (workdir / "forged.txt").write_text("\n".join(_forged(codes, 10_000)) + "\n")
    print(
        f"demo event with {guests} guests made in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return demo


def _forged(codes: list[str], count: int) -> list[str]:
    """Codes that open no ticket: random, one character changed, or cut short (seeded)."""
    rng, alphabet = random.Random(7), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    forged = []
    for i in range(count):
        real = rng.choice(codes)
        head, tail = real[:-32], real[-32:]
        if i % 3 == 0:
            forged.append(head + "".join(rng.choice(alphabet) for _ in range(32)))
        elif i % 3 == 1:
            at = rng.randrange(32)
            swap = rng.choice(alphabet.replace(tail[at], ""))
            forged.append(head + tail[:at] + swap + tail[at + 1 :])
        else:
            forged.append(real[: rng.randrange(1, len(real))])
    return forged


def _serve(env: dict, options) -> tuple[subprocess.Popen, int]:
    """Start gunicorn on a free port and wait until it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(options.workers),
        "--worker-class",
        options.worker_class,
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "checkin:create_app()",
    ]
    if options.worker_class == "gthread":  # --threads > 1 silently turns sync into gthread
        command[1:1] = ["--threads", str(options.threads)]
    if options.pin_server:
        command = ["taskset", "-c", options.pin_server, *command]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def _measure(options, port: int, demo: dict, workdir: Path, env: dict) -> list[dict]:
    """Warm up, then measure the baseline and the check-in at each client count."""
    check_in = workdir / "checkin.lua"
    check_in.write_text(WRK_SCRIPT)
    baseline = workdir / "baseline.lua"
    baseline.write_text(BASELINE_SCRIPT)
    args = [str(workdir / "codes.txt"), demo["door"]["token"], demo["event"]["slug"]]
    _wrk(options, port, check_in, 8, 3, [*args, "warm"])
    _wrk(options, port, baseline, 8, 2, [*args, "warm"])
    forged = [str(workdir / "forged.txt"), *args[1:]]
    runs = [("GET openapi.json (baseline)", baseline, args), ("POST checkins", check_in, args)]
    if options.forged:
        runs.append(("POST checkins, forged codes", check_in, forged))
    rows = []
    for clients in [int(c) for c in options.clients.split(",")]:
        for name, script, run_args in runs:
            tag = f"r{len(rows)}"
            if script is check_in:
                _reopen_the_door(env)
            _wait_quiet(options)
            result = _wrk(options, port, script, clients, options.duration, [*run_args, tag])
            result.update(endpoint=name, clients=clients)
            if script is check_in:
                result["results"] = dict(_sql(env, RESULT_MIX, {"tag": f"{tag}-%"}))
            rows.append(result)
            print(_line(result), file=sys.stderr)
    return rows


def _wrk(options, port: int, script: Path, clients: int, seconds: int, args: list) -> dict:
    """Run wrk once; its RESULT line, plus where the CPU time went meanwhile."""
    threads = min(options.wrk_threads, clients)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(clients),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
        "--",
        *args,
    ]
    if options.pin_wrk:
        command = ["taskset", "-c", options.pin_wrk, *command]
    before = _cpu(options.server_pid)
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    after = _cpu(options.server_pid)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rps"] = result["requests"] / result["seconds"]
    wall = result["seconds"] * (os.cpu_count() or 1)
    used = {key: (after[key] - before[key]) / wall for key in after}
    result.update(
        cpu_server=used["server"],
        cpu_db=used["db"],
        cpu_wrk=used["wrk"],
        cpu_other=max(0.0, used["busy"] - used["server"] - used["db"] - used["wrk"]),
    )
    return result


def _cpu(server_pid: int) -> dict:
    """CPU seconds so far: the machine (busy), gunicorn, PostgreSQL's processes, wrk (reaped)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4)) / _TICKS
    server = sum(_cpu_of(pid) for pid in [server_pid, *_children(server_pid)])
    database = sum(_cpu_of(int(p.name)) for p in Path("/proc").iterdir() if _is_postgres(p))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"busy": busy, "server": server, "db": database, "wrk": usage.ru_utime + usage.ru_stime}


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / _TICKS


def _is_postgres(path: Path) -> bool:
    try:
        return path.name.isdigit() and (path / "comm").read_text().strip() == "postgres"
    except OSError:
        return False


def _wait_quiet(options) -> None:
    """Wait (up to --quiet-wait seconds) until other processes leave the CPUs nearly idle."""
    deadline = time.monotonic() + options.quiet_wait
    while True:
        before = _cpu(options.server_pid)
        time.sleep(1)
        after = _cpu(options.server_pid)
        others = (after["busy"] - before["busy"] - after["server"] + before["server"]) / (
            os.cpu_count() or 1
        )
        if others < 0.05 or time.monotonic() > deadline:
            return
        print(f"  waiting: other processes use {others:.0%} of the CPUs", file=sys.stderr)


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _reopen_the_door(env: dict) -> None:
    """Clear every check-in, so most scans in the next row are first admissions.

    Then fold the bulk update into the database file (SQLite) or vacuum it away (PostgreSQL),
    so the row does not pay for the reset.
    """
    _sql(env, "UPDATE attendees SET checked_in_at = NULL, checked_in_by_id = NULL")
    if env["DATABASE_URL"].startswith("sqlite"):
        _sql(env, "PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        _sql(env, "VACUUM ANALYZE attendees", autocommit=True)


RESULT_MIX = "SELECT result, count(*) FROM checkin_attempts WHERE nonce LIKE :tag GROUP BY result"


def _sql(env: dict, statement: str, params: dict | None = None, autocommit=False) -> list:
    """Run one statement on the benchmark's database from outside the server."""
    from sqlalchemy import create_engine, text

    base = create_engine(env["DATABASE_URL"])
    engine = base.execution_options(isolation_level="AUTOCOMMIT") if autocommit else base
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params or {})
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        base.dispose()


def _line(r: dict) -> str:
    errors = r["status_errors"] + r["socket_errors"]
    shares = (r["cpu_server"], r["cpu_db"], r["cpu_wrk"], r["cpu_other"])
    cpu = " / ".join(f"{share:.0%}" for share in shares)
    return (
        f"| {r['endpoint']:<27} | {r['clients']:>7} | {r['rps']:>8,.0f} | {r['p50']:>6.1f} "
        f"| {r['p95']:>6.1f} | {r['p99']:>6.1f} | {errors:>6} | {cpu:>16} |"
    )


def _mix(results: dict) -> str:
    """How many attempts the row recorded, and what they decided."""
    admitted, already = results.get("admitted", 0), results.get("already_admitted", 0)
    other = sum(results.values()) - admitted - already
    return f"{sum(results.values()):,}: {admitted:,} / {already:,} / {other:,}"


def _print_table(rows: list[dict], options, database_url: str) -> None:
    """The results as a Markdown table, with check-in throughput as a share of the baseline."""
    backend = database_url.split(":", 1)[0].split("+")[0]
    server = f"gunicorn {options.workers} x {options.worker_class}"
    if options.worker_class == "gthread":
        server += f" ({options.threads} threads)"
    pins = "".join(
        f", {name} pinned to CPU {cpus}"
        for name, cpus in (("wrk", options.pin_wrk), ("gunicorn", options.pin_server))
        if cpus
    )
    print(
        f"\n{backend}, {server}, wrk -t{options.wrk_threads}{pins}, {options.duration} s per "
        f"row, {os.cpu_count()} CPUs; CPU = share of both CPUs used by gunicorn / PostgreSQL / "
        "wrk / the rest\n"
    )
    print(
        "| endpoint | clients | req/s | p50 ms | p95 ms | p99 ms | errors | CPU app/db/wrk/rest "
        "| vs baseline | attempts recorded: admitted / already / other |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    floor = {}
    for row in rows:
        if "results" not in row:
            floor[row["clients"]] = row["rps"]
            print(_line(row) + "             |                   |")
            continue
        ratio = row["rps"] / floor[row["clients"]] if row["clients"] in floor else float("nan")
        print(_line(row) + f" {ratio:>10.0%} | {_mix(row['results'])} |")
    if options.json_out:
        Path(options.json_out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
