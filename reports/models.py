"""Reports and their media and events (filled in by the reporting issue)."""
