"""`flask --app checkin send-digests [--event SLUG] [--now]`: sends what is due, returns when
done, prints one line; a second run sends nothing."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from checkin.extensions import db
from checkin.models import Event, utcnow

FLASK = str(Path(sys.executable).parent / "flask")
NOTHING = "Digests: 0 sent, 0 skipped, 0 failed, 0 retrying, 0 uncertain"


def test_now_sends_the_event_once_and_a_second_run_nothing(runner, party, inbox):
    """--now sends whatever the time and prints the summary; run again, it sends nothing."""
    first = runner.invoke(args=["send-digests", "--event", party.slug, "--now"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "Digests: 3 sent, 2 skipped, 0 failed, 0 retrying, 0 uncertain"
    second = runner.invoke(args=["send-digests", "--event", party.slug, "--now"])
    assert second.output.strip() == NOTHING
    assert inbox.copies() == dict.fromkeys(party.readers, 1)


def test_without_now_only_what_is_due(app, runner, party, inbox):
    """Before the digest time nothing goes; once the time has passed (moved into the past
    here), a plain run sends every event's due digests."""
    assert runner.invoke(args=["send-digests"]).output.strip() == NOTHING
    assert runner.invoke(args=["send-digests", "--event", party.slug]).output.strip() == NOTHING
    with app.app_context():
        db.session.execute(
            update(Event)
            .where(Event.id == party.event_id)
            .values(digest_at=utcnow() - timedelta(minutes=5))
        )
        db.session.commit()
    assert runner.invoke(args=["send-digests"]).output.startswith("Digests: 3 sent, 2 skipped")
    assert inbox.copies() == dict.fromkeys(party.readers, 1)


def test_now_needs_an_event(runner, party, inbox):
    """--now without --event is a usage error, and sends nothing."""
    result = runner.invoke(args=["send-digests", "--now"])
    assert result.exit_code == 2 and "--event SLUG" in result.output
    assert inbox.messages == []


def test_an_unknown_event_is_an_error(runner, party):
    """A slug that names no event says so."""
    result = runner.invoke(args=["send-digests", "--event", "no-such-event", "--now"])
    assert result.exit_code == 1 and "No event with the slug 'no-such-event'" in result.output


def test_the_real_command_twice_sends_nothing_the_second_time(
    app, party, inbox, database_url, tmp_path
):
    """The command as an operator runs it, in its own process, twice."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUEY_IMMEDIATE")}
    env |= {
        "CHECKIN_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SMTP_URL": app.config["SMTP_URL"],
    }
    command = [FLASK, "--app", "checkin", "send-digests", "--event", party.slug, "--now"]
    runs = [subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)]
    runs.append(subprocess.run(command, env=env, capture_output=True, text=True, timeout=60))
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.strip().startswith("Digests: 3 sent, 2 skipped, 0 failed")
    assert runs[1].stdout.strip() == NOTHING
    assert inbox.copies() == dict.fromkeys(party.readers, 1)
