"""Tests of checkin.imports."""
