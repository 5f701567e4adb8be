"""Notifications: outbox messages written with the state change, delivered by the job queue."""
