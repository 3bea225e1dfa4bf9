"""What a production app would keep on this node's own disk: said once, as a warning, at start.

Requests keep nothing between them on disk (the import preview is in the database), so two web
nodes on one database behave as one. Two development conveniences are the exceptions: mail
written as .eml files when SMTP_URL is unset, and the huey queue in a SQLite file when
REDIS_URL is unset. Production is an https BASE_URL.
"""

import os
from pathlib import Path

from flask import Flask


def warn_at_start(app: Flask) -> None:
    """Log a warning for each thing that stays on this node in production."""
    for warning in warnings(app.config, os.environ.get("REDIS_URL", "")):
        app.logger.warning(warning)


def warnings(config, redis_url: str) -> list[str]:
    """The warnings for this config: none over plain http (a laptop), where files are fine."""
    if not str(config.get("BASE_URL", "")).startswith("https://"):
        return []
    instance = Path(config["INSTANCE_DIR"])
    found = []
    if not config.get("SMTP_URL"):
        found.append(
            f"SMTP_URL is not set: mail is not sent but written as .eml files under "
            f"{instance / 'mail'} on this node's disk only. Set SMTP_URL to send it."
        )
    if not redis_url:
        found.append(
            f"REDIS_URL is not set: background jobs (mail, digests, badge sheets) queue in "
            f"{instance / 'huey.sqlite'} on this node only, for a worker on this machine. "
            f"Set REDIS_URL to share one queue between nodes."
        )
    return found
