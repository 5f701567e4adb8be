"""Tracking: codes, private status tokens, what each reader may see, and lookup limits."""
