"""The operations tests' world: the app, its queue, disk and backups (built in each module)."""
