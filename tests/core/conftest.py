"""The shared core's world: the root conftest's app (two modules override it: other settings)."""
