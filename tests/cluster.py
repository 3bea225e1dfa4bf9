"""A production-shaped checkin on loopback: Caddy (HTTPS) in front of N gunicorn nodes and a
huey worker, on one PostgreSQL database made for it and one Redis database.

    with Cluster(nodes=2, workers=2, smtp_url="smtp://127.0.0.1:2525") as cluster:
        cluster.base_url        # https://127.0.0.1:<port>, Caddy round-robin over every node
        cluster.node_urls[i]    # https://127.0.0.1:<port>, Caddy in front of node i alone
        cluster.direct_urls[i]  # http://127.0.0.1:<port>, node i's gunicorn without the proxy
        cluster.door_urls[i]    # the same for node i's door lane, with Cluster(door_workers=N)
        cluster.flask("create-organizer", ...)   # a `flask --app checkin` command on the cluster

With door_workers, each node also runs a second gunicorn of that many workers for the door's
requests, and Caddy sends them there as deploy/Caddyfile does (DOOR_LANE): the door lane.
Every node has its own CHECKIN_INSTANCE folder, so nothing a request needs can hide on one
node's disk. Cookies are per host, not per port, so a browser signed in through base_url is
signed in on every node_urls[i] too. Leaving the `with` block (or stop()) ends every process
it started and drops the database, also when starting failed half way.
"""

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CADDY = os.environ.get("CADDY", "/usr/bin/caddy")
ADMIN_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"  # the test suite uses 15
READY_SECONDS = 120.0  # a loaded two-core machine can take long to import the app N times
SECRET_KEY = "cluster-secret-key-not-for-production-0123456789"
# The door's requests (its page and parts, the scan API, the saved roster), as deploy/Caddyfile
# matches them for the door lane; tests/deploy/test_door_lane.py checks it against the app's routes.
DOOR_LANE = r"^/(door/|api/v1/events/[^/]+/(checkins|stats|roster)$)"
# The door lane first, the other workers when it is down (deploy/Caddyfile says why each line).
FALLBACK = ("lb_policy first", "lb_try_duration 5s", "fail_duration 10s", "buffer_requests")


class ClusterError(RuntimeError):
    """The cluster could not start; the message ends with the failing process's log."""


