"""Tests of checkin.events."""
