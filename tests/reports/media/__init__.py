"""Tests of the public copies of videos."""
