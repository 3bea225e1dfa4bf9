"""Tests of the shared core: config, security, database, tasks, the CLI, the demo, migrations."""
