"""Organizer accounts, attendees' personal links and signing in."""
