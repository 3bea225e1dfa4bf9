"""The door lane: deploy/Caddyfile and tests/cluster.py send exactly the door's routes to the
door's own workers, and every other route to the main ones."""

import re
from pathlib import Path

from cluster import DOOR_LANE

ROOT = Path(__file__).resolve().parents[2]
DOOR_API = {"api.check_in", "api.stats", "api.roster"}


def lane_of_caddyfile() -> str:
    """The regular expression of deploy/Caddyfile's @door matcher."""
    found = re.search(r"@door path_regexp door (\S+)", (ROOT / "deploy/Caddyfile").read_text())
    assert found, "deploy/Caddyfile has no @door matcher"
    return found.group(1)


def sample(rule) -> str:
    """A path the rule matches, with a plausible value in each variable."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "7" if "id" in m.group(1) else "x1", rule)


def test_the_caddyfile_and_the_cluster_use_one_lane():
    assert lane_of_caddyfile() == DOOR_LANE


def test_the_lane_takes_the_door_routes_and_nothing_else(app):
    lane = re.compile(DOOR_LANE)
    door, other = [], []
    for rule in app.url_map.iter_rules():
        wanted = rule.endpoint.startswith("door.") or rule.endpoint in DOOR_API
        (door if wanted else other).append(rule)
        assert bool(lane.match(sample(rule.rule))) == wanted, (rule.rule, rule.endpoint)
    assert {r.endpoint for r in door} >= DOOR_API | {"door.check_in", "door.counter"}
    assert len(other) > 50


def test_a_lane_that_took_the_room_would_fail(app):
    """The check above can fail: a lane that also takes the cards API is caught."""
    wide = re.compile(DOOR_LANE.replace("checkins|stats|roster", "checkins|stats|roster|cards"))
    caught = [
        r.rule
        for r in app.url_map.iter_rules()
        if wide.match(sample(r.rule)) and not r.endpoint.startswith("door.")
        and r.endpoint not in DOOR_API
    ]  # fmt: skip
    assert caught
