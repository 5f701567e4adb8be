"""Plumbing of the field-reporting and operations centre system: settings, database, auth, app."""
