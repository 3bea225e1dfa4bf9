"""Organizer accounts, guests' personal links and signing in."""
