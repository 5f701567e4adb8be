"""The import map the dashboard page writes (``<script type="importmap" nonce=…>``): bare module
names of the vendored ES modules that ``/static/dashboard/*.js`` import, resolved to this origin."""

from __future__ import annotations

from typing import Any

IMPORT_MAP: dict[str, Any] = {
    "imports": {
        "@mapbox/vector-tile": "/static/vendor/vector-tile/index.js",
        "@mapbox/point-geometry": "/static/vendor/point-geometry/index.js",
        "pbf": "/static/vendor/pbf/index.js",
    }
}
