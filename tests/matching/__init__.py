"""Tests of checkin.matching."""
