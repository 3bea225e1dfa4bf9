"""Benchmark a door rush on a production-shaped cluster, through Caddy and then without it.

    .venv/bin/python bench/rush.py                  # both runs, about 2 minutes of load each
    .venv/bin/python bench/rush.py --only proxy --duration 30 --guests 1000   # a short look

Each run starts tests/cluster.py (Caddy with `tls internal` in front of one gunicorn node of
--workers sync workers, a huey worker, a new PostgreSQL database, Redis), seeds it with
`flask demo --json` (a third of the guests already in, cards among them) and then, for
--duration seconds, on one event loop (bench/rush_users.py):
- guests arrive at the door at --arrivals a second (some come back, a few hold codes that are no
  ticket) and 8 door phones scan them as fast as they come, each polling the counter and the
  roster as the door page does;
- --room signed-in guests keep the home page open (its parts poll every 30 s), refresh the
  room list every 60 s, and open pages and record cards through the cards API;
- the organizer watches the event page (arrivals and attempts poll every 10 s).
The first run goes through Caddy's HTTPS, the second straight to gunicorn over plain http on
loopback, each on its own fresh database. It prints p50/p95/p99 per route, the errors, where the
CPU went, and checks in the database that every admission and every card was recorded once.
"""

import argparse
import asyncio
import json
import os
import random
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from cluster import Cluster  # noqa: E402
from rush_users import (  # noqa: E402
    Browser,
    Guest,
    Log,
    Rush,
    door_phone,
    in_the_room,
    organizer,
)

PHONES = 8
COMEBACKS, FORGED = 0.04, 0.01  # shares of arrivals: scanned again, a code that is no ticket
TARGETS = {"door": 0.100, "guest": 0.300}  # p99, seconds
ACCESS_FORMAT = "%(t)s %(m)s %(U)s %(s)s %(D)s"  # gunicorn's access log: when, what, microseconds
LAG_TICK = 0.01  # seconds the loop-lag probe sleeps


def main() -> None:
    """Run the rush through the proxy and without it; print both and the proxy's cost."""
    options = _options()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # leave the cluster's `with` cleanly
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in background
    runs = {}
    for mode in ("proxy", "direct"):
        if options.only in (None, mode):
            runs[mode] = _run(mode, options)
            _print_run(mode, runs[mode], options)
    if len(runs) == 2:
        _print_ratios(runs["proxy"], runs["direct"])
    if options.json_out:
        Path(options.json_out).write_text(json.dumps(runs, indent=2))
    bad = [m for m, r in runs.items() if r["errors"] or not r["checks"]["ok"] or not r["met"]]
    sys.exit(1 if bad else 0)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=4000, help="guests in the demo event")
    parser.add_argument("--room", type=int, default=300, help="signed-in guests")
    parser.add_argument("--arrivals", type=float, default=20.0, help="guests a second")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--speed", type=float, default=1.0, help="guest/organizer rates x")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (over 1: gthread workers)"
    )
    parser.add_argument(
        "--door-workers",
        type=int,
        default=2,
        help="the door lane's workers, as deploy/ runs it (0: none, the door shares --workers)",
    )
    parser.add_argument("--only", choices=["proxy", "direct"], default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        help="before each run, wait up to this many seconds for idle CPUs",
    )
    parser.add_argument("--json", dest="json_out", default=None, help="also write results here")
    return parser.parse_args()


