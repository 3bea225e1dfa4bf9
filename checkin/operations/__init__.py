"""Running the app: health, backups, local disk and the unavailable page."""
