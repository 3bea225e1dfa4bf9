"""The service worker's world: the root conftest's app and client; nothing of its own."""
