"""The installable web app: service worker, manifest and offline page."""