@dataclass
class Process:
    """One process the cluster started, its log file and what it is."""

    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        """The last lines of its log."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def caddyfile(
    port: int, http_port: int, upstreams: list[int], node_ports: list[int], doors: list[int]
) -> str:
    """Caddy's configuration: one site over every upstream, one site per node."""
    lines = [
        "{",
        "\tadmin off",
        "\tauto_https disable_redirects",
        "\tskip_install_trust",
        f"\thttp_port {http_port}",
        "}",
        _site(port, upstreams, doors),
    ]
    lines += [
        _site(p, [u], [d] if doors else [])
        for p, u, d in zip(node_ports, upstreams, doors or upstreams, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _site(port: int, upstreams: list[int], doors: list[int]) -> str:
    head = f"https://127.0.0.1:{port} {{\n\tbind 127.0.0.1\n\ttls internal\n"
    if not doors:
        return head + _proxy("\t", upstreams) + "}"
    return (
        head
        + f"\t@door path_regexp door {DOOR_LANE}\n\thandle @door {{\n"
        + _proxy("\t\t", doors + upstreams, FALLBACK)
        + "\t}\n\thandle {\n"
        + _proxy("\t\t", upstreams)
        + "\t}\n}"
    )


def _proxy(indent: str, upstreams: list[int], policy: tuple = ("lb_policy round_robin",)) -> str:
    targets = " ".join(f"127.0.0.1:{u}" for u in upstreams)
    inside = "".join(f"{indent}\t{line}\n" for line in policy)
    return f"{indent}reverse_proxy {targets} {{\n{inside}{indent}}}\n"


@dataclass
class Cluster:
    """Caddy, `nodes` gunicorn nodes of `workers` workers each, a huey worker, PostgreSQL, Redis."""

    nodes: int = 2
    workers: int = 2
    smtp_url: str = ""
    admin_database_url: str = field(
        default_factory=lambda: os.environ.get("TEST_DATABASE_URL") or ADMIN_DATABASE_URL
    )
    redis_url: str = REDIS_URL
    huey_workers: int = 2
    door_workers: int = 0  # over 0: each node also runs a door lane of that many workers
    extra_env: dict = field(default_factory=dict)
    ready_seconds: float = READY_SECONDS

    def __post_init__(self) -> None:
        self.processes: list[Process] = []
        self.directory = Path(tempfile.mkdtemp(prefix="checkin-cluster-"))
        self.database_url = ""
        self._database_name = ""
        self.base_url = ""
        self.node_urls: list[str] = []
        self.direct_urls: list[str] = []
        self.door_urls: list[str] = []
        self.env: dict[str, str] = {}
        self._sigterm = None

    # --- the context manager -------------------------------------------------------------

    def __enter__(self) -> "Cluster":
        self._stop_on_sigterm()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Make the database and Redis ready, then start every process and wait for them."""
        self._create_database()
        redis.Redis.from_url(self.redis_url).flushdb()
        web_ports = [free_port() for _ in range(self.nodes)]
        door_ports = [free_port() for _ in range(self.nodes)] if self.door_workers else []
        proxy_ports = [free_port() for _ in range(self.nodes + 2)]
        self.base_url = f"https://127.0.0.1:{proxy_ports[0]}"
        self.node_urls = [f"https://127.0.0.1:{p}" for p in proxy_ports[2:]]
        self.direct_urls = [f"http://127.0.0.1:{p}" for p in web_ports]
        self.door_urls = [f"http://127.0.0.1:{p}" for p in door_ports]
        self.env = self._environment()
        self.flask("db", "upgrade")
        for number, port in enumerate(web_ports):
            self._start_node(f"node{number}", number, port, self.workers)
        for number, port in enumerate(door_ports):
            self._start_node(f"node{number}-door", number, port, self.door_workers)
        self._start_worker()
        self._start_caddy(proxy_ports[0], proxy_ports[1], web_ports, proxy_ports[2:], door_ports)
        for url in self.direct_urls + self.door_urls + [self.base_url] + self.node_urls:
            self._wait_until_ready(url)

    def stop(self) -> None:
        """End every process (TERM, then KILL after 15 s), drop the database, remove files."""
        for process in reversed(self.processes):
            _signal_group(process.popen, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait(timeout=15)
        self.processes.clear()
        self._drop_database()
        shutil.rmtree(self.directory, ignore_errors=True)
        if self._sigterm is not None:
            signal.signal(signal.SIGTERM, self._sigterm)
            self._sigterm = None

    def _stop_on_sigterm(self) -> None:
        """A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so stop() still runs."""
        self._sigterm = None
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            self._sigterm = signal.SIG_DFL
            signal.signal(signal.SIGTERM, _interrupt)

    # --- commands and logs ----------------------------------------------------------------

    def flask(self, *args: str, input: str | None = None, node: int = 0) -> str:
        """Run `flask --app checkin ARGS` with the cluster's settings; returns its stdout."""
        env = dict(self.env, CHECKIN_INSTANCE=str(self._instance(node)))
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "checkin", *args],
            cwd=ROOT,
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=self.ready_seconds,
        )
        if done.returncode != 0:
            raise ClusterError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def logs(self) -> str:
        """The end of every process's log, for a failing test's message."""
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)

    def log_of(self, name: str) -> str:
        """The whole log of the process of that name (e.g. "node0-door")."""
        return self._process(name).log.read_text(errors="replace")

    def end(self, name: str) -> None:
        """Stop one process (TERM), as a crash or `systemctl stop` would, and wait for it."""
        process = self._process(name)
        _signal_group(process.popen, signal.SIGTERM)
        process.popen.wait(timeout=30)

    def _process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    # --- inside ---------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
        env.update(
            SECRET_KEY=SECRET_KEY,
            BASE_URL=self.base_url,
            TRUSTED_PROXIES="1",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SMTP_URL=self.smtp_url,
            MAIL_FROM="checkin <no-reply@example.org>",
            PYTHONUNBUFFERED="1",
        )
        env.pop("HUEY_IMMEDIATE", None)
        env.update(self.extra_env)
        return env

    def _instance(self, name) -> Path:
        path = self.directory / f"instance-{name}"
        path.mkdir(exist_ok=True)
        return path

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log = self.directory / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends its children too
            )
        self.processes.append(Process(name, popen, log))

    def _start_node(self, name: str, number: int, port: int, workers: int) -> None:
        env = dict(self.env, CHECKIN_INSTANCE=str(self._instance(number)))
        command = [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--graceful-timeout",
            "5",
            "checkin:create_app()",
        ]
        self._spawn(name, command, env)

    def _start_worker(self) -> None:
        env = dict(self.env, CHECKIN_INSTANCE=str(self._instance("worker")))
        command = [str(BIN / "huey_consumer"), "checkin.tasks.huey"]
        command += ["--workers", str(self.huey_workers)]
        self._spawn("worker", command, env)

    def _start_caddy(self, port, http_port, upstreams, node_ports, doors) -> None:
        if not os.access(CADDY, os.X_OK):
            raise ClusterError(f"Caddy is missing at {CADDY}: sudo apt-get install caddy")
        config = self.directory / "Caddyfile"
        config.write_text(caddyfile(port, http_port, upstreams, node_ports, doors))
        home = self.directory / "caddy-home"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
        }
        command = [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"]
        self._spawn("caddy", command, env)

    def _wait_until_ready(self, url: str) -> None:
        """Poll url's /healthz (or / where there is none) until it answers below 500."""
        deadline = time.monotonic() + self.ready_seconds
        last = ""
        while time.monotonic() < deadline:
            self._check_alive()
            status = _status(url + "/healthz")
            if status == 404:
                status = _status(url + "/")
            if status and status < 500:
                return
            last = f"status {status}"
            time.sleep(0.2)
        waited = f"{self.ready_seconds:.0f} s ({last})"
        raise ClusterError(f"{url} not ready after {waited}\n{self.logs()}")

    def _check_alive(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                raise ClusterError(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}"
                )

    def _create_database(self) -> None:
        url = make_url(self.admin_database_url.replace("postgresql+psycopg://", "postgresql://"))
        self._database_name = f"checkin_cluster_{uuid.uuid4().hex[:10]}"
        self._admin = url.set(database="postgres").render_as_string(hide_password=False)
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._database_name}"')
        self.database_url = url.set(database=self._database_name).render_as_string(
            hide_password=False
        )

    def _drop_database(self) -> None:
        if not self._database_name:
            return
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')
        self._database_name = ""


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _status(url: str) -> int | None:
    """The HTTP status of a GET (certificates not checked: Caddy's are its own), or None."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ssl.SSLError):
        return None


def _signal_group(popen: subprocess.Popen, sig: int) -> None:
    """Send sig to the process group the cluster started (its leader's id is the group's)."""
    if popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, sig)


if __name__ == "__main__":
    # Start a cluster by hand and keep it until Ctrl-C: python tests/cluster.py [nodes]
    with Cluster(nodes=int(sys.argv[1]) if len(sys.argv) > 1 else 2) as running:
        print(f"{running.base_url}  nodes: {' '.join(running.node_urls)}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM
            pass
