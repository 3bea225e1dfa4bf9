"""Tests of checkin.operations."""
