"""Tests of checkin.door."""
