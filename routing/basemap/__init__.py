"""The self-hosted base map: vector tiles built from OpenStreetMap, served by the app, and the
named streets that say where a place is."""
