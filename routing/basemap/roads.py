"""The road classes the base map keeps: the keys of ``ROAD_KINDS`` in ``profile/process.lua``."""

from __future__ import annotations

# highway=* values drawn as roads, and imported as streets when named.
ROAD_KINDS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "residential",
        "unclassified",
        "living_street",
        "road",
        "service",
        "track",
        "pedestrian",
        "footway",
        "path",
        "cycleway",
        "steps",
    }
)
