"""The map's geography of reports: counts per tile (cells) and bulk demo data."""
