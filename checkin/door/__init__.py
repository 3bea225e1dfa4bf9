"""The door: check-in decisions, door passes, scan times, conflicts and the door API."""
