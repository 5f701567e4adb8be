"""Browser assets served by the app itself (no CDN), installed by npm from a lock file.

``npm ci`` verifies every package against the integrity hashes in ``package-lock.json``;
``ioc assets sync`` then copies the files pages load into ``ioc/static/vendor/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ioc.settings import PROJECT_ROOT

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

# (file or directory in node_modules, where it goes under static/vendor)
VENDORED: tuple[tuple[str, str], ...] = (
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images", "leaflet/images"),
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    # ES modules of the dashboard's vector tiles (dashboard/operator/importmap.py maps them).
    ("@mapbox/vector-tile/index.js", "vector-tile/index.js"),
    ("@mapbox/point-geometry/index.js", "point-geometry/index.js"),
    ("pbf/index.js", "pbf/index.js"),
    ("chart.js/dist/chart.umd.min.js", "chart.js/chart.umd.min.js"),
    # The base map's renderer (ioc/static/basemap/basemap.js): one file, its dependencies bundled.
    ("protomaps-leaflet/dist/protomaps-leaflet.js", "protomaps-leaflet/protomaps-leaflet.js"),
)


def missing() -> list[str]:
    """Vendored files that are not in place."""
    return [target for _, target in VENDORED if not (VENDOR_DIR / target).exists()]


def sync(node_modules: Path = PROJECT_ROOT / "node_modules") -> int:
    """Copy the vendored files from ``node_modules``; returns how many were copied."""
    for source, target in VENDORED:
        src, dst = node_modules / source, VENDOR_DIR / target
        if not src.exists():
            raise FileNotFoundError(f"{src} is missing: run `npm ci` first")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    return len(VENDORED)
