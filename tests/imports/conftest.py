"""The import tests' world: an event and the files imported into it (built in each module)."""
