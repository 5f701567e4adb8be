"""Open data: the public reports as GeoJSON and CSV, daily snapshots, the licence and dictionary."""
