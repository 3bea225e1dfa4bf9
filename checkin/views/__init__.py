"""Blueprints: one per audience (organizer, door, attendee tickets, JSON API, sign-in)."""
