"""Intake: a submission checked, stored and routed into a report; the demo reports."""
