"""SECRET_KEY: required in production (https BASE_URL), generated and kept privately otherwise."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
MESSAGE = "checkin: SECRET_KEY is not set. With an https:// BASE_URL (production)"
STARTS = {
    "flask": [str(BIN / "flask"), "--app", "checkin", "db", "current"],
    "gunicorn": [str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "checkin:create_app()"],
    "huey_consumer": [str(BIN / "huey_consumer"), "checkin.tasks.huey"],
}


def _env(instance: Path, **settings) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "REDIS_URL")}
    return {**env, "CHECKIN_INSTANCE": str(instance), **settings}


@pytest.mark.parametrize("program", STARTS)
def test_production_without_a_key_refuses_to_start(program, tmp_path):
    """gunicorn, the worker and a flask command each exit non-zero with one line, no traceback."""
    env = _env(tmp_path / "instance", BASE_URL="https://checkin.example.org")
    done = subprocess.run(
        STARTS[program], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if line.startswith("checkin:")]
    assert len(ours) == 1 and ours[0].startswith(MESSAGE)
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_with_a_key_starts(tmp_path):
    """The same flask command runs once SECRET_KEY is set."""
    env = _env(
        tmp_path / "instance",
        BASE_URL="https://checkin.example.org",
        SECRET_KEY="a-long-random-production-key-0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path / 'checkin.sqlite'}",
    )
    done = subprocess.run(
        STARTS["flask"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "SECRET_KEY" not in done.stderr


KEY_OF = "from checkin.config import _secret_key; print(_secret_key())"


def test_over_http_a_key_is_generated_owner_only_and_racing_starts_agree(tmp_path):
    """Eight processes starting at once (umask 000) end with one key, in a 0600 file."""
    env = _env(tmp_path / "instance", BASE_URL="http://127.0.0.1:5000")
    code = f"import os; os.umask(0); {KEY_OF}"
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True, cwd=tmp_path
        )
        for _ in range(8)
    ]
    keys = {start.communicate(timeout=60)[0].strip() for start in starts}
    path = tmp_path / "instance" / "secret_key"
    assert len(keys) == 1 and len(keys.pop()) >= 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]  # no drafts left


def test_the_generated_key_is_kept(tmp_path):
    """A second start reads the key the first one wrote."""
    env = _env(tmp_path / "instance")
    first, second = (
        subprocess.run(
            [sys.executable, "-c", KEY_OF], env=env, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    )
    assert first == second == (tmp_path / "instance" / "secret_key").read_text() + "\n"
