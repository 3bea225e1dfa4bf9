"""Tests of checkin.print."""
