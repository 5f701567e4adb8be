"""Media of reports: sniffing, checking, metadata-free derivatives, content-addressed storage."""