def _run(mode: str, options) -> dict:
    """One run on a fresh cluster: seed, snapshot, load, snapshot, check."""
    access = Path(tempfile.mkdtemp(prefix="rush-")) / "access.log"
    gunicorn_args = f"--threads {options.threads} --access-logfile {access} "
    gunicorn_args += f"--access-logformat {shlex.quote(ACCESS_FORMAT)}"
    cluster = Cluster(
        nodes=1,
        workers=options.workers,
        huey_workers=1,
        door_workers=options.door_workers,
        ready_seconds=900,
        extra_env={"GUNICORN_CMD_ARGS": gunicorn_args},
    )
    with cluster:
        started = time.perf_counter()
        demo = json.loads(
            cluster.flask("demo", "--json", "--guests", str(options.guests), "--seed", "1")
        )
        print(f"{mode}: demo made in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        base = cluster.base_url if mode == "proxy" else cluster.direct_urls[0]
        door = cluster.door_urls[0] if mode == "direct" and cluster.door_urls else base
        before = _snapshot(cluster.database_url)
        _wait_quiet(options.quiet_wait)
        log, rush = asyncio.run(_rush(base, door, demo, before, options, lambda: _cpu(cluster)))
        wall = rush.seconds
        cpu = {
            k: (v - rush.cpu[k]) / (wall * (os.cpu_count() or 1)) for k, v in _cpu(cluster).items()
        }
        after = _snapshot(cluster.database_url)
        checks = _check(log, demo, before, after, cluster.database_url)
    summary = _summary(log, checks, cpu, wall, base)
    summary["server"] = _server_times(access, rush)
    shutil.rmtree(access.parent, ignore_errors=True)
    return summary


async def _rush(base: str, door: str, demo: dict, before: dict, options, cpu) -> tuple[Log, Rush]:
    """Everyone signs in, then the rush: --duration seconds, and the door phones empty the line."""
    rng = random.Random(options.seed)
    log = Log()
    slug = demo["event"]["slug"]
    rush = Rush(PHONES + options.room + 1, options.duration, log, cpu)
    connector = aiohttp.TCPConnector(limit=200, ssl=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as http:
        line: asyncio.Queue = asyncio.Queue()
        tasks = [
            door_phone(Browser(http, door, log, f"phone {n}"), demo["door"], slug, line, rush, rng)
            for n in range(1, PHONES + 1)
        ]
        people = _room(demo, before, options, rng)
        tasks += [
            in_the_room(Browser(http, base, log, f"guest {n}"), who, rush, random.Random(n))
            for n, who in enumerate(people)
        ]
        tasks.append(
            organizer(Browser(http, base, log, "organizer"), demo, rush, options.speed, rng)
        )
        tasks.append(_arrivals(line, _guests(demo, before, rng), rush, options.arrivals, rng))
        tasks.append(_loop_lag(rush))
        await asyncio.gather(*tasks)
    rush.seconds = time.monotonic() - rush.began_at
    return log, rush


async def _arrivals(line: asyncio.Queue, guests, rush, rate: float, rng) -> None:
    """Guests join the line at random, `rate` a second on average; then the doors close."""
    await rush.began.wait()
    while time.monotonic() < rush.until:
        line.put_nowait((next(guests), time.monotonic()))
        await asyncio.sleep(rng.expovariate(rate))
    for _ in range(PHONES):
        line.put_nowait(None)


async def _loop_lag(rush) -> None:
    """How late this event loop wakes up: a late loop would pass its delay off as the server's."""
    await rush.began.wait()
    while time.monotonic() < rush.until:
        asked = time.monotonic()
        await asyncio.sleep(LAG_TICK)
        rush.lags.append(time.monotonic() - asked - LAG_TICK)


def _server_times(access: Path, rush) -> dict:
    """gunicorn's own time per request during the rush (ms): what the client's time leaves out
    is the wait for a free worker (and the network and this loop)."""
    door, every = [], []
    for line in access.read_text().splitlines():
        stamp, method, path, status, micros = line.rsplit(" ", 4)
        at = datetime.strptime(stamp.strip("[]"), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        if not rush.began_wall <= at + 1 <= rush.began_wall + rush.seconds + 1:
            continue
        every.append(int(micros) / 1e6)
        if method == "POST" and path.endswith("/check-in"):
            door.append(int(micros) / 1e6)
    lags = sorted(rush.lags)
    return {
        "door": _percentiles(door, rush.seconds),
        "all": _percentiles(every, rush.seconds),
        "loop_lag": _percentiles(lags, rush.seconds),
    }


def _guests(demo: dict, before: dict, rng: random.Random):
    """Codes in the order guests reach the door: new guests, some back again, a few forged."""
    fresh = [a for a in demo["guests"] if a["email"] not in before["admitted_emails"]]
    rng.shuffle(fresh)
    seen = [a["code"] for a in demo["guests"] if a["email"] in before["admitted_emails"]]
    for guest in fresh:
        roll = rng.random()
        if roll < FORGED:
            yield guest["code"][:-6] + "AAAAAA"
        elif roll < FORGED + COMEBACKS:
            yield rng.choice(seen)
        seen.append(guest["code"])
        yield guest["code"]
    raise RuntimeError("more arrivals than guests: raise --guests")


def _room(demo: dict, before: dict, options, rng: random.Random) -> list[Guest]:
    """--room guests who are in and findable, each with people here to meet (no card yet)."""
    inside = [
        a
        for a in demo["guests"]
        if a["email"] in before["admitted_emails"] and a["consents"]["findable"]
    ]
    chosen = rng.sample(inside, options.room)
    ids = before["id_of"]
    people = []
    for me in chosen:
        others = [
            o
            for o in rng.sample(inside, 30)
            if o is not me and (ids[me["email"]], ids[o["email"]]) not in before["cards"]
        ]
        people.append(Guest(me, demo["event"]["slug"], others[:12], options.speed))
    return people


def _snapshot(database_url: str) -> dict:
    """Who is in, who has a card for whom, and the door's attempts, straight from the database."""
    with psycopg.connect(database_url) as conn:
        people = conn.execute(
            "SELECT id, email, checked_in_at IS NOT NULL FROM attendees"
        ).fetchall()
        cards = conn.execute("SELECT author_id, subject_id, nonce, id FROM cards").fetchall()
        attempts = conn.execute(
            "SELECT nonce, count(*), min(result), min(attendee_id) FROM checkin_attempts "
            "WHERE device LIKE 'rush %' GROUP BY nonce"
        ).fetchall()
    return {
        "id_of": {email: id_ for id_, email, _ in people},
        "admitted": {id_ for id_, _, inside in people if inside},
        "admitted_emails": {email for _, email, inside in people if inside},
        "cards": {(a, s): (nonce, id_) for a, s, nonce, id_ in cards},
        "card_rows": len(cards),
        "attempts": {nonce: (count, result, who) for nonce, count, result, who in attempts},
    }


def _check(log: Log, demo: dict, before: dict, after: dict, database_url: str) -> dict:
    """Every admission and every card recorded once: nothing lost, nothing twice.

    A request the phone gave up on (no answer in 30 s) may or may not have been recorded; it
    is counted apart, and with none of those every set below must be equal."""
    ids = before["id_of"]
    email_of = {a["code"]: a["email"] for a in demo["guests"]}
    answered = [s for s in log.scans if s[2] is not None]
    unanswered = [s for s in log.scans if s[2] is None]

    def first_time(scans):
        return {
            ids[email_of[code]]
            for code, _, _, _ in scans
            if code in email_of and ids[email_of[code]] not in before["admitted"]
        }

    fresh, maybe = first_time(answered), first_time(unanswered)
    admitted = Counter(who for _, _, result, who in answered if result == "admitted")
    newly = after["admitted"] - before["admitted"]
    attempts = after["attempts"]
    lost_attempts = [n for _, n, _, _ in answered if n not in attempts]
    twice_attempts = [n for n, (count, _, _) in attempts.items() if count > 1]
    door_ok = (
        fresh <= newly <= fresh | maybe
        and set(admitted) <= newly
        and newly - set(admitted) <= maybe
        and all(count == 1 for count in admitted.values())
        and not lost_attempts
        and not twice_attempts
        and len(answered) <= len(attempts) <= len(log.scans)
    )
    tried = {(ids[a], ids[s]) for a, s, _, _, _ in log.cards}
    sent = {}
    resent_same = True
    for author, subject, nonce, status, card in log.cards:
        pair = (ids[author], ids[subject])
        if pair in sent and status is not None:
            resent_same &= status == 200 and card == sent[pair][1]
        elif status is not None:
            sent[pair] = (nonce, card, status)
    new_pairs = set(after["cards"]) - set(before["cards"])
    created = {pair for pair, (_, _, status) in sent.items() if status == 201}
    with psycopg.connect(database_url) as conn:
        twins = conn.execute(
            "SELECT count(*) FROM (SELECT author_id, subject_id FROM cards "
            "GROUP BY author_id, subject_id HAVING count(*) > 1) AS twins"
        ).fetchone()[0]
    unsure = tried - set(sent)
    cards_ok = (
        created <= new_pairs <= tried
        and set(sent) - created <= unsure
        and all(after["cards"][pair] == (nonce, card) for pair, (nonce, card, _) in sent.items())
        and after["card_rows"] == before["card_rows"] + len(new_pairs)
        and not twins
        and resent_same
    )
    return {
        "ok": door_ok and cards_ok,
        "scans": len(log.scans),
        "answered": len(answered),
        "results": dict(Counter(s[2] for s in log.scans)),
        "first_time": len(fresh),
        "scans_unanswered": len(unanswered),
        "unanswered_recorded": sum(1 for _, n, _, _ in unanswered if n in attempts),
        "admitted_answers": sum(admitted.values()),
        "newly_admitted": len(newly),
        "attempts_recorded": len(attempts),
        "attempts_lost": len(lost_attempts),
        "attempts_twice": len(twice_attempts),
        "door_ok": door_ok,
        "cards_sent": len(sent),
        "cards_unanswered": len(unsure),
        "cards_unanswered_recorded": len(unsure & new_pairs),
        "cards_resent": len(log.cards) - len(sent),
        "cards_new_rows": after["card_rows"] - before["card_rows"],
        "card_twins": twins,
        "resent_same_card": resent_same,
        "cards_ok": cards_ok,
    }


def _cpu(cluster: Cluster) -> dict:
    """CPU seconds so far of gunicorn, Caddy, PostgreSQL, this process and the whole machine."""
    by_name = {p.name: p.popen.pid for p in cluster.processes}
    times = os.times()
    return {
        "gunicorn": _tree_cpu(by_name["node0"]) + _tree_cpu(by_name.get("node0-door", 0)),
        "caddy": _tree_cpu(by_name["caddy"]),
        "postgres": sum(_pid_cpu(p) for p in _pids_named("postgres")),
        "bench": times.user + times.system,
        "busy": _busy(),
    }


_TICKS = os.sysconf("SC_CLK_TCK")


def _busy() -> float:
    """CPU seconds the whole machine has spent busy so far."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(x) for i, x in enumerate(fields[:8]) if i not in (3, 4)) / _TICKS


def _wait_quiet(seconds: int) -> None:
    """Wait (up to `seconds`) until other processes leave the CPUs nearly idle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = _busy()
        time.sleep(2)
        used = (_busy() - before) / (2 * (os.cpu_count() or 1))
        if used < 0.05:
            return
        print(f"  waiting: other processes use {used:.0%} of the CPUs", file=sys.stderr)


def _pid_cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / _TICKS


def _tree_cpu(pid: int) -> float:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return _pid_cpu(pid) + sum(_pid_cpu(int(c)) for c in children)


def _pids_named(name: str) -> list[int]:
    pids = []
    for path in Path("/proc").iterdir():
        try:
            if path.name.isdigit() and (path / "comm").read_text().strip() == name:
                pids.append(int(path.name))
        except OSError:
            continue
    return pids


def _summary(log: Log, checks: dict, cpu: dict, wall: float, base: str) -> dict:
    """Percentiles per route (ms), the errors, the CPU shares, the checks, the targets."""
    ordered = sorted(log.times.items(), key=lambda item: (item[0].startswith("before"), item[0]))
    routes = {route: _percentiles(times, wall) for route, times in ordered}
    door = routes.get("door: check-in (POST)", {})
    people = [
        t
        for route, times in log.times.items()
        if route.startswith(("guest", "cards"))
        for t in times
    ]
    routes["all guest requests"] = _percentiles(people, wall)
    met = (
        door.get("p99", 1e9) <= TARGETS["door"] * 1000
        and routes["all guest requests"]["p99"] <= TARGETS["guest"] * 1000
    )
    errors = {route: len(found) for route, found in log.errors.items()}
    errors["all guest requests"] = sum(
        n for route, n in errors.items() if route.startswith(("guest", "cards"))
    )
    samples = {route: found[:3] for route, found in log.errors.items()}
    waits = sorted(log.waits)
    return {
        "base": base,
        "seconds": wall,
        "routes": routes,
        "errors": errors,
        "error_samples": samples,
        "cpu": cpu,
        "checks": checks,
        "met": met,
        "line_wait_p99_ms": 1000 * waits[int(0.99 * (len(waits) - 1))] if waits else 0.0,
    }


def _percentiles(times: list[float], wall: float) -> dict:
    ordered = sorted(times)
    if not ordered:
        return {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def at(share: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {
        "requests": len(ordered),
        "rps": len(ordered) / wall,
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": 1000 * ordered[-1],
    }


def _workers(options) -> str:
    """How gunicorn serves: N sync workers, or N gthread workers of T threads; the door lane."""
    lane = f" + a door lane of {options.door_workers}" if options.door_workers else ""
    if options.threads > 1:
        return f"{options.workers} workers of {options.threads} threads{lane}"
    return f"{options.workers} sync workers{lane}"


def _print_run(mode: str, run: dict, options) -> None:
    """One run as Markdown: a row per route, then the checks and where the CPU went."""
    where = "through Caddy (HTTPS)" if mode == "proxy" else "straight to gunicorn (http)"
    print(
        f"\n### {where}: {_workers(options)} on PostgreSQL and Redis, "
        f"{PHONES} door phones, {options.arrivals:g} guests/s, {options.room} guests "
        f"(speed {options.speed:g}), {run['seconds']:.0f} s\n"
    )
    print("| route | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total = sum(r["requests"] for name, r in run["routes"].items() if name != "all guest requests")
    for name, r in run["routes"].items():
        label = f"**{name}**" if name in ("door: check-in (POST)", "all guest requests") else name
        print(
            f"| {label} | {r['requests']:,} | {r['rps']:,.1f} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['p99']:.1f} | {r['max']:.1f} | {run['errors'].get(name, 0)} |"
        )
    print(
        f"| all | {total:,} | {total / run['seconds']:,.1f} | | | | "
        f"| {sum(run['errors'].values())} |"
    )
    c, cpu = run["checks"], run["cpu"]
    other = max(0.0, cpu["busy"] - cpu["gunicorn"] - cpu["caddy"] - cpu["postgres"] - cpu["bench"])
    print(
        f"\nDoor: {c['scans']:,} scans, {c['answered']:,} answered {c['results']}; "
        f"{c['first_time']:,} guests scanned for the first time, {c['admitted_answers']:,} "
        f"answered admitted, {c['newly_admitted']:,} recorded admitted; attempts recorded "
        f"{c['attempts_recorded']:,} (lost {c['attempts_lost']}, twice {c['attempts_twice']}); "
        f"no answer in 30 s: {c['scans_unanswered']} ({c['unanswered_recorded']} recorded): "
        f"{'OK' if c['door_ok'] else 'MISMATCH'}. Longest waits in line: p99 "
        f"{run['line_wait_p99_ms']:.0f} ms."
    )
    print(
        f"Cards: {c['cards_sent']:,} sent ({c['cards_resent']} sent again with the same nonce, "
        f"same card: {c['resent_same_card']}), {c['cards_new_rows']:,} new rows, "
        f"{c['card_twins']} duplicates; no answer in 30 s: {c['cards_unanswered']} "
        f"({c['cards_unanswered_recorded']} recorded): {'OK' if c['cards_ok'] else 'MISMATCH'}."
    )
    print(
        f"CPU, share of both cores: gunicorn {cpu['gunicorn']:.0%}, Caddy {cpu['caddy']:.0%}, "
        f"PostgreSQL {cpu['postgres']:.0%}, load generator {cpu['bench']:.0%}, rest {other:.0%}."
    )
    server = run["server"]
    print(
        f"gunicorn's own time (from reading the request to the last byte written): door "
        f"check-in p50 / p99 {server['door']['p50']:.1f} / {server['door']['p99']:.1f} ms, all "
        f"requests {server['all']['p50']:.1f} / {server['all']['p99']:.1f} ms "
        f"(max {server['all']['max']:.0f}); this loop woke late by p99 "
        f"{server['loop_lag']['p99']:.1f} ms (max {server['loop_lag']['max']:.0f})."
    )
    for route, samples in run["error_samples"].items():
        print(f"Errors on {route}: {samples}")
    print(f"Targets (door p99 <= 100 ms, guest p99 <= 300 ms): {'met' if run['met'] else 'MISSED'}")


def _print_ratios(proxy: dict, direct: dict) -> None:
    """What the proxy costs: p50 and p99 through Caddy over the same without it."""
    print("\n### The proxy's cost: through Caddy / straight to gunicorn\n")
    print("| route | p50 ms (proxy / direct) | ratio | p99 ms (proxy / direct) | ratio |")
    print("|---|---:|---:|---:|---:|")
    for name, p in proxy["routes"].items():
        d = direct["routes"].get(name)
        if not d or not d["requests"]:
            continue
        print(
            f"| {name} | {p['p50']:.1f} / {d['p50']:.1f} | {p['p50'] / d['p50']:.2f} "
            f"| {p['p99']:.1f} / {d['p99']:.1f} | {p['p99'] / d['p99']:.2f} |"
        )
    caddy, app, alone = proxy["cpu"]["caddy"], proxy["cpu"]["gunicorn"], direct["cpu"]["gunicorn"]
    print(
        f"\nCPU: Caddy {caddy:.0%} of both cores; gunicorn {app:.0%} with it, {alone:.0%} without."
    )


if __name__ == "__main__":
    main()
