"""Tests of checkin.mail."""
