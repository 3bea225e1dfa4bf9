"""Tests of checkin.digest."""
