"""Open311 GeoReport v2 at ``/open311/v2/``: services, requests (read and filed), updates,
and the api keys that clients file requests with (admin page, CLI, demo key)."""
