"""Tests of checkin.room."""
