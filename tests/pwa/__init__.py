"""Tests of checkin.pwa."""
