"""Residents' ratings of a published result (and the satisfaction figures drawn from them)."""
