"""The events tests' world: an organizer's events and guest lists (built in each module)."""
