"""Tests of checkin.accounts."""
