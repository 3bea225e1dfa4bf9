"""A consistent copy of the database while the app runs: SQLite's online backup, or pg_dump."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def back_up(url: URL, destination: Path) -> str:
    """Copy the database at url into destination (which must not exist); say how it was made."""
    if destination.exists():
        raise BackupError(f"{destination} exists already; name a new file.")
    if not destination.parent.is_dir():
        raise BackupError(f"There is no folder {destination.parent}.")
    if url.get_backend_name() == "sqlite":
        _sqlite(url.database, destination)
        return "SQLite online backup"
    if url.get_backend_name() == "postgresql":
        _pg_dump(url, destination)
        return "pg_dump, custom format: restore with pg_restore"
    raise BackupError(f"No backup for {url.get_backend_name()} databases.")


def _sqlite(database: str, destination: Path) -> None:
    """SQLite's backup API: one step under a read snapshot, so writers carry on meanwhile."""
    if not Path(database).is_file():
        raise BackupError(f"There is no SQLite database at {database}.")
    draft = destination.with_name(f".{destination.name}.partial")
    source = sqlite3.connect(database, timeout=15)
    try:
        target = sqlite3.connect(draft)
        try:
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as error:
        draft.unlink(missing_ok=True)
        raise BackupError(f"SQLite could not copy {database}: {error}") from error
    finally:
        source.close()
    draft.rename(destination)  # the file appears whole or not at all


def _pg_dump(url: URL, destination: Path) -> None:
    """pg_dump --format=custom; the password goes in the environment, not on the command line."""
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    draft = destination.with_name(f".{destination.name}.partial")
    command = [program, "--format=custom", "--no-owner", f"--file={draft}", f"--dbname={target}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        draft.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    draft.rename(destination)
