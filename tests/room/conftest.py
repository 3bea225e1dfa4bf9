"""The room's world: guests checked in, findable or not, and their cards (built in each module)."""
